"""The public API of dlrecipe.MLP: params, the X boundary, predictions, cost, copy, θ, errors."""

import itertools

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.nn import (
    ParameterIndex,
    gradients_to_vector,
    parameters_to_vector,
    vector_to_parameters,
)

HIDDEN = {"relu": lambda Z: np.maximum(Z, 0), "tanh": np.tanh}


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def reference_ZL(params, X, hidden="relu"):
    """Z[L] of the textbook's forward pass, written out independently: Z = W A + b, A = g(Z)."""
    A = np.asarray(X, dtype=np.float64).T  # A[0] = Xᵀ, (n[0], m)
    L = len(params) // 2
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A = HIDDEN[hidden](Z)
    return Z


def randomize(model, seed=0):
    """Give every parameter, biases included, distinct random values."""
    rng = np.random.default_rng(seed)
    for p in model.params.values():
        p[...] = rng.normal(size=p.shape)
    return model


def tiny_net(**kwargs):
    """A 2-2-1 ReLU/sigmoid network with hand-set weights."""
    model = MLP((2, 2, 1), seed=0, **kwargs)
    model.params["W1"][...] = [[1.0, -1.0], [0.5, 2.0]]
    model.params["b1"][...] = [[0.0], [-1.0]]
    model.params["W2"][...] = [[2.0, -1.0]]
    model.params["b2"][...] = [[0.5]]
    return model


TINY_X = np.array([[1.0, 2.0], [3.0, -1.0]])
# Example 1, x = (1, 2):  Z1 = (1 - 2 + 0, 0.5 + 4 - 1) = (-1, 3.5), A1 = (0, 3.5),
#                         Z2 = 2·0 - 1·3.5 + 0.5 = -3
# Example 2, x = (3, -1): Z1 = (3 + 1 + 0, 1.5 - 2 - 1) = (4, -1.5), A1 = (4, 0),
#                         Z2 = 2·4 - 1·0 + 0.5 = 8.5
TINY_Z2 = np.array([-3.0, 8.5])


# --- params --------------------------------------------------------------------------------


def test_params_are_named_and_shaped_as_in_the_textbook():
    model = MLP((4, 5, 3, 2), seed=0)
    assert list(model.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    for l, (n_prev, n) in enumerate([(4, 5), (5, 3), (3, 2)], start=1):
        assert model.params[f"W{l}"].shape == (n, n_prev)
        assert model.params[f"b{l}"].shape == (n, 1)
        assert not model.params[f"b{l}"].any()  # biases start at zero


def test_changing_a_parameter_in_place_changes_the_model():
    X = np.random.default_rng(1).normal(size=(6, 3))
    y = np.array([0, 1, 0, 1, 1, 0])
    model = MLP((3, 4, 1), seed=0)
    cost_before = model.cost(X, y)
    model.params["b2"] += 100.0  # Z[L] = W A + b is now large and positive for every example
    assert (model.predict(X) == 1).all()
    assert model.cost(X, y) != cost_before


def test_assigning_a_new_array_changes_the_model():
    X = np.random.default_rng(1).normal(size=(6, 3))
    model = MLP((3, 4, 1), seed=0)
    model.params["W2"] = np.zeros((1, 4))  # Z[2] = 0 + b[2] = 0, so σ = 1/2 everywhere
    np.testing.assert_array_equal(model.predict_proba(X), np.full((6, 2), 0.5))


# --- the boundary --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_columns_is_a_transposed_view_when_the_dtype_matches(dtype):
    X = np.random.default_rng(0).normal(size=(7, 3)).astype(dtype)
    A0 = MLP((3, 2, 1), dtype=dtype, seed=0).columns(X)
    assert A0.shape == (3, 7)
    assert np.shares_memory(A0, X)
    np.testing.assert_array_equal(A0, X.T)


def test_columns_converts_other_dtypes_without_touching_x():
    X = np.random.default_rng(0).normal(size=(7, 3))
    A0 = MLP((3, 2, 1), dtype="float32", seed=0).columns(X)
    assert A0.dtype == np.float32
    assert A0.shape == (3, 7)
    assert X.dtype == np.float64
    np.testing.assert_allclose(A0, X.T, rtol=1e-6)


@pytest.mark.parametrize("keep_prob", [1.0, 0.5])
def test_inputs_are_never_modified(keep_prob):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3))
    y = rng.integers(0, 2, size=8)
    X_before, y_before = X.copy(), y.copy()
    X.setflags(write=False)  # any attempt to write into X raises
    y.setflags(write=False)
    model = MLP((3, 4, 1), l2=0.5, keep_prob=keep_prob, seed=0)
    params_before = {name: p.copy() for name, p in model.params.items()}
    model.predict(X)
    model.predict_proba(X)
    model.cost(X, y)
    model.gradients(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    for name, p in model.params.items():
        np.testing.assert_array_equal(p, params_before[name])


def test_lists_are_accepted_like_arrays():
    model = randomize(MLP((2, 3, 1), seed=0))
    np.testing.assert_array_equal(model.predict(TINY_X.tolist()), model.predict(TINY_X))
    assert model.cost(TINY_X.tolist(), [0, 1]) == model.cost(TINY_X, np.array([0, 1]))


# --- predict and predict_proba -------------------------------------------------------------


def test_predict_matches_a_forward_pass_by_hand():
    model = tiny_net()
    np.testing.assert_array_equal(model.predict(TINY_X), [0, 1])
    np.testing.assert_allclose(model.predict_proba(TINY_X)[:, 1], sigmoid(TINY_Z2), rtol=1e-12)


def test_linear_output_predicts_z_of_the_forward_pass_by_hand():
    model = MLP((2, 2, 1), output_activation="linear", seed=0)
    model.params.update(tiny_net().params)
    np.testing.assert_allclose(model.predict(TINY_X), TINY_Z2, rtol=1e-12)


def test_binary_sigmoid_predictions():
    X = np.random.default_rng(1).normal(size=(9, 3))
    model = randomize(MLP((3, 4, 1), seed=0))
    labels, proba = model.predict(X), model.predict_proba(X)
    assert labels.shape == (9,)
    assert np.issubdtype(labels.dtype, np.integer)
    assert set(labels) <= {0, 1}
    assert proba.shape == (9, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    p1 = sigmoid(reference_ZL(model.params, X))[0]
    np.testing.assert_allclose(proba[:, 1], p1, rtol=1e-12)  # columns [P(0), P(1)]
    np.testing.assert_allclose(proba[:, 0], 1 - p1, rtol=1e-12)
    np.testing.assert_array_equal(labels, p1 > 0.5)
    assert 0 < labels.sum() < 9  # both classes occur, so the comparison means something


def test_single_example_gives_one_label():
    model = randomize(MLP((2, 3, 1), seed=0))
    assert model.predict(TINY_X[:1]).shape == (1,)
    assert model.predict_proba(TINY_X[:1]).shape == (1, 2)


def test_multi_label_sigmoid_predictions():
    X = np.random.default_rng(1).normal(size=(9, 3))
    model = randomize(MLP((3, 4, 3), seed=0))
    labels, proba = model.predict(X), model.predict_proba(X)
    assert labels.shape == (9, 3)
    assert proba.shape == (9, 3)
    P = sigmoid(reference_ZL(model.params, X)).T  # P(label k = 1) per column
    np.testing.assert_allclose(proba, P, rtol=1e-12)
    np.testing.assert_array_equal(labels, (P > 0.5).astype(int))


def test_softmax_predictions():
    X = np.random.default_rng(1).normal(size=(12, 3))
    model = randomize(MLP((3, 5, 4), output_activation="softmax", seed=0))
    labels, proba = model.predict(X), model.predict_proba(X)
    assert labels.shape == (12,)
    assert labels.min() >= 0
    assert labels.max() <= 3
    assert proba.shape == (12, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(proba.argmax(axis=1), labels)
    Z = reference_ZL(model.params, X)
    expected = np.exp(Z) / np.exp(Z).sum(axis=0)
    np.testing.assert_allclose(proba, expected.T, rtol=1e-12)
    assert len(set(labels)) > 1


def test_linear_predictions_and_no_probabilities():
    X = np.random.default_rng(1).normal(size=(5, 3))
    one = randomize(MLP((3, 4, 1), output_activation="linear", seed=0))
    several = randomize(MLP((3, 4, 2), output_activation="linear", seed=0))
    np.testing.assert_allclose(one.predict(X), reference_ZL(one.params, X)[0], rtol=1e-12)
    np.testing.assert_allclose(several.predict(X), reference_ZL(several.params, X).T, rtol=1e-12)
    assert one.predict(X).shape == (5,)
    assert several.predict(X).shape == (5, 2)
    with pytest.raises(ValueError, match=r"linear output \(regression\).*Use predict"):
        one.predict_proba(X)


# --- cost and gradients --------------------------------------------------------------------


def test_cost_is_binary_cross_entropy_by_hand():
    y = np.array([1, 0])  # both examples on the wrong side: a large loss
    p = sigmoid(TINY_Z2)
    data_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert tiny_net().cost(TINY_X, y) == pytest.approx(data_loss, rel=1e-12)


def test_cost_adds_the_l2_penalty():
    y = np.array([1, 0])
    p = sigmoid(TINY_Z2)
    data_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    # (λ/2m) Σ ||W||² = (0.6 / 4) · ((1 + 1 + 0.25 + 4) + (4 + 1)) = 0.15 · 11.25
    penalty = 0.15 * 11.25
    assert tiny_net(l2=0.6).cost(TINY_X, y) == pytest.approx(data_loss + penalty, rel=1e-12)


def test_l2_penalty_does_not_count_biases_and_scales_with_m():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, size=10)
    model = randomize(MLP((3, 4, 2, 1), l2=0.3, seed=0))
    penalty = 0.3 / (2 * 10) * sum(np.sum(model.params[f"W{l}"] ** 2) for l in (1, 2, 3))
    unregularized = model.copy(l2=0.0)
    assert model.cost(X, y) - unregularized.cost(X, y) == pytest.approx(penalty, rel=1e-10)


def test_softmax_and_linear_costs_by_hand():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 3))
    softmax = randomize(MLP((3, 4, 3), output_activation="softmax", seed=0))
    labels = np.array([0, 1, 2, 2, 1, 0])
    P = softmax.predict_proba(X)
    expected = -np.mean(np.log(P[np.arange(6), labels]))
    assert softmax.cost(X, labels) == pytest.approx(expected, rel=1e-12)

    linear = randomize(MLP((3, 4, 1), output_activation="linear", seed=0))
    targets = rng.normal(size=6)
    expected = np.sum((linear.predict(X) - targets) ** 2) / (2 * 6)
    assert linear.cost(X, targets) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("sizes", "output"),
    [((3, 1), "sigmoid"), ((3, 4, 2, 1), "sigmoid"), ((3, 5, 4), "softmax"), ((3, 2), "linear")],
)
def test_gradients_have_the_shapes_of_the_parameters(sizes, output):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(7, 3))
    y = {
        "sigmoid": rng.integers(0, 2, size=7),
        "softmax": rng.integers(0, sizes[-1], size=7),
        "linear": rng.normal(size=(7, sizes[-1])),
    }[output]
    model = MLP(sizes, output_activation=output, seed=0)
    grads = model.gradients(X, y)
    assert list(grads) == [f"d{name}" for name in model.params]
    for name, p in model.params.items():
        assert grads[f"d{name}"].shape == p.shape
        assert grads[f"d{name}"].dtype == p.dtype


def test_gradients_are_the_derivative_of_the_cost():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    model = randomize(MLP((3, 3, 1), hidden_activation="tanh", l2=0.4, seed=0))
    index = ParameterIndex.of(model.params)
    theta = parameters_to_vector(model.params, index)
    analytic = gradients_to_vector(model.gradients(X, y), index)
    numerical = np.empty_like(theta)
    h = 1e-6
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        model.params = vector_to_parameters(theta + step, index)
        plus = model.cost(X, y)
        model.params = vector_to_parameters(theta - step, index)
        numerical[i] = (plus - model.cost(X, y)) / (2 * h)
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-9)


# --- dtype ---------------------------------------------------------------------------------


def test_float64_is_the_default():
    model = MLP((3, 2, 1), seed=0)
    assert model.dtype == np.float64
    assert all(p.dtype == np.float64 for p in model.params.values())


def test_float32_model_stays_float32():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)  # float64 data
    model = MLP((3, 4, 1), dtype="float32", l2=0.1, seed=0)
    assert model.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert model.predict_proba(X).dtype == np.float32
    assert all(g.dtype == np.float32 for g in model.gradients(X, y).values())
    assert np.isfinite(model.cost(X, y))


def test_float32_and_float64_models_agree():
    X = np.random.default_rng(7).normal(size=(20, 3))
    wide = MLP((3, 8, 4, 1), seed=11)
    narrow = MLP((3, 8, 4, 1), seed=11, dtype=np.float32)
    np.testing.assert_allclose(narrow.predict_proba(X), wide.predict_proba(X), atol=1e-5)


# --- copy ----------------------------------------------------------------------------------


def test_copy_has_independent_weights():
    X = np.random.default_rng(8).normal(size=(6, 3))
    model = randomize(MLP((3, 4, 1), seed=0))
    clone = model.copy()
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
    before = model.predict_proba(X)
    for name, p in clone.params.items():
        assert not np.shares_memory(p, model.params[name])
        p += 1.0
    np.testing.assert_array_equal(model.predict_proba(X), before)
    assert not np.allclose(clone.predict_proba(X), before)


def test_copy_without_dropout_is_deterministic():
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, size=30)
    model = MLP((3, 16, 8, 1), keep_prob=0.5, seed=0)
    assert model.keep_prob == (1.0, 0.5, 0.5)  # the input layer keeps every unit by default
    # dropout draws a fresh mask for every gradient
    assert not np.array_equal(model.gradients(X, y)["dW1"], model.gradients(X, y)["dW1"])
    plain = model.copy(keep_prob=1.0)
    assert plain.keep_prob == (1.0, 1.0, 1.0)
    assert model.keep_prob == (1.0, 0.5, 0.5)
    np.testing.assert_array_equal(plain.gradients(X, y)["dW1"], plain.gradients(X, y)["dW1"])


def test_copy_to_float32():
    X = np.random.default_rng(10).normal(size=(6, 3))
    model = MLP((3, 4, 1), seed=0)
    narrow = model.copy(dtype="float32")
    assert narrow.dtype == np.float32
    assert all(p.dtype == np.float32 for p in narrow.params.values())
    assert all(p.dtype == np.float64 for p in model.params.values())
    np.testing.assert_allclose(narrow.predict_proba(X), model.predict_proba(X), atol=1e-6)


def test_copy_with_other_l2():
    rng = np.random.default_rng(11)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    model = MLP((3, 4, 1), seed=0)
    regularized = model.copy(l2=2.0)
    assert (model.l2, regularized.l2) == (0.0, 2.0)
    penalty = 2.0 / (2 * 6) * sum(np.sum(model.params[f"W{l}"] ** 2) for l in (1, 2))
    assert regularized.cost(X, y) - model.cost(X, y) == pytest.approx(penalty, rel=1e-10)


def test_copy_checks_its_arguments():
    model = MLP((3, 4, 1), seed=0)
    with pytest.raises(ValueError, match=r"keep_prob=0\b"):
        model.copy(keep_prob=0)
    with pytest.raises(ValueError, match=r"l2=-1\b"):
        model.copy(l2=-1)
    with pytest.raises(ValueError, match="float16"):
        model.copy(dtype="float16")


# --- θ as one vector -----------------------------------------------------------------------

ARCHITECTURES = [(3, 1), (2, 4, 1), (4, 5, 3, 1), (3, 2, 2, 4)]


@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_theta_round_trip(sizes):
    model = randomize(MLP(sizes, seed=0))
    index = ParameterIndex.of(model.params)
    L = len(sizes) - 1
    assert index.names == tuple(f"{k}{l}" for l in range(1, L + 1) for k in "Wb")
    theta = parameters_to_vector(model.params, index)
    expected_size = sum(n * (n_prev + 1) for n_prev, n in itertools.pairwise(sizes))
    assert theta.shape == (index.size,) == (expected_size,)
    # W1 row by row, then b1, then W2, …
    expected = np.concatenate([model.params[name].ravel(order="C") for name in index.names])
    np.testing.assert_array_equal(theta, expected)
    back = vector_to_parameters(theta, index)
    assert list(back) == list(model.params)
    for name, p in model.params.items():
        np.testing.assert_array_equal(back[name], p)


def test_theta_is_row_major():
    model = randomize(MLP((3, 2, 1), seed=0))
    theta = parameters_to_vector(model.params, ParameterIndex.of(model.params))
    W1, b1 = model.params["W1"], model.params["b1"]
    assert theta[:4].tolist() == [W1[0, 0], W1[0, 1], W1[0, 2], W1[1, 0]]
    assert theta[6:8].tolist() == [b1[0, 0], b1[1, 0]]


def test_vector_to_parameters_returns_views_into_theta():
    model = MLP((2, 3, 1), seed=0)
    index = ParameterIndex.of(model.params)
    theta = parameters_to_vector(model.params, index)
    params = vector_to_parameters(theta, index)
    for p in params.values():
        assert np.shares_memory(p, theta)
    theta[index.slice("b2")] = 7.0
    assert params["b2"][0, 0] == 7.0


def test_parameters_to_vector_is_a_copy():
    model = MLP((2, 3, 1), seed=0)
    theta = parameters_to_vector(model.params, ParameterIndex.of(model.params))
    theta[:] = 0.0
    assert model.params["W1"].any()


def test_locate_names_every_component():
    model = randomize(MLP((3, 2, 2), seed=0))
    index = ParameterIndex.of(model.params)
    theta = parameters_to_vector(model.params, index)
    expected = [
        (name, row, column)
        for name in ("W1", "b1", "W2", "b2")
        for row in range(model.params[name].shape[0])
        for column in range(model.params[name].shape[1])
    ]
    assert [index.locate(i) for i in range(index.size)] == expected
    for i, (name, row, column) in enumerate(expected):
        assert theta[i] == model.params[name][row, column]


@pytest.mark.parametrize("i", [-1, 21])
def test_locate_outside_theta(i):
    index = ParameterIndex.from_shapes({"W1": (4, 3), "b1": (4, 1), "W2": (1, 4), "b2": (1, 1)})
    assert index.size == 21
    assert index.locate(20) == ("b2", 0, 0)
    with pytest.raises(IndexError, match=f"component {i} is outside θ of size 21"):
        index.locate(i)


def test_gradients_to_vector_packs_in_parameter_order():
    rng = np.random.default_rng(12)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    model = randomize(MLP((3, 4, 2, 1), seed=0))
    index = ParameterIndex.of(model.params)
    grads = model.gradients(X, y)
    expected = np.concatenate([grads[f"d{name}"].ravel() for name in index.names])
    np.testing.assert_array_equal(gradients_to_vector(grads, index), expected)


def test_theta_size_errors():
    model = MLP((2, 3, 1), seed=0)
    index = ParameterIndex.of(model.params)
    theta = parameters_to_vector(model.params, index)
    with pytest.raises(ValueError, match=r"θ must have shape \(13,\).*got \(12,\)"):
        vector_to_parameters(theta[:-1], index)
    with pytest.raises(ValueError, match=r"θ must have shape \(13,\).*got \(1, 13\)"):
        vector_to_parameters(theta[None, :], index)
    wrong = dict(model.params, W2=np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"W2 has shape \(3, 1\); the index expects \(1, 3\)"):
        parameters_to_vector(wrong, index)


@pytest.mark.parametrize("shape", [(0, 2), (2, 2, 2), (2, -1)])
def test_parameter_index_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match=r"parameter_shapes\['W1'\].*positive integers"):
        ParameterIndex.from_shapes({"W1": shape})


# --- bad hyperparameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"keep_prob": 0}, r"\(0, 1\]; got keep_prob=0\. Use 1\.0 for no dropout"),
        ({"keep_prob": 1.5}, r"\(0, 1\]; got keep_prob=1\.5\b"),
        ({"keep_prob": -0.1}, r"\(0, 1\]; got keep_prob=-0\.1\b"),
        ({"keep_prob": float("nan")}, r"\(0, 1\]; got keep_prob=nan\b"),
        ({"keep_prob": (1.0, 0.5, 0.5)}, r"one value per layer.*\(2 values.*got 3"),
        ({"keep_prob": (1.0, 0.0)}, r"\(0, 1\]; got keep_prob\[1\]=0\.0\b"),
        ({"l2": -1.0}, r"l2 .*must be >= 0.*got l2=-1\.0"),
        ({"l1": -0.5}, r"l1 .*must be >= 0.*got l1=-0\.5"),
        ({"l2": float("nan")}, r"l2 .*finite number >= 0; got nan"),
        ({"l2": "0.1"}, r"l2 .*finite number >= 0; got '0\.1'"),
        ({"hidden_activation": "relux"}, r"unknown hidden_activation 'relux'.*'relu'.*'tanh'"),
        ({"output_activation": "tanh"}, r"unknown output_activation 'tanh'.*'linear'.*'softmax'"),
        ({"dtype": "int32"}, r"'float64' or 'float32'; got dtype='int32'"),
        ({"dtype": "float16"}, r"'float64' or 'float32'; got dtype='float16'"),
        ({"init": "kaiming"}, r"unknown initializer 'kaiming'.*'he'.*'xavier'"),
        ({"init": ["he", "he", "he"]}, r"one entry per layer 1 … L \(2\); got 3"),
    ],
)
def test_bad_hyperparameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP((3, 4, 1), **kwargs)


@pytest.mark.parametrize(
    ("layer_sizes", "match"),
    [
        ((3, 0, 1), r"layer_sizes\[1\]=0: .*integer >= 1"),
        ((3, -2, 1), r"layer_sizes\[1\]=-2: .*integer >= 1"),
        ((3, 4.0, 1), r"layer_sizes\[1\]=4\.0: .*integer >= 1"),
        ((3, 4, True), r"layer_sizes\[2\]=True: .*integer >= 1"),
        ((3,), r"at least two layer sizes.*got \(3,\)"),
        (3, r"at least two layer sizes.*got 3"),
    ],
)
def test_bad_layer_sizes(layer_sizes, match):
    with pytest.raises(ValueError, match=match):
        MLP(layer_sizes)


def test_softmax_needs_two_units():
    with pytest.raises(ValueError, match=r"softmax output needs n\[L\] >= 2.*n\[L\]=1.*sigmoid"):
        MLP((3, 4, 1), output_activation="softmax")


# --- bad data ------------------------------------------------------------------------------

GOOD_X = np.random.default_rng(13).normal(size=(4, 3))


def with_value(value, row, column):
    X = GOOD_X.copy()
    X[row, column] = value
    return X


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.ones((4, 2)), r"X has 2 features but the network's input layer has n\[0\]=3"),
        (np.ones(3), r"2-D array.*got shape \(3,\).*reshape\(1, -1\)"),
        (np.ones((2, 2, 3)), r"2-D array.*got shape \(2, 2, 3\)"),
        (np.ones((0, 3)), r"no rows"),
        (with_value(np.nan, 1, 2), r"non-finite value: .*nan\)? at row 1, column 2"),
        (with_value(np.inf, 0, 0), r"non-finite value: .*inf\)? at row 0, column 0"),
        (with_value(-np.inf, 3, 1), r"non-finite value: .*-inf\)? at row 3, column 1"),
        (np.array([["a", "b", "c"]]), r"X must hold numbers; got .*<U1"),
        (np.array([[1.0, None, 2.0]]), r"X must hold numbers; got .*object"),
    ],
)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "columns"])
def test_bad_x(X, match, method):
    model = MLP((3, 4, 1), seed=0)
    with pytest.raises(ValueError, match=match):
        getattr(model, method)(X)


@pytest.mark.parametrize(
    ("output", "y", "match"),
    [
        ("sigmoid", [0, 1, 1], r"X has 4 rows but y has 3"),
        ("sigmoid", [0, 1, 2, 0], r"0/1 labels; y contains .*2.*output_activation='softmax'"),
        ("sigmoid", [0, 0.3, 1, 0], r"0/1 labels; y contains .*0\.3.*'linear'"),
        ("sigmoid", [0, 1, np.nan, 0], r"y contains a non-finite value: .*nan\)? at row 2"),
        ("sigmoid", np.zeros((4, 2)), r"y must have shape \(n_samples,\).*got shape \(4, 2\)"),
        ("sigmoid", ["a", "b", "a", "b"], r"y must hold numbers"),
        ("softmax", [0, 1, 3, 0], r"integer class labels in 0 … 2; y contains .*3"),
        ("softmax", [0, -1, 2, 0], r"integer class labels in 0 … 2; y contains .*-1"),
        ("softmax", [0, 0.5, 2, 0], r"integer class labels in 0 … 2; y contains .*0\.5"),
        ("softmax", [0, 1, 2, np.inf], r"y contains a non-finite value: .*inf\)? at row 3"),
    ],
)
@pytest.mark.parametrize("method", ["cost", "gradients"])
def test_bad_y(output, y, match, method):
    model = MLP((3, 4, 1 if output == "sigmoid" else 3), output_activation=output, seed=0)
    with pytest.raises(ValueError, match=match):
        getattr(model, method)(GOOD_X, y)


def test_good_y_layouts_are_accepted():
    binary = MLP((3, 4, 1), seed=0)
    y = np.array([0, 1, 1, 0])
    assert binary.cost(GOOD_X, y[:, None]) == binary.cost(GOOD_X, y)  # (m, 1) is (m,)
    assert binary.cost(GOOD_X, y.astype(bool)) == binary.cost(GOOD_X, y)
    softmax = MLP((3, 4, 3), output_activation="softmax", seed=0)
    assert softmax.cost(GOOD_X, [0.0, 2.0, 1.0, 0.0]) == softmax.cost(GOOD_X, [0, 2, 1, 0])


def test_scalar_keep_prob_on_a_network_without_hidden_layers():
    with pytest.raises(ValueError, match=r"keep_prob=0\.5 applies to hidden layers.*has none"):
        MLP((2, 1), keep_prob=0.5)
    with pytest.raises(ValueError, match=r"\(0, 1\]; got keep_prob='x'"):
        MLP((2, 1), keep_prob="x")
    assert MLP((2, 1), keep_prob=(0.8,)).keep_prob == (0.8,)  # input dropout, said explicitly


def test_targets_that_are_not_arrays_of_the_right_kind():
    model = MLP((2, 3, 1), seed=0)
    with pytest.raises(ValueError, match=r"y must have shape \(n_samples,\).*got shape \(\)"):
        model.cost(np.ones((2, 2)), 1)
    softmax = MLP((2, 3, 3), output_activation="softmax", seed=0)
    with pytest.raises(ValueError, match=r"labels in 0 … 2; y contains 1e\+20"):
        softmax.cost(np.ones((2, 2)), [0, 1e20])  # no overflow warning on the way


def test_layer_sizes_may_be_a_numpy_array():
    assert MLP(np.array([2, 3, 1]), seed=0).layer_sizes == (2, 3, 1)


def test_gradients_to_vector_names_the_gradient_with_the_wrong_shape():
    index = ParameterIndex.from_shapes({"W1": (3, 2), "b1": (3, 1)})
    with pytest.raises(ValueError, match=r"dW1 has shape \(2, 2\); W1 is \(3, 2\)"):
        gradients_to_vector({"dW1": np.zeros((2, 2)), "db1": np.zeros((3, 1))}, index)


def test_keep_prob_may_be_a_numpy_array():
    assert MLP((3, 4, 2, 1), keep_prob=np.array([0.9, 0.8, 0.7])).keep_prob == (0.9, 0.8, 0.7)


def test_predict_proba_keeps_tiny_probabilities_of_class_0():
    model = MLP((1, 1), seed=0)
    model.params["W1"][...] = 1.0
    p0, p1 = model.predict_proba(np.array([[40.0]]))[0]
    assert p1 == 1.0
    assert p0 == pytest.approx(np.exp(-40.0), rel=1e-12)  # not 1 - σ(40), which is exactly 0
