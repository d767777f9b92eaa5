"""model.fit: the loop, its history, normalization, callbacks, divergence, L2 and resuming."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dlrecipe
from dlrecipe import EarlyStopping, TrainingDiverged
from dlrecipe.data import Augmenter, circles, moons, noisy
from dlrecipe.nn.network import penalty
from dlrecipe.train import Callback


class Recorder(Callback):
    """Keeps every call and a copy of the weights after every epoch."""

    def __init__(self, stop_at: int | None = None, crash_at: int | None = None):
        self.calls: list[str] = []
        self.weights: dict[int, dict[str, np.ndarray]] = {}
        self.logs: dict[int, dict[str, float]] = {}
        self.stop_at, self.crash_at = stop_at, crash_at

    def on_train_begin(self, model, history):
        self.calls.append("begin")
        self.weights[-1] = {name: p.copy() for name, p in model.params.items()}  # the start

    def on_epoch_end(self, model, epoch, logs):
        self.calls.append(f"epoch {epoch}")
        self.weights[epoch] = {name: p.copy() for name, p in model.params.items()}
        self.logs[epoch] = dict(logs)
        if epoch == self.stop_at:
            model.stop_training = True
        if epoch == self.crash_at:
            raise KeyboardInterrupt("simulated crash")

    def on_train_end(self, model, history):
        self.calls.append("end")


def weight_norm(model) -> float:
    return sum(float(np.sum(model.params[f"W{l}"] ** 2)) for l in range(1, model.n_layers + 1))


# --- the loop ----------------------------------------------------------------------------------
def test_batch_gradient_descent_decreases_j_with_the_penalty_every_epoch():
    X, y = circles(200, noise=0.05, seed=0)
    model = dlrecipe.MLP((2, 8, 4, 1), l2=0.5, seed=0)
    history = model.fit(X, y, epochs=200, learning_rate=0.05, progress=False)
    assert len(history) == 200
    assert np.all(np.diff(history.cost) < 0)  # J (with the penalty) falls monotonically
    # the logged J of an epoch is J before its update: the penalty part is exactly computable
    first = dlrecipe.MLP((2, 8, 4, 1), l2=0.5, seed=0)
    assert history.cost[0] - history.loss[0] == pytest.approx(
        penalty(first.params, first.spec, 200)
    )
    assert np.all(history.cost > history.loss)
    assert history.error[-1] < 0.1
    assert np.isnan(history.dev_loss).all()  # no dev data, no dev metrics


def test_history_of_an_epoch_matches_an_independent_evaluation():
    X, y = moons(300, noise=0.1, seed=1)
    Xd, yd = moons(100, noise=0.1, seed=2)
    model = dlrecipe.MLP((2, 6, 1), seed=1)
    recorder = Recorder()
    history = model.fit(
        X, y, epochs=5, learning_rate=0.1, dev=(Xd, yd), callbacks=[recorder], progress=False
    )
    # dev metrics are measured after the epoch's update: equal to evaluating those weights
    at_3 = model.copy()
    for name, p in recorder.weights[3].items():
        at_3.params[name][...] = p
    expected = at_3.evaluate(Xd, yd)
    assert history.dev_loss[3] == pytest.approx(expected["loss"], rel=1e-12)
    assert history.dev_error[3] == pytest.approx(expected["error"])
    assert recorder.calls == ["begin"] + [f"epoch {e}" for e in range(5)] + ["end"]
    assert set(recorder.logs[0]) >= {
        "cost",
        "loss",
        "error",
        "dev_loss",
        "dev_error",
        "learning_rate",
    }


def test_mini_batches_are_reshuffled_from_the_models_seed():
    X, y = moons(250, noise=0.2, seed=3)

    def train(seed):
        model = dlrecipe.MLP((2, 8, 1), seed=seed)
        model.fit(
            X, y, epochs=5, learning_rate=0.05, batch_size=32, optimizer="adam", progress=False
        )
        return model.params

    one, two, other = train(7), train(7), train(8)
    assert all(np.array_equal(one[k], two[k]) for k in one)
    assert not all(np.array_equal(one[k], other[k]) for k in one)


def test_mini_batch_epoch_averages_its_batches():
    X, y = moons(100, noise=0.2, seed=4)
    model = dlrecipe.MLP((2, 4, 1), seed=0)
    history = model.fit(X, y, epochs=3, learning_rate=0.01, batch_size=30, progress=False)
    assert history.cost.shape == (3,)
    assert np.isfinite(history.cost).all()
    assert 0 <= history.error.min() <= history.error.max() <= 1


def test_normalization_is_fitted_on_training_data_and_travels_with_the_model():
    rng = np.random.default_rng(5)
    X = np.column_stack([rng.uniform(1, 1000, 300), rng.uniform(0, 1, 300)])
    y = (X[:, 0] / 1000 + X[:, 1] > 1).astype(int)
    model = dlrecipe.MLP((2, 4, 1), seed=0)
    model.fit(X, y, epochs=300, learning_rate=0.5, progress=False)
    np.testing.assert_allclose(model.standardizer.mean, X.mean(axis=0))
    np.testing.assert_allclose(model.standardizer.std, X.std(axis=0))
    assert (model.predict(X) == y).mean() > 0.95  # predict normalizes raw inputs itself
    plain = dlrecipe.MLP((2, 4, 1), seed=0)
    plain.fit(X, y, epochs=3, learning_rate=1e-6, normalize=False, progress=False)
    assert plain.standardizer is None


def test_schedule_sets_each_epochs_learning_rate():
    X, y = moons(50, seed=0)
    model = dlrecipe.MLP((2, 3, 1), seed=0)
    schedule = dlrecipe.schedules.InverseTime(decay_rate=1.0)
    history = model.fit(X, y, epochs=4, learning_rate=0.2, schedule=schedule, progress=False)
    np.testing.assert_allclose(history.learning_rate, [0.2, 0.1, 0.2 / 3, 0.05])


def test_every_optimizer_trains_and_float32_stays_float32():
    X, y = moons(300, noise=0.1, seed=6)
    for name in ("gd", "momentum", "rmsprop", "adam"):
        model = dlrecipe.MLP((2, 16, 8, 1), seed=0, dtype="float32")
        lr = 0.5 if name in ("gd", "momentum") else 0.01
        history = model.fit(
            X, y, epochs=60, learning_rate=lr, optimizer=name, batch_size=64, progress=False
        )
        assert history.cost[-1] < 0.5 * history.cost[0], name
        assert all(p.dtype == np.float32 for p in model.params.values())


def test_a_callback_stops_training_after_its_epoch():
    X, y = moons(60, seed=0)
    recorder = Recorder(stop_at=2)
    history = dlrecipe.MLP((2, 3, 1), seed=0).fit(
        X, y, epochs=50, learning_rate=0.1, callbacks=[recorder], progress=False
    )
    assert len(history) == 3
    assert recorder.calls[-1] == "end"


def test_early_stopping_in_fit_restores_the_best_dev_weights():
    X, y = noisy(400, seed=0)
    Xd, yd = noisy(200, seed=1)
    model = dlrecipe.MLP((2, 64, 64, 1), seed=0)
    recorder = Recorder()
    history = model.fit(
        X,
        y,
        epochs=2000,
        learning_rate=0.01,
        optimizer="adam",
        dev=(Xd, yd),
        callbacks=[EarlyStopping(patience=20), recorder],
        progress=False,
    )
    assert history.stopped_epoch is not None
    assert history.stopped_epoch < 1999
    best = history.best_epoch
    assert best == int(np.argmin(history.dev_loss))
    assert history.stopped_epoch == best + 20
    for name, p in model.params.items():
        assert np.array_equal(p, recorder.weights[best][name])


def test_augmentation_in_fit_leaves_data_and_dev_untouched():
    digits = dlrecipe.load_data("digits")
    X, y = digits.X[:300], digits.y[:300]
    X.setflags(write=False)
    model = dlrecipe.MLP((64, 32, 10), output_activation="softmax", seed=0)
    history = model.fit(
        X,
        y,
        epochs=5,
        learning_rate=0.01,
        optimizer="adam",
        batch_size=50,
        augment=Augmenter(image_shape=(8, 8), flip_horizontal=False, max_rotation=10),
        dev=(digits.X[300:400], digits.y[300:400]),
        progress=False,
    )
    assert history.error[-1] < history.error[0]
    assert history.dev_loss[-1] == pytest.approx(
        model.evaluate(digits.X[300:400], digits.y[300:400])["loss"]
    )


# --- divergence --------------------------------------------------------------------------------
def test_divergence_stops_with_a_diagnosis_and_keeps_the_best_weights():
    X, y = circles(200, noise=0.05, seed=0)
    model = dlrecipe.MLP((2, 16, 16, 1), init=dlrecipe.initializers.random(scale=10), seed=0)
    recorder = Recorder()
    with pytest.raises(TrainingDiverged) as caught:
        model.fit(X, y, epochs=500, learning_rate=50.0, callbacks=[recorder], progress=False)
    error = caught.value
    message = str(error)
    assert f"training diverged in epoch {error.epoch + 1}" in message
    assert "||dW1|| = " in message
    assert "||dW3|| = " in message
    assert "lower the learning rate (now 50" in message
    assert "He initialization" in message  # the init was random ×10
    assert set(error.gradient_norms) == {"W1", "W2", "W3"}
    assert all(np.isfinite(p).all() for p in model.params.values())  # no NaN weights kept
    costs = error.history.cost
    best = int(np.nanargmin(costs))
    assert f"weights epoch {best + 1} began with" in message
    for name, p in model.params.items():  # the weights that gave the lowest cost
        assert np.array_equal(p, recorder.weights[best - 1][name])


def test_nan_cost_stops_before_any_nan_reaches_the_weights():
    X, y = circles(100, seed=1)
    model = dlrecipe.MLP((2, 4, 1), seed=0)
    with pytest.raises(TrainingDiverged, match=r"the cost J became (nan|inf)"):
        model.fit(X * 1e300, y, epochs=20, learning_rate=1.0, normalize=False, progress=False)
    assert all(np.isfinite(p).all() for p in model.params.values())


# --- the textbook's claim: L2 shrinks weights and narrows the train/dev gap ---------------------
def test_l2_shrinks_weights_and_narrows_the_train_dev_gap_on_the_noisy_set():
    X, y = noisy(200, seed=0)
    Xd, yd = noisy(1000, seed=1)
    results = {}
    for l2 in (0.0, 1.0):
        model = dlrecipe.MLP((2, 64, 64, 1), l2=l2, seed=0)
        model.fit(X, y, epochs=1500, learning_rate=0.01, optimizer="adam", progress=False)
        train, dev = model.evaluate(X, y)["error"], model.evaluate(Xd, yd)["error"]
        results[l2] = (weight_norm(model), train, dev)
    (norm0, train0, dev0), (norm1, train1, dev1) = results[0.0], results[1.0]
    assert norm1 < 0.5 * norm0  # visibly smaller weights
    assert train0 < 0.03  # unregularized: memorizes the flipped labels
    assert (dev1 - train1) < 0.5 * (dev0 - train0)  # and the gap narrows
    assert dev1 <= dev0


# --- bad arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0, "learning_rate": 0.1}, r"epochs must be an integer >= 1; got epochs=0"),
        ({"epochs": 5, "learning_rate": 0}, r"learning_rate must be a finite number > 0"),
        ({"epochs": 5, "learning_rate": math.nan}, r"learning_rate=nan"),
        ({"epochs": 5, "learning_rate": 0.1, "batch_size": 0}, r"batch_size must be None"),
        (
            {"epochs": 5, "learning_rate": 0.1, "batch_size": 500},
            r"batch_size=500 is larger than the 50",
        ),
        ({"learning_rate": 0.1}, r"fit needs epochs= and learning_rate="),
        ({"epochs": 5, "learning_rate": 0.1, "optimizer": "sgd"}, r"unknown optimizer 'sgd'"),
    ],
)
def test_bad_arguments(kwargs, message):
    X, y = moons(50, seed=0)
    with pytest.raises(ValueError, match=message):
        dlrecipe.MLP((2, 3, 1), seed=0).fit(X, y, progress=False, **kwargs)


# --- run folders and resuming in-process (the kill test is in test_resume_kill.py) -------------
def fit_args(X, y, Xd, yd, **extra):
    return dict(
        epochs=12,
        learning_rate=0.01,
        optimizer="adam",
        batch_size=40,
        dev=(Xd, yd),
        callbacks=[EarlyStopping(patience=50)],
        progress=False,
        **extra,
    )


def test_resume_after_a_crash_is_bit_identical(tmp_path):
    X, y = moons(200, noise=0.2, seed=0)
    Xd, yd = moons(100, noise=0.2, seed=1)

    def model():
        return dlrecipe.MLP((2, 16, 8, 1), keep_prob=0.8, seed=3)

    reference = model()
    reference.fit(X, y, **fit_args(X, y, Xd, yd))

    crashed = model()
    args = fit_args(X, y, Xd, yd, run_dir=tmp_path / "run", checkpoint_every=2)
    args["callbacks"] = [*args["callbacks"], Recorder(crash_at=8)]
    with pytest.raises(KeyboardInterrupt):
        crashed.fit(X, y, **args)
    resumed = model()  # a fresh process would build the model anew
    args = fit_args(X, y, Xd, yd, resume=tmp_path / "run")
    args.pop("epochs"), args.pop("learning_rate")
    args["callbacks"] = [*args["callbacks"], Recorder()]
    history = resumed.fit(X, y, **args)
    assert len(history) == 12
    for name, p in reference.params.items():
        assert np.array_equal(resumed.params[name], p), name
    on_disk = dlrecipe.load_model(tmp_path / "run" / "model.safetensors")
    assert all(np.array_equal(on_disk.params[k], p) for k, p in reference.params.items())
    assert (tmp_path / "run" / "history.csv").read_text().count("\n") == 13


def test_resume_checks_data_settings_and_folder(tmp_path):
    X, y = moons(100, seed=0)
    model = dlrecipe.MLP((2, 4, 1), seed=0)
    model.fit(X, y, epochs=3, learning_rate=0.1, run_dir=tmp_path / "run", progress=False)
    with pytest.raises(ValueError, match="already holds a training run; resume it"):
        dlrecipe.MLP((2, 4, 1), seed=0).fit(
            X, y, epochs=3, learning_rate=0.1, run_dir=tmp_path / "run"
        )
    with pytest.raises(ValueError, match="data passed to resume differ"):
        dlrecipe.MLP((2, 4, 1), seed=0).fit(X[:-1], y[:-1], resume=tmp_path / "run", epochs=5)
    with pytest.raises(ValueError, match=r"trained with learning_rate=0\.1"):
        dlrecipe.MLP((2, 4, 1), seed=0).fit(
            X, y, resume=tmp_path / "run", learning_rate=0.2, epochs=5
        )
    with pytest.raises(ValueError, match="does not match the checkpoint's network"):
        dlrecipe.MLP((2, 5, 1), seed=0).fit(X, y, resume=tmp_path / "run", epochs=5)
    with pytest.raises(ValueError, match=r"no checkpoint\.safetensors: it is not a run folder"):
        dlrecipe.MLP((2, 4, 1), seed=0).fit(X, y, resume=tmp_path, epochs=5)
    longer = dlrecipe.MLP((2, 4, 1), seed=0)
    assert len(longer.fit(X, y, resume=tmp_path / "run", epochs=5, progress=False)) == 5
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [
        "checkpoint.safetensors",
        "config.json",
        "history.csv",
        "model.safetensors",
    ]


def test_mini_batch_penalty_uses_the_training_set_size():
    """λ means the same for any batch size: each batch's J carries (λ/2m) Σ||W||² with m = 200."""
    X, y = moons(200, seed=0)
    for batch_size in (None, 20, 50):
        model = dlrecipe.MLP((2, 8, 1), l2=3.0, seed=0)
        start = penalty(model.params, model.spec, 200)
        history = model.fit(
            X, y, epochs=1, learning_rate=1e-12, batch_size=batch_size, progress=False
        )
        assert history.cost[0] - history.loss[0] == pytest.approx(start, rel=1e-9), batch_size
