"""The public boundary: ``X`` as rows and ``y`` as labels in, the textbook's columns out.

Users pass ``X`` of shape ``(n_samples, n_features)`` and ``y`` of shape ``(n_samples,)`` (or
``(n_samples, n_outputs)``), like NumPy and scikit-learn. The network works on columns:
``A[0] = Xᵀ``, ``(n[0], m)``. The conversion happens once, here, and ``A[0]`` is the transposed
*view* of the rows, not a copy — gathering a mini-batch of rows is much cheaper than gathering
columns. Every check names the offending value and says what is accepted.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..validation import check_matrix, check_n_features, first_non_finite

FLOAT_DTYPES = (np.dtype("float64"), np.dtype("float32"))


def check_dtype(dtype: object) -> np.dtype:
    """``np.dtype`` for ``"float64"`` or ``"float32"``; anything else raises ``ValueError``."""
    resolved = None
    # NumPy parses a string such as "2f8,(3)i4" as a structured dtype (with ast.literal_eval:
    # a SyntaxError on some): a name of a dtype is one word.
    if not isinstance(dtype, str) or dtype.replace("<", "").replace("=", "").isalnum():
        try:
            resolved = np.dtype(dtype)  # type: ignore[call-overload]
        except (TypeError, ValueError, SyntaxError):
            resolved = None
    # ``None in FLOAT_DTYPES`` is True (NumPy reads None as float64): test for it first.
    if resolved is None or resolved not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32'; got dtype={dtype!r}")
    return resolved


def as_columns(X: ArrayLike, n_features: int, dtype: np.dtype) -> np.ndarray:
    """``A[0]``: ``X`` (n_samples, n_features) checked, cast to ``dtype`` and transposed (a view).

    No copy is made when ``X`` already has ``dtype``.
    """
    X = check_matrix(X, dtype=dtype)
    check_n_features(X, n_features)
    return X.T


def as_targets(y: ArrayLike, output: str, n_outputs: int, m: int, dtype: np.dtype) -> np.ndarray:
    """The targets in the network's layout, checked against the output layer.

    * ``"sigmoid"``: 0/1 labels ``(m,)`` for one output, ``(m, n[L])`` for several
      (multi-label); returns ``Y`` of shape ``(n[L], m)``.
    * ``"softmax"``: integer class labels ``(m,)`` in ``0 … n[L]-1``; returns them as ``(m,)``.
    * ``"linear"``: real targets ``(m,)`` or ``(m, n[L])``; returns ``Y`` of shape ``(n[L], m)``.
    """
    y = np.asarray(y)
    expected = (
        "(n_samples,)" if n_outputs == 1 or output == "softmax" else f"(n_samples, {n_outputs})"
    )
    if y.ndim == 2 and n_outputs == 1 and y.shape[1] == 1:
        y = y[:, 0]
    shape_ok = y.ndim == 1 if expected == "(n_samples,)" else y.shape[1:] == (n_outputs,)
    if not shape_ok:
        raise ValueError(f"y must have shape {expected} for this output layer; got shape {y.shape}")
    if y.shape[0] != m:
        raise ValueError(f"X has {m} rows but y has {y.shape[0]}; they must match")
    if y.dtype.kind not in "fiub":
        raise ValueError(f"y must hold numbers; got an array of dtype {y.dtype}")
    if not np.isfinite(y).all():
        raise ValueError(f"y contains a non-finite value: {first_non_finite(y)}")
    if output == "softmax":
        return _class_labels(y, n_outputs)
    if output == "sigmoid":
        bad = (y != 0) & (y != 1)
        if bad.any():
            value = y[tuple(np.argwhere(bad)[0])].item()
            raise ValueError(
                f"a sigmoid output needs 0/1 labels; y contains {value!r}. For classes 0 … k-1 "
                "use output_activation='softmax'; for real-valued targets use 'linear'"
            )
    Y = y.astype(dtype, copy=False)
    return Y.reshape(1, m) if Y.ndim == 1 else Y.T


def _class_labels(y: np.ndarray, n_classes: int) -> np.ndarray:
    # Compared before casting: a label like 1e20 must be an error, not an overflow.
    bad = (y < 0) | (y >= n_classes) | (y != np.round(y))
    if bad.any():
        value = y[np.argmax(bad)].item()
        raise ValueError(
            f"a softmax output with n[L]={n_classes} units needs integer class labels in "
            f"0 … {n_classes - 1}; y contains {value!r}"
        )
    return y.astype(np.intp)
