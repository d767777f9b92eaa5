"""The ``dlrecipe`` command: ``main(argv=None) -> int`` with exit codes 0 ok, 1 failure, 2 usage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import TextIO

from . import __version__
from .demos import DEMOS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlrecipe",
        description="The practical craft of training neural networks: a NumPy network in the "
        "textbook's notation, gradient checking that names the wrong parameter, and the recipe.",
    )
    parser.add_argument("--version", action="version", version=f"dlrecipe {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="run one of the textbook's experiments")
    demo.add_argument("name", nargs="?", choices=sorted(DEMOS), metavar="NAME", help="demo to run")
    demo.add_argument("--list", action="store_true", help="list the demos and exit")
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line ``argv``; write results to ``out`` and errors to ``err``."""
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:  # argparse writes help and usage errors itself: point it at our streams
        with redirect_stdout(out), redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exit_:  # 2 on usage errors, 0 after --help and --version
        return int(exit_.code or 0)
    try:
        if args.command == "demo":
            return _demo(args, out, err)
        parser.print_help(out)
        return 0
    except Exception as error:  # one line for people, the traceback with --debug
        if args.debug:
            raise
        print(f"dlrecipe: error: {error}", file=err)
        return 1


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.list:
        for name, (description, _) in sorted(DEMOS.items()):
            print(f"{name:<12} {description}", file=out)
        return 0
    if args.name is None:
        print(
            f"dlrecipe demo: error: name a demo, one of {', '.join(sorted(DEMOS))} "
            "(dlrecipe demo --list describes them)",
            file=err,
        )
        return 2
    _, run = DEMOS[args.name]
    return run(out)
