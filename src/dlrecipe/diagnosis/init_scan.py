"""The initialization scan: how the variance of the activations evolves through a deep stack.

The textbook's experiment behind He and Xavier initialization: push standard-normal inputs
through ``depth`` hidden layers of ``width`` units and watch ``Var(A[l])``. With ReLU, He
(``Var(W) = 2/n[l-1]``) keeps it of order one at any depth, small random weights (0.01) make
it vanish geometrically and large ones (10) make it explode; with tanh, Xavier
(``Var(W) = 1/n[l-1]``) keeps it stable — it decays slowly, like 1/l, as tanh saturates, but
not geometrically; zeros give every unit the same output, so no signal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..nn.activations import get_activation
from ..nn.initializers import NAMES, Initializer, initial_parameters
from ..validation import is_finite_number, is_integer

SCHEMES = ("zeros", "random", "he", "xavier", "glorot")
EXPLODES, VANISHES = 1e3, 1e-3  # the last layer's variance over the input's


@dataclass(frozen=True, eq=False)
class InitScan:
    """``Var(A[l])`` and ``Var(Z[l])`` for layers ``1 … depth`` per scheme, and a verdict each.

    A verdict is ``"explodes"`` when the last layer's variance exceeds 1000× the input's
    (overflow shows as ``inf``), ``"vanishes"`` when it is below 1/1000 of it, ``"stable"`` in
    between, and ``"zero: symmetric, no signal"`` when every layer's variance is exactly 0.
    """

    activation: str
    depth: int
    width: int
    input_variance: float
    variances: dict[str, np.ndarray]  # scheme -> Var(A[l]), (depth,)
    z_variances: dict[str, np.ndarray]  # scheme -> Var(Z[l]), (depth,)
    verdicts: dict[str, str]  # scheme -> verdict

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable (overflowed variances are ``inf``, as Python's json writes it)."""
        return {
            "activation": self.activation,
            "depth": self.depth,
            "width": self.width,
            "input_variance": self.input_variance,
            "variances": {k: v.tolist() for k, v in self.variances.items()},
            "z_variances": {k: v.tolist() for k, v in self.z_variances.items()},
            "verdicts": dict(self.verdicts),
        }

    def __str__(self) -> str:
        shown = sorted(set(_one_two_five(self.depth)) | {self.depth})
        header = ["scheme", *(f"Var A[{l}]" for l in shown), "verdict"]
        rows = [header]
        for scheme, variance in self.variances.items():
            cells = [f"{variance[l - 1]:.3g}" for l in shown]
            rows.append([scheme, *cells, self.verdicts[scheme]])
        widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
        lines = [
            f"{self.activation}, {self.depth} layers of {self.width} units, "
            f"input variance {self.input_variance:.3g}"
        ]
        for row in rows:
            first = row[0].ljust(widths[0])
            middle = [cell.rjust(w) for cell, w in zip(row[1:-1], widths[1:], strict=True)]
            lines.append("  ".join([first, *middle, row[-1]]))
        return "\n".join(lines)


def initialization_scan(
    *,
    depth: int = 50,
    width: int = 100,
    activation: str = "relu",
    schemes: Sequence[str] = SCHEMES,
    scale: float = 0.01,
    n_samples: int = 1000,
    seed: int = 0,
) -> InitScan:
    """Forward ``n_samples`` standard-normal inputs through ``depth`` layers of ``width`` units.

    Every layer is ``A[l] = g(W[l] A[l-1] + b[l])`` with ``g = activation`` and ``W[l]``
    drawn by the scheme (``"random"`` with standard deviation ``scale``), biases zero. Each
    scheme draws from its own ``np.random.default_rng(seed)``: first the inputs, then the
    weights, so every scheme sees the same inputs and weights that differ only in scale.
    """
    for name, value, least in (
        ("depth", depth, 1),
        ("width", width, 1),
        ("n_samples", n_samples, 2),
    ):
        if not is_integer(value) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}; got {name}={value!r}")
    g = get_activation(activation).forward
    if isinstance(schemes, str):
        schemes = (schemes,)
    if not schemes:
        raise ValueError(f"schemes must name at least one of {NAMES}; got schemes={schemes!r}")
    for scheme in schemes:
        if scheme not in NAMES:
            raise ValueError(f"unknown initialization scheme {scheme!r}; expected one of {NAMES}")
    if not (is_finite_number(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0; got scale={scale!r}")

    variances, z_variances, verdicts = {}, {}, {}
    input_variance = 0.0
    for scheme in schemes:
        rng = np.random.default_rng(seed)
        A = rng.standard_normal((n_samples, width)).T  # A[0], (width, m)
        input_variance = float(A.var())
        init = Initializer("random", scale=scale) if scheme == "random" else Initializer(scheme)
        params = initial_parameters((width,) * (depth + 1), init, rng, np.dtype("float64"))
        var_A, var_Z = np.empty(depth), np.empty(depth)
        # A diverging stack overflows: its variances become inf, silently.
        with np.errstate(over="ignore", invalid="ignore"):
            for l in range(1, depth + 1):
                Z = params[f"W{l}"] @ A + params[f"b{l}"]
                A = g(Z)
                var_Z[l - 1], var_A[l - 1] = _variance(Z), _variance(A)
        variances[scheme], z_variances[scheme] = var_A, var_Z
        verdicts[scheme] = _verdict(var_A, input_variance)
    return InitScan(activation, depth, width, input_variance, variances, z_variances, verdicts)


def _variance(values: np.ndarray) -> float:
    """The variance of all entries; ``inf`` once anything overflowed."""
    v = float(values.var())
    return v if math.isfinite(v) else math.inf


def _verdict(variances: np.ndarray, input_variance: float) -> str:
    if not variances.any():
        return "zero: symmetric, no signal"
    if variances[-1] > EXPLODES * input_variance:
        return "explodes"
    if variances[-1] < VANISHES * input_variance:
        return "vanishes"
    return "stable"


def _one_two_five(depth: int) -> list[int]:
    """Layers 1, 2, 5, 10, 20, 50, … up to ``depth``."""
    layers, power = [], 1
    while power <= depth:
        layers += [k * power for k in (1, 2, 5) if k * power <= depth]
        power *= 10
    return layers
