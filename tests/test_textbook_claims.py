"""The textbook's claims about training, as executable facts.

(a) Zero initialization never breaks symmetry; He initialization does.
(b) The losses stay finite and correct at extreme logits, where the naive formulas fail.
(c) A deep linear network makes activations and gradients explode or vanish like a power of L.
(d) L2 regularization shrinks the weights ("weight decay"), and the penalties add exactly
    (λ/2m) Σ ||W||² (L2) or (λ/2m) Σ |W| (L1) to the cost and (λ/m) W or (λ/2m) sign(W) to dW.

pytest runs with ``filterwarnings = error``, so any overflow or log(0) warning fails a test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dlrecipe import MLP, initializers
from dlrecipe.data import circles
from dlrecipe.nn import network
from dlrecipe.nn.activations import sigmoid, softmax
from dlrecipe.nn.losses import OUTPUTS, binary_cross_entropy, categorical_cross_entropy


def gradient_descent(model: MLP, X, y, *, learning_rate: float, steps: int) -> MLP:
    """Plain batch gradient descent on ``model.params``, in place."""
    for _ in range(steps):
        grads = model.gradients(X, y)
        for name in model.params:
            model.params[name] -= learning_rate * grads[f"d{name}"]
    return model


def weight_norm(model: MLP) -> float:
    """Σ_l ||W[l]||_F²."""
    return sum(float(np.sum(model.params[f"W{l}"] ** 2)) for l in range(1, model.n_layers + 1))


# --- (a) symmetry ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unbalanced_circles():
    # 150 of 200 shuffled points: 73 of class 1, so the output bias has something to learn and
    # (for sigmoid hidden units) the hidden weights move away from zero.
    X, y = circles(200, seed=0)
    return X[:150], y[:150]


def assert_rows_identical(W: np.ndarray) -> None:
    # Identical up to rounding: BLAS may sum the rows of a product in different orders.
    np.testing.assert_allclose(W, np.broadcast_to(W[:1], W.shape), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid"])
def test_zeros_initialization_never_breaks_symmetry(hidden, unbalanced_circles):
    X, y = unbalanced_circles
    model = MLP((2, 4, 3, 1), hidden_activation=hidden, init="zeros", seed=0)
    gradient_descent(model, X, y, learning_rate=0.5, steps=500)
    # Every unit of a layer computes the same function: all rows of W1, W2 stay identical
    # (and W3 has one column per unit, all equal).
    assert_rows_identical(model.params["W1"])
    assert_rows_identical(model.params["W2"])
    assert_rows_identical(model.params["W3"].T)
    assert_rows_identical(model.params["b1"])
    assert_rows_identical(model.params["b2"])
    if hidden == "sigmoid":  # the weights did change, symmetrically
        assert np.abs(model.params["W2"]).min() > 1e-6
    # Accuracy at chance: the network predicts one class for every example...
    p = y.mean()
    predictions = model.predict(X)
    assert np.unique(predictions).size == 1
    assert np.mean(predictions == y) == max(p, 1 - p)
    # ...and learns only the base rate: its cost is the entropy of the labels.
    entropy = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert model.cost(X, y) == pytest.approx(entropy, abs=1e-6)


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_he_initialization_breaks_symmetry_and_learns(hidden, unbalanced_circles):
    X, y = unbalanced_circles
    model = MLP((2, 4, 3, 1), hidden_activation=hidden, init="he", seed=0)
    initial_cost = model.cost(X, y)
    gradient_descent(model, X, y, learning_rate=0.1, steps=500)
    for name in ("W1", "W2"):
        W = model.params[name]
        assert np.ptp(W, axis=0).max() > 0.1  # rows differ
    assert model.cost(X, y) < initial_cost - 0.2
    assert np.mean(model.predict(X) == y) > 0.75


# --- (b) extreme logits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("z", "y", "expected"),
    [
        # -log σ(z) and -log(1 - σ(z)) → |z| on the wrong side, e^-|z| ≈ 0 on the right one.
        (1000.0, 0.0, 1000.0),
        (1000.0, 1.0, 0.0),
        (-1000.0, 1.0, 1000.0),
        (-1000.0, 0.0, 0.0),
        (0.0, 1.0, math.log(2)),
        (40.0, 0.0, 40.0 + math.log1p(math.exp(-40.0))),
        (40.0, 1.0, math.log1p(math.exp(-40.0))),  # 4.2e-18, not rounded to 0
    ],
)
def test_binary_cross_entropy_at_extreme_logits(z, y, expected):
    loss = binary_cross_entropy(np.array([[z]]), np.array([[y]]))
    assert math.isfinite(loss)
    assert loss == pytest.approx(expected, rel=1e-15, abs=0)


@pytest.mark.parametrize(
    ("label", "expected"),
    # logits (1000, -1000, 0): -log softmax = logsumexp − z_y with logsumexp = 1000 + ~e^-1000.
    [(0, 0.0), (1, 2000.0), (2, 1000.0)],
)
def test_categorical_cross_entropy_at_extreme_logits(label, expected):
    ZL = np.array([[1000.0], [-1000.0], [0.0]])
    # From Z[L] alone, and with the softmax training has at hand (whose probabilities e^-1000
    # and e^-2000 are 0: the loss must not become -log 0).
    for AL in (None, softmax(ZL)):
        loss = categorical_cross_entropy(ZL, np.array([label]), AL)
        assert math.isfinite(loss)
        assert loss == pytest.approx(expected, rel=1e-15, abs=0)


@pytest.mark.parametrize(("dtype", "rel"), [(np.float64, 1e-14), (np.float32, 2e-6)])
def test_categorical_cross_entropy_read_from_the_softmax_is_the_same_number(dtype, rel):
    rng = np.random.default_rng(8)
    for scale in (0.1, 3.0, 30.0):
        ZL = (scale * rng.normal(size=(10, 64))).astype(dtype)
        y = rng.integers(0, 10, 64)
        stable = categorical_cross_entropy(ZL, y)
        assert categorical_cross_entropy(ZL, y, softmax(ZL)) == pytest.approx(stable, rel=rel)
    # A probability below the smallest normal number (e^-720 ≈ 1e-313) keeps only about 34 of
    # its 53 bits: the loss is then taken from Z[L], exactly as without the softmax.
    ZL = np.array([[0.0, 0.0], [-720.0, 1.0]])
    y = np.array([1, 1])
    AL = softmax(ZL)
    assert 0 < AL[1, 0] < np.finfo(np.float64).tiny
    assert categorical_cross_entropy(ZL, y, AL) == categorical_cross_entropy(ZL, y)
    AL[1, 1] = np.nan  # and a NaN is not hidden by the shortcut: Z[L] decides
    assert categorical_cross_entropy(ZL, y, AL) == categorical_cross_entropy(ZL, y)


def test_categorical_cross_entropy_with_all_logits_huge():
    # Shifting all logits by 10⁴ changes nothing: softmax is shift-invariant.
    ZL = np.array([[1.0, -2.0], [3.0, 0.5], [-1.0, 0.0]])
    y = np.array([2, 0])
    reference = categorical_cross_entropy(ZL, y)
    for shift in (1e4, -1e4):
        assert categorical_cross_entropy(ZL + shift, y) == pytest.approx(reference, rel=1e-10)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_gradients_at_extreme_logits_are_finite_and_saturated(output):
    spec = OUTPUTS[output]
    if output == "sigmoid":
        ZL, Y = np.array([[1000.0, -1000.0, 1000.0, -1000.0]]), np.array([[0.0, 1.0, 1.0, 0.0]])
        expected = np.array([[1.0, -1.0, 0.0, 0.0]])  # σ(z) − y with σ(±1000) = 1, 0 exactly
    else:
        ZL, Y = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [0.0, 0.0]]), np.array([0, 1])
        expected = np.array([[0.0, 1.0], [0.0, -1.0], [0.0, 0.0]])
    AL = spec.activation(ZL)
    dZ = spec.gradient(AL, Y)
    assert np.all(np.isfinite(AL))
    assert np.all(np.isfinite(dZ))
    np.testing.assert_array_equal(dZ, expected)


def test_naive_formulas_fail_where_the_stable_ones_do_not():
    # The textbook formula takes log(1 − σ(1000)) = log(0): the stable form avoids it.
    a = sigmoid(np.array([[1000.0]]))
    with np.errstate(divide="ignore"):
        naive = -np.log(1 - a)
    assert np.isinf(naive).all()
    assert binary_cross_entropy(np.array([[1000.0]]), np.array([[0.0]])) == 1000.0


def test_stable_binary_cross_entropy_equals_the_textbook_formula_at_moderate_logits():
    rng = np.random.default_rng(0)
    ZL = np.linspace(-5, 5, 41).reshape(1, -1)
    Y = rng.integers(0, 2, size=ZL.shape).astype(float)
    A = 1 / (1 + np.exp(-ZL))
    naive = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    assert binary_cross_entropy(ZL, Y) == pytest.approx(naive, abs=1e-12, rel=0)
    # Several outputs (multi-label): the losses of all units are summed, averaged over m.
    ZL2 = rng.uniform(-5, 5, size=(3, 10))
    Y2 = rng.integers(0, 2, size=(3, 10)).astype(float)
    A2 = 1 / (1 + np.exp(-ZL2))
    naive2 = -np.sum(Y2 * np.log(A2) + (1 - Y2) * np.log(1 - A2)) / 10
    assert binary_cross_entropy(ZL2, Y2) == pytest.approx(naive2, abs=1e-12, rel=0)


def test_stable_categorical_cross_entropy_equals_the_textbook_formula_at_moderate_logits():
    rng = np.random.default_rng(1)
    ZL = rng.uniform(-5, 5, size=(4, 30))
    y = rng.integers(0, 4, size=30)
    A = np.exp(ZL) / np.exp(ZL).sum(axis=0)
    naive = -np.mean(np.log(A[y, np.arange(30)]))
    assert categorical_cross_entropy(ZL, y) == pytest.approx(naive, abs=1e-12, rel=0)
    np.testing.assert_allclose(softmax(ZL), A, rtol=1e-13)


def test_cost_stays_finite_with_huge_weights():
    X, y = circles(100, seed=1)
    model = MLP((2, 10, 10, 1), init=initializers.random(scale=1000), seed=0)
    ZL = network.forward(model.params, model.columns(X), model.spec)[-1].Z[0]
    assert np.abs(ZL).min() > 100  # every logit saturated: σ rounds to exactly 0 or 1
    cost = model.cost(X, y)
    assert math.isfinite(cost)
    # Each mistake costs |z| (log(1 + e^-|z|) is below rounding); each hit costs ~0.
    wrong = (ZL > 0) != (y == 1)
    assert wrong.any()
    assert cost == pytest.approx(np.sum(np.abs(ZL[wrong])) / y.size, rel=1e-12)
    grads = model.gradients(X, y)
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba))
    assert np.all((proba == 0) | (proba == 1))


def test_softmax_cost_stays_finite_with_huge_weights():
    X, y = circles(100, seed=2)
    model = MLP(
        (2, 10, 3), output_activation="softmax", init=initializers.random(scale=1000), seed=0
    )
    cost = model.cost(X, y)
    assert math.isfinite(cost)
    assert cost > 100
    assert all(np.all(np.isfinite(g)) for g in model.gradients(X, y).values())


# --- (c) exploding and vanishing activations -------------------------------------------------

L_DEEP, WIDTH, M = 50, 4, 3


def deep_linear_network(w: float) -> MLP:
    """50 linear layers of width 4 with W[l] = w · I and b[l] = 0."""
    return MLP(
        (WIDTH,) * (L_DEEP + 1),
        hidden_activation="linear",
        output_activation="linear",
        init=lambda shape, rng: w * np.eye(*shape),
    )


@pytest.mark.parametrize("w", [1.5, 0.5])
def test_deep_linear_network_activations_scale_like_a_power_of_l(w):
    model = deep_linear_network(w)
    np.testing.assert_array_equal(model.params["W17"], w * np.eye(WIDTH))
    X = np.random.default_rng(0).normal(size=(M, WIDTH))
    A0 = model.columns(X)
    caches = network.forward(model.params, A0, model.spec)
    assert len(caches) == L_DEEP
    norm0 = np.linalg.norm(A0)
    for l, cache in enumerate(caches, start=1):
        # ||A[l]|| = w^l ||A[0]||, up to one rounding per layer.
        assert np.linalg.norm(cache.A) / norm0 == pytest.approx(w**l, rel=1e-13)
        if w == 0.5:  # halving is exact
            np.testing.assert_array_equal(cache.A, A0 * w**l)
    output_scale = np.linalg.norm(caches[-1].A) / norm0
    if w > 1:
        assert output_scale > 6e8  # 1.5^50 ≈ 6.4e8: explodes
    else:
        assert output_scale < 1e-15  # 0.5^50 ≈ 8.9e-16: vanishes


@pytest.mark.parametrize("w", [1.5, 0.5])
def test_deep_linear_network_gradients_scale_like_a_power_of_l(w):
    # With y = 0 and J = (1/2m) ||A[L]||², dZ[L] = A[L] = w^L Xᵀ, so for every layer
    # dW[l] = (1/m) dZ[l] A[l-1]ᵀ = (1/m) w^(L-l) dZ[L] · w^(l-1) X = w^(2L-1) XᵀX / m.
    model = deep_linear_network(w)
    X = np.random.default_rng(1).normal(size=(M, WIDTH))
    grads = model.gradients(X, np.zeros((M, WIDTH)))
    expected = w ** (2 * L_DEEP - 1) * (X.T @ X) / M
    for l in (1, 25, L_DEEP):
        np.testing.assert_allclose(grads[f"dW{l}"], expected, rtol=1e-12)
        # db[l] = (1/m) Σ_columns dZ[l] = w^(2L-l) · mean of the examples.
        np.testing.assert_allclose(
            grads[f"db{l}"], w ** (2 * L_DEEP - l) * X.mean(axis=0)[:, None], rtol=1e-12
        )
    ratio = np.linalg.norm(grads["dW1"]) / np.linalg.norm(X.T @ X / M)
    assert (ratio > 1e17) if w > 1 else (ratio < 1e-29)


# --- (d) L2 and L1 -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_data():
    return circles(200, seed=0)


def test_l2_shrinks_the_weights(small_data):
    X, y = small_data
    base = MLP((2, 8, 8, 1), seed=0)
    norms = []
    for lambd in (0.0, 0.5, 2.0, 8.0):
        model = gradient_descent(base.copy(l2=lambd), X, y, learning_rate=0.5, steps=150)
        norms.append(weight_norm(model))
    # Same start, same data: a larger λ ends with a strictly smaller Σ ||W||².
    assert all(a > b for a, b in itertools.pairwise(norms)), norms
    assert norms[-1] < 0.5 * norms[0]


def regularization_case(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(25, 3))
    y = rng.integers(0, 2, size=25)
    model = MLP((3, 6, 4, 1), init="glorot", seed=seed)
    return model, X, y


@pytest.mark.parametrize("lambd", [0.1, 3.0])
def test_l2_adds_lambda_over_m_times_w_to_dw(lambd):
    model, X, y = regularization_case()
    m = X.shape[0]
    plain = model.copy(l2=0.0).gradients(X, y)
    l2 = model.copy(l2=lambd).gradients(X, y)
    for l in (1, 2, 3):
        W = model.params[f"W{l}"]
        scale = np.abs(plain[f"dW{l}"]).max()  # (a + b) − a loses the rounding of a
        np.testing.assert_allclose(
            l2[f"dW{l}"] - plain[f"dW{l}"], (lambd / m) * W, rtol=1e-12, atol=1e-15 * scale
        )
        # Biases are never penalized.
        np.testing.assert_array_equal(l2[f"db{l}"], plain[f"db{l}"])


@pytest.mark.parametrize("lambd", [0.1, 3.0])
def test_one_gradient_step_with_l2_is_weight_decay(lambd):
    model, X, y = regularization_case(1)
    m, learning_rate = X.shape[0], 0.3
    plain = model.copy(l2=0.0).gradients(X, y)
    l2 = model.copy(l2=lambd).gradients(X, y)
    for l in (1, 2, 3):
        W = model.params[f"W{l}"]
        step = W - learning_rate * l2[f"dW{l}"]
        # W := W − α (dW_data + (λ/m) W) = W (1 − αλ/m) − α dW_data
        decayed = W * (1 - learning_rate * lambd / m) - learning_rate * plain[f"dW{l}"]
        np.testing.assert_allclose(step, decayed, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("lambd", [0.1, 3.0])
def test_l1_adds_lambda_over_2m_times_sign_w_to_dw(lambd):
    model, X, y = regularization_case(2)
    model.params["W2"][0, :2] = 0.0  # the subgradient at 0 is 0
    m = X.shape[0]
    plain = model.copy(l1=0.0).gradients(X, y)
    l1 = model.copy(l1=lambd).gradients(X, y)
    for l in (1, 2, 3):
        W = model.params[f"W{l}"]
        scale = np.abs(plain[f"dW{l}"]).max()
        np.testing.assert_allclose(
            l1[f"dW{l}"] - plain[f"dW{l}"],
            (lambd / (2 * m)) * np.sign(W),
            rtol=1e-12,
            atol=1e-15 * scale,
        )
        np.testing.assert_array_equal(l1[f"db{l}"], plain[f"db{l}"])
    assert np.all(l1["dW2"][0, :2] == plain["dW2"][0, :2])


@pytest.mark.parametrize("lambd", [0.1, 3.0])
def test_penalties_add_to_the_cost(lambd):
    model, X, y = regularization_case(3)
    m = X.shape[0]
    weights = [model.params[f"W{l}"] for l in (1, 2, 3)]
    plain = model.copy(l2=0.0, l1=0.0).cost(X, y)
    l2_cost = model.copy(l2=lambd).cost(X, y)
    l1_cost = model.copy(l1=lambd).cost(X, y)
    both = model.copy(l2=lambd, l1=2 * lambd).cost(X, y)
    l2_term = lambd / (2 * m) * sum(np.sum(W**2) for W in weights)
    l1_term = lambd / (2 * m) * sum(np.sum(np.abs(W)) for W in weights)
    assert l2_cost - plain == pytest.approx(l2_term, rel=1e-12)
    assert l1_cost - plain == pytest.approx(l1_term, rel=1e-12)
    assert both - plain == pytest.approx(l2_term + 2 * l1_term, rel=1e-12)
    # Biases are never penalized: changing them leaves the penalty alone.
    model.params["b1"] += 5.0
    assert model.copy(l2=lambd).cost(X, y) - model.copy(l2=0.0).cost(X, y) == pytest.approx(
        l2_term, rel=1e-12
    )
