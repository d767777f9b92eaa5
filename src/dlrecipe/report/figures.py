"""The figures of a training: one function per plot, each returning a matplotlib Figure.

The cost and error curves, the decision boundary, validation curves and the bias/variance bars;
the figures of the network's checks are in :mod:`dlrecipe.report.check_figures`.

Figures are built with ``matplotlib.figure.Figure`` on an Agg canvas, never through pyplot:
no display is touched, no global figure registry fills up, and a figure is freed like any
other object (:func:`dlrecipe.report.page.write_page` embeds it as SVG). matplotlib is
imported inside each function, so importing dlrecipe never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..diagnosis.bias_variance import Diagnosis
    from ..train.history import History
    from ..train.model import MLP

WIDTH, HEIGHT = 6.4, 3.8  # inches: legible at a phone's width once scaled to 100%


def new_figure(ncols: int = 1, *, width: float = WIDTH, height: float = HEIGHT) -> Figure:
    """An empty Figure on an Agg canvas (no pyplot, no display) with ``ncols`` axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    figure.subplots(1, ncols, squeeze=False)
    return figure


def cost_curve(history: History) -> Figure:
    """The cost J (with the penalty: what gradient descent decreases) and the data loss."""
    figure = new_figure()
    axes = figure.axes[0]
    epochs = history.epochs + 1
    axes.plot(epochs, history.cost, label="J (data loss + penalty)", color="C0")
    axes.plot(epochs, history.loss, label="data loss", color="C1", linestyle="--")
    if history.has_dev:
        axes.plot(epochs, history.dev_loss, label="dev loss", color="C2", linestyle=":")
    axes.set(xlabel="epoch", ylabel="cost", title="Cost per epoch")
    _mark_epochs(axes, history)
    axes.legend()
    return figure


def error_curves(history: History) -> Figure:
    """Train and dev error per epoch; early stopping's best and stop epochs marked."""
    figure = new_figure()
    axes = figure.axes[0]
    epochs = history.epochs + 1
    axes.plot(epochs, history.error, label="train error", color="C0")
    if history.has_dev:
        axes.plot(epochs, history.dev_error, label="dev error", color="C3")
    axes.set(xlabel="epoch", ylabel="error", title="Error per epoch")
    _mark_epochs(axes, history)
    axes.legend()
    return figure


def _mark_epochs(axes: Any, history: History) -> None:
    if history.best_epoch is not None:
        axes.axvline(
            history.best_epoch + 1,
            color="0.3",
            linestyle="--",
            linewidth=1,
            label=f"best epoch ({history.best_epoch + 1})",
        )
    if history.stopped_epoch is not None:
        axes.axvline(
            history.stopped_epoch + 1,
            color="0.6",
            linestyle=":",
            linewidth=1,
            label=f"stopped ({history.stopped_epoch + 1})",
        )


def decision_boundary(
    model: MLP,
    X: ArrayLike,
    y: ArrayLike,
    X_dev: ArrayLike | None = None,
    y_dev: ArrayLike | None = None,
    *,
    resolution: int = 200,
) -> Figure:
    """The classes ``model`` predicts over the plane of 2-D data, with the examples on top.

    ``X`` is ``(n_samples, 2)``; training examples are dots, dev examples crosses.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"a decision boundary needs 2-D data; got X of shape {X.shape}. "
            "Plot it only for data with two features."
        )
    y = np.asarray(y).ravel()
    points = [X] if X_dev is None else [X, np.asarray(X_dev, dtype=np.float64)]
    low, high = (
        np.min([p.min(axis=0) for p in points], axis=0),
        np.max([p.max(axis=0) for p in points], axis=0),
    )
    margin = 0.1 * np.maximum(high - low, 1e-9)
    u = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    v = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    U, V = np.meshgrid(u, v)
    grid = np.column_stack([U.ravel(), V.ravel()])
    classes = np.unique(y)
    predicted = np.asarray(model.predict(grid)).ravel()
    index = np.searchsorted(classes, predicted).clip(0, len(classes) - 1).reshape(U.shape)

    figure = new_figure(width=5.0, height=4.2)
    axes = figure.axes[0]
    from matplotlib.colors import ListedColormap

    colours = [f"C{k % 10}" for k in range(len(classes))]
    axes.contourf(
        U,
        V,
        index,
        levels=np.arange(len(classes) + 1) - 0.5,
        cmap=ListedColormap(colours),
        alpha=0.25,
    )
    for k, label in enumerate(classes):
        chosen = y == label
        axes.scatter(
            X[chosen, 0],
            X[chosen, 1],
            s=12,
            color=colours[k],
            edgecolor="white",
            linewidth=0.4,
            label=f"train {label}",
        )
    if X_dev is not None and y_dev is not None:
        X_dev, y_dev = np.asarray(X_dev, dtype=np.float64), np.asarray(y_dev).ravel()
        for k, label in enumerate(classes):
            chosen = y_dev == label
            axes.scatter(
                X_dev[chosen, 0],
                X_dev[chosen, 1],
                s=18,
                marker="x",
                color=colours[k],
                label=f"dev {label}",
            )
    axes.set(xlabel="x₁", ylabel="x₂", title="Decision boundary")
    axes.legend(fontsize="small", loc="best")
    return figure


def validation_curve(
    values: ArrayLike,
    dev_errors: ArrayLike,
    train_errors: ArrayLike | None = None,
    *,
    name: str = "λ",
    log: bool = True,
) -> Figure:
    """Dev (and train) error against one setting's ``values``; the best dev value marked.

    With ``log``, the axis is logarithmic and zeros are drawn at the left edge (symlog).
    """
    values = np.asarray(values, dtype=np.float64)
    dev = np.asarray(dev_errors, dtype=np.float64)
    if values.shape != dev.shape or values.ndim != 1:
        raise ValueError(
            f"values and dev_errors must be 1-D of the same length; got {values.shape} and "
            f"{dev.shape}"
        )
    order = np.argsort(values)
    figure = new_figure()
    axes = figure.axes[0]
    if train_errors is not None:
        train = np.asarray(train_errors, dtype=np.float64)
        axes.plot(values[order], train[order], marker="o", label="train error", color="C0")
    axes.plot(values[order], dev[order], marker="o", label="dev error", color="C3")
    if log:
        positive = values[values > 0]
        if np.any(values <= 0):
            threshold = positive.min() if positive.size else 1.0
            axes.set_xscale("symlog", linthresh=threshold)
        else:
            axes.set_xscale("log")
    best = int(np.nanargmin(dev))
    axes.axvline(
        values[best],
        color="0.4",
        linestyle="--",
        linewidth=1,
        label=f"best {name} = {values[best]:g}",
    )
    axes.set(xlabel=name, ylabel="error", title=f"Validation curve over {name}")
    axes.legend()
    return figure


def bias_variance_bars(diagnosis: Diagnosis) -> Figure:
    """Bars of the Bayes, train, train-dev, dev and test errors (those known)."""
    errors = {
        "Bayes": diagnosis.bayes_error,
        "train": diagnosis.train_error,
        "train-dev": diagnosis.train_dev_error,
        "dev": diagnosis.dev_error,
        "test": diagnosis.test_error,
    }
    known = {name: value for name, value in errors.items() if value is not None}
    figure = new_figure(width=5.0)
    axes = figure.axes[0]
    colours = {"Bayes": "0.6", "train": "C0", "train-dev": "C4", "dev": "C3", "test": "C2"}
    bars = axes.bar(list(known), list(known.values()), color=[colours[name] for name in known])
    axes.bar_label(bars, labels=[f"{100 * v:.1f}%" for v in known.values()], fontsize="small")
    axes.set(ylabel="error", title=f"Bias and variance: {diagnosis.verdict}")
    axes.set_ylim(0, max(max(known.values()) * 1.2, 0.01))
    return figure
