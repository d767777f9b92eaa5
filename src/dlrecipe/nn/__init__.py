"""The math: activations, losses, initializers, regularization and the network, NumPy only."""

from .parameters import (
    ParameterIndex,
    gradients_to_vector,
    parameters_to_vector,
    vector_to_parameters,
)

__all__ = [
    "ParameterIndex",
    "gradients_to_vector",
    "parameters_to_vector",
    "vector_to_parameters",
]
