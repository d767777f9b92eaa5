"""Same seed, separate processes: bit-identical weights, history and decision log, for
``dlrecipe train`` and ``dlrecipe run``; another seed gives other weights. (What is and is not
reproducible across machines is in README.md, "Reproducibility".)"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dlrecipe.train.files import load_model

TRAIN = (
    "train", "--data", "moons", "--layers", "16,8", "--keep-prob", "0.9", "--optimizer", "adam",
    "--batch-size", "32", "--epochs", "25", "--early-stopping", "--patience", "5", "--no-progress",
)  # fmt: skip
RUN = ("run", "--data", "moons", "--budget", "10m")


def dlrecipe(*argv: object) -> None:
    """``python -m dlrecipe ARGV`` in a process of its own."""
    completed = subprocess.run(
        [sys.executable, "-m", "dlrecipe", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr


def without_seconds(value: Any) -> Any:
    """JSON without the wall-clock times it records."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


def history(folder: Path) -> list[dict[str, str]]:
    with open(folder / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def weights(folder: Path) -> dict[str, bytes]:
    return {
        name: p.tobytes() for name, p in load_model(folder / "model.safetensors").params.items()
    }


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("train")
    folders = {"a": root / "a", "b": root / "b", "other seed": root / "c"}
    dlrecipe(*TRAIN, "--seed", "7", "--out", folders["a"])
    dlrecipe(*TRAIN, "--seed", "7", "--out", folders["b"])
    dlrecipe(*TRAIN, "--seed", "8", "--out", folders["other seed"])
    return folders


def test_train_twice_with_one_seed_is_bit_identical(trained):
    a, b = trained["a"], trained["b"]
    assert weights(a) == weights(b)
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()
    assert history(a) == history(b)
    assert (a / "train.toml").read_text() == (b / "train.toml").read_text()
    assert json.loads((a / "data.json").read_text()) == json.loads((b / "data.json").read_text())


def test_train_with_another_seed_learns_other_weights(trained):
    a, other = weights(trained["a"]), weights(trained["other seed"])
    assert a.keys() == other.keys()
    assert all(a[name] != other[name] for name in a)
    assert history(trained["a"]) != history(trained["other seed"])


def decisions(folder: Path) -> list[dict[str, Any]]:
    log = without_seconds(json.loads((folder / "decisions.json").read_text()))
    assert log
    assert log[-1]["phase"] == "test"
    return log


@pytest.fixture(scope="module")
def recipe_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("run")
    folders = {"one job": root / "a", "two jobs": root / "b", "other seed": root / "c"}
    dlrecipe(*RUN, "--seed", "5", "--jobs", "1", "--out", folders["one job"])
    dlrecipe(*RUN, "--seed", "5", "--jobs", "2", "--out", folders["two jobs"])
    dlrecipe(*RUN, "--seed", "6", "--jobs", "1", "--out", folders["other seed"])
    return folders


def test_run_twice_with_one_seed_is_bit_identical_whatever_the_jobs(recipe_runs):
    a, b = recipe_runs["one job"], recipe_runs["two jobs"]
    assert weights(a) == weights(b)
    assert decisions(a) == decisions(b)
    assert history(a) == history(b)
    summary = [without_seconds(json.loads((f / "summary.json").read_text())) for f in (a, b)]
    assert summary[0] == summary[1]


def test_run_with_another_seed_learns_other_weights(recipe_runs):
    a, other = weights(recipe_runs["one job"]), weights(recipe_runs["other seed"])
    assert a.keys() != other.keys() or all(a[name] != other[name] for name in a)
    assert decisions(recipe_runs["one job"]) != decisions(recipe_runs["other seed"])
