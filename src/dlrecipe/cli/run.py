"""``dlrecipe run``: the basic recipe, applied to a data set within a time budget."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any, TextIO

from ..diagnosis.candidates import default_jobs
from ..diagnosis.recipe import RecipeResult, run_recipe
from ..report.run_report import write_run_report
from ..train.atomic import remove_stale_temporaries, write_atomic
from ..train.files import save_model
from ..train.history import History
from .common import UsageError
from .data import TrainingData, load_training_data, write_record
from .diagnose import error_value
from .train import default_folder

DEFAULT_DATA = "spiral"
DEFAULT_OPTIONS = {"n_samples": 1500}  # the built-in default: three spiral arms, 1,500 points
DEFAULT_BUDGET = "5m"


def duration(text: str) -> float:
    """``"5m"`` → 300, ``"40s"`` → 40, ``"1h"`` → 3600, ``"90"`` → 90 seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match[1]) <= 0:
        raise argparse.ArgumentTypeError(
            f"a budget is a time such as 40s, 5m or 1h (seconds without a unit); got {text!r}"
        )
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {text!r}")
    return int(text)


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "run",
        parents=[common],
        help="apply the basic recipe to a data set and report every decision",
        description="Split the data by the size rule, check dev against test, gradient-check a "
        "small network, then fix bias (bigger network, longer training, Adam) and variance (L2, "
        "dropout, augmentation, early stopping), re-diagnosing after each step, and measure "
        "the chosen network on the test set once. Writes a run folder with the model, the "
        f"decision log and a summary. Without --data: {DEFAULT_DATA} "
        f"({DEFAULT_OPTIONS['n_samples']:,} points).",
    )
    parser.add_argument(
        "--data", metavar="NAME|PATH", help="a data-set name or a .csv/.npz file or image folder"
    )
    parser.add_argument("--target", metavar="COL", help="the target column of a CSV file")
    parser.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        default="auto",
        help="what the target is (default auto: text and whole numbers are classes)",
    )
    parser.add_argument(
        "--bayes-error",
        type=error_value,
        metavar="E",
        help="the best error possible, e.g. human-level (0.05 or 5%%); default: assumed 0",
    )
    parser.add_argument(
        "--budget",
        type=duration,
        default=duration(DEFAULT_BUDGET),
        metavar="TIME",
        help=f"wall-clock time for the whole recipe, e.g. 40s, 5m (default {DEFAULT_BUDGET})",
    )
    parser.add_argument("--seed", type=int, default=0, help="the split's and the networks' seed")
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        metavar="N",
        help="candidate trainings run in parallel (default: the machine's cores)",
    )
    parser.add_argument("--out", metavar="DIR", help="the run folder (default runs/<data>-<time>)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.target is not None and args.data is None:
        raise UsageError("--target names a column of a CSV file given with --data")
    folder = Path(args.out) if args.out else None
    if folder is not None and (folder / "model.safetensors").exists():
        raise UsageError(f"{folder} already holds a model; choose another --out folder")
    source = args.data or DEFAULT_DATA
    options = DEFAULT_OPTIONS if args.data is None else None
    data = load_training_data(source, args.target, args.task, options)
    activation, n_outputs = data.output_layer
    jobs = args.jobs or default_jobs()
    print(
        f"dlrecipe run: {data.dataset.name}, {len(data.y):,} examples, "
        f"{data.dataset.X.shape[1]} features; budget {args.budget:g} s, {jobs} jobs",
        file=out,
    )

    def say(line: str) -> None:
        print(f"  {line}", file=out, flush=True)

    result = run_recipe(
        data.dataset.X,
        data.y,
        output_activation=activation,
        n_outputs=n_outputs,
        image_shape=data.dataset.image_shape,
        bayes_error=args.bayes_error,
        budget=args.budget,
        seed=args.seed,
        jobs=jobs,
        say=say,
    )
    result.model.classes = data.classes
    folder = folder or default_folder(data.dataset.name)
    write_run(folder, result, data, args)
    write_run_report(folder)
    print("\n" + result.log.to_text(), file=out)
    print(result.summary(), file=out)
    print(f"run folder: {folder} (report: {folder / 'report.html'})", file=out)
    return 0


def write_run(
    folder: Path, result: RecipeResult, data: TrainingData, args: argparse.Namespace
) -> None:
    """The run folder (each file written atomically), readable by ``evaluate`` and ``diagnose``.

    ``model.safetensors`` is written last: a folder holding it is complete, and a folder
    without it (a run killed while writing) is one that ``dlrecipe run`` may write again.
    """
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)  # from a run killed while writing a file
    candidate = result.outcome.candidate
    training = {
        "epochs": candidate.epochs,
        "learning_rate": candidate.learning_rate,
        "optimizer": {"name": candidate.optimizer},
        "batch_size": candidate.batch_size,
        "normalize": True,
        "early_stopping": candidate.early_stopping,
        "augment": candidate.augment,
    }
    recipe = {
        "budget": args.budget,
        "seed": args.seed,
        "bayes_error": args.bayes_error,
        "jobs": args.jobs,
        "seconds": round(result.seconds, 3),
    }
    config = {
        "training": training,
        "recipe": recipe,
        "model": result.model.spec.to_config(),
        "dtype": result.model.dtype.name,
    }
    write_atomic(folder / "config.json", (json.dumps(config, indent=2) + "\n").encode())
    write_record(folder, data, result.sizes, result.split_seed)
    history = History.from_state(result.outcome.history)
    write_atomic(folder / "history.csv", history.to_csv().encode())
    write_atomic(folder / "decisions.json", result.log.to_json().encode())
    write_atomic(folder / "decisions.txt", result.log.to_text().encode())
    summary = {
        "test": result.test,
        "train": result.outcome.train,
        "dev": result.outcome.dev,
        "diagnosis": result.diagnosis.to_dict(),
        "sizes": result.sizes,
        "network": candidate.describe(),
    }
    write_atomic(folder / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
    save_model(result.model, folder / "model.safetensors", training=training)
