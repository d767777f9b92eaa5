"""The full gradient check against a naive loop and torch.autograd.gradcheck, same network and data.

    python benchmarks/gradcheck.py [--activation relu|tanh] [--repeats 3] [--json out.json]

Workload: a 64-64-32-10 network (6,570 parameters, softmax output) on 300 examples, float64.

* ``naive``: the textbook's loop written plainly: for every component, θ ± εe_i and a full
  forward pass each (13,140 forward passes);
* ``function``: :func:`dlrecipe.gradient_check_function` over the same cost, the generic loop;
* ``dlrecipe``: :func:`dlrecipe.gradient_check`, batched perturbations (what is benchmarked);
* ``torch``: ``torch.autograd.gradcheck`` of the same cost in float64, if torch is importable.

Every ratio is of two numbers measured in this run. The JSON lands next to this script.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import dlrecipe
from dlrecipe.nn import ParameterIndex, gradients_to_vector, network, vector_to_parameters

SIZES = (64, 64, 32, 10)
M = 300
EPSILON = 1e-7


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=str(Path(__file__).with_name("gradcheck.json")))
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.normal(size=(M, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=M)
    model = dlrecipe.MLP(
        SIZES, hidden_activation=args.activation, output_activation="softmax", seed=0
    )
    index = ParameterIndex.of(model.params)
    A0, Y = model.columns(X), model.targets(y, M)
    theta = np.concatenate([p.ravel() for p in model.params.values()])

    def cost(t: np.ndarray) -> float:
        p = vector_to_parameters(t, index)
        return network.cost(p, network.forward(p, A0, model.spec)[-1].Z, Y, model.spec)[0]

    def gradient(t: np.ndarray) -> np.ndarray:
        p = vector_to_parameters(t, index)
        grads = network.backward(p, network.forward(p, A0, model.spec), Y, model.spec)
        return gradients_to_vector(grads, index)

    def naive() -> np.ndarray:
        numerical = np.empty(theta.size)
        for i in range(theta.size):
            plus, minus = theta.copy(), theta.copy()
            plus[i] += EPSILON
            minus[i] -= EPSILON
            numerical[i] = (cost(plus) - cost(minus)) / (2 * EPSILON)
        return numerical

    shapes = dict(zip(index.names, index.shapes, strict=True))
    timings: dict[str, float] = {}
    timings["naive"], naive_numerical = best_of(1, naive)
    timings["function"], _ = best_of(
        1, lambda: dlrecipe.gradient_check_function(cost, gradient, theta, parameter_shapes=shapes)
    )
    dlrecipe.gradient_check(model, X, y)  # warm up
    timings["dlrecipe"], result = best_of(
        args.repeats, lambda: dlrecipe.gradient_check(model, X, y, epsilon=EPSILON)
    )
    assert isinstance(result, dlrecipe.GradientCheckResult)
    naive_vector = np.asarray(naive_numerical)
    agreement = float(
        np.linalg.norm(result.numerical - naive_vector) / np.linalg.norm(naive_vector)
    )
    if importlib.util.find_spec("torch") is not None:
        import torch

        timings["torch"] = best_of(1, lambda: torch_gradcheck(torch, model, A0, y))[0]

    print(
        f"gradient check of a {'-'.join(map(str, SIZES))} {args.activation}/softmax network, "
        f"{theta.size} parameters, m = {M}, ε = {EPSILON:g}, float64"
    )
    print(f"{'method':<10} {'seconds':>9} {'naive / this':>13}")
    for name, seconds in timings.items():
        print(f"{name:<10} {seconds:>9.3f} {timings['naive'] / seconds:>12.1f}×")
    print(
        f"difference {result.difference:.3e} ({result.verdict}); numerical vector vs naive: "
        f"{agreement:.1e} relative"
    )
    report = {
        "workload": {"sizes": SIZES, "m": M, "activation": args.activation, "epsilon": EPSILON},
        "seconds": timings,
        "speedup_vs_naive": {name: timings["naive"] / s for name, s in timings.items()},
        "difference": result.difference,
        "verdict": result.verdict,
        "numerical_vs_naive_relative": agreement,
        "machine": platform.platform(),
        "numpy": np.__version__,
    }
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")


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
