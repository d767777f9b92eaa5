"""The training workspace: preallocated buffers give the same numbers, bit for bit, as the
allocating forward and backward passes, and every step reuses the same memory."""

from __future__ import annotations

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.nn import network
from dlrecipe.nn.optimizers import get_optimizer

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


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("hidden", "output", "n_outputs", "options"), CASES)
def test_workspace_gives_the_allocating_passes_numbers_bit_for_bit(
    hidden, output, n_outputs, options, dtype
):
    rng = np.random.default_rng(0)
    model = MLP(
        (5, 7, 6, n_outputs),
        hidden_activation=hidden,
        output_activation=output,
        seed=1,
        dtype=dtype,
        **options,
    )
    workspace = network.Workspace(model.spec, 40, model.dtype)
    for m in (40, 13, 40):  # a full batch, a smaller last one, and the full size again
        X, y = data(n_outputs, output, m, rng)
        A0, Y = model.columns(X), model.targets(y, m)
        state = model.rng.bit_generator.state  # the same dropout masks for both passes
        expected_caches = network.forward(
            model.params, A0, model.spec, training=True, rng=model.rng
        )
        expected = network.backward(model.params, expected_caches, Y, model.spec, m_penalty=100)
        model.rng.bit_generator.state = state
        caches = network.forward(
            model.params, A0, model.spec, training=True, rng=model.rng, workspace=workspace
        )
        grads = network.backward(
            model.params, caches, Y, model.spec, m_penalty=100, workspace=workspace
        )
        assert grads is workspace.grads
        assert list(grads) == list(expected)
        for got, want in zip(caches, expected_caches, strict=True):
            np.testing.assert_array_equal(got.Z, want.Z)
            np.testing.assert_array_equal(got.A, want.A)
        for name, want in expected.items():
            assert grads[name].dtype == want.dtype
            np.testing.assert_array_equal(grads[name], want, err_msg=name)


def test_every_step_reuses_the_same_memory():
    model = MLP((4, 8, 3), output_activation="softmax", seed=0)
    workspace = network.Workspace(model.spec, 16, model.dtype)
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
    workspace = network.Workspace(model.spec, 10, model.dtype, grads=buffers)
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
        np.testing.assert_array_equal(model.params[name], p)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gradient_descent_on_a_large_theta_block_by_block_is_bit_identical(dtype):
    rng = np.random.default_rng(5)
    params = {
        "W1": rng.normal(size=(300, 70)).astype(dtype),  # 21,000 numbers: more than a block
        "b1": rng.normal(size=(300, 1)).astype(dtype),
        "W2": np.asfortranarray(rng.normal(size=(40, 300)).astype(dtype)),  # not C-contiguous
        "b2": rng.normal(size=(40, 1)).astype(dtype),
    }
    expected = {name: W.copy() for name, W in params.items()}
    optimizer = get_optimizer("gd")
    for _ in range(3):
        grads = {f"d{name}": rng.normal(size=W.shape).astype(dtype) for name, W in params.items()}
        optimizer.step(params, grads, 0.1)
        for name, W in expected.items():
            W -= grads[f"d{name}"] * dtype(0.1)
    for name, W in expected.items():
        np.testing.assert_array_equal(params[name], W, err_msg=name)
