"""``dlrecipe report`` (an HTML report of a run, or a comparison of runs) and ``dlrecipe runs``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from .common import UsageError
from .tables import table


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "report",
        parents=[common],
        help="write an HTML report of a run folder, or compare several",
        description="Write one self-contained HTML file: for one run folder, RUN_DIR/report.html "
        "(the final numbers, the diagnosis, the decision log, the curves and how to repeat the "
        "run); for several, a comparison (default comparison.html).",
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run folder(s)")
    parser.add_argument("--output", "-o", metavar="FILE", help="where to write the report")
    parser.set_defaults(run=run_report)
    runs = commands.add_parser(
        "runs",
        parents=[common],
        help="list the run folders under a folder (default runs/)",
        description="List the run folders under DIR, oldest first: data, network, epochs and "
        "the train, dev and test errors (test when known).",
    )
    runs.add_argument("directory", nargs="?", default="runs", metavar="DIR")
    runs.set_defaults(run=run_runs)


def run_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..report.compare import write_comparison
    from ..report.run_report import write_run_report

    for folder in args.run_dirs:
        if not Path(folder).is_dir():
            raise UsageError(f"{folder} is not a folder; name run folders of dlrecipe train/run")
    if len(args.run_dirs) == 1:
        path = write_run_report(args.run_dirs[0], output=args.output)
    else:
        path = write_comparison(args.run_dirs, args.output or "comparison.html")
    print(f"report: {path}", file=out)
    return 0


def run_runs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..report.compare import list_runs

    header, *rows = list_runs(args.directory)
    if not rows:
        print(f"no run folders under {args.directory}", file=out)
        return 0
    print(table(header, rows), file=out)
    return 0
