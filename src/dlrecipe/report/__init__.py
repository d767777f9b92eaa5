"""Figures and self-contained HTML reports; matplotlib is imported only when a figure is made.

``page``: :class:`Section` and :func:`write_page`, one HTML file with the figures inline.
``figures``: one function per plot of a training, each returning a matplotlib Figure;
``check_figures``: the same for layer health, the initialization scan and gradient checking.
``run_report``: the report of one run folder; ``compare``: several side by side, and the list.
``evidence``: what the report measures on the trained network: layer health, a gradient check,
the initialization scan, and the validation curves of the recipe's candidates.
"""

from .page import Section, write_page

__all__ = ["Section", "write_page"]
