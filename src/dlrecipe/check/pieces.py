"""J(θ + δe_i) when the hidden activation is piecewise linear (ReLU, leaky ReLU, linear).

Perturbing ``W[l][i, j]`` by δ changes ``Z[l]`` in row ``i`` only, by ``T = δ·A[l-1][j, :]``
(``b[l][i]``: by ``δ`` in every column). As long as no hidden pre-activation crosses a kink,
every later layer of such a network is linear in that change, one column (example) at a time:

    Z[L](θ + δe)[:, c] = Z[L][:, c] + T[c] · s[l][i, c] · G[l][:, i, c]

where ``s[l] = g'(Z[l])`` are the slopes of the pieces the base forward pass sits on and
``G[l][:, i, c] = ∂Z[L][:, c] / ∂A[l][i, c]`` is the change of the output per unit change of
``A[l][i, c]``, carried forward through the layers' weights and slopes. This is not a
linearization: on one piece the network *is* linear, so ``Z[L](θ + δe)`` is exact up to
rounding. The loss — the only curved part — is then evaluated at every perturbed ``Z[L]``,
as its exact increment over the base loss (``log1p``/``expm1`` identities, see
:meth:`PiecewiseLinearCosts._loss_changes`), so ``J(θ + δe) = J(θ) + ΔJ`` carries only the
rounding of J itself — a little less than a full forward pass, whose quotients it matches to
about one unit of ``u·J/ε``.

What the structure buys:

* every perturbation of row ``i`` of ``W[l]`` and ``b[l]`` shares ``s[l][i] G[l][:, i]``: a
  block of them is one ``(K, n[L], C)`` broadcast product, an ``expm1`` and a reduction;
* a ReLU row is off (slope 0) on about half of the examples, where nothing downstream changes,
  so only the ``C`` columns where it is on are evaluated;
* nothing is computed per perturbation in the hidden layers: ``G`` costs one pass per layer.

A perturbation that *could* move a hidden ``Z`` across a kink — one whose change reaches half
of some ``|Z[q][h, c]|`` by the bound below — is left to the exact path
(:class:`~dlrecipe.check.fast.PerturbedCosts`), which carries it through the activation itself:
at a kink the loop's quotient is wrong, and the check must reproduce the loop, not fix it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from ..nn import network
from ..nn.spec import NetworkSpec

PIECEWISE_LINEAR = frozenset({"relu", "leaky_relu", "linear"})
OUTPUTS = frozenset({"softmax", "sigmoid", "linear"})
CHUNK_ELEMENTS = 1 << 18  # values per (K, n[L], C) block: 2 MiB in float64, reused
SENSITIVITY_ELEMENTS = 1 << 21  # values per (n[q], rows, m) block of G: 16 MiB in float64
CROSSING_MARGIN = 0.5  # a change reaching half of |Z| goes to the exact path
SMALLEST_Z = 1e-200  # |Z| is floored here, so 1/|Z| stays finite (0 · 1/|Z| must be 0, not NaN)
LARGEST_CHANGE = 1.0  # a perturbation that moves some Z[L] by this much goes to the exact path


def eligible(spec: NetworkSpec) -> bool:
    """Whether the loss is one of the three this module evaluates by increments."""
    return spec.output.name in OUTPUTS


class PiecewiseLinearCosts:
    """Data losses at θ + δe_i, from a cached forward, for the layers after which the network
    is linear: the output layer always (``Z[L]`` is linear in ``W[L]`` and ``b[L]``), and every
    layer when the hidden activation is piecewise linear (:attr:`layers`).

    ``caches`` is :func:`network.forward`'s list at θ; ``params`` must not change while this
    object is used.
    """

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        spec: NetworkSpec,
        caches: list[network.LayerCache],
        Y: np.ndarray,
    ) -> None:
        self.params, self.spec, self.Y = params, spec, Y
        L = spec.n_layers
        ZL = caches[-1].Z
        self.m = ZL.shape[1]
        hidden = range(1, L) if spec.hidden.name in PIECEWISE_LINEAR else range(0)
        self.layers = frozenset([*hidden, L])
        # s[l] = g'(Z[l]), from the activation's own backward with dA = 1.
        self.slopes = {
            l: spec.hidden.backward(np.ones_like(caches[l - 1].Z), caches[l - 1].Z, caches[l - 1].A)
            for l in hidden
        }
        # 1/|Z[q]|: a change of Z[q][h, c] can cross the kink at 0 only if |ΔZ|/|Z| ≥ 1.
        self.closeness = (
            {l: 1 / np.maximum(np.abs(caches[l - 1].Z), SMALLEST_Z) for l in hidden}
            if spec.hidden.has_kink
            else None
        )
        self.closest = (
            {l: closeness.max(axis=0) for l, closeness in self.closeness.items()}
            if self.closeness is not None
            else {}
        )
        # What changes row i of Z[l], per unit step: A[l-1][j] for W[l][i, j], ones for b[l][i];
        # and the largest |A[l-1][j, c]| of each j, for a first, cheap kink bound.
        self.inputs = {l: caches[l - 1].A_prev for l in self.layers}  # A[l-1], not copied
        self.largest_source = {  # max |A[l-1][j]| without a temporary the size of A[0]
            l: np.append(np.maximum(A.max(axis=1), -A.min(axis=1)), 1.0)
            for l, A in self.inputs.items()
        }
        # The loss's own quantities at θ: A[L] (softmax or σ), or the residual Z[L] − Y.
        AL = caches[-1].A
        self.base = AL - Y if spec.output.name == "linear" else AL
        self.base_loss = spec.output.loss(ZL, Y)
        self._workspace = np.empty(CHUNK_ELEMENTS)  # reused: fresh large arrays cost page faults

    def data_losses(
        self, layers: np.ndarray, rows: np.ndarray, sources: np.ndarray, deltas: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Data loss at each perturbation, and whether it must go to the exact path instead.

        Perturbation ``k`` adds ``deltas[k]`` to ``W[l][i, j]`` with ``l, i, j = layers[k],
        rows[k], sources[k]``, or to ``b[l][i]`` when ``sources[k] == n[l-1]``; every ``l``
        must be in :attr:`layers`.
        """
        losses = np.empty(layers.size)
        exact = np.zeros(layers.size, dtype=bool)
        for l, part, G, reach in self._rows(layers, rows):
            for r, group in enumerate(part):
                i, k = int(rows[group[0]]), sources[group]
                losses[group], exact[group] = self._row(
                    l, i, G[:, r] if G is not None else None, reach[r], k, deltas[group]
                )
        return losses, exact

    def may_cross(
        self, layers: np.ndarray, rows: np.ndarray, sources: np.ndarray, deltas: np.ndarray
    ) -> np.ndarray:
        """Whether each perturbation (as in :meth:`data_losses`) could cross a kink: a bound,
        never false when one does."""
        crosses = np.zeros(layers.size, dtype=bool)
        for l, part, _, reach in self._rows(layers, rows):
            for r, group in enumerate(part):
                i = int(rows[group[0]])
                crosses[group] = self._crossing(l, i, reach[r], sources[group], deltas[group])
        return crosses

    def _rows(
        self, layers: np.ndarray, rows: np.ndarray
    ) -> Iterator[tuple[int, list[np.ndarray], np.ndarray | None, np.ndarray]]:
        """Perturbations grouped by the row of ``Z[l]`` they change, in blocks of rows with
        their sensitivities: ``(l, groups, G, reach)``."""
        order = np.lexsort((rows, layers))
        layer_sorted, row_sorted = layers[order], rows[order]
        starts = np.flatnonzero(np.diff(layer_sorted, prepend=-1) | np.diff(row_sorted, prepend=-1))
        groups = np.split(order, starts[1:])
        for l in map(int, np.unique(layer_sorted)):
            mine = [group for group in groups if layers[group[0]] == l]
            if l == self.spec.n_layers:
                yield l, mine, None, np.zeros((len(mine), self.m))
                continue
            n_after = max(self.spec.layer_sizes[l + 1 :])
            block = max(1, SENSITIVITY_ELEMENTS // (n_after * self.m))
            for start in range(0, len(mine), block):
                part = mine[start : start + block]
                G, reach = self._sensitivity(l, np.array([rows[group[0]] for group in part]))
                yield l, part, G, reach

    def _sensitivity(self, l: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``G[l][:, rows, :]`` (n[L], R, m), and per unit change of ``A[l][rows]`` a bound on
        ``|ΔZ[q][h, c]| / |Z[q][h, c]|`` over the hidden layers q > l: (R, m)."""
        L, m = self.spec.n_layers, self.m
        U = self.params[f"W{l + 1}"][:, rows][:, :, None]  # ∂Z[l+1]/∂A[l]: equal in every column
        reach = np.zeros((rows.size, m))
        for q in range(l + 1, L):
            if self.closeness is not None:  # max_h |ΔZ[q][h]| · max_h 1/|Z[q][h]|: a bound
                np.maximum(reach, np.abs(U).max(axis=0) * self.closest[q], out=reach)
            V = U * self.slopes[q][:, None, :]  # ∂A[q]/∂A[l]
            U = (self.params[f"W{q + 1}"] @ V.reshape(V.shape[0], -1)).reshape(-1, rows.size, m)
        return np.broadcast_to(U, (U.shape[0], rows.size, m)), reach

    def _crossing(
        self, l: int, i: int, reach: np.ndarray, sources: np.ndarray, deltas: np.ndarray
    ) -> np.ndarray:
        """Whether perturbations of row ``i`` of ``Z[l]`` could move a hidden Z across 0."""
        if self.closeness is None or l == self.spec.n_layers:
            return np.zeros(sources.size, dtype=bool)
        # |ΔZ[l][i, c]| = |δ a_c|; |ΔZ[q][h, c]| = |δ a_c| s_c |∂Z[q][h, c]/∂A[l][i, c]|.
        ratio = np.maximum(self.closeness[l][i], self.slopes[l][i] * reach)
        step = np.abs(deltas)
        crosses = step * self.largest_source[l][sources] * ratio.max() >= CROSSING_MARGIN
        if crosses.any():  # the bound above is loose: look at each column of those
            close = np.abs(self._sources(l, sources[crosses], slice(None))) * ratio
            crosses[crosses] = step[crosses] * close.max(axis=1) >= CROSSING_MARGIN
        return crosses

    def _row(
        self,
        l: int,
        i: int,
        G: np.ndarray | None,
        reach: np.ndarray,
        sources: np.ndarray,
        deltas: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Data losses of perturbations that all change row ``i`` of ``Z[l]``."""
        if G is None:  # the output layer: Z[L] changes in row i only, by T
            columns, units = np.arange(self.m), np.array([i])
            H = np.ones((1, self.m))
        else:
            s = self.slopes[l][i]
            columns, units = np.flatnonzero(s), np.arange(self.spec.layer_sizes[-1])
            # ∂Z[L]/∂Z[l][i] where the unit's slope is not 0 (fancy indexing along the last
            # axis gives Fortran order; the products below run 35% faster in C order).
            H = np.ascontiguousarray(G[:, columns]) * s[columns]
        largest_H = np.abs(H).max(initial=0)
        losses = np.empty(sources.size)
        exact = np.empty(sources.size, dtype=bool)
        chunk = max(1, CHUNK_ELEMENTS // max(H.size, self.m))
        for start in range(0, sources.size, chunk):
            part = slice(start, start + chunk)
            exact[part] = self._crossing(l, i, reach, sources[part], deltas[part])
            T = self._sources(l, sources[part], columns)  # ReLU: where the unit is on
            T *= deltas[part, None]  # ΔZ[l][i], (K, C)
            # Far from θ the increments lose accuracy (1 + Σ p (e^x − 1) nears 0).
            exact[part] |= np.abs(T).max(axis=1, initial=0) * largest_H >= LARGEST_CHANGE
            T[exact[part]] = 0  # their values are not used
            losses[part] = self._loss_changes(T, H, columns, units)
        return self.base_loss + losses / self.m, exact

    def _sources(self, l: int, sources: np.ndarray, columns: np.ndarray | slice) -> np.ndarray:
        """What changes row i of Z[l] per unit step, on ``columns``: ``A[l-1][j]`` for
        ``W[l][i, j]``, ones for the bias (``j = n[l-1]``); (K, C), a new C-ordered array."""
        A = self.inputs[l]
        weight = sources < A.shape[0]
        if isinstance(columns, slice):
            rows = np.empty((sources.size, A.shape[1]))
            rows[weight] = A[sources[weight]]
        else:
            rows = np.empty((sources.size, columns.size))
            rows[weight] = A[np.ix_(sources[weight], columns)]
        rows[~weight] = 1.0
        return rows

    def _loss_changes(
        self, T: np.ndarray, H: np.ndarray, columns: np.ndarray, units: np.ndarray
    ) -> np.ndarray:
        """Σ over ``columns`` of loss(Z[L] + ΔZ) − loss(Z[L]), where ΔZ is ``T ⊗ H`` in the rows
        ``units`` of Z[L] and 0 elsewhere: (K,).

        Each increment is computed from the base's A[L] by an identity rather than as the
        difference of two losses, so it keeps its relative accuracy however small it is; the
        parts linear in ΔZ are matrix-vector products with T:

        * softmax: ``log(Σ_n p_n e^{x_n}) − x_y = log1p(Σ_n p_n expm1(x_n)) − x_y``;
        * sigmoid: ``softplus(z + x) − softplus(z) − y x = log1p(σ(z) expm1(x)) − y x``;
        * linear: ``((r + x)² − r²) / 2 = x r + x²/2`` with the residual ``r = z − y``.
        """
        base = self.base[np.ix_(units, columns)]  # (Fancy indexing keeps it in C order.)
        name = self.spec.output.name
        if name == "linear":
            return T @ (H * base).sum(axis=0) + 0.5 * (np.square(T) @ np.square(H).sum(axis=0))
        X = self._workspace[: T.shape[0] * H.size].reshape(T.shape[0], *H.shape)
        np.multiply(T[:, None, :], H, out=X)  # ΔZ[L], (K, units, C)
        np.expm1(X, out=X)
        if name == "softmax":
            row = np.full(self.spec.layer_sizes[-1], -1)
            row[units] = np.arange(units.size)
            at_label = row[self.Y[columns]]  # the row of each column's label among units
            H_y = np.where(at_label >= 0, H[at_label, np.arange(columns.size)], 0.0)
            change = np.log1p(np.einsum("knc,nc->kc", X, base))
            return change.sum(axis=1) - T @ H_y
        np.multiply(X, base, out=X)  # sigmoid
        np.log1p(X, out=X)
        return X.sum(axis=(1, 2)) - T @ (H * self.Y[np.ix_(units, columns)]).sum(axis=0)
