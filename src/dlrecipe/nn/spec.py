"""NetworkSpec: everything about a network but its weights, checked once when it is made."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from ..validation import is_integer
from .activations import Activation, get_activation
from .losses import Output, get_output


@dataclass(frozen=True)
class NetworkSpec:
    """Everything but the weights: sizes ``n[0] … n[L]``, activations, regularization."""

    layer_sizes: tuple[int, ...]
    hidden: Activation
    output: Output
    keep_prob: tuple[float, ...]  # one per layer 0 … L-1: the probability to keep a unit
    l2: float = 0.0
    l1: float = 0.0

    @property
    def n_layers(self) -> int:
        """L, the number of layers with weights (the input layer is layer 0)."""
        return len(self.layer_sizes) - 1

    @classmethod
    def create(
        cls,
        layer_sizes: Sequence[int],
        *,
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        keep_prob: float | Sequence[float] = 1.0,
        l2: float = 0.0,
        l1: float = 0.0,
    ) -> NetworkSpec:
        """A spec from user-facing arguments; every bad value is a ``ValueError`` naming it."""
        sizes = _check_layer_sizes(layer_sizes)
        output = get_output(output_activation)
        if output.name == "softmax" and sizes[-1] < 2:
            raise ValueError(
                f"a softmax output needs n[L] >= 2 units (one per class); got n[L]={sizes[-1]}. "
                "For two classes use 2 units, or 1 unit with output_activation='sigmoid'"
            )
        return cls(
            layer_sizes=sizes,
            hidden=get_activation(hidden_activation),
            output=output,
            keep_prob=_check_keep_prob(keep_prob, len(sizes) - 1),
            l2=_check_lambda("l2", l2),
            l1=_check_lambda("l1", l1),
        )

    def replace(
        self,
        *,
        keep_prob: float | Sequence[float] | None = None,
        l2: float | None = None,
        l1: float | None = None,
    ) -> NetworkSpec:
        """The same network with other regularization (None keeps the current value)."""
        return NetworkSpec(
            layer_sizes=self.layer_sizes,
            hidden=self.hidden,
            output=self.output,
            keep_prob=self.keep_prob
            if keep_prob is None
            else _check_keep_prob(keep_prob, self.n_layers),
            l2=self.l2 if l2 is None else _check_lambda("l2", l2),
            l1=self.l1 if l1 is None else _check_lambda("l1", l1),
        )

    def to_config(self) -> dict[str, Any]:
        """JSON-serializable arguments of :meth:`create` that rebuild this spec."""
        return {
            "layer_sizes": list(self.layer_sizes),
            "hidden_activation": self.hidden.name,
            "output_activation": self.output.name,
            "keep_prob": list(self.keep_prob),
            "l2": self.l2,
            "l1": self.l1,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NetworkSpec:
        return cls.create(**config)


def _as_list(value: object) -> list[Any] | None:
    """A list, tuple or 1-D array (one value per layer) as a list; None for a single value."""
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim == 1 else None
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else None


def _check_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = _as_list(layer_sizes)
    if sizes is None or len(sizes) < 2:
        raise ValueError(
            "layer_sizes must be a sequence (n[0], …, n[L]) of at least two layer sizes, "
            f"e.g. (2, 10, 5, 1); got {layer_sizes!r}"
        )
    for l, n in enumerate(sizes):
        if not is_integer(n) or n < 1:
            raise ValueError(
                f"layer_sizes[{l}]={n!r}: every layer size must be an integer >= 1; "
                f"got layer_sizes={tuple(sizes)!r}"
            )
    return tuple(int(n) for n in sizes)


def _check_keep_prob(keep_prob: float | Sequence[float], L: int) -> tuple[float, ...]:
    values = _as_list(keep_prob)
    if values is not None:
        if len(values) != L:
            raise ValueError(
                f"keep_prob as a sequence needs one value per layer 0 … L-1 ({L} values, input "
                f"layer first); got {len(values)}: {tuple(values)!r}"
            )
        names = [f"keep_prob[{l}]" for l in range(L)]
    else:
        _check_probability("keep_prob", keep_prob)
        if L == 1 and keep_prob != 1:
            raise ValueError(
                f"keep_prob={keep_prob!r} applies to hidden layers, and this network has none; "
                "to drop inputs pass a sequence with the input layer's value, e.g. (0.8,)"
            )
        values = [1.0] + [keep_prob] * (L - 1)  # the input layer is not dropped by default
        names = ["keep_prob"] * L
    for name, value in zip(names, values, strict=True):
        _check_probability(name, value)
    return tuple(float(v) for v in values)


def _check_probability(name: str, value: object) -> None:
    if not isinstance(value, Real) or isinstance(value, bool) or not 0 < float(value) <= 1:
        raise ValueError(
            f"keep_prob is the probability to keep a unit and must be in (0, 1]; got "
            f"{name}={value!r}. Use 1.0 for no dropout (keep_prob = 1 - the drop rate)"
        )


def _check_lambda(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} (the textbook's λ) must be a finite number >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} (the textbook's λ) must be >= 0 (0 = off); got {name}={value!r}")
    return float(value)
