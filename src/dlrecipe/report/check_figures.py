"""The figures of the network's checks: layer health, the initialization scan, gradient checking.

Built like every report figure (:func:`dlrecipe.report.figures.new_figure`: a matplotlib Figure
on an Agg canvas, matplotlib imported only when a figure is drawn).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..check.result import BUG_ABOVE, CORRECT_BELOW, LOOK_CLOSER_UP_TO
from .figures import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..check.result import GradientCheckResult
    from ..diagnosis.init_scan import InitScan
    from ..diagnosis.layers import LayerHealth


def layer_statistics(layer_health: LayerHealth) -> Figure:
    """Per layer: the activation std (left), and the signal and gradient norms (right)."""
    figure = new_figure(2, width=8.0)
    layers = [s.layer for s in layer_health.layers]
    panels = {  # title: (y label, the two series: a LayerStatistics field and its label)
        "Activations": ("std", (("A_std", "std of A[l]"), ("Z_std", "std of Z[l]"))),
        "Gradients": ("norm", (("signal_norm", "‖dZ[l]‖ / √m"), ("gradient_norm", "‖dW[l]‖"))),
    }
    for axes, (title, (ylabel, series)) in zip(figure.axes, panels.items(), strict=True):
        styles = (("o", "-"), ("s", "--"))
        for (name, label), (marker, linestyle) in zip(series, styles, strict=True):
            values = _finite([getattr(s, name) for s in layer_health.layers])
            axes.plot(layers, values, marker=marker, linestyle=linestyle, label=label)
        axes.set(xlabel="layer l", ylabel=ylabel, title=title, yscale="log")
        axes.legend()
    from matplotlib.ticker import MaxNLocator

    for axes in figure.axes:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.suptitle(f"Layer health: {layer_health.verdict}")
    return figure


def initialization_scan_plot(scan: InitScan) -> Figure:
    """Var(A[l]) by layer for each initialization scheme, on a log axis.

    Variances that overflowed (inf) are drawn at the top edge with a triangle, and zeros at the
    bottom edge, so an exploding or vanishing scheme stays visible.
    """
    figure = new_figure()
    axes = figure.axes[0]
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in scan.variances.values()])
    top = float(finite.max()) * 10 if finite.size else 1.0
    bottom = float(finite.min()) / 10 if finite.size else 1e-300
    for k, (scheme, variances) in enumerate(scan.variances.items()):
        layers = np.arange(1, len(variances) + 1)
        shown = np.where(np.isposinf(variances), top, variances)
        shown = np.where(shown <= 0, bottom, shown)
        shown = np.where(np.isnan(shown), np.nan, shown)
        colour = f"C{k % 10}"
        axes.plot(layers, shown, color=colour, label=f"{scheme}: {scan.verdicts[scheme]}")
        overflow = np.isposinf(variances)
        if overflow.any():
            axes.plot(layers[overflow], shown[overflow], "^", color=colour)
    axes.axhline(scan.input_variance, color="0.5", linestyle=":", linewidth=1, label="Var(input)")
    axes.set(
        xlabel="layer l",
        ylabel="Var(A[l])",
        yscale="log",
        title=f"Initialization scan ({scan.activation}, width {scan.width})",
    )
    axes.legend(fontsize="small")
    return figure


def gradient_check_plot(result: GradientCheckResult) -> Figure:
    """The difference of each parameter on a log axis, over the 1e-7/1e-5/1e-3 bands."""
    names = list(result.per_parameter)
    differences = np.array([result.per_parameter[n] for n in names], dtype=np.float64)
    floor = 1e-16
    shown = np.clip(np.nan_to_num(differences, nan=1.0, posinf=1.0), floor, None)
    figure = new_figure()
    axes = figure.axes[0]
    low = min(float(shown.min()) / 10, CORRECT_BELOW / 10)
    high = max(float(shown.max()) * 10, 1.0)
    bands = (
        (low, CORRECT_BELOW, "C2", "correct"),
        (CORRECT_BELOW, LOOK_CLOSER_UP_TO, "C8", "look closer"),
        (LOOK_CLOSER_UP_TO, BUG_ABOVE, "C1", "suspicious"),
        (BUG_ABOVE, high, "C3", "bug"),
    )
    for start, stop, colour, label in bands:
        axes.axhspan(start, stop, color=colour, alpha=0.15, label=label)
    axes.bar(names, shown, color="C0")
    axes.set_yscale("log")
    axes.set_ylim(low, high)
    axes.set(
        ylabel="relative difference",
        title=f"Gradient check: {result.verdict} ({result.difference:.2e})",
    )
    axes.legend(fontsize="small", loc="upper left")
    return figure


def _finite(values: Sequence[float]) -> np.ndarray:
    """NaN where a value is not finite and positive (a log axis cannot show it)."""
    array = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    return np.where(np.isfinite(array) & (array > 0), array, np.nan)
