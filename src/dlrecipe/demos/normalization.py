"""Demo: why normalize inputs — gradient descent on features of scale 1–1000 and 0–1.

With one feature a thousand times larger than the other, the cost's contours are long thin
ellipses: a learning rate small enough not to diverge along the large feature crawls along
the small one. After standardization (μ, σ from the training data) the contours are round and
the same descent takes a handful of steps. Both runs get the best learning rate of a grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

import numpy as np

from ..data import Standardizer
from ..nn import network
from ..train import MLP

RAW_LEARNING_RATES = (1e-5, 2e-5, 4e-5, 8e-5)  # larger ones diverge on the raw features
NORMALIZED_LEARNING_RATES = (0.1, 0.3, 1.0)
DESCRIPTION = "iterations of gradient descent to a given cost, with and without normalization"


TARGETS = (0.6, 0.5, 0.4)  # the cost starts at log 2 = 0.693; the optimum is about 0.16


@dataclass(frozen=True)
class Comparison:
    """For each target cost, the fewest iterations (and the learning rate) raw vs normalized."""

    normalized: dict[float, tuple[int | None, float]]  # None: not reached in max_iterations
    raw: dict[float, tuple[int | None, float]]
    max_iterations: int

    def ratio(self, target: float) -> tuple[float, bool]:
        """Raw / normalized iterations to ``target``, and whether it is only a lower bound."""
        raw, normalized = self.raw[target][0], self.normalized[target][0]
        bound = raw is None
        return (raw if raw is not None else self.max_iterations) / max(normalized or 1, 1), bound


def scaled_features(n_samples: int = 300, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (n, 2) with x1 uniform in [1, 1000] and x2 in [0, 1]; y = [x1/1000 + x2 + noise > 1]."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(1, 1000, n_samples), rng.uniform(0, 1, n_samples)])
    y = (X[:, 0] / 1000 + X[:, 1] + rng.normal(0, 0.1, n_samples) > 1).astype(np.int64)
    return X, y


def iterations_to_reach(
    X: np.ndarray,
    y: np.ndarray,
    *,
    targets: tuple[float, ...],
    learning_rate: float,
    max_iterations: int,
) -> dict[float, int | None]:
    """Steps of batch gradient descent (logistic regression from zero) until J <= each target."""
    model = MLP((X.shape[1], 1), init="zeros", seed=0)
    params, spec = model.params, model.spec
    A0, Y = model.columns(X), model.targets(y, len(X))
    reached: dict[float, int | None] = dict.fromkeys(targets)
    for iteration in range(max_iterations + 1):
        caches = network.forward(params, A0, spec)
        J = network.cost(params, caches[-1].Z, Y, spec)[0]
        for target in targets:
            if reached[target] is None and J <= target:
                reached[target] = iteration
        if None not in reached.values() or not np.isfinite(J) or J > 100:  # done, or diverged
            break
        grads = network.backward(params, caches, Y, spec)
        for name in params:
            params[name] -= learning_rate * grads[f"d{name}"]
    return reached


def compare(
    *, targets: tuple[float, ...] = TARGETS, max_iterations: int = 50_000, seed: int = 0
) -> Comparison:
    """The fewest iterations to each target over each grid of learning rates."""
    X, y = scaled_features(seed=seed)
    X_normalized = Standardizer().fit_transform(X)

    def best(data: np.ndarray, rates: tuple[float, ...]) -> dict[float, tuple[int | None, float]]:
        runs = {
            lr: iterations_to_reach(
                data, y, targets=targets, learning_rate=lr, max_iterations=max_iterations
            )
            for lr in rates
        }
        fastest = {}
        for target in targets:
            reached = [(run[target], lr) for lr, run in runs.items() if run[target] is not None]
            fastest[target] = min(reached) if reached else (None, rates[0])
        return fastest

    return Comparison(
        best(X_normalized, NORMALIZED_LEARNING_RATES), best(X, RAW_LEARNING_RATES), max_iterations
    )


def run(out: TextIO) -> int:
    result = compare()
    print(
        "Logistic regression by batch gradient descent on 300 examples with x1 in [1, 1000] and "
        "x2 in [0, 1]. Iterations until the cost J reaches a target, with the best learning rate "
        f"of {NORMALIZED_LEARNING_RATES} (normalized) and {RAW_LEARNING_RATES} (raw):\n",
        file=out,
    )
    print(f"{'target J':>9} {'normalized':>12} {'raw':>12} {'raw / normalized':>18}", file=out)
    ratios = []
    for target in result.normalized:
        ratio, bound = result.ratio(target)
        ratios.append(ratio)
        raw = result.raw[target][0]
        raw_text = f"{raw:,}" if raw is not None else f"> {result.max_iterations:,}"
        ratio_text = f"{'>= ' if bound else ''}{ratio:,.0f}×"
        print(
            f"{target:>9} {result.normalized[target][0]!s:>12} {raw_text:>12} {ratio_text:>18}",
            file=out,
        )
    print("\nNormalize inputs with statistics of the training data: (x - μ) / σ.", file=out)
    return 0 if min(ratios) > 10 else 1
