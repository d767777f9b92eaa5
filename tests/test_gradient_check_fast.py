"""The batched gradient check against the per-component loop; the directional check and callback."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import dlrecipe
from dlrecipe.check import gradient_check_directions
from dlrecipe.check.fast import PerturbedCosts
from dlrecipe.check.objective import ModelObjective
from dlrecipe.check.pieces import PiecewiseLinearCosts
from dlrecipe.nn import ParameterIndex, network
from textbook import buggy_backward

CASES = [
    # layer sizes, hidden, output, regularization
    ((5, 8, 6, 4, 3), "tanh", "softmax", {}),
    ((5, 8, 6, 3), "sigmoid", "softmax", {"l2": 0.7}),
    ((5, 7, 6, 2), "relu", "sigmoid", {"l1": 0.4}),
    ((5, 6, 4, 2), "leaky_relu", "linear", {"l2": 0.5, "l1": 0.3}),
    ((5, 9, 2), "linear", "sigmoid", {"l2": 0.2}),
    ((5, 3), "tanh", "softmax", {"l2": 0.1}),
]


def make_case(sizes, hidden, output, regularization, m=40, seed=0):
    rng = np.random.default_rng(seed)
    model = dlrecipe.MLP(
        sizes, hidden_activation=hidden, output_activation=output, seed=seed, **regularization
    )
    for name, p in model.params.items():
        if name.startswith("b"):
            p[:] = rng.normal(scale=0.3, size=p.shape)
    X = rng.normal(size=(m, sizes[0]))
    if output == "softmax":
        y = rng.integers(0, sizes[-1], size=m)
    elif output == "sigmoid":
        y = rng.integers(0, 2, size=(m, sizes[-1])).astype(float)
    else:
        y = rng.normal(size=(m, sizes[-1]))
    return model, X, y


def slow_check(model, X, y, **options):
    """The generic per-component loop: one full forward pass per J(θ ± εe_i)."""
    objective = ModelObjective(model, X, y)
    return dlrecipe.gradient_check_function(
        objective.cost,
        objective.gradient,
        objective.theta,
        parameter_shapes=objective.shapes,
        **options,
    )


def naive_quotients(model, X, y, epsilon):
    """The textbook's loop, written plainly: θ ± εe_i and a full forward pass for each i."""
    objective = ModelObjective(model, X, y)
    cost, theta = objective.cost, objective.theta
    numerical = np.empty(theta.size)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        numerical[i] = (cost(plus) - cost(minus)) / (2 * epsilon)
    return numerical, cost(theta)


def assert_same_quotients(fast, naive, J, epsilon):
    """Component by component: to 1e-6 relative, or within the loop's own rounding noise."""
    noise = 4 * np.finfo(float).eps * max(abs(J), 1.0) / epsilon
    gap = np.abs(fast - naive)
    assert np.all(gap <= 1e-6 * np.abs(naive) + noise), (gap.max(), noise)
    assert np.linalg.norm(fast - naive) <= 1e-6 * np.linalg.norm(naive)


# Piecewise-linear hidden layers (the structured path) with every output and penalty.
PIECEWISE_CASES = [
    ((6, 9, 7, 4), "relu", "softmax", {}),
    ((6, 9, 7, 5, 3), "relu", "softmax", {"l2": 0.4}),
    ((6, 8, 5, 2), "relu", "sigmoid", {"l1": 0.3}),
    ((6, 8, 5, 1), "relu", "linear", {"l2": 0.2, "l1": 0.1}),
    ((6, 8, 5, 3), "leaky_relu", "softmax", {"l1": 0.2}),
    ((6, 8, 5, 4, 2), "leaky_relu", "linear", {}),
    ((6, 7, 1), "linear", "sigmoid", {"l2": 0.3}),
    ((6, 7, 5, 3), "tanh", "softmax", {"l2": 0.3}),  # the general path, for comparison
]


@pytest.mark.parametrize(("sizes", "hidden", "output", "regularization"), PIECEWISE_CASES)
@pytest.mark.parametrize("epsilon", [1e-7, 1e-5])
def test_every_component_equals_the_naive_loop(sizes, hidden, output, regularization, epsilon):
    model, X, y = make_case(sizes, hidden, output, regularization, m=50)
    naive, J = naive_quotients(model, X, y, epsilon)
    fast = dlrecipe.gradient_check(model, X, y, epsilon=epsilon)
    assert fast.cost == J
    assert np.array_equal(fast.components, np.arange(naive.size))
    assert_same_quotients(fast.numerical, naive, J, epsilon)
    assert fast.passed


def planted_kinks(hidden="relu", output="softmax"):
    """A ReLU network with hidden pre-activations within 1e-9 of 0: in layer 1 and in layer 2."""
    model, X, y = make_case((5, 6, 5, 3), hidden, output, {"l2": 0.1}, m=30, seed=4)
    A0 = model.columns(X)
    Z1 = model.params["W1"] @ A0 + model.params["b1"]
    model.params["b1"][2] -= Z1[2, 7] - 3e-10  # Z[1][2, 7] = 3e-10: the step crosses 0
    caches = network.forward(model.params, A0, model.spec)
    model.params["b2"][1] -= caches[1].Z[1, 11] + 2e-10  # Z[2][1, 11] = −2e-10
    return model, X, y


def test_perturbations_across_kinks_equal_the_naive_loop():
    model, X, y = planted_kinks()
    A0, Y = model.columns(X), model.targets(y, len(X))
    caches = network.forward(model.params, A0, model.spec)
    assert abs(caches[0].Z[2, 7]) < 1e-9
    assert abs(caches[1].Z[1, 11]) < 1e-9
    naive, J = naive_quotients(model, X, y, 1e-7)
    fast = dlrecipe.gradient_check(model, X, y)
    assert_same_quotients(fast.numerical, naive, J, 1e-7)
    assert not fast.passed  # the loop's quotients are wrong at the kinks, and so are these
    assert fast.worst[0].crosses_kink is True
    # Those perturbations were left to the exact path, the others took the structured one.
    index = ParameterIndex.of(model.params)
    perturbed = PerturbedCosts(model.params, model.spec, caches, Y, index)
    assert perturbed.pieces is not None
    W1 = np.arange(index.size)[index.slice("W1")]
    rows, sources = np.divmod(W1 - W1[0], 5)
    deltas = np.full(W1.size, 1e-7)
    _, exact = perturbed.pieces.data_losses(np.ones_like(rows), rows, sources, deltas)
    assert 0 < exact.sum() < exact.size
    assert exact[rows == 2].all()  # every weight of unit 2 moves Z[1][2, 7] across 0


def test_large_steps_take_the_exact_path_and_still_agree():
    model, X, y = make_case((6, 8, 5, 3), "relu", "softmax", {"l2": 0.2}, m=40)
    naive, _ = naive_quotients(model, X, y, 1e-2)
    fast = dlrecipe.gradient_check(model, X, y, epsilon=1e-2)
    assert np.allclose(fast.numerical, naive, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("output", ["softmax", "sigmoid", "linear"])
@pytest.mark.parametrize("units", [None, [1], [0, 2]])
def test_loss_increments_equal_the_losses_of_nn(output, units):
    """The structured path's loss increments against nn.losses at a perturbed Z[L]."""
    model, X, y = make_case((4, 6, 3), "relu", output, {}, m=25, seed=2)
    A0, Y = model.columns(X), model.targets(y, len(X))
    caches = network.forward(model.params, A0, model.spec)
    pieces = PiecewiseLinearCosts(model.params, model.spec, caches, Y)
    rows = np.arange(3) if units is None else np.array(units)
    columns = np.array([0, 3, 4, 8, 9, 20, 24])
    rng = np.random.default_rng(0)
    T, H = rng.normal(scale=1e-3, size=(4, 7)), rng.normal(size=(rows.size, 7))
    changes = pieces._loss_changes(T, H, columns, rows)
    for k in range(4):
        ZL = caches[-1].Z.copy()
        ZL[np.ix_(rows, columns)] += T[k] * H
        expected = model.spec.output.loss(ZL, Y) - model.spec.output.loss(caches[-1].Z, Y)
        assert changes[k] / 25 == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_the_structured_path_is_taken_only_where_it_is_exact():
    X = np.random.default_rng(0).normal(size=(5, 3))
    for hidden, layers in [
        ("relu", {1, 2, 3}),
        ("leaky_relu", {1, 2, 3}),
        ("linear", {1, 2, 3}),
        ("tanh", {3}),  # only the output layer, in which Z[L] is linear for any network
        ("sigmoid", {3}),
    ]:
        model = dlrecipe.MLP((3, 4, 4, 2), hidden_activation=hidden, output_activation="softmax")
        caches = network.forward(model.params, model.columns(X), model.spec)
        pieces = PiecewiseLinearCosts(model.params, model.spec, caches, np.arange(5) % 2)
        assert pieces.layers == layers


@pytest.mark.parametrize(("sizes", "hidden", "output", "regularization"), CASES)
def test_batched_check_equals_the_per_component_loop(sizes, hidden, output, regularization):
    model, X, y = make_case(sizes, hidden, output, regularization)
    fast = dlrecipe.gradient_check(model, X, y)
    slow = slow_check(model, X, y)
    assert np.array_equal(fast.components, slow.components)
    gap = np.linalg.norm(fast.numerical - slow.numerical) / np.linalg.norm(slow.numerical)
    assert gap < 1e-6
    assert np.array_equal(fast.analytic, slow.analytic)
    assert fast.passed
    assert slow.passed
    assert list(fast.per_parameter) == list(slow.per_parameter)
    assert fast.wrong_parameters() == slow.wrong_parameters() == []


@pytest.mark.parametrize(("sizes", "hidden", "output", "regularization"), CASES[:4])
def test_batched_check_equals_the_loop_on_a_bug(sizes, hidden, output, regularization, monkeypatch):
    model, X, y = make_case(sizes, hidden, output, regularization)
    slow = slow_check(model, X, y, epsilon=1e-6)

    correct = network.backward

    def backward_with_bug(params, caches, Y, spec, **options):
        grads = correct(params, caches, Y, spec, **options)
        grads["dW2"] = grads["dW2"] * 1.01
        return grads

    monkeypatch.setattr(network, "backward", backward_with_bug)
    fast = dlrecipe.gradient_check(model, X, y, epsilon=1e-6)
    reference = slow_check(model, X, y, epsilon=1e-6)  # the same bug, through the loop
    assert not fast.passed
    assert not reference.passed
    assert fast.difference == pytest.approx(reference.difference, rel=1e-6)
    assert fast.verdict == reference.verdict
    assert fast.wrong_parameters() == reference.wrong_parameters() == ["W2"]
    for name, value in reference.per_parameter.items():
        if name == "W2":
            assert fast.per_parameter[name] == pytest.approx(value, rel=1e-6)
    assert [c.name for c in fast.worst] == [c.name for c in reference.worst]
    assert slow.passed


def test_sampled_and_selected_components_use_the_batched_path():
    model, X, y = make_case((5, 8, 6, 3), "tanh", "softmax", {"l2": 0.3})
    fast = dlrecipe.gradient_check(model, X, y, sample=4, parameters=["W1", "b2"], seed=3)
    slow = slow_check(model, X, y, sample=4, parameters=["W1", "b2"], seed=3)
    assert np.array_equal(fast.components, slow.components)
    assert np.allclose(fast.numerical, slow.numerical, rtol=1e-6, atol=1e-9)


def test_large_epsilon_falls_back_to_the_exact_activation():
    model, X, y = make_case((5, 8, 6, 3), "tanh", "softmax", {})
    fast = dlrecipe.gradient_check(model, X, y, epsilon=1e-2)
    slow = slow_check(model, X, y, epsilon=1e-2)
    assert np.allclose(fast.numerical, slow.numerical, rtol=1e-9, atol=1e-12)


# --- the directional check -----------------------------------------------------------------
def test_directional_check_passes_on_correct_backprop():
    for sizes, hidden, output, regularization in CASES:
        model, X, y = make_case(sizes, hidden, output, regularization)
        result = gradient_check_directions(model, X, y, n_directions=4, seed=1)
        assert result.passed, (hidden, output, result)
        assert result.n_directions == 4
        assert result.difference < 1e-6


def test_directional_check_fails_on_a_planted_bug(monkeypatch):
    model, X, y = make_case((5, 8, 6, 3), "tanh", "softmax", {"l2": 0.3})
    monkeypatch.setattr(network, "backward", buggy_backward)
    result = gradient_check_directions(model, X, y, n_directions=3)
    assert not result.passed
    assert result.difference > 1e-3
    assert "BUG" in str(result)


def test_directional_check_validates_its_input():
    model, X, y = make_case((5, 4, 3), "tanh", "softmax", {})
    with pytest.raises(ValueError, match="n_directions must be a positive integer"):
        gradient_check_directions(model, X, y, n_directions=0)
    with pytest.raises(ValueError, match="epsilon must be a finite number"):
        gradient_check_directions(model, X, y, epsilon=-1.0)
    with pytest.raises(ValueError, match="dropout is on"):
        gradient_check_directions(model.copy(keep_prob=0.5), X, y)


def test_memory_stays_bounded_whatever_the_input_width():
    """No temporary the size of A[0]: a 2000-input network on 10,000 examples (160 MB of X)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_000, 2000))
    y = rng.integers(0, 4, size=10_000)
    model = dlrecipe.MLP((2000, 16, 8, 4), output_activation="softmax", seed=0)
    tracemalloc.start()
    try:
        result = dlrecipe.gradient_check(model, X, y, sample=5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.passed
    assert peak < 64 * 2**20, peak / 2**20
