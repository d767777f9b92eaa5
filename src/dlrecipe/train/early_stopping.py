"""Early stopping: stop when the dev metric has not improved for ``patience`` epochs.

The textbook's orthogonalization caveat applies: early stopping couples two knobs — fitting
the training set and not overfitting it — that L2 or dropout keep apart. It is still the
cheapest regularizer there is, and this callback makes it safe to use: the model ends with
the weights of its best epoch on dev, not of the epoch where the patience ran out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..validation import is_integer
from .callbacks import Callback

if TYPE_CHECKING:
    from .history import History
    from .model import MLP

# Every accepted metric is minimized: a loss, a cost or an error rate.
MONITORS = ("dev_loss", "dev_error", "dev_cost", "loss", "cost", "error")


class EarlyStopping(Callback):
    """Stop training after ``patience`` epochs in a row without improvement on ``monitor``.

    Parameters
    ----------
    monitor
        The logged metric to minimize: ``"dev_loss"`` (default), ``"dev_error"``,
        ``"dev_cost"``, or the training ``"loss"``, ``"cost"``, ``"error"``. The dev metrics
        exist only when ``fit`` is given ``dev=(X_dev, y_dev)``.
    patience
        How many epochs in a row without improvement stop training (an integer >= 1).
    min_delta
        An epoch improves when its value is below ``best - min_delta``; smaller gains count
        as no improvement.
    warmup
        Epochs ``0 … warmup-1`` never count toward ``patience`` and never stop training, since
        early in training the dev metric is noisy. Their values still compete for the best
        epoch: if the weights of a warm-up epoch are the best on dev, they are the ones
        restored. (Keras's ``start_from_epoch`` ignores those epochs altogether.)
    restore_best
        At the end of training, write the weights of the best epoch back into
        ``model.params`` (in place). Keras defaults to ``restore_best_weights=False``; here
        the default is True, because after ``patience`` epochs without improvement the last
        weights are, by construction, no better on dev than the best ones — keeping them
        throws away exactly what early stopping is for. With False the model keeps its last
        weights, and ``history.best_epoch`` still names the best epoch.

    After training, ``history.stopped_epoch`` is the epoch (counted from 0) at which it
    stopped (None if it ran all its epochs) and ``history.best_epoch`` the best one.
    """

    def __init__(
        self,
        *,
        monitor: str = "dev_loss",
        patience: int = 10,
        min_delta: float = 0.0,
        warmup: int = 0,
        restore_best: bool = True,
    ) -> None:
        if monitor not in MONITORS:
            raise ValueError(f"unknown monitor {monitor!r}; expected one of {list(MONITORS)}")
        if not is_integer(patience) or patience < 1:
            raise ValueError(f"patience must be an integer >= 1; got patience={patience!r}")
        if not _is_real(min_delta) or not (math.isfinite(min_delta) and min_delta >= 0):
            raise ValueError(
                f"min_delta must be a finite number >= 0; got min_delta={min_delta!r}. "
                "Use 0.0 to count every decrease as an improvement."
            )
        if not is_integer(warmup) or warmup < 0:
            raise ValueError(
                f"warmup must be an integer >= 0; got warmup={warmup!r}. Use 0 for none."
            )
        if not isinstance(restore_best, bool):
            raise ValueError(
                f"restore_best must be True or False; got restore_best={restore_best!r}"
            )
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.warmup = int(warmup)
        self.restore_best = restore_best
        self._reset()
        self._loaded = False  # set by load_state: the next on_train_begin keeps the state
        self._history: History | None = None

    def _reset(self) -> None:
        self.best = math.inf
        self.best_epoch: int | None = None
        self.best_params: dict[str, np.ndarray] = {}
        self.wait = 0  # epochs since the last improvement, warm-up epochs not counted
        self.stopped_epoch: int | None = None

    def on_train_begin(self, model: MLP, history: History) -> None:
        if not self._loaded:
            self._reset()
        self._loaded = False
        self._history = history

    def on_epoch_end(self, model: MLP, epoch: int, logs: Mapping[str, float]) -> None:
        value = logs.get(self.monitor)
        if value is None or math.isnan(value):
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, but epoch {epoch + 1} has "
                f"{'no such value' if value is None else 'NaN'} in its logs. "
                + (
                    "Dev metrics are measured only with dev data: pass dev=(X_dev, y_dev) to fit."
                    if self.monitor.startswith("dev_")
                    else f"Monitor one of {list(MONITORS)} that the loop logs."
                )
            )
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            # Copies: the optimizer updates model.params in place.
            self.best_params = {name: p.copy() for name, p in model.params.items()}
        elif epoch >= self.warmup:
            self.wait += 1
        if epoch >= self.warmup and self.wait >= self.patience:
            model.stop_training = True
            self.stopped_epoch = epoch
            assert self._history is not None, "on_train_begin was not called"
            self._history.stopped_epoch = epoch

    def on_train_end(self, model: MLP, history: History) -> None:
        if self.best_epoch is None:
            return
        history.best_epoch = self.best_epoch
        if self.restore_best:
            for name, best in self.best_params.items():
                model.params[name][...] = best  # in place: the optimizer holds these arrays

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Best weights as ``{"best/W1": …}``; best value (None for none yet), epoch and wait."""
        arrays = {
            f"best/{name}": p for name, p in self.best_params.items()
        }  # never changed in place
        values = {
            "monitor": self.monitor,
            "best": None if math.isinf(self.best) else self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
        }
        return arrays, values

    def load_state(self, arrays: Mapping[str, np.ndarray], values: Mapping[str, Any]) -> None:
        """Take back what :meth:`state` returned; the next ``on_train_begin`` keeps it."""
        monitor = values.get("monitor", self.monitor)
        if monitor != self.monitor:
            raise ValueError(
                f"the checkpoint's early stopping monitored {monitor!r}, this one monitors "
                f"{self.monitor!r}; resume with EarlyStopping(monitor={monitor!r})"
            )
        self.best = math.inf if values["best"] is None else float(values["best"])
        self.best_epoch = None if values["best_epoch"] is None else int(values["best_epoch"])
        self.wait = int(values["wait"])
        self.best_params = {key.removeprefix("best/"): np.array(a) for key, a in arrays.items()}
        self.stopped_epoch = None
        self._loaded = True


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
