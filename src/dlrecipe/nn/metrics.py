"""The error a person reads: fraction misclassified, or mean squared error for regression."""

from __future__ import annotations

import numpy as np


def error_rate(output: str, ZL: np.ndarray, AL: np.ndarray, Y: np.ndarray) -> float:
    """Error of the predictions ``Z[L]``/``A[L]`` (n[L], m) against the targets ``Y``.

    * ``"sigmoid"``: the fraction of wrong 0/1 labels (σ(z) > 0.5 exactly when z > 0; with
      several outputs, over all labels);
    * ``"softmax"``: the fraction of examples whose largest probability is the wrong class
      (``Y`` holds the labels, shape (m,));
    * ``"linear"``: the mean over examples of ``||ŷ − y||²`` (twice the data loss).
    """
    if output == "softmax":
        return float(np.count_nonzero(ZL.argmax(axis=0) != Y) / ZL.shape[1])
    if output == "sigmoid":
        return float(np.count_nonzero((ZL > 0) != (Y > 0.5)) / ZL.size)
    R = AL - Y
    return float(np.vdot(R, R) / ZL.shape[1])
