"""Weight initializers: one variance-scaling draw, and the textbook's schemes as presets.

Every scheme draws ``W[l]`` of shape ``(n[l], n[l-1])`` with zero mean and a variance given by
a formula in the fan-in ``n[l-1]`` and the fan-out ``n[l]``, times a ``gain`` that can be tuned
like any other hyperparameter; biases always start at zero.

=========  =====================  =========================================================
scheme     Var(W[l])              use
=========  =====================  =========================================================
zeros      0                      never breaks symmetry: every hidden unit stays identical
random     scale²                 ``scale=0.01`` (default) or the "large random" ``scale=10``
he         2 / n[l-1]             ReLU (He et al., 2015)
xavier     1 / n[l-1]             tanh (LeCun/Xavier, the textbook's "Xavier" variant)
glorot     2 / (n[l-1] + n[l])    tanh/sigmoid (Glorot & Bengio, 2010)
=========  =====================  =========================================================

``distribution="normal"`` draws ``N(0, Var)`` (not truncated, as in the textbook);
``"uniform"`` draws ``U(-√(3 Var), √(3 Var))``, which has the same variance. Keras-style names
such as ``"he_uniform"`` and ``"glorot_normal"`` are accepted as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..validation import is_finite_number

DISTRIBUTIONS = ("normal", "uniform")

_VARIANCE: dict[str, Callable[[int, int, float], float]] = {
    # (n_out, n_in, scale) -> variance before the gain
    "zeros": lambda n_out, n_in, scale: 0.0,
    "random": lambda n_out, n_in, scale: scale * scale,  # scale is only None for other schemes
    "he": lambda n_out, n_in, scale: 2.0 / n_in,
    "xavier": lambda n_out, n_in, scale: 1.0 / n_in,
    "glorot": lambda n_out, n_in, scale: 2.0 / (n_in + n_out),
}


@dataclass(frozen=True)
class Initializer:
    """A variance-scaling scheme; call it with ``(shape, rng)`` to draw a weight matrix.

    Build one with the presets :func:`zeros`, :func:`random`, :func:`he`, :func:`xavier` and
    :func:`glorot` rather than directly.
    """

    name: str
    gain: float = 1.0
    distribution: str = "normal"
    scale: float | None = None  # the standard deviation of ``random`` (default 0.01); only there

    def __post_init__(self) -> None:
        if self.name not in _VARIANCE:
            raise ValueError(f"unknown initializer {self.name!r}; expected one of {NAMES}")
        if not is_finite_number(self.gain) or self.gain <= 0:
            raise ValueError(f"gain must be a finite number > 0; got gain={self.gain!r}")
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {list(DISTRIBUTIONS)}; "
                f"got distribution={self.distribution!r}"
            )
        if self.name != "random":
            if self.scale is not None:
                raise ValueError(
                    "scale is the standard deviation of the 'random' initializer; "
                    f"{self.name!r} takes its variance from the layer sizes (tune it with "
                    f"gain=); got scale={self.scale!r}"
                )
        elif self.scale is None:
            object.__setattr__(self, "scale", 0.01)
        elif not is_finite_number(self.scale) or self.scale <= 0:
            raise ValueError(f"scale must be a finite number > 0; got scale={self.scale!r}")

    def variance(self, n_out: int, n_in: int) -> float:
        """Var(W[l]) for a layer with ``n[l] = n_out`` units fed by ``n[l-1] = n_in``."""
        return self.gain * _VARIANCE[self.name](n_out, n_in, self.scale)  # type: ignore[arg-type]

    def __call__(self, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """Draw ``W`` of ``shape = (n[l], n[l-1])`` in float64 from ``rng``."""
        return variance_scaling(shape, self.variance(*shape), self.distribution, rng)

    def to_config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this initializer with :func:`from_config`."""
        config: dict[str, Any] = {"name": self.name, "gain": self.gain}
        config["distribution"] = self.distribution
        if self.name == "random":
            config["scale"] = self.scale
        return config


def variance_scaling(
    shape: tuple[int, int], variance: float, distribution: str, rng: np.random.Generator
) -> np.ndarray:
    """Zero-mean float64 draw of ``shape`` with the given variance, normal or uniform."""
    if variance == 0:
        return np.zeros(shape)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, size=shape)
    return rng.standard_normal(shape) * math.sqrt(variance)


def zeros() -> Initializer:
    """All weights 0: the symmetric start that gradient descent can never break."""
    return Initializer("zeros")


def random(scale: float = 0.01, *, gain: float = 1.0, distribution: str = "normal") -> Initializer:
    """Weights with standard deviation ``scale`` (times √gain); ``scale=10`` is "large random"."""
    return Initializer("random", gain=gain, distribution=distribution, scale=scale)


def he(*, gain: float = 1.0, distribution: str = "normal") -> Initializer:
    """Var(W[l]) = gain · 2 / n[l-1], for ReLU layers."""
    return Initializer("he", gain=gain, distribution=distribution)


def xavier(*, gain: float = 1.0, distribution: str = "normal") -> Initializer:
    """Var(W[l]) = gain · 1 / n[l-1], for tanh layers."""
    return Initializer("xavier", gain=gain, distribution=distribution)


def glorot(*, gain: float = 1.0, distribution: str = "normal") -> Initializer:
    """Var(W[l]) = gain · 2 / (n[l-1] + n[l])."""
    return Initializer("glorot", gain=gain, distribution=distribution)


NAMES = sorted(_VARIANCE)

# A scheme by name (optionally with Keras' "_normal"/"_uniform" suffix), an Initializer, or any
# callable ``(shape, rng) -> array``.
InitSpec = str | Initializer | Callable[[tuple[int, int], np.random.Generator], np.ndarray]


def from_config(config: dict[str, Any]) -> Initializer:
    """Rebuild an initializer from :meth:`Initializer.to_config`."""
    return Initializer(**config)


def get_initializer(spec: InitSpec) -> Callable[[tuple[int, int], np.random.Generator], Any]:
    """Resolve ``spec`` to a callable ``(shape, rng) -> W``; unknown names raise ``ValueError``."""
    if isinstance(spec, Initializer):
        return spec
    if isinstance(spec, str):
        name, _, distribution = spec.partition("_")
        accepted = NAMES + [f"{n}_{d}" for n in NAMES if n != "zeros" for d in DISTRIBUTIONS]
        if spec in accepted:
            return Initializer(name, distribution=distribution or "normal")
        raise ValueError(f"unknown initializer {spec!r}; expected one of {accepted}")
    if callable(spec):
        return spec
    raise TypeError(
        "init must be an initializer name, an Initializer from dlrecipe.initializers or a "
        f"callable (shape, rng) -> array; got {type(spec).__name__}"
    )


def initial_parameters(
    layer_sizes: Sequence[int],
    init: InitSpec | Sequence[InitSpec],
    rng: np.random.Generator,
    dtype: np.dtype,
) -> dict[str, np.ndarray]:
    """``{"W1", "b1", …}``: each ``W[l]`` drawn by ``init`` (or ``init[l-1]``), biases zero.

    ``init`` is one scheme for every layer or a sequence of one per layer ``1 … L``. Draws are
    float64 from ``rng``, then cast to ``dtype``, so models of either dtype start alike.
    """
    L = len(layer_sizes) - 1
    if isinstance(init, Sequence | np.ndarray) and not isinstance(init, str):
        per_layer = list(init)
        if len(per_layer) != L:
            raise ValueError(
                f"init as a sequence needs one entry per layer 1 … L ({L}); got {len(per_layer)}"
            )
    else:
        per_layer = [init] * L
    params = {}
    for l, spec in enumerate(per_layer, start=1):
        shape = (layer_sizes[l], layer_sizes[l - 1])
        W = np.asarray(get_initializer(spec)(shape, rng), dtype=np.float64)
        if W.shape != shape:
            raise ValueError(f"init for layer {l} must return shape {shape}; got {W.shape}")
        if not np.isfinite(W).all():
            raise ValueError(f"init for layer {l} returned NaN or infinite weights")
        params[f"W{l}"] = W.astype(dtype)
        params[f"b{l}"] = np.zeros((shape[0], 1), dtype=dtype)
    return params
