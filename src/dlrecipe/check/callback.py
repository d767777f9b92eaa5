"""GradientCheckCallback: a directional gradient check every few epochs of a training.

It records, never raises: a check whose difference exceeds ``threshold`` (1e-5, the top of the
textbook's "look closer" band) is kept in :attr:`GradientCheckCallback.warnings` and flagged
in its record, and training goes on. A gradient check that fails halfway through a long
training is a finding to report, not a reason to throw the training away, and the callback
protocol reserves raising for divergence.

The check runs on a float64 copy of the model with dropout off, along directions drawn from
``seed`` and the epoch, so it changes neither the weights nor the model's random generator:
a training gives the same weights with and without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..train.callbacks import Callback
from .directional import gradient_check_directions

if TYPE_CHECKING:
    from ..train.history import History
    from ..train.model import MLP


@dataclass(frozen=True)
class GradientCheckRecord:
    """One check: after which epoch (from 0), its difference and whether it was flagged."""

    epoch: int
    difference: float
    noise_floor: float
    flagged: bool


class GradientCheckCallback(Callback):
    """Check the backward pass on ``(X, y)`` after every ``every``-th epoch.

    Epochs count from 0, so with ``every=5`` the checks follow epochs 4, 9, 14, …. Each check
    compares ``n_directions`` directional derivatives (see
    :func:`~dlrecipe.check.gradient_check_directions`); :attr:`records` holds one
    :class:`GradientCheckRecord` per check and :attr:`warnings` one line per flagged check.
    """

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        every: int = 10,
        n_directions: int = 3,
        epsilon: float = 1e-6,
        threshold: float = 1e-5,
        seed: int = 0,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive number of epochs; got every={every!r}")
        self.X, self.y = X, y
        self.every, self.n_directions = every, n_directions
        self.epsilon, self.threshold, self.seed = epsilon, threshold, seed
        self.records: list[GradientCheckRecord] = []
        self.warnings: list[str] = []
        self._loaded = False  # set by load_state: the next on_train_begin keeps the records

    @property
    def flagged(self) -> bool:
        """Whether any check so far exceeded the threshold."""
        return any(record.flagged for record in self.records)

    def on_train_begin(self, model: MLP, history: History) -> None:
        if not self._loaded:
            self.records, self.warnings = [], []
        self._loaded = False

    def on_epoch_end(self, model: MLP, epoch: int, logs: Mapping[str, float]) -> None:
        if (epoch + 1) % self.every:
            return
        result = gradient_check_directions(
            model.copy(keep_prob=1.0),
            self.X,
            self.y,
            n_directions=self.n_directions,
            epsilon=self.epsilon,
            seed=np.random.default_rng([self.seed, epoch]),
        )
        flagged = result.difference > self.threshold
        self.records.append(
            GradientCheckRecord(epoch, result.difference, result.noise_floor, flagged)
        )
        if flagged:
            self.warnings.append(
                f"epoch {epoch}: directional gradient check difference {result.difference:.2e} "
                f"exceeds {self.threshold:g}; run dlrecipe.gradient_check on the model to "
                "locate the wrong parameter"
            )

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {
            "records": [[r.epoch, r.difference, r.noise_floor, r.flagged] for r in self.records],
            "warnings": list(self.warnings),
        }

    def load_state(self, arrays: Mapping[str, np.ndarray], values: Mapping[str, Any]) -> None:
        self.records = [
            GradientCheckRecord(int(e), float(d), float(f), bool(g))
            for e, d, f, g in values.get("records", [])
        ]
        self.warnings = list(values.get("warnings", []))
        self._loaded = True
