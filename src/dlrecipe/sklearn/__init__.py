"""scikit-learn estimators: :class:`NetClassifier` and :class:`NetRegressor` around the MLP.

They make the textbook network usable wherever scikit-learn expects an estimator —
``Pipeline``, ``GridSearchCV``, ``cross_val_score``, ``learning_curve``,
``DecisionBoundaryDisplay`` — and pass ``sklearn.utils.estimator_checks``. Following
scikit-learn's conventions, ``__init__`` only stores the options as given; they are checked in
``fit``, mostly by the same code that checks them for :class:`~dlrecipe.train.model.MLP` and
:func:`~dlrecipe.train.loop.fit`, so the messages are the same.

The network itself is ``model_``, an ordinary :class:`~dlrecipe.train.model.MLP` in the
textbook's notation; ``history_`` is the :class:`~dlrecipe.train.history.History` of its
training.
"""

from .base import check_random_state
from .estimators import NetClassifier, NetRegressor

__all__ = ["NetClassifier", "NetRegressor", "check_random_state"]
