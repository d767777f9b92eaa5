"""The classifier and the regressor: scikit-learn's interface on the textbook MLP."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .base import FLOAT_DTYPES, NetEstimator


class NetClassifier(ClassifierMixin, NetEstimator):
    """A textbook MLP classifier with scikit-learn's interface (see ``NetEstimator``'s options).

    Labels may be of any type (strings, ints, …); ``classes_`` holds them sorted, and the
    network learns their positions in ``classes_``. Two classes give one sigmoid output unit
    (binary cross-entropy), more give a softmax layer (categorical cross-entropy).
    ``predict_proba`` has one column per class, in ``classes_`` order.

    Attributes (besides the shared ones): ``classes_`` (n_classes,).
    """

    def fit(self, X: ArrayLike, y: ArrayLike) -> NetClassifier:
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,)."""
        X_checked, y_checked = validate_data(self, X, y, dtype=FLOAT_DTYPES, ensure_min_samples=2)
        check_classification_targets(y_checked)
        self.classes_, labels = np.unique(y_checked, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"a classifier needs examples of at least two classes; y holds one class "
                f"({self.classes_[0]!r})"
            )
        output = ("sigmoid", 1) if n_classes == 2 else ("softmax", n_classes)
        self._fit_network(X_checked, labels.astype(np.int64), output, stratify=True)
        self.model_.classes = tuple(str(label) for label in self.classes_)
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The output layer's ``Z[L]``: ``(n_samples,)`` for two classes (> 0 means
        ``classes_[1]``), ``(n_samples, n_classes)`` for more."""
        Z = self._logits(X)
        return Z[0].copy() if Z.shape[0] == 1 else Z.T.copy()

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``, columns in ``classes_`` order."""
        X = self._check_X(X)  # first: before fit there is no model_
        return self.model_.predict_proba(X)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable label of each example, ``(n_samples,)``, from ``classes_``."""
        X = self._check_X(X)  # first: before fit there is no model_
        return self.classes_[self.model_.predict(X)]


class NetRegressor(RegressorMixin, NetEstimator):
    """A textbook MLP regressor with scikit-learn's interface (see ``NetEstimator``'s options).

    The output layer is linear with one unit per target (squared-error loss); ``y`` may be
    ``(n_samples,)`` or ``(n_samples, n_targets)``. The targets are not rescaled: on targets
    far from unit scale, standardize them (e.g. ``TransformedTargetRegressor``).
    """

    def fit(self, X: ArrayLike, y: ArrayLike) -> NetRegressor:
        """Train on ``X`` (n_samples, n_features) and targets ``y``, 1-D or 2-D."""
        X_checked, y_checked = validate_data(
            self, X, y, dtype=FLOAT_DTYPES, ensure_min_samples=2, multi_output=True, y_numeric=True
        )
        targets = y_checked.astype(np.float64, copy=False)
        n_outputs = 1 if targets.ndim == 1 else targets.shape[1]
        self._fit_network(X_checked, targets, ("linear", n_outputs), stratify=False)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted values: ``(n_samples,)`` for one target, ``(n_samples, n_targets)`` else."""
        X = self._check_X(X)  # first: before fit there is no model_
        return self.model_.predict(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
