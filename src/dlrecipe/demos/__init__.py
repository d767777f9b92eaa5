"""The textbook's experiments, runnable: ``dlrecipe demo NAME``.

Each demo module has ``DESCRIPTION``, ``compute(…)`` returning the numbers behind its claims,
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

# name -> (one-line description, run(out, *, folder=None) -> exit code)
DEMOS = {
    "init": (init.DESCRIPTION, init.run),
    "regularization": (regularization.DESCRIPTION, regularization.run),
    "dropout": (dropout.DESCRIPTION, dropout.run),
    "early-stopping": (early_stopping.DESCRIPTION, early_stopping.run),
    "gradcheck": (gradcheck.DESCRIPTION, gradcheck.run),
    "normalization": (normalization.DESCRIPTION, normalization.run),
    "vanishing": (vanishing.DESCRIPTION, vanishing.run),
    "bias-variance": (bias_variance.DESCRIPTION, bias_variance.run),
    "split": (split.DESCRIPTION, split.run),
}

__all__ = ["DEMOS"]
