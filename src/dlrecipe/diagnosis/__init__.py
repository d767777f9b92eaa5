"""Diagnosis: bias and variance, per-layer gradient health, and the automated recipe."""

from .bias_variance import Diagnosis, Rule, diagnose
from .init_scan import InitScan, initialization_scan
from .layers import LayerHealth, LayerMonitor, layer_health
from .recipe import RecipeError, RecipeResult, run_recipe

__all__ = [
    "Diagnosis",
    "InitScan",
    "LayerHealth",
    "LayerMonitor",
    "RecipeError",
    "RecipeResult",
    "Rule",
    "diagnose",
    "initialization_scan",
    "layer_health",
    "run_recipe",
]
