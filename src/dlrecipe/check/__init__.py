"""Checking: gradient checks of a model or of any cost/gradient pair."""

from .callback import GradientCheckCallback, GradientCheckRecord
from .directional import DirectionalCheckResult, gradient_check_directions
from .gradient_check import gradient_check, gradient_check_function
from .result import Component, GradientCheckResult

__all__ = [
    "Component",
    "DirectionalCheckResult",
    "GradientCheckCallback",
    "GradientCheckRecord",
    "GradientCheckResult",
    "gradient_check",
    "gradient_check_directions",
    "gradient_check_function",
]
