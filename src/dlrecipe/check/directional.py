"""A cheap gradient check: directional derivatives along a few random directions of θ.

For a unit vector d in θ-space, the two-sided difference along d,

    (J(θ + εd) − J(θ − εd)) / 2ε,

estimates the directional derivative dθ·d, which the backward pass gives for free. Two forward
passes per direction instead of two per component (and two more for the noise floor, plus one
forward and one backward pass at θ): with the default 5 directions, 21 forward passes and one
backward pass — 4 ms on the 64-64-32-10 network of ``benchmarks/gradcheck.py``, where the full
check takes about 75 ms. Cheap enough to run every few epochs of a training
(:class:`~dlrecipe.check.GradientCheckCallback`).

A wrong gradient of any parameter shows in almost every random direction; a wrong gradient
of a parameter with very few components (a bias of a narrow layer) carries only its share of
d's weight and is diluted, so the full :func:`~dlrecipe.check.gradient_check` remains the tool
to locate a bug.

The differences are summarized as in the full check: ``difference`` is
``||num − dθ·D|| / (||num|| + ||dθ·D||)`` over the directions, with the same bands and the
same measured rounding-noise floor (each quotient recomputed at 1.5 ε).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ..nn import network
from ..nn.parameters import gradients_to_vector
from ..train.model import MLP
from .gradient_check import NOISE_PROBE_STEP
from .objective import ModelObjective
from .result import classify, relative_difference


@dataclass(frozen=True)
class DirectionalCheckResult:
    """What a directional gradient check found; ``directional`` is dθ·d per direction."""

    difference: float
    verdict: str
    passed: bool
    epsilon: float
    noise_floor: float
    cost: float
    numerical: np.ndarray = field(repr=False)
    directional: np.ndarray = field(repr=False)

    @property
    def n_directions(self) -> int:
        return int(self.numerical.size)

    def __str__(self) -> str:
        return (
            f"Directional gradient check along {self.n_directions} random directions, "
            f"ε = {self.epsilon:g}: difference = {self.difference:.4e} "
            f"(noise floor ≈ {self.noise_floor:.1e}), verdict: {self.verdict.upper()}"
        )


def gradient_check_directions(
    model: MLP,
    X: ArrayLike,
    y: ArrayLike,
    *,
    n_directions: int = 5,
    epsilon: float = 1e-6,
    seed: int | np.random.Generator | None = 0,
) -> DirectionalCheckResult:
    """Compare (J(θ+εd) − J(θ−εd))/2ε with dθ·d along ``n_directions`` random unit vectors d.

    J includes the regularization penalty; everything is computed in float64. ``seed``
    draws the directions (uniform on the unit sphere). Dropout must be off, as for
    :func:`~dlrecipe.check.gradient_check`; the model itself is never modified.
    """
    if isinstance(n_directions, bool) or not isinstance(n_directions, int) or n_directions < 1:
        raise ValueError(f"n_directions must be a positive integer; got {n_directions!r}")
    if (
        isinstance(epsilon, bool)
        or not isinstance(epsilon, int | float)
        or not 0 < epsilon < math.inf
    ):
        raise ValueError(f"epsilon must be a finite number > 0 (typically 1e-6); got {epsilon!r}")
    objective = ModelObjective(model, X, y)
    theta, cost = objective.theta, objective.cost

    def quotient(d: np.ndarray, step: float) -> float:
        return (cost(theta + step * d) - cost(theta - step * d)) / (2 * step)

    caches = network.forward(objective.params, objective.A0, objective.spec)
    J = network.cost(objective.params, caches[-1].Z, objective.Y, objective.spec)[0]
    gradient = gradients_to_vector(
        network.backward(objective.params, caches, objective.Y, objective.spec), objective.index
    )
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n_directions, theta.size))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    numerical = np.array([quotient(d, epsilon) for d in D])
    directional = D @ gradient
    other = np.array([quotient(d, NOISE_PROBE_STEP * epsilon) for d in D])
    # E[gap²] = σ² (1 + 1/1.5²) for a quotient noise of σ at ε, as in the full check.
    noise = math.sqrt(np.mean(np.square(numerical - other)) / (1 + NOISE_PROBE_STEP**-2))
    denominator = np.linalg.norm(numerical) + np.linalg.norm(directional)
    noise_floor = float(noise * math.sqrt(n_directions) / denominator) if denominator else 0.0
    difference = relative_difference(numerical, directional)
    verdict = classify(difference, noise_floor)
    return DirectionalCheckResult(
        difference=difference,
        verdict=verdict,
        passed=verdict.startswith("correct"),
        epsilon=float(epsilon),
        noise_floor=noise_floor,
        cost=J,
        numerical=numerical,
        directional=directional,
    )
