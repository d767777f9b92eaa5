"""Per-layer health: the textbook's vanishing and exploding gradients, diagnosed layer by layer.

A deep linear network with W[l] = w·I propagates the error back by exactly w per layer, so
the fitted factor is w and the verdict follows from it; dead ReLUs and the size of a step
are checked on networks whose answer is known by construction.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.diagnosis.layers import LayerHealth, LayerMonitor, layer_health
from dlrecipe.train.callbacks import Callback
from dlrecipe.train.early_stopping import EarlyStopping

L_DEEP, WIDTH, M = 50, 4, 3


def deep_linear_network(w: float, depth: int = L_DEEP) -> MLP:
    """``depth`` linear layers of width 4 with W[l] = w · I and b[l] = 0, set directly."""
    model = MLP((WIDTH,) * (depth + 1), hidden_activation="linear", output_activation="linear")
    for l in range(1, depth + 1):
        model.params[f"W{l}"][...] = w * np.eye(WIDTH)
    return model


def xor_data(m: int = 200, seed: int = 0):
    X = np.random.default_rng(seed).normal(size=(m, 2))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


class Recorder(Callback):
    """A copy of the weights at the start and after every epoch; optionally stops training."""

    def __init__(self, stop_at: int | None = None, crash_at: int | None = None):
        self.weights: dict[int, dict[str, np.ndarray]] = {}
        self.stop_at, self.crash_at = stop_at, crash_at

    def on_train_begin(self, model, history):
        self.weights[-1] = {name: p.copy() for name, p in model.params.items()}

    def on_epoch_end(self, model, epoch, logs):
        self.weights[epoch] = {name: p.copy() for name, p in model.params.items()}
        if epoch == self.stop_at:
            model.stop_training = True
        if epoch == self.crash_at:
            raise KeyboardInterrupt("simulated crash")


# --- the deep linear network ---------------------------------------------------------------------


@pytest.mark.parametrize(("w", "verdict"), [(1.5, "exploding"), (0.5, "vanishing")])
def test_deep_linear_network_is_diagnosed_with_its_factor(w, verdict):
    model = deep_linear_network(w)
    X = np.random.default_rng(0).normal(size=(M, WIDTH))
    health = layer_health(model, X, np.zeros((M, WIDTH)))
    assert health.verdict == verdict
    assert health.factor_per_layer == pytest.approx(w, rel=1e-6)
    direction = "grows" if w > 1 else "shrinks"
    assert (
        health.summary
        == f"{verdict}: the signal {direction} about {w:.2f}× per layer towards the input"
    )
    layers = health.layers
    assert [s.layer for s in layers] == list(range(1, L_DEEP + 1))
    std0 = X.std()
    for s in layers:
        # A[l] = w^l A[0]: the activations scale like a power of l, exactly up to rounding...
        assert s.A_std / std0 == pytest.approx(w**s.layer, rel=1e-12)
        if w == 0.5:  # halving is exact
            assert s.A_std == std0 * w**s.layer
        assert s.Z_std == s.A_std
        # ...the error reaching layer l is w^(L-l) dZ[L]...
        assert s.signal_norm / layers[-1].signal_norm == pytest.approx(
            w ** (L_DEEP - s.layer), rel=1e-12
        )
        # ...and ||dW[l]|| = ||w^(2L-1) XᵀX / m|| is the same for every layer: it cannot tell.
        assert s.gradient_norm == pytest.approx(layers[0].gradient_norm, rel=1e-12)
        assert s.dead_fraction is None
        assert s.update_ratio is None
    notes = health.notes
    far = "exploding" if w > 1 else "vanishing"
    assert notes[0] == far  # 1.5^49 (0.5^49) times the output's signal
    assert notes[-1] == ""


def test_deep_linear_network_with_unit_weights_is_healthy():
    health = layer_health(deep_linear_network(1.0), np.eye(WIDTH)[:M], np.zeros((M, WIDTH)))
    assert health.verdict == "healthy"
    assert health.factor_per_layer == pytest.approx(1.0, rel=1e-12)
    assert set(health.notes) == {""}


def test_a_trend_needs_a_span_of_more_than_ten():
    # Three layers at 1.5× each span 2.25×: the factor is there, the damage is not.
    model = deep_linear_network(1.5, depth=3)
    health = layer_health(model, np.ones((M, WIDTH)), np.zeros((M, WIDTH)))
    assert health.factor_per_layer == pytest.approx(1.5, rel=1e-9)
    assert health.verdict == "healthy"


def test_overflowing_signal_is_exploding_without_warnings():
    model = deep_linear_network(1e30, depth=20)  # 1e600 overflows
    health = layer_health(model, np.ones((M, WIDTH)), np.zeros((M, WIDTH)))
    assert health.verdict == "exploding"
    assert health.factor_per_layer is None
    assert "overflowed" in health.summary
    assert "exploding" in health.notes[0]


def test_he_relu_network_is_healthy():
    X, y = xor_data()
    model = MLP((2, *(50,) * 10, 1), init="he", seed=0)
    health = layer_health(model, X, y)
    assert health.verdict == "healthy"
    assert 0.8 < health.factor_per_layer < 1.25


def test_sigmoid_hidden_layers_vanish():
    # σ' ≤ 1/4: the error shrinks at every sigmoid layer on its way to the input.
    X, y = xor_data()
    model = MLP((2, *(50,) * 10, 1), hidden_activation="sigmoid", init="xavier", seed=0)
    health = layer_health(model, X, y)
    assert health.verdict == "vanishing"
    assert health.factor_per_layer < 0.3
    assert health.notes[0] == "vanishing"


def test_zero_initialization_lets_no_signal_through():
    X, y = xor_data()
    health = layer_health(MLP((2, 5, 5, 1), init="zeros"), X, y, learning_rate=0.1)
    assert health.verdict == "vanishing"
    assert health.summary == "vanishing: the signal is exactly 0 at layer 2"
    assert [s.signal_norm == 0 for s in health.layers] == [True, True, False]
    assert all(s.update_ratio is None for s in health.layers)  # ||W|| = 0: no relative step


# --- dead units and step sizes -----------------------------------------------------------------


def test_dead_relu_fraction_detects_a_large_negative_bias():
    X, y = xor_data()
    model = MLP((2, 16, 8, 1), init="he", seed=0)
    healthy = layer_health(model, X, y)
    assert [s.dead_fraction for s in healthy.layers] == [0.0, 0.0, None]
    model.params["b2"][:5] = -100.0  # Z < 0 for every example: 5 of 8 units output 0
    health = layer_health(model, X, y)
    assert health.layers[1].dead_fraction == 5 / 8
    assert health.notes[1] == "dead"
    assert health.layers[0].dead_fraction == 0.0
    model.params["b2"][:3] = 100.0  # alive again; 2 of 8 dead is not "dead"
    assert layer_health(model, X, y).notes[1] == ""


def test_dead_fraction_is_none_for_other_activations():
    X, y = xor_data()
    health = layer_health(MLP((2, 4, 4, 1), hidden_activation="tanh", seed=0), X, y)
    assert all(s.dead_fraction is None for s in health.layers)


def test_update_ratio_is_learning_rate_times_gradient_over_weights():
    X, y = xor_data()
    model = MLP((2, 6, 4, 1), hidden_activation="tanh", l2=0.5, seed=0)
    grads = model.gradients(X, y)  # no dropout: deterministic, penalty included
    health = layer_health(model, X, y, learning_rate=0.01)
    for s in health.layers:
        dW, W = grads[f"dW{s.layer}"], model.params[f"W{s.layer}"]
        assert s.gradient_norm == pytest.approx(np.linalg.norm(dW), rel=1e-12)
        assert s.weight_norm == pytest.approx(np.linalg.norm(W), rel=1e-12)
        assert s.update_ratio == pytest.approx(0.01 * s.gradient_norm / s.weight_norm, rel=1e-15)
    assert layer_health(model, X, y, learning_rate=1e3).notes == ("too large a step",) * 3
    assert layer_health(model, X, y, learning_rate=1e-9).notes == ("too small a step",) * 3


def test_layer_health_changes_nothing():
    X, y = xor_data()
    model = MLP((2, 6, 1), keep_prob=0.5, seed=0)
    params = {name: p.copy() for name, p in model.params.items()}
    state = model.rng.bit_generator.state
    layer_health(model, X, y, learning_rate=0.1)
    assert all(np.array_equal(model.params[name], p) for name, p in params.items())
    assert model.rng.bit_generator.state == state


# --- the report ---------------------------------------------------------------------------------


def test_to_dict_round_trips_through_json():
    X, y = xor_data()
    model = MLP((2, 16, 8, 1), init="he", seed=0)
    model.params["b2"][:5] = -100.0
    health = layer_health(model, X, y, learning_rate=0.1)
    document = health.to_dict()
    assert json.loads(json.dumps(document)) == document
    assert document["layers"][1]["note"] == "dead"
    assert LayerHealth.from_dict(json.loads(json.dumps(document))) == health


def test_str_is_a_table_with_a_verdict():
    X, y = xor_data()
    health = layer_health(MLP((2, 16, 8, 1), seed=0), X, y, learning_rate=0.1)
    lines = str(health).splitlines()
    header = "layer units Z std A std dead % ||dW|| signal update note"
    assert lines[0].split() == header.split()
    assert len(lines) == 1 + 3 + 1
    assert lines[-1] == health.summary
    assert lines[1].split()[:2] == ["1", "16"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": 0.0}, "learning_rate=0.0"),
        ({"learning_rate": math.nan}, "learning_rate=nan"),
        ({"learning_rate": True}, "learning_rate=True"),
        ({"factor_threshold": 1.0}, "factor_threshold=1.0"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message):
    X, y = xor_data()
    with pytest.raises(ValueError, match=message):
        layer_health(MLP((2, 3, 1), seed=0), X, y, **kwargs)


@pytest.mark.parametrize("every", [0, -1, 2.5, True])
def test_monitor_rejects_bad_every(every):
    X, y = xor_data()
    with pytest.raises(ValueError, match=f"every={every!r}"):
        LayerMonitor(X, y, every=every)


# --- the monitor ---------------------------------------------------------------------------------


def train(*callbacks, epochs=10, **options):
    X, y = xor_data()
    model = MLP((2, 8, 6, 1), keep_prob=0.8, seed=1)
    options = {"learning_rate": 0.05, "optimizer": "adam", "batch_size": 32} | options
    history = model.fit(X, y, epochs=epochs, callbacks=list(callbacks), progress=False, **options)
    return model, history


@pytest.mark.parametrize(
    ("every", "epochs", "recorded"),
    [(3, 10, [2, 5, 8, 9]), (3, 9, [2, 5, 8]), (1, 3, [0, 1, 2]), (20, 5, [4])],
)
def test_monitor_records_every_n_epochs_and_the_last(every, epochs, recorded):
    X, y = xor_data()
    monitor = LayerMonitor(X, y, every=every)
    train(monitor, epochs=epochs)
    assert [epoch for epoch, _ in monitor.records] == recorded
    assert all(isinstance(h, LayerHealth) for _, h in monitor.records)


def test_monitor_records_the_epoch_where_training_stopped():
    X, y = xor_data()
    monitor = LayerMonitor(X, y, every=3)
    train(monitor, Recorder(stop_at=4), epochs=10)
    assert [epoch for epoch, _ in monitor.records] == [2, 4]


def test_monitor_leaves_training_unchanged():
    X, y = xor_data()
    plain, plain_history = train()
    monitored, history = train(LayerMonitor(X, y, every=2))
    for name, p in plain.params.items():
        assert np.array_equal(monitored.params[name], p), name
    assert np.array_equal(history.cost, plain_history.cost)
    assert monitored.rng.bit_generator.state == plain.rng.bit_generator.state


def test_monitor_measures_the_weights_of_the_recorded_epoch_and_their_change():
    # Early stopping restores other weights at the end: the last record still measures the
    # weights the last epoch ended with, and each update ratio is that epoch's ||ΔW|| / ||W||.
    X, y = xor_data()
    monitor, recorder = LayerMonitor(X, y, every=4), Recorder()
    stopping = EarlyStopping(monitor="cost", patience=100)
    model, _ = train(stopping, monitor, recorder, epochs=10)  # stopping restores first
    assert [epoch for epoch, _ in monitor.records] == [3, 7, 9]
    for epoch, health in monitor.records:
        at_epoch = model.copy()
        for name, p in recorder.weights[epoch].items():
            at_epoch.params[name][...] = p
        expected = layer_health(at_epoch, X, y)
        assert [s.gradient_norm for s in health.layers] == [
            s.gradient_norm for s in expected.layers
        ]
        assert [s.signal_norm for s in health.layers] == [s.signal_norm for s in expected.layers]
        for s in health.layers:
            before = recorder.weights[epoch - 1][f"W{s.layer}"]
            after = recorder.weights[epoch][f"W{s.layer}"]
            change = np.linalg.norm(after - before) / np.linalg.norm(after)
            assert s.update_ratio == pytest.approx(change, rel=1e-12)


def test_monitor_records_survive_a_crash_and_resume(tmp_path):
    X, y = xor_data()
    reference = LayerMonitor(X, y, every=3)
    train(reference, epochs=12)

    crashed = LayerMonitor(X, y, every=3)
    with pytest.raises(KeyboardInterrupt):
        train(
            crashed, Recorder(crash_at=7), epochs=12, run_dir=tmp_path / "run", checkpoint_every=2
        )
    assert [epoch for epoch, _ in crashed.records] == [2, 5]

    resumed = LayerMonitor(X, y, every=3)
    model = MLP((2, 8, 6, 1), keep_prob=0.8, seed=1)
    model.fit(X, y, resume=tmp_path / "run", callbacks=[resumed], progress=False)
    assert [epoch for epoch, _ in resumed.records] == [2, 5, 8, 11]
    assert resumed.records == reference.records  # bit for bit, update ratios included

    with pytest.raises(ValueError, match=r"every=3"):
        MLP((2, 8, 6, 1), keep_prob=0.8, seed=1).fit(
            X, y, resume=tmp_path / "run", callbacks=[LayerMonitor(X, y, every=4)], progress=False
        )
