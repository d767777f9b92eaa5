"""One self-contained HTML page: sections of text, tables and figures, nothing fetched.

Figures are matplotlib figures rendered to inline SVG, so the page needs no network, no
external CSS or JavaScript, and prints as crisply as it shows. Every text that comes from
users or data goes through :func:`html.escape`. The CSS makes the page readable on a phone
(figures shrink to the screen's width, wide tables scroll) and when printed.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..train.atomic import write_atomic

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       background: #fff; margin: 0 auto; max-width: 60rem; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid #ddd; }
.subtitle { color: #555; margin: 0 0 1rem; }
p { margin: 0.5rem 0; }
pre { background: #f6f6f6; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap;
      word-break: break-word; font-size: 0.85rem; }
.table { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f0f0f0; }
figure { margin: 1rem 0; }
figure svg, figure img { display: block; max-width: 100%; height: auto; }
footer { color: #777; font-size: 0.8rem; margin-top: 2rem; }
@media (max-width: 40rem) { body { font-size: 15px; padding: 0.5rem; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  figure, table, pre { break-inside: avoid; }
  pre { white-space: pre-wrap; }
  .table { overflow: visible; }
}
"""


@dataclass
class Section:
    """One part of a page: a heading, then text, a table and figures, in that order.

    ``text`` is plain text (paragraphs separated by blank lines; kept verbatim, in a monospace
    block, when ``preformatted``). ``table`` is a list of rows of strings, the first row the
    header. ``figures`` are matplotlib figures; the page embeds and then closes them.
    """

    title: str
    text: str = ""
    figures: list[Any] = field(default_factory=list)
    table: list[list[str]] | None = None
    preformatted: bool = False


def write_page(
    path: str | os.PathLike[str], *, title: str, sections: Sequence[Section], subtitle: str = ""
) -> Path:
    """Write ``sections`` as one self-contained HTML file at ``path`` (atomically); return it."""
    path = Path(path)
    write_atomic(path, render_page(title=title, sections=sections, subtitle=subtitle).encode())
    return path


def render_page(*, title: str, sections: Sequence[Section], subtitle: str = "") -> str:
    """The HTML text :func:`write_page` writes."""
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(f'<p class="subtitle">{html.escape(subtitle)}</p>')
    parts.extend(_section_html(section) for section in sections)
    parts.append(f"<footer>Written by dlrecipe {html.escape(__version__)}, {made}.</footer>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _section_html(section: Section) -> str:
    parts = ["<section>", f"<h2>{html.escape(section.title)}</h2>"]
    if section.text and section.preformatted:
        parts.append(f"<pre>{html.escape(section.text)}</pre>")
    elif section.text:
        for paragraph in re.split(r"\n\s*\n", section.text.strip()):
            parts.append(f"<p>{html.escape(paragraph)}</p>")
    if section.table:
        parts.append(_table_html(section.table))
    for figure in section.figures:
        parts.append(f"<figure>{figure_svg(figure)}</figure>")
    parts.append("</section>")
    return "\n".join(parts)


def _table_html(rows: Sequence[Sequence[str]]) -> str:
    header, *body = rows
    head = "".join(f"<th>{html.escape(str(cell))}</th>" for cell in header)
    lines = [f"<tr>{head}</tr>"]
    for row in body:
        lines.append(
            "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        )
    return '<div class="table"><table>\n' + "\n".join(lines) + "\n</table></div>"


def figure_svg(figure: Any) -> str:
    """``figure`` (a matplotlib Figure) as an inline ``<svg>`` element; the figure is closed.

    Text stays text (``svg.fonttype = "none"``): smaller files, and no glyph definitions whose
    ids would clash between the figures of one page.
    """
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    close_figure(figure)
    svg = buffer.getvalue()
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("matplotlib wrote no <svg> element; is the figure empty?")
    return svg[start:].replace("<svg", '<svg role="img"', 1)


def close_figure(figure: Any) -> None:
    """Forget ``figure`` in pyplot's registry, if it is there (figures made here are not)."""
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)
