"""The report's figures: each is a matplotlib Figure with the expected parts and finite data."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from dlrecipe import MLP
from dlrecipe.check.gradient_check import gradient_check
from dlrecipe.data.datasets import moons
from dlrecipe.diagnosis.bias_variance import diagnose
from dlrecipe.diagnosis.init_scan import initialization_scan
from dlrecipe.diagnosis.layers import layer_health
from dlrecipe.report import check_figures, figures
from dlrecipe.report.page import figure_svg
from dlrecipe.train.history import History


def make_history(n: int = 12, *, early: bool = False) -> History:
    history = History()
    for epoch in range(n):
        cost = 1.0 / (epoch + 1)
        history.append(
            epoch,
            {
                "cost": cost + 0.05,
                "loss": cost,
                "error": 0.5 * cost,
                "dev_cost": cost + 0.1,
                "dev_loss": cost + 0.08,
                "dev_error": 0.5 * cost + 0.05,
            },
        )
    if early:
        history.best_epoch, history.stopped_epoch = 7, 10
    return history


@pytest.fixture(scope="module")
def trained():
    X, y = moons(n_samples=120, seed=0)
    model = MLP((2, 8, 1), seed=0)
    from dlrecipe.train.loop import fit

    fit(model, X, y, epochs=5, learning_rate=0.05, optimizer="adam", progress=False)
    return model, X, y


def lines_with_data(axes):
    return [line for line in axes.get_lines() if len(line.get_xdata()) > 1]


def assert_finite(line):
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isfinite(y[~np.isnan(y)]).all()
    assert np.isfinite(y).any()


def test_cost_curve_plots_J_and_the_data_loss_and_the_dev_loss():
    figure = figures.cost_curve(make_history())
    (axes,) = figure.axes
    lines = lines_with_data(axes)
    assert [line.get_label() for line in lines] == [
        "J (data loss + penalty)",
        "data loss",
        "dev loss",
    ]
    for line in lines:
        assert_finite(line)
        assert list(line.get_xdata()) == list(range(1, 13))  # epochs counted from 1


def test_error_curves_mark_the_best_and_stopped_epochs():
    figure = figures.error_curves(make_history(early=True))
    (axes,) = figure.axes
    labels = [line.get_label() for line in axes.get_lines()]
    assert labels == ["train error", "dev error", "best epoch (8)", "stopped (11)"]
    plain = figures.error_curves(make_history())
    assert len(plain.axes[0].get_lines()) == 2


def test_error_curves_without_dev_data_show_one_line():
    history = History()
    for epoch in range(3):
        history.append(epoch, {"cost": 1.0, "loss": 1.0, "error": 0.3})
    assert [line.get_label() for line in figures.error_curves(history).axes[0].get_lines()] == [
        "train error"
    ]


def test_decision_boundary_draws_the_regions_and_both_parts(trained):
    model, X, y = trained
    figure = figures.decision_boundary(model, X[:80], y[:80], X[80:], y[80:], resolution=50)
    (axes,) = figure.axes
    assert len(axes.collections) >= 5  # the filled regions, then 2 classes × (train, dev)
    offsets = np.concatenate([c.get_offsets() for c in axes.collections[-4:]])
    assert len(offsets) == 120
    assert np.isfinite(offsets).all()


def test_decision_boundary_refuses_data_that_is_not_2d(trained):
    model, _, _ = trained
    with pytest.raises(ValueError, match="needs 2-D data; got X of shape \\(4, 3\\)"):
        figures.decision_boundary(model, np.zeros((4, 3)), np.zeros(4))


@pytest.mark.parametrize("values", [[0.0, 0.01, 0.1, 1.0], [0.001, 0.01, 0.1, 1.0]])
def test_validation_curve_marks_the_best_value(values):
    figure = figures.validation_curve(values, [0.3, 0.2, 0.25, 0.4], [0.1, 0.15, 0.2, 0.38])
    (axes,) = figure.axes
    lines = axes.get_lines()
    assert len(lines) == 3
    assert lines[-1].get_label() == "best λ = 0.01"
    assert axes.get_xscale() == ("symlog" if values[0] == 0 else "log")


def test_validation_curve_checks_lengths():
    with pytest.raises(ValueError, match="same length"):
        figures.validation_curve([1, 2], [0.1])


def test_bias_variance_bars_show_each_known_error():
    diagnosis = diagnose(0.10, 0.20, bayes_error=0.01, train_dev_error=0.12, test_error=0.21)
    (axes,) = figures.bias_variance_bars(diagnosis).axes
    heights = [bar.get_height() for bar in axes.patches]
    assert heights == pytest.approx([0.01, 0.10, 0.12, 0.20, 0.21])
    assert [t.get_text() for t in axes.get_xticklabels()] == [
        "Bayes",
        "train",
        "train-dev",
        "dev",
        "test",
    ]
    (short,) = figures.bias_variance_bars(diagnose(0.1, 0.2)).axes
    assert len(short.patches) == 3


def test_layer_statistics_plot_one_point_per_layer(trained):
    model, X, y = trained
    health = layer_health(model, X, y)
    figure = check_figures.layer_statistics(health)
    assert len(figure.axes) == 2
    for axes in figure.axes:
        assert len(axes.get_lines()) == 2
        for line in axes.get_lines():
            assert len(line.get_xdata()) == model.n_layers
            assert_finite(line)


def test_initialization_scan_plot_handles_overflow():
    scan = initialization_scan(depth=6, width=10, n_samples=50)
    scan.variances["exploding"] = np.array([1.0, 1e10, 1e200, math.inf, math.inf, math.inf])
    scan.verdicts["exploding"] = "explodes"
    (axes,) = check_figures.initialization_scan_plot(scan).axes
    assert axes.get_yscale() == "log"
    curves = [line for line in axes.get_lines() if len(line.get_xdata()) == 6]
    assert len(curves) == len(scan.variances)
    for line in curves:
        assert np.isfinite(np.asarray(line.get_ydata(), dtype=float)).all()


def test_gradient_check_plot_draws_one_bar_per_parameter_over_the_bands(trained):
    model, X, y = trained
    result = gradient_check(model, X[:10], y[:10])
    (axes,) = check_figures.gradient_check_plot(result).axes
    (bars,) = axes.containers  # the bar chart; the bands are spans, not bars
    assert len(bars) == len(result.per_parameter)
    assert axes.get_yscale() == "log"
    assert all(np.isfinite(bar.get_height()) and bar.get_height() > 0 for bar in bars)
    assert [t.get_text() for t in axes.get_legend().get_texts()] == [
        "correct",
        "look closer",
        "suspicious",
        "bug",
    ]


def test_figures_are_freed_and_never_touch_pyplot():
    figure = figures.cost_curve(make_history())
    alive = weakref.ref(figure)
    svg = figure_svg(figure)
    assert svg.startswith("<svg")
    del figure
    gc.collect()
    assert alive() is None
    import sys

    if "matplotlib.pyplot" in sys.modules:  # another test may have imported it
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
