"""GradientCheckCallback: a directional gradient check every few epochs of a training.

The textbook's advice — check the gradients again after some training, since a backward pass
can be right at the initial weights and wrong later (a ReLU unit that turns on, a penalty term
that grows with the weights) — as a callback for ``model.fit(callbacks=[...])``. Each check
compares a few directional derivatives (:func:`~dlrecipe.check.gradient_check_directions`:
about ``4 × n_directions`` forward passes and one backward pass), so it costs about as much as
a few training steps on the same examples.

A check whose difference exceeds ``threshold`` (1e-5, the top of the textbook's "look closer"
band) is a failure. Then the callback runs a sampled full check
(:func:`~dlrecipe.check.gradient_check` with ``sample=locate`` components per parameter) to
name the parameters whose gradient is wrong, records it, and by ``on_failure``:

* ``"warn"`` (the default): issues a :class:`GradientCheckWarning` and lets training go on;
* ``"stop"``: warns, and stops training after this epoch (``model.stop_training``) — the
  weights trained so far are kept, as with early stopping;
* ``"record"``: records the failure in :attr:`~GradientCheckCallback.records` and
  :attr:`~GradientCheckCallback.warnings` only.

It never raises: the callback protocol reserves raising for divergence.

The check runs on a float64 copy of the model with dropout off, along directions drawn from
``seed`` and the epoch, so it changes neither the weights nor the model's random generator:
a training gives the same weights with and without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..train.callbacks import Callback
from .directional import gradient_check_directions
from .gradient_check import gradient_check

if TYPE_CHECKING:
    from ..train.history import History
    from ..train.model import MLP

ON_FAILURE = ("warn", "stop", "record")


class GradientCheckWarning(UserWarning):
    """A gradient check during training found a backward pass that disagrees with J."""


@dataclass(frozen=True)
class GradientCheckRecord:
    """One check: after which epoch (from 0), its difference and whether it was flagged;
    for a flagged check, the parameters a sampled full check found wrong."""

    epoch: int
    difference: float
    noise_floor: float
    flagged: bool
    suspects: tuple[str, ...] = ()


class GradientCheckCallback(Callback):
    """Check the backward pass on ``(X, y)`` after every ``every``-th epoch.

    Epochs count from 0, so with ``every=5`` the checks follow epochs 4, 9, 14, …. Each check
    compares ``n_directions`` directional derivatives; :attr:`records` holds one
    :class:`GradientCheckRecord` per check and :attr:`warnings` one line per flagged check.
    ``on_failure`` says what a flagged check does (see the module); ``locate`` is the number
    of components per parameter of the full check that names the wrong parameters (0: none).
    After a stop, :attr:`stopped_epoch` is the epoch it stopped at.
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
        on_failure: str = "warn",
        locate: int = 20,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive number of epochs; got every={every!r}")
        if on_failure not in ON_FAILURE:
            raise ValueError(f"on_failure must be one of {ON_FAILURE}; got {on_failure!r}")
        if isinstance(locate, bool) or not isinstance(locate, int) or locate < 0:
            raise ValueError(f"locate must be a number of components >= 0; got {locate!r}")
        self.X, self.y = X, y
        self.every, self.n_directions = every, n_directions
        self.epsilon, self.threshold, self.seed = epsilon, threshold, seed
        self.on_failure, self.locate = on_failure, locate
        self.records: list[GradientCheckRecord] = []
        self.warnings: list[str] = []
        self.stopped_epoch: int | None = None
        self._loaded = False  # set by load_state: the next on_train_begin keeps the records

    @property
    def flagged(self) -> bool:
        """Whether any check so far exceeded the threshold."""
        return any(record.flagged for record in self.records)

    def on_train_begin(self, model: MLP, history: History) -> None:
        if not self._loaded:
            self.records, self.warnings, self.stopped_epoch = [], [], None
        self._loaded = False

    def on_epoch_end(self, model: MLP, epoch: int, logs: Mapping[str, float]) -> None:
        if (epoch + 1) % self.every:
            return
        checked = model.copy(keep_prob=1.0)
        result = gradient_check_directions(
            checked,
            self.X,
            self.y,
            n_directions=self.n_directions,
            epsilon=self.epsilon,
            seed=np.random.default_rng([self.seed, epoch]),
        )
        flagged = result.difference > self.threshold
        suspects: tuple[str, ...] = ()
        if flagged and self.locate:
            full = gradient_check(
                checked,
                self.X,
                self.y,
                sample=self.locate,
                seed=np.random.default_rng([self.seed, epoch]),
            )
            suspects = tuple(full.wrong_parameters())
        self.records.append(
            GradientCheckRecord(epoch, result.difference, result.noise_floor, flagged, suspects)
        )
        if not flagged:
            return
        where = (
            f"; a sampled full check points at {', '.join(suspects)}"
            if suspects
            else "; run dlrecipe.gradient_check on the model to locate the wrong parameter"
        )
        message = (
            f"epoch {epoch}: directional gradient check difference {result.difference:.2e} "
            f"exceeds {self.threshold:g} (verdict: {result.verdict}){where}"
        )
        if self.on_failure == "stop":
            model.stop_training = True
            self.stopped_epoch = epoch
            message += "; training stopped"
        self.warnings.append(message)
        if self.on_failure != "record":
            warnings.warn(message, GradientCheckWarning, stacklevel=2)

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {
            "records": [
                [r.epoch, r.difference, r.noise_floor, r.flagged, list(r.suspects)]
                for r in self.records
            ],
            "warnings": list(self.warnings),
            "stopped_epoch": self.stopped_epoch,
        }

    def load_state(self, arrays: Mapping[str, np.ndarray], values: Mapping[str, Any]) -> None:
        self.records = [
            GradientCheckRecord(
                int(e), float(d), float(f), bool(g), tuple(map(str, rest[0] if rest else ()))
            )
            for e, d, f, g, *rest in values.get("records", [])
        ]
        self.warnings = list(values.get("warnings", []))
        stopped = values.get("stopped_epoch")
        self.stopped_epoch = None if stopped is None else int(stopped)
        self._loaded = True
