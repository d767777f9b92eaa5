"""dlrecipe: the practical craft of training neural networks, as tested software."""

from . import initializers
from .check import GradientCheckResult, gradient_check, gradient_check_function
from .nn import MLP

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "GradientCheckResult",
    "__version__",
    "gradient_check",
    "gradient_check_function",
    "initializers",
]
