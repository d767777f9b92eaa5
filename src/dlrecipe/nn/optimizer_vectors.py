"""The flat vectors an optimizer keeps over all parameters: dθ, its averages v and s, and Δ.

They are laid out as a packed θ is (:func:`~dlrecipe.nn.parameters.storage_views`), so that
an update is one pass over the vectors (:mod:`~dlrecipe.nn.fused_updates`) or, for gradient
descent, one ``axpy`` (:func:`~dlrecipe.nn.blas.axpy`), straight into a packed θ.
:class:`Vectors` also remembers which arrays it last validated, so a step checks shapes and
dtypes once and then only compares the arrays by identity.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any, NoReturn

import numpy as np

from . import blas
from .parameters import packed_vector, storage_views

Arrays = Mapping[str, np.ndarray]  # {"W1": …, "b1": …} or {"dW1": …, "db1": …}


class Vectors:
    """Flat vectors over all parameters (``v``, ``s``, the step's dθ and Δ) and their views."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], dtype: np.dtype, slots: tuple) -> None:
        self.shapes = shapes  # parameter name -> shape, in the order of the flat vectors
        size = sum(math.prod(shape) for shape in shapes.values())
        self.averages = {slot: np.zeros(size, dtype) for slot in slots}  # "v", "s"
        self.dtheta = np.zeros(size, dtype)  # this step's gradient (never overwritten by a step)
        self.delta = np.zeros(size, dtype)  # scratch for an update's NumPy passes
        self.gradients = {"d" + name: view for name, view in self.split(self.dtheta).items()}
        # The arrays of the last validated step, as given (in the dicts' order) and as used:
        self.given: tuple[tuple[Any, ...], tuple[Any, ...]] = ((), ())
        self.copies: list[tuple[np.ndarray, np.ndarray]] = []  # (dθ's view, a gradient elsewhere)
        self.theta: np.ndarray | None = None  # θ: the packed parameters, or a copy of them
        self.scattered: list[tuple[np.ndarray, np.ndarray]] = []  # (θ's view, W) if a copy
        self._descent: blas.Axpy | None = None  # θ := α dθ + θ, bound to the validated θ

    def descend(self, learning_rate: float) -> None:
        """Gradient descent's step on :meth:`gathered` θ: ``θ := θ − α dθ``, one ``axpy``."""
        if self._descent is None:
            assert self.theta is not None, "validate the parameters first"
            self._descent = blas.axpy(self.dtheta, self.theta)
        self._descent(-learning_rate)

    def gathered(self) -> np.ndarray:
        """θ to update in place: the packed parameters themselves, or a copy of them (put back
        by :meth:`scatter`, so that both layouts get the same numbers, bit for bit)."""
        assert self.theta is not None, "validate the parameters first"
        for theta_view, W in self.scattered:
            np.copyto(theta_view, W)
        return self.theta

    def scatter(self) -> None:
        """Copy an updated :meth:`gathered` θ back into parameters that are not packed."""
        for theta_view, W in self.scattered:
            np.copyto(W, theta_view)

    def validated(self, params: Arrays, grads: Arrays) -> bool:
        """Whether ``params`` and ``grads`` hold, by identity, the arrays last validated."""
        Ws, dWs = self.given
        return (
            len(params) == len(Ws)
            and len(grads) == len(dWs)
            and all(map(operator.is_, params.values(), Ws))
            and all(map(operator.is_, grads.values(), dWs))
        )

    def validate(self, params: Arrays, grads: Arrays) -> None:
        """Check the shapes and dtypes of ``params`` and ``grads`` against the state."""
        if len(params) != len(self.shapes) or len(grads) != len(self.shapes):
            mismatch(self, params, grads)
        copies: list[tuple[np.ndarray, np.ndarray]] = []
        for name in self.shapes:
            W, dW, dW_flat = params.get(name), grads.get("d" + name), self.gradients["d" + name]
            if W is None or dW is None or W.shape != dW_flat.shape or dW.shape != W.shape:
                mismatch(self, params, grads)
            if not W.flags.writeable:
                raise ValueError(
                    f"parameter {name} is read-only; the optimizer updates it in place: pass "
                    "writeable arrays (e.g. W.copy())"
                )
            if W.dtype != dW_flat.dtype:
                raise ValueError(
                    f"parameter {name} is {W.dtype} but the optimizer's state is {dW_flat.dtype}; "
                    "keep the model in the dtype it had at the first step"
                )
            if dW is not dW_flat:
                copies.append((dW_flat, dW))
        theta = packed_vector(params)
        if theta is not None and list(params) == list(self.shapes):
            self.theta, self.scattered = theta, []  # see parameters.packed
        else:
            self.theta = np.empty_like(self.dtheta)
            views = self.split(self.theta)
            self.scattered = [(views[name], params[name]) for name in self.shapes]
        self.given = (tuple(params.values()), tuple(grads.values()))
        self.copies = copies
        self._descent = None  # bound to the θ validated before: let it go

    def in_order(self, names: list[str]) -> Vectors:
        """The same vectors, bit for bit, with the parameters laid out in the order ``names``."""
        shapes = {name: self.shapes[name] for name in names}
        moved = Vectors(shapes, self.dtheta.dtype, tuple(self.averages))
        for slot, vector in self.averages.items():
            old, new = self.split(vector), moved.split(moved.averages[slot])
            for name in names:
                new[name][...] = old[name]
        return moved

    def split(self, vector: np.ndarray) -> dict[str, np.ndarray]:
        """Views of a flat ``vector``, one per parameter, laid out as a packed θ is."""
        return storage_views(vector, self.shapes)


def new_vectors(params: Arrays, slots: tuple[str, ...]) -> Vectors:
    dtypes = {W.dtype for W in params.values()}
    if len(dtypes) != 1 or next(iter(dtypes)).kind != "f":
        raise ValueError(
            "the parameters must be floating-point arrays of one dtype; got "
            + ", ".join(f"{name}: {W.dtype}" for name, W in params.items())
        )
    return Vectors({name: W.shape for name, W in params.items()}, dtypes.pop(), slots)


def mismatch(x: Vectors, params: Mapping[str, Any], grads: Mapping[str, Any]) -> NoReturn:
    raise ValueError(
        f"the parameters and gradients do not match the optimizer's state: expected {x.shapes} "
        f"and their gradients {['d' + name for name in x.shapes]}; got "
        f"{ {name: np.shape(W) for name, W in params.items()} } and gradients "
        f"{ {name: np.shape(dW) for name, dW in grads.items()} }. An optimizer holds the "
        "state of one model: build a new one for another model"
    )
