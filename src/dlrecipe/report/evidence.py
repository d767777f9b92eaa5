"""What a run's report measures on the trained network, and what it reads from the recipe.

* Layer health: one forward and one backward pass on (at most 1,000) training examples —
  activation spread and gradient signal per layer, and the vanishing/exploding verdict.
* A gradient check of the trained network's backward pass (dropout switched off, since a
  check needs a deterministic J), on 64 training examples, sampling at most
  :data:`CHECK_SAMPLE` components of each parameter so the report stays quick.
* The initialization scan at the network's width and hidden activation: how each scheme would
  spread the activations through 20 layers (where depth makes initialization matter).
* Validation curves: dev and train error against λ and against keep_prob, for each step of
  ``dlrecipe run`` that tried several values — the evidence behind its choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import check_figures, figures
from .page import Section

HEALTH_EXAMPLES = 1_000
CHECK_EXAMPLES = 64
CHECK_SAMPLE = 200  # components per parameter
SCAN_DEPTH = 20
MAX_CURVE_STEPS = 3  # validation curves for the first three steps that tried λ or keep_prob


def network_sections(model: Any, X: np.ndarray, y: np.ndarray) -> list[Section]:
    """Layer health, a gradient check and the initialization scan of ``model`` on (X, y)."""
    from ..check.gradient_check import gradient_check
    from ..diagnosis.init_scan import initialization_scan
    from ..diagnosis.layers import layer_health

    health = layer_health(model, X[:HEALTH_EXAMPLES], y[:HEALTH_EXAMPLES])
    check = gradient_check(
        model.copy(keep_prob=1.0), X[:CHECK_EXAMPLES], y[:CHECK_EXAMPLES], sample=CHECK_SAMPLE
    )
    hidden = model.layer_sizes[1:-1]
    width = round(float(np.mean(hidden))) if hidden else model.layer_sizes[0]
    activation = model.hidden_activation if hidden else "relu"
    scan = initialization_scan(depth=SCAN_DEPTH, width=width, activation=activation, n_samples=500)
    check_scope = (
        f"{check.n_checked:,} of {check.n_total:,} components"
        if check.n_checked < check.n_total
        else f"all {check.n_total:,} components"
    )
    return [
        Section(
            f"Layer health: {health.verdict}",
            text=f"{health.summary}. Measured on {min(len(y), HEALTH_EXAMPLES):,} training "
            "examples with the trained weights: the spread of Z[l] and A[l] (left), and the "
            "back-propagated signal ‖dZ[l]‖/√m and the gradient ‖dW[l]‖ (right).",
            figures=[check_figures.layer_statistics(health)],
        ),
        Section(
            f"Gradient check: {check.verdict}",
            text=f"The trained network's backward pass against two-sided differences "
            f"(ε = {check.epsilon:g}) on {min(len(y), CHECK_EXAMPLES)} training examples, "
            f"{check_scope}, dropout off: difference {check.difference:.2e}. "
            "Below 1e-7 is correct; above 1e-3 is a bug.",
            figures=[check_figures.gradient_check_plot(check)],
        ),
        Section(
            "Initialization scan",
            text=f"Var(A[l]) through {SCAN_DEPTH} {activation} layers of {width} units for each "
            "initialization scheme, from standard-normal inputs: a scheme that keeps the "
            "variance level lets a deep network train.",
            figures=[check_figures.initialization_scan_plot(scan)],
        ),
    ]


def validation_sections(decisions: Sequence[Mapping[str, Any]]) -> list[Section]:
    """Dev and train error against λ and against keep_prob, for each recipe step that tried
    several values; each curve includes the network the step started from."""
    sections: list[Section] = []
    previous: Mapping[str, Any] | None = None
    for entry in decisions:
        candidates = [c for c in entry.get("candidates", []) if "l2" in c]
        if previous is not None and len(sections) < 2 * MAX_CURVE_STEPS:
            for setting, name, log in (("l2", "λ", True), ("keep_prob", "keep_prob", False)):
                points = _curve(previous, candidates, setting)
                if points is not None:
                    values, train, dev = points
                    sections.append(
                        Section(
                            f"Step {entry.get('number', '?')}: dev error against {name}",
                            text=f"{entry.get('action', '')}. The step started from "
                            f"{previous.get('setting', 'the network before it')}. The lowest "
                            "dev error is marked; the recipe rejects a value that gives back "
                            "training error it had won (see the decision log).",
                            figures=[
                                figures.validation_curve(values, dev, train, name=name, log=log)
                            ],
                        )
                    )
        chosen = [c for c in candidates if c.get("chosen")]
        if chosen:
            previous = chosen[0]
    return sections


def _curve(
    start: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]], setting: str
) -> tuple[list[float], list[float], list[float]] | None:
    """(values, train errors, dev errors) of the candidates that changed only ``setting``
    from ``start`` (plus ``start`` itself); None with fewer than three distinct values."""
    other = "keep_prob" if setting == "l2" else "l2"
    rows = [start] + [
        c
        for c in candidates
        if c.get(other) == start.get(other)
        and c.get("hidden") == start.get("hidden")
        and c.get(setting) != start.get(setting)
        and "early stopping" not in str(c.get("setting", ""))
        and c.get("dev_error") is not None
    ]
    by_value = {float(r[setting]): r for r in rows if r.get("dev_error") is not None}
    if len(by_value) < 3:
        return None
    values = sorted(by_value)
    return (
        values,
        [float(by_value[v]["train_error"]) for v in values],
        [float(by_value[v]["dev_error"]) for v in values],
    )
