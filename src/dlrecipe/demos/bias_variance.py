"""Demo: the four textbook cases of bias and variance, and one with a high Bayes error.

Train/dev errors of 1%/11%, 15%/16%, 15%/30% and 0.5%/1% with Bayes error ≈ 0 read as high
variance, high bias, both, and fine; 15%/16% with a Bayes error of 15% (blurry images that
people also get wrong) is fine: no avoidable bias is left. :func:`dlrecipe.diagnose` gives
each verdict and the recipe's next steps.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from ..diagnosis import diagnose
from ..diagnosis.bias_variance import Diagnosis
from .common import Folder, percent, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = (
    "the four textbook bias/variance cases and a Bayes-error case, with the recipe's advice"
)
TITLE = "Bias and variance"
# label -> (train error, dev error, Bayes error, the textbook's verdict)
CASES = {
    "1% / 11%": (0.01, 0.11, 0.0, "high variance"),
    "15% / 16%": (0.15, 0.16, 0.0, "high bias"),
    "15% / 30%": (0.15, 0.30, 0.0, "high bias and high variance"),
    "0.5% / 1%": (0.005, 0.01, 0.0, "fine"),
    "15% / 16%, Bayes 15%": (0.15, 0.16, 0.15, "fine"),
}


def compute() -> dict[str, Diagnosis]:
    return {
        label: diagnose(train, dev, bayes_error=bayes)
        for label, (train, dev, bayes, _) in CASES.items()
    }


def summary(result: dict[str, Diagnosis]) -> str:
    rows = [["case", "train", "dev", "Bayes", "verdict", "first step"]]
    for label, d in result.items():
        rows.append(
            [
                label,
                percent(d.train_error),
                percent(d.dev_error),
                percent(d.bayes_error),
                d.verdict,
                d.next_steps[0],
            ]
        )
    return "Bias and variance of the textbook's cases:\n\n" + table(rows)


def claims_hold(result: dict[str, Diagnosis]) -> bool:
    return all(result[label].verdict == case[3] for label, case in CASES.items())


def sections(result: dict[str, Diagnosis]) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    return [Section("Summary", summary(result), preformatted=True)] + [
        Section(
            f"Train {label}",
            str(d),
            figures=[figures.bias_variance_bars(d)],
            preformatted=True,
        )
        for label, d in result.items()
    ]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
