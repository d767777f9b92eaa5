"""Demo: regularization — none vs L2 vs dropout on the noisy data, and why L2 helps with tanh.

The noisy data set has one label in ten flipped, so no model should do better than about 10%
on new data. A 2-40-20-1 ReLU network without regularization bends its boundary around the
flipped points: a few percent training error, far more on dev. L2 (λ = 0.7) and dropout
(keep_prob = 0.8 in the hidden layers) keep the boundary smooth and close the gap.

The lecture's intuition for L2: a larger λ pushes W[l] towards 0, so Z[l] = W[l] A[l-1] + b[l]
stays small, and in tanh's range |z| < 1 the unit is almost linear — a network of nearly
linear units can only draw simple boundaries. Measured here as the share of the hidden
layers' Z entries with |z| < 1 after training, for λ from 0 to 10.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from ..data import noisy
from ..nn import network
from ..train import MLP
from .common import Folder, percent, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = "no regularization vs L2 vs dropout on noisy data; λ keeps tanh units near-linear"
TITLE = "Regularization: none, L2, dropout"
LAYER_SIZES = (2, 40, 20, 1)
SETTINGS = {  # label -> MLP keyword arguments
    "no regularization": {},
    "L2 (λ = 0.7)": {"l2": 0.7},
    "dropout (keep_prob = 0.8)": {"keep_prob": 0.8},
}
LAMBDAS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)


@dataclass(frozen=True, eq=False)
class RegularizedRun:
    label: str
    train_error: float
    dev_error: float
    model: MLP

    @property
    def gap(self) -> float:
        """Dev error − train error: the variance."""
        return self.dev_error - self.train_error


@dataclass(frozen=True, eq=False)
class LinearRegime:
    """For each λ, the share of hidden-layer Z entries with |z| < 1 after training (tanh)."""

    lambdas: np.ndarray
    linear_share: np.ndarray
    train_errors: np.ndarray


@dataclass(frozen=True, eq=False)
class RegularizationResult:
    runs: dict[str, RegularizedRun]
    regime: LinearRegime
    train: tuple[np.ndarray, np.ndarray]
    dev: tuple[np.ndarray, np.ndarray]
    epochs: int


def data(seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """200 training and 1,000 dev examples of the noisy data (10% of the labels flipped)."""
    return noisy(200, seed=seed), noisy(1000, seed=seed + 1)


def _fit(model: MLP, X: np.ndarray, y: np.ndarray, epochs: int) -> MLP:
    """Adam, α = 0.01, full batch: fast and steady on 200 examples."""
    model.fit(
        X, y, epochs=epochs, learning_rate=0.01, optimizer="adam", batch_size=None, progress=False
    )
    return model


def compute(*, epochs: int = 3000, seed: int = 0) -> RegularizationResult:
    """Train the network under each of :data:`SETTINGS` (Adam, α = 0.01, full batch)."""
    (X, y), (X_dev, y_dev) = data(seed)
    runs = {}
    for label, settings in SETTINGS.items():
        model = _fit(MLP(LAYER_SIZES, seed=0, **settings), X, y, epochs)  # type: ignore[arg-type]
        runs[label] = RegularizedRun(
            label, model.evaluate(X, y)["error"], model.evaluate(X_dev, y_dev)["error"], model
        )
    return RegularizationResult(runs, linear_regime(X, y), (X, y), (X_dev, y_dev), epochs)


def linear_regime(
    X: np.ndarray, y: np.ndarray, *, lambdas: tuple[float, ...] = LAMBDAS, epochs: int = 2000
) -> LinearRegime:
    """Train a tanh network for each λ and measure how much of Z[l] lies in |z| < 1."""
    shares, errors = [], []
    for lambd in lambdas:
        model = MLP(LAYER_SIZES, hidden_activation="tanh", init="xavier", l2=lambd, seed=0)
        _fit(model, X, y, epochs)
        hidden = network.forward(model.params, model.columns(X), model.spec)[:-1]
        Z = np.concatenate([cache.Z.ravel() for cache in hidden])
        shares.append(float(np.mean(np.abs(Z) < 1)))
        errors.append(model.evaluate(X, y)["error"])
    return LinearRegime(np.array(lambdas), np.array(shares), np.array(errors))


def summary(result: RegularizationResult) -> str:
    rows = [["", "train error", "dev error", "dev − train"]]
    for run in result.runs.values():
        rows.append([run.label, percent(run.train_error), percent(run.dev_error), percent(run.gap)])
    regime = result.regime
    lambda_rows = [["λ", "|z| < 1", "train error"]]
    for lambd, share, error in zip(
        regime.lambdas, regime.linear_share, regime.train_errors, strict=True
    ):
        lambda_rows.append([f"{lambd:g}", percent(share), percent(error)])
    _X, y = result.train
    return "\n".join(
        [
            f"A {'-'.join(map(str, LAYER_SIZES))} ReLU network, Adam (α = 0.01, {result.epochs:,} "
            f"full-batch iterations), {len(y)} training and {len(result.dev[1]):,} dev examples "
            "of the noisy data (10% of the labels flipped: about 10% error is the best possible):",
            "",
            table(rows),
            "",
            "Without regularization the network learns the flipped labels: low training error, "
            "high dev error. L2 and dropout trade a little training error for much less variance.",
            "",
            "The same network with tanh units: the share of the hidden layers' Z in tanh's "
            "near-linear range |z| < 1, after training with each λ:",
            "",
            table(lambda_rows),
            "",
            "The larger λ, the smaller W and Z, the more linear each unit, the simpler the "
            "function: with λ = 10 the network under-fits.",
        ]
    )


def claims_hold(result: RegularizationResult) -> bool:
    none = result.runs["no regularization"]
    others = [run for label, run in result.runs.items() if label != "no regularization"]
    return (
        none.gap > 0.1
        and all(run.gap < 0.05 and run.dev_error < none.dev_error for run in others)
        and bool(np.all(np.diff(result.regime.linear_share) > 0))
    )


def sections(result: RegularizationResult) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    boundaries = []
    for run in result.runs.values():
        figure = figures.decision_boundary(run.model, *result.train)
        figure.axes[0].set_title(
            f"{run.label}\ntrain {percent(run.train_error)}, dev {percent(run.dev_error)} error",
            fontsize="medium",
        )
        boundaries.append(figure)
    regime = result.regime
    share = figures.new_figure()
    axes = share.axes[0]
    axes.plot(regime.lambdas, regime.linear_share, marker="o", label="share of |z| < 1")
    axes.plot(regime.lambdas, regime.train_errors, marker="s", linestyle="--", label="train error")
    axes.set_xscale("symlog", linthresh=float(regime.lambdas[regime.lambdas > 0].min()))
    axes.set(xlabel="λ", ylabel="fraction", ylim=(0, 1.05), title="tanh units: Z near 0")
    axes.legend()
    return [
        Section("Summary", summary(result), preformatted=True),
        Section(
            "Decision boundaries",
            "The unregularized network draws islands around flipped labels; L2 and dropout "
            "draw the smooth curve that generated the data.",
            figures=boundaries,
        ),
        Section(
            "Larger λ, more linear units",
            "The share of hidden-layer Z entries in tanh's near-linear range, by λ.",
            figures=[share],
        ),
    ]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
