"""The report of a run folder (comparing runs and listing them: :mod:`.compare`).

A run folder of ``dlrecipe train`` or ``dlrecipe run`` holds ``config.json``, ``data.json``,
``history.csv`` and ``model.safetensors`` (plus ``train.toml`` from ``train``, and
``summary.json`` and ``decisions.txt`` from ``run``). The report shows the final numbers (those
in ``summary.json``, else measured on the run's rebuilt split), the diagnosis, the decision log,
the figures and how to repeat the run.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnosis.bias_variance import Diagnosis, diagnose
from ..train.history import History
from . import evidence, figures
from .page import Section, write_page

REPORT = "report.html"
PARTS = ("train", "dev", "test")


@dataclass
class Run:
    """What a run folder holds, read once: settings, numbers, history, diagnosis."""

    folder: Path
    config: dict[str, Any]
    data: dict[str, Any]
    settings_text: str | None  # train.toml
    decisions_text: str | None  # decisions.txt
    history: History
    results: dict[str, dict[str, float]]  # part -> {"cost", "loss", "error"}
    diagnosis: Diagnosis | None
    measured: bool  # the numbers were measured here (no summary.json)
    network: str
    classifier: bool
    model: Any = field(default=None, repr=False)
    parts: Any = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "dlrecipe run" if (self.folder / "summary.json").exists() else "dlrecipe train"

    @property
    def time(self) -> float:
        """When training finished (the model file's time; the folder's without one)."""
        model = self.folder / "model.safetensors"
        return (model if model.exists() else self.folder).stat().st_mtime


def read_run(run_dir: str | os.PathLike[str], *, measure: bool = True) -> Run:
    """The run in ``run_dir``; with ``measure``, numbers missing from summary.json are measured
    by evaluating the model on the split that data.json rebuilds."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"no such run folder: {folder}")
    if not (folder / "config.json").exists():
        raise ValueError(
            f"{folder} has no config.json: it is not a run folder of dlrecipe train or run"
        )
    config = _json(folder / "config.json")
    data = _json(folder / "data.json") if (folder / "data.json").exists() else {}
    summary = _json(folder / "summary.json") if (folder / "summary.json").exists() else None
    spec = config.get("model", {})
    sizes = spec.get("layer_sizes", [])
    network = "-".join(str(n) for n in sizes) or "?"
    if spec.get("hidden_activation") and len(sizes) > 2:
        network += f" {spec['hidden_activation']}"
    classifier = data.get("classes") is not None if data else True
    run = Run(
        folder=folder,
        config=config,
        data=data,
        settings_text=_text(folder / "train.toml"),
        decisions_text=_text(folder / "decisions.txt"),
        history=read_history(folder),
        results={},
        diagnosis=None,
        measured=False,
        network=network,
        classifier=classifier,
    )
    if summary is not None:
        run.results = {p: dict(summary[p]) for p in PARTS if isinstance(summary.get(p), dict)}
        run.diagnosis = _diagnosis_from(summary.get("diagnosis"))
        run.network = summary.get("network", network)
    if measure and (folder / "model.safetensors").exists() and data:
        _measure(run, numbers=summary is None)
    return run


def _measure(run: Run, *, numbers: bool) -> None:
    """Load the model and rebuild the split; measure train/dev/test when ``numbers``."""
    from ..train.files import load_model
    from ..train.record import rebuild

    run.model = load_model(run.folder / "model.safetensors")
    _, run.parts = rebuild(run.folder)
    run.classifier = bool(run.model.is_classifier)
    if not numbers:
        return
    named = {"train": run.parts.train, "dev": run.parts.dev, "test": run.parts.test}
    run.results = {
        name: {k: float(v) for k, v in run.model.evaluate(*part).items()}
        for name, part in named.items()
        if part is not None
    }
    run.measured = True
    if run.classifier:  # error rates: the binomial standard errors apply
        run.diagnosis = diagnose(
            run.results["train"]["error"],
            run.results["dev"]["error"],
            test_error=run.results.get("test", {}).get("error"),
            sizes={n: len(p.y) for n, p in named.items() if p is not None},
        )


def _diagnosis_from(state: Mapping[str, Any] | None) -> Diagnosis | None:
    """summary.json's diagnosis, diagnosed again from its numbers (the same rule)."""
    if not state:
        return None
    return diagnose(
        state["train_error"],
        state["dev_error"],
        bayes_error=None if state.get("bayes_assumed") else state.get("bayes_error"),
        train_dev_error=state.get("train_dev_error"),
        test_error=state.get("test_error"),
        sizes=state.get("sizes"),
    )


def read_history(folder: Path) -> History:
    """history.csv (its epochs count from 1), with early stopping's best and stop epochs
    from the checkpoint when there is one."""
    history = History()
    path = folder / "history.csv"
    if path.exists():
        with path.open(newline="", encoding="utf-8") as file:
            for row in csv.DictReader(file):
                epoch = int(row.pop("epoch")) - 1
                history.append(epoch, {k: float(v) for k, v in row.items() if v not in ("", None)})
    checkpoint = folder / "checkpoint.safetensors"
    if checkpoint.exists():
        from ..train.checkpoint import Checkpoint

        try:
            state = Checkpoint.load(checkpoint).history
            history.best_epoch = state.get("best_epoch")
            history.stopped_epoch = state.get("stopped_epoch")
        except (OSError, ValueError, KeyError):
            pass  # a damaged checkpoint: the report still shows the curves
    return history


def write_run_report(
    run_dir: str | os.PathLike[str], *, output: str | os.PathLike[str] | None = None
) -> Path:
    """Write ``run_dir/report.html`` (or ``output``) and return its path."""
    run = read_run(run_dir)
    sections = [
        Section("Final numbers", text=_numbers_note(run), table=numbers_table(run)),
        *_diagnosis_sections(run),
    ]
    if run.decisions_text:
        sections.append(Section("Decision log", text=run.decisions_text, preformatted=True))
    sections.append(Section("Training curves", figures=_curves(run)))
    boundary = _boundary(run)
    if boundary is not None:
        sections.append(Section("Decision boundary", figures=[boundary]))
    sections += evidence.validation_sections(_decisions(run.folder))
    if run.model is not None and run.parts is not None:
        sections += evidence.network_sections(run.model, *run.parts.train)
    sections.append(Section("Reproduce this run", text=reproduce(run), preformatted=True))
    name = run.data.get("name", "?")
    subtitle = f"{run.kind}: {name} data, {run.network} network, {len(run.history)} epochs"
    return write_page(
        output or run.folder / REPORT,
        title=f"Run {run.folder.name}",
        sections=sections,
        subtitle=subtitle,
    )


def numbers_table(run: Run) -> list[list[str]]:
    """One row per part: cost, loss, error (and accuracy), formatted as the CLI prints them."""
    header = ["part", "cost", "loss", "error"] + (["accuracy"] if run.classifier else [])
    sizes = run.data.get("split", {}).get("sizes", {})
    rows = [header]
    for name, result in run.results.items():
        label = f"{name} ({sizes[name]:,})" if name in sizes else name
        row = [label] + [_number(float(result.get(k, math.nan))) for k in ("cost", "loss", "error")]
        if run.classifier:
            row.append(f"{100 * (1 - result['error']):.2f}%")
        rows.append(row)
    return rows


def _number(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.6g}"


def _numbers_note(run: Run) -> str:
    where = (
        "measured on the split rebuilt from data.json"
        if run.measured
        else "as recorded in summary.json"
    )
    meaning = "the fraction misclassified" if run.classifier else "the mean squared error"
    return f"The trained model, {where}. Error is {meaning}; cost J includes the penalty."


def _diagnosis_sections(run: Run) -> list[Section]:
    if run.diagnosis is None:
        return []
    return [
        Section(
            f"Diagnosis: {run.diagnosis.verdict}",
            text=str(run.diagnosis),
            preformatted=True,
            figures=[figures.bias_variance_bars(run.diagnosis)],
        )
    ]


def _curves(run: Run) -> list[Any]:
    if not len(run.history):
        return []
    return [figures.cost_curve(run.history), figures.error_curves(run.history)]


def _boundary(run: Run) -> Any:
    if run.model is None or run.parts is None or not run.classifier:
        return None
    if run.parts.train.X.shape[1] != 2:
        return None
    return figures.decision_boundary(run.model, *run.parts.train, *run.parts.dev)


def reproduce(run: Run) -> str:
    """The command (and settings) that repeat the run."""
    folder = shlex.quote(str(run.folder))
    lines = []
    if run.settings_text is not None:
        lines += [
            f"dlrecipe train --config {folder}/train.toml --out NEW_FOLDER",
            "",
            "train.toml:",
            run.settings_text.rstrip(),
        ]
    else:
        command = ["dlrecipe", "run"]
        source, options = run.data.get("source"), run.data.get("options")
        if source and not (source == "spiral" and options == {"n_samples": 1500}):
            command += ["--data", str(source)]  # dlrecipe run's default data otherwise
        if run.data.get("target"):
            command += ["--target", str(run.data["target"])]
        recipe = run.config.get("recipe", {})
        if recipe.get("seed") is not None:
            command += ["--seed", str(recipe["seed"])]
        if recipe.get("budget") is not None:
            command += ["--budget", f"{recipe['budget']:g}"]
        if recipe.get("bayes_error") is not None:
            command += ["--bayes-error", f"{recipe['bayes_error']:g}"]
        lines += [shlex.join(command) + " --out NEW_FOLDER"]
    lines += ["", "config.json:", json.dumps(run.config, indent=2)]
    if run.data:
        lines += ["", "data.json:", json.dumps(run.data, indent=2)]
    return "\n".join(lines)


def _json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{path} is damaged: {error}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{path} is damaged: expected a JSON object")
    return value


def _decisions(folder: Path) -> list[dict[str, Any]]:
    """decisions.json of ``dlrecipe run`` (empty for ``train``, or when it cannot be read)."""
    path = folder / "decisions.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _text(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
