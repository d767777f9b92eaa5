"""Demo: the size-aware train/dev/test split, from 1,000 to 100,000,000 examples.

Dev and test each get 20% of the data, at most 10,000 examples: 60/20/20 for small data,
98/1/1 at a million and 99.98/0.01/0.01 at a hundred million. The sizes come from the rule
in :mod:`dlrecipe.data.split` itself, computed without allocating the data.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from ..data.split import MAX_EVAL_SIZE, _sizes
from .common import Folder, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = "the size-aware train/dev/test split for 1,000 to 100,000,000 examples"
TITLE = "Train/dev/test split"
SIZES = (1_000, 10_000, 50_000, 100_000, 1_000_000, 10_000_000, 100_000_000)


def compute(sizes: tuple[int, ...] = SIZES) -> dict[int, tuple[int, int, int]]:
    """n -> (train, dev, test) by the default rule."""
    result = {}
    for n in sizes:
        n_dev, n_test, _ = _sizes(n, None, None, MAX_EVAL_SIZE)
        result[n] = (n - n_dev - n_test, n_dev, n_test)
    return result


def summary(result: dict[int, tuple[int, int, int]]) -> str:
    rows = [["examples", "train", "dev", "test", "train / dev / test"]]
    for n, (train, dev, test) in result.items():
        shares = " / ".join(f"{100 * part / n:.4g}" for part in (train, dev, test))
        rows.append([f"{n:,}", f"{train:,}", f"{dev:,}", f"{test:,}", shares])
    return "\n".join(
        [
            f"Dev and test get 20% each, at most {MAX_EVAL_SIZE:,}: enough to tell apart two "
            "models whose errors differ by about half a point; the rest goes to training.",
            "",
            table(rows),
        ]
    )


def claims_hold(result: dict[int, tuple[int, int, int]]) -> bool:
    return all(
        dev == test == min(round(0.2 * n), MAX_EVAL_SIZE) and train + dev + test == n
        for n, (train, dev, test) in result.items()
    )


def sections(result: dict[int, tuple[int, int, int]]) -> list[Section]:
    from ..report import figures
    from ..report.page import Section

    figure = figures.new_figure()
    axes = figure.axes[0]
    n = list(result)
    for k, part in enumerate(("train", "dev", "test")):
        axes.plot(n, [100 * result[size][k] / size for size in n], marker="o", label=part)
    axes.set(xscale="log", xlabel="examples", ylabel="% of the data", title="Split by data size")
    axes.legend()
    return [Section("Summary", summary(result), figures=[figure], preformatted=True)]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
