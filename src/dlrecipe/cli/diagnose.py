"""``dlrecipe diagnose``: bias, variance and what to do next, from errors or a run folder.

Given a run folder, the errors are measured: the run's data and split are rebuilt from its
data.json and its model evaluated on each part. A regression model's errors are mean squared
errors; they are divided by the variance of the training targets (the fraction of variance
unexplained, 1 − R²), so that the rule's 2-point tolerance means 2% of that variance.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..diagnosis.bias_variance import Diagnosis, diagnose
from .common import UsageError, describe, open_model
from .data import rebuild
from .tables import metrics_table

MEASURED = ("train_error", "dev_error", "train_dev_error", "test_error")


def error_value(text: str) -> float:
    """``"0.11"`` or ``"11%"`` -> 0.11; a finite number >= 0 (above 1 for regression errors)."""
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(
            f"expected an error such as 0.11 or 11% (finite, >= 0); got {text!r}"
        )
    return value / 100 if percent else value


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "diagnose",
        parents=[common],
        help="bias or variance? the recipe's next step",
        description="Compare the errors with each other and with Bayes error: avoidable bias "
        "(train − Bayes), variance (dev − train, or train-dev − train), data mismatch "
        "(dev − train-dev) and over-fitting to dev (test − dev); say which is high and what "
        "to try next. Give the errors with --train-error and --dev-error (fractions, 0.11, or "
        "percentages, 11%), or name a run folder of dlrecipe train to measure them on its "
        "parts (a regression's mean squared errors are divided by the variance of the "
        "training targets).",
    )
    parser.add_argument(
        "run_dir", nargs="?", metavar="RUN_DIR", help="a run folder of dlrecipe train"
    )
    for flag, what in (
        ("--train-error", "the training-set error"),
        ("--dev-error", "the dev-set error"),
        ("--train-dev-error", "the error on held-out training-distribution data"),
        ("--test-error", "the test-set error"),
    ):
        parser.add_argument(flag, type=error_value, metavar="E", help=what)
    parser.add_argument(
        "--bayes-error",
        type=error_value,
        metavar="E",
        help="the best error possible, e.g. human-level error (default: assumed 0); for a "
        "regression run, as a fraction of the variance of the targets",
    )
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    given = [name for name in MEASURED if getattr(args, name) is not None]
    if args.run_dir is not None:
        if given:
            raise UsageError(
                f"{args.run_dir} is measured on its own parts; give a run folder or "
                f"--{given[0].replace('_', '-')}, not both"
            )
        diagnosis = _measure(Path(args.run_dir), args.bayes_error, None if args.json else out)
    else:
        missing = [f"--{n.replace('_', '-')}" for n in MEASURED[:2] if n not in given]
        if missing:
            raise UsageError(
                f"give {' and '.join(missing)} (e.g. --train-error 1% --dev-error 11%), "
                "or a run folder to measure them on"
            )
        diagnosis = diagnose(
            args.train_error,
            args.dev_error,
            bayes_error=args.bayes_error,
            train_dev_error=args.train_dev_error,
            test_error=args.test_error,
        )
    print(json.dumps(diagnosis.to_dict(), indent=2) if args.json else diagnosis, file=out)
    return 0


def _measure(folder: Path, bayes_error: float | None, out: TextIO | None) -> Diagnosis:
    """The diagnosis of the run in ``folder``, its measurements printed to ``out``."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            f"{folder} is a file; name the run folder of dlrecipe train (its data.json "
            "rebuilds the split)"
        )
    if not folder.exists():
        raise ValueError(f"there is no run folder {folder}")
    model, _ = open_model(str(folder))
    data, parts = rebuild(folder)
    named = {"train": parts.train, "dev": parts.dev, "test": parts.test}
    results = {name: model.evaluate(*part) for name, part in named.items() if part is not None}
    sizes = {name: len(part.y) for name, part in named.items() if part is not None}
    scale, say = 1.0, ""
    if not model.is_classifier:
        Y = parts.train.y.reshape(len(parts.train.y), -1)
        scale = float(np.mean(np.sum((Y - Y.mean(axis=0)) ** 2, axis=1)))
        if not scale > 0:
            raise ValueError(
                f"the training targets of {folder} are all equal: their variance is 0, so "
                "the mean squared errors cannot be read as fractions of it"
            )
        say = (
            f"errors are mean squared errors divided by the variance of the training targets "
            f"({scale:.6g}): the fraction of variance unexplained, 1 − R²; the tolerance of 2 "
            "points is 2% of that variance"
        )
    errors = {name: result["error"] / scale for name, result in results.items()}
    if out is not None:
        counts = ", ".join(f"{name} {n}" for name, n in parts.sizes().items())
        print(describe(model), file=out)
        print(f"data: {data.dataset.name} ({counts}), as in {folder / 'data.json'}\n", file=out)
        print(metrics_table(results, classifier=model.is_classifier) + "\n", file=out)
    diagnosis = diagnose(
        errors["train"],
        errors["dev"],
        bayes_error=bayes_error,
        test_error=errors.get("test"),
        sizes=None if say else sizes,  # binomial standard errors are for error rates
    )
    return replace(diagnosis, notes=(*diagnosis.notes, say)) if say else diagnosis
