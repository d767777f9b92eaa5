"""The automated recipe: bias first, then variance, the test set once, within the budget.

The three acceptance cases of the recipe run on built-in data (each takes 10–40 s here):
spiral (a small start under-fits; a bigger network fixes the bias), the noisy set (variance
found and reduced by regularization) and digits (test accuracy of at least 97%).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

import dlrecipe
from dlrecipe.data import noisy, spiral
from dlrecipe.diagnosis import recipe as recipe_module
from dlrecipe.diagnosis.candidates import Candidate
from dlrecipe.diagnosis.estimate import Estimator
from dlrecipe.diagnosis.recipe import RecipeError, SealedTestSet, run_recipe
from dlrecipe.nn import network


def chosen(entry):
    return next(c for c in entry.candidates if c["chosen"])


def test_a_sealed_test_set_gives_one_look():
    X, y = spiral(90, seed=0)
    test = SealedTestSet(dlrecipe.data.Part(X, y))
    model = dlrecipe.MLP((2, 4, 3), output_activation="softmax", seed=0)
    assert set(test.evaluate_once(model)) == {"cost", "loss", "error"}
    with pytest.raises(RecipeError, match="the test set was already used"):
        test.evaluate_once(model)


def test_spiral_bias_is_found_and_fixed_by_a_bigger_network():
    X, y = spiral(1500, seed=0)
    result = run_recipe(X, y, output_activation="softmax", n_outputs=3, budget=60, jobs=2)
    entries = result.log.entries
    start = next(e for e in entries if e.action.startswith("trained the starting network"))
    assert start.diagnosis["high"]["bias"]
    first_fix = next(e for e in entries if e.phase == "bias" and e is not start)
    pick = chosen(first_fix)
    assert any(word in pick["change"] for word in ("bigger", "deeper"))
    before = start.candidates[0]["train_error"]
    assert pick["train_error"] < before - 0.05  # the bias visibly fixed
    assert result.outcome.train["error"] < 0.05
    assert result.test["error"] < 0.1
    assert result.seconds < 60


def test_noisy_set_variance_is_found_and_reduced_by_regularization():
    X, y = noisy(1000, seed=0)
    result = run_recipe(X, y, output_activation="sigmoid", n_outputs=1, budget=60, jobs=2)
    entries = result.log.entries
    variance_steps = [
        e for e in entries if e.phase == "variance" and any(c["chosen"] for c in e.candidates)
    ]
    assert variance_steps, result.log.to_text()
    first = variance_steps[0]
    assert first.diagnosis is not None
    unregularized_dev = next(
        chosen(e)["dev_error"]
        for e in reversed(entries)
        if e.phase == "bias" and e.candidates and any(c["chosen"] for c in e.candidates)
    )
    pick = chosen(variance_steps[-1])
    assert any(word in pick["setting"] for word in ("L2", "keep_prob", "early stopping"))
    assert result.outcome.dev["error"] < unregularized_dev
    high_variance_seen = [e for e in entries if e.diagnosis and e.diagnosis["high"]["variance"]]
    assert high_variance_seen


def test_digits_reach_97_percent_test_accuracy():
    digits = dlrecipe.load_data("digits")
    result = run_recipe(
        digits.X,
        digits.y,
        output_activation="softmax",
        n_outputs=10,
        image_shape=digits.image_shape,
        budget=60,
        jobs=2,
    )
    assert 1 - result.test["error"] >= 0.97, result.log.to_text()


def test_decisions_do_not_depend_on_the_number_of_jobs():
    X, y = spiral(600, seed=1)
    results = [
        run_recipe(X, y, output_activation="softmax", n_outputs=3, budget=60, jobs=jobs, seed=3)
        for jobs in (1, 2)
    ]
    logs = [
        [
            (
                e.phase,
                e.action,
                [(c["change"], c["train_error"], c["dev_error"]) for c in e.candidates],
            )
            for e in r.log.entries
        ]
        for r in results
    ]
    assert logs[0] == logs[1]
    for name, p in results[0].model.params.items():
        assert np.array_equal(p, results[1].model.params[name])


def test_the_budget_is_honoured_and_the_log_says_where_it_cut():
    # Far more work than 3 s holds (the whole recipe on 4,000 examples takes minutes), so the
    # budget must cut it on any machine, however fast.
    X, y = noisy(4000, seed=0)
    began = time.time()
    result = run_recipe(X, y, output_activation="sigmoid", n_outputs=1, budget=3, jobs=2)
    assert time.time() - began < 3 + 3
    assert any(e.phase == "budget" for e in result.log.entries), result.log.to_text()
    assert result.log.entries[-1].phase == "test"  # the best model so far is still measured


def test_the_test_set_is_evaluated_exactly_once(monkeypatch):
    calls = []
    original = SealedTestSet.evaluate_once

    def counted(self, model):
        calls.append(model)
        return original(self, model)

    monkeypatch.setattr(SealedTestSet, "evaluate_once", counted)
    X, y = spiral(300, seed=0)
    run_recipe(X, y, output_activation="softmax", n_outputs=3, budget=10, jobs=1)
    assert len(calls) == 1


def test_a_failed_gradient_check_stops_the_recipe_before_training(monkeypatch):
    correct = network.backward

    def buggy(params, caches, Y, spec, **kwargs):
        grads = correct(params, caches, Y, spec, **kwargs)
        grads["db1"] = 4 * grads["db1"]
        return grads

    monkeypatch.setattr(network, "backward", buggy)
    trained = []
    monkeypatch.setattr(recipe_module.Trainer, "train", lambda *a, **k: trained.append(1))
    X, y = spiral(300, seed=0)
    with pytest.raises(RecipeError, match=r"gradient check failed before training[\s\S]*b1"):
        run_recipe(X, y, output_activation="softmax", n_outputs=3, budget=10, jobs=1)
    assert trained == []


def test_regression_is_judged_as_a_fraction_of_the_variance():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(600, 2))
    y = np.sin(2 * X[:, 0]) * X[:, 1] + 0.1 * rng.normal(size=600)
    result = run_recipe(X, y, output_activation="linear", n_outputs=1, budget=20, jobs=2)
    assert result.model.output_activation == "linear"
    assert 0 <= result.diagnosis.train_error < 1  # 1 − R², not raw squared error
    assert np.isfinite(result.test["error"])


class _ProbeTrainer:
    """Stands in for a Trainer: every training reports these epoch times."""

    jobs = 1

    def __init__(self, epoch_seconds):
        self.epoch_seconds = epoch_seconds

    def train(self, candidates, deadline=None):
        rows = [{"seconds": s} for s in self.epoch_seconds]
        return [SimpleNamespace(history={"rows": rows}, seconds=sum(self.epoch_seconds))]


def test_a_one_off_slow_epoch_does_not_inflate_the_estimates():
    # An epoch that also compiled the optimizer's update (0.6 s, once per process) must not be
    # taken as the pace of a 600-epoch training: the estimate would cut the recipe's steps.
    candidate = Candidate(hidden=(16,), optimizer="adam", epochs=600)
    estimator = Estimator(_ProbeTrainer([0.61, 0.01]))
    assert estimator.epoch_seconds(candidate) == pytest.approx(0.01)
    assert estimator.seconds(candidate) == pytest.approx(1.2 * 0.01 * 600 + 0.1)
    rows = [{"seconds": s} for s in [0.62, 0.012, 0.011, 0.013, 0.012]]
    estimator.learn([SimpleNamespace(candidate=candidate, history={"rows": rows})])
    assert estimator.epoch_seconds(candidate) == pytest.approx(0.012)
