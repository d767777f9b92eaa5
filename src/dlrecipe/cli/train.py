"""``dlrecipe train``: a network on a data set's train part, watched on dev, measured on test."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Any, TextIO

from ..data.split import Split, split
from ..report.run_report import write_run_report
from ..train.atomic import write_atomic
from ..train.callbacks import Callback
from ..train.early_stopping import EarlyStopping
from ..train.history import History
from ..train.loop import fit
from ..train.model import MLP
from ..train.progress import ProgressBar
from .common import UsageError, describe
from .config import TrainSettings, read_settings, resolve, to_toml
from .data import TrainingData, load_training_data, rebuild, write_record
from .tables import metrics_table
from .train_flags import DEFAULT_BATCH_SIZE, DESCRIPTION, EPILOG, add_arguments

SETTINGS_FILE = "train.toml"
WITH_RESUME = ("epochs", "no_progress")  # the only flags that may go with --resume


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "train",
        parents=[common],
        help="train a network on a data set",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.resume is not None:
        return resume(args, out, err)
    settings = resolve(vars(args), args.config)
    data = load_training_data(settings.data, settings.target, settings.task)
    try:
        parts = split(data.dataset.X, data.y, seed=settings.seed)
    except ValueError as error:
        numbers_as_classes = settings.task == "auto" and data.dataset.classes is None
        if numbers_as_classes and data.classes is not None:
            raise ValueError(
                f"{error} (the target's whole numbers were read as {len(data.classes)} classes; "
                "if they are values to predict, pass --task regression)"
            ) from None
        raise
    folder = Path(settings.out) if settings.out else default_folder(data.dataset.name)
    settings = dataclasses.replace(settings, data=data.source, target=data.target)
    return _train(
        settings,
        data,
        parts,
        folder,
        out,
        err,
        show=not args.no_progress,
        epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        optimizer=settings.optimizer,
        batch_size=_batch_size(settings.batch_size, len(parts.train.y)),
        schedule=settings.schedule,
        run_dir=folder,
        checkpoint_every=settings.checkpoint_every,
    )


def resume(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Continue the run in ``--resume DIR`` with its own settings and data."""
    others = [
        key
        for key, value in vars(args).items()
        if key not in (*WITH_RESUME, "resume", "command", "run", "debug") and value is not None
    ]
    if others:
        given = ", ".join(f"--{key.replace('_', '-')}" for key in others)
        raise UsageError(
            f"--resume continues a run with the settings in its {SETTINGS_FILE}; only --epochs "
            f"(to train longer) and --no-progress go with it, not {given}"
        )
    folder = Path(args.resume)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such run folder: {folder}")
    settings = read_settings(folder / SETTINGS_FILE)
    if args.epochs is not None:
        settings = dataclasses.replace(settings, epochs=args.epochs)
    data, parts = rebuild(folder)
    show = not args.no_progress
    return _train(
        settings, data, parts, folder, out, err, show=show, epochs=args.epochs, resume=folder
    )


def _train(
    settings: TrainSettings,
    data: TrainingData,
    parts: Split,
    folder: Path,
    out: TextIO,
    err: TextIO,
    *,
    show: bool,
    **options: Any,
) -> int:
    """Build the model, ``fit`` it with ``options`` on the train part, and report."""
    model = build_model(settings, data)
    callbacks = _callbacks(settings, folder, data, parts, err, show=show)
    began = time.perf_counter()
    try:
        history = fit(
            model, *parts.train, dev=parts.dev, callbacks=callbacks, progress=False, **options
        )
    except KeyboardInterrupt:
        resumable = (folder / "checkpoint.safetensors").exists()
        hint = f"; continue with dlrecipe train --resume {folder}" if resumable else ""
        print(f"dlrecipe: interrupted{hint}", file=err)
        return 130
    report(out, model, data, parts, history, time.perf_counter() - began, folder, settings.epochs)
    print(f"report: {write_run_report(folder)}", file=out)
    return 0


def build_model(settings: TrainSettings, data: TrainingData) -> MLP:
    """The network the settings describe, its input and output layers fitted to ``data``."""
    output, n_out = data.output_layer
    model = MLP(
        (data.dataset.X.shape[1], *settings.layers, n_out),
        hidden_activation=settings.hidden_activation,
        output_activation=output,
        init=settings.init,
        l2=settings.l2,
        l1=settings.l1,
        keep_prob=settings.keep_prob,
        seed=settings.seed,
        dtype=settings.dtype,
    )
    model.classes = data.classes
    return model


class RecordRun(Callback):
    """Writes data.json and train.toml into the run folder once ``fit`` has created it, so a
    failure before training starts leaves no folder behind."""

    def __init__(self, folder: Path, data: TrainingData, parts: Split, settings: TrainSettings):
        self.folder, self.data, self.parts, self.settings = folder, data, parts, settings

    def on_train_begin(self, model: MLP, history: History) -> None:
        write_record(self.folder, self.data, self.parts.sizes(), self.settings.seed)
        write_atomic(self.folder / SETTINGS_FILE, to_toml(self.settings).encode())


def _callbacks(
    settings: TrainSettings,
    folder: Path,
    data: TrainingData,
    parts: Split,
    err: TextIO,
    *,
    show: bool,
) -> list[Callback]:
    # The same order when resuming: a checkpoint restores callbacks' state by position.
    callbacks: list[Callback] = []
    if settings.early_stopping is not None:
        callbacks.append(EarlyStopping(**settings.early_stopping))
    callbacks.append(RecordRun(folder, data, parts, settings))
    if show and ProgressBar.wanted(err):
        callbacks.append(ProgressBar(total=settings.epochs, stream=err))
    return callbacks


def _batch_size(value: int | str | None, n_train: int) -> int | None:
    if value == "all":
        return None
    if value is None:
        return min(DEFAULT_BATCH_SIZE, n_train)
    assert isinstance(value, int)
    if value > n_train:
        raise UsageError(
            f"--batch-size {value} is larger than the {n_train} examples of the training set; "
            f"give at most {n_train}, or all for batch gradient descent"
        )
    return value


def default_folder(name: str) -> Path:
    """``runs/<name>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``, … if it exists."""
    base = Path("runs") / f"{Path(name).stem or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def report(
    out: TextIO,
    model: MLP,
    data: TrainingData,
    parts: Split,
    history: History,
    seconds: float,
    folder: Path,
    epochs: int,
) -> None:
    """The final table: the trained model measured on each part, and how training went."""
    results = {"train": model.evaluate(*parts.train), "dev": model.evaluate(*parts.dev)}
    if parts.test is not None:
        results["test"] = model.evaluate(*parts.test)
    sizes = ", ".join(f"{name} {n}" for name, n in parts.sizes().items())
    print(describe(model), file=out)
    print(f"data: {data.dataset.name} ({sizes})\n", file=out)
    print(metrics_table(results, classifier=model.is_classifier) + "\n", file=out)
    line = f"epochs run: {len(history)} of {epochs}"
    if history.stopped_epoch is not None:
        line += f"; early stopping stopped after epoch {history.stopped_epoch + 1}"
    if history.best_epoch is not None:
        line += f"; best dev epoch {history.best_epoch + 1} (its weights are kept)"
    print(line, file=out)
    print(f"time: {seconds:.2f} s", file=out)
    print(f"run folder: {folder}", file=out)
