"""J(θ ± εe_i) for many components i at once, from one cached forward pass.

Perturbing one weight ``W[l][i, j]`` by δ changes ``Z[l]`` in row ``i`` only, by
``δ·A[l-1][j, :]`` (a bias ``b[l][i]``: by δ in every column). So instead of one forward pass
per perturbation, a chunk of K perturbations is carried through the layers after ``l`` as
*increments* stacked along a new axis, shape ``(n[q], K, m)``:

    a[l]     = g(Z[l][i] + δ A[l-1][j])                  the changed row, (K, m)
    ΔZ[l+1]  = W[l+1][:, i] ⊗ (a[l] − A[l][i])           a rank-one change per perturbation
    ΔA[q]    = g(Z[q] + ΔZ[q]) − A[q]                    for q = l+1 … L-1
    ΔZ[q+1]  = W[q+1] ΔA[q]                              one matrix product for the whole chunk
    J        = loss(Z[L] + ΔZ[L]) + penalty(θ + δe_i)    computed in full, not as a difference

Each J is a complete cost, equal to a forward pass's to rounding (a few units in the last
place of each activation), so the two-sided quotients agree with the per-component loop's to
about u·|J|/ε. For tanh and the sigmoid the increment ``g(Z + ΔZ) − g(Z)`` is taken through
the addition theorem of tanh from the cached ``A``, which needs no transcendental function of
the whole ``(n, K, m)`` array. Chunks hold at most :data:`CHUNK_ELEMENTS` values per array, so
memory stays bounded whatever the size of the network. They are kept small on purpose: every
array of a chunk is a fresh temporary, and fresh multi-megabyte arrays cost a page fault per
4 KiB (glibc maps them anew): with 4 MiB chunks the 64-64-32-10 tanh check took 1.4 s, with
512 KiB ones 0.54 s, and 0.50 s with 4 MiB chunks when malloc was told to keep freed memory.

When the hidden activation is piecewise linear (ReLU, leaky ReLU, linear), the hidden layers'
parameters take a faster road, :mod:`dlrecipe.check.pieces`: on one linear piece the change of
``Z[L]`` needs no per-perturbation work in the hidden layers at all. The perturbations that
could cross a kink, and the output layer's, stay on the path above.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ..nn import network
from ..nn.parameters import ParameterIndex, parameters_to_vector
from ..nn.spec import NetworkSpec
from .pieces import PiecewiseLinearCosts, eligible

CHUNK_ELEMENTS = 1 << 16  # values per (n, K, m) array: 512 KiB in float64 (see below)
SMALL_STEP = 1e-3  # below this, tanh(x) = x − x³/3 + 2x⁵/15 to the last bit


def tanh_of_small(x: np.ndarray) -> np.ndarray:
    """tanh(x), by its Taylor series when every |x| ≤ 1e-3 (error < 1e-19 relative)."""
    if np.abs(x).max(initial=0.0) > SMALL_STEP:
        return np.tanh(x)
    x2 = np.multiply(x, x)
    t = np.multiply(x2, -2 / 15)
    np.add(t, 1 / 3, out=t)
    np.multiply(t, x2, out=t)
    np.subtract(1, t, out=t)
    return np.multiply(t, x, out=t)  # x (1 − x² (1/3 − 2x²/15))


def tanh_increment(Z: np.ndarray, A: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    """tanh(Z + dZ) − tanh(Z) = t (1 − A²) / (1 + A t) with A = tanh(Z), t = tanh(dZ)."""
    t = tanh_of_small(dZ)
    denominator = np.multiply(A, t)
    np.add(denominator, 1, out=denominator)
    np.multiply(t, 1 - A * A, out=t)
    return np.divide(t, denominator, out=t)


def sigmoid_increment(Z: np.ndarray, A: np.ndarray, dZ: np.ndarray) -> np.ndarray:
    """σ(Z + dZ) − σ(Z) = (tanh(Z/2 + dZ/2) − tanh(Z/2)) / 2, with tanh(Z/2) = 2A − 1."""
    dA = tanh_increment(0.5 * Z, 2 * A - 1, np.multiply(dZ, 0.5))
    return np.multiply(dA, 0.5, out=dA)


def direct_increment(
    g: Callable[[np.ndarray], np.ndarray], Z: np.ndarray, A: np.ndarray, dZ: np.ndarray
) -> np.ndarray:
    """g(Z + dZ) − A for any activation ``g``."""
    dA = g(np.add(Z, dZ))
    return np.subtract(dA, A)


# g(Z + dZ) − g(Z) from the cached Z and A = g(Z) without g itself; others use g(Z + dZ) − A.
# (The hot loop calls ufuncs with out= rather than operators: NumPy's elision of temporaries
# inspects the call stack for every large temporary, which costs more than the arithmetic.)
INCREMENTS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "tanh": tanh_increment,
    "sigmoid": sigmoid_increment,
}


def batch_loss(spec: NetworkSpec, ZL: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The data loss of every perturbation: ``ZL`` is ``(n[L], K, m)``, the result ``(K,)``.

    ``ZL`` is overwritten.
    """
    m = ZL.shape[2]
    name = spec.output.name
    if name == "softmax":
        picked = ZL[Y, :, np.arange(m)].T  # (K, m): Z[L][y_c, k, c]
        z_max = ZL.max(axis=0)
        E = np.exp(np.subtract(ZL, z_max, out=ZL), out=ZL)
        log_sum_exp = np.add(np.log(E.sum(axis=0)), z_max)
        return np.subtract(log_sum_exp, picked, out=log_sum_exp).sum(axis=1) / m
    if name == "sigmoid":
        log_term = np.log1p(np.exp(np.negative(np.abs(ZL))))
        linear_term = np.multiply(ZL, Y[:, None, :])
        np.subtract(np.maximum(ZL, 0, out=ZL), linear_term, out=ZL)
        return np.add(ZL, log_term, out=ZL).sum(axis=(0, 2)) / m
    if name == "linear":
        R = np.subtract(ZL, Y[:, None, :], out=ZL)
        return np.multiply(R, R, out=R).sum(axis=(0, 2)) / (2 * m)
    return np.array([spec.output.loss(ZL[:, k, :], Y) for k in range(ZL.shape[1])])


class PerturbedCosts:
    """Costs of the network at θ + δe_i for batches of components, from a cached forward.

    ``caches`` is :func:`network.forward`'s list at θ for ``A0``; ``params`` must not change
    while this object is used. The penalty of θ + δe_i is that of θ plus the change of the one
    weight's term, and its data loss is computed in full from the perturbed ``Z[L]``.
    """

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        spec: NetworkSpec,
        caches: list[network.LayerCache],
        Y: np.ndarray,
        index: ParameterIndex,
    ) -> None:
        self.params, self.spec, self.caches, self.Y, self.index = params, spec, caches, Y, index
        self.m = caches[-1].Z.shape[1]
        self.penalty = network.penalty(params, spec, self.m)
        self.increment = INCREMENTS.get(spec.hidden.name)
        self.theta = parameters_to_vector(params, index)
        self.pieces = PiecewiseLinearCosts(params, spec, caches, Y) if eligible(spec) else None

    def costs(self, components: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """J(θ + steps[k] e_{components[k]}) for every k: ``(K,)``."""
        components = np.asarray(components, dtype=np.intp)
        steps = np.asarray(steps, dtype=np.float64)
        costs = np.empty(components.size)
        offsets = self.index.offsets()
        owner = np.searchsorted(offsets, components, side="right") - 1
        exact = np.ones(components.size, dtype=bool)
        if self.pieces is not None:
            exact = self._piecewise_costs(components, steps, owner, costs)
        for k in np.unique(owner[exact]):
            name = self.index.names[k]
            mine = np.flatnonzero((owner == k) & exact)
            widest = max(self.spec.layer_sizes[int(name[1:]) :])
            chunk = max(1, CHUNK_ELEMENTS // (widest * self.m))
            for start in range(0, mine.size, chunk):
                part = mine[start : start + chunk]
                costs[part] = self._chunk(name, components[part] - offsets[k], steps[part])[0]
        return costs

    def _piecewise_costs(
        self, components: np.ndarray, steps: np.ndarray, owner: np.ndarray, costs: np.ndarray
    ) -> np.ndarray:
        """Fill ``costs`` through :mod:`~dlrecipe.check.pieces` where it applies; returns which
        components still need the exact path."""
        assert self.pieces is not None
        layers, rows, sources, weight = self._locate(components, owner)
        exact = ~np.isin(layers, list(self.pieces.layers))
        here = np.flatnonzero(~exact)
        value = self.theta[components[here]]
        moved = value + steps[here]
        losses, exact[here] = self.pieces.data_losses(
            layers[here], rows[here], sources[here], moved - value
        )
        change = np.where(weight[here], self._penalty_change(value, moved), 0.0)
        costs[here] = losses + (self.penalty + change)
        return exact

    def _locate(
        self, components: np.ndarray, owner: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each component's layer l, row i of Z[l], source j (n[l-1] for a bias), is-weight."""
        names = self.index.names
        layers = np.array([int(name[1:]) for name in names])[owner]
        weight = np.array([name[0] == "W" for name in names])[owner]
        positions = components - self.index.offsets()[owner]
        fan_in = np.array(self.spec.layer_sizes)[layers - 1]
        rows = np.where(weight, positions // fan_in, positions)
        sources = np.where(weight, positions % fan_in, fan_in)
        return layers, rows, sources, weight

    def quotients(self, components: np.ndarray, step: float) -> np.ndarray:
        """(J(θ + εe_i) − J(θ − εe_i)) / 2ε for every component i, with ε = ``step``."""
        components = np.asarray(components, dtype=np.intp)
        both = np.concatenate([components, components])
        steps = np.repeat([step, -step], components.size)
        J = self.costs(both, steps)
        return (J[: components.size] - J[components.size :]) / (2 * step)

    def crosses_kink(self, components: np.ndarray, step: float) -> np.ndarray:
        """Whether ±``step`` on each component changes the sign of any hidden Z: ``(K,)``."""
        components = np.asarray(components, dtype=np.intp)
        crosses = np.zeros(components.size, dtype=bool)
        if not self.spec.hidden.has_kink:
            return crosses
        candidates = np.arange(components.size)
        if self.pieces is not None and self.pieces.layers == set(range(1, self.spec.n_layers + 1)):
            # A bound rules most out at once; the sign test below decides the others.
            owner = np.searchsorted(self.index.offsets(), components, side="right") - 1
            layers, rows, sources, _ = self._locate(components, owner)
            value = self.theta[components]
            maybe = np.zeros(components.size, dtype=bool)
            for sign in (1, -1):
                delta = (value + sign * step) - value
                maybe |= self.pieces.may_cross(layers, rows, sources, delta)
            candidates = np.flatnonzero(maybe)
        for k in candidates:
            i = components[k]
            name, _, _ = self.index.locate(int(i))
            position = np.array([i - self.index.offsets()[self.index.names.index(name)]])
            plus = self._chunk(name, position, np.array([step]), signs=True)[1]
            minus = self._chunk(name, position, np.array([-step]), signs=True)[1]
            crosses[k] = any(not np.array_equal(p, q) for p, q in zip(plus, minus, strict=True))
        return crosses

    def _chunk(
        self, name: str, positions: np.ndarray, steps: np.ndarray, *, signs: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Costs of one chunk of parameter ``name``, and with ``signs`` the hidden Z > 0."""
        spec, caches, L = self.spec, self.caches, self.spec.n_layers
        l = int(name[1:])
        value = self.params[name].reshape(-1)[positions]
        delta = (value + steps) - value  # the step actually taken, after rounding θ + δ
        A_prev = caches[l - 1].A_prev
        if name[0] == "W":
            rows, columns = np.divmod(positions, A_prev.shape[0])
            dZ_row = delta[:, None] * A_prev[columns]  # (K, m)
            penalty = self.penalty + self._penalty_change(value, value + steps)
        else:
            rows = positions
            dZ_row = np.repeat(delta[:, None], self.m, axis=1)
            penalty = np.full(positions.size, self.penalty)
        Z_row = caches[l - 1].Z[rows] + dZ_row
        signed: list[np.ndarray] = []
        if l == L:
            ZL = np.repeat(caches[-1].Z[:, None, :], positions.size, axis=1)
            ZL[rows, np.arange(positions.size)] = Z_row
            return batch_loss(spec, ZL, self.Y) + penalty, signed
        if signs:
            signed.append(Z_row > 0)
        dA_row = spec.hidden.forward(Z_row) - caches[l - 1].A[rows]  # (K, m)
        dZ = np.multiply(self.params[f"W{l + 1}"][:, rows][:, :, None], dA_row)  # (n[l+1], K, m)
        for q in range(l + 1, L):
            Z, A = caches[q - 1].Z[:, None, :], caches[q - 1].A[:, None, :]
            if signs:
                signed.append(Z + dZ > 0)
            if self.increment is not None:
                dA = self.increment(Z, A, dZ)
            else:
                dA = direct_increment(spec.hidden.forward, Z, A, dZ)
            n = dA.shape[0]
            dZ = (self.params[f"W{q + 1}"] @ dA.reshape(n, -1)).reshape(-1, *dA.shape[1:])
        ZL = np.add(caches[-1].Z[:, None, :], dZ, out=dZ)
        return batch_loss(spec, ZL, self.Y) + penalty, signed

    def _penalty_change(self, old: np.ndarray, new: np.ndarray) -> np.ndarray:
        change = np.zeros(old.size)
        if self.spec.l2:
            change += self.spec.l2 / (2 * self.m) * (new * new - old * old)
        if self.spec.l1:
            change += self.spec.l1 / (2 * self.m) * (np.abs(new) - np.abs(old))
        return change
