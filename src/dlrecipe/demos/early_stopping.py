"""Demo: early stopping — dev error turns up while training error keeps falling.

A 2-50-50-1 ReLU network without regularization is trained by Adam (α = 0.01, full batch) on
200 examples of the noisy data (one label in ten flipped) for 1,500 epochs, with the dev
set's cost and error measured after each epoch. Training error falls all the way (the network
learns the flipped labels too); dev error falls, then turns up. The same training with
:class:`~dlrecipe.EarlyStopping` (watching the dev loss, patience 100) stops 100 epochs
after the best epoch and restores the best weights: the same network as the long run had at
that epoch, bit for bit, because the two trainings are identical up to there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from ..data import noisy
from ..train import MLP, EarlyStopping, History
from .common import Folder, percent, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = "dev error turns up while training error keeps falling; where early stopping stops"
TITLE = "Early stopping"
LAYER_SIZES = (2, 50, 50, 1)
PATIENCE = 100


@dataclass(frozen=True, eq=False)
class EarlyStoppingResult:
    long: History  # trained for all epochs, no early stopping
    stopped: History  # the same training with EarlyStopping
    stopped_dev_error: float  # of the restored (best) weights
    epochs: int

    @property
    def best(self) -> int:
        """The epoch early stopping chose (0-based)."""
        assert self.stopped.best_epoch is not None
        return self.stopped.best_epoch


def compute(*, epochs: int = 1_500, seed: int = 0) -> EarlyStoppingResult:
    X, y = noisy(200, seed=seed)
    X_dev, y_dev = noisy(1_000, seed=seed + 1)
    histories, models = [], []
    for callbacks in ([], [EarlyStopping(patience=PATIENCE)]):
        model = MLP(LAYER_SIZES, seed=seed)
        history = model.fit(
            X,
            y,
            epochs=epochs,
            learning_rate=0.01,
            optimizer="adam",
            batch_size=None,
            dev=(X_dev, y_dev),
            callbacks=callbacks,
            progress=False,
        )
        histories.append(history)
        models.append(model)
    dev_error = models[1].evaluate(X_dev, y_dev)["error"]
    return EarlyStoppingResult(histories[0], histories[1], dev_error, epochs)


def summary(result: EarlyStoppingResult) -> str:
    long, best = result.long, result.best
    rows = [["epoch", "train error", "dev error", "dev loss"]]
    for label, epoch in (("best", best), ("last", len(long) - 1)):
        rows.append(
            [
                f"{epoch + 1:,} ({label})",
                percent(long.error[epoch]),
                percent(long.dev_error[epoch]),
                f"{long.dev_loss[epoch]:.4f}",
            ]
        )
    assert result.stopped.stopped_epoch is not None
    return "\n".join(
        [
            f"A {'-'.join(map(str, LAYER_SIZES))} ReLU network, Adam, on 200 noisy examples "
            f"(1,000 for dev), {result.epochs:,} epochs:",
            "",
            table(rows),
            "",
            f"Training error keeps falling while dev error turns up after epoch {best + 1}. "
            f"Early stopping (dev loss, patience {PATIENCE}) stopped at epoch "
            f"{result.stopped.stopped_epoch + 1} and restored the weights of epoch {best + 1}: "
            f"dev error {percent(result.stopped_dev_error)} instead of "
            f"{percent(long.dev_error[-1])} after all {result.epochs:,} epochs.",
        ]
    )


def claims_hold(result: EarlyStoppingResult) -> bool:
    long, best, stopped = result.long, result.best, result.stopped
    return bool(
        best == int(np.argmin(long.dev_loss[: len(stopped)]))
        and stopped.stopped_epoch == best + PATIENCE
        and long.dev_error[-1] > long.dev_error[best] + 0.02  # dev error turned up
        and long.error[-1] < long.error[best] - 0.02  # while training error kept falling
        and result.stopped_dev_error == long.dev_error[best]  # the best weights, restored
    )


def sections(result: EarlyStoppingResult) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    marked = History.from_state(result.long.to_state())  # a copy: the marks are the report's
    marked.best_epoch, marked.stopped_epoch = result.best, result.stopped.stopped_epoch
    return [
        Section("Summary", summary(result), preformatted=True),
        Section(
            "Train and dev error per epoch",
            "The whole training, with where early stopping found the best dev loss (dashed) and "
            "where its patience ran out (dotted).",
            figures=[figures.error_curves(marked), figures.cost_curve(marked)],
        ),
    ]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
