"""MLP: a network's state — spec, parameters, random generator, input normalizer — and its API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..data.normalize import Standardizer
from ..nn import network
from ..nn.activations import sigmoid
from ..nn.initializers import InitSpec, initial_parameters
from ..nn.inputs import as_columns, as_targets, check_dtype
from ..nn.metrics import error_rate
from ..nn.parameters import packed
from ..nn.spec import NetworkSpec
from ..validation import all_finite, check_matrix, check_n_features, first_non_finite

if TYPE_CHECKING:
    from .history import History


class MLP:
    """A multilayer perceptron in the textbook's notation.

    Parameters
    ----------
    layer_sizes
        ``(n[0], n[1], …, n[L])``: input features, hidden units per layer, output units.
        ``(2, 10, 5, 1)`` is a 2-input network with hidden layers of 10 and 5 units.
    hidden_activation
        ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
    output_activation
        ``"sigmoid"`` (binary or multi-label, binary cross-entropy), ``"softmax"`` (classes
        ``0 … n[L]-1``, categorical cross-entropy) or ``"linear"`` (regression, squared error).
    init
        How to draw each ``W[l]``: a name (``"zeros"``, ``"random"``, ``"he"``, ``"xavier"``,
        ``"glorot"``, optionally with ``"_uniform"``), an initializer from
        :mod:`dlrecipe.initializers` such as ``initializers.random(scale=10)``, a callable
        ``(shape, rng) -> array``, or a sequence of ``L`` of these to set each layer apart.
        Biases start at zero.
    l2, l1
        The textbook's λ for the L2 penalty ``(λ/2m) Σ ||W[l]||²`` and the L1 penalty
        ``(λ/2m) Σ |W[l]|`` (see :mod:`dlrecipe.nn.regularization` for other libraries' terms).
    keep_prob
        The probability to *keep* a unit under inverted dropout (1.0 = no dropout; Keras and
        PyTorch take the drop rate ``1 - keep_prob`` instead). A number applies to every hidden
        layer; a sequence of ``L`` numbers sets layers ``0 … L-1``, the input layer included.
        Dropout is only active when computing gradients for training, never in ``predict``.
    seed
        An int, a ``numpy.random.Generator``, or None for fresh entropy. It draws the initial
        weights, the mini-batches and the dropout masks; no global random state is used.
    dtype
        ``"float64"`` (default) or ``"float32"``.

    Attributes
    ----------
    params
        The live parameters ``{"W1": (n[1], n[0]), "b1": (n[1], 1), …}``: changing an array
        (or assigning one of the same shape) changes the model. They are views of one vector
        θ, so that a training step updates them in one call, each ``W[l]`` stored column by
        column with ``b[l]`` after it, so that ``[W[l] | b[l]]`` is one matrix for the
        products; ``fit`` packs arrays assigned by hand into one θ again (see
        :func:`dlrecipe.nn.parameters.packed`).
    standardizer
        The input normalization fitted on the training data by :meth:`fit` (None before, or
        with ``normalize=False``); applied to every input of ``predict``, ``cost``, ….
    classes
        Optional names of the classes (label ``k`` is ``classes[k]``), kept in model files.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        *,
        hidden_activation: str = "relu",
        output_activation: str = "sigmoid",
        init: InitSpec | Sequence[InitSpec] = "he",
        l2: float = 0.0,
        l1: float = 0.0,
        keep_prob: float | Sequence[float] = 1.0,
        seed: int | np.random.Generator | None = None,
        dtype: str | np.dtype = "float64",
    ) -> None:
        self.spec = NetworkSpec.create(
            layer_sizes,
            hidden_activation=hidden_activation,
            output_activation=output_activation,
            keep_prob=keep_prob,
            l2=l2,
            l1=l1,
        )
        self.dtype = check_dtype(dtype)
        self.init = init
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        # One vector θ, viewed as W[1], b[1], …: training updates it in one call (see packed).
        self.params = packed(initial_parameters(self.layer_sizes, init, self.rng, self.dtype))
        self.standardizer: Standardizer | None = None
        self.classes: tuple[str, ...] | None = None
        self.stop_training = False  # set by a callback to end fit after the current epoch

    # --- hyperparameters, read-only views of the spec ---------------------------------------
    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return self.spec.layer_sizes

    @property
    def n_layers(self) -> int:
        """L: layers with weights (hidden layers plus the output layer)."""
        return self.spec.n_layers

    @property
    def hidden_activation(self) -> str:
        return self.spec.hidden.name

    @property
    def output_activation(self) -> str:
        return self.spec.output.name

    @property
    def keep_prob(self) -> tuple[float, ...]:
        """The keep probability of layers ``0 … L-1`` (input layer first)."""
        return self.spec.keep_prob

    @property
    def l2(self) -> float:
        return self.spec.l2

    @property
    def l1(self) -> float:
        return self.spec.l1

    @property
    def is_classifier(self) -> bool:
        return self.output_activation != "linear"

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, hidden_activation={self.hidden_activation!r}, "
            f"output_activation={self.output_activation!r}, l2={self.l2}, l1={self.l1}, "
            f"keep_prob={self.keep_prob}, dtype={self.dtype.name!r})"
        )

    # --- the boundary ------------------------------------------------------------------------
    def columns(self, X: ArrayLike) -> np.ndarray:
        """``A[0]``, ``(n[0], m)``: ``X`` checked, normalized if fitted so, and transposed.

        Without a standardizer it is a view of ``X`` when the dtype matches, never a copy.
        """
        if self.standardizer is not None:
            # The input layer's size, not the normalizer's, is what people know their model by.
            X = check_matrix(X)
            check_n_features(X, self.layer_sizes[0])
            with np.errstate(over="ignore", invalid="ignore"):
                X = self.standardizer.transform(X)
            if not all_finite(X):
                raise ValueError(
                    f"X normalized with the training data's μ and σ overflowed: "
                    f"{first_non_finite(X)}; the inputs are far outside the range the model "
                    "was trained on"
                )
        return as_columns(X, self.layer_sizes[0], self.dtype)

    def targets(self, y: ArrayLike, m: int) -> np.ndarray:
        """``y`` checked against the output layer, in the network's layout (see ``as_targets``)."""
        return as_targets(y, self.output_activation, self.layer_sizes[-1], m, self.dtype)

    # --- predictions, cost, gradients --------------------------------------------------------
    def _output(self, X: ArrayLike) -> network.LayerCache:
        return network.forward(self.params, self.columns(X), self.spec)[-1]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Labels ``(n_samples,)`` for classifiers (``(n_samples, n[L])`` for multi-label),
        values ``(n_samples,)`` or ``(n_samples, n[L])`` for a linear output. Dropout is off."""
        output = self._output(X)
        if self.output_activation == "softmax":
            return output.A.argmax(axis=0)
        # σ(z) > 0.5 exactly when z > 0; deciding on Z avoids σ rounding to 0.5.
        AL = (output.Z > 0).astype(np.int64) if self.output_activation == "sigmoid" else output.A
        return AL[0].copy() if AL.shape[0] == 1 else AL.T.copy()

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` as in scikit-learn: ``[P(0), P(1)]``
        for one sigmoid unit, ``P(label k = 1)`` per column for several, softmax otherwise."""
        if not self.is_classifier:
            raise ValueError(
                "predict_proba needs a classifier; this model has a linear output (regression). "
                "Use predict for its values"
            )
        output = self._output(X)
        if self.output_activation == "sigmoid" and output.A.shape[0] == 1:
            # P(0) = σ(-z) rather than 1 - σ(z), which rounds to 0 from z ≈ 37 on.
            return np.vstack([sigmoid(-output.Z), output.A]).T
        return output.A.T.copy()

    def evaluate(self, X: ArrayLike, y: ArrayLike) -> dict[str, float]:
        """``{"cost", "loss", "error"}`` on ``(X, y)`` with dropout off.

        ``cost`` is J with the penalty, ``loss`` the data loss alone, ``error`` the fraction
        misclassified (the mean squared error for a linear output).
        """
        A0 = self.columns(X)
        Y = self.targets(y, A0.shape[1])
        last = network.forward(self.params, A0, self.spec)[-1]
        J, loss = network.cost(self.params, last.Z, Y, self.spec)
        return {
            "cost": J,
            "loss": loss,
            "error": error_rate(self.output_activation, last.Z, last.A, Y),
        }

    def cost(self, X: ArrayLike, y: ArrayLike) -> float:
        """J = data loss + regularization penalty on ``(X, y)``, with dropout off."""
        return self.evaluate(X, y)["cost"]

    def gradients(self, X: ArrayLike, y: ArrayLike) -> dict[str, np.ndarray]:
        """``{"dW1": (n[1], n[0]), "db1": (n[1], 1), …}``: ∂J/∂θ by the hand-written backward pass.

        J includes the penalty. With ``keep_prob < 1`` the gradients are those of a training
        step: fresh dropout masks are drawn from the model's generator.
        """
        A0 = self.columns(X)
        Y = self.targets(y, A0.shape[1])
        caches = network.forward(self.params, A0, self.spec, training=True, rng=self.rng)
        return network.backward(self.params, caches, Y, self.spec)

    def fit(self, X: ArrayLike, y: ArrayLike, **options: Any) -> History:
        """Train on ``(X, y)``; see :func:`dlrecipe.train.loop.fit` for the options."""
        from .loop import fit  # the loop module imports this one

        return fit(self, X, y, **options)

    def copy(
        self,
        *,
        keep_prob: float | Sequence[float] | None = None,
        l2: float | None = None,
        l1: float | None = None,
        dtype: str | np.dtype | None = None,
    ) -> MLP:
        """A model with copies of these weights and, optionally, other regularization or dtype.

        ``model.copy(keep_prob=1.0)`` is the same network without dropout, e.g. to
        gradient-check it. The copy's random generator starts in this one's state; the
        standardizer and class names are shared (neither is modified after fitting).
        """
        clone = MLP.__new__(MLP)
        clone.spec = self.spec.replace(keep_prob=keep_prob, l2=l2, l1=l1)
        clone.dtype = self.dtype if dtype is None else check_dtype(dtype)
        clone.init = self.init
        # The same generator state, not a draw from it: copying must not change this model.
        bit_generator = type(self.rng.bit_generator)()
        bit_generator.state = self.rng.bit_generator.state
        clone.rng = np.random.Generator(bit_generator)
        clone.params = {name: p.astype(clone.dtype, copy=True) for name, p in self.params.items()}
        clone.standardizer = self.standardizer
        clone.classes = self.classes
        clone.stop_training = False
        return clone
