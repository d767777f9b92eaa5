"""Checking: gradient checks of a model or of any cost/gradient pair."""

from .gradient_check import gradient_check, gradient_check_function
from .result import Component, GradientCheckResult

__all__ = ["Component", "GradientCheckResult", "gradient_check", "gradient_check_function"]
