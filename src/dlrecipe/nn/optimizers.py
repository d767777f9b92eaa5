"""Optimizers: gradient descent, momentum, RMSprop and Adam, in the textbook's form.

``step(params, grads, learning_rate)`` updates the arrays of ``params``
(``{"W1": (n[1], n[0]), "b1": (n[1], 1), …}``) in place from ``grads`` (``{"dW1", "db1", …}``,
regularization already included), with α the learning rate and the same for every ``b``::

    gd          W := W − α dW
    momentum    v := β v + (1 − β) dW                       W := W − α v
    rmsprop     s := β s + (1 − β) dW²                      W := W − α dW / (√s + ε)
    adam        v := β₁ v + (1 − β₁) dW,   s := β₂ s + (1 − β₂) dW²,   t := t + 1
                v̂ = v / (1 − β₁ᵗ),   ŝ = s / (1 − β₂ᵗ)          W := W − α v̂ / (√ŝ + ε)

``v`` and ``s`` are exponentially weighted averages starting at zero (Adam: Kingma & Ba, 2015;
RMSprop: Hinton's lecture 6e). PyTorch's ``SGD(momentum=β, lr=α')`` keeps the sum
``v' := β v' + dW`` instead, ``v' = v / (1 − β)``: it equals ``Momentum(β)`` with
``α = α' / (1 − β)``. PyTorch's ``RMSprop(alpha=β, eps=ε)`` and ``Adam(betas=(β₁, β₂), eps=ε)``
are these formulas exactly, ε outside the square root included.

The parameters are treated as one vector θ, as in gradient checking: ``v`` and ``s`` are flat
vectors over all of them, created at the first step in their dtype. Momentum, RMSprop and Adam
then update v, s and θ in one pass over the vectors (:mod:`~dlrecipe.nn.fused_updates`,
compiled by Numba), gradient descent with one BLAS ``axpy`` (:func:`~dlrecipe.nn.blas.axpy`),
straight into a packed θ. An optimizer holds the state of one model; ``state()`` and
``load_state()`` carry it through a checkpoint, bit for bit. Gradient descent keeps no state but
its step count: training lets the backward pass take its step (``steps_in_backward``, see
:func:`~dlrecipe.nn.network.backward`) and only counts it (``count_step``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..validation import is_finite_number, is_integer
from . import fused_updates
from .optimizer_vectors import Arrays, Vectors, new_vectors


@dataclass
class _State:
    """The mutable part of a (frozen) optimizer."""

    t: int = 0  # steps taken
    vectors: Vectors | None = None  # created by the first step (or load_state)


@dataclass(frozen=True, eq=False)
class Optimizer:
    """What every optimizer shares; use GradientDescent, Momentum, RMSprop or Adam."""

    name: ClassVar[str]
    slots: ClassVar[tuple[str, ...]] = ()  # its moving averages, "v" and/or "s"
    # W := W − α dW exactly: backward can take the step itself (network.backward(descend=α)).
    steps_in_backward: ClassVar[bool] = False
    _state: _State = field(default_factory=_State, init=False, repr=False)

    def step(self, params: Arrays, grads: Arrays, learning_rate: float) -> None:
        """Update every ``params[name]`` in place with its gradient ``grads["d" + name]``.

        A gradient that is one of :meth:`gradient_buffers` is used where it is, without a copy.
        """
        if isinstance(learning_rate, bool) or not 0.0 <= learning_rate < math.inf:
            raise ValueError(
                f"learning_rate must be a finite number >= 0; got learning_rate={learning_rate!r}"
            )
        state = self._state
        x = state.vectors or new_vectors(params, self.slots)
        if not x.validated(params, grads):  # checked once, then compared by identity
            x.validate(params, grads)
        for dW_flat, dW in x.copies:  # gather into dθ the gradients that are not already there
            np.copyto(dW_flat, dW)
        state.vectors = x
        state.t += 1
        self._update(x, x.gathered(), learning_rate)  # in place: these arrays are the model's
        x.scatter()

    def count_step(self) -> None:
        """Count a step that :func:`~dlrecipe.nn.network.backward` took (``steps_in_backward``)."""
        if not self.steps_in_backward:
            raise TypeError(f"{self.name} keeps state that only step() updates; call step()")
        self._state.t += 1

    def gradient_buffers(self, params: Arrays) -> dict[str, np.ndarray]:
        """``{"dW1": …, "db1": …}``: views of the flat dθ to write the gradients of ``params``
        into, so that :meth:`step` takes them without a copy. A step never modifies them."""
        state = self._state
        if state.vectors is None:
            state.vectors = new_vectors(params, self.slots)
        elif (
            list(state.vectors.shapes) != list(params)
            and state.vectors.shapes.keys() == params.keys()
        ):
            # A state loaded from a checkpoint lists the arrays in its file's order: lay the
            # vectors out in the parameters' order, so that a packed θ updates in one call.
            state.vectors = state.vectors.in_order(list(params))
        return dict(state.vectors.gradients)

    def _update(self, x: Vectors, theta: np.ndarray, learning_rate: float) -> None:
        """Update ``theta`` and the averages in place from the gradient ``x.dtheta`` (not to be
        overwritten)."""
        raise NotImplementedError

    def _fused(self, x: Vectors, theta: np.ndarray, scalars: tuple[float, ...]) -> None:
        """This optimizer's update of :mod:`~dlrecipe.nn.fused_updates`, on θ, dθ, v and/or s,
        with ``scalars`` in their dtype (float32 vectors: float32 arithmetic throughout)."""
        averages = tuple(x.averages[slot] for slot in self.slots)
        dtype = theta.dtype.type
        fused_updates.update(
            self.name,
            (theta, x.dtheta, *averages),
            tuple(dtype(scalar) for scalar in scalars),
            scratch=x.delta,
        )

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, int | float]]:
        """Copies of the state: arrays such as ``{"v/dW1": …, "s/dW1": …}`` and ``{"t": …}``."""
        x, arrays = self._state.vectors, {}
        if x is not None:
            for slot in self.slots:
                for name, view in x.split(x.averages[slot]).items():
                    arrays[f"{slot}/d{name}"] = view.copy()
        return arrays, {"t": self._state.t}

    def load_state(self, arrays: Arrays, scalars: Mapping[str, Any]) -> None:
        """Restore a state from :meth:`state`; the next step must get the same parameters."""
        t: Any = scalars.get("t")
        t_is_count = is_integer(t) and t >= 0
        if set(scalars) != {"t"} or not t_is_count:
            raise ValueError(f"scalars must be {{'t': steps taken, an int >= 0}}; got {scalars!r}")
        shapes: dict[str, tuple[int, ...]] = {}
        for key, array in arrays.items():
            slot, _, grad_name = key.partition("/")
            if slot not in self.slots or grad_name[:1] != "d" or len(grad_name) < 2:
                expected = " or ".join(f"'{slot}/dW1'" for slot in self.slots)
                raise ValueError(
                    f"unknown state array {key!r}: {self.name} keeps "
                    + (f"arrays named like {expected}" if expected else "no arrays")
                )
            shape = shapes.setdefault(grad_name[1:], np.shape(array))
            _check_array(key, array, shape, non_negative=slot == "s")
        missing = {f"{slot}/d{name}" for slot in self.slots for name in shapes} - set(arrays)
        if missing:
            raise ValueError(f"incomplete state: missing the arrays {sorted(missing)}")
        if (t > 0) != bool(arrays) and self.slots:
            raise ValueError(f"t={t} with {len(arrays)} state arrays: a saved state has both")
        dtypes = sorted({array.dtype.name for array in arrays.values()})
        if len(dtypes) > 1:
            raise ValueError(f"the state arrays mix the dtypes {dtypes}; save them in one")
        x = Vectors(shapes, np.dtype(dtypes[0]), self.slots) if arrays else None
        if x is not None:
            for slot in self.slots:
                for name, view in x.split(x.averages[slot]).items():
                    view[...] = arrays[f"{slot}/d{name}"]  # a copy: the caller keeps its arrays
        self._state.t, self._state.vectors = int(t), x

    def to_config(self) -> dict[str, Any]:
        """The hyperparameters, JSON-serializable: ``{"name": "adam", "beta1": 0.9, …}``."""
        fields = dataclasses.fields(self)
        return {"name": self.name, **{f.name: getattr(self, f.name) for f in fields if f.init}}


@dataclass(frozen=True, eq=False)
class GradientDescent(Optimizer):
    """W := W − α dW."""

    name: ClassVar[str] = "gd"
    steps_in_backward: ClassVar[bool] = True

    def _update(self, x: Vectors, theta: np.ndarray, learning_rate: float) -> None:
        x.descend(learning_rate)  # W := W − α dW, on θ (which ``theta`` is)


@dataclass(frozen=True, eq=False)
class Momentum(Optimizer):
    """v := β v + (1 − β) dW; W := W − α v. PyTorch's SGD(momentum=β, lr=α(1 − β)) is the same."""

    beta: float = 0.9
    name: ClassVar[str] = "momentum"
    slots: ClassVar[tuple[str, ...]] = ("v",)

    def __post_init__(self) -> None:
        _check(self, "beta", usual="0.9")

    def _update(self, x: Vectors, theta: np.ndarray, learning_rate: float) -> None:
        self._fused(x, theta, (self.beta, 1 - self.beta, learning_rate))


@dataclass(frozen=True, eq=False)
class RMSprop(Optimizer):
    """s := β s + (1 − β) dW²; W := W − α dW / (√s + ε)."""

    beta: float = 0.999
    epsilon: float = 1e-8
    name: ClassVar[str] = "rmsprop"
    slots: ClassVar[tuple[str, ...]] = ("s",)

    def __post_init__(self) -> None:
        _check(self, "beta", usual="0.9 to 0.999")
        _check(self, "epsilon", usual="1e-8")

    def _update(self, x: Vectors, theta: np.ndarray, learning_rate: float) -> None:
        self._fused(x, theta, (self.beta, 1 - self.beta, self.epsilon, learning_rate))


@dataclass(frozen=True, eq=False)
class Adam(Optimizer):
    """Momentum and RMSprop combined, with bias correction: W := W − α v̂ / (√ŝ + ε)."""

    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    name: ClassVar[str] = "adam"
    slots: ClassVar[tuple[str, ...]] = ("v", "s")

    def __post_init__(self) -> None:
        _check(self, "beta1", usual="0.9")
        _check(self, "beta2", usual="0.999")
        _check(self, "epsilon", usual="1e-8")

    def _update(self, x: Vectors, theta: np.ndarray, learning_rate: float) -> None:
        # α v̂ / (√ŝ + ε) with v̂ = v / c₁, ŝ = s / c₂ (cₖ = 1 − βₖᵗ) is, multiplied out,
        # (α √c₂ / c₁) v / (√s + ε √c₂): the bias corrections become two scalars (Kingma &
        # Ba's "more efficient order", with their ε̂ = ε √c₂ exactly).
        t = self._state.t
        root_c2 = math.sqrt(1 - self.beta2**t)
        c = learning_rate * root_c2 / (1 - self.beta1**t)
        beta1, beta2 = self.beta1, self.beta2
        self._fused(x, theta, (beta1, 1 - beta1, beta2, 1 - beta2, self.epsilon * root_c2, c))


OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GradientDescent, Momentum, RMSprop, Adam)
}


def from_config(config: Mapping[str, Any]) -> Optimizer:
    """Rebuild an optimizer (without its state) from :meth:`Optimizer.to_config`."""
    config = dict(config)
    name = config.pop("name", None)
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    cls = OPTIMIZERS[name]
    accepted = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        raise ValueError(f"{name} has no hyperparameter {unknown}; it takes {accepted}")
    return cls(**config)


def get_optimizer(spec: str | Optimizer | Mapping[str, Any]) -> Optimizer:
    """An optimizer from a name (default hyperparameters), an instance (as is) or a config."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str):
        return from_config({"name": spec})
    if isinstance(spec, Mapping):
        return from_config(spec)
    raise TypeError(
        f"optimizer must be a name {sorted(OPTIMIZERS)}, an Optimizer or a config dict; "
        f"got {type(spec).__name__}"
    )


def _check(optimizer: Optimizer, name: str, *, usual: str) -> None:
    """Validate a β (in [0, 1), the weight of the past) or ε (> 0) and store it as a float."""
    value, is_beta = getattr(optimizer, name), name.startswith("beta")
    if not is_finite_number(value) or not (0 <= value < 1 if is_beta else value > 0):
        accepted = "a number in [0, 1)" if is_beta else "a finite number > 0"
        raise ValueError(f"{name} must be {accepted}; got {name}={value!r}. Usually {usual}")
    object.__setattr__(optimizer, name, float(value))  # frozen: set once, while validating


def _check_array(key: str, array: Any, shape: tuple[int, ...], *, non_negative: bool) -> None:
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        raise ValueError(f"state array {key!r} must be a floating-point NumPy array")
    if array.shape != shape:
        raise ValueError(f"state array {key!r} has shape {array.shape}, another has {shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"state array {key!r} holds a non-finite value")
    if non_negative and (array < 0).any():
        raise ValueError(f"state array {key!r} is an average of squares but holds a value < 0")
