"""The training workspace: every array of a training step, allocated once and reused.

:func:`~dlrecipe.nn.network.forward` and :func:`~dlrecipe.nn.network.backward` write ``Z[l]``,
``A[l]``, ``g'(Z[l])``, ``dZ[l]`` and the gradients into a workspace's arrays instead of
allocating them at every step (large temporaries cost real time, and so does every NumPy
call). Each ``A[l]`` has a row of ones below it, for the bias inside the products.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from . import blas
from .parameters import augmented, storage_views
from .spec import NetworkSpec

Params = Mapping[str, np.ndarray]


class _Buffers(NamedTuple):
    """One layer's arrays for a batch of ``b`` examples."""

    Z: np.ndarray  # (n[l], b)
    A: np.ndarray  # (n[l], b): the first rows of A_ones
    A_ones: np.ndarray  # [A[l]; 1] (n[l] + 1, b): A[l] with a row of ones below it
    G: np.ndarray  # g'(Z[l]) (hidden layers), (n[l], b)
    dZ: np.ndarray  # dZ[l]; also dA[l] first, turned into dZ[l] in place, (n[l], b)
    dropped: np.ndarray | None  # [A[l] D[l] / keep_prob; 1] when layer l has dropout
    ones: np.ndarray  # a row of b ones (1, b): Σ over the batch's columns as a product


class Workspace:
    """Arrays for training steps on batches of at most ``m`` examples, allocated once.

    Each ``A[l]`` has a row of ones below it, so that with ``[W[l] | b[l]]`` one matrix — as
    :func:`~dlrecipe.nn.parameters.packed` lays the parameters out —
    ``Z[l] = [W[l] | b[l]] [A[l-1]; 1]`` and ``[dW[l] | db[l]] = dZ[l] [A[l-1]; 1]ᵀ`` are one
    product each: no pass to add ``b[l]`` and no sum for ``db[l]``. (Parameters laid out
    otherwise take those two steps.) The batch's ``A[0]`` is copied in under its ones when
    ``n[0] < n[1]``, where the copy moves fewer numbers than the two steps it saves, or held
    there for the whole training (:meth:`hold_input`, batch gradient descent).

    ``grads`` are the arrays the gradients are written into: by default the workspace's own;
    training passes the optimizer's (:meth:`~dlrecipe.nn.optimizers.Optimizer.gradient_buffers`)
    so that the step takes them without a copy. ``params`` are the arrays that will be passed
    to ``forward`` (others work too, with the separate bias). A batch of ``b < m`` examples
    (the last of an epoch) uses the first numbers of each array, still contiguous. When the
    backward pass takes gradient descent's step itself, the workspace also keeps the product
    that adds each layer's step into its parameters (:meth:`gradient_step`).
    """

    def __init__(
        self,
        spec: NetworkSpec,
        m: int,
        dtype: np.dtype | type,
        grads: dict[str, np.ndarray] | None = None,
        params: Params | None = None,
    ) -> None:
        n, L = spec.layer_sizes, spec.n_layers
        self.spec, self.m, self.dtype = spec, m, np.dtype(dtype)
        # Z, A with its ones, G, dZ and (with dropout) the dropped A, flat. Layer 0 is the
        # input: its Z, G and dZ have no rows.
        self._rows = [0, *n[1:]]
        self._memory = [
            (
                np.empty(self._rows[l] * m, self.dtype),
                np.empty((n[l] + 1) * m, self.dtype),
                np.empty(self._rows[l] * m, self.dtype),
                np.empty(self._rows[l] * m, self.dtype),
                np.empty((n[l] + 1) * m, self.dtype) if l < L and spec.keep_prob[l] < 1 else None,
            )
            for l in range(L + 1)
        ]
        self._views: dict[int, list[_Buffers]] = {}
        self._ones_for = 0  # the batch size whose rows of ones are in place
        if grads is None:
            shapes = {}
            for l in range(1, L + 1):
                shapes[f"W{l}"], shapes[f"b{l}"] = (n[l], n[l - 1]), (n[l], 1)
            views = storage_views(np.empty(sum(map(math.prod, shapes.values())), dtype), shapes)
            grads = {f"d{name}": view for name, view in views.items()}
        self.grads = grads
        self._ones = np.ones((m, 1), self.dtype)  # Σ over a batch's columns as a product
        self._steps: dict[
            tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray, blas.Product]
        ] = {}
        self._weights: list[tuple[np.ndarray | None, object, object]] = [(None, None, None)]
        # [dW[l] | db[l]] with dW[l] and db[l] (the arrays of grads), or None.
        self.gradients_with_bias: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = [None]
        for l in range(1, L + 1):
            if params is None:
                self._weights.append((None, None, None))
            else:
                W, b = params[f"W{l}"], params[f"b{l}"]
                self._weights.append((augmented(W, b), W, b))
            dW, db = grads[f"dW{l}"], grads[f"db{l}"]
            dWb = augmented(dW, db)
            self.gradients_with_bias.append(None if dWb is None else (dWb, dW, db))

    def weights_with_bias(self, l: int, W: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        """``[W[l] | b[l]]`` as one view of ``W`` and ``b``, when they are the workspace's."""
        Wb, W_known, b_known = self._weights[l]
        return Wb if W is W_known and b is b_known else None

    def gradient_step(self, dZ: np.ndarray, A_prev: np.ndarray, C: np.ndarray) -> blas.Product:
        """``C := α dZ A_prevᵀ + β C`` (:func:`~dlrecipe.nn.blas.product`) for a parameter
        ``C`` — ``W[l]``, ``b[l]`` or ``[W[l] | b[l]]`` — made once and reused while ``dZ``,
        ``A_prev`` and ``C`` are the same arrays (the workspace's, and the parameters'). One is
        kept for each batch size: an epoch's last, smaller batch does not unbind the others."""
        key = (id(C), dZ.shape[1])
        bound = self._steps.get(key)
        if bound is None or bound[0] is not dZ or bound[1] is not A_prev or bound[2] is not C:
            bound = (dZ, A_prev, C, blas.product(dZ, A_prev.T, C))
            self._steps[key] = bound  # the entry keeps C alive: its id is not reused
        return bound[3]

    def hold_input(self, A0: np.ndarray) -> np.ndarray:
        """Copy ``A[0]`` (n[0], b) into the workspace once and return the copy: passed to
        ``forward`` as ``A[0]``, it is not copied again (batch gradient descent, where every
        step has the same ``b`` examples: another batch size would overwrite it)."""
        held = self.buffers(A0.shape[1])[0].A
        np.copyto(held, A0)
        return held

    def buffers(self, b: int) -> list[_Buffers]:
        """Layer ``l``'s arrays for a batch of ``b`` examples, at index ``l`` (0 … L)."""
        views = self._views.get(b)
        if views is None:
            if not 0 < b <= self.m:
                raise ValueError(f"a batch of {b} examples does not fit a workspace for {self.m}")
            views = [self._layer_views(l, b) for l in range(len(self._memory))]
            self._views[b] = views
        if b != self._ones_for:  # another batch size's arrays overlap these rows of ones
            for layer in views:
                for with_ones in (layer.A_ones, layer.dropped):
                    if with_ones is not None:
                        with_ones[-1] = 1
            self._ones_for = b
        return views

    def _layer_views(self, l: int, b: int) -> _Buffers:
        Z, A, G, dZ, dropped = self._memory[l]
        rows, rows_with_ones = self._rows[l], self.spec.layer_sizes[l] + 1

        def with_ones(flat: np.ndarray) -> np.ndarray:
            if l == 0:  # A[0] is stored example by example, as the rows of X it is copied from
                return flat[: rows_with_ones * b].reshape(b, rows_with_ones).T
            return flat[: rows_with_ones * b].reshape(rows_with_ones, b)

        Z, G, dZ = (flat[: rows * b].reshape(rows, b) for flat in (Z, G, dZ))
        A_ones = with_ones(A)
        return _Buffers(
            Z,
            A_ones[:-1],
            A_ones,
            G,
            dZ,
            None if dropped is None else with_ones(dropped),
            self._ones[:b].T,
        )
