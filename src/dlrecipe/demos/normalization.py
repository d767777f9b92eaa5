"""Demo: why normalize inputs — gradient descent on features of scale 1–1000 and 0–1.

With one feature a thousand times larger than the other, the cost's contours are long thin
ellipses: a learning rate small enough not to diverge along the large feature crawls along
the small one. After standardization (μ, σ from the training data) the contours are round and
the same descent takes a handful of steps. Both runs get the best learning rate of a grid.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from ..data import Standardizer
from ..nn import network
from ..train import MLP
from .common import Folder, present

if TYPE_CHECKING:
    from ..report.page import Section

RAW_LEARNING_RATES = (1e-5, 2e-5, 4e-5, 8e-5)  # larger ones diverge on the raw features
NORMALIZED_LEARNING_RATES = (0.1, 0.3, 1.0)
DESCRIPTION = (
    "iterations of gradient descent to a given cost, and the cost's contours, with and without "
    "normalization"
)
TITLE = "Normalizing inputs"


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


@dataclass(frozen=True, eq=False)
class Contours:
    """J(w1, w2) of logistic regression near its optimum (b fixed at the optimum's), on raw or
    normalized features: the grid, the values, the optimum, a gradient-descent path from 0
    and the condition number of J's Hessian in (w1, w2) — how elongated the contours are."""

    label: str
    w1: np.ndarray  # (k,)
    w2: np.ndarray  # (k,)
    J: np.ndarray  # (k, k), J[i, j] at (w1[j], w2[i])
    optimum: np.ndarray  # (w1, w2, b)
    path: np.ndarray  # (steps + 1, 2): (w1, w2) after each step
    learning_rate: float
    condition_number: float


def _cost_and_gradient(X: np.ndarray, y: np.ndarray, theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Logistic regression's J and dJ/dθ at θ = (w1, w2, b); X (m, 2)."""
    z = X @ theta[:2] + theta[2]
    J = float(np.mean(np.logaddexp(0, z) - y * z))  # −y log σ(z) − (1−y) log(1−σ(z))
    residual = 0.5 * (1 + np.tanh(0.5 * z)) - y  # σ(z) − y
    return J, np.append(X.T @ residual, residual.sum()) / len(y)


def _gradient_descent(X: np.ndarray, y: np.ndarray, learning_rate: float, steps: int) -> np.ndarray:
    theta, path = np.zeros(3), [np.zeros(3)]
    for _ in range(steps):
        theta = theta - learning_rate * _cost_and_gradient(X, y, theta)[1]
        path.append(theta)
    return np.array(path)


def cost_contours(*, seed: int = 0, resolution: int = 121) -> tuple[Contours, Contours]:
    """The contours on normalized and on raw features; the raw optimum is the normalized one
    mapped back (w_raw = w / σ, b_raw = b − Σ w μ / σ), so both show the same classifier."""
    X, y = scaled_features(seed=seed)
    standardizer = Standardizer().fit(X)
    X_normalized = standardizer.transform(X)
    assert standardizer.mean is not None
    assert standardizer.std is not None
    mean, std = standardizer.mean, standardizer.std
    best = _gradient_descent(X_normalized, y, 1.0, 3000)[-1]
    optima = {
        "normalized": best,
        "raw": np.append(best[:2] / std, best[2] - np.sum(best[:2] * mean / std)),
    }
    settings = {"normalized": (X_normalized, 1.0, 20), "raw": (X, 8e-5, 2000)}
    results = []
    for label, (data, learning_rate, steps) in settings.items():
        optimum = optima[label]
        half = 1.5 * np.abs(optimum[:2]).max()
        w1 = np.linspace(optimum[0] - half, optimum[0] + half, resolution)
        w2 = np.linspace(optimum[1] - half, optimum[1] + half, resolution)
        J = np.array(
            [[_cost_and_gradient(data, y, np.array([a, b, optimum[2]]))[0] for a in w1] for b in w2]
        )
        p = 0.5 * (1 + np.tanh(0.5 * (data @ optimum[:2] + optimum[2])))
        hessian = (data * (p * (1 - p))[:, None]).T @ data / len(y)
        eigenvalues = np.linalg.eigvalsh(hessian)
        path = _gradient_descent(data, y, learning_rate, steps)[:, :2]
        results.append(
            Contours(
                label,
                w1,
                w2,
                J,
                optimum,
                path,
                learning_rate,
                float(eigenvalues[-1] / eigenvalues[0]),
            )
        )
    return results[0], results[1]


@dataclass(frozen=True, eq=False)
class NormalizationDemo:
    comparison: Comparison
    contours: tuple[Contours, Contours]  # normalized, raw


def compute() -> NormalizationDemo:
    return NormalizationDemo(compare(), cost_contours())


def summary(result: NormalizationDemo) -> str:
    comparison = result.comparison
    lines = [
        "Logistic regression by batch gradient descent on 300 examples with x1 in [1, 1000] and "
        "x2 in [0, 1]. Iterations until the cost J reaches a target, with the best learning rate "
        f"of {NORMALIZED_LEARNING_RATES} (normalized) and {RAW_LEARNING_RATES} (raw):",
        "",
        f"{'target J':>9} {'normalized':>12} {'raw':>12} {'raw / normalized':>18}",
    ]
    for target in comparison.normalized:
        ratio, bound = comparison.ratio(target)
        reached = comparison.raw[target][0]
        raw_text = f"{reached:,}" if reached is not None else f"> {comparison.max_iterations:,}"
        ratio_text = f"{'>= ' if bound else ''}{ratio:,.0f}×"
        lines.append(
            f"{target:>9} {comparison.normalized[target][0]!s:>12} {raw_text:>12} {ratio_text:>18}"
        )
    normalized, raw = result.contours
    lines += [
        "",
        "The shape of J in (w1, w2): the condition number of its Hessian (the ratio of the "
        f"steepest to the flattest curvature) is {raw.condition_number:,.0f} on the raw "
        f"features and {normalized.condition_number:.1f} after normalization — long thin "
        "ellipses against far rounder contours.",
        "",
        "Normalize inputs with statistics of the training data: (x - μ) / σ.",
    ]
    return "\n".join(lines)


def claims_hold(result: NormalizationDemo) -> bool:
    normalized, raw = result.contours
    ratios = [result.comparison.ratio(target)[0] for target in result.comparison.normalized]
    return min(ratios) > 10 and raw.condition_number > 1e4 * normalized.condition_number


def sections(result: NormalizationDemo) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    figure = figures.new_figure(2, width=9.0, height=4.4)
    for axes, contours in zip(figure.axes, result.contours, strict=True):
        J_min = contours.J.min()
        levels = J_min + (contours.J.max() - J_min) * np.geomspace(1e-3, 1, 12)
        axes.contour(contours.w1, contours.w2, contours.J, levels=levels, cmap="viridis")
        axes.plot(
            *contours.path.T,
            color="C3",
            marker=".",
            markersize=3,
            linewidth=1,
            label=f"gradient descent, α = {contours.learning_rate:g}",
        )
        axes.plot(*contours.optimum[:2], "k*", markersize=10, label="optimum")
        axes.set(
            xlabel="w1",
            ylabel="w2",
            aspect="equal",
            title=f"{contours.label} (condition number {contours.condition_number:,.3g})",
            xlim=(contours.w1[0], contours.w1[-1]),
            ylim=(contours.w2[0], contours.w2[-1]),
        )
        axes.legend(fontsize="small", loc="lower left")
    return [
        Section("Summary", summary(result), preformatted=True),
        Section(
            "Iterations to converge",
            "Gradient-descent steps until J reaches each target, each side with the best "
            "learning rate of its grid; a hatched bar did not get there within "
            f"{result.comparison.max_iterations:,} steps.",
            figures=[_iterations_figure(result.comparison)],
        ),
        Section(
            "Cost contours",
            "J(w1, w2) around the optimum, b fixed, the same window size on both axes. On raw "
            "features J is a thousand times steeper along w1 than along w2: gradient descent "
            f"({len(result.contours[1].path) - 1:,} steps) creeps down the valley, while on "
            f"normalized features {len(result.contours[0].path) - 1} steps head for the centre.",
            figures=[figure],
        ),
    ]


def _iterations_figure(comparison: Comparison) -> Any:
    from ..report import figures

    figure = figures.new_figure()
    axes = figure.axes[0]
    positions = np.arange(len(TARGETS))
    for offset, (label, side) in zip(
        (-0.2, 0.2), (("normalized", comparison.normalized), ("raw", comparison.raw)), strict=True
    ):
        reached = [side[t][0] for t in TARGETS]
        heights = [comparison.max_iterations if n is None else max(n, 1) for n in reached]
        bars = axes.bar(positions + offset, heights, width=0.4, label=label)
        for bar, n in zip(bars, reached, strict=True):
            if n is None:
                bar.set_hatch("//")
                bar.set_alpha(0.5)
    axes.set_xticks(positions, [f"J ≤ {t:g}" for t in TARGETS])
    axes.set(yscale="log", ylabel="iterations", title="Iterations to reach a cost")
    axes.legend()
    return figure


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
