"""The textbook's experiments, runnable: ``dlrecipe demo NAME``."""

from . import gradcheck, normalization

# name -> (one-line description, run(out) -> exit code)
DEMOS = {
    "gradcheck": (gradcheck.DESCRIPTION, gradcheck.run),
    "normalization": (normalization.DESCRIPTION, normalization.run),
}

__all__ = ["DEMOS"]
