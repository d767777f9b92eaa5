"""Demo: why inverted dropout divides by keep_prob — the expectation argument, measured.

Dropout keeps each unit with probability ``keep_prob`` (a mask D of 0s and 1s). Multiplying
by D alone shrinks the expected activation to ``keep_prob · a``, and with it the next layer's
``Z = W a + b``; at prediction time, with dropout off, the next layer would then see inputs
larger than in training. Inverted dropout divides the survivors by ``keep_prob``:
``E[a · D / keep_prob] = a``, so training and prediction see the same expected activations
and nothing is rescaled at prediction time. Averaged here over many masks drawn by
:func:`dlrecipe.nn.regularization.dropout_mask`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from ..nn.regularization import dropout_mask
from .common import Folder, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = "the mean activation over many dropout masks, with and without dividing by keep_prob"
TITLE = "Inverted dropout: the expectation argument"
KEEP_PROBS = (0.5, 0.8, 0.9)


@dataclass(frozen=True)
class Expectation:
    """For one keep_prob: the mean activation of a layer without dropout, and averaged over
    ``n_masks`` masks with plain dropout (× D) and inverted dropout (× D / keep_prob), each
    with its standard error; the kept fraction; and the same for one unit of the next layer's Z.
    """

    keep_prob: float
    n_units: int
    n_masks: int
    kept_fraction: float
    mean: float  # mean of a over the units, no dropout
    plain: float  # mean of a · D over units and masks
    plain_se: float
    inverted: float  # mean of a · D / keep_prob
    inverted_se: float
    z: float  # the next layer's z = w · a without dropout
    z_plain: float  # its mean over masks with plain dropout
    z_inverted: float  # … and with inverted dropout
    running_plain: np.ndarray  # (n_masks,): the mean after 1, 2, … masks
    running_inverted: np.ndarray


def compute(
    *,
    keep_probs: tuple[float, ...] = KEEP_PROBS,
    n_units: int = 100,
    n_masks: int = 20_000,
    seed: int = 0,
) -> list[Expectation]:
    """Draw one ReLU layer's activations ``a`` (n_units,) and weights of a next unit, then
    ``n_masks`` dropout masks for each keep_prob."""
    rng = np.random.default_rng(seed)
    a = np.maximum(rng.normal(1.0, 1.0, n_units), 0.0)  # a ReLU layer's output
    w = rng.normal(0.0, np.sqrt(2 / n_units), n_units) + 0.1  # one unit of the next layer
    results = []
    for keep_prob in keep_probs:
        scaled = dropout_mask((n_units, n_masks), keep_prob, rng, np.float64)  # D / keep_prob
        D = scaled * keep_prob
        per_mask_plain = (a[:, None] * D).mean(axis=0)  # (n_masks,)
        per_mask_inverted = (a[:, None] * scaled).mean(axis=0)
        counts = np.arange(1, n_masks + 1)
        results.append(
            Expectation(
                keep_prob=keep_prob,
                n_units=n_units,
                n_masks=n_masks,
                kept_fraction=float(D.mean()),
                mean=float(a.mean()),
                plain=float(per_mask_plain.mean()),
                plain_se=float(per_mask_plain.std() / np.sqrt(n_masks)),
                inverted=float(per_mask_inverted.mean()),
                inverted_se=float(per_mask_inverted.std() / np.sqrt(n_masks)),
                z=float(w @ a),
                z_plain=float((w @ (a[:, None] * D)).mean()),
                z_inverted=float((w @ (a[:, None] * scaled)).mean()),
                running_plain=np.cumsum(per_mask_plain) / counts,
                running_inverted=np.cumsum(per_mask_inverted) / counts,
            )
        )
    return results


def summary(results: list[Expectation]) -> str:
    rows = [
        [
            "keep_prob",
            "kept",
            "mean a",
            "mean a·D",
            "mean a·D/keep_prob",
            "z",
            "z plain",
            "z inverted",
        ]
    ]
    for e in results:
        rows.append(
            [
                f"{e.keep_prob:g}",
                f"{e.kept_fraction:.3f}",
                f"{e.mean:.4f}",
                f"{e.plain:.4f} ± {e.plain_se:.4f}",
                f"{e.inverted:.4f} ± {e.inverted_se:.4f}",
                f"{e.z:.3f}",
                f"{e.z_plain:.3f}",
                f"{e.z_inverted:.3f}",
            ]
        )
    return "\n".join(
        [
            f"A layer of {results[0].n_units} ReLU activations a, averaged over "
            f"{results[0].n_masks:,} dropout masks D for each keep_prob (± one standard "
            "error); z = w·a is one unit of the next layer:",
            "",
            table(rows),
            "",
            "Plain dropout scales the expected activation, and the next layer's z, by keep_prob; "
            "dividing by keep_prob (inverted dropout) restores the expectation, so prediction "
            "without dropout needs no rescaling.",
        ]
    )


def claims_hold(results: list[Expectation]) -> bool:
    """Within 5 standard errors: inverted dropout keeps the mean, plain dropout scales it."""
    return all(
        abs(e.inverted - e.mean) < 5 * e.inverted_se
        and abs(e.plain - e.keep_prob * e.mean) < 5 * e.plain_se
        and abs(e.kept_fraction - e.keep_prob) < 0.01
        for e in results
    )


def sections(results: list[Expectation]) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    figure = figures.new_figure()
    axes = figure.axes[0]
    for k, e in enumerate(results):
        counts = np.arange(1, e.n_masks + 1)
        colour = f"C{k}"
        axes.plot(
            counts,
            e.running_inverted / e.mean,
            color=colour,
            label=f"keep_prob {e.keep_prob:g}: ÷ keep_prob",
        )
        axes.plot(
            counts,
            e.running_plain / e.mean,
            color=colour,
            linestyle="--",
            label=f"keep_prob {e.keep_prob:g}: × D only",
        )
    axes.axhline(1.0, color="0.4", linewidth=1, linestyle=":")
    axes.set(
        xscale="log",
        xlabel="masks averaged",
        ylabel="mean activation / mean without dropout",
        title="The expectation of dropout",
    )
    axes.legend(fontsize="small")
    return [
        Section("Summary", summary(results), preformatted=True),
        Section(
            "The running mean over masks",
            "Relative to the activation without dropout: inverted dropout converges to 1, plain "
            "dropout to keep_prob.",
            figures=[figure],
        ),
    ]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
