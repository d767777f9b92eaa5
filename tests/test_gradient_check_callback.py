"""GradientCheckCallback in model.fit: checks every N epochs, names a planted bug, warns, stops."""

from __future__ import annotations

import numpy as np
import pytest

import dlrecipe
from dlrecipe.check import GradientCheckCallback, GradientCheckWarning
from dlrecipe.data import circles
from dlrecipe.nn import network


def train(callbacks=(), epochs=7, keep_prob=0.9):
    X, y = circles(60, noise=0.1, seed=0)
    model = dlrecipe.MLP((2, 6, 4, 1), hidden_activation="tanh", keep_prob=keep_prob, seed=0)
    history = model.fit(
        X, y, epochs=epochs, learning_rate=0.1, batch_size=16, callbacks=callbacks, progress=False
    )
    return model, history, X, y


@pytest.fixture
def bug_in_db1(monkeypatch):
    """A backward pass whose db1 is 4× too large, in training and in the checks alike."""
    correct = network.backward

    def backward_with_bug(params, caches, Y, spec, *, descend=None, **options):
        grads = correct(params, caches, Y, spec, **options)
        grads["db1"] = grads["db1"] * 4
        if descend is None:
            return grads
        for name, p in params.items():  # gradient descent's step, which training lets backward take
            p -= descend * grads["d" + name]
        return {}

    monkeypatch.setattr(network, "backward", backward_with_bug)


def test_checks_at_every_nth_epoch_and_does_not_change_training():
    plain, _, X, y = train()
    callback = GradientCheckCallback(X, y, every=3, n_directions=2)
    checked, _, _, _ = train([callback])
    assert [r.epoch for r in callback.records] == [2, 5]  # after the 3rd and the 6th epoch
    assert all(not r.flagged and r.difference < 1e-5 for r in callback.records)
    assert all(r.suspects == () for r in callback.records)
    assert not callback.flagged
    assert callback.warnings == []
    assert callback.stopped_epoch is None
    for name, p in plain.params.items():
        assert np.array_equal(p, checked.params[name])


def test_a_planted_bug_is_reported_with_the_wrong_parameter(bug_in_db1):
    X, y = circles(60, noise=0.1, seed=0)
    callback = GradientCheckCallback(X, y, every=2, n_directions=2)
    with pytest.warns(GradientCheckWarning) as caught:
        _, history, _, _ = train([callback], epochs=4, keep_prob=1.0)
    assert len(history.cost) == 4  # "warn" lets training go on
    assert [r.epoch for r in callback.records] == [1, 3]
    assert callback.flagged
    assert all(r.flagged and r.suspects == ("b1",) for r in callback.records)
    assert len(callback.warnings) == len(caught) == 2
    message = str(caught[0].message)
    assert message == callback.warnings[0]
    assert "epoch 1: directional gradient check difference" in message
    assert "exceeds 1e-05" in message
    assert "points at b1" in message


def test_stop_ends_training_after_the_failed_check(bug_in_db1):
    X, y = circles(60, noise=0.1, seed=0)
    callback = GradientCheckCallback(X, y, every=3, n_directions=2, on_failure="stop")
    with pytest.warns(GradientCheckWarning, match="training stopped"):
        _, history, _, _ = train([callback], epochs=20, keep_prob=1.0)
    assert len(history.cost) == 3  # stopped after the check that followed epoch 2
    assert callback.stopped_epoch == 2
    assert [r.epoch for r in callback.records] == [2]
    assert callback.records[0].suspects == ("b1",)


def test_record_is_silent_and_locate_0_skips_the_full_check(bug_in_db1, recwarn):
    X, y = circles(60, noise=0.1, seed=0)
    callback = GradientCheckCallback(X, y, every=2, on_failure="record", locate=0)
    train([callback], epochs=4, keep_prob=1.0)
    assert not [w for w in recwarn if issubclass(w.category, GradientCheckWarning)]
    assert callback.flagged
    assert [r.suspects for r in callback.records] == [(), ()]
    assert "run dlrecipe.gradient_check" in callback.warnings[0]


def test_state_round_trips():
    X, y = circles(60, noise=0.1, seed=0)
    callback = GradientCheckCallback(X, y, every=2)
    train([callback], epochs=4)
    arrays, values = callback.state()
    restored = GradientCheckCallback(X, y, every=2)
    restored.load_state(arrays, values)
    assert restored.records == callback.records
    assert restored.warnings == callback.warnings
    assert restored.stopped_epoch == callback.stopped_epoch


def test_arguments_are_checked():
    X, y = circles(20, seed=0)
    with pytest.raises(ValueError, match="every must be a positive"):
        GradientCheckCallback(X, y, every=0)
    with pytest.raises(ValueError, match="on_failure must be one of"):
        GradientCheckCallback(X, y, on_failure="raise")
    with pytest.raises(ValueError, match="locate must be"):
        GradientCheckCallback(X, y, locate=-1)
