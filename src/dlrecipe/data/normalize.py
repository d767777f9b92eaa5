"""Input normalization fitted on the training part only: ``x := (x − μ) / σ`` per feature.

μ and σ² come from the training examples alone and are then applied, unchanged, to dev, test
and every later prediction; normalizing the test set with its own statistics would leak it
into the model and make dev and test look closer to train than new data will be.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import NotFittedError
from ..validation import check_matrix


class Standardizer:
    """Zero mean, unit variance per feature, with μ and σ from :meth:`fit`'s data only.

    ``μ = (1/m) Σ x⁽ⁱ⁾`` and ``σ² = (1/m) Σ (x⁽ⁱ⁾ − μ)²`` (the textbook's, computed in
    float64). A constant feature has σ = 0: it is centred but not divided (it becomes 0, not
    NaN), and listed in :attr:`constant_features`, since it carries no information for the
    model.

    Attributes (after ``fit``): ``mean`` (n_features,), ``std`` (n_features,),
    ``constant_features`` (indices), ``n_samples_seen``.
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.n_samples_seen = 0

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    @property
    def constant_features(self) -> list[int]:
        return [] if self.std is None else np.flatnonzero(self.std == 0).tolist()

    def fit(self, X: ArrayLike) -> Standardizer:
        """Learn μ and σ from the training examples ``X`` (m, n_features)."""
        X = _check(X, None)
        if len(X) < 2:
            raise ValueError(
                "fitting a Standardizer needs at least 2 examples to estimate a variance; "
                f"got {len(X)}"
            )
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
        self.mean, self.std, self.n_samples_seen = mean, _zero_constant(std, mean, X.dtype), len(X)
        return self

    @classmethod
    def from_moments(
        cls, mean: np.ndarray, std: np.ndarray, *, n_samples: int, dtype: np.dtype
    ) -> Standardizer:
        """A Standardizer fitted from μ and σ (float64, (n_features,)) computed elsewhere, e.g.
        chunk by chunk over a memory-mapped X of ``dtype``, with :meth:`fit`'s rule for
        constant features."""
        standardizer = cls.from_arrays({"mean": mean, "std": _zero_constant(std, mean, dtype)})
        standardizer.n_samples_seen = n_samples
        return standardizer

    def transform(self, X: ArrayLike) -> np.ndarray:
        """``(X − μ) / σ`` with the fitted μ, σ; a new array, float32 kept as float32."""
        mean, std = self._fitted()
        X = _check(X, len(mean))
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        scale = np.where(std == 0, 1.0, std)
        return ((X - mean) / scale).astype(dtype, copy=False)

    def fit_transform(self, X: ArrayLike) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """``X σ + μ``: back to the original units (constant features come back as μ)."""
        mean, std = self._fitted()
        X = _check(X, len(mean))
        dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
        return (X * std + mean).astype(dtype, copy=False)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``{"mean", "std"}`` in float64, for a model file (safetensors or ``.npz``)."""
        mean, std = self._fitted()
        return {"mean": mean.copy(), "std": std.copy()}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_arrays`; the arrays are checked."""
        mean = np.asarray(arrays["mean"], dtype=np.float64)
        std = np.asarray(arrays["std"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != std.shape:
            raise ValueError(
                f"mean and std must be 1-D of one length; got shapes {mean.shape} and {std.shape}"
            )
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std >= 0).all()):
            raise ValueError("mean and std must be finite, and std >= 0")
        standardizer = cls()
        standardizer.mean, standardizer.std = mean, std
        return standardizer

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.std is None:
            raise NotFittedError(
                "this Standardizer is not fitted yet; call fit(X_train) first, on the training "
                "part only"
            )
        return self.mean, self.std

    def __repr__(self) -> str:
        if not self.fitted:
            return "Standardizer(not fitted)"
        _, std = self._fitted()
        constant = self.constant_features
        note = f", constant features {constant} (centred, not scaled)" if constant else ""
        return f"Standardizer(fitted on {self.n_samples_seen} examples × {len(std)} features{note})"


def _zero_constant(std: np.ndarray, mean: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``std`` (in place) with σ := 0 exactly for a feature whose spread is within rounding of
    its mean in ``dtype``: it is constant."""
    resolution = np.finfo(dtype if dtype.kind == "f" else np.float64).eps
    std[std <= 8 * resolution * np.maximum(np.abs(mean), 1)] = 0.0
    return std


def _check(X: ArrayLike, n_features: int | None) -> np.ndarray:
    X = check_matrix(X)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the Standardizer was fitted on {n_features}"
        )
    return X
