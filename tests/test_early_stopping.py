"""EarlyStopping, driven directly with scripted dev metrics (no training loop).

Every epoch sets the model's parameters to fresh, recognizable values and keeps a snapshot,
so that the restored weights can be compared bit for bit with those of the expected epoch.
"""

import json
import math

import numpy as np
import pytest

from dlrecipe.train.early_stopping import EarlyStopping
from dlrecipe.train.history import History
from dlrecipe.train.model import MLP

# Best 0.7 at epoch 2; 0.69 at epoch 5 improves on it by 0.01; then three epochs without.
SCRIPT = [1.0, 0.8, 0.7, 0.71, 0.72, 0.69, 0.70, 0.71, 0.72, 0.73, 0.74]


def make_model():
    return MLP((3, 4, 1), seed=0)


def run(
    stopper, values, *, model=None, history=None, first_epoch=0, monitor="dev_loss", snapshots=None
):
    """Play ``values`` (one per epoch from ``first_epoch``) as the loop would, until stopped.

    Returns the model, the history and ``{epoch: params}`` snapshots of each epoch's weights.
    """
    model = make_model() if model is None else model
    history = History() if history is None else history
    snapshots = {} if snapshots is None else snapshots
    model.stop_training = False
    stopper.on_train_begin(model, history)
    for epoch, value in enumerate(values[first_epoch:], start=first_epoch):
        for k, p in enumerate(model.params.values()):  # this epoch's "training step", in place
            p[...] = epoch + 0.01 * k + np.random.default_rng(epoch).random(p.shape)
        snapshots[epoch] = {name: p.copy() for name, p in model.params.items()}
        logs = {"cost": 0.5, "loss": 0.5, "error": 0.1, monitor: value}
        history.append(epoch, logs)
        stopper.on_epoch_end(model, epoch, logs)
        if model.stop_training:
            break
    stopper.on_train_end(model, history)
    return model, history, snapshots


def assert_params_equal(params, expected):
    assert params.keys() == expected.keys()
    for name in params:
        np.testing.assert_array_equal(params[name], expected[name], err_msg=name)


def test_stops_after_patience_epochs_without_improvement():
    model, history, _ = run(EarlyStopping(patience=3), SCRIPT)
    assert history.stopped_epoch == 8  # epochs 6, 7, 8 do not beat 0.69 (epoch 5)
    assert history.best_epoch == 5
    assert len(history) == 9
    assert model.stop_training


def test_min_delta_ignores_small_improvements():
    # best - min_delta: 0.98, 0.78, then 0.68; 0.69 at epoch 5 is no longer an improvement.
    _, history, _ = run(EarlyStopping(patience=3, min_delta=0.02), SCRIPT)
    assert history.stopped_epoch == 5
    assert history.best_epoch == 2


def test_patience_one_stops_at_the_first_epoch_without_improvement():
    _, history, _ = run(EarlyStopping(patience=1), SCRIPT)
    assert (history.stopped_epoch, history.best_epoch) == (3, 2)


def test_an_equal_value_is_no_improvement():
    _, history, _ = run(EarlyStopping(patience=3), [1.0, 1.0, 1.0, 1.0, 1.0])
    assert (history.stopped_epoch, history.best_epoch) == (3, 0)


def test_runs_to_the_end_while_improving():
    values = [1.0, 0.9, 0.8, 0.7, 0.6]
    model, history, snapshots = run(EarlyStopping(patience=1), values)
    assert history.stopped_epoch is None
    assert not model.stop_training
    assert history.best_epoch == 4
    assert_params_equal(model.params, snapshots[4])


def test_restore_best_writes_the_best_weights_back_in_place():
    model = make_model()
    arrays = dict(model.params)  # the objects the optimizer holds
    model, history, snapshots = run(EarlyStopping(patience=3), SCRIPT, model=model)
    assert history.best_epoch == 5
    assert_params_equal(model.params, snapshots[5])
    assert not np.array_equal(model.params["W1"], snapshots[8]["W1"])  # not the last epoch
    for name, p in model.params.items():
        assert p is arrays[name], f"{name} was rebound instead of restored in place"


def test_restore_best_false_keeps_the_last_weights_but_records_the_best_epoch():
    model, history, snapshots = run(EarlyStopping(patience=3, restore_best=False), SCRIPT)
    assert history.stopped_epoch == 8
    assert history.best_epoch == 5
    assert_params_equal(model.params, snapshots[8])


def test_warmup_epochs_do_not_count_toward_patience():
    noisy = [1.0, 1.2, 1.3, 1.4, 1.1, 0.9, 0.8, 0.85, 0.86, 0.87, 0.88]
    _, history, _ = run(EarlyStopping(patience=3), noisy)
    assert history.stopped_epoch == 3  # the noisy start stops it without warm-up
    _, history, _ = run(EarlyStopping(patience=3, warmup=5), noisy)
    assert history.stopped_epoch == 9  # epochs 7, 8, 9 after the best, epoch 6
    assert history.best_epoch == 6


def test_warmup_never_stops_and_its_best_still_counts():
    # The best value is at epoch 0, inside the warm-up: it is tracked (and restored), but only
    # epochs 5, 6, 7 after the warm-up count toward the patience of 3.
    values = [0.5, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9]
    model, history, snapshots = run(EarlyStopping(patience=3, warmup=5), values)
    assert history.stopped_epoch == 7
    assert history.best_epoch == 0
    assert_params_equal(model.params, snapshots[0])


def test_monitor_dev_error():
    # dev_loss keeps falling but dev_error is best at epoch 1: it follows dev_error only.
    errors = [0.3, 0.2, 0.25, 0.25, 0.3]
    model = make_model()
    history = History()
    stopper = EarlyStopping(monitor="dev_error", patience=2)
    stopper.on_train_begin(model, history)
    for epoch, error in enumerate(errors):
        logs = {"cost": 1.0, "dev_loss": 1.0 - 0.1 * epoch, "dev_error": error}
        history.append(epoch, logs)
        stopper.on_epoch_end(model, epoch, logs)
        if model.stop_training:
            break
    stopper.on_train_end(model, history)
    assert (history.stopped_epoch, history.best_epoch) == (3, 1)


@pytest.mark.parametrize("monitor", ["dev_cost", "loss", "cost", "error"])
def test_other_monitors_are_accepted(monitor):
    _, history, _ = run(EarlyStopping(monitor=monitor, patience=3), SCRIPT, monitor=monitor)
    assert (history.stopped_epoch, history.best_epoch) == (8, 5)


@pytest.mark.parametrize("dev_loss", [None, math.nan])
def test_missing_dev_metrics_ask_for_dev_data(dev_loss):
    model, history = make_model(), History()
    stopper = EarlyStopping()
    stopper.on_train_begin(model, history)
    logs = {"cost": 0.5, "loss": 0.5, "error": 0.1}
    if dev_loss is not None:
        logs["dev_loss"] = dev_loss
    with pytest.raises(ValueError, match=r"'dev_loss'.*epoch 1.*pass dev=\(X_dev, y_dev\) to fit"):
        stopper.on_epoch_end(model, 0, logs)


def test_a_second_training_starts_afresh():
    stopper = EarlyStopping(patience=3)
    run(stopper, SCRIPT)
    _, history, _ = run(stopper, [2.0, 1.9, 1.8, 1.7])
    assert history.stopped_epoch is None  # a best of 0.69 from the first run would stop it
    assert history.best_epoch == 3


def test_state_is_json_serializable_before_and_after_training():
    stopper = EarlyStopping()
    arrays, values = stopper.state()
    assert arrays == {}
    assert json.loads(json.dumps(values, allow_nan=False))["best"] is None
    run(stopper, SCRIPT[:4])
    arrays, values = stopper.state()
    assert sorted(arrays) == ["best/W1", "best/W2", "best/b1", "best/b2"]
    assert json.loads(json.dumps(values, allow_nan=False)) == {
        "monitor": "dev_loss",
        "best": 0.7,
        "best_epoch": 2,
        "wait": 1,
    }


def test_resuming_from_state_gives_the_same_stop_and_weights():
    """Interrupted after epoch 6 (best epoch 5, waiting 1), then resumed in a new process."""
    _, full_history, full_snapshots = run(EarlyStopping(patience=3), SCRIPT)
    full_params = full_snapshots[full_history.best_epoch]

    first = EarlyStopping(patience=3)
    _, history, snapshots = run(first, SCRIPT[:7])
    assert history.stopped_epoch is None
    arrays, values = first.state()
    saved_arrays = {k: v.copy() for k, v in arrays.items()}
    saved_values = json.loads(json.dumps(values))
    saved_params = {name: p.copy() for name, p in snapshots[6].items()}  # the checkpointed weights

    resumed_model = make_model()
    for name, p in resumed_model.params.items():
        p[...] = saved_params[name]
    resumed_history = History()
    resumed_history.extend(history.rows)
    second = EarlyStopping(patience=3)
    second.load_state(saved_arrays, saved_values)
    _, resumed_history, _ = run(
        second, SCRIPT, model=resumed_model, history=resumed_history, first_epoch=7
    )
    assert resumed_history.stopped_epoch == full_history.stopped_epoch == 8
    assert resumed_history.best_epoch == full_history.best_epoch == 5
    assert_params_equal(resumed_model.params, full_params)  # epoch 5 never ran in this process


def test_resuming_without_the_state_would_differ():
    """The resume test above can fail: a fresh callback forgets the best of epoch 5."""
    _, history, _ = run(EarlyStopping(patience=3), SCRIPT[:7])
    _, history, _ = run(EarlyStopping(patience=3), SCRIPT, history=history, first_epoch=7)
    assert history.stopped_epoch == 10
    assert history.best_epoch == 7


def test_load_state_refuses_another_monitor():
    _, values = EarlyStopping(monitor="dev_error").state()
    with pytest.raises(
        ValueError, match=r"monitored 'dev_error'.*EarlyStopping\(monitor='dev_error'\)"
    ):
        EarlyStopping(monitor="dev_loss").load_state({}, values)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"patience": 0}, r"patience must be an integer >= 1; got patience=0"),
        ({"patience": 2.5}, r"patience must be an integer >= 1; got patience=2.5"),
        ({"patience": True}, r"patience must be an integer >= 1; got patience=True"),
        ({"min_delta": -0.1}, r"min_delta must be a finite number >= 0; got min_delta=-0.1"),
        ({"min_delta": math.inf}, r"min_delta must be a finite number >= 0; got min_delta=inf"),
        ({"min_delta": math.nan}, r"min_delta must be a finite number >= 0; got min_delta=nan"),
        ({"min_delta": "0.1"}, r"min_delta must be a finite number >= 0; got min_delta='0.1'"),
        ({"warmup": -1}, r"warmup must be an integer >= 0; got warmup=-1"),
        ({"warmup": 1.5}, r"warmup must be an integer >= 0; got warmup=1.5"),
        ({"monitor": "val_loss"}, r"unknown monitor 'val_loss'; expected one of \['dev_loss'"),
        ({"restore_best": "yes"}, r"restore_best must be True or False; got restore_best='yes'"),
    ],
)
def test_bad_arguments(options, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**options)


def test_numpy_integers_are_accepted():
    stopper = EarlyStopping(patience=np.int64(3), warmup=np.int32(1), min_delta=np.float64(0.0))
    assert (stopper.patience, stopper.warmup) == (3, 1)
    assert type(stopper.patience) is int
