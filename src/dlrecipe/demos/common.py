"""What the demos share: the report folder, timing, and small text helpers.

Every demo is a module with ``DESCRIPTION`` and ``run(out, *, folder=None) -> int``: it
computes its claims in a function that returns numbers, prints a summary to ``out`` and, when
given a ``folder``, writes ``folder/report.html`` with the figures. Without a folder nothing
is written (``dlrecipe demo NAME`` prints only), so running a demo never leaves files behind
unasked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..report.page import Section

Folder = str | os.PathLike[str] | None


def write_report(
    folder: Folder,
    out: TextIO,
    *,
    title: str,
    sections: Callable[[], list[Section]],
    subtitle: str = "",
) -> Path | None:
    """Write ``folder/report.html`` (None: nothing) and say where; ``sections`` is called only
    when a report is wanted, so matplotlib is imported only then."""
    if folder is None:
        return None
    from ..report.page import write_page  # matplotlib and the page: only for a report

    path = Path(folder) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    written = write_page(path, title=title, subtitle=subtitle, sections=sections())
    print(f"\nReport: {written}", file=out)
    return Path(written)


def present(demo: ModuleType, out: TextIO, folder: Folder) -> int:
    """Run ``demo``: print its summary, write its report when given a folder, and return 0
    when its claims hold (1 otherwise).

    ``demo`` is the demo's module, with ``TITLE``, ``DESCRIPTION``, ``compute()``,
    ``summary(result)``, ``claims_hold(result)`` and ``sections(result)``; they are looked up
    when it runs, so a test may replace ``compute`` with a stored result.
    """
    result = demo.compute()
    print(demo.summary(result), file=out)
    write_report(
        folder,
        out,
        title=demo.TITLE,
        subtitle=demo.DESCRIPTION,
        sections=lambda: demo.sections(result),
    )
    return 0 if demo.claims_hold(result) else 1


class Stopwatch:
    """``with watch.timing(): …`` adds the wall-clock seconds to ``watch.seconds``."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def timing(self) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - began


def percent(value: float) -> str:
    """0.9733 -> '97.3%'."""
    return f"{100 * value:.1f}%"


def table(rows: list[list[str]]) -> str:
    """Rows of cells as aligned text: the first column left-aligned, the others right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
