"""Demo: vanishing and exploding — activations and gradients through a 50-layer network.

The course's argument: in a deep linear network with W[l] = w·I (and b = 0),
A[L] = w^L · X, so with w = 1.5 the activations grow as 1.5^l and with w = 0.5 they shrink as
0.5^l; the back-propagated error dZ[l] does the same in the other direction, towards the input.
Fifty layers turn 1.5 into 6.4e8 and 0.5 into 8.9e-16. He initialization
(Var(W[l]) = 2/n[l-1]) keeps a deep ReLU network's activations and gradients of order 1.

Measured with :func:`dlrecipe.diagnosis.layer_health`, which fits the factor per layer of
the signal ‖dZ[l]‖ and gives the verdict.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

import numpy as np

from ..diagnosis.layers import LayerHealth, layer_health
from ..train import MLP
from .common import Folder, present, table

if TYPE_CHECKING:
    from ..report.page import Section

DESCRIPTION = "activations and gradients through 50 layers for W = 1.5·I, W = 0.5·I and He"
TITLE = "Vanishing and exploding gradients"
DEPTH = 50
LINEAR_WIDTH = 4  # the identity networks: 4 units, so W[l] = w·I is square
RELU_WIDTH = 64  # the He network


@dataclass(frozen=True)
class DeepNetwork:
    """One network's per-layer health and how its first and last hidden activations compare."""

    label: str
    health: LayerHealth
    growth: float  # std of A[L] / std of A[0] (X): w^L for the identity networks

    @property
    def factor(self) -> float:
        """The signal's factor per layer towards the input (nan when it overflowed)."""
        return np.nan if self.health.factor_per_layer is None else self.health.factor_per_layer


def identity_network(w: float, depth: int = DEPTH) -> MLP:
    """``depth`` linear layers of :data:`LINEAR_WIDTH` units, W[l] = w·I, b[l] = 0."""
    model = MLP(
        (LINEAR_WIDTH,) * (depth + 1), hidden_activation="linear", output_activation="linear"
    )
    for l in range(1, depth + 1):
        model.params[f"W{l}"][...] = w * np.eye(LINEAR_WIDTH)
        model.params[f"b{l}"][...] = 0.0
    return model


def compute(*, depth: int = DEPTH, m: int = 200, seed: int = 0) -> dict[str, DeepNetwork]:
    """The three networks, measured on ``m`` standard-normal examples (nothing is trained)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(m, LINEAR_WIDTH)), rng.normal(size=(m, LINEAR_WIDTH))
    networks = {}
    for w in (1.5, 0.5):
        health = layer_health(identity_network(w, depth), X, Y)
        growth = health.layers[-1].A_std / X.std()
        networks[f"W = {w}·I"] = DeepNetwork(f"W = {w}·I (linear)", health, growth)
    X_relu = rng.normal(size=(m, RELU_WIDTH))
    y_relu = (X_relu[:, 0] > 0).astype(np.int64)
    he = MLP((RELU_WIDTH,) * depth + (1,), hidden_activation="relu", init="he", seed=seed)
    health = layer_health(he, X_relu, y_relu)
    growth = health.layers[-2].A_std / X_relu.std()  # the last hidden layer: A[L] is a sigmoid
    networks["He"] = DeepNetwork("He (ReLU)", health, growth)
    return networks


def summary(result: dict[str, DeepNetwork]) -> str:
    rows = [["network", "std A[L] / std X", "signal factor per layer", "verdict"]]
    for net in result.values():
        rows.append([net.label, f"{net.growth:.3g}", f"{net.factor:.4f}", net.health.verdict])
    return "\n".join(
        [
            f"{DEPTH}-layer networks (identity: {LINEAR_WIDTH} units; He: {RELU_WIDTH} ReLU "
            "units), one forward and one backward pass:",
            "",
            table(rows),
            "",
            f"1.5^{DEPTH} = {1.5**DEPTH:.3g} and 0.5^{DEPTH} = {0.5**DEPTH:.3g}: the activations "
            "and the back-propagated signal grow or shrink geometrically with depth. He "
            "initialization keeps both of order 1.",
        ]
    )


def claims_hold(result: dict[str, DeepNetwork]) -> bool:
    big, small, he = result["W = 1.5·I"], result["W = 0.5·I"], result["He"]
    return bool(
        np.isclose(big.growth, 1.5**DEPTH, rtol=1e-6)
        and np.isclose(small.growth, 0.5**DEPTH, rtol=1e-6)
        and np.isclose(big.factor, 1.5, rtol=1e-6)
        and np.isclose(small.factor, 0.5, rtol=1e-6)
        and (big.health.verdict, small.health.verdict, he.health.verdict)
        == ("exploding", "vanishing", "healthy")
        and 0.1 < he.growth < 10
        and 0.9 < he.factor < 1.1
    )


def sections(result: dict[str, DeepNetwork]) -> list[Section]:
    from ..report import check_figures, figures
    from ..report.page import Section

    spread = figures.new_figure()
    axes = spread.axes[0]
    for net in result.values():
        layers = [s.layer for s in net.health.layers]
        axes.plot(layers, [s.A_std for s in net.health.layers], marker=".", label=net.label)
    axes.set(xlabel="layer l", ylabel="std of A[l]", yscale="log", title="Activations by layer")
    axes.legend()
    return [
        Section("Summary", summary(result), preformatted=True),
        Section(
            "Activations through the layers",
            "On a log axis a geometric growth is a straight line: slope log 1.5 up, log 0.5 "
            "down; He stays flat.",
            figures=[spread],
        ),
        *(
            Section(
                net.label,
                net.health.summary,
                figures=[check_figures.layer_statistics(net.health)],
            )
            for net in result.values()
        ),
    ]


def run(out: TextIO, *, folder: Folder = None) -> int:
    """Print the summary, write the report when given a folder; 0 when the claims hold."""
    return present(sys.modules[__name__], out, folder)
