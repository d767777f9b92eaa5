"""A model's cost J(θ) and gradient dθ as functions of the flat vector θ: what a check compares.

Every check works on a float64 copy of the model (a float32 J could never resolve differences
below ~1e-3) and refuses dropout, whose random masks would make J(θ + εe_i) and J(θ − εe_i)
two different functions. The model itself is never modified.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..nn import network
from ..nn.parameters import (
    ParameterIndex,
    gradients_to_vector,
    parameters_to_vector,
    vector_to_parameters,
)
from ..train.model import MLP


class ModelObjective:
    """J(θ) (penalty included) and dθ of ``model`` on ``X`` (n_samples, n_features), ``y``.

    ``params``, ``spec``, ``A0`` (n[0], m) and ``Y`` are the float64 copy's; ``theta`` is its
    flat θ and ``index`` names the components of θ.
    """

    def __init__(self, model: MLP, X: ArrayLike, y: ArrayLike) -> None:
        refuse_dropout(model)
        model64 = model.copy(dtype="float64")
        self.params, self.spec = model64.params, model64.spec
        self.A0 = model64.columns(X)
        self.Y = model64.targets(y, self.A0.shape[1])
        self.index = ParameterIndex.of(self.params)
        self.theta = parameters_to_vector(self.params, self.index)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """``{"W1": (n[1], n[0]), "b1": (n[1], 1), …}``, in θ's order."""
        return dict(zip(self.index.names, self.index.shapes, strict=True))

    def cost(self, theta: np.ndarray) -> float:
        """J at ``theta``: one forward pass."""
        params = vector_to_parameters(theta, self.index)
        return network.cost(
            params, network.forward(params, self.A0, self.spec)[-1].Z, self.Y, self.spec
        )[0]

    def gradients(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """``{"dW1": …, "db1": …}`` at ``theta`` from the backward pass."""
        params = vector_to_parameters(theta, self.index)
        return network.backward(
            params, network.forward(params, self.A0, self.spec), self.Y, self.spec
        )

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        """dθ at ``theta``, flat in θ's order."""
        return gradients_to_vector(self.gradients(theta), self.index)


def refuse_dropout(model: MLP) -> None:
    """A ValueError naming the first layer with dropout on, if any."""
    dropped = [l for l, p in enumerate(model.keep_prob) if p < 1]
    if dropped:
        layer = dropped[0]
        raise ValueError(
            f"gradient checking needs a deterministic J, but dropout is on in layer {layer} "
            f"(keep_prob[{layer}]={model.keep_prob[layer]}). Set keep_prob to 1 for the check "
            "(check model.copy(keep_prob=1.0), e.g. gradient_check(model.copy(keep_prob=1.0), "
            "X, y)), then turn dropout back on"
        )
