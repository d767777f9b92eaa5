"""Demo: initialization — zeros, large random weights (×10) and He on the circles data.

The course's experiment: a 2-10-5-1 ReLU network trained by batch gradient descent
(α = 0.01, 15,000 iterations) from three starting points.

* zeros: every hidden unit computes the same function and gets the same gradient (with ReLU,
  none at all), so the units stay identical and the network predicts one class: 50%.
* random × 10: the first cost is huge (a confidently wrong sigmoid costs about |z|), and the
  saturated, exploded network trains slowly to a poor boundary.
* He (Var(W[l]) = 2/n[l-1]): the cost starts near log 2 and the network fits the circles.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from .. import initializers
from ..data import circles
from ..train import MLP
from .common import Folder, percent, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = "zeros vs large random (×10) vs He initialization of a 2-10-5-1 network on circles"
TITLE = "Initialization: zeros, large random, He"
LAYER_SIZES = (2, 10, 5, 1)
SCHEMES = {
    "zeros": initializers.zeros(),
    "random ×10": initializers.random(scale=10),
    "he": initializers.he(),
}


@dataclass(frozen=True, eq=False)
class InitRun:
    """One initialization, trained: its cost per epoch, accuracies and the trained model."""

    scheme: str
    costs: np.ndarray  # (epochs,)
    train_accuracy: float
    test_accuracy: float
    identical_units: bool  # every hidden layer's units (rows of W[l], b[l]) are identical
    seconds: float
    model: MLP


@dataclass(frozen=True, eq=False)
class InitComparison:
    runs: dict[str, InitRun]
    epochs: int
    learning_rate: float
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def compute(
    *,
    epochs: int = 15_000,
    learning_rate: float = 0.01,
    n_train: int = 300,
    n_test: int = 100,
    seed: int = 4,
) -> InitComparison:
    """Train the network from each initialization of :data:`SCHEMES` on the same data.

    The circles are the course's (``make_circles(noise=0.05)``: radii 1 and 0.8); the inputs
    are used as they are, without normalization, as in the course.
    """
    X, y = circles(n_train, noise=0.05, factor=0.8, seed=seed)
    X_test, y_test = circles(n_test, noise=0.05, factor=0.8, seed=seed + 1)
    runs = {}
    for scheme, init in SCHEMES.items():
        model = MLP(LAYER_SIZES, hidden_activation="relu", init=init, seed=seed)
        began = time.perf_counter()
        history = model.fit(
            X,
            y,
            epochs=epochs,
            learning_rate=learning_rate,
            optimizer="gd",
            batch_size=None,
            normalize=False,
            progress=False,
        )
        seconds = time.perf_counter() - began
        hidden = range(1, model.n_layers)
        identical = all(
            np.ptp(model.params[f"{p}{l}"], axis=0).max() == 0 for l in hidden for p in "Wb"
        )
        runs[scheme] = InitRun(
            scheme=scheme,
            costs=history.cost,
            train_accuracy=1 - model.evaluate(X, y)["error"],
            test_accuracy=1 - model.evaluate(X_test, y_test)["error"],
            identical_units=identical,
            seconds=seconds,
            model=model,
        )
    return InitComparison(runs, epochs, learning_rate, (X, y), (X_test, y_test))


def summary(result: InitComparison) -> str:
    rows = [["initialization", "first cost", "final cost", "train", "test", "units", "time"]]
    for run in result.runs.values():
        rows.append(
            [
                run.scheme,
                f"{run.costs[0]:.4g}",
                f"{run.costs[-1]:.4g}",
                percent(run.train_accuracy),
                percent(run.test_accuracy),
                "identical" if run.identical_units else "differ",
                f"{run.seconds:.1f} s",
            ]
        )
    seconds = sum(run.seconds for run in result.runs.values())
    per_epoch = seconds / (len(result.runs) * result.epochs)
    return "\n".join(
        [
            f"A {'-'.join(map(str, LAYER_SIZES))} ReLU network, batch gradient descent "
            f"(α = {result.learning_rate}, {result.epochs:,} iterations) on "
            f"{len(result.train[1])} training / {len(result.test[1])} test examples of the "
            "circles data:",
            "",
            table(rows),
            "",
            f"{1e6 * per_epoch:.0f} µs per iteration. Zeros never break the symmetry: the hidden "
            "units stay identical and the network is no better than chance. Large random weights "
            "start with a huge cost and train slowly. He initialization fits the circles.",
        ]
    )


def claims_hold(result: InitComparison) -> bool:
    zeros, large, he = result.runs["zeros"], result.runs["random ×10"], result.runs["he"]
    return (
        zeros.identical_units
        and zeros.train_accuracy == 0.5
        and large.costs[0] > 100
        and he.train_accuracy >= 0.97
        and he.test_accuracy >= 0.93
        and he.train_accuracy > large.train_accuracy
    )


def sections(result: InitComparison) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    curves = figures.new_figure()
    axes = curves.axes[0]
    for run in result.runs.values():
        axes.plot(np.arange(1, len(run.costs) + 1), run.costs, label=run.scheme)
    axes.set(xlabel="iteration", ylabel="cost J", yscale="log", title="Cost per iteration")
    axes.legend()
    boundaries = []
    for run in result.runs.values():
        figure = figures.decision_boundary(run.model, *result.train, *result.test)
        figure.axes[0].set_title(
            f"{run.scheme}: train {percent(run.train_accuracy)}, test {percent(run.test_accuracy)}"
        )
        boundaries.append(figure)
    return [
        Section("Summary", summary(result), preformatted=True),
        Section(
            "Cost during training",
            "The cost J per iteration on a log axis. Zeros stay at log 2 = 0.693; large random "
            "weights start hundreds of times higher and creep down; He falls steadily.",
            figures=[curves],
        ),
        Section(
            "Decision boundaries",
            "Training examples are dots, test examples crosses (the legend calls them dev).",
            figures=boundaries,
        ),
    ]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
