"""dlrecipe: the practical craft of training neural networks, as tested software."""

from . import data, initializers, optimizers, schedules
from .check import (
    GradientCheckCallback,
    GradientCheckResult,
    gradient_check,
    gradient_check_directions,
    gradient_check_function,
)
from .data import Augmenter, Dataset, Standardizer, compare_distributions, load_data, split
from .diagnosis import (
    LayerMonitor,
    Rule,
    diagnose,
    initialization_scan,
    layer_health,
    run_recipe,
)
from .errors import NotFittedError
from .train import (
    MLP,
    Callback,
    EarlyStopping,
    History,
    TrainingDiverged,
    load_model,
    save_model,
)

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Augmenter",
    "Callback",
    "Dataset",
    "EarlyStopping",
    "GradientCheckCallback",
    "GradientCheckResult",
    "History",
    "LayerMonitor",
    "NotFittedError",
    "Rule",
    "Standardizer",
    "TrainingDiverged",
    "__version__",
    "compare_distributions",
    "data",
    "diagnose",
    "gradient_check",
    "gradient_check_directions",
    "gradient_check_function",
    "initialization_scan",
    "initializers",
    "layer_health",
    "load_data",
    "load_model",
    "optimizers",
    "run_recipe",
    "save_model",
    "schedules",
    "split",
]
