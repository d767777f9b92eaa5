"""The demos: each one's claims as numbers, the command line, and the report it writes.

Each demo's ``compute()`` runs once per module (the slow part); the command-line and report
tests reuse that result by replacing ``compute``, so they test the printing and the page.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dlrecipe.cli import main
from dlrecipe.demos import DEMOS, bias_variance, early_stopping, vanishing

MODULES = DEMOS
_results: dict[str, Any] = {}


def result_of(name: str) -> Any:
    if name not in _results:
        _results[name] = MODULES[name].compute()
    return _results[name]


def test_every_demo_module_is_registered():
    import pkgutil

    import dlrecipe.demos

    modules = {m.name for m in pkgutil.iter_modules(dlrecipe.demos.__path__)} - {"common"}
    assert {module.__name__.rsplit(".", 1)[1] for module in DEMOS.values()} == modules


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_command_line_runs_the_demo_and_a_folder_gets_its_report(name, monkeypatch, tmp_path):
    module = MODULES[name]
    result = result_of(name)
    assert module.claims_hold(result)
    monkeypatch.setattr(module, "compute", lambda **options: result)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert main(["demo", name, "--no-report"], out=out) == 0
    assert "Report:" not in out.getvalue()  # --no-report: no files
    assert list(tmp_path.iterdir()) == []

    out = io.StringIO()
    assert main(["demo", name], out=out) == 0  # the report goes to runs/demo-NAME by default
    assert f"Report: {Path('runs') / f'demo-{name}' / 'report.html'}" in out.getvalue()
    assert (tmp_path / "runs" / f"demo-{name}" / "report.html").stat().st_size > 0

    out = io.StringIO()
    assert module.run(out, folder=tmp_path / name) == 0
    page = (tmp_path / name / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "<svg" in page
    assert f"Report: {tmp_path / name / 'report.html'}" in out.getvalue()


def test_init_zeros_stay_symmetric_large_weights_start_high_he_fits():
    result = result_of("init")
    zeros, large, he = (result.runs[k] for k in ("zeros", "random ×10", "he"))
    assert zeros.identical_units
    assert not he.identical_units
    assert zeros.train_accuracy == zeros.test_accuracy == 0.5
    np.testing.assert_allclose(zeros.costs, np.log(2))
    assert large.costs[0] > 100 * he.costs[0]
    assert he.train_accuracy >= 0.97
    assert he.test_accuracy >= 0.93
    assert large.train_accuracy < 0.9  # measured 79%
    assert len(he.costs) == 15_000


def test_regularization_closes_the_gap_and_lambda_keeps_tanh_linear():
    result = result_of("regularization")
    none = result.runs["no regularization"]
    assert none.train_error < 0.05
    assert none.gap > 0.1
    for label in ("L2 (λ = 0.7)", "dropout (keep_prob = 0.8)"):
        run = result.runs[label]
        assert run.gap < 0.05
        assert run.dev_error < none.dev_error - 0.04
    shares = result.regime.linear_share
    assert np.all(np.diff(shares) > 0)
    assert shares[0] < 0.3
    assert shares[-1] > 0.95


def test_dropout_without_dividing_scales_the_mean_by_keep_prob():
    for e in result_of("dropout"):
        assert e.inverted == pytest.approx(e.mean, abs=5 * e.inverted_se)
        assert e.plain == pytest.approx(e.keep_prob * e.mean, abs=5 * e.plain_se)
        assert e.z_inverted == pytest.approx(e.z, rel=0.01)
        assert e.z_plain == pytest.approx(e.keep_prob * e.z, rel=0.01)


def test_gradcheck_one_sided_and_two_sided_differences():
    result = result_of("gradcheck")
    d = result.differences
    assert d.one_sided == pytest.approx(3.0301, abs=1e-9)
    assert d.two_sided == pytest.approx(3.0001, abs=1e-9)
    assert d.one_sided_slope == pytest.approx(1, abs=0.05)
    assert d.two_sided_slope == pytest.approx(2, abs=0.05)
    best_one, best_two = d.best_epsilon  # the rounding floor: errors grow again below these
    assert 1e-10 < best_one < 1e-6
    assert 1e-7 < best_two < 1e-4
    assert d.one_sided_errors[-1] > 1e3 * d.one_sided_errors.min()
    assert result.correct.passed
    assert result.bug_found


def test_normalization_contours_are_elongated_on_raw_features():
    result = result_of("normalization")
    normalized, raw = result.contours
    assert raw.condition_number > 1e4 * normalized.condition_number
    assert np.isfinite(raw.J).all()
    assert np.isfinite(normalized.J).all()
    assert min(result.comparison.ratio(t)[0] for t in result.comparison.normalized) > 10


def test_bias_variance_cases_get_the_textbook_verdicts():
    result = result_of("bias-variance")
    verdicts = {label: d.verdict for label, d in result.items()}
    assert verdicts == {label: case[3] for label, case in bias_variance.CASES.items()}
    assert result["15% / 16%, Bayes 15%"].avoidable_bias == pytest.approx(0.0)
    assert "more training data" in result["1% / 11%"].next_steps


def test_split_caps_dev_and_test_at_ten_thousand():
    result = result_of("split")
    assert result[1_000] == (600, 200, 200)
    assert result[1_000_000] == (980_000, 10_000, 10_000)
    assert result[100_000_000] == (99_980_000, 10_000, 10_000)


def test_early_stopping_stops_where_dev_loss_was_best_and_restores_those_weights():
    result = result_of("early-stopping")
    long, best = result.long, result.best
    assert best == int(np.argmin(long.dev_loss[: len(result.stopped)]))
    assert result.stopped.stopped_epoch == best + early_stopping.PATIENCE
    assert len(result.stopped) == best + early_stopping.PATIENCE + 1
    assert long.dev_error[-1] > long.dev_error[best] + 0.02  # dev error turned up (measured +4.6)
    assert long.error[-1] < long.error[best] - 0.02  # training error kept falling (measured -7)
    # identical trainings up to the stop: the restored weights are the long run's at `best`
    np.testing.assert_array_equal(result.stopped.dev_loss, long.dev_loss[: len(result.stopped)])
    assert result.stopped_dev_error == long.dev_error[best]


def test_vanishing_identity_networks_grow_and_shrink_geometrically_he_stays_level():
    result = result_of("vanishing")
    big, small, he = result["W = 1.5·I"], result["W = 0.5·I"], result["He"]
    assert big.growth == pytest.approx(1.5**vanishing.DEPTH, rel=1e-6)
    assert small.growth == pytest.approx(0.5**vanishing.DEPTH, rel=1e-6)
    assert big.factor == pytest.approx(1.5, rel=1e-6)
    assert small.factor == pytest.approx(0.5, rel=1e-6)
    assert [n.health.verdict for n in (big, small, he)] == ["exploding", "vanishing", "healthy"]
    stds = [s.A_std for s in he.health.layers[:-1]]  # the hidden layers (A[L] is a sigmoid)
    assert 0.1 < min(stds)
    assert max(stds) < 10
    # layer by layer, the identity networks' activations follow w^l exactly
    for net, w in ((big, 1.5), (small, 0.5)):
        ratios = np.array([s.A_std for s in net.health.layers])
        np.testing.assert_allclose(ratios[1:] / ratios[:-1], w, rtol=1e-9)
