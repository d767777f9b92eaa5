"""Gradient descent taken inside the backward pass (``backward(descend=α)``): the weights move
to ``W − α dW`` and ``b − α db`` of the ordinary gradients, to rounding, with every activation,
output, regularization and bias layout; and ``fit`` with ``"gd"`` trains as ``Momentum(0)``,
which takes the ordinary step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.nn import blas, network
from dlrecipe.nn.optimizers import Adam, GradientDescent, Momentum
from dlrecipe.nn.workspace import Workspace
from dlrecipe.train.checkpoint import RunDirectory
from dlrecipe.train.guard import TrainingDiverged
from test_workspace import CASES, assert_close, case_model, data

ALPHA = 0.3


def ordinary_step(model, A0, Y, alpha):
    """W − α dW from the allocating passes, with the model's generator state left as it was."""
    state = model.rng.bit_generator.state
    caches = network.forward(model.params, A0, model.spec, training=True, rng=model.rng)
    grads = network.backward(model.params, caches, Y, model.spec, m_penalty=100)
    model.rng.bit_generator.state = state
    return {name: p - alpha * grads["d" + name] for name, p in model.params.items()}


def step_in_backward(model, A0, Y, alpha, workspace):
    caches = network.forward(
        model.params, A0, model.spec, training=True, rng=model.rng, workspace=workspace
    )
    return network.backward(
        model.params, caches, Y, model.spec, m_penalty=100, workspace=workspace, descend=alpha
    )


def assert_weights_close(got, want):
    for name, p in want.items():
        assert_close(got[name], p, name)


@pytest.mark.parametrize("numpys_blas", [True, False], ids=["blas", "numpy"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("hidden", "output", "n_outputs", "options"), CASES)
def test_the_step_equals_the_ordinary_gradients_step(
    hidden, output, n_outputs, options, dtype, numpys_blas, monkeypatch
):
    if not numpys_blas:
        monkeypatch.setattr(blas, "numpy_gemm", lambda: None)
    rng = np.random.default_rng(0)
    model, workspace = case_model(hidden, output, n_outputs, options, dtype)
    sentinel = {name: np.full_like(g, 7.0) for name, g in workspace.grads.items()}
    for name, g in workspace.grads.items():
        g[...] = sentinel[name]
    for m in (40, 13, 40):  # a full batch, a smaller last one, and the full size again
        X, y = data(n_outputs, output, m, rng)
        A0, Y = model.columns(X), model.targets(y, m)
        want = ordinary_step(model, A0, Y, ALPHA)
        assert step_in_backward(model, A0, Y, ALPHA, workspace) == {}
        assert_weights_close(model.params, want)
    for name, g in workspace.grads.items():  # no gradient was written
        np.testing.assert_array_equal(g, sentinel[name])


def test_a_wide_input_and_separate_arrays_take_the_separate_bias_step():
    # n[0] = 9 > n[1] = 3: layer 1 is not fed [A[0]; 1], so W[1] and b[1] take a product each;
    # then the same with the user's own (C-ordered, separate) arrays for every layer.
    rng = np.random.default_rng(8)
    for own_arrays in (False, True):
        model = MLP((9, 3, 4, 1), seed=2, l2=0.5)
        if own_arrays:
            model.params = {name: np.ascontiguousarray(p) for name, p in model.params.items()}
        workspace = Workspace(model.spec, 30, model.dtype, params=model.params)
        for _ in range(3):
            X, y = data(1, "sigmoid", 30, rng)
            A0 = model.columns(np.hstack([X, X[:, :4]]))
            Y = model.targets(y, 30)
            want = ordinary_step(model, A0, Y, ALPHA)
            step_in_backward(model, A0, Y, ALPHA, workspace)
            assert_weights_close(model.params, want)


def test_each_products_arguments_are_converted_once():
    model = MLP((3, 4, 1), seed=0)
    workspace = Workspace(model.spec, 10, model.dtype, params=model.params)
    rng = np.random.default_rng(6)
    A0, y = rng.normal(size=(3, 10)), rng.integers(0, 2, (1, 10)).astype(float)
    step_in_backward(model, A0, y, 0.1, workspace)
    first = dict(workspace._steps)
    step_in_backward(model, A0, y, 0.1, workspace)
    assert len(first) == 2  # [W1 | b1] and [W2 | b2]
    assert all(workspace._steps[key][3] is product for key, (*_, product) in first.items())
    other_batch = rng.normal(size=(3, 7))  # another batch size: other arrays, bound anew …
    step_in_backward(model, other_batch, y[:, :7], 0.1, workspace)
    assert len(workspace._steps) == 4
    added = [product for key, (*_, product) in workspace._steps.items() if key not in first]
    assert len(added) == 2
    assert not any(p in added for *_, p in first.values())
    step_in_backward(model, A0, y, 0.1, workspace)  # … and the first size's are kept
    assert all(workspace._steps[key][3] is product for key, (*_, product) in first.items())


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "memory-mapped"])
def test_fit_binds_each_product_once_per_batch_size_not_once_per_step(
    streamed, monkeypatch, tmp_path
):
    # n[0] = 9 > n[1] = 3: W[1]'s product is bound to the batch's A[0] itself. Binding one
    # converts its arguments and checks them for overlap; it must not happen at every step.
    built = []
    original = blas.product
    monkeypatch.setattr(blas, "product", lambda *a: built.append(a) or original(*a))
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(100, 9)), rng.integers(0, 2, 100)
    if streamed:
        np.save(tmp_path / "X.npy", X)
        X = np.load(tmp_path / "X.npy", mmap_mode="r")
    counts = []
    for epochs in (1, 4):
        built.clear()
        model = MLP((9, 3, 4, 1), seed=2)
        model.fit(X, y, epochs=epochs, learning_rate=0.1, batch_size=30, progress=False)
        counts.append(len(built))
    # 4 steps an epoch, in batches of 30, 30, 30 and 10: four products for each of the two
    # batch sizes (W[1], b[1], [W2 | b2] and [W3 | b3]), whatever the number of epochs.
    assert counts == [8, 8]


def test_descend_needs_a_workspace():
    model = MLP((3, 4, 1), seed=0)
    A0, y = np.ones((3, 5)), np.ones((1, 5))
    caches = network.forward(model.params, A0, model.spec)
    with pytest.raises(ValueError, match="through a workspace: pass one"):
        network.backward(model.params, caches, y, model.spec, descend=0.1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "options", [{}, {"l2": 0.7, "keep_prob": 0.8}, {"l1": 0.3}], ids=["plain", "l2-dropout", "l1"]
)
def test_fit_with_gd_trains_as_momentum_zero(options, dtype, tmp_path):
    # Momentum with β = 0 is v = dW, W −= α v: gradient descent through optimizer.step.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(90, 4)), rng.integers(0, 3, 90)
    trained = {}
    for optimizer in (GradientDescent(), Momentum(beta=0.0)):
        model = MLP((4, 12, 8, 3), output_activation="softmax", seed=5, dtype=dtype, **options)
        run = tmp_path / optimizer.name
        history = model.fit(
            X,
            y,
            epochs=6,
            learning_rate=0.2,
            optimizer=optimizer,
            batch_size=32,
            run_dir=run,
            progress=False,
        )
        steps = RunDirectory(run).latest_checkpoint().optimizer_state[1]["t"]
        trained[optimizer.name] = (model.params, history.cost, steps)
    params, cost, steps = trained["gd"]
    want_params, want_cost, want_steps = trained["momentum"]
    assert steps == want_steps == 6 * 3  # every step counted (checkpoints keep t)
    tolerance = 1e-10 if dtype == "float64" else 2e-4
    np.testing.assert_allclose(cost, want_cost, rtol=tolerance)
    for name, p in want_params.items():
        np.testing.assert_allclose(params[name], p, rtol=tolerance, atol=tolerance, err_msg=name)


def test_only_an_optimizer_whose_step_backward_can_take_counts_steps():
    GradientDescent().count_step()
    with pytest.raises(TypeError, match="adam keeps state that only step"):
        Adam().count_step()


def test_a_divergence_reports_the_gradients_of_the_step_it_stopped(monkeypatch):
    # The step inside backward writes no gradients: the guard computes them when it reports,
    # for the batch whose J was not finite, at the weights that batch saw.
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(96, 3)), rng.integers(0, 2, 96)
    model = MLP((3, 6, 5, 1), seed=3)
    seen = []
    forward, cost = network.forward, network.cost

    def recording_forward(params, A_prev, spec, **options):
        if options.get("training"):
            seen.append(({name: p.copy() for name, p in params.items()}, A_prev.copy()))
        return forward(params, A_prev, spec, **options)

    def failing_cost(params, ZL, Y, spec, **options):
        J, loss = cost(params, ZL, Y, spec, **options)
        seen[-1] += (Y.copy(),)
        return (math.nan, loss) if len(seen) == 5 else (J, loss)

    monkeypatch.setattr(network, "forward", recording_forward)
    monkeypatch.setattr(network, "cost", failing_cost)
    with pytest.raises(TrainingDiverged) as caught:
        model.fit(X, y, epochs=3, learning_rate=0.5, batch_size=32, normalize=False, progress=False)
    params, A0, Y = seen[-1]
    monkeypatch.undo()
    caches = network.forward(params, A0, model.spec)
    expected = network.backward(params, caches, Y, model.spec, m_penalty=96)
    assert caught.value.epoch == 1  # the fifth batch: the second of the second epoch
    for name, norm in caught.value.gradient_norms.items():
        assert norm == pytest.approx(np.linalg.norm(expected["d" + name]), rel=1e-10), name
