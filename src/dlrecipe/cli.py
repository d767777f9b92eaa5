"""The ``dlrecipe`` command: ``main(argv=None) -> int`` with exit codes 0 ok, 1 failure, 2 usage."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
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


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 after --help/--version
        return int(exit_.code or 0)
    try:
        if args.command == "demo":
            return _demo(args, parser, out)
        parser.print_help(out)
        return 0
    except Exception as error:  # one line for people, the traceback with --debug
        if args.debug:
            raise
        print(f"dlrecipe: error: {error}", file=sys.stderr)
        return 1


def _demo(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO) -> int:
    if args.list or args.name is None:
        for name, (description, _) in sorted(DEMOS.items()):
            print(f"{name:<12} {description}", file=out)
        return 0 if args.list else 2
    _, run = DEMOS[args.name]
    return run(out)
