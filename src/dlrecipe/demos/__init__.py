"""The textbook's experiments, runnable: ``dlrecipe demo NAME``.

Each demo module has ``DESCRIPTION``, ``TITLE``, ``compute(…)`` returning the numbers behind its
claims, ``sections(result)`` (the report's), and
``claims_hold(result)``, ``summary(result)`` and ``run(out, *, folder=None) -> int``: it
prints the summary to ``out``, writes ``folder/report.html`` with the figures when given a
folder (nothing otherwise), and returns 0 when the claims hold.
"""

from . import (
    bias_variance,
    dropout,
    early_stopping,
    gradcheck,
    init,
    normalization,
    regularization,
    split,
    vanishing,
)

# name -> the demo's module (DESCRIPTION, TITLE, compute, summary, claims_hold, sections, run)
DEMOS = {
    "init": init,
    "regularization": regularization,
    "dropout": dropout,
    "early-stopping": early_stopping,
    "gradcheck": gradcheck,
    "normalization": normalization,
    "vanishing": vanishing,
    "bias-variance": bias_variance,
    "split": split,
}

__all__ = ["DEMOS"]
