"""dlrecipe.gradient_check and gradient_check_function: the textbook's exercise and beyond."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dlrecipe
from dlrecipe.check.objective import ModelObjective
from dlrecipe.data import circles
from dlrecipe.nn import ParameterIndex, gradients_to_vector, network, vector_to_parameters
from textbook import buggy_backward, textbook_case


@pytest.fixture
def textbook_model():
    """The exercise's 4-5-3-1 ReLU/sigmoid network with its weights, X (3, 4) and y (3,)."""
    x, y, params = textbook_case()
    model = dlrecipe.MLP((4, 5, 3, 1), hidden_activation="relu", output_activation="sigmoid")
    for name, value in params.items():
        model.params[name][...] = value
    return model, x.T, y


def textbook_functions(model, X, y, *, backward=network.backward):
    """cost(θ) as the exercise writes it (log of the sigmoid), and gradient(θ) from ``backward``."""
    index = ParameterIndex.of(model.params)
    A0 = X.T
    Y = y.reshape(1, -1).astype(float)

    def cost(theta):
        p = vector_to_parameters(theta, index)
        A1 = np.maximum(p["W1"] @ A0 + p["b1"], 0)
        A2 = np.maximum(p["W2"] @ A1 + p["b2"], 0)
        A3 = 1 / (1 + np.exp(-(p["W3"] @ A2 + p["b3"])))
        return 1.0 / 3 * np.sum(-np.log(A3) * Y - np.log(1 - A3) * (1 - Y))

    def gradient(theta):
        p = vector_to_parameters(theta, index)
        return gradients_to_vector(
            backward(p, network.forward(p, A0, model.spec), Y, model.spec), index
        )

    theta = np.concatenate([p.ravel() for p in model.params.values()])
    shapes = dict(zip(index.names, index.shapes, strict=True))
    return cost, gradient, theta, shapes


# --- the textbook's acceptance numbers ------------------------------------------------------
def test_textbook_buggy_backprop_gives_0_2851_and_names_w2_and_b1(textbook_model):
    cost, gradient, theta, shapes = textbook_functions(*textbook_model, backward=buggy_backward)
    result = dlrecipe.gradient_check_function(cost, gradient, theta, parameter_shapes=shapes)
    assert result.difference == pytest.approx(0.2851, abs=5e-5)
    assert result.verdict == "bug"
    assert not result.passed
    assert set(result.worst_parameters()[:2]) == {"W2", "b1"}
    assert result.wrong_parameters() == ["b1", "W2"]  # dW2 doubled: 1/3; db1 ×4: 3/5
    assert result.per_parameter["W2"] == pytest.approx(1 / 3, rel=1e-6)
    assert result.per_parameter["b1"] == pytest.approx(3 / 5, rel=1e-6)
    assert {c.name for c in result.worst} <= {"W2", "b1"}


def test_textbook_fixed_backprop_gives_1_19e_7_and_passes(textbook_model):
    cost, gradient, theta, shapes = textbook_functions(*textbook_model)
    result = dlrecipe.gradient_check_function(cost, gradient, theta, parameter_shapes=shapes)
    assert result.difference == pytest.approx(1.19e-7, rel=0.01)
    # Above 1e-7, but at the rounding-noise floor of this cost for ε = 1e-7: not a bug.
    assert result.verdict == "correct (at the noise floor)"
    assert result.passed
    assert result.noise_floor == pytest.approx(result.difference, rel=0.5)
    assert result.wrong_parameters() == []


def test_noise_floor_moves_with_epsilon_like_rounding_noise(textbook_model):
    cost, gradient, theta, _ = textbook_functions(*textbook_model)
    at = {
        eps: dlrecipe.gradient_check_function(cost, gradient, theta, epsilon=eps)
        for eps in (1e-8, 1e-7, 1e-6)
    }
    # Noise ∝ 1/ε: each decade of ε moves both the difference and the floor by about 10×.
    assert 5 < at[1e-8].difference / at[1e-7].difference < 20
    assert 5 < at[1e-7].difference / at[1e-6].difference < 20
    assert 5 < at[1e-8].noise_floor / at[1e-7].noise_floor < 20
    assert all(r.passed for r in at.values())
    assert at[1e-6].verdict == "correct"
    assert any("small" in tip for tip in at[1e-8].tips)  # the floor is above 1e-7 at ε = 1e-8


def test_model_check_of_textbook_network_is_correct_and_leaves_model_untouched(textbook_model):
    model, X, y = textbook_model
    before = {name: p.copy() for name, p in model.params.items()}
    result = dlrecipe.gradient_check(model, X, y)
    assert result.verdict == "correct"
    assert result.difference < 1e-7
    assert result.cost == pytest.approx(model.cost(X, y), rel=1e-15)
    for name, p in model.params.items():
        assert np.array_equal(p, before[name])


def test_model_check_finds_planted_bugs(textbook_model, monkeypatch):
    monkeypatch.setattr(network, "backward", buggy_backward)  # what gradient_check calls
    model, X, y = textbook_model
    result = dlrecipe.gradient_check(model, X, y)
    assert result.difference == pytest.approx(0.2851, abs=5e-4)
    assert not result.passed
    assert result.wrong_parameters() == ["b1", "W2"]
    report = str(result)
    assert "BUG" in report
    wrong_lines = [line.split()[0] for line in report.splitlines() if "WRONG?" in line]
    assert wrong_lines == ["b1", "W2"]


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2", "W3", "b3"])
def test_a_small_bug_in_any_one_parameter_is_located(name):
    X, y = circles(40, noise=0.1, seed=3)
    model = dlrecipe.MLP((2, 6, 4, 1), hidden_activation="tanh", l2=0.3, seed=3)
    objective = ModelObjective(model, X, y)

    def gradient(theta):
        grads = objective.gradients(theta)
        grads[f"d{name}"] = grads[f"d{name}"] * 1.01  # a 1% bug
        return gradients_to_vector(grads, objective.index)

    result = dlrecipe.gradient_check_function(
        objective.cost, gradient, objective.theta, parameter_shapes=objective.shapes
    )
    assert not result.passed
    assert result.wrong_parameters() == [name]
    assert result.worst[0].name == name


# --- dropout, sampling, selection, dtype -----------------------------------------------------
def test_dropout_is_refused_with_the_layer_named():
    X, y = circles(20, seed=0)
    with pytest.raises(ValueError, match=r"dropout is on in layer 1 \(keep_prob\[1\]=0.8\)"):
        dlrecipe.gradient_check(dlrecipe.MLP((2, 4, 3, 1), keep_prob=0.8, seed=0), X, y)
    model = dlrecipe.MLP((2, 4, 3, 1), keep_prob=(0.9, 1.0, 1.0), seed=0)
    with pytest.raises(ValueError, match=r"layer 0 .*keep_prob.*copy\(keep_prob=1.0\)"):
        dlrecipe.gradient_check(model, X, y)
    assert dlrecipe.gradient_check(model.copy(keep_prob=1.0), X, y).passed


def test_sampled_mode_checks_a_few_components_of_every_parameter():
    X, y = circles(50, seed=1)
    model = dlrecipe.MLP((2, 8, 6, 1), hidden_activation="tanh", seed=1)
    result = dlrecipe.gradient_check(model, X, y, sample=3, seed=7)
    sizes = {name: p.size for name, p in model.params.items()}
    assert result.n_checked == sum(min(3, size) for size in sizes.values())
    assert result.n_total == sum(sizes.values())
    assert list(result.per_parameter) == list(model.params)
    assert result.passed
    assert "a random sample of" in str(result)
    same = dlrecipe.gradient_check(model, X, y, sample=3, seed=7)
    other = dlrecipe.gradient_check(model, X, y, sample=3, seed=8)
    assert np.array_equal(same.components, result.components)
    assert not np.array_equal(other.components, result.components)


def test_parameters_selects_what_is_checked():
    X, y = circles(30, seed=2)
    model = dlrecipe.MLP((2, 5, 1), seed=2)
    result = dlrecipe.gradient_check(model, X, y, parameters=["W2", "b1"])
    assert list(result.per_parameter) == ["b1", "W2"]
    assert result.n_checked == 5 + 5
    with pytest.raises(ValueError, match=r"unknown parameters \['W9'\]"):
        dlrecipe.gradient_check(model, X, y, parameters=["W9"])


def test_float32_model_is_checked_in_float64_and_not_modified():
    X, y = circles(30, seed=4)
    model = dlrecipe.MLP((2, 5, 3), output_activation="softmax", dtype="float32", seed=4)
    before = {name: p.copy() for name, p in model.params.items()}
    result = dlrecipe.gradient_check(model, X, np.asarray(y))
    assert result.difference < 1e-7  # float32 differences could never get below ~1e-3
    for name, p in model.params.items():
        assert p.dtype == np.float32
        assert np.array_equal(p, before[name])


# --- tips and the kink ---------------------------------------------------------------------
def test_a_perturbation_across_a_relu_kink_is_flagged():
    model = dlrecipe.MLP((1, 1, 1), hidden_activation="relu", output_activation="linear")
    model.params["W1"][...] = 1.0
    model.params["W2"][...] = 2.0
    X = np.array([[0.0], [1.0]])  # Z[1] of the first example is exactly 0: the kink
    y = np.array([0.5, -0.5])
    result = dlrecipe.gradient_check(model, X, y)
    assert not result.passed
    assert result.worst[0].crosses_kink is True
    assert any("ReLU input across 0" in tip for tip in result.tips)
    assert "crosses a ReLU kink" in str(result)


def test_epsilon_tips():
    X, y = circles(30, seed=5)
    model = dlrecipe.MLP((2, 4, 1), hidden_activation="tanh", seed=5)
    large = dlrecipe.gradient_check(model, X, y, epsilon=1e-2)
    assert any("is large" in tip for tip in large.tips)
    tiny = dlrecipe.gradient_check(model, X, y, epsilon=1e-11)
    assert tiny.noise_floor > 1e-7
    assert any("is small" in tip for tip in tiny.tips)


# --- user functions and bad input ---------------------------------------------------------
def test_function_check_of_a_quadratic():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(6, 6))
    A = B @ B.T
    theta = rng.normal(size=6)
    good = dlrecipe.gradient_check_function(lambda t: 0.5 * t @ A @ t, lambda t: A @ t, theta)
    assert good.passed
    assert list(good.per_parameter) == ["theta"]
    assert good.worst[0].crosses_kink is None
    wrong = dlrecipe.gradient_check_function(
        lambda t: 0.5 * t @ A @ t, lambda t: A.T @ t * 2, theta
    )
    assert wrong.verdict == "bug"
    assert wrong.worst[0].name == "theta"


def test_function_check_rejects_bad_input():
    theta = np.ones(4)
    cost, gradient = (lambda t: float(t @ t)), (lambda t: 2 * t)
    with pytest.raises(ValueError, match="describe 6 components but θ has 4"):
        dlrecipe.gradient_check_function(cost, gradient, theta, parameter_shapes={"W": (2, 3)})
    with pytest.raises(ValueError, match=r"epsilon must be a finite number > 0.*got 0"):
        dlrecipe.gradient_check_function(cost, gradient, theta, epsilon=0)
    with pytest.raises(ValueError, match="epsilon"):
        dlrecipe.gradient_check_function(cost, gradient, theta, epsilon=float("nan"))
    with pytest.raises(ValueError, match="sample must be a positive integer"):
        dlrecipe.gradient_check_function(cost, gradient, theta, sample=0)
    with pytest.raises(ValueError, match="must return 4 values; got 3"):
        dlrecipe.gradient_check_function(cost, lambda t: t[:3], theta)
    with pytest.raises(ValueError, match="returned nan"):
        dlrecipe.gradient_check_function(lambda t: float("nan"), gradient, theta)
    with pytest.raises(ValueError, match="positive integers"):
        dlrecipe.gradient_check_function(cost, gradient, theta, parameter_shapes={"W": (0, 4)})


def test_result_serializes_to_json(textbook_model):
    result = dlrecipe.gradient_check(*textbook_model)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["passed"] is True
    assert data["n_checked"] == 47
    assert set(data["per_parameter"]) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert data["worst"][0]["name"] in data["per_parameter"]
