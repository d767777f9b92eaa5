"""Checks shared by the boundaries that accept input from a user: numbers, random generators,
data matrices."""

from __future__ import annotations

import math
from numbers import Real
from typing import TypeGuard

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


def is_integer(value: object) -> TypeGuard[int | np.integer]:
    """A Python or NumPy integer that is not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_generator(rng: object) -> np.random.Generator:
    """``rng`` itself when it is a ``numpy.random.Generator``; a ``TypeError`` otherwise."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator, e.g. np.random.default_rng(0); got {rng!r}"
        )
    return rng


def is_finite_number(value: object) -> bool:
    """A real, finite number that is not a bool (``True`` is an int to Python, not to users)."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def all_finite(values: np.ndarray) -> bool:
    """Whether every number in ``values`` is finite (no NaN, no ±inf).

    A sum is NaN or ±inf whenever one of its terms is, so a single ``np.add.reduce`` answers
    for almost every array, without ``np.isfinite``'s boolean array as large as ``values``
    (half the time on MNIST-size data). Only a sum that overflowed from finite terms is
    looked at again, number by number.
    """
    if values.dtype.kind not in "fc":
        return True  # integers and booleans have no NaN or infinity
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(values, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(values).all())


def first_non_finite(values: np.ndarray, *, first_row: int = 0) -> str:
    """``"nan at row 3, column 1"``: the first NaN or ±inf in ``values`` and where it is
    (rows counted from ``first_row``, for a chunk of a larger array)."""
    position = tuple(int(i) for i in np.argwhere(~np.isfinite(values))[0])
    row = first_row + position[0]
    where = f"row {row}" + (f", column {position[1]}" if len(position) > 1 else "")
    return f"{values[position].item()!r} at {where}"


def non_finite_error(X: np.ndarray, *, first_row: int = 0) -> ValueError:
    """The error for a data matrix (or a chunk of one) holding NaN or ±inf."""
    return ValueError(
        f"X contains a non-finite value: {first_non_finite(X, first_row=first_row)}; "
        "remove or impute NaN and infinite values first"
    )


def check_matrix(X: ArrayLike, *, dtype: DTypeLike | None = None) -> np.ndarray:
    """``X`` as a non-empty, numeric, finite 2-D array (n_samples, n_features).

    With ``dtype`` the array is cast first (no copy when it already has that dtype), so that
    values which overflow the new dtype are caught too.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        hint = " (one example: X.reshape(1, -1))" if X.ndim == 1 else ""
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, n_features); got shape {X.shape}{hint}"
        )
    if X.shape[0] == 0:
        raise ValueError("X has no rows (n_samples = 0); at least one example is needed")
    if X.dtype.kind not in "fiub":
        raise ValueError(f"X must hold numbers; got an array of dtype {X.dtype}")
    if dtype is not None:
        with np.errstate(over="ignore"):  # an overflow to ±inf is reported just below
            X = X.astype(dtype, copy=False)
    if not all_finite(X):
        raise non_finite_error(X)
    return X


def check_n_features(X: np.ndarray, n_features: int) -> None:
    """A checked ``X`` must have the input layer's ``n[0]`` columns."""
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features but the network's input layer has n[0]={n_features}; "
            f"check the data, or build the model with layer_sizes starting at {X.shape[1]}"
        )
