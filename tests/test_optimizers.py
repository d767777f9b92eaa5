"""Optimizers: worked steps, reference implementations, checkpoints and the ill-conditioned bowl.

The worked examples use numbers small enough to follow by hand; the reference implementations
are the textbook's equations written per parameter, one line each, to compare the vectorized,
in-place code against over many steps and random shapes.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from dlrecipe.nn import blas, fused_updates
from dlrecipe.nn.optimizers import (
    OPTIMIZERS,
    Adam,
    GradientDescent,
    Momentum,
    Optimizer,
    RMSprop,
    from_config,
    get_optimizer,
)
from dlrecipe.nn.parameters import packed

SIZES = (2, 10, 5, 1)  # the 2-10-5-1 network of the course's planar example


def make_params(rng, sizes=SIZES, dtype=np.float64):
    """``{"W1": (n1, n0), "b1": (n1, 1), …}`` with random entries."""
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(size=(sizes[l], sizes[l - 1])).astype(dtype)
        params[f"b{l}"] = rng.normal(size=(sizes[l], 1)).astype(dtype)
    return params


def random_grads(params, rng):
    return {f"d{name}": rng.normal(size=W.shape).astype(W.dtype) for name, W in params.items()}


def bowl_grads(params):
    """The gradient of J = ½ Σ c_i θ_i² with curvatures c = 1, 2, 3, …: it depends on θ."""
    return {
        f"d{name}": (np.arange(W.size).reshape(W.shape) + 1.0) * W for name, W in params.items()
    }


# --- worked steps ------------------------------------------------------------------------------


def test_gradient_descent_worked_steps():
    params = {"W1": np.array([[1.0, -2.0]])}
    grads = {"dW1": np.array([[0.5, -1.0]])}
    GradientDescent().step(params, grads, 0.1)  # W - 0.1 dW = [1 - 0.05, -2 + 0.1]
    np.testing.assert_allclose(params["W1"], [[0.95, -1.9]], rtol=1e-15)


def test_momentum_worked_steps():
    params, grads, optimizer = {"W1": np.array([[1.0]])}, {"dW1": np.array([[1.0]])}, Momentum()
    expected = [
        0.99,  # v = 0.9·0 + 0.1·1 = 0.1;       W = 1 - 0.1·0.1 = 0.99
        0.971,  # v = 0.9·0.1 + 0.1 = 0.19;     W = 0.99 - 0.019 = 0.971
        0.9439,  # v = 0.9·0.19 + 0.1 = 0.271;  W = 0.971 - 0.0271 = 0.9439
    ]
    for W in expected:
        optimizer.step(params, grads, 0.1)
        assert params["W1"][0, 0] == pytest.approx(W, rel=1e-14)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_momentum_velocity_is_the_exponentially_weighted_average(beta):
    # After k steps of a constant gradient g: v = (1 - β) Σ_{i<k} βⁱ g = (1 - βᵏ) g.
    rng = np.random.default_rng(0)
    params = make_params(rng)
    grads = random_grads(params, rng)
    optimizer = Momentum(beta)
    for k in range(1, 31):
        optimizer.step(params, grads, 0.01)
        arrays, _ = optimizer.state()
        for name in params:
            np.testing.assert_allclose(arrays[f"v/d{name}"], (1 - beta**k) * grads[f"d{name}"])


def test_rmsprop_worked_steps():
    # s = 0.1 dW² at the first step, so each weight moves by α |dW| / √(0.1 dW²) = α / √0.1.
    params, optimizer = {"W1": np.array([[1.0, 1.0]])}, RMSprop(beta=0.9)
    grads = {"dW1": np.array([[2.0, -0.5]])}
    optimizer.step(params, grads, 0.01)
    np.testing.assert_allclose(
        params["W1"], [[1 - 0.01 / math.sqrt(0.1), 1 + 0.01 / math.sqrt(0.1)]]
    )
    # Second step, same gradient: s = 0.9·0.4 + 0.4 = 0.76 for dW = 2, so W -= 0.01·2 / √0.76.
    optimizer.step(params, grads, 0.01)
    assert params["W1"][0, 0] == pytest.approx(1 - 0.01 / math.sqrt(0.1) - 0.02 / math.sqrt(0.76))


def test_adam_steps_by_the_learning_rate_times_the_sign_of_a_constant_gradient():
    # v̂ = v / (1 - β₁ᵗ) = g and ŝ = g² exactly while g is constant (the bias correction is
    # exact), so each step moves W by α g / (|g| + ε) ≈ α sign(g), whatever |g|; g = 0 stays.
    g = np.array([[3.0, -0.02, 1e-3, 0.0, -250.0]])
    params, optimizer, alpha = {"W1": np.zeros_like(g)}, Adam(), 0.01
    for t in range(1, 4):
        optimizer.step(params, {"dW1": g}, alpha)
        np.testing.assert_allclose(params["W1"], -t * alpha * np.sign(g), rtol=1e-5, atol=0)
    # A reversed gradient: v = 0.9·0.271 g - 0.1 g = 0.1439 g, v̂ = 0.1439 / (1 - 0.9⁴) g; ŝ = g².
    before = params["W1"].copy()
    optimizer.step(params, {"dW1": -g}, alpha)
    moved = (params["W1"] - before) / alpha
    np.testing.assert_allclose(moved, -0.1439 / (1 - 0.9**4) * np.sign(g), rtol=1e-5)


def test_zero_learning_rate_changes_nothing_but_the_averages():
    rng = np.random.default_rng(1)
    params = make_params(rng)
    before = {name: W.copy() for name, W in params.items()}
    optimizer = Adam()
    optimizer.step(params, random_grads(params, rng), 0.0)
    assert all(np.array_equal(params[name], before[name]) for name in params)
    assert optimizer.state()[1] == {"t": 1}


# --- reference implementations -----------------------------------------------------------------


def reference_gd(params, grads_seq, alpha):
    W = dict(params)
    for grads in grads_seq:
        for name in W:
            W[name] = W[name] - alpha * grads[f"d{name}"]
    return W


def reference_momentum(params, grads_seq, alpha, beta):
    W, v = dict(params), {name: np.zeros_like(A) for name, A in params.items()}
    for grads in grads_seq:
        for name in W:
            v[name] = beta * v[name] + (1 - beta) * grads[f"d{name}"]
            W[name] = W[name] - alpha * v[name]
    return W


def reference_rmsprop(params, grads_seq, alpha, beta, epsilon):
    W, s = dict(params), {name: np.zeros_like(A) for name, A in params.items()}
    for grads in grads_seq:
        for name in W:
            dW = grads[f"d{name}"]
            s[name] = beta * s[name] + (1 - beta) * dW**2
            W[name] = W[name] - alpha * dW / (np.sqrt(s[name]) + epsilon)
    return W


def reference_adam(params, grads_seq, alpha, beta1, beta2, epsilon):
    W = dict(params)
    v = {name: np.zeros_like(A) for name, A in params.items()}
    s = {name: np.zeros_like(A) for name, A in params.items()}
    for t, grads in enumerate(grads_seq, start=1):
        for name in W:
            dW = grads[f"d{name}"]
            v[name] = beta1 * v[name] + (1 - beta1) * dW
            s[name] = beta2 * s[name] + (1 - beta2) * dW**2
            v_hat, s_hat = v[name] / (1 - beta1**t), s[name] / (1 - beta2**t)
            W[name] = W[name] - alpha * v_hat / (np.sqrt(s_hat) + epsilon)
    return W


REFERENCES = {
    "gd": (GradientDescent, (), reference_gd),
    "momentum": (lambda: Momentum(0.8), (0.8,), reference_momentum),
    "rmsprop": (lambda: RMSprop(beta=0.9, epsilon=1e-6), (0.9, 1e-6), reference_rmsprop),
    "adam": (lambda: Adam(0.8, 0.99, 1e-7), (0.8, 0.99, 1e-7), reference_adam),
}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("layout", ["separate", "packed"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_matches_the_reference_implementation_on_random_shapes(
    name, seed, dtype, layout, compiled, monkeypatch
):
    # Gradient descent steps through BLAS's axpy where NumPy's BLAS is found, the others in one
    # pass compiled by Numba once they have run long enough; NumPy's arithmetic otherwise. All
    # are the textbook's equations.
    monkeypatch.setattr(fused_updates, "TIERS", fused_updates.Tiers(0 if compiled else math.inf))
    if not compiled:
        monkeypatch.setattr(blas, "numpy_axpy", lambda: None)
    rng = np.random.default_rng(seed)
    sizes = tuple(rng.integers(1, 8, size=rng.integers(2, 5)))
    params = make_params(rng, sizes, dtype)
    if layout == "packed":
        params = packed(params)
    grads_seq = [random_grads(params, rng) for _ in range(20)]
    make, hyperparameters, reference = REFERENCES[name]
    expected = reference(params, grads_seq, 0.01, *hyperparameters)
    optimizer = make()
    for grads in grads_seq:
        optimizer.step(params, grads, 0.01)
    for key, W in params.items():
        assert W.dtype == dtype
        # BLAS may round α x + y once where the reference rounds twice: a last-bit difference,
        # relative to the matrix's scale where a number has cancelled to near 0.
        rtol = 1e-15 if dtype == np.float64 else 1e-6
        atol = 4 * np.finfo(dtype).eps * float(np.max(np.abs(expected[key])))
        np.testing.assert_allclose(W, expected[key], rtol=rtol, atol=atol)


TORCH_CASES = {
    # name: (ours, torch's class and keywords); momentum's lr converts as α' = α (1 - β)
    "adam": (Adam(0.9, 0.999, 1e-8), "Adam", {"betas": (0.9, 0.999), "eps": 1e-8}, 1.0),
    "rmsprop": (RMSprop(0.99, 1e-8), "RMSprop", {"alpha": 0.99, "eps": 1e-8}, 1.0),
    "momentum": (Momentum(0.9), "SGD", {"momentum": 0.9}, 1 - 0.9),
}


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_matches_pytorch(name, dtype, rtol):
    torch = pytest.importorskip("torch")
    ours, torch_name, keywords, lr_factor = TORCH_CASES[name]
    rng = np.random.default_rng(3)
    params = make_params(rng, dtype=dtype)
    tensors = {key: torch.tensor(W, requires_grad=True) for key, W in params.items()}
    theirs = getattr(torch.optim, torch_name)(
        list(tensors.values()), lr=0.01 * lr_factor, **keywords
    )
    optimizer = dataclasses.replace(ours)  # a fresh copy: no state shared between cases
    for _ in range(20):
        grads = random_grads(params, rng)
        optimizer.step(params, grads, 0.01)
        for key, tensor in tensors.items():
            tensor.grad = torch.from_numpy(grads[f"d{key}"].copy())
        theirs.step()
    for key, W in params.items():
        np.testing.assert_allclose(W, tensors[key].detach().numpy(), rtol=rtol, atol=rtol * 1e-2)


# --- in place, dtype, state ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_updates_in_place_and_keeps_the_dtype(name, dtype):
    rng = np.random.default_rng(4)
    params = make_params(rng, dtype=dtype)
    arrays = dict(params)  # the model's arrays, by identity
    before = {key: W.copy() for key, W in params.items()}
    optimizer = get_optimizer(name)
    for _ in range(3):
        optimizer.step(params, random_grads(params, rng), 0.01)
    for key, W in params.items():
        assert W is arrays[key]
        assert W.dtype == dtype
        assert not np.array_equal(W, before[key])
    state_arrays, _ = optimizer.state()
    assert all(array.dtype == dtype for array in state_arrays.values())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resuming_from_a_saved_state_is_bit_identical(name, dtype):
    rng = np.random.default_rng(5)
    start = make_params(rng, dtype=dtype)
    learning_rates = [0.05 / (1 + 0.1 * i) for i in range(10)]

    params, uninterrupted = {k: W.copy() for k, W in start.items()}, get_optimizer(name)
    for lr in learning_rates:
        uninterrupted.step(params, bowl_grads(params), lr)

    resumed_params, first = {k: W.copy() for k, W in start.items()}, get_optimizer(name)
    for lr in learning_rates[:5]:
        first.step(resumed_params, bowl_grads(resumed_params), lr)
    arrays, scalars = first.state()
    saved = json.loads(json.dumps(scalars)), {k: a.copy() for k, a in arrays.items()}
    second = from_config(json.loads(json.dumps(first.to_config())))
    second.load_state(saved[1], saved[0])
    for lr in learning_rates[5:]:
        second.step(resumed_params, bowl_grads(resumed_params), lr)

    for key, W in params.items():
        assert np.array_equal(W, resumed_params[key]), key
    assert second.state()[1] == uninterrupted.state()[1] == {"t": 10}
    for key, array in uninterrupted.state()[0].items():
        assert np.array_equal(array, second.state()[0][key]), key


def test_state_is_a_copy_and_load_state_copies():
    rng = np.random.default_rng(6)
    params = make_params(rng)
    optimizer = Adam()
    optimizer.step(params, random_grads(params, rng), 0.01)
    arrays, scalars = optimizer.state()
    assert sorted(arrays) == sorted(f"{slot}/d{key}" for slot in "vs" for key in params)
    assert scalars == {"t": 1}
    arrays["v/dW1"][...] = 7.0
    assert not np.any(optimizer.state()[0]["v/dW1"] == 7.0)
    optimizer.load_state(arrays, scalars)
    arrays["v/dW1"][...] = 8.0
    assert np.all(optimizer.state()[0]["v/dW1"] == 7.0)


def test_state_before_the_first_step_is_empty_and_loads():
    assert Adam().state() == ({}, {"t": 0})
    assert GradientDescent().state() == ({}, {"t": 0})
    optimizer = Momentum()
    optimizer.load_state({}, {"t": 0})
    params = {"W1": np.ones((2, 2))}
    optimizer.step(params, {"dW1": np.ones((2, 2))}, 1.0)  # v = 0.1: W = 1 - 0.1
    np.testing.assert_allclose(params["W1"], 0.9)


def saved_adam_state():
    params = {"W1": np.ones((2, 3)), "b1": np.ones((2, 1))}
    optimizer = Adam()
    optimizer.step(params, {"dW1": np.ones((2, 3)), "db1": np.ones((2, 1))}, 0.1)
    return optimizer.state()


def replaced(arrays, key, value):
    return {**arrays, key: value}


LOAD_ERRORS = {
    "unknown slot": (lambda a, s: (replaced(a, "m/dW1", a["v/dW1"]), s), "unknown state array"),
    "not a gradient": (lambda a, s: (replaced(a, "v/W1", a["v/dW1"]), s), "unknown state array"),
    "missing array": (
        lambda a, s: ({k: v for k, v in a.items() if k != "s/db1"}, s),
        r"missing the arrays \['s/db1'\]",
    ),
    "wrong shape": (lambda a, s: (replaced(a, "s/dW1", np.ones((3, 2))), s), "has shape"),
    "nan": (lambda a, s: (replaced(a, "v/dW1", np.full((2, 3), np.nan)), s), "non-finite"),
    "inf": (lambda a, s: (replaced(a, "s/db1", np.full((2, 1), np.inf)), s), "non-finite"),
    "negative s": (lambda a, s: (replaced(a, "s/db1", -np.ones((2, 1))), s), "< 0"),
    "integers": (lambda a, s: (replaced(a, "v/db1", np.ones((2, 1), int)), s), "floating"),
    "list": (lambda a, s: (replaced(a, "v/db1", [[1.0], [1.0]]), s), "floating"),
    "mixed dtypes": (
        lambda a, s: (replaced(a, "v/db1", np.ones((2, 1), np.float32)), s),
        "mix the dtypes",
    ),
    "missing t": (lambda a, s: (a, {}), "scalars must be"),
    "extra scalar": (lambda a, s: (a, {"t": 1, "lr": 0.1}), "scalars must be"),
    "negative t": (lambda a, s: (a, {"t": -1}), "scalars must be"),
    "float t": (lambda a, s: (a, {"t": 1.0}), "scalars must be"),
    "bool t": (lambda a, s: (a, {"t": True}), "scalars must be"),
    "t = 0 with arrays": (lambda a, s: (a, {"t": 0}), "t=0 with 4 state arrays"),
    "t > 0 without arrays": (lambda a, s: ({}, s), "t=1 with 0 state arrays"),
}


@pytest.mark.parametrize("case", sorted(LOAD_ERRORS))
def test_load_state_rejects(case):
    corrupt, message = LOAD_ERRORS[case]
    arrays, scalars = corrupt(*saved_adam_state())
    optimizer = Adam()
    with pytest.raises(ValueError, match=message):
        optimizer.load_state(arrays, scalars)
    assert optimizer.state() == ({}, {"t": 0})  # unchanged


def test_load_state_rejects_arrays_for_gradient_descent_and_the_other_averages():
    arrays, scalars = saved_adam_state()
    with pytest.raises(ValueError, match="gd keeps no arrays"):
        GradientDescent().load_state(arrays, scalars)
    with pytest.raises(ValueError, match="'s/dW1'"):
        Momentum().load_state(arrays, scalars)


def test_a_loaded_state_must_fit_the_parameters():
    arrays, scalars = saved_adam_state()
    optimizer = Adam()
    optimizer.load_state(arrays, scalars)
    params = {"W1": np.ones((3, 3)), "b1": np.ones((3, 1))}
    with pytest.raises(ValueError, match="do not match the optimizer's state"):
        optimizer.step(params, {"dW1": np.ones((3, 3)), "db1": np.ones((3, 1))}, 0.1)
    params32 = {"W1": np.ones((2, 3), np.float32), "b1": np.ones((2, 1), np.float32)}
    with pytest.raises(ValueError, match="W1 is float32 but the optimizer's state is float64"):
        optimizer.step(params32, {"dW1": params32["W1"], "db1": params32["b1"]}, 0.1)


STEP_ERRORS = {
    "another parameter": ({"W1": (2, 3), "b2": (2, 1)}, {"dW1": (2, 3), "db2": (2, 1)}),
    "another shape": ({"W1": (2, 4), "b1": (2, 1)}, {"dW1": (2, 4), "db1": (2, 1)}),
    "one more parameter": (
        {"W1": (2, 3), "b1": (2, 1), "W2": (1, 2)},
        {"dW1": (2, 3), "db1": (2, 1), "dW2": (1, 2)},
    ),
    "a missing gradient": ({"W1": (2, 3), "b1": (2, 1)}, {"dW1": (2, 3)}),
    "a gradient of the wrong shape": ({"W1": (2, 3), "b1": (2, 1)}, {"dW1": (2, 3), "db1": (2,)}),
}


@pytest.mark.parametrize("case", sorted(STEP_ERRORS))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_rejects_parameters_that_differ_from_the_state(name, case):
    optimizer = get_optimizer(name)
    optimizer.step({"W1": np.ones((2, 3)), "b1": np.ones((2, 1))}, saved_grads(), 0.1)
    shapes, grad_shapes = STEP_ERRORS[case]
    params = {key: np.ones(shape) for key, shape in shapes.items()}
    grads = {key: np.ones(shape) for key, shape in grad_shapes.items()}
    with pytest.raises(ValueError, match="do not match the optimizer's state"):
        optimizer.step(params, grads, 0.1)
    assert optimizer.state()[1] == {"t": 1}


def saved_grads():
    return {"dW1": np.ones((2, 3)), "db1": np.ones((2, 1))}


def test_the_first_step_checks_the_gradients_and_dtypes():
    with pytest.raises(ValueError, match="do not match"):
        Adam().step({"W1": np.ones((2, 3))}, {"dW1": np.ones((3, 2))}, 0.1)
    optimizer = Adam()
    with pytest.raises(ValueError, match="do not match"):
        optimizer.step({"W1": np.ones((2, 3))}, {"dW2": np.ones((2, 3))}, 0.1)
    assert optimizer.state() == ({}, {"t": 0})  # a failed first step leaves no state behind
    with pytest.raises(ValueError, match="floating-point arrays of one dtype; got W1: int64"):
        Adam().step({"W1": np.ones((2, 3), int)}, {"dW1": np.ones((2, 3))}, 0.1)
    mixed = {"W1": np.ones((2, 3)), "b1": np.ones((2, 1), np.float32)}
    with pytest.raises(ValueError, match="W1: float64, b1: float32"):
        Adam().step(mixed, saved_grads(), 0.1)


@pytest.mark.parametrize("layout", ["separate", "packed"])
def test_read_only_parameters_are_refused_by_name_before_any_change(layout):
    params = make_params(np.random.default_rng(9))
    if layout == "packed":
        params = packed(params)
    params["b2"].flags.writeable = False
    before = {key: W.copy() for key, W in params.items()}
    optimizer = Adam()
    with pytest.raises(ValueError, match="parameter b2 is read-only; the optimizer updates it"):
        optimizer.step(params, random_grads(params, np.random.default_rng(9)), 0.1)
    assert optimizer.state() == ({}, {"t": 0})
    for key, W in params.items():
        np.testing.assert_array_equal(W, before[key])


@pytest.mark.parametrize("learning_rate", [-0.1, math.nan, math.inf, True])
def test_step_rejects_a_bad_learning_rate(learning_rate):
    with pytest.raises(ValueError, match="learning_rate must be a finite number >= 0"):
        Adam().step({"W1": np.ones((2, 3))}, {"dW1": np.ones((2, 3))}, learning_rate)


# --- the ill-conditioned bowl J = ½(100 x² + y²) -------------------------------------------------

CURVATURE = np.array([[100.0], [1.0]])


def descend(optimizer, learning_rate, *, iterations=2000, tolerance=1e-6):
    """Iterations until J < tolerance (None if it diverges) and the x of every iterate."""
    params = {"W1": np.array([[0.7], [1.3]])}  # θ = (x, y)
    xs = []
    for i in range(iterations):
        J = 0.5 * float(np.sum(CURVATURE * params["W1"] ** 2))
        if J < tolerance:
            return i, xs
        if not J < 1e6:
            return None, xs
        xs.append(float(params["W1"][0, 0]))
        optimizer.step(params, {"dW1": CURVATURE * params["W1"]}, learning_rate)
    return iterations, xs


def best_iterations(name, learning_rates):
    counts = [descend(get_optimizer(name), lr)[0] for lr in learning_rates]
    return min(count for count in counts if count is not None)


def test_adam_converges_faster_than_gradient_descent_on_an_ill_conditioned_bowl():
    # GD must keep α < 2/100 for x, and then y shrinks by only (1 - α) per step.
    gd = best_iterations("gd", [0.001, 0.003, 0.01, 0.015, 0.019, 0.03])
    adam = best_iterations("adam", [0.001, 0.003, 0.01, 0.03, 0.1, 0.3])
    assert gd > 300
    assert adam < gd / 2, (adam, gd)


def test_momentum_damps_the_oscillation_of_gradient_descent():
    # At α = 0.019 GD multiplies x by 1 - 1.9 = -0.9 each step: it changes sign every step.
    gd_iterations, gd_x = descend(GradientDescent(), 0.019)
    momentum_iterations, momentum_x = descend(Momentum(0.9), 0.019)
    sign_changes = [int(np.sum(np.diff(np.sign(xs[:100])) != 0)) for xs in (gd_x, momentum_x)]
    assert sign_changes[0] == 99
    assert sign_changes[1] < sign_changes[0] / 3, sign_changes
    assert momentum_iterations < gd_iterations < 2000


# --- configuration and lookup --------------------------------------------------------------------


@pytest.mark.parametrize(
    "optimizer", [GradientDescent(), Momentum(0.8), RMSprop(0.9, 1e-6), Adam(0.5, 0.9, 1e-4)]
)
def test_config_round_trips_through_json(optimizer):
    config = json.loads(json.dumps(optimizer.to_config()))
    rebuilt = from_config(config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.to_config() == config
    assert repr(rebuilt) == repr(optimizer)


def test_config_values():
    assert Adam().to_config() == {"name": "adam", "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    assert Momentum(np.float64(0.5)).to_config() == {"name": "momentum", "beta": 0.5}
    assert type(Momentum(np.float32(0.5)).beta) is float  # JSON-serializable
    assert GradientDescent().to_config() == {"name": "gd"}


def test_get_optimizer():
    assert isinstance(get_optimizer("rmsprop"), RMSprop)
    adam = Adam(beta1=0.8)
    assert get_optimizer(adam) is adam
    assert get_optimizer({"name": "momentum", "beta": 0.5}).to_config()["beta"] == 0.5
    with pytest.raises(ValueError, match=r"unknown optimizer 'sgd'; expected one of \['adam', "):
        get_optimizer("sgd")
    with pytest.raises(ValueError, match="unknown optimizer None"):
        get_optimizer({"beta": 0.5})
    with pytest.raises(ValueError, match=r"adam has no hyperparameter \['beta'\]; it takes"):
        get_optimizer({"name": "adam", "beta": 0.5})
    with pytest.raises(TypeError, match="got int"):
        get_optimizer(3)  # type: ignore[arg-type]


def test_optimizers_are_separate_and_hyperparameters_frozen():
    assert isinstance(get_optimizer("adam"), Optimizer)
    assert get_optimizer("adam") is not get_optimizer("adam")
    with pytest.raises(dataclasses.FrozenInstanceError):
        Adam().beta1 = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Momentum(beta=1.0), r"beta must be a number in \[0, 1\).*got beta=1.0"),
        (lambda: Momentum(beta=-0.1), r"got beta=-0.1"),
        (lambda: Momentum(beta=math.nan), r"got beta=nan"),
        (lambda: Momentum(beta=True), r"got beta=True"),
        (lambda: Momentum(beta="0.9"), r"got beta='0.9'"),
        (lambda: RMSprop(beta=1.5), r"got beta=1.5"),
        (lambda: RMSprop(epsilon=0.0), r"epsilon must be a finite number > 0; got epsilon=0.0"),
        (lambda: Adam(beta1=1), r"beta1 must be a number in \[0, 1\)"),
        (lambda: Adam(beta2=0.9999999999999999999), r"beta2 must be"),  # rounds to 1.0
        (lambda: Adam(epsilon=-1e-8), r"got epsilon=-1e-08"),
        (lambda: Adam(epsilon=math.inf), r"got epsilon=inf"),
    ],
)
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_zero_betas_are_allowed():
    # β = 0 keeps no history: momentum becomes GD, Adam becomes sign descent α dW / (|dW| + ε).
    params = {"W1": np.array([[1.0, 1.0]])}
    Adam(beta1=0.0, beta2=0.0).step(params, {"dW1": np.array([[4.0, -0.5]])}, 0.1)
    np.testing.assert_allclose(params["W1"], [[0.9, 1.1]])
