"""The math: activations, losses, initializers, regularization and the network, NumPy only."""

from .mlp import MLP
from .parameters import (
    ParameterIndex,
    gradients_to_vector,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = [
    "MLP",
    "ParameterIndex",
    "gradients_to_vector",
    "parameters_to_vector",
    "vector_to_parameters",
]
