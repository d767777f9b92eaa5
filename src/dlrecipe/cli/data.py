"""Data for the commands: the labels and features a trained model understands.

How a run's data are loaded, recorded in ``data.json`` and rebuilt is
:mod:`dlrecipe.train.record`; its names are re-exported here for the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..data.dataset import Dataset
from ..data.loaders import DATASET_NAMES
from ..data.tables import load_csv
from ..train import record
from ..train.model import MLP
from ..train.record import (
    RECORD,
    TrainingData,
    csv_columns,
    encode_target,
    is_csv,
    rebuild,
    recorded_target,
    write_record,
)
from .common import UsageError

__all__ = [
    "RECORD",
    "TrainingData",
    "check_features",
    "encode_target",
    "features",
    "labelled",
    "labels_for",
    "load",
    "load_training_data",
    "rebuild",
    "recorded_target",
    "write_record",
]


def load(source: str, target: str | None, options: dict[str, Any] | None = None) -> Dataset:
    """:func:`dlrecipe.train.record.load`; ``--target`` with a named data set is a usage error."""
    _check_target(source, target)
    return record.load(source, target, options)


def load_training_data(
    source: str,
    target: str | None,
    task: str = "auto",
    options: dict[str, Any] | None = None,
) -> TrainingData:
    """:func:`dlrecipe.train.record.load_training_data`, with the usage check of :func:`load`."""
    _check_target(source, target)
    return record.load_training_data(source, target, task, options)


def _check_target(source: str, target: str | None) -> None:
    if target is not None and source in DATASET_NAMES:
        raise UsageError(
            f"--target names a column of a CSV file; the data set {source} has its own"
        )


def _target_column(source: str, target: str | None, recorded: str | None) -> str | None:
    """``--target``, else the run's target when the CSV file has that column."""
    if target is not None or recorded is None or not is_csv(source):
        return target
    return recorded if recorded in (csv_columns(Path(source)) or []) else None


def labelled(
    model: MLP, source: str, target: str | None, recorded: str | None = None
) -> tuple[Dataset, np.ndarray]:
    """The data set and its labels as ``model`` numbers them (by class name)."""
    dataset = load(source, _target_column(source, target, recorded))
    check_features(model, dataset.X, dataset.name)
    return dataset, labels_for(model, dataset)


def labels_for(model: MLP, dataset: Dataset) -> np.ndarray:
    """``dataset.y`` as ``model`` numbers its classes (matched by name), or its real values."""
    y = dataset.y
    if not model.is_classifier:
        if dataset.classes is not None:
            raise ValueError(
                f"the model predicts real values (regression), but the target of "
                f"{dataset.name} holds classes ({', '.join(dataset.classes)})"
            )
        return y.astype(np.float64)
    if dataset.classes is None and y.dtype.kind not in "biu":
        raise ValueError(
            f"the model is a classifier, but the target of {dataset.name} holds real values"
        )
    if model.classes is None:
        return y.astype(np.int64)
    values, codes = np.unique(y, return_inverse=True)
    names = [dataset.classes[v] if dataset.classes else str(v) for v in values.tolist()]
    index = {name: k for k, name in enumerate(model.classes)}
    unknown = [name for name in names if name not in index]
    if unknown:
        raise ValueError(
            f"{dataset.name} holds classes the model does not know: {', '.join(unknown)}; "
            f"its classes are {', '.join(model.classes)}"
        )
    return np.array([index[name] for name in names], dtype=np.int64)[codes.reshape(-1)]


def features(model: MLP, source: str, target: str | None, recorded: str | None = None) -> Dataset:
    """The data set whose ``X`` ``model`` predicts on; a target column, if any, is ignored.

    A CSV file may lack the target column: when no ``target`` is named (or the run's is absent)
    and the file has exactly the model's n[0] columns, all of them are features.
    """
    target = _target_column(source, target, recorded)
    columns = csv_columns(Path(source)) if is_csv(source) else None
    n_features = model.layer_sizes[0]
    if target is None and columns is not None and len(columns) == n_features > 1:
        # load_csv needs a target column: read the last feature as one and put it back.
        dataset = load_csv(source, target=columns[-1])
        if dataset.classes is not None:
            raise ValueError(
                f"{source}: column {columns[-1]!r} holds text; features must be numbers"
            )
        X = np.column_stack([dataset.X, dataset.y.astype(np.float64)])
        return Dataset(X, np.zeros(len(X)), dataset.name, tuple(columns))
    dataset = load(source, target)
    check_features(model, dataset.X, dataset.name)
    return dataset


def check_features(model: MLP, X: np.ndarray, name: str) -> None:
    n_features = model.layer_sizes[0]
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but the model's input layer takes "
            f"n[0]={n_features}; use data with the features it was trained on"
        )
