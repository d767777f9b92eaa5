"""A one-line progress bar for training, redrawn in place with a carriage return.

    epoch 120/1000 [#---------] 12% cost 0.3412 dev error 4.5% 0:00:03 left

The dev part appears only when the logs hold a dev error. For a classifier the error is the
fraction misclassified, shown as a percentage; for a regressor it is the mean squared error,
shown with 4 significant digits. The time left is the mean time per epoch so far (in this
call to ``fit``) times the epochs still to run; the last line says how long training took.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from .callbacks import Callback

if TYPE_CHECKING:
    from .history import History
    from .model import MLP

MAX_WIDTH = 100  # characters; longer lines wrap on narrow terminals and break the redraw
BAR_WIDTH = 10


class ProgressBar(Callback):
    """Draw the training progress on ``stream`` (standard error by default).

    Parameters
    ----------
    total
        The number of epochs of the whole training (epochs are counted from 0 in the logs and
        shown from 1).
    stream
        Where to draw; None for ``sys.stderr``.
    min_interval
        Seconds between redraws at least; the first epoch and the last (also the one where
        training stopped early, at ``on_train_end``) are always drawn.
    """

    def __init__(
        self, *, total: int, stream: TextIO | None = None, min_interval: float = 0.1
    ) -> None:
        if isinstance(total, bool) or not isinstance(total, numbers.Integral) or total < 1:
            raise ValueError(
                f"total must be an integer >= 1 (the number of epochs); got total={total!r}"
            )
        if (
            isinstance(min_interval, bool)
            or not isinstance(min_interval, int | float)
            or not min_interval >= 0  # NaN too
        ):
            raise ValueError(
                f"min_interval must be a number of seconds >= 0; got min_interval={min_interval!r}"
            )
        self.total: int = int(total)
        self.stream: TextIO = sys.stderr if stream is None else stream
        self.min_interval: float = float(min_interval)
        self._reset(start=0)

    @staticmethod
    def wanted(stream: TextIO | None = None) -> bool:
        """True when ``stream`` (default ``sys.stderr``) is a terminal that can redraw a line."""
        stream = sys.stderr if stream is None else stream
        if stream is None or os.environ.get("TERM") == "dumb":
            return False
        isatty = getattr(stream, "isatty", None)
        return bool(isatty is not None and isatty())

    def _reset(self, *, start: int) -> None:
        self.start = start  # epochs already done before this call to fit (resuming)
        self.began = time.monotonic()
        self.last_draw: float | None = None
        self.width = 0  # length of the line on screen, to clear it when the next is shorter
        self.last: tuple[int, dict[str, float], bool] | None = None  # epoch, logs, classifier
        self.final_drawn = False

    def on_train_begin(self, model: MLP, history: History) -> None:
        self._reset(start=len(history))

    def on_epoch_end(self, model: MLP, epoch: int, logs: Mapping[str, float]) -> None:
        now = time.monotonic()
        self.last = (epoch, dict(logs), model.is_classifier)
        final = epoch + 1 == self.total
        if final or self.last_draw is None or now - self.last_draw >= self.min_interval:
            self._draw(self.line(epoch, logs, now=now, classifier=model.is_classifier, final=final))
            self.last_draw, self.final_drawn = now, final

    def on_train_end(self, model: MLP, history: History) -> None:
        if self.last is not None and not self.final_drawn:
            # Stopped early (or throttled): redraw the last epoch with the time training took.
            epoch, logs, classifier = self.last
            self._draw(
                self.line(epoch, logs, now=time.monotonic(), classifier=classifier, final=True)
            )
        if self.width:
            self.stream.write("\n")
            self.stream.flush()

    def line(
        self, epoch: int, logs: Mapping[str, float], *, now: float, classifier: bool, final: bool
    ) -> str:
        """The text for ``epoch`` (0-based), at most ``MAX_WIDTH`` characters."""
        done = epoch + 1
        filled = min(BAR_WIDTH, done * BAR_WIDTH // self.total)
        parts = [
            f"epoch {done}/{self.total}",
            f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}]",
            f"{min(100, done * 100 // self.total)}%",
        ]
        if "cost" in logs:
            parts.append(f"cost {logs['cost']:.4g}")
        dev_error = logs.get("dev_error", math.nan)
        if not math.isnan(dev_error):
            parts.append(
                f"dev error {100 * dev_error:.4g}%" if classifier else f"dev error {dev_error:.4g}"
            )
        elapsed = now - self.began
        if final:
            parts.append(f"done in {format_seconds(elapsed)}")
        else:
            per_epoch = elapsed / max(1, done - self.start)
            parts.append(f"{format_seconds(per_epoch * (self.total - done))} left")
        return " ".join(parts)[:MAX_WIDTH]

    def _draw(self, line: str) -> None:
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)


def format_seconds(seconds: float) -> str:
    """``H:MM:SS``, rounded to the second: 3.4 → ``"0:00:03"``, 3725 → ``"1:02:05"``."""
    if not math.isfinite(seconds):
        return "?:??:??"
    minutes, secs = divmod(round(max(0.0, seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
