"""The training data in the network's layout, cut into mini-batches; the dev set's metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..data.augment import Augmenter
from ..nn import network
from ..nn.metrics import error_rate

if TYPE_CHECKING:
    from .model import MLP


class TrainingData:
    """``X`` and ``y`` converted once for ``model``: normalized, cast, with targets checked.

    The examples are kept as rows ``(m, n[0])``, because gathering a mini-batch of rows is
    one contiguous copy per example, and handed to the network as the transposed view
    ``A[0] = rows.T``. With an augmenter, the raw rows are kept instead and every batch is
    transformed afresh, then normalized — the data set itself is never copied or augmented.
    """

    def __init__(
        self,
        model: MLP,
        X: np.ndarray,
        y: ArrayLike,
        *,
        batch_size: int | None,
        augmenter: Augmenter | None = None,
        dev: tuple[ArrayLike, ArrayLike] | None = None,
    ) -> None:
        self.model = model
        self.m = len(X)
        self.batch_size = None if batch_size is None or batch_size >= self.m else batch_size
        self.augmenter = augmenter
        self.X_raw = X
        self.A_all = None if augmenter is not None else model.columns(X)
        self.Y_all = model.targets(y, self.m)
        self.dev: tuple[np.ndarray, np.ndarray] | None = None
        if dev is not None:
            A_dev = model.columns(dev[0])
            self.dev = (A_dev, model.targets(dev[1], A_dev.shape[1]))

    def batches(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(A[0], Y)`` of each mini-batch of one epoch, from a fresh shuffle drawn from ``rng``.

        Batch gradient descent (no ``batch_size``) takes all examples in order, without a copy.
        """
        if self.batch_size is None:
            yield self._batch(None, rng)
            return
        order = rng.permutation(self.m)
        for start in range(0, self.m, self.batch_size):
            yield self._batch(order[start : start + self.batch_size], rng)

    def _batch(
        self, rows: np.ndarray | None, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.augmenter is not None:  # fresh random transforms of the raw images
            raw = self.X_raw if rows is None else self.X_raw[rows]
            A0 = self.model.columns(self.augmenter(raw, rng))
        else:
            assert self.A_all is not None
            A0 = self.A_all if rows is None else self.A_all.T[rows].T
        if rows is None:
            return A0, self.Y_all
        # Labels (m,) for softmax; otherwise Y is (n[L], m), gathered as rows of its transpose.
        Y = self.Y_all[rows] if self.Y_all.ndim == 1 else self.Y_all.T[rows].T
        return A0, Y

    def dev_metrics(self) -> dict[str, float]:
        """``dev_cost``, ``dev_loss`` and ``dev_error`` with the current weights, no dropout.

        ``dev_cost`` carries the same penalty as the training cost (scaled by the training m).
        """
        if self.dev is None:
            return {}
        A_dev, Y_dev = self.dev
        model = self.model
        last = network.forward(model.params, A_dev, model.spec)[-1]
        cost, loss = network.cost(model.params, last.Z, Y_dev, model.spec, m_penalty=self.m)
        error = error_rate(model.output_activation, last.Z, last.A, Y_dev)
        return {"dev_cost": cost, "dev_loss": loss, "dev_error": error}
