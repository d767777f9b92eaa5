"""The hand-written backward pass, against central differences and against autograd (HIPS).

Every hidden activation × output/loss × regularization combination is checked twice: by
dlrecipe's own gradient check (difference < 1e-7) and by an independent forward pass written
in ``autograd.numpy`` and differentiated automatically (agreement to 1e-9 relative).
"""

from __future__ import annotations

import itertools

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import dlrecipe
from dlrecipe.nn.activations import HIDDEN_ACTIVATIONS
from dlrecipe.nn.losses import OUTPUTS

REGULARIZATION = {"none": {}, "l2": {"l2": 0.7}, "l1": {"l1": 0.4}, "l2+l1": {"l2": 0.5, "l1": 0.3}}
CASES = list(itertools.product(sorted(HIDDEN_ACTIVATIONS), sorted(OUTPUTS), sorted(REGULARIZATION)))
M = 7  # examples


def make_case(hidden: str, output: str, regularization: str, seed: int = 0):
    """A small random network and data whose ReLU inputs stay away from the kink at 0."""
    rng = np.random.default_rng(seed)
    n_out = 3 if output == "softmax" else 2
    model = dlrecipe.MLP(
        (4, 5, 3, n_out),
        hidden_activation=hidden,
        output_activation=output,
        init="xavier",
        seed=seed,
        **REGULARIZATION[regularization],
    )
    for l in range(1, model.n_layers + 1):  # non-zero biases exercise db
        model.params[f"b{l}"][:] = rng.normal(scale=0.5, size=model.params[f"b{l}"].shape)
    X = rng.normal(size=(M, 4))
    if output == "softmax":
        y = rng.integers(0, n_out, size=M)
    elif output == "sigmoid":
        y = rng.integers(0, 2, size=(M, n_out))
    else:
        y = rng.normal(size=(M, n_out))
    # Push every hidden pre-activation at least 0.05 away from 0, so that no perturbation of
    # size ε crosses a ReLU kink (there the numerical gradient would be wrong, not backprop).
    A = X.T
    for l in range(1, model.n_layers):
        Z = model.params[f"W{l}"] @ A + model.params[f"b{l}"]
        near = np.abs(Z) < 0.05
        Z = np.where(near, np.where(Z >= 0, 0.05, -0.05), Z)
        model.params[f"b{l}"] += (Z - (model.params[f"W{l}"] @ A + model.params[f"b{l}"])).mean(
            axis=1, keepdims=True
        )
        A = HIDDEN_ACTIVATIONS[hidden].forward(model.params[f"W{l}"] @ A + model.params[f"b{l}"])
    return model, X, y


def min_hidden_margin(model, X) -> float:
    A, margin = X.T, np.inf
    for l in range(1, model.n_layers):
        Z = model.params[f"W{l}"] @ A + model.params[f"b{l}"]
        margin = min(margin, float(np.abs(Z).min()))
        A = HIDDEN_ACTIVATIONS[model.hidden_activation].forward(Z)
    return margin


# --- an independent implementation, differentiated by autograd ---------------------------
AUTOGRAD_HIDDEN = {
    "relu": lambda z: anp.maximum(z, 0.0),
    "leaky_relu": lambda z: anp.where(z > 0, z, 0.01 * z),
    "tanh": anp.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "linear": lambda z: z,
}


def autograd_cost(params, X, y, model):
    """J written from scratch in autograd.numpy, rows-as-examples, no dlrecipe code."""
    m = X.shape[0]
    L = model.n_layers
    H = X
    for l in range(1, L + 1):
        Z = H @ params[f"W{l}"].T + params[f"b{l}"].T  # (m, n[l])
        H = AUTOGRAD_HIDDEN[model.hidden_activation](Z) if l < L else Z
    if model.output_activation == "sigmoid":
        data = anp.sum(anp.logaddexp(0.0, Z) - Z * y) / m
    elif model.output_activation == "softmax":
        shift = anp.max(Z, axis=1, keepdims=True)
        log_softmax = Z - shift - anp.log(anp.sum(anp.exp(Z - shift), axis=1, keepdims=True))
        data = -anp.sum(log_softmax[np.arange(m), y]) / m
    else:
        data = anp.sum((Z - y) ** 2) / (2 * m)
    weights = [params[f"W{l}"] for l in range(1, L + 1)]
    l2 = model.l2 / (2 * m) * sum(anp.sum(W**2) for W in weights)
    l1 = model.l1 / (2 * m) * sum(anp.sum(anp.abs(W)) for W in weights)
    return data + l2 + l1


@pytest.mark.parametrize(("hidden", "output", "regularization"), CASES)
def test_gradient_check_passes(hidden, output, regularization):
    model, X, y = make_case(hidden, output, regularization)
    assert min_hidden_margin(model, X) >= 0.01
    result = dlrecipe.gradient_check(model, X, y)
    assert result.difference < 1e-7, str(result)
    assert result.verdict == "correct"
    assert result.passed
    assert result.n_checked == result.n_total == sum(p.size for p in model.params.values())
    assert result.wrong_parameters() == []


@pytest.mark.parametrize(("hidden", "output", "regularization"), CASES)
def test_backward_agrees_with_autograd(hidden, output, regularization):
    model, X, y = make_case(hidden, output, regularization, seed=1)
    expected = grad(autograd_cost)(dict(model.params), X, y, model)
    actual = model.gradients(X, y)
    assert set(actual) == {f"d{name}" for name in model.params}
    for name, value in expected.items():
        got = actual[f"d{name}"]
        assert got.shape == value.shape
        relative = np.linalg.norm(got - value) / (np.linalg.norm(got) + np.linalg.norm(value))
        assert relative < 1e-9, f"{name}: relative difference {relative:.2e}"
    assert model.cost(X, y) == pytest.approx(autograd_cost(model.params, X, y, model), rel=1e-12)


def test_gradients_of_a_float32_model_match_float64():
    model, X, y = make_case("tanh", "softmax", "l2", seed=2)
    model32 = model.copy(dtype="float32")
    g64, g32 = model.gradients(X, y), model32.gradients(X, y)
    for name in g64:
        assert g32[name].dtype == np.float32
        np.testing.assert_allclose(g32[name], g64[name], rtol=1e-4, atol=1e-5)
    # and the float32 model checks clean, because the check runs in float64
    assert dlrecipe.gradient_check(model32, X, y).difference < 1e-6
