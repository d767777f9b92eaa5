"""The textbook's experiments, runnable: ``dlrecipe demo NAME``."""

from . import gradcheck

# name -> (one-line description, run(out) -> exit code)
DEMOS = {
    "gradcheck": (gradcheck.DESCRIPTION, gradcheck.run),
}

__all__ = ["DEMOS"]
