"""MLP: a fully connected network whose state is its parameter dict and its hyperparameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import network
from .activations import get_activation, sigmoid
from .initializers import InitSpec, get_initializer
from .inputs import as_columns, as_targets, check_dtype
from .losses import get_output


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
        weights and the dropout masks; no global random state is used.
    dtype
        ``"float64"`` (default) or ``"float32"``.

    Attributes
    ----------
    params
        The live parameters ``{"W1": (n[1], n[0]), "b1": (n[1], 1), …}``: changing an array
        (or assigning one of the same shape) changes the model.
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
        sizes = _check_layer_sizes(layer_sizes)
        L = len(sizes) - 1
        output = get_output(output_activation)
        if output.name == "softmax" and sizes[-1] < 2:
            raise ValueError(
                f"a softmax output needs n[L] >= 2 units (one per class); got n[L]={sizes[-1]}. "
                "For two classes use 2 units, or 1 unit with output_activation='sigmoid'"
            )
        self.spec = network.NetworkSpec(
            layer_sizes=sizes,
            hidden=get_activation(hidden_activation),
            output=output,
            keep_prob=_check_keep_prob(keep_prob, L),
            l2=_check_lambda("l2", l2),
            l1=_check_lambda("l1", l1),
        )
        self.dtype = check_dtype(dtype)
        self.init = init
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.params = self._initial_params(init)

    def _initial_params(self, init: InitSpec | Sequence[InitSpec]) -> dict[str, np.ndarray]:
        L = self.n_layers
        listed = _as_list(init)
        per_layer = listed if listed is not None else [init] * L
        if len(per_layer) != L:
            raise ValueError(
                f"init as a sequence needs one entry per layer 1 … L ({L}); got {len(per_layer)}"
            )
        params = {}
        for l, spec in enumerate(per_layer, start=1):
            shape = (self.layer_sizes[l], self.layer_sizes[l - 1])
            W = np.asarray(get_initializer(spec)(shape, self._rng), dtype=np.float64)
            if W.shape != shape:
                raise ValueError(f"init for layer {l} must return shape {shape}; got {W.shape}")
            if not np.isfinite(W).all():
                raise ValueError(f"init for layer {l} returned NaN or infinite weights")
            params[f"W{l}"] = W.astype(self.dtype)
            params[f"b{l}"] = np.zeros((shape[0], 1), dtype=self.dtype)
        return params

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

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, hidden_activation={self.hidden_activation!r}, "
            f"output_activation={self.output_activation!r}, l2={self.l2}, l1={self.l1}, "
            f"keep_prob={self.keep_prob}, dtype={self.dtype.name!r})"
        )

    # --- the boundary ------------------------------------------------------------------------
    def columns(self, X: ArrayLike) -> np.ndarray:
        """``A[0]``, ``(n[0], m)``: ``X`` checked and transposed (a view when the dtype matches)."""
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
        if self.output_activation == "linear":
            raise ValueError(
                "predict_proba needs a classifier; this model has a linear output (regression). "
                "Use predict for its values"
            )
        output = self._output(X)
        if self.output_activation == "sigmoid" and output.A.shape[0] == 1:
            # P(0) = σ(-z) rather than 1 - σ(z), which rounds to 0 from z ≈ 37 on.
            return np.vstack([sigmoid(-output.Z), output.A]).T
        return output.A.T.copy()

    def cost(self, X: ArrayLike, y: ArrayLike) -> float:
        """J = data loss + regularization penalty on ``(X, y)``, with dropout off."""
        A0 = self.columns(X)
        Y = self.targets(y, A0.shape[1])
        ZL = network.forward(self.params, A0, self.spec)[-1].Z
        return network.cost(self.params, ZL, Y, self.spec)[0]

    def gradients(self, X: ArrayLike, y: ArrayLike) -> dict[str, np.ndarray]:
        """``{"dW1": (n[1], n[0]), "db1": (n[1], 1), …}``: ∂J/∂θ by the hand-written backward pass.

        J includes the penalty. With ``keep_prob < 1`` the gradients are those of a training
        step: fresh dropout masks are drawn from the model's generator.
        """
        A0 = self.columns(X)
        Y = self.targets(y, A0.shape[1])
        caches = network.forward(self.params, A0, self.spec, training=True, rng=self._rng)
        return network.backward(self.params, caches, Y, self.spec)

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
        gradient-check it. The copy's random generator starts in this one's state.
        """
        clone = MLP.__new__(MLP)
        clone.spec = network.NetworkSpec(
            layer_sizes=self.layer_sizes,
            hidden=self.spec.hidden,
            output=self.spec.output,
            keep_prob=self.keep_prob
            if keep_prob is None
            else _check_keep_prob(keep_prob, self.n_layers),
            l2=self.l2 if l2 is None else _check_lambda("l2", l2),
            l1=self.l1 if l1 is None else _check_lambda("l1", l1),
        )
        clone.dtype = self.dtype if dtype is None else check_dtype(dtype)
        clone.init = self.init
        # The same generator state, not a draw from it: copying must not change this model.
        bit_generator = type(self._rng.bit_generator)()
        bit_generator.state = self._rng.bit_generator.state
        clone._rng = np.random.Generator(bit_generator)
        clone.params = {name: p.astype(clone.dtype, copy=True) for name, p in self.params.items()}
        return clone


def _as_list(value: object) -> list[Any] | None:
    """A list, tuple or 1-D array (one value per layer) as a list; None for a single value."""
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim == 1 else None
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else None


def _check_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    sizes = _as_list(layer_sizes)
    if sizes is None or len(sizes) < 2:
        raise ValueError(
            "layer_sizes must be a sequence (n[0], …, n[L]) of at least two layer sizes, "
            f"e.g. (2, 10, 5, 1); got {layer_sizes!r}"
        )
    for l, n in enumerate(sizes):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(
                f"layer_sizes[{l}]={n!r}: every layer size must be an integer >= 1; "
                f"got layer_sizes={tuple(sizes)!r}"
            )
    return tuple(int(n) for n in sizes)


def _check_keep_prob(keep_prob: float | Sequence[float], L: int) -> tuple[float, ...]:
    values = _as_list(keep_prob)
    if values is not None:
        if len(values) != L:
            raise ValueError(
                f"keep_prob as a sequence needs one value per layer 0 … L-1 ({L} values, input "
                f"layer first); got {len(values)}: {tuple(values)!r}"
            )
        names = [f"keep_prob[{l}]" for l in range(L)]
    else:
        _check_probability("keep_prob", keep_prob)
        if L == 1 and keep_prob != 1:
            raise ValueError(
                f"keep_prob={keep_prob!r} applies to hidden layers, and this network has none; "
                "to drop inputs pass a sequence with the input layer's value, e.g. (0.8,)"
            )
        values = [1.0] + [keep_prob] * (L - 1)  # the input layer is not dropped by default
        names = ["keep_prob"] * L
    for name, value in zip(names, values, strict=True):
        _check_probability(name, value)
    return tuple(float(v) for v in values)


def _check_probability(name: str, value: object) -> None:
    if not isinstance(value, Real) or isinstance(value, bool) or not 0 < float(value) <= 1:
        raise ValueError(
            f"keep_prob is the probability to keep a unit and must be in (0, 1]; got "
            f"{name}={value!r}. Use 1.0 for no dropout (keep_prob = 1 - the drop rate)"
        )


def _check_lambda(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} (the textbook's λ) must be a finite number >= 0; got {value!r}")
    if value < 0:
        raise ValueError(f"{name} (the textbook's λ) must be >= 0 (0 = off); got {name}={value!r}")
    return float(value)
