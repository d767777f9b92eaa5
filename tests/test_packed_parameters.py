"""Parameters packed into one vector θ: found only when the views really tile θ, stepped exactly
as separate arrays, and kept live through fit."""

from __future__ import annotations

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.nn.optimizers import OPTIMIZERS, get_optimizer
from dlrecipe.nn.parameters import augmented, packed, packed_vector
from dlrecipe.train.guard import DivergenceGuard
from dlrecipe.train.history import History


def separate_params(rng, sizes=(3, 4, 2), dtype=np.float64):
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1])).astype(dtype)
        params[f"b{l}"] = rng.normal(size=(sizes[l], 1)).astype(dtype)
    return params


def test_packed_copies_into_views_of_one_vector_in_order():
    params = separate_params(np.random.default_rng(0))
    together = packed(params)
    theta = packed_vector(together)
    assert theta is not None
    assert theta.shape == (12 + 4 + 8 + 2,)
    # Column by column, so that b[l] extends W[l] by one column: [W[l] | b[l]] is one matrix.
    assert np.array_equal(theta, np.concatenate([p.ravel(order="F") for p in params.values()]))
    for name, p in params.items():
        assert np.array_equal(together[name], p)
        assert not np.shares_memory(together[name], p)
    together["b1"][1, 0] = 7.0  # a view: writing it writes θ
    assert theta[12 + 1] == 7.0
    Wb = augmented(together["W1"], together["b1"])
    assert Wb is not None
    assert np.array_equal(Wb, np.hstack([together["W1"], together["b1"]]))
    Wb[0, -1] = 5.0  # a view of both
    assert together["b1"][0, 0] == 5.0


def test_packed_vector_refuses_what_does_not_tile_one_vector_in_order():
    theta = np.arange(10.0)
    W1 = theta[:6].reshape(3, 2).T  # (2, 3), column by column
    assert packed_vector({"W1": W1, "b1": theta[6:].reshape(4, 1)}) is theta
    cases = {
        "separate arrays": {"W1": np.zeros((2, 3)), "b1": np.zeros((4, 1))},
        "out of order": {"b1": theta[6:].reshape(4, 1), "W1": W1},
        "a gap": {"W1": W1, "b1": theta[7:].reshape(3, 1)},
        "not all of θ": {"W1": W1},
        "overlapping": {"W1": W1, "b1": theta[4:8].reshape(4, 1)},
        "strided": {"W1": theta[::2].reshape(5, 1)},
        # Row by row tiles θ too, but the optimizer's dθ is laid out column by column.
        "row by row": {"W1": theta[:6].reshape(2, 3), "b1": theta[6:].reshape(4, 1)},
        "not an array": {"W1": W1, "b1": [6.0, 7.0, 8.0, 9.0]},
        "empty": {},
    }
    for what, params in cases.items():
        assert packed_vector(params) is None, what


def test_augmented_is_found_only_where_b_extends_w_by_one_column():
    theta = np.arange(12.0)
    W, b = theta[:6].reshape(3, 2).T, theta[6:8].reshape(2, 1)
    Wb = augmented(W, b)
    assert Wb is not None
    assert Wb.shape == (2, 4)
    assert np.shares_memory(Wb, W)
    np.testing.assert_array_equal(Wb, np.hstack([W, b]))
    cases = {
        "separate arrays": (W.copy(order="F"), b.copy()),
        "a gap": (W, theta[7:9].reshape(2, 1)),
        "b before W": (theta[2:8].reshape(3, 2).T, theta[:2].reshape(2, 1)),
        "row by row": (theta[:6].reshape(2, 3), b),
        "another height": (W, theta[6:9].reshape(3, 1)),
        "another dtype": (W, theta[6:8].reshape(2, 1).astype(np.float32)),
    }
    for what, (W_case, b_case) in cases.items():
        assert augmented(W_case, b_case) is None, what


def test_mixed_dtypes_are_left_for_the_optimizer_to_report():
    params = {"W1": np.zeros((2, 2)), "b1": np.zeros((2, 1), np.float32)}
    assert packed_vector(packed(params)) is None
    with pytest.raises(ValueError, match="one dtype"):
        get_optimizer("adam").step(packed(params), {"dW1": params["W1"], "db1": params["b1"]}, 0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_packed_parameters_step_bit_for_bit_as_separate_arrays(name, dtype):
    rng = np.random.default_rng(1)
    separate = separate_params(rng, dtype=dtype)
    together = packed(separate)
    arrays = dict(together)
    optimizers = get_optimizer(name), get_optimizer(name)
    for _ in range(5):
        grads = {f"d{k}": rng.normal(size=p.shape).astype(dtype) for k, p in separate.items()}
        optimizers[0].step(separate, grads, 0.01)
        optimizers[1].step(together, grads, 0.01)
    for key, p in separate.items():
        assert together[key] is arrays[key]  # updated in place, through θ
        np.testing.assert_array_equal(together[key], p)


def test_fit_trains_the_arrays_a_user_holds_and_repacks_assigned_ones():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    model = MLP([3, 4, 1], seed=0)
    held = model.params["W1"]
    twin = MLP([3, 4, 1], seed=0)
    twin.params = {name: p.copy() for name, p in twin.params.items()}  # separate arrays
    assert packed_vector(model.params) is not None
    assert packed_vector(twin.params) is None
    for m in (model, twin):
        m.fit(X, y, epochs=5, learning_rate=0.1, optimizer="adam")
    assert model.params["W1"] is held  # the same live array, trained in place
    assert packed_vector(twin.params) is not None
    for name, p in model.params.items():
        np.testing.assert_array_equal(p, twin.params[name])


def test_the_guard_copies_theta_into_best_weights_loaded_in_another_order():
    # A checkpoint's arrays come back in their file's order; the guard's one-call copy of θ
    # into its start-of-epoch buffer (swapped with the best weights) must still land by name.
    model = MLP([3, 4, 2], seed=0)
    saved = {name: np.full(p.shape, 9.0) for name, p in reversed(list(model.params.items()))}
    guard = DivergenceGuard(learning_rate=0.1)
    guard.load_state(saved, {"first_cost": 1.0, "best_cost": 1.0, "best_epoch": 3})
    guard.on_train_begin(model, History())
    guard.check_epoch(model, 4, 0.5, {})  # a new best: the buffers swap, then θ is copied
    for name, p in model.params.items():
        np.testing.assert_array_equal(guard.start_params[name], p, err_msg=name)
        assert not np.shares_memory(guard.start_params[name], p)


@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam"])
def test_a_state_loaded_in_another_order_steps_bit_for_bit_and_over_theta_at_once(name):
    rng = np.random.default_rng(4)
    params = packed(separate_params(rng))
    trained = get_optimizer(name)
    for _ in range(3):
        grads = {f"d{k}": rng.normal(size=p.shape) for k, p in params.items()}
        trained.step(params, grads, 0.01)
    arrays, scalars = trained.state()
    in_file_order = dict(sorted(arrays.items()))  # a checkpoint's order: dW1, dW2, db1, …
    assert list(in_file_order) != list(arrays)
    resumed = get_optimizer(name)
    resumed.load_state(in_file_order, scalars)
    buffers = resumed.gradient_buffers(params)  # as fit does before the first step
    for key, array in resumed.state()[0].items():
        np.testing.assert_array_equal(array, arrays[key])
    twin = {k: p.copy() for k, p in params.items()}
    grads = {f"d{k}": rng.normal(size=p.shape) for k, p in params.items()}
    for key, g in grads.items():
        buffers[key][...] = g
    resumed.step(params, buffers, 0.01)
    trained.step(twin, grads, 0.01)
    for key, p in params.items():
        np.testing.assert_array_equal(p, twin[key], err_msg=key)
    assert resumed._state.vectors.scattered == []  # θ := θ − c d in one call
