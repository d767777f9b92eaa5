"""Text tables for the terminal: the metrics of each part, per-class scores, a confusion matrix.

Computation stays out: the functions take numbers and return the lines to print.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns aligned: the first to the left, the others (numbers) to the right."""
    widths = [max(len(row[j]) for row in [header, *rows]) for j in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.6g}"


def metrics_table(results: Mapping[str, Mapping[str, float]], *, classifier: bool) -> str:
    """One row per part (``train``, ``dev``, …): cost, loss, error (and accuracy)."""
    header = ["", "cost", "loss", "error"] + (["accuracy"] if classifier else [])
    rows = []
    for name, result in results.items():
        row = [name] + [number(result[key]) for key in ("cost", "loss", "error")]
        if classifier:
            row.append(f"{100 * (1 - result['error']):.2f}%")
        rows.append(row)
    meaning = "the fraction misclassified" if classifier else "the mean squared error"
    return (
        table(header, rows)
        + f"\n(cost J includes the regularization penalty, loss does not; error is {meaning})"
    )


def class_table(scores: Mapping[str, np.ndarray], classes: Sequence[str]) -> str:
    """Precision, recall, F1 and support per class, then their (macro) averages."""
    header = ["class", "precision", "recall", "f1", "support"]
    rows = [
        [name]
        + [number(float(scores[key][k])) for key in ("precision", "recall", "f1")]
        + [str(int(scores["support"][k]))]
        for k, name in enumerate(classes)
    ]
    averages = [number(_mean(scores[key])) for key in ("precision", "recall", "f1")]
    rows.append(["macro average", *averages, str(int(scores["support"].sum()))])
    return table(header, rows)


def _mean(values: np.ndarray) -> float:
    """The mean of the values that are not NaN (NaN when none is)."""
    known = values[~np.isnan(values)]
    return float(known.mean()) if known.size else math.nan


def confusion_table(matrix: np.ndarray, classes: Sequence[str]) -> str:
    """Rows: the true class; columns: the predicted one."""
    header = ["true \\ predicted", *classes]
    rows = [[name, *(str(int(n)) for n in matrix[k])] for k, name in enumerate(classes)]
    return table(header, rows)
