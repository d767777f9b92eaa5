"""What the classifier and the regressor share: the options and their documentation, the
checks of the options (made in ``fit``, as scikit-learn asks), and the training itself."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from ..nn import network
from ..nn.inputs import check_dtype
from ..train.early_stopping import EarlyStopping
from ..train.loop import fit as fit_loop
from ..train.model import MLP
from ..validation import is_integer

DEFAULT_BATCH_SIZE = 64
FLOAT_DTYPES = (np.float64, np.float32)


def check_random_state(random_state: object) -> np.random.Generator:
    """A ``numpy.random.Generator`` from an int (a fresh one, seeded), a Generator (itself, as
    is) or None (fresh entropy). The global random state is never used."""
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if is_integer(random_state):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0; got random_state={random_state!r}")
        return np.random.default_rng(int(random_state))
    raise ValueError(
        "random_state must be None, an int or a numpy.random.Generator; "
        f"got {type(random_state).__name__} {random_state!r}. Use np.random.default_rng(seed)"
    )


class NetEstimator(BaseEstimator):
    """The options and the fit shared by the classifier and the regressor.

    Parameters
    ----------
    hidden_layer_sizes
        Units per hidden layer, ``(n[1], …, n[L-1])``; ``(16,)`` is one hidden layer of 16.
        An empty tuple gives no hidden layer (logistic or linear regression).
    hidden_activation
        ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
    init
        How to draw the weights: ``"he"``, ``"xavier"``, ``"glorot"``, ``"random"``,
        ``"zeros"`` (optionally with ``"_uniform"``) or anything ``MLP(init=…)`` accepts.
    l2, l1
        The textbook's λ of the L2 penalty ``(λ/2m) Σ ||W[l]||²`` and of the L1 penalty.
    keep_prob
        The probability to *keep* a unit under inverted dropout (1.0 = no dropout; Keras and
        PyTorch take the drop rate ``1 - keep_prob`` instead). A number applies to every hidden
        layer; a sequence of ``L`` numbers sets layers ``0 … L-1``, the input layer included.
    optimizer
        ``"gd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"`` or an optimizer from
        :mod:`dlrecipe.nn.optimizers` (copied for every fit, so fits never share its state).
    learning_rate
        The step size α.
    epochs
        Passes over the training data (fewer with early stopping; see ``n_iter_``).
    batch_size
        The mini-batch size. None means ``min(64, n_train)``: mini-batches of 64, or batch
        gradient descent on fewer examples. A size at or above the number of training
        examples means batch gradient descent (one step per epoch) — so a fixed size also
        works on the smaller folds of cross-validation.
    early_stopping
        Hold out ``validation_fraction`` of the training data (stratified by class for the
        classifier) and stop after ``patience`` epochs without a lower loss on it; the model
        keeps the weights of its best epoch.
    patience
        Epochs in a row without improvement that stop training (with ``early_stopping``).
    validation_fraction
        The share of the training data held out for early stopping, in (0, 1).
    normalize
        Standardize the inputs with μ and σ of the training data (kept in ``model_``).
    dtype
        ``"float64"`` or ``"float32"``: the network's parameters and computations.
    random_state
        An int, a ``numpy.random.Generator`` or None (fresh entropy). It draws the initial
        weights, the mini-batches, the dropout masks and the early-stopping hold-out; the
        same int gives the same fitted model. A Generator is used as is and advances.

    Attributes
    ----------
    model_
        The fitted :class:`~dlrecipe.train.model.MLP`.
    history_
        Its :class:`~dlrecipe.train.history.History`: ``cost``, ``loss``, ``error`` per epoch,
        and ``dev_loss``, … on the hold-out with ``early_stopping``.
    n_iter_
        The number of epochs run.
    n_features_in_, feature_names_in_
        The number of input features and, when ``X`` had string column names, those names.
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes: Sequence[int] = (16,),
        hidden_activation: str = "relu",
        init: Any = "he",
        l2: float = 0.0,
        l1: float = 0.0,
        keep_prob: float | Sequence[float] = 1.0,
        optimizer: Any = "adam",
        learning_rate: float = 0.01,
        epochs: int = 200,
        batch_size: int | None = None,
        early_stopping: bool = False,
        patience: int = 10,
        validation_fraction: float = 0.1,
        normalize: bool = True,
        dtype: str = "float64",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.hidden_activation = hidden_activation
        self.init = init
        self.l2 = l2
        self.l1 = l1
        self.keep_prob = keep_prob
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.normalize = normalize
        self.dtype = dtype
        self.random_state = random_state

    def _fit_network(
        self, X: np.ndarray, y: np.ndarray, output: tuple[str, int], *, stratify: bool
    ) -> None:
        """Build ``model_`` with ``output = (activation, n[L])`` and train it on encoded ``y``."""
        hidden = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        for name in ("early_stopping", "normalize"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}")
        rng = check_random_state(self.random_state)
        self.model_ = MLP(
            (X.shape[1], *hidden, output[1]),
            hidden_activation=self.hidden_activation,
            output_activation=output[0],
            init=self.init,
            l2=self.l2,
            l1=self.l1,
            keep_prob=self.keep_prob,
            seed=rng,
            dtype=check_dtype(self.dtype),
        )
        dev = None
        callbacks = []
        if self.early_stopping:
            X, y, dev = _hold_out(X, y, self.validation_fraction, stratify=stratify, rng=rng)
            callbacks.append(EarlyStopping(patience=self.patience))
        optimizer = (
            self.optimizer if isinstance(self.optimizer, str) else copy.deepcopy(self.optimizer)
        )
        self.history_ = fit_loop(
            self.model_,
            X,
            y,
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            optimizer=optimizer,
            batch_size=_batch_size(self.batch_size, len(X)),
            dev=dev,
            callbacks=callbacks,
            normalize=bool(self.normalize),
            progress=False,
        )
        self.n_iter_ = len(self.history_)

    def _logits(self, X: ArrayLike) -> np.ndarray:
        """``Z[L]``, ``(n[L], n_samples)``, of checked ``X``; dropout is off."""
        X = self._check_X(X)
        A0 = self.model_.columns(X)
        last = network.forward(self.model_.params, A0, self.model_.spec)[-1]
        return last.Z

    def _check_X(self, X: ArrayLike) -> np.ndarray:
        """``X`` checked against the fit: fitted, finite, as many features (and their names)."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=FLOAT_DTYPES)


# --- option checks and the early-stopping hold-out ------------------------------------------
def _check_hidden_layer_sizes(sizes: object) -> tuple[int, ...]:
    if is_integer(sizes):
        sizes = (sizes,)
    if not isinstance(sizes, Sequence | np.ndarray) or isinstance(sizes, str):
        raise ValueError(
            f"hidden_layer_sizes must be a tuple of unit counts such as (16,) or (32, 16); "
            f"got {sizes!r}"
        )
    for n in sizes:
        if not is_integer(n) or n < 1:
            raise ValueError(
                f"hidden_layer_sizes must hold integers >= 1; got hidden_layer_sizes={sizes!r}"
            )
    return tuple(int(n) for n in sizes)


def _batch_size(batch_size: object, n_train: int) -> int:
    """The mini-batch size for ``n_train`` examples: None means 64; at most ``n_train``."""
    if batch_size is None:
        batch_size = DEFAULT_BATCH_SIZE
    if not is_integer(batch_size) or batch_size < 1:
        raise ValueError(
            f"batch_size must be None (mini-batches of {DEFAULT_BATCH_SIZE}) or an integer >= 1; "
            f"got batch_size={batch_size!r}"
        )
    return min(int(batch_size), n_train)


def _hold_out(
    X: np.ndarray,
    y: np.ndarray,
    fraction: object,
    *,
    stratify: bool,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """``X_train, y_train, (X_dev, y_dev)``: ``fraction`` of the examples held out."""
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float | np.integer | np.floating)
        or not (math.isfinite(fraction) and 0 < fraction < 1)
    ):
        raise ValueError(
            f"validation_fraction must be a number in (0, 1); got validation_fraction={fraction!r}"
        )
    # scikit-learn's splitter takes no Generator; a seed drawn from ours keeps it reproducible.
    seed = int(rng.integers(2**32))
    X_train, X_dev, y_train, y_dev = train_test_split(
        X, y, test_size=float(fraction), stratify=y if stratify else None, random_state=seed
    )
    return X_train, y_train, (X_dev, y_dev)
