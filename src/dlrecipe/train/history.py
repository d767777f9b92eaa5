"""History: what happened in every epoch, named so that the right curve gets plotted.

The textbook's warning: when debugging gradient descent, plot the cost J *including* the
regularization penalty — that is the quantity gradient descent decreases monotonically. So
``cost`` is that J, and the penalty-free data loss is called ``loss``; nothing is called
"loss" that includes the penalty.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .callbacks import LOG_KEYS

COLUMNS = ("epoch", *LOG_KEYS)
_NOT_MEASURED = dict.fromkeys(LOG_KEYS, math.nan)


class History:
    """Per-epoch logs, plus where early stopping stopped and which epoch was best.

    ``history.cost`` (and ``loss``, ``error``, ``dev_loss``, …) is an array with one value per
    epoch (NaN where a value was not measured, e.g. dev metrics without dev data).
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []
        self.stopped_epoch: int | None = None  # set by early stopping when it stops training
        self.best_epoch: int | None = None  # early stopping's best epoch (restored by default)

    def append(self, epoch: int, logs: Mapping[str, float]) -> None:
        row: dict[str, float] = {"epoch": epoch, **_NOT_MEASURED}
        for key, value in logs.items():
            if key in _NOT_MEASURED:  # the logged quantities; other keys are not recorded
                row[key] = float(value)
        self.rows.append(row)

    @property
    def epochs(self) -> np.ndarray:
        return np.array([row["epoch"] for row in self.rows], dtype=np.int64)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in LOG_KEYS:
            return np.array([row[name] for row in self.rows], dtype=np.float64)
        raise AttributeError(f"History has no {name!r}; it records {list(COLUMNS)}")

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_dev(self) -> bool:
        return any(not math.isnan(row["dev_loss"]) for row in self.rows)

    def to_csv(self) -> str:
        """The rows as CSV text with a header, full float precision (``repr``).

        The ``epoch`` column counts from 1, as people (and the messages) count epochs; in
        Python, ``history.epochs``, ``best_epoch`` and ``stopped_epoch`` are 0-based indices.
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow([int(row["epoch"]) + 1] + [repr(row[key]) for key in LOG_KEYS])
        return out.getvalue()

    def to_state(self) -> dict[str, Any]:
        """JSON-serializable: rows (NaN as None), stopped and best epoch."""
        rows = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in self.rows
        ]
        return {"rows": rows, "stopped_epoch": self.stopped_epoch, "best_epoch": self.best_epoch}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> History:
        history = cls()
        for row in state["rows"]:
            history.rows.append({k: math.nan if v is None else float(v) for k, v in row.items()})
            history.rows[-1]["epoch"] = int(row["epoch"])
        history.stopped_epoch = state.get("stopped_epoch")
        history.best_epoch = state.get("best_epoch")
        return history

    def extend(self, rows: Iterable[Mapping[str, float]]) -> None:
        self.rows.extend(dict(row) for row in rows)

    def __repr__(self) -> str:
        if not self.rows:
            return "History(no epochs)"
        last = self.rows[-1]
        dev = f", dev_error={last['dev_error']:.4g}" if not math.isnan(last["dev_error"]) else ""
        return (
            f"History({len(self.rows)} epochs, last cost={last['cost']:.6g}, "
            f"error={last['error']:.4g}{dev})"
        )
