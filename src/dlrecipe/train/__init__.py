"""Training: the model, the fit loop, callbacks, checkpoints and model files."""

from .callbacks import Callback
from .early_stopping import EarlyStopping
from .files import load_model, save_model
from .guard import DivergenceGuard, TrainingDiverged
from .history import History
from .loop import fit
from .model import MLP
from .progress import ProgressBar

__all__ = [
    "MLP",
    "Callback",
    "DivergenceGuard",
    "EarlyStopping",
    "History",
    "ProgressBar",
    "TrainingDiverged",
    "fit",
    "load_model",
    "save_model",
]
