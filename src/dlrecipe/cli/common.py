"""What the subcommands share: the usage error, argument types, and finding a model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..train.checkpoint import RunDirectory
from ..train.files import load_model
from ..train.model import MLP


class UsageError(Exception):
    """A command line that cannot run as written (exit code 2); the message says why."""


# --- argument types: argparse turns their ArgumentTypeError into a one-line usage error -------
def layer_sizes(text: str) -> tuple[int, ...]:
    """``"16,8"`` -> ``(16, 8)``: the hidden layers; ``"none"`` -> ``()``, no hidden layer."""
    if text.strip().lower() == "none":
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of hidden layer sizes; write them like 16,8 "
            "(or none for no hidden layer)"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(
            f"hidden layer sizes are whole numbers >= 1, like 16,8; got {text!r}. For no hidden "
            "layer (logistic or linear regression) write --layers none"
        )
    return sizes


def keep_probs(text: str) -> float | tuple[float, ...]:
    """``"0.8"`` -> 0.8 (every hidden layer); ``"1,0.8,0.8"`` -> one per layer 0 … L-1."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a probability such as 0.8, or one per layer such as 1,0.8,0.8"
        ) from None
    return values[0] if len(values) == 1 else values


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {text!r}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; got {text!r}")
    return value


# --- models --------------------------------------------------------------------------------------
def open_model(path: str) -> tuple[MLP, Path | None]:
    """The model at ``path`` — a run folder (its model.safetensors) or a model file — and the
    run folder (None for a model file)."""
    where = Path(path)
    if not where.is_dir():
        return load_model(where), None  # a missing file is a FileNotFoundError naming it
    run = RunDirectory(where)
    if not run.model_path.exists():
        raise ValueError(
            f"{where} has no model.safetensors: its training has not finished (resume it with "
            f"dlrecipe train --resume {where}), or it is not a run folder"
        )
    return load_model(run.model_path), where


def describe(model: MLP) -> str:
    """``"2-16-8-1 network: relu hidden layers, sigmoid output, classes 0, 1"``."""
    sizes = "-".join(str(n) for n in model.layer_sizes)
    hidden = f"{model.hidden_activation} hidden layers, " if model.n_layers > 1 else ""
    parts = [f"{sizes} network: {hidden}{model.output_activation} output"]
    if model.classes is not None:
        parts.append(f"classes {', '.join(model.classes)}")
    regularization = [f"l2={model.l2:g}"] if model.l2 else []
    regularization += [f"l1={model.l1:g}"] if model.l1 else []
    if any(p < 1 for p in model.keep_prob):
        regularization.append(f"keep_prob={', '.join(f'{p:g}' for p in model.keep_prob)}")
    return ", ".join(parts + regularization)


def class_names(model: MLP) -> tuple[str, ...]:
    """The model's class names, or the labels ``"0"`` … ``"k-1"`` when it has none."""
    if model.classes is not None:
        return model.classes
    n_out = model.layer_sizes[-1]
    return tuple(str(k) for k in range(2 if n_out == 1 else n_out))
