"""The training data in the network's layout, cut into mini-batches; the dev set's metrics.

Out of core: a memory-mapped ``X`` (``np.load(path, mmap_mode="r")``, any ``np.memmap``) or
any ``X`` larger than :data:`STREAM_BYTES` is never loaded, copied or normalized as a whole.
It is checked for NaN and its μ, σ are computed chunk by chunk (:func:`training_matrix`,
:func:`streamed_standardizer`), and each mini-batch is gathered into a reused buffer and
normalized on its own — with the same arithmetic as the in-memory path, so the two train the
same network (to rounding of μ, σ: ~1e-15 relative).
"""

from __future__ import annotations

import mmap
import os
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..data.augment import Augmenter
from ..data.normalize import Standardizer
from ..nn import network
from ..nn.metrics import error_rate
from ..validation import all_finite, check_matrix, non_finite_error

if TYPE_CHECKING:
    from .model import MLP

STREAM_BYTES = 2**31  # an in-memory X above 2 GiB is streamed too: no normalized copy of it
CHUNK_BYTES = 2**22  # 4 MiB of X read at a time by the chunked passes
_RELEASE_BYTES = 2**25  # a memory map's pages are dropped from the resident set this often


def streamed(X: object) -> bool:
    """Whether ``X`` is trained on out of core: a memory map, or more than 2 GiB."""
    return isinstance(X, np.memmap) or (isinstance(X, np.ndarray) and X.nbytes > STREAM_BYTES)


def training_matrix(X: ArrayLike) -> np.ndarray:
    """``X`` checked as :func:`~dlrecipe.validation.check_matrix` does; a streamed ``X`` is
    checked for finiteness chunk by chunk and returned as it is (still a memory map)."""
    if not streamed(X):
        return check_matrix(X)
    assert isinstance(X, np.ndarray)
    check_matrix(X[:1])  # shape, dtype and the first row
    for start, chunk in _chunks(X):
        if not all_finite(chunk):
            raise non_finite_error(chunk, first_row=start)
    return X


def streamed_standardizer(X: np.ndarray) -> Standardizer:
    """A :class:`Standardizer` fitted on ``X`` in two chunked passes (μ, then σ²).

    Each pass sums chunks in float64, so μ and σ equal the in-memory ``Standardizer().fit(X)``
    to ~1e-15 relative (only the order of the float64 additions differs).
    """
    m = len(X)
    if m < 2:
        return Standardizer().fit(X)  # its error message
    total = np.zeros(X.shape[1])
    for _, chunk in _chunks(X):
        total += chunk.sum(axis=0, dtype=np.float64)
    mean = total / m
    squares = np.zeros(X.shape[1])
    for _, chunk in _chunks(X):
        centred = chunk - mean
        squares += np.einsum("ij,ij->j", centred, centred)
    std = np.sqrt(squares / m)
    return Standardizer.from_moments(mean, std, n_samples=m, dtype=X.dtype)


def _chunks(X: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, rows)`` of ``X`` by about :data:`CHUNK_BYTES`, releasing mapped pages."""
    rows = max(1, CHUNK_BYTES // max(1, X.itemsize * X.shape[1]))
    for start in range(0, len(X), rows):
        yield start, X[start : start + rows]
        _release(X)


def _release(X: np.ndarray) -> None:
    """Drop the pages of a memory map that reading ``X`` made resident in this process.

    They are clean file pages (the kernel keeps them in its page cache and reclaims them under
    pressure anyway), but they count in the process's resident set; without this the RSS of a
    streamed epoch would grow to the file's size. A no-op for arrays in memory.
    """
    mapping = getattr(X, "_mmap", None)  # np.memmap's mmap.mmap, None for views of other kinds
    if isinstance(mapping, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def _columns(model: MLP, X: np.ndarray) -> np.ndarray:
    """``model.columns(X)`` for an ``X`` that :func:`training_matrix` has checked already.

    Without a standardizer and with the model's dtype, ``A[0]`` is the view ``X.T``: checking
    ``X`` for NaN a second time would cost another pass over the data set and a boolean array
    as large as it (14 ms for 60,000 × 784 float32).
    """
    if (
        model.standardizer is None
        and X.dtype == model.dtype
        and X.shape[1:] == (model.layer_sizes[0],)
    ):
        return X.T
    return model.columns(X)


class _FileRows:
    """Rows of a memory-mapped ``X`` read from its file with ``preadv`` into a given buffer.

    Reading a row through the mapping would map in far more than the row (the kernel's
    fault-around and large folios: ~0.5 MB a row here), so gathering 256 random rows could
    make most of a file resident; ``preadv`` goes through the page cache instead, which the
    process's resident set does not count. Used for a C-contiguous, read-only or shared
    (``mode`` "r", "r+", "w+") ``np.memmap`` and its row slices, on systems with ``preadv``.
    """

    def __init__(self, X: np.memmap, mapping: mmap.mmap) -> None:
        start = np.frombuffer(mapping, np.uint8).ctypes.data  # where the mapping begins
        file_start = X.offset - X.offset % mmap.ALLOCATIONGRANULARITY  # where memmap mapped
        self.position = file_start + X.ctypes.data - start  # of X[0, 0] in the file
        self.row_bytes = X.strides[0]
        self.fd = os.open(str(X.filename), os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)

    @classmethod
    def of(cls, X: np.ndarray) -> _FileRows | None:
        if not (isinstance(X, np.memmap) and hasattr(os, "preadv")):
            return None
        if X.mode == "c" or not X.filename or not X.flags.c_contiguous:
            return None  # copy-on-write pages may differ from the file
        base = X.base
        while isinstance(base, np.ndarray):  # row slices of a memmap: up to its mmap
            base = base.base
        return cls(X, base) if isinstance(base, mmap.mmap) else None

    def take(self, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``X[rows]`` into ``out`` (len(rows), n_features), one read per row."""
        for row, i in zip(out, rows.tolist(), strict=True):
            os.preadv(self.fd, [row], self.position + i * self.row_bytes)
        return out


class TrainingData:
    """``X`` and ``y`` converted once for ``model``: normalized, cast, with targets checked.

    The examples are kept as rows ``(m, n[0])``, because gathering a mini-batch of rows is
    one contiguous copy per example, into a buffer reused by every batch, and handed to the
    network as the transposed view ``A[0] = rows.T``. With an augmenter, the raw rows are kept
    instead and every batch is transformed afresh, then normalized — the data set itself is
    never copied or augmented. A streamed ``X`` (see :func:`streamed`) is kept raw too, and
    each gathered batch is normalized and cast as :meth:`MLP.columns` would.
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
        self.streamed = streamed(X) and augmenter is None
        keep_raw = augmenter is not None or self.streamed
        self.A_all = None if keep_raw else _columns(model, X)
        self.Y_all = model.targets(y, self.m)
        self.dev: tuple[np.ndarray, np.ndarray] | None = None
        if dev is not None:
            A_dev = model.columns(dev[0])
            self.dev = (A_dev, model.targets(dev[1], A_dev.shape[1]))
        rows = self.m if self.batch_size is None else self.batch_size
        self.rows = rows  # the most examples in one batch
        self._rows: np.ndarray | None = None  # the reused buffers: gathered rows (b, n[0]) …
        self._raw: np.ndarray | None = None  # … and, when streaming, the raw rows before that
        if augmenter is None and (self.batch_size is not None or self.streamed):
            self._rows = np.empty((rows, X.shape[1]), model.dtype)
            if self.streamed and self.batch_size is not None:
                self._raw = np.empty((rows, X.shape[1]), X.dtype)
        self._views: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # see _buffer
        self._gathered = 0  # bytes gathered from a memory map since its pages were released
        self._file = _FileRows.of(X) if self.streamed else None

    def batches(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(A[0], Y)`` of each mini-batch of one epoch, from a fresh shuffle drawn from ``rng``.

        Batch gradient descent (no ``batch_size``) takes all examples in order, without a copy
        (a streamed ``X`` excepted). ``A[0]`` is a view of a buffer that the next batch
        overwrites.
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
        elif self.streamed:
            out, A0 = self._buffer(self.m if rows is None else len(rows))
            self._streamed_rows(rows, out)
        else:
            assert self.A_all is not None
            if rows is None:
                A0 = self.A_all
            else:
                out, A0 = self._buffer(len(rows))
                np.take(self.A_all.T, rows, axis=0, out=out, mode="clip")
        if rows is None:
            return A0, self.Y_all
        # Labels (m,) for softmax; otherwise Y is (n[L], m), gathered as rows of its transpose.
        Y = self.Y_all[rows] if self.Y_all.ndim == 1 else self.Y_all.T[rows].T
        return A0, Y

    def _buffer(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        """The reused buffer's first ``b`` rows (b, n[0]) and their transpose ``A[0]`` (n[0], b).

        The same two objects for every batch of ``b`` examples: what the step binds to ``A[0]``
        (gradient descent's BLAS product for ``W[1]``) is then reused, not rebuilt every step.
        """
        views = self._views.get(b)
        if views is None:
            assert self._rows is not None
            rows = self._rows[:b]
            views = self._views[b] = (rows, rows.T)
        return views

    def _streamed_rows(self, rows: np.ndarray | None, out: np.ndarray) -> None:
        """The batch's rows of the raw ``X`` into ``out``, normalized and cast as
        ``model.columns`` does."""
        X = self.X_raw
        if rows is None:  # batch gradient descent: all of X, normalized chunk by chunk
            for start, chunk in _chunks(X):
                out[start : start + len(chunk)] = self._normalized(chunk)
            return
        assert self._raw is not None
        if self._file is not None:
            raw = self._file.take(rows, self._raw[: len(rows)])
        else:
            # mode="clip" skips numpy's buffering of out=; rows is a permutation, in range.
            raw = np.take(X, rows, axis=0, out=self._raw[: len(rows)], mode="clip")
            self._gathered += 2**20 * len(rows)  # a row read maps in up to ~1 MB around it
            if self._gathered >= _RELEASE_BYTES:
                _release(X)
                self._gathered = 0
        out[...] = self._normalized(raw)

    def _normalized(self, raw: np.ndarray) -> np.ndarray:
        """``Standardizer.transform`` of ``raw`` (the same operations, so the same bits)."""
        standardizer = self.model.standardizer
        return raw if standardizer is None else standardizer.transform(raw)

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
