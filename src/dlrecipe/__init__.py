"""dlrecipe: the practical craft of training neural networks, as tested software."""

from . import data, initializers
from .check import GradientCheckResult, gradient_check, gradient_check_function
from .data import Augmenter, Dataset, Standardizer, compare_distributions, load_data, split
from .errors import NotFittedError
from .nn import MLP

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Augmenter",
    "Dataset",
    "GradientCheckResult",
    "NotFittedError",
    "Standardizer",
    "__version__",
    "compare_distributions",
    "data",
    "gradient_check",
    "gradient_check_function",
    "initializers",
    "load_data",
    "split",
]
