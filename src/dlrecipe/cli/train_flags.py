"""The flags of ``dlrecipe train``, and its help.

Every flag defaults to None, meaning "not given", so that a ``--config`` file's value shows
through; the defaults themselves are :class:`~dlrecipe.cli.config.TrainSettings`'.
"""

from __future__ import annotations

import argparse

from ..nn.activations import HIDDEN_ACTIVATIONS
from ..nn.optimizers import OPTIMIZERS
from ..nn.schedules import SCHEDULES
from ..train.early_stopping import MONITORS
from .common import keep_probs, layer_sizes
from .config import TrainSettings

DEFAULT_BATCH_SIZE = 64
DEFAULTS = TrainSettings(data="", layers=())

DESCRIPTION = """\
Train a network on a data set. The data are split into train, dev and test parts by
dlrecipe.split (20% each for dev and test, at most 10,000 each) with --seed; the network learns
on train, dev is measured after every epoch (early stopping watches it), and test is measured
once, at the end. The output layer follows the target: 2 classes give 1 sigmoid unit, k > 2
classes a softmax of k units, real values 1 linear unit (regression); whole numbers are class
labels.

The run folder (--out, by default runs/<data name>-<YYYYmmdd-HHMMSS>) receives config.json,
checkpoint.safetensors, history.csv and, at the end, model.safetensors (written by the training
loop), plus data.json (how to rebuild the data and split) and train.toml (these settings, as
a --config file)."""

EPILOG = """\
A --config file holds the same settings as TOML, with _ for - (flags given override it):
  data = "moons"
  layers = [16, 8]
  keep_prob = 0.8            # or one per layer 0 … L-1: [1, 0.8, 0.8]
  optimizer = "adam"         # or { name = "adam", beta1 = 0.9 }
  schedule = "inverse_time"
  decay_rate = 1
  early_stopping = { patience = 10, monitor = "dev_loss" }   # or true / false
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = DEFAULTS
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data",
        metavar="NAME|PATH",
        help="a data-set name (moons, digits, …) or a .csv/.npz file or image folder",
    )
    group.add_argument(
        "--target", metavar="COL", help="the target column of a CSV file (default: the last)"
    )
    group.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        help="what the target is (default auto: text and whole numbers are classes, other "
        "numbers a regression target; say regression for whole-number values such as ages)",
    )
    group = parser.add_argument_group("network")
    group.add_argument(
        "--layers",
        type=layer_sizes,
        metavar="16,8",
        help="the hidden layer sizes (n[0] comes from the data, the output layer from the "
        "target); none for no hidden layer: logistic or linear regression",
    )
    group.add_argument(
        "--hidden-activation",
        choices=sorted(HIDDEN_ACTIVATIONS),
        help=f"(default {d.hidden_activation})",
    )
    group.add_argument(
        "--init",
        help="weight initialization: zeros, random, he, xavier, glorot, optionally with "
        f"_uniform (default {d.init})",
    )
    group.add_argument(
        "--l2", type=float, metavar="λ", help="L2 regularization, the textbook's λ (default 0)"
    )
    group.add_argument("--l1", type=float, metavar="λ", help="L1 regularization (default 0)")
    group.add_argument(
        "--keep-prob",
        type=keep_probs,
        metavar="P",
        help="dropout: the probability to KEEP a unit (1 - the drop rate), for every hidden "
        "layer, or one per layer 0 … L-1 like 1,0.8,0.8 (default 1: no dropout)",
    )
    group.add_argument("--dtype", choices=["float64", "float32"], help=f"(default {d.dtype})")
    group = parser.add_argument_group("optimization")
    group.add_argument("--optimizer", choices=sorted(OPTIMIZERS), help=f"(default {d.optimizer})")
    group.add_argument(
        "--learning-rate", type=float, metavar="α", help=f"(default {d.learning_rate})"
    )
    group.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help=f"passes over the training data (default {d.epochs}); with --resume, the new total",
    )
    group.add_argument(
        "--batch-size",
        type=_batch_size_arg,
        metavar="B",
        help="mini-batch size, or all for batch gradient descent "
        f"(default {DEFAULT_BATCH_SIZE}, or the training set if smaller)",
    )
    group.add_argument(
        "--schedule", choices=sorted(SCHEDULES), help="learning-rate decay per epoch (default none)"
    )
    group.add_argument(
        "--decay-rate",
        type=float,
        metavar="R",
        help="inverse_time's decay rate: α = α₀ / (1 + R · epoch) (default 1)",
    )
    group.add_argument(
        "--seed",
        type=int,
        help="seeds the split, the initial weights, the mini-batches and dropout "
        f"(default {d.seed})",
    )
    group = parser.add_argument_group("early stopping")
    group.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        help="stop when the monitored dev metric stops improving, and keep the best "
        "epoch's weights",
    )
    group.add_argument(
        "--patience",
        type=int,
        metavar="N",
        help="epochs without improvement before stopping (default 10)",
    )
    group.add_argument(
        "--monitor", choices=MONITORS, help="the metric to minimize (default dev_loss)"
    )
    group.add_argument(
        "--min-delta",
        type=float,
        metavar="D",
        help="the least decrease that counts as an improvement (default 0)",
    )
    group = parser.add_argument_group("run")
    group.add_argument(
        "--out", metavar="DIR", help="the run folder (default: runs/<data name>-<YYYYmmdd-HHMMSS>)"
    )
    group.add_argument(
        "--config",
        metavar="FILE.toml",
        help="read the settings from a TOML file; flags override it",
    )
    group.add_argument(
        "--resume",
        metavar="DIR",
        help="continue the run in DIR from its last checkpoint, bit for bit (only --epochs "
        "may change)",
    )
    group.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="N",
        help="epochs between checkpoints (default: a tenth of the epochs)",
    )
    group.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (shown only on a terminal anyway)",
    )


def _batch_size_arg(text: str) -> int | str:
    if text == "all":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or all; got {text!r}") from None
