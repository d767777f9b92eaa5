"""Runs side by side: ``dlrecipe report RUN_A RUN_B …`` and ``dlrecipe runs [DIR]``.

Applied deep learning is iterative — idea, code, experiment — so the question after a change is
which run was better and what differed. The comparison shows the settings that differ, the
errors and diagnoses of each run, and their curves overlaid; the list shows every run folder
under a folder with its key numbers.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import figures
from .page import Section, write_page
from .run_report import PARTS, Run, read_run


def write_comparison(
    run_dirs: Sequence[str | os.PathLike[str]], path: str | os.PathLike[str]
) -> Path:
    """One page comparing runs: the settings that differ, errors, diagnoses, cost curves."""
    if not run_dirs:
        raise ValueError("name at least one run folder to compare")
    runs = [read_run(folder) for folder in run_dirs]
    names = _unique_names(runs)
    settings = [_flat({"data": r.data.get("name"), **r.config}) for r in runs]
    keys = sorted({key for s in settings for key in s})
    differing = [k for k in keys if len({json.dumps(s.get(k), default=str) for s in settings}) > 1]
    settings_table = [["setting", *names]] + [
        [key, *(_show(s.get(key)) for s in settings)] for key in differing
    ]
    errors_table = [["run", "network", "epochs", "train error", "dev error", "test error"]]
    for name, run in zip(names, runs, strict=True):
        errors_table.append(
            [name, run.network, str(len(run.history)), *(_error(run, p) for p in PARTS)]
        )
    diagnoses = "\n\n".join(
        f"{name}: {run.diagnosis.verdict}\n{run.diagnosis}"
        for name, run in zip(names, runs, strict=True)
        if run.diagnosis is not None
    )
    sections = [
        Section(
            "Settings that differ",
            text="" if differing else "The runs have the same settings.",
            table=settings_table if differing else None,
        ),
        Section("Errors", table=errors_table),
        Section("Diagnoses", text=diagnoses or "No diagnosis available.", preformatted=True),
        Section(
            "Curves",
            text="The cost J (with the penalty) and the dev error of each run, per epoch.",
            figures=[overlaid(runs, names, "cost"), overlaid(runs, names, "dev_error")],
        ),
    ]
    return write_page(
        path,
        title=f"Comparison of {len(runs)} runs",
        sections=sections,
        subtitle=", ".join(str(r.folder) for r in runs),
    )


def overlaid(runs: Sequence[Run], names: Sequence[str], quantity: str) -> Any:
    """One logged ``quantity`` (``"cost"``, ``"dev_error"``, …) of each run per epoch, overlaid;
    runs that did not log it are left out."""
    label = {"cost": "cost J", "dev_error": "dev error"}.get(quantity, quantity)
    figure = figures.new_figure()
    axes = figure.axes[0]
    for name, run in zip(names, runs, strict=True):
        values = getattr(run.history, quantity)
        if np.isfinite(values).any():
            axes.plot(run.history.epochs + 1, values, label=name)
    axes.set(xlabel="epoch", ylabel=label, title=f"{label[0].upper()}{label[1:]} per epoch")
    if axes.lines:
        axes.legend(fontsize="small")
    return figure


def list_runs(directory: str | os.PathLike[str] = "runs") -> list[list[str]]:
    """A table of the run folders under ``directory`` (oldest first), its header first."""
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"no such folder: {root}")
    runs = []
    for config in root.rglob("config.json"):
        try:
            runs.append(read_run(config.parent, measure=False))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a run folder we can read
    runs.sort(key=lambda r: r.time)
    table = [["folder", "finished", "data", "network", "epochs", "train", "dev", "test"]]
    for run in runs:
        finished = datetime.fromtimestamp(run.time).strftime("%Y-%m-%d %H:%M")
        if not (run.folder / "model.safetensors").exists():
            finished = "unfinished"
        table.append(
            [
                str(run.folder),
                finished,
                str(run.data.get("name", "?")),
                run.network,
                str(len(run.history)),
                *(_error(run, p) for p in PARTS),
            ]
        )
    return table


def _error(run: Run, part: str) -> str:
    """The error of ``part``: from the numbers, else (train, dev) the last epoch's history."""
    if part in run.results:
        return _percent(run.results[part]["error"], run.classifier)
    if len(run.history) and part in ("train", "dev"):
        value = float((run.history.error if part == "train" else run.history.dev_error)[-1])
        return "-" if math.isnan(value) else _percent(value, run.classifier)
    return "-"


def _percent(value: float, classifier: bool) -> str:
    return f"{100 * value:.2f}%" if classifier else f"{value:.4g}"


def _unique_names(runs: Sequence[Run]) -> list[str]:
    names = [r.folder.name for r in runs]
    if len(set(names)) < len(names):
        names = [str(r.folder) for r in runs]
    return names


def _flat(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _show(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)
