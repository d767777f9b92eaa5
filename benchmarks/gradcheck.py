"""The full gradient check against a naive loop and torch.autograd.gradcheck, same network and data.

    python benchmarks/gradcheck.py [--activation relu|tanh] [--repeats 5] [--no-torch]
                                   [--json benchmarks/gradcheck.json]

Workload (issue 7, item 4): a 64-64-32-10 network (6,570 parameters, softmax output) on 300
examples, float64, ε = 1e-7.

* ``naive``: the textbook's loop written plainly: for every component, θ ± εe_i and a full
  forward pass each (13,140 forward passes);
* ``function``: :func:`dlrecipe.gradient_check_function` over the same cost (the generic loop);
* ``torch``: ``torch.autograd.gradcheck`` of the same J in float64 (if torch is importable);
* ``dlrecipe full``: :func:`dlrecipe.gradient_check`, every component, with its noise floor,
  per-parameter table and kink tests;
* ``dlrecipe directional``: :func:`dlrecipe.check.gradient_check_directions`, 5 directions.

Every ratio is of two numbers measured in this run (the machine is shared and noisy: absolute
times drift, ratios much less). Agreement with the naive loop is measured component by
component, on the difference, and on the per-parameter table — also with a planted 1% bug in
dW2, where the difference is the bug's rather than rounding noise. Threads: every method is
timed with the libraries' default threads and again with one (threadpoolctl, and
torch.set_num_threads), to say whether the second core helps. The JSON lands next to this
script.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

import dlrecipe
from dlrecipe.check import gradient_check_directions
from dlrecipe.check.objective import ModelObjective
from dlrecipe.check.result import relative_difference
from dlrecipe.nn import ParameterIndex

SIZES = (64, 64, 32, 10)
M = 300
EPSILON = 1e-7
N_DIRECTIONS = 5


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def per_parameter(numerical: np.ndarray, analytic: np.ndarray, index: ParameterIndex) -> dict:
    return {
        name: relative_difference(numerical[index.slice(name)], analytic[index.slice(name)])
        for name in index.names
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--json", default=str(Path(__file__).with_name("gradcheck.json")))
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.normal(size=(M, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=M)
    model = dlrecipe.MLP(
        SIZES, hidden_activation=args.activation, output_activation="softmax", seed=0
    )
    objective = ModelObjective(model, X, y)
    index, A0, theta = objective.index, objective.A0, objective.theta
    cost, gradient = objective.cost, objective.gradient

    def naive() -> np.ndarray:
        numerical = np.empty(theta.size)
        for i in range(theta.size):
            plus, minus = theta.copy(), theta.copy()
            plus[i] += EPSILON
            minus[i] -= EPSILON
            numerical[i] = (cost(plus) - cost(minus)) / (2 * EPSILON)
        return numerical

    def full() -> dlrecipe.GradientCheckResult:
        return dlrecipe.gradient_check(model, X, y, epsilon=EPSILON)

    def directional() -> object:
        return gradient_check_directions(model, X, y, n_directions=N_DIRECTIONS)

    shapes = objective.shapes
    methods: dict[str, tuple[int, Callable[[], Any]]] = {
        "naive": (1, naive),
        "function": (
            1,
            lambda: dlrecipe.gradient_check_function(
                cost, gradient, theta, parameter_shapes=shapes
            ),
        ),
    }
    if not args.no_torch and importlib.util.find_spec("torch") is not None:
        import torch

        methods["torch"] = (1, lambda: torch_gradcheck(torch, model, A0, y))
    methods["dlrecipe full"] = (args.repeats, full)
    methods["dlrecipe directional"] = (args.repeats, directional)
    full()  # warm up
    directional()
    # Every method with the libraries' default threads, then with one thread each: on this
    # shared 2-core machine a busy second core makes the BLAS's second thread a loss.
    seconds: dict[str, float] = {}
    single: dict[str, float] = {}
    results: dict[str, Any] = {}
    for name, (repeats, run) in methods.items():
        seconds[name], results[name] = best_of(repeats, run)
    with one_thread():
        for name, (repeats, run) in methods.items():
            single[name] = best_of(repeats, run)[0]
    naive_numerical, result, direction = (
        results["naive"],
        results["dlrecipe full"],
        results["dlrecipe directional"],
    )
    best = {name: min(seconds[name], single[name]) for name in seconds}
    # The headline: each method at its best thread setting.
    headline = best["naive"] / best["dlrecipe full"]

    tracemalloc.start()
    full()
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    # Agreement with the loop: the numerical vectors do not depend on the backward pass, so the
    # planted bug is a change of the analytic vector only.
    naive_vector = np.asarray(naive_numerical)
    fast = result.numerical
    gap = np.abs(fast - naive_vector)
    noise = np.finfo(float).eps * abs(result.cost) / EPSILON  # one rounding of J, over ε
    analytic = result.analytic
    buggy = analytic.copy()
    buggy[index.slice("W2")] *= 1.01
    agreement = {
        "numerical_vs_naive_relative": float(np.linalg.norm(fast - naive_vector))
        / float(np.linalg.norm(naive_vector)),
        "max_component_gap_in_units_of_u_J_over_eps": float(gap.max() / noise),
        "max_component_relative_gap_above_1e-3": float(
            (gap / np.abs(naive_vector))[np.abs(naive_vector) > 1e-3].max()
        ),
        "difference": {
            "dlrecipe": result.difference,
            "naive": relative_difference(naive_vector, analytic),
        },
        "verdict": result.verdict,
        "with_bug_in_dW2": bug_agreement(fast, naive_vector, buggy, index),
    }

    print(
        f"gradient check of a {'-'.join(map(str, SIZES))} {args.activation}/softmax network, "
        f"{theta.size} parameters, m = {M}, ε = {EPSILON:g}, float64"
    )
    print(
        f"{'method':<22} {'default threads':>15} {'naive / this':>13} {'1 thread':>10} "
        f"{'naive / this':>13}"
    )
    for name in seconds:
        print(
            f"{name:<22} {seconds[name]:>13.4f} s {seconds['naive'] / seconds[name]:>12.1f}× "
            f"{single[name]:>8.4f} s {single['naive'] / single[name]:>12.1f}×"
        )
    print(f"full check vs naive, each at its best thread setting: {headline:.1f}×")
    print(
        f"difference {result.difference:.3e} ({result.verdict}); with the naive loop's "
        f"quotients {agreement['difference']['naive']:.3e}; numerical vs naive "
        f"{agreement['numerical_vs_naive_relative']:.1e} relative, largest gap "
        f"{agreement['max_component_gap_in_units_of_u_J_over_eps']:.2f} u·J/ε"
    )
    bug = agreement["with_bug_in_dW2"]
    print(
        f"with a 1% bug in dW2: difference {bug['difference']['dlrecipe']:.6e} vs naive "
        f"{bug['difference']['naive']:.6e} ({bug['difference_relative_gap']:.1e} relative); "
        f"per-parameter table within {bug['per_parameter_max_relative_gap']:.1e}; wrong "
        f"parameters {bug['wrong']['dlrecipe']} vs {bug['wrong']['naive']}"
    )
    print(f"directional ({N_DIRECTIONS} directions): {direction}")
    print(f"peak memory traced during the full check: {peak_mb:.1f} MiB")
    report = {
        "workload": {
            "sizes": SIZES,
            "parameters": int(theta.size),
            "m": M,
            "activation": args.activation,
            "output": "softmax",
            "epsilon": EPSILON,
            "dtype": "float64",
            "directions": N_DIRECTIONS,
        },
        "seconds": seconds,
        "seconds_one_thread": single,
        "seconds_best": best,
        "speedup_vs_naive": {name: seconds["naive"] / value for name, value in seconds.items()},
        "speedup_vs_naive_one_thread": {
            name: single["naive"] / value for name, value in single.items()
        },
        "speedup_full_vs_naive_best_threads": headline,
        "speedup_vs_torch_best": (
            {name: best["torch"] / value for name, value in best.items()}
            if "torch" in best
            else None
        ),
        "threads": {"default": default_threads(), "one": 1},
        "agreement": agreement,
        "directional": {
            "difference": direction.difference,
            "verdict": direction.verdict,
            "noise_floor": direction.noise_floor,
        },
        "full_check_peak_traced_MiB": peak_mb,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
    }
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


def bug_agreement(
    fast: np.ndarray, naive: np.ndarray, analytic: np.ndarray, index: ParameterIndex
) -> dict[str, Any]:
    """The difference and per-parameter table against a wrong analytic vector, both ways."""
    ours, theirs = relative_difference(fast, analytic), relative_difference(naive, analytic)
    table_ours = per_parameter(fast, analytic, index)
    table_theirs = per_parameter(naive, analytic, index)
    bugged = [name for name, value in table_theirs.items() if value > 1e-5]
    return {
        "difference": {"dlrecipe": ours, "naive": theirs},
        "difference_relative_gap": abs(ours - theirs) / theirs,
        "per_parameter": {"dlrecipe": table_ours, "naive": table_theirs},
        "per_parameter_max_relative_gap": max(
            abs(table_ours[name] - table_theirs[name]) / table_theirs[name] for name in bugged
        ),
        "wrong": {
            "dlrecipe": [name for name, value in table_ours.items() if value > 1e-5],
            "naive": bugged,
        },
    }


def default_threads() -> int:
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info()), default=1)


@contextmanager
def one_thread() -> Iterator[None]:
    """One thread for the BLAS and OpenMP pools (threadpoolctl), and for torch if loaded."""
    import sys

    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def torch_gradcheck(torch, model: dlrecipe.MLP, A0: np.ndarray, y: np.ndarray) -> bool:
    """torch.autograd.gradcheck of the same J (penalty-free: this model has no λ), float64."""
    g = {"relu": torch.relu, "tanh": torch.tanh}[model.hidden_activation]
    X = torch.tensor(A0.T)
    target = torch.tensor(y)
    params = [
        torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in model.params.values()
    ]

    def J(*flat: object) -> object:
        A = X
        for l in range(0, len(flat), 2):
            W, b = flat[l], flat[l + 1]
            Z = A @ W.T + b.T  # type: ignore[attr-defined]
            A = g(Z) if l + 2 < len(flat) else Z
        return torch.nn.functional.cross_entropy(A, target)

    return torch.autograd.gradcheck(J, tuple(params), eps=1e-6, atol=1e-5, rtol=1e-3)


if __name__ == "__main__":
    main()
