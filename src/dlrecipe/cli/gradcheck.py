"""``dlrecipe gradcheck``: the backward pass against two-sided differences, on real data."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import numpy as np

from ..check.gradient_check import gradient_check
from ..data.normalize import Standardizer
from ..nn.activations import HIDDEN_ACTIVATIONS
from ..nn.initializers import get_initializer
from ..nn.spec import NetworkSpec
from ..train.model import MLP
from .common import UsageError, describe, layer_sizes, open_model, positive_float, positive_int
from .data import labelled, load_training_data, recorded_target

NEW_NETWORK = ("layers", "hidden_activation", "init", "l2", "l1")


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "gradcheck",
        parents=[common],
        help="gradient-check a network on data",
        description="Check the backward pass of a network against two-sided differences, "
        "(J(θ + ε) − J(θ − ε)) / 2ε, on a random sample of the data: the difference, the "
        "verdict, the rounding-noise floor and a per-parameter table. The network is a saved "
        "one (--model) or a new one described by --layers and the flags after it; a model with "
        "dropout is checked without it. Exit code 0 when the check passes, 1 when it does not.",
    )
    parser.add_argument("--model", metavar="MODEL", help="a run folder or a model file")
    parser.add_argument(
        "--layers",
        type=layer_sizes,
        metavar="16,8",
        help="a new network's hidden layer sizes, or none",
    )
    parser.add_argument(
        "--hidden-activation", choices=sorted(HIDDEN_ACTIVATIONS), help="(default relu)"
    )
    parser.add_argument("--init", help="weight initialization (default he)")
    parser.add_argument("--l2", type=float, metavar="λ", help="L2 regularization (default 0)")
    parser.add_argument("--l1", type=float, metavar="λ", help="L1 regularization (default 0)")
    parser.add_argument(
        "--data",
        metavar="NAME|PATH",
        required=True,
        help="a data-set name or a .csv/.npz file or image folder",
    )
    parser.add_argument("--target", metavar="COL", help="the target column of a CSV file")
    parser.add_argument(
        "--examples",
        type=positive_int,
        default=64,
        metavar="M",
        help="check on a random sample of M examples (default 64)",
    )
    parser.add_argument(
        "--epsilon",
        type=positive_float,
        default=1e-7,
        metavar="ε",
        help="the step of the two-sided difference (default 1e-7)",
    )
    parser.add_argument(
        "--sample",
        type=positive_int,
        metavar="K",
        help="check K random components of each parameter (default: all)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="draws the examples, the components and a new network's weights (default 0)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    given = [key for key in NEW_NETWORK if getattr(args, key) is not None]
    if args.model is not None:
        if given:
            raise UsageError(
                f"--model checks a saved network and --{given[0].replace('_', '-')} describes a "
                "new one; give one or the other"
            )
        model, run_dir = open_model(args.model)
        dataset, y = labelled(model, args.data, args.target, recorded_target(run_dir))
        X, name = dataset.X, dataset.name
        if any(p < 1 for p in model.keep_prob):
            print(
                f"note: the model uses dropout (keep_prob {model.keep_prob}), which makes J "
                "random; it is checked without dropout, as model.copy(keep_prob=1.0)\n",
                file=out,
            )
            model = model.copy(keep_prob=1.0)
    else:
        if args.layers is None:
            raise UsageError(
                "give --model MODEL to check a saved network, or --layers 16,8 to describe a "
                "new one"
            )
        model, X, y, name = _new_network(args)
    rng = np.random.default_rng(args.seed)
    rows = np.sort(rng.choice(len(X), size=min(args.examples, len(X)), replace=False))
    print(describe(model), file=out)
    print(f"data: {len(rows)} random examples of {name}\n", file=out)
    result = gradient_check(
        model, X[rows], y[rows], epsilon=args.epsilon, sample=args.sample, seed=args.seed
    )
    print(result, file=out)
    return 0 if result.passed else 1


def _new_network(args: argparse.Namespace) -> tuple[MLP, np.ndarray, np.ndarray, str]:
    """A network as ``dlrecipe train`` would build it, normalizer fitted, and its data."""
    hidden = args.hidden_activation or "relu"
    init = args.init or "he"
    l2 = 0.0 if args.l2 is None else args.l2
    l1 = 0.0 if args.l1 is None else args.l1
    for flag, check in (
        (f"--init {init}", lambda: get_initializer(init)),
        (f"--l2 {l2}", lambda: NetworkSpec.create((1, 1), l2=l2)),
        (f"--l1 {l1}", lambda: NetworkSpec.create((1, 1), l1=l1)),
    ):
        try:
            check()
        except ValueError as error:
            raise UsageError(f"{flag}: {error}") from None
    data = load_training_data(args.data, args.target)
    output, n_out = data.output_layer
    X = data.dataset.X
    model = MLP(
        (X.shape[1], *args.layers, n_out),
        hidden_activation=hidden,
        output_activation=output,
        init=init,
        l2=l2,
        l1=l1,
        seed=args.seed,
    )
    model.classes = data.classes
    model.standardizer = Standardizer().fit(X)  # as fit normalizes the inputs
    return model, X, data.y, data.dataset.name
