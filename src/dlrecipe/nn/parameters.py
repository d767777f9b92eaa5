"""The parameters as one vector θ and back, with a map from every component to its place.

"Reshape W[1], b[1], …, W[L], b[L] into a big vector θ": each array is flattened row by row
(C order) and the pieces are concatenated in the order of the mapping. :class:`ParameterIndex`
remembers the names and shapes, so that component ``i`` of θ can be located as
``(name, row, column)`` — the way a gradient check points at the wrong parameter.

Training keeps the parameters themselves in one vector too (:func:`packed`), laid out for
speed rather than for reading (:func:`storage_views`): that storage is not the textbook's θ,
which :func:`parameters_to_vector` always builds as a copy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ParameterIndex:
    """Names, shapes and offsets of the parameters packed into θ (in that order)."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]

    @classmethod
    def from_shapes(cls, shapes: Mapping[str, tuple[int, ...]]) -> ParameterIndex:
        """Index for an ordered mapping such as ``{"W1": (5, 4), "b1": (5, 1), …}``."""
        checked = {}
        for name, shape in shapes.items():
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            if len(shape) > 2 or not all(isinstance(n, int | np.integer) and n > 0 for n in shape):
                raise ValueError(
                    f"parameter_shapes[{name!r}] must be a shape of one or two positive integers "
                    f"such as (5, 4); got {shapes[name]!r}"
                )
            checked[str(name)] = tuple(int(n) for n in shape)
        return cls(tuple(checked), tuple(checked.values()))

    @classmethod
    def of(cls, params: Mapping[str, np.ndarray]) -> ParameterIndex:
        """Index of a parameter dict, in its iteration order."""
        return cls.from_shapes({name: p.shape for name, p in params.items()})

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(math.prod(shape) for shape in self.shapes)

    @property
    def size(self) -> int:
        """Number of components of θ."""
        return sum(self.sizes)

    def offsets(self) -> np.ndarray:
        """Start of each parameter in θ, plus the end: ``(len(names) + 1,)``."""
        return np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.intp)

    def slice(self, name: str) -> slice:
        """The slice of θ that holds parameter ``name``."""
        k = self.names.index(name)
        offsets = self.offsets()
        return slice(int(offsets[k]), int(offsets[k + 1]))

    def locate(self, i: int) -> tuple[str, int, int]:
        """Component ``i`` of θ as ``(name, row, column)`` (column 0 for a 1-D parameter)."""
        if not 0 <= i < self.size:
            raise IndexError(f"component {i} is outside θ of size {self.size}")
        offsets = self.offsets()
        k = int(np.searchsorted(offsets, i, side="right")) - 1
        shape = self.shapes[k]
        position = np.unravel_index(i - int(offsets[k]), shape)
        row = int(position[0])
        column = int(position[1]) if len(shape) == 2 else 0
        return self.names[k], row, column

    def owner(self) -> np.ndarray:
        """For every component of θ, the position of its parameter in ``names``: ``(size,)``."""
        return np.repeat(np.arange(len(self.names)), self.sizes)


def parameters_to_vector(params: Mapping[str, np.ndarray], index: ParameterIndex) -> np.ndarray:
    """θ: the arrays named in ``index``, flattened row by row and concatenated (a copy)."""
    for name, shape in zip(index.names, index.shapes, strict=True):
        if np.shape(params[name]) != shape:
            raise ValueError(
                f"{name} has shape {np.shape(params[name])}; the index expects {shape}"
            )
    return np.concatenate([np.ravel(params[name]) for name in index.names])


def gradients_to_vector(grads: Mapping[str, np.ndarray], index: ParameterIndex) -> np.ndarray:
    """dθ: the gradients ``{"dW1", "db1", …}`` packed in the order of the parameters' ``index``."""
    for name, shape in zip(index.names, index.shapes, strict=True):
        if np.shape(grads[f"d{name}"]) != shape:
            raise ValueError(f"d{name} has shape {np.shape(grads[f'd{name}'])}; {name} is {shape}")
    return np.concatenate([np.ravel(grads[f"d{name}"]) for name in index.names])


def vector_to_parameters(theta: np.ndarray, index: ParameterIndex) -> dict[str, np.ndarray]:
    """The parameters packed in ``theta``, as reshaped views into it (no copy)."""
    theta = np.asarray(theta)
    if theta.shape != (index.size,):
        raise ValueError(f"θ must have shape ({index.size},) for this index; got {theta.shape}")
    offsets = index.offsets()
    return {
        name: theta[offsets[k] : offsets[k + 1]].reshape(shape)
        for k, (name, shape) in enumerate(zip(index.names, index.shapes, strict=True))
    }


def packed(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Copies of ``params`` as consecutive views of one new vector, in the dict's order.

    Training keeps its parameters so: the optimizer's update and the divergence guard's copy
    are then one NumPy call on the vector instead of one per array, and on small networks the
    calls, not the arithmetic, take the time. The layout is :func:`storage_views`'s, which puts
    ``[W[l] | b[l]]`` in one matrix (see :func:`augmented`). Arrays of different dtypes are
    returned as they are (unpacked), so that the optimizer can report the mix.
    """
    arrays = {name: np.asarray(p) for name, p in params.items()}
    if len({p.dtype for p in arrays.values()}) != 1:
        return arrays
    shapes = {name: p.shape for name, p in arrays.items()}
    storage = np.empty(sum(p.size for p in arrays.values()), next(iter(arrays.values())).dtype)
    views = storage_views(storage, shapes)
    for name, p in arrays.items():
        np.copyto(views[name], p)
    return views


def storage_views(
    vector: np.ndarray, shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, np.ndarray]:
    """Consecutive views of a flat ``vector`` with the given shapes, each 2-D one column by column.

    Column order (Fortran's) is what lets ``b[l]`` (n[l], 1) stored right after ``W[l]``
    (n[l], n[l-1]) extend it by one column: ``[W[l] | b[l]]`` is then a matrix viewing both,
    and training computes ``Z[l] = [W[l] | b[l]] [A[l-1]; 1]`` and ``[dW[l] | db[l]]`` as one
    product each, with no separate pass to add ``b`` or to sum ``db``. The optimizer lays
    out its vectors (dθ, v, s) the same way, so that θ and dθ match element by element.
    """
    views, start = {}, 0
    for name, shape in shapes.items():
        end = start + math.prod(shape)
        views[name], start = vector[start:end].reshape(shape[::-1]).T, end
    return views


def packed_vector(params: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The vector under ``params`` when they are consecutive views that tile one contiguous
    vector in order, in :func:`storage_views`'s layout (as :func:`packed` makes them), else None."""
    arrays = list(params.values())
    theta: object = getattr(arrays[0], "base", None) if arrays else None
    if not isinstance(theta, np.ndarray) or theta.ndim != 1 or not theta.flags.c_contiguous:
        return None
    start = address = _address(theta)
    for view in arrays:
        if (
            not isinstance(view, np.ndarray)
            or view.base is not theta
            or not view.flags.f_contiguous
            or _address(view) != address
        ):
            return None
        address += view.nbytes
    return theta if address == start + theta.nbytes else None


def augmented(W: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """``[W | b]`` (n, k+1) as one view of their memory, when ``b`` (n, 1) directly follows
    ``W`` (n, k) stored column by column (as :func:`packed` lays them out), else None.

    Writing the view writes ``W`` and ``b``: it is the same memory.
    """
    n = W.shape[0] if W.ndim == 2 else -1
    base = W.base
    if (
        b.shape != (n, 1)
        or not isinstance(base, np.ndarray)
        or b.base is not base
        or base.ndim != 1
        or not base.flags.c_contiguous
        or b.dtype != W.dtype
        or not (W.flags.f_contiguous and b.flags.f_contiguous)
        or _address(b) != _address(W) + W.nbytes
    ):
        return None
    start = (_address(W) - _address(base)) // base.itemsize
    return base[start : start + W.size + n].reshape(W.shape[1] + 1, n).T


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]
