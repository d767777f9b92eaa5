"""Demo: gradient-check a network on the circles data, then catch a planted backprop bug."""

from __future__ import annotations

from typing import TextIO

import numpy as np

from ..check import gradient_check, gradient_check_function
from ..data import circles
from ..nn import ParameterIndex, gradients_to_vector, network, vector_to_parameters
from ..train import MLP

DESCRIPTION = "gradient-check a 2-10-5-1 ReLU network on circles, then find a planted bug in dW2"


def run(out: TextIO, *, seed: int = 1) -> int:
    """Print both checks; exit code 0 when the correct backprop passes and the bug is named."""
    X, y = circles(300, noise=0.1, seed=seed)
    model = MLP((2, 10, 5, 1), hidden_activation="relu", init="he", l2=0.7, seed=seed)
    print(f"Data: {X.shape[0]} examples of the circles data set, {X.shape[1]} features.", file=out)
    print(f"Model: {model!r}", file=out)
    print("\n1. The hand-written backward pass, checked:\n", file=out)
    result = gradient_check(model, X, y)
    print(result, file=out)

    print("\n2. The same network with a planted bug (dW2 doubled), checked:\n", file=out)
    index = ParameterIndex.of(model.params)
    A0 = model.columns(X)
    Y = model.targets(y, A0.shape[1])

    def cost(theta: np.ndarray) -> float:
        params = vector_to_parameters(theta, index)
        return network.cost(params, network.forward(params, A0, model.spec)[-1].Z, Y, model.spec)[0]

    def buggy_gradient(theta: np.ndarray) -> np.ndarray:
        params = vector_to_parameters(theta, index)
        grads = network.backward(params, network.forward(params, A0, model.spec), Y, model.spec)
        grads["dW2"] = 2 * grads["dW2"]
        return gradients_to_vector(grads, index)

    theta = np.concatenate([p.ravel() for p in model.params.values()])
    shapes = dict(zip(index.names, index.shapes, strict=True))
    buggy = gradient_check_function(cost, buggy_gradient, theta, parameter_shapes=shapes)
    print(buggy, file=out)

    found = not buggy.passed and buggy.wrong_parameters() == ["W2"]
    print(
        f"\nSummary: correct backprop {'passed' if result.passed else 'FAILED'} "
        f"(difference {result.difference:.1e}); planted bug "
        f"{'found in W2' if found else 'NOT located'} (difference {buggy.difference:.1e}).",
        file=out,
    )
    return 0 if result.passed and found else 1
