"""The training workspace: preallocated buffers give the allocating forward and backward passes'
numbers (to rounding: b is added inside the product [W | b] [A; 1], and BLAS may order sums
differently), and every step reuses the same memory."""

from __future__ import annotations

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.nn import network
from dlrecipe.nn.optimizers import get_optimizer
from dlrecipe.nn.workspace import Workspace

CASES = [
    ("relu", "sigmoid", 1, {}),
    ("tanh", "softmax", 3, {"l2": 0.3}),
    ("sigmoid", "linear", 2, {"l1": 0.2}),
    ("leaky_relu", "softmax", 4, {"keep_prob": 0.8}),
    ("linear", "sigmoid", 1, {"l2": 0.1, "keep_prob": (0.9, 0.7, 1.0)}),
]


def data(n_outputs: int, output: str, m: int, rng: np.random.Generator):
    X = rng.normal(size=(m, 5))
    if output == "softmax":
        y = rng.integers(0, n_outputs, size=m)
    elif output == "sigmoid":
        y = rng.integers(0, 2, size=(m, n_outputs)) if n_outputs > 1 else rng.integers(0, 2, m)
    else:
        y = rng.normal(size=(m, n_outputs))
    return X, y


def case_model(hidden: str, output: str, n_outputs: int, options: dict, dtype: str):
    """A (5, 7, 6, n_outputs) network of one of the CASES, and a workspace for 40 examples."""
    model = MLP(
        (5, 7, 6, n_outputs),
        hidden_activation=hidden,
        output_activation=output,
        seed=1,
        dtype=dtype,
        **options,
    )
    return model, Workspace(model.spec, 40, model.dtype, params=model.params)


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Equal to rounding: b added inside the product instead of after it, a few ulps."""
    assert got.dtype == want.dtype, what
    eps = np.finfo(want.dtype).eps
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    np.testing.assert_allclose(got, want, rtol=64 * eps, atol=64 * eps * scale, err_msg=what)


def train_step(model, A0, Y, workspace=None):
    state = model.rng.bit_generator.state  # the same dropout masks for every pass
    caches = network.forward(
        model.params, A0, model.spec, training=True, rng=model.rng, workspace=workspace
    )
    grads = network.backward(
        model.params, caches, Y, model.spec, m_penalty=100, workspace=workspace
    )
    model.rng.bit_generator.state = state
    return caches, grads


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("hidden", "output", "n_outputs", "options"), CASES)
def test_workspace_gives_the_allocating_passes_numbers(hidden, output, n_outputs, options, dtype):
    rng = np.random.default_rng(0)
    model, workspace = case_model(hidden, output, n_outputs, options, dtype)
    for l in (1, 2, 3):  # MLP packs W[l] and b[l] so that [W[l] | b[l]] is one matrix
        W, b = model.params[f"W{l}"], model.params[f"b{l}"]
        Wb = workspace.weights_with_bias(l, W, b)
        assert Wb is not None
        assert np.shares_memory(Wb, W)
        assert np.shares_memory(Wb, b)
        np.testing.assert_array_equal(Wb, np.hstack([W, b]))
        dWb, dW, db = workspace.gradients_with_bias[l]
        assert dW is workspace.grads[f"dW{l}"]
        assert db is workspace.grads[f"db{l}"]
        assert np.shares_memory(dWb, dW)
        assert np.shares_memory(dWb, db)
    for m in (40, 13, 40):  # a full batch, a smaller last one, and the full size again
        X, y = data(n_outputs, output, m, rng)
        A0, Y = model.columns(X), model.targets(y, m)
        expected_caches, expected = train_step(model, A0, Y)
        caches, grads = train_step(model, A0, Y, workspace)
        assert grads is workspace.grads
        assert list(grads) == list(expected)
        for l, (got, want) in enumerate(zip(caches, expected_caches, strict=True), start=1):
            assert_close(got.Z, want.Z, f"Z{l}")
            assert_close(got.A, want.A, f"A{l}")
            np.testing.assert_array_equal(got.A_prev_ones[-1], 1)
        for name, want in expected.items():
            assert_close(grads[name], want, name)


@pytest.mark.parametrize(("hidden", "output", "n_outputs", "options"), CASES)
def test_parameters_laid_out_otherwise_take_the_separate_bias(hidden, output, n_outputs, options):
    # Separate arrays (a user's own dict): Z = W A, then + b; dW and db as two products.
    # (Not bit for bit either: the copied A[0] may have another memory order than the
    # caller's, and BLAS rounds the transposed product differently.)
    model = MLP(
        (5, 7, 6, n_outputs), hidden_activation=hidden, output_activation=output, seed=1, **options
    )
    model.params = {name: p.copy() for name, p in model.params.items()}
    grads = {f"d{name}": np.empty_like(p) for name, p in model.params.items()}
    workspace = Workspace(model.spec, 40, model.dtype, grads=grads, params=model.params)
    assert workspace.weights_with_bias(1, model.params["W1"], model.params["b1"]) is None
    assert workspace.gradients_with_bias[1] is None
    X, y = data(n_outputs, output, 40, np.random.default_rng(3))
    A0, Y = model.columns(X), model.targets(y, 40)
    expected_caches, expected = train_step(model, A0, Y)
    caches, got = train_step(model, A0, Y, workspace)
    for l, (have, want) in enumerate(zip(caches, expected_caches, strict=True), start=1):
        assert_close(have.Z, want.Z, f"Z{l}")
        assert_close(have.A, want.A, f"A{l}")
    for name, want in expected.items():
        assert_close(got[name], want, name)


def test_a_wide_input_is_not_copied_and_its_layer_adds_b_itself():
    # n[0] = 9 > n[1] = 3: copying the batch under a row of ones would move more numbers than
    # adding b[1] and summing db[1]; layer 1 takes those two steps, the others one product.
    model = MLP((9, 3, 4, 1), seed=2)
    workspace = Workspace(model.spec, 30, model.dtype, params=model.params)
    X, y = data(1, "sigmoid", 30, np.random.default_rng(8))
    A0 = model.columns(np.hstack([X, X[:, :4]]))
    Y = model.targets(y, 30)
    expected_caches, expected = train_step(model, A0, Y)
    caches, grads = train_step(model, A0, Y, workspace)
    assert caches[0].A_prev is A0  # used where it is
    assert caches[0].A_prev_ones is None
    assert caches[1].A_prev_ones is not None
    for l, (got, want) in enumerate(zip(caches, expected_caches, strict=True), start=1):
        assert_close(got.Z, want.Z, f"Z{l}")
    for name, want in expected.items():
        assert_close(grads[name], want, name)


def test_an_input_held_in_the_workspace_is_not_copied_again():
    model = MLP((3, 4, 1), seed=0)
    workspace = Workspace(model.spec, 20, model.dtype, params=model.params)
    A0 = np.random.default_rng(4).normal(size=(3, 20))
    held = workspace.hold_input(A0)
    np.testing.assert_array_equal(held, A0)
    caches = network.forward(model.params, held, model.spec, workspace=workspace)
    assert caches[0].A_prev is held  # used where it is
    copied = network.forward(model.params, A0, model.spec, workspace=workspace)
    np.testing.assert_array_equal(copied[-1].Z, caches[-1].Z)


def test_every_step_reuses_the_same_memory():
    model = MLP((4, 8, 3), output_activation="softmax", seed=0)
    workspace = Workspace(model.spec, 16, model.dtype)
    rng = np.random.default_rng(1)
    A0 = rng.normal(size=(4, 16))
    y = rng.integers(0, 3, 16)
    first = network.forward(model.params, A0, model.spec, training=True, workspace=workspace)
    grads = dict(network.backward(model.params, first, y, model.spec, workspace=workspace))
    second = network.forward(model.params, A0, model.spec, training=True, workspace=workspace)
    again = network.backward(model.params, second, y, model.spec, workspace=workspace)
    for a, b in zip(first, second, strict=True):
        assert a.Z is b.Z  # the same arrays, overwritten
        assert a.A is b.A
    assert all(again[name] is grads[name] for name in grads)
    with pytest.raises(ValueError, match="does not fit a workspace for 16"):
        workspace.buffers(17)


def test_the_optimizer_takes_gradients_written_into_its_buffers_without_a_copy():
    model = MLP((3, 5, 1), seed=0)
    optimizer = get_optimizer("adam")
    buffers = optimizer.gradient_buffers(model.params)
    workspace = Workspace(model.spec, 10, model.dtype, grads=buffers)
    reference = model.copy()
    reference_optimizer = get_optimizer("adam")
    rng = np.random.default_rng(2)
    for _ in range(3):
        A0, y = rng.normal(size=(3, 10)), rng.integers(0, 2, (1, 10)).astype(float)
        caches = network.forward(model.params, A0, model.spec, workspace=workspace)
        grads = network.backward(model.params, caches, y, model.spec, workspace=workspace)
        assert all(grads[name] is buffers[name] for name in buffers)
        before = {name: g.copy() for name, g in grads.items()}
        optimizer.step(model.params, grads, 0.01)
        assert all(np.array_equal(grads[name], before[name]) for name in grads)  # untouched
        expected = network.backward(
            reference.params, network.forward(reference.params, A0, reference.spec), y, model.spec
        )
        reference_optimizer.step(reference.params, expected, 0.01)
    for name, p in reference.params.items():
        assert_close(model.params[name], p, name)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_descent_on_a_large_theta_is_w_minus_alpha_dw_to_the_last_bit(dtype):
    # More numbers than BLAS's axpy keeps on one thread, and a W stored by columns (gathered
    # into θ and scattered back): W − α dW, each step within a rounding of its two terms.
    rng = np.random.default_rng(5)
    params = {
        "W1": rng.normal(size=(300, 70)).astype(dtype),  # 21,000 numbers
        "b1": rng.normal(size=(300, 1)).astype(dtype),
        "W2": np.asfortranarray(rng.normal(size=(40, 300)).astype(dtype)),  # not C-contiguous
        "b2": rng.normal(size=(40, 1)).astype(dtype),
    }
    optimizer, eps = get_optimizer("gd"), np.finfo(dtype).eps
    for _ in range(3):
        grads = {f"d{name}": rng.normal(size=W.shape).astype(dtype) for name, W in params.items()}
        before = {name: W.astype(np.float64) for name, W in params.items()}
        optimizer.step(params, grads, 0.1)
        for name, W in params.items():
            step = 0.1 * grads[f"d{name}"].astype(np.float64)
            error = np.abs(W - (before[name] - step))
            np.testing.assert_array_less(error, 2 * eps * (np.abs(before[name]) + np.abs(step)))


def test_a_gradient_replaced_in_the_dict_is_written_afresh_at_the_next_step():
    # A wrapper may swap grads["db1"] for another array (tests plant bugs so): the next
    # backward pass must hand out the fresh gradient, not the swapped array again.
    model = MLP((3, 4, 1), seed=0)
    workspace = Workspace(model.spec, 10, model.dtype, params=model.params)
    rng = np.random.default_rng(6)
    A0, y = rng.normal(size=(3, 10)), rng.integers(0, 2, (1, 10)).astype(float)
    caches = network.forward(model.params, A0, model.spec, workspace=workspace)
    fresh = network.backward(model.params, caches, y, model.spec, workspace=workspace)["db1"]
    expected = fresh.copy()
    workspace.grads["db1"] = np.full_like(fresh, 99.0)
    caches = network.forward(model.params, A0, model.spec, workspace=workspace)
    again = network.backward(model.params, caches, y, model.spec, workspace=workspace)
    assert again["db1"] is fresh
    np.testing.assert_array_equal(again["db1"], expected)
