"""Gradient checking: the backward pass against two-sided differences, parameter by parameter.

The textbook's procedure: for every component ``i`` of θ = (W[1], b[1], …, W[L], b[L]),

    dθ_approx[i] = (J(θ + ε e_i) − J(θ − ε e_i)) / 2ε

and compare with the backward pass's dθ through

    difference = ||dθ_approx − dθ||₂ / (||dθ_approx||₂ + ||dθ||₂).

Bands: below 1e-7 correct; up to 1e-5 look closer; 1e-5 to 1e-3 suspicious (typically one
small part wrong, or perturbations crossing ReLU kinks); above 1e-3 almost certainly a bug.

Two refinements make the answer trustworthy. Each computed J carries a rounding error (small
for a stable cost, much larger for one like ``-log(1 - σ(z))``), so each difference quotient
carries noise that grows like 1/ε. That noise is measured on a few
components, and the *noise floor* it puts under the difference is reported; a difference in
(1e-7, 1e-5] within a few times that floor is a correct backward pass (the textbook's own
correct example sits at 1.19e-7: with ε = 1e-6 or 1e-8 it moves as 1/ε, as noise does). And
the difference is broken down per parameter, with the worst components located as
``(name, row, column)``, so a bug in ``db1`` shows as ``b1``.

Everything is computed in float64, whatever the model's dtype. A model's J(θ ± εe_i) are not
computed one forward pass at a time but in batches of perturbations carried through the layers
after the perturbed one (:mod:`dlrecipe.check.fast`), or for ReLU-like networks through the
linear piece the network sits on (:mod:`dlrecipe.check.pieces`); each is still a complete J,
equal to a forward pass's to rounding. :func:`gradient_check_function` stays the generic loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike

from ..nn import network
from ..nn.parameters import ParameterIndex, gradients_to_vector
from ..train.model import MLP
from .fast import PerturbedCosts
from .objective import ModelObjective
from .result import Component, GradientCheckResult, advice, classify, relative_difference

UNIT_ROUNDOFF = float(np.finfo(np.float64).eps)
N_WORST = 5
N_NOISE_PROBES = 32
NOISE_PROBE_STEP = 1.5


def gradient_check(
    model: MLP,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epsilon: float = 1e-7,
    sample: int | None = None,
    parameters: Iterable[str] | None = None,
    seed: int | np.random.Generator | None = 0,
) -> GradientCheckResult:
    """Check ``model``'s backward pass on ``(X, y)``; J includes the regularization penalty.

    Parameters
    ----------
    epsilon
        The step ε of the two-sided difference.
    sample
        Check at most this many randomly chosen components of each parameter (None: all).
    parameters
        Names such as ``["W2", "b2"]`` to check only those (None: all).
    seed
        Chooses the sampled components.

    Dropout makes J random, so a model with any ``keep_prob < 1`` is refused: check
    ``model.copy(keep_prob=1.0)`` instead. The model itself is never modified.
    """
    objective = ModelObjective(model, X, y)
    params, spec, Y, index = objective.params, objective.spec, objective.Y, objective.index
    base = network.forward(params, objective.A0, spec)
    J, _ = network.cost(params, base[-1].Z, Y, spec)
    analytic = gradients_to_vector(network.backward(params, base, Y, spec), index)
    perturbed = PerturbedCosts(params, spec, base, Y, index)
    return _check(
        perturbed.quotients,
        analytic,
        J,
        index,
        epsilon=epsilon,
        sample=sample,
        parameters=parameters,
        seed=seed,
        crosses_kink=perturbed.crosses_kink,
    )


def gradient_check_function(
    cost: Callable[[np.ndarray], float],
    gradient: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    *,
    parameter_shapes: Mapping[str, tuple[int, ...]] | None = None,
    epsilon: float = 1e-7,
    sample: int | None = None,
    parameters: Iterable[str] | None = None,
    seed: int | np.random.Generator | None = 0,
) -> GradientCheckResult:
    """Check any ``gradient(θ) -> dθ`` against ``cost(θ) -> J`` at the vector ``theta``.

    ``parameter_shapes`` (an ordered mapping such as ``{"W1": (5, 4), "b1": (5, 1), …}``)
    names the consecutive slices of θ, row by row, for the per-parameter table; without it θ
    is one parameter called ``"theta"``. ``cost`` receives a float64 vector that it must not
    modify. Other arguments as in :func:`gradient_check`.
    """
    theta = np.array(theta, dtype=np.float64).reshape(-1)
    if parameter_shapes is None:
        parameter_shapes = {"theta": (theta.size,)}
    index = ParameterIndex.from_shapes(parameter_shapes)
    if index.size != theta.size:
        raise ValueError(
            f"parameter_shapes describe {index.size} components but θ has {theta.size}; "
            f"got parameter_shapes={dict(parameter_shapes)!r}"
        )
    J = _finite_cost(cost(theta.copy()), "cost(θ)")
    analytic = np.asarray(gradient(theta.copy()), dtype=np.float64).reshape(-1)
    if analytic.shape != theta.shape:
        raise ValueError(f"gradient(θ) must return {theta.size} values; got {analytic.size}")
    if not np.isfinite(analytic).all():
        raise ValueError("gradient(θ) returned NaN or infinite values")

    def cost_at(i: int, delta: float) -> float:
        old = theta[i]
        theta[i] = old + delta
        try:
            return _finite_cost(cost(theta), f"cost(θ) with component {index.locate(i)}")
        finally:
            theta[i] = old

    def quotients(components: np.ndarray, step: float) -> np.ndarray:
        return np.array([(cost_at(i, step) - cost_at(i, -step)) / (2 * step) for i in components])

    return _check(
        quotients,
        analytic,
        J,
        index,
        epsilon=epsilon,
        sample=sample,
        parameters=parameters,
        seed=seed,
        crosses_kink=None,
    )


def _finite_cost(value: object, what: str) -> float:
    J = float(value)  # type: ignore[arg-type]
    if not math.isfinite(J):
        raise ValueError(f"{what} returned {J}; the cost must be finite to be differentiated")
    return J


def _choose_components(
    index: ParameterIndex,
    sample: int | None,
    parameters: Iterable[str] | None,
    seed: int | np.random.Generator | None,
) -> np.ndarray:
    names = index.names if parameters is None else list(parameters)
    unknown = [name for name in names if name not in index.names]
    if unknown or not names:
        raise ValueError(
            f"unknown parameters {unknown or names!r}; expected names from {index.names}"
        )
    if sample is not None and (
        isinstance(sample, bool) or not isinstance(sample, int) or sample < 1
    ):
        raise ValueError(
            f"sample must be a positive integer (components per parameter); got {sample!r}"
        )
    rng = np.random.default_rng(seed)
    chosen = []
    for name in index.names:
        if name not in names:
            continue
        part = np.arange(index.size)[index.slice(name)]
        if sample is not None and sample < part.size:
            part = np.sort(rng.choice(part, size=sample, replace=False))
        chosen.append(part)
    return np.concatenate(chosen)


# quotients(components, ε) -> the two-sided difference quotients of those components of θ;
# crosses_kink(components, ε) -> whether ±ε on each moves a ReLU input across 0.
Quotients = Callable[[np.ndarray, float], np.ndarray]
KinkTest = Callable[[np.ndarray, float], np.ndarray]


def _check(
    quotients: Quotients,
    analytic_all: np.ndarray,
    J: float,
    index: ParameterIndex,
    *,
    epsilon: float,
    sample: int | None,
    parameters: Iterable[str] | None,
    seed: int | np.random.Generator | None,
    crosses_kink: KinkTest | None,
) -> GradientCheckResult:
    if isinstance(epsilon, bool) or not isinstance(epsilon, Real) or not 0 < epsilon < math.inf:
        raise ValueError(f"epsilon must be a finite number > 0 (typically 1e-7); got {epsilon!r}")
    epsilon = float(epsilon)
    components = _choose_components(index, sample, parameters, seed)
    numerical = quotients(components, epsilon)
    analytic = analytic_all[components]
    noise = _quotient_noise(
        quotients, components, numerical, J, epsilon, np.random.default_rng(seed), crosses_kink
    )

    def floor(a: np.ndarray, n: np.ndarray) -> float:
        # Noise of σ per component adds up to about σ·√n in ||dθ_approx − dθ||.
        denominator = np.linalg.norm(a) + np.linalg.norm(n)
        return float(noise * math.sqrt(a.size) / denominator) if denominator else 0.0

    owner = index.owner()[components]
    per_parameter, per_parameter_floor = {}, {}
    for k, name in enumerate(index.names):
        mine = owner == k
        if mine.any():
            per_parameter[name] = relative_difference(numerical[mine], analytic[mine])
            per_parameter_floor[name] = floor(analytic[mine], numerical[mine])
    difference = relative_difference(numerical, analytic)
    noise_floor = floor(analytic, numerical)
    verdict = classify(difference, noise_floor)

    largest = np.argsort(-np.abs(numerical - analytic), kind="stable")[:N_WORST]
    kinks = (
        [None] * largest.size
        if crosses_kink is None
        else crosses_kink(components[largest], epsilon)
    )
    worst = [
        Component(
            *index.locate(int(components[k])),
            float(analytic[k]),
            float(numerical[k]),
            None if kink is None else bool(kink),
        )
        for k, kink in zip(largest, kinks, strict=True)
    ]

    return GradientCheckResult(
        difference=difference,
        verdict=verdict,
        passed=verdict.startswith("correct"),
        per_parameter=per_parameter,
        worst=tuple(worst),
        epsilon=epsilon,
        noise_floor=noise_floor,
        cost=J,
        n_checked=int(components.size),
        n_total=index.size,
        shapes=dict(zip(index.names, index.shapes, strict=True)),
        tips=advice(verdict, epsilon, noise_floor, worst),
        components=components,
        numerical=numerical,
        analytic=analytic,
        per_parameter_floor=per_parameter_floor,
    )


def _quotient_noise(
    quotients: Quotients,
    components: np.ndarray,
    numerical: np.ndarray,
    J: float,
    epsilon: float,
    rng: np.random.Generator,
    crosses_kink: KinkTest | None,
) -> float:
    """Root-mean-square rounding noise of one difference quotient at step ``epsilon``.

    Each computed J is off by a rounding error, so each quotient is off by noise that grows
    like 1/ε. How much depends on the cost: J(θ + εe_i) and J(θ − εe_i) share most of their
    rounding, while a cost such as ``-log(1 - σ(z))`` loses far more than u·|J|. So it is
    measured: the quotients of a few components are recomputed with the step
    1.5 ε, whose truncation error agrees to O(ε²) but whose rounding noise is independent and
    1.5 times smaller; the spread of the two estimates gives the noise. Components whose
    perturbation crosses a ReLU kink are left out: their spread is not rounding noise.
    """
    probes = rng.choice(components.size, size=min(N_NOISE_PROBES, components.size), replace=False)
    other = NOISE_PROBE_STEP * epsilon
    if crosses_kink is not None:
        probes = probes[~crosses_kink(components[probes], other)]
    gaps = numerical[probes] - quotients(components[probes], other)
    if not gaps.size:  # every probe crossed a kink: fall back on the rounding of J itself
        return UNIT_ROUNDOFF * abs(J) / epsilon
    # E[gap²] = σ² (1 + 1/1.5²) for a quotient noise of σ at ε.
    return math.sqrt(np.mean(np.square(gaps)) / (1 + NOISE_PROBE_STEP**-2))
