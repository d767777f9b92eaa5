"""Inverted dropout: the mask statistically, and the backward pass reusing the forward's mask.

Each entry of ``D[l] / keep_prob`` is ``1/keep_prob`` with probability ``p = keep_prob`` and 0
otherwise, so on ``ones((200, 500))`` (N = 100 000 entries) the dropped activation has mean 1
with SE √((1 − p) / (p N)) and the fraction of zeros is 1 − p with SE √(p (1 − p) / N); the
tolerances are 5 standard errors.
"""

from __future__ import annotations

import copy
import itertools
import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from dlrecipe import MLP
from dlrecipe.nn import network
from dlrecipe.nn.regularization import dropout_backward, dropout_forward, dropout_mask

SHAPE = (200, 500)
KEEP_PROBS = (0.5, 0.8, 0.9)
F64 = np.dtype("float64")


def dropped_by_mask(keep_prob: float, seed: int, dtype: np.dtype = F64) -> np.ndarray:
    """``ones(SHAPE)`` after inverted dropout, with the mask of ``dropout_mask``."""
    mask = dropout_mask(SHAPE, keep_prob, np.random.default_rng(seed), dtype)
    return dropout_forward(np.ones(SHAPE, dtype=dtype), mask)


def dropped_by_network(keep_prob: float, seed: int, dtype: np.dtype = F64) -> np.ndarray:
    """``ones(SHAPE)`` as it feeds a one-layer network with dropout on its input layer."""
    n = SHAPE[0]
    model = MLP(
        (n, n),
        output_activation="linear",
        keep_prob=[keep_prob],
        init=lambda shape, rng: np.eye(n),
        dtype=dtype,
    )
    caches = network.forward(
        model.params,
        np.ones(SHAPE, dtype=dtype),
        model.spec,
        training=True,
        rng=np.random.default_rng(seed),
    )
    (cache,) = caches
    np.testing.assert_array_equal(cache.A_prev, cache.mask_prev)  # ones · mask
    np.testing.assert_array_equal(cache.Z, cache.A_prev)  # W = I, b = 0
    return cache.A_prev


DROPPERS = {"dropout_mask": dropped_by_mask, "network.forward": dropped_by_network}


@pytest.mark.parametrize("source", sorted(DROPPERS))
@pytest.mark.parametrize("keep_prob", KEEP_PROBS)
def test_inverted_dropout_statistics(keep_prob, source):
    A = DROPPERS[source](keep_prob, seed=0)
    N = A.size
    assert A.shape == SHAPE
    assert A.dtype == np.float64
    # The survivors are scaled by exactly 1/keep_prob; everything else is exactly 0.
    survivors = A[A != 0]
    assert np.all(survivors == 1 / keep_prob)
    zero_fraction = 1 - survivors.size / N
    assert abs(zero_fraction - (1 - keep_prob)) < 5 * math.sqrt(keep_prob * (1 - keep_prob) / N)
    # The expected activation is unchanged: nothing to rescale at prediction time.
    assert abs(A.mean() - 1) < 5 * math.sqrt((1 - keep_prob) / (keep_prob * N))


@pytest.mark.parametrize("source", sorted(DROPPERS))
def test_same_seed_gives_the_same_mask(source):
    drop = DROPPERS[source]
    np.testing.assert_array_equal(drop(0.8, seed=3), drop(0.8, seed=3))
    assert not np.array_equal(drop(0.8, seed=3), drop(0.8, seed=4))


@pytest.mark.parametrize("keep_prob", KEEP_PROBS)
def test_float32_drops_the_same_units_as_float64(keep_prob):
    A64 = dropped_by_mask(keep_prob, seed=1)
    A32 = dropped_by_mask(keep_prob, seed=1, dtype=np.dtype("float32"))
    assert A32.dtype == np.float32
    np.testing.assert_array_equal(A32 != 0, A64 != 0)
    assert np.all(A32[A32 != 0] == np.float32(1) / np.float32(keep_prob))
    np.testing.assert_array_equal(dropped_by_network(keep_prob, 1, np.dtype("float32")), A32)


def test_dropout_backward_multiplies_by_the_same_mask():
    rng = np.random.default_rng(0)
    mask = dropout_mask((6, 9), 0.5, rng, F64)
    dA = rng.normal(size=(6, 9))
    np.testing.assert_array_equal(dropout_backward(dA, mask), dA * mask)
    assert np.all(dropout_backward(dA, mask)[mask == 0] == 0)


def test_training_false_is_the_identity():
    model = MLP((200, 50, 30, 1), keep_prob=(0.5, 0.5, 0.5), seed=0)
    A0 = np.ones(SHAPE)
    caches = network.forward(model.params, A0, model.spec, training=False)
    assert all(cache.mask_prev is None for cache in caches)
    assert caches[0].A_prev is A0
    for previous, cache in itertools.pairwise(caches):
        assert cache.A_prev is previous.A  # fed on undropped
    # ...and equal to the forward pass of the same network without dropout.
    reference = network.forward(model.params, A0, model.copy(keep_prob=1.0).spec, training=True)
    np.testing.assert_array_equal(caches[-1].Z, reference[-1].Z)


def test_keep_prob_one_draws_no_mask_even_when_training():
    model = MLP((5, 4, 1), keep_prob=1.0, seed=0)
    caches = network.forward(model.params, np.ones((5, 3)), model.spec, training=True)
    assert all(cache.mask_prev is None for cache in caches)


def test_dropout_without_a_generator_is_an_error():
    model = MLP((5, 4, 1), keep_prob=0.5, seed=0)
    with pytest.raises(ValueError, match="dropout needs a random generator: pass rng="):
        network.forward(model.params, np.ones((5, 3)), model.spec, training=True)


def make_data(n_features: int, m: int, seed: int = 0, n_outputs: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n_features))
    y = rng.integers(0, 2, size=m) if n_outputs == 1 else rng.integers(0, n_outputs, size=m)
    return X, y


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_prediction_and_cost_never_apply_dropout(output):
    n_out = 3 if output == "softmax" else 1
    model = MLP((6, 40, 40, n_out), output_activation=output, keep_prob=0.5, seed=0)
    plain = model.copy(keep_prob=1.0)
    X, y = make_data(6, 50, n_outputs=n_out)
    for method in ("predict", "predict_proba"):
        first = getattr(model, method)(X)
        np.testing.assert_array_equal(getattr(model, method)(X), first)
        np.testing.assert_array_equal(first, getattr(plain, method)(X))
    assert model.cost(X, y) == model.cost(X, y) == plain.cost(X, y)
    # Training gradients, by contrast, draw a fresh mask on every call.
    g1, g2 = model.gradients(X, y), model.gradients(X, y)
    assert not np.array_equal(g1["dW2"], g2["dW2"])
    assert not np.array_equal(g1["dW2"], plain.gradients(X, y)["dW2"])


# --- the backward pass uses the forward's mask: against autograd with the masks fixed --------


def autograd_cost(params, A0, Y, masks, hidden: str, output: str):
    """J of the network with the dropout masks fixed, written in ``autograd.numpy``."""
    g = {"relu": lambda Z: anp.where(Z > 0, Z, 0.0), "tanh": anp.tanh}[hidden]
    L = len(masks)
    A = A0
    for l in range(1, L + 1):
        if masks[l - 1] is not None:
            A = A * masks[l - 1]
        Z = anp.dot(params[f"W{l}"], A) + params[f"b{l}"]
        A = g(Z) if l < L else Z
    m = A0.shape[1]
    if output == "sigmoid":  # binary cross-entropy from the logits
        return anp.sum(anp.maximum(Z, 0) - Z * Y + anp.log1p(anp.exp(-anp.abs(Z)))) / m
    log_softmax = Z - anp.log(anp.sum(anp.exp(Z - anp.max(Z, axis=0)), axis=0)) - anp.max(Z, axis=0)
    return -anp.sum(log_softmax[Y, np.arange(m)]) / m


def dropout_case(hidden: str, output: str, seed: int | np.random.Generator = 0):
    n_out = 3 if output == "softmax" else 1
    model = MLP(
        (5, 7, 6, n_out),
        hidden_activation=hidden,
        output_activation=output,
        keep_prob=(0.7, 0.5, 0.6),
        seed=seed,
    )
    rng = np.random.default_rng(100)
    for l in (1, 2, 3):  # non-zero biases keep ReLU pre-activations off the kink at 0
        model.params[f"b{l}"][:] = rng.normal(scale=0.5, size=model.params[f"b{l}"].shape)
    X, y = make_data(5, 8, seed=1, n_outputs=n_out)
    return model, X, y


def assert_matches_autograd(grads, params, A0, Y, masks, hidden, output):
    expected = grad(autograd_cost)(dict(params), A0, Y, masks, hidden, output)
    for name, value in expected.items():
        np.testing.assert_allclose(grads[f"d{name}"], value, rtol=1e-10, atol=1e-13, err_msg=name)


CASES = [(h, o) for h in ("relu", "tanh") for o in ("sigmoid", "softmax")]


@pytest.mark.parametrize(("hidden", "output"), CASES)
def test_network_backward_uses_the_forward_masks(hidden, output):
    model, X, y = dropout_case(hidden, output)
    A0 = model.columns(X)
    Y = model.targets(y, A0.shape[1])
    caches = network.forward(
        model.params, A0, model.spec, training=True, rng=np.random.default_rng(1)
    )
    masks = [cache.mask_prev for cache in caches]
    assert all(mask is not None and not mask.all() for mask in masks)  # units were dropped
    grads = network.backward(model.params, caches, Y, model.spec)
    assert_matches_autograd(grads, model.params, A0, Y, masks, hidden, output)
    # Not vacuous: ignoring the masks gives other gradients.
    no_masks = [None] * len(masks)
    unmasked = grad(autograd_cost)(dict(model.params), A0, Y, no_masks, hidden, output)
    assert not np.allclose(grads["dW1"], unmasked["W1"])


@pytest.mark.parametrize(("hidden", "output"), CASES)
def test_mlp_gradients_use_the_masks_of_their_own_forward(hidden, output):
    # Give the model a generator and keep a copy of its state after the weights are drawn:
    # the copy replays the masks that MLP.gradients draws in its forward pass.
    rng = np.random.default_rng(5)
    model, X, y = dropout_case(hidden, output, seed=rng)
    replay = copy.deepcopy(rng)
    grads = model.gradients(X, y)
    A0 = model.columns(X)
    Y = model.targets(y, A0.shape[1])
    caches = network.forward(model.params, A0, model.spec, training=True, rng=replay)
    masks = [cache.mask_prev for cache in caches]
    assert all(not mask.all() for mask in masks)
    assert_matches_autograd(grads, model.params, A0, Y, masks, hidden, output)
    # The next call draws new masks, so its gradients differ.
    assert not np.array_equal(model.gradients(X, y)["dW1"], grads["dW1"])


def test_input_feature_dropped_in_every_example_gets_no_weight_gradient():
    model = MLP((20, 5, 1), keep_prob=(0.5, 1.0), seed=0)
    X, y = make_data(20, 3, seed=0)
    A0 = model.columns(X)
    caches = network.forward(
        model.params, A0, model.spec, training=True, rng=np.random.default_rng(2)
    )
    grads = network.backward(model.params, caches, model.targets(y, 3), model.spec)
    mask = caches[0].mask_prev  # (n[0], m): one row per feature
    dropped = ~mask.any(axis=1)
    assert 0 < dropped.sum() < 20  # the seed drops some features in all 3 examples, not all
    # dW1 = (1/m) dZ1 A0ᵀ: the column of a feature that never reached the layer is exactly 0.
    assert not grads["dW1"][:, dropped].any()
    assert np.all(np.abs(grads["dW1"][:, ~dropped]).sum(axis=0) > 0)


def test_hidden_unit_dropped_in_every_example_gets_no_gradient():
    # tanh, not ReLU: no unit is switched off except by dropout.
    model = MLP((3, 30, 4, 1), hidden_activation="tanh", keep_prob=(1.0, 0.5, 1.0), seed=0)
    rng = np.random.default_rng(0)
    X, y = make_data(3, 4, seed=1)
    A0 = model.columns(X)
    caches = network.forward(model.params, A0, model.spec, training=True, rng=rng)
    grads = network.backward(model.params, caches, model.targets(y, 4), model.spec)
    assert caches[0].mask_prev is None
    assert caches[2].mask_prev is None
    dropped = ~caches[1].mask_prev.any(axis=1)  # units j of layer 1 dropped in all 4 examples
    assert 0 < dropped.sum() < 30
    # Its outgoing weights (column j of dW2) and, through dA1 * mask, its incoming weights and
    # bias (row j of dW1, db1) get exactly zero gradient.
    assert not grads["dW2"][:, dropped].any()
    assert not grads["dW1"][dropped].any()
    assert not grads["db1"][dropped].any()
    assert np.all(np.abs(grads["dW1"][~dropped]).sum(axis=1) > 0)


def test_per_layer_keep_prob_sets_layers_0_to_L_minus_1():
    assert MLP((3, 5, 4, 1), keep_prob=(0.9, 0.8, 0.7)).keep_prob == (0.9, 0.8, 0.7)
    assert MLP((3, 5, 4, 1), keep_prob=[1, 0.5, 1]).keep_prob == (1.0, 0.5, 1.0)
    # A number applies to the hidden layers only: the input layer keeps everything.
    assert MLP((3, 5, 4, 1), keep_prob=0.8).keep_prob == (1.0, 0.8, 0.8)
    assert MLP((3, 1), keep_prob=(0.8,)).keep_prob == (0.8,)
    assert MLP((3, 5, 4, 1)).keep_prob == (1.0, 1.0, 1.0)


@pytest.mark.parametrize(
    ("keep_prob", "expected"),
    [((0.9, 0.6, 0.75), (0.9, 0.6, 0.75)), (0.6, (1.0, 0.6, 0.6))],
)
def test_keep_prob_of_layer_l_minus_1_drops_the_input_of_layer_l(keep_prob, expected):
    n, m = 400, 200
    model = MLP((n, n, n, 1), keep_prob=keep_prob, seed=0)
    caches = network.forward(
        model.params, np.ones((n, m)), model.spec, training=True, rng=np.random.default_rng(3)
    )
    for l, p in enumerate(expected, start=1):
        mask = caches[l - 1].mask_prev
        if p == 1.0:
            assert mask is None
            continue
        assert mask.shape == (n, m)
        assert np.all(mask[mask != 0] == 1 / p)
        zero_fraction = np.mean(mask == 0)
        assert abs(zero_fraction - (1 - p)) < 5 * math.sqrt(p * (1 - p) / mask.size)


@pytest.mark.parametrize(
    ("keep_prob", "message"),
    [
        (0.0, r"got keep_prob=0\.0"),
        (1.5, r"got keep_prob=1\.5"),
        ((1.0, 0.0, 0.5), r"got keep_prob\[1\]=0\.0"),
        ((0.5, 0.5), r"one value per layer 0 … L-1 \(3 values, input layer first\); got 2"),
    ],
)
def test_keep_prob_out_of_range_is_rejected(keep_prob, message):
    with pytest.raises(ValueError, match=message):
        MLP((3, 5, 4, 1), keep_prob=keep_prob)
