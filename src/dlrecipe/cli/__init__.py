"""The ``dlrecipe`` command: ``main(argv=None) -> int`` with exit codes 0 ok, 1 failure, 2 usage.

Each subcommand lives in its own module, which adds its parser and the function that runs it:
``run`` (run.py, the automated recipe), ``train`` (train.py, settings merged in config.py),
``evaluate`` and ``predict`` (evaluate.py), ``gradcheck`` (gradcheck.py), ``diagnose``
(diagnose.py), ``report`` and ``runs`` (report.py), and ``demo`` here. Errors print one line —
``dlrecipe train: error: …`` for a usage error (exit 2), ``dlrecipe: error: …`` for anything
that failed while running (exit 1) — and ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import NoReturn, TextIO

from .. import __version__
from ..demos import DEMOS
from . import diagnose, evaluate, gradcheck, report, run, train
from .common import UsageError

COMMANDS = (run, train, evaluate, gradcheck, diagnose, report)  # each adds its subcommand(s)


class Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (``--help`` still shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> tuple[Parser, dict[str, Parser]]:
    """The parser and, by name, the parser of each subcommand."""
    parser = Parser(
        prog="dlrecipe",
        description="The practical craft of training neural networks: a NumPy network in the "
        "textbook's notation, gradient checking that names the wrong parameter, and the recipe.",
    )
    parser.add_argument("--version", action="version", version=f"dlrecipe {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    # ``dlrecipe train … --debug`` works too; SUPPRESS keeps a subcommand from resetting it.
    common = Parser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parsers(commands, common)
    demo = commands.add_parser(
        "demo", parents=[common], help="run one of the textbook's experiments"
    )
    demo.add_argument("name", nargs="?", choices=sorted(DEMOS), metavar="NAME", help="demo to run")
    demo.add_argument("--list", action="store_true", help="list the demos and exit")
    where = demo.add_mutually_exclusive_group()
    where.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        help="the folder for the demo's report.html (default runs/demo-NAME)",
    )
    where.add_argument(
        "--no-report", action="store_true", help="print the numbers only; write no files"
    )
    demo.set_defaults(run=run_demo)
    return parser, dict(commands.choices)


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line ``argv``; write results to ``out`` and errors to ``err``."""
    out, err = out or sys.stdout, err or sys.stderr
    parser, subcommands = build_parser()
    try:  # argparse writes help and usage errors itself: point it at our streams
        with redirect_stdout(out), redirect_stderr(err):
            args, extra = parser.parse_known_args(argv)
            if extra:  # reported by the subcommand's parser, so the message names it
                (subcommands.get(args.command) or parser).error(
                    f"unrecognized arguments: {' '.join(extra)}"
                )
    except SystemExit as exit_:  # 2 on usage errors, 0 after --help and --version
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help(out)
        return 0
    try:
        return int(args.run(args, out, err))
    except UsageError as error:
        print(f"dlrecipe {args.command}: error: {error}", file=err)
        return 2
    except Exception as error:  # one line for people, the traceback with --debug
        if args.debug:
            raise
        print(f"dlrecipe: error: {one_line(error)}", file=err)
        return 1


def one_line(error: BaseException) -> str:
    """The error's message on one line (its type's name when it has none)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines) or type(error).__name__


def run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.list:
        for name, module in sorted(DEMOS.items()):
            print(f"{name:<14} {module.DESCRIPTION}", file=out)
        return 0
    if args.name is None:
        raise UsageError(
            f"name a demo, one of {', '.join(sorted(DEMOS))} (dlrecipe demo --list describes them)"
        )
    folder = None if args.no_report else (args.output or Path("runs") / f"demo-{args.name}")
    return DEMOS[args.name].run(out, folder=folder)
