"""A run's data: loaded with the commands' conventions, recorded in ``data.json``, rebuilt.

A run folder's ``data.json`` records how to rebuild exactly the data and split a run was trained
on: the source (a data-set name, or the file's absolute path), the target column, the loader's
options, the split's seed and sizes, a fingerprint of ``X`` and ``y`` and the class names.
A generated data set is always drawn with seed 0, so that ``--data moons`` names the same
examples in every command. The commands write the record; the report and the commands that
read a run folder rebuild from it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data.dataset import Dataset
from ..data.loaders import DATASET_NAMES, GENERATED, load_data
from ..data.split import Split, split
from ..data.tables import DELIMITERS
from .atomic import write_atomic
from .checkpoint import data_fingerprint

GENERATED_SEED = 0
RECORD = "data.json"


@dataclass(frozen=True)
class TrainingData:
    """A data set with its target as a network learns it, and where it came from."""

    dataset: Dataset
    y: np.ndarray  # class labels 0 … k-1 (int64), or real values (float64) for regression
    classes: tuple[str, ...] | None  # None for regression
    source: str  # a data-set name, or an absolute path
    target: str | None  # the target column of a CSV file
    options: dict[str, Any]  # for the loader
    task: str = "auto"  # how the target was read: auto, classification or regression

    @property
    def output_layer(self) -> tuple[str, int]:
        """The output activation and n[L]: 1 sigmoid unit for 2 classes, softmax for more,
        1 linear unit for real values."""
        if self.classes is None:
            return "linear", 1
        return ("sigmoid", 1) if len(self.classes) == 2 else ("softmax", len(self.classes))


def load(source: str, target: str | None, options: dict[str, Any] | None = None) -> Dataset:
    """``load_data`` with the conventions of a run (generated sets drawn with seed 0)."""
    if target is not None and source in DATASET_NAMES:
        raise ValueError(
            f"a target column is a column of a CSV file; the data set {source} has its own "
            f"target (name no target for it)"
        )
    if options is None:
        options = {"seed": GENERATED_SEED} if source in GENERATED else {}
    return load_data(source, target=target, **options)


def load_training_data(
    source: str,
    target: str | None,
    task: str = "auto",
    options: dict[str, Any] | None = None,
) -> TrainingData:
    """The data set, its labels encoded 0 … k-1 (or real values), and how it was loaded.

    ``options`` go to a generated data set's generator (default: seed 0).
    """
    if options is not None and source in GENERATED:
        options = {"seed": GENERATED_SEED, **options}
    dataset = load(source, target, options)
    y, classes = encode_target(dataset, task)
    recorded = source if source in DATASET_NAMES else str(Path(source).absolute())
    if target is None and is_csv(source):
        columns = csv_columns(Path(source))
        target = columns[-1] if columns else None  # load_csv's default: the last column
    if options is None:
        options = {"seed": GENERATED_SEED} if source in GENERATED else {}
    return TrainingData(dataset, y, classes, recorded, target, options, task)


def encode_target(
    dataset: Dataset, task: str = "auto"
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Class labels 0 … k-1 and their names, or real values and None.

    With ``task="auto"``, named classes stay as they are; whole numbers are classes named after
    their values (so labels 1, 2, 3 become 0, 1, 2 named "1", "2", "3"); other numbers are a
    regression target. ``"regression"`` reads any numbers as values; ``"classification"``
    refuses numbers that are not whole.
    """
    y = dataset.y
    if task == "regression":
        if dataset.classes is not None:
            raise ValueError(
                f"the target of {dataset.name} holds class names such as "
                f"{dataset.classes[0]!r}; a regression needs numbers"
            )
        return y.astype(np.float64), None
    if task == "classification" and y.dtype.kind == "f" and dataset.classes is None:
        whole = np.isfinite(y) & (y == np.round(y))
        if not whole.all():
            raise ValueError(
                f"the target of {dataset.name} holds {y[~whole][0].item()!r}, not a class label; "
                "classes are whole numbers or names (or use --task regression)"
            )
        y = y.astype(np.int64)
    if dataset.classes is not None:
        labels, classes = y.astype(np.int64), dataset.classes
    elif y.dtype.kind in "biu":
        values = np.unique(y)
        labels = np.searchsorted(values, y).astype(np.int64)
        classes = tuple(str(value) for value in values.tolist())
    else:
        return y.astype(np.float64), None
    if len(classes) < 2:
        raise ValueError(
            f"the target of {dataset.name} holds a single class ({classes[0]}); a classifier "
            "needs examples of at least two"
        )
    return labels, classes


def write_record(folder: Path, data: TrainingData, sizes: dict[str, int], seed: int) -> None:
    """``data.json``: how to load the data again and split it as this run did."""
    record = {
        "source": data.source,
        "target": data.target,
        "options": data.options,
        "task": data.task,
        "name": data.dataset.name,
        "n_examples": len(data.y),
        "n_features": int(data.dataset.X.shape[1]),
        "classes": None if data.classes is None else list(data.classes),
        "fingerprint": data_fingerprint(data.dataset.X, data.y),
        "split": {"function": "dlrecipe.split", "seed": seed, "sizes": dict(sizes)},
    }
    write_atomic(folder / RECORD, (json.dumps(record, indent=2) + "\n").encode())


def rebuild(folder: Path) -> tuple[TrainingData, Split]:
    """The data and split the run in ``folder`` was trained on, checked against data.json."""
    path = folder / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        source, target, options = record["source"], record["target"], dict(record["options"])
        seed, sizes = record["split"]["seed"], record["split"]["sizes"]
    except FileNotFoundError:
        raise ValueError(
            f"{folder} has no {RECORD}: it is not a run folder of dlrecipe train"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is damaged: {error!r} is missing or malformed") from None
    dataset = load(source, target, options)
    task = record.get("task", "auto")
    y, classes = encode_target(dataset, task)
    if data_fingerprint(dataset.X, y) != record.get("fingerprint"):
        raise ValueError(
            f"the data at {source} differ from those the run in {folder} was trained on "
            "(their fingerprint in data.json does not match); restore the original data"
        )
    parts = split(dataset.X, y, seed=seed)
    if parts.sizes() != sizes:
        raise ValueError(f"the split of {source} gives parts {parts.sizes()}, data.json {sizes}")
    return TrainingData(dataset, y, classes, source, target, options, task), parts


def recorded_target(folder: Path | None) -> str | None:
    """The target column a run was trained with (None without a run folder or a CSV file)."""
    if folder is None or not (folder / RECORD).exists():
        return None
    record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    target = record.get("target") if isinstance(record, dict) else None
    return target if isinstance(target, str) else None


def is_csv(source: str) -> bool:
    return source not in DATASET_NAMES and Path(source).suffix.lower() == ".csv"


def csv_columns(path: Path) -> list[str] | None:
    """The header's column names, with the delimiter guessed as ``load_csv`` guesses it
    (None when it cannot be read or guessed: ``load_csv`` then explains)."""
    try:
        with path.open(encoding="utf-8-sig") as file:
            header = next((line for line in file if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        return None
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best == 0 or list(counts.values()).count(best) > 1:
        return None
    delimiter = next(d for d, count in counts.items() if count == best)
    return [name.strip() for name in next(csv.reader([header], delimiter=delimiter))]
