"""The callback protocol: hooks the training loop calls, which do nothing unless overridden.

A callback sees the model and the epoch's logs. It stops training by setting
``model.stop_training = True`` (the loop finishes the epoch, then stops), never by raising;
only the divergence guard raises, because a diverged training has nothing left worth keeping.

A callback with state that must survive a crash (early stopping's best weights, say) returns
it from :meth:`Callback.state` and takes it back in :meth:`Callback.load_state`, so that a
resumed training continues exactly where the checkpoint left off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .history import History
    from .model import MLP

# What the loop puts in ``logs`` at the end of every epoch (dev_* only with dev data):
#   cost        J including the regularization penalty, averaged over the epoch's mini-batches
#   loss        the data loss alone (J without the penalty), likewise
#   error       the training error (classification: fraction wrong; regression: mean squared error)
#   dev_cost, dev_loss, dev_error    the same on the dev set, after the epoch's updates, no dropout
#   learning_rate, seconds
LOG_KEYS = (
    "cost",
    "loss",
    "error",
    "dev_cost",
    "dev_loss",
    "dev_error",
    "learning_rate",
    "seconds",
)


class Callback:
    """Base class: every hook does nothing."""

    def on_train_begin(self, model: MLP, history: History) -> None:
        """Called once before the first epoch (also when resuming)."""

    def on_epoch_end(self, model: MLP, epoch: int, logs: Mapping[str, float]) -> None:
        """Called after every epoch (counted from 0) with that epoch's logs."""

    def on_train_end(self, model: MLP, history: History) -> None:
        """Called once after the last epoch, also after an early stop."""

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``(arrays, values)`` to checkpoint; values must be JSON-serializable."""
        return {}, {}

    def load_state(self, arrays: Mapping[str, np.ndarray], values: Mapping[str, Any]) -> None:
        """Restore what :meth:`state` returned."""
