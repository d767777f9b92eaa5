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

from collections.abc import Mapping

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
    """Whether the hidden activation is piecewise linear and the loss is one of the three."""
    return spec.hidden.name in PIECEWISE_LINEAR and spec.output.name in OUTPUTS


class PiecewiseLinearCosts:
    """Data losses at θ + δe_i for perturbations of layers 1 … L-1, from a cached forward.

    ``caches`` is :func:`network.forward`'s list at θ; ``params`` must not change while this
    object is used. The output layer's parameters are left to the caller (nothing after them
    to exploit).
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
        hidden = range(1, L)
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
        # What changes row i of Z[l], per unit step: A[l-1][j] for W[l][i, j], ones for b[l][i].
        self.sources = {l: np.vstack([caches[l - 1].A_prev, np.ones((1, self.m))]) for l in hidden}
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
        rows[k], sources[k]``, or to ``b[l][i]`` when ``sources[k] == n[l-1]``; ``l < L``.
        """
        losses = np.empty(layers.size)
        exact = np.zeros(layers.size, dtype=bool)
        order = np.lexsort((rows, layers))
        layer_sorted, row_sorted = layers[order], rows[order]
        starts = np.flatnonzero(np.diff(layer_sorted, prepend=-1) | np.diff(row_sorted, prepend=-1))
        groups = np.split(order, starts[1:])
        for l in np.unique(layer_sorted):
            mine = [g for g in groups if layers[g[0]] == l]
            n_after = max(self.spec.layer_sizes[l + 1 :])
            block = max(1, SENSITIVITY_ELEMENTS // (n_after * self.m))
            for start in range(0, len(mine), block):
                part = mine[start : start + block]
                G, reach = self._sensitivity(int(l), np.array([rows[g[0]] for g in part]))
                for r, g in enumerate(part):
                    losses[g], exact[g] = self._row(
                        int(l), int(rows[g[0]]), G[:, r], reach[r], sources[g], deltas[g]
                    )
        return losses, exact

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

    def _row(
        self,
        l: int,
        i: int,
        G: np.ndarray,
        reach: np.ndarray,
        sources: np.ndarray,
        deltas: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Data losses of perturbations that all change row ``i`` of ``Z[l]``."""
        s = self.slopes[l][i]
        source = self.sources[l][sources]  # (K, m)
        exact = np.zeros(sources.size, dtype=bool)
        if self.closeness is not None:
            # |ΔZ[l][i, c]| = |δ a_c|; |ΔZ[q][h, c]| = |δ a_c| s_c |∂Z[q][h, c]/∂A[l][i, c]|.
            ratio = np.maximum(self.closeness[l][i], s * reach)
            exact = np.abs(deltas) * (np.abs(source) * ratio).max(axis=1) >= CROSSING_MARGIN
        columns = np.flatnonzero(s)  # ReLU: where the unit is on; elsewhere nothing changes
        # (Fancy indexing along the last axis returns arrays in Fortran order; the products
        # below run 35% faster on C-ordered ones.)
        H = np.ascontiguousarray(G[:, columns]) * s[columns]  # ∂Z[L]/∂Z[l][i], (n[L], C)
        T = deltas[:, None] * np.ascontiguousarray(source[:, columns])  # ΔZ[l][i], (K, C)
        # Far from θ the loss's increments lose accuracy (1 + Σ p (e^x − 1) nears 0).
        exact |= np.abs(T).max(axis=1, initial=0) * np.abs(H).max(initial=0) >= LARGEST_CHANGE
        changes = np.empty(sources.size)
        chunk = max(1, CHUNK_ELEMENTS // max(1, H.size))
        for start in range(0, sources.size, chunk):
            part = slice(start, start + chunk)
            changes[part] = self._loss_changes(T[part], H, columns)
        return self.base_loss + changes / self.m, exact

    def _loss_changes(self, T: np.ndarray, H: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Σ over ``columns`` of loss(Z[L] + ΔZ) − loss(Z[L]) with ΔZ = T ⊗ H: (K,).

        Each increment is computed from the base's A[L] by an identity rather than as the
        difference of two losses, so it keeps its relative accuracy however small it is; the
        parts linear in ΔZ are matrix-vector products with T:

        * softmax: ``log(Σ_n p_n e^{x_n}) − x_y = log1p(Σ_n p_n expm1(x_n)) − x_y``;
        * sigmoid: ``softplus(z + x) − softplus(z) − y x = log1p(σ(z) expm1(x)) − y x``;
        * linear: ``((r + x)² − r²) / 2 = x r + x²/2`` with the residual ``r = z − y``.
        """
        base = np.ascontiguousarray(self.base[:, columns])
        name = self.spec.output.name
        if name == "linear":
            return T @ (H * base).sum(axis=0) + 0.5 * (np.square(T) @ np.square(H).sum(axis=0))
        X = self._workspace[: T.shape[0] * H.size].reshape(T.shape[0], *H.shape)
        np.multiply(T[:, None, :], H, out=X)  # ΔZ[L], (K, n[L], C)
        np.expm1(X, out=X)
        if name == "softmax":
            y = self.Y[columns]
            change = np.log1p(np.einsum("knc,nc->kc", X, base))
            return change.sum(axis=1) - T @ H[y, np.arange(columns.size)]
        np.multiply(X, base, out=X)  # sigmoid
        np.log1p(X, out=X)
        return X.sum(axis=(1, 2)) - T @ (H * self.Y[:, columns]).sum(axis=0)
