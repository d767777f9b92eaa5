"""``dlrecipe evaluate`` and ``dlrecipe predict``: a trained model on data, and per-class scores."""

from __future__ import annotations

import argparse
import csv
import io
from typing import Any, TextIO

import numpy as np

from ..train.atomic import write_atomic
from ..train.model import MLP
from .common import UsageError, class_names, describe, open_model
from .data import features, labelled, rebuild, recorded_target
from .tables import class_table, confusion_table, metrics_table

MODEL_HELP = "a run folder (its model.safetensors) or a model file"
DATA_HELP = "a data-set name (moons, digits, …) or a .csv/.npz file or image folder"


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="measure a trained model",
        description="Measure a trained model: cost, loss and error (and accuracy, per-class "
        "precision, recall and F1 and the confusion matrix for a classifier). Without --data, "
        "a run folder is measured on the train, dev and test parts it was trained with, "
        "rebuilt from its data.json.",
    )
    evaluate.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    evaluate.add_argument("--data", metavar="NAME|PATH", help=DATA_HELP + "; all of it is used")
    evaluate.add_argument(
        "--target",
        metavar="COL",
        help="the target column of a CSV file (default: the run's, else the last)",
    )
    evaluate.set_defaults(run=run_evaluate)

    predict = commands.add_parser(
        "predict",
        parents=[common],
        help="write a model's predictions as CSV",
        description="Write a model's predictions as CSV: a header, then one row per example "
        "with the prediction (the class name when known; the value for a regression) and, for "
        "a classifier, one probability column p_<class> per class. A target column in the data "
        "is ignored; a CSV file without one is read as features only.",
    )
    predict.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    predict.add_argument("--data", metavar="NAME|PATH", required=True, help=DATA_HELP)
    predict.add_argument(
        "--target", metavar="COL", help="the target column of a CSV file, to leave out"
    )
    predict.add_argument(
        "--output", metavar="FILE", help="write the CSV to FILE (atomically) instead of stdout"
    )
    predict.set_defaults(run=run_predict)


def run_evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    model, run_dir = open_model(args.model)
    if args.data is not None:
        dataset, y = labelled(model, args.data, args.target, recorded_target(run_dir))
        print(describe(model), file=out)
        print(f"data: {dataset.name} ({len(y)} examples)\n", file=out)
        _report(out, model, dataset.X, y)
        return 0
    if args.target is not None:
        raise UsageError("--target needs --data")
    if run_dir is None:
        raise UsageError(
            f"{args.model} is a model file: give --data to evaluate it on, or name a run "
            "folder to measure it on the parts it was trained with"
        )
    data, parts = rebuild(run_dir)
    results = {"train": model.evaluate(*parts.train), "dev": model.evaluate(*parts.dev)}
    if parts.test is not None:
        results["test"] = model.evaluate(*parts.test)
    sizes = ", ".join(f"{name} {n}" for name, n in parts.sizes().items())
    print(describe(model), file=out)
    print(f"data: {data.dataset.name} ({sizes}), as in {run_dir / 'data.json'}\n", file=out)
    print(metrics_table(results, classifier=model.is_classifier), file=out)
    return 0


def _report(out: TextIO, model: MLP, X: np.ndarray, y: np.ndarray) -> None:
    """The metrics on all of ``(X, y)``; for a classifier, per class and the confusion matrix."""
    print(metrics_table({"all": model.evaluate(X, y)}, classifier=model.is_classifier), file=out)
    if not model.is_classifier:
        return
    _check_single_label(model)
    classes = class_names(model)
    matrix = confusion_matrix(y, model.predict(X), len(classes))
    print("\n" + class_table(class_scores(matrix), classes), file=out)
    print("\nconfusion matrix (rows: the true class, columns: the predicted one)", file=out)
    print(confusion_table(matrix, classes), file=out)


def run_predict(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    model, run_dir = open_model(args.model)
    dataset = features(model, args.data, args.target, recorded_target(run_dir))
    text = predictions_csv(model, dataset.X)
    if args.output is None:
        out.write(text)
        return 0
    write_atomic(args.output, text.encode())
    print(f"wrote {len(dataset.X)} predictions to {args.output}", file=out)
    return 0


def predictions_csv(model: MLP, X: np.ndarray) -> str:
    """The header and one row per example: the prediction, then p_<class> per class."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not model.is_classifier:
        values = model.predict(X).reshape(len(X), -1)
        header = (
            ["prediction"]
            if values.shape[1] == 1
            else [f"prediction_{j + 1}" for j in range(values.shape[1])]
        )
        writer.writerow(header)
        writer.writerows([[f"{v:.8g}" for v in row] for row in values.tolist()])
        return buffer.getvalue()
    _check_single_label(model)
    classes = class_names(model)
    labels, P = model.predict(X), model.predict_proba(X)
    writer.writerow(["prediction", *(f"p_{name}" for name in classes)])
    for label, p in zip(labels.tolist(), P.tolist(), strict=True):
        writer.writerow([classes[label], *(f"{v:.6g}" for v in p)])
    return buffer.getvalue()


def _check_single_label(model: MLP) -> None:
    if model.output_activation == "sigmoid" and model.layer_sizes[-1] > 1:
        raise ValueError(
            f"this model has {model.layer_sizes[-1]} sigmoid outputs (multi-label); the command "
            "line handles one label per example"
        )


# --- per-class scores of a classifier ------------------------------------------------------------
def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``C[i, j]``: how many examples of class ``i`` were predicted as class ``j``."""
    pairs = np.asarray(y_true, dtype=np.int64) * n_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def class_scores(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Per class ``k``: precision ``C[k,k] / Σ_i C[i,k]``, recall ``C[k,k] / Σ_j C[k,j]``,
    F1 (their harmonic mean) and support ``Σ_j C[k,j]``; NaN where a ratio is 0/0."""
    correct = np.diag(matrix).astype(np.float64)
    predicted, support = matrix.sum(axis=0), matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, correct / predicted, np.nan)
        recall = np.where(support > 0, correct / support, np.nan)
        total = precision + recall
        f1 = np.where(
            total > 0, 2 * precision * recall / total, np.where(np.isnan(total), np.nan, 0.0)
        )
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}
