"""dlrecipe against its peers, every workload measured in the same run.

    python benchmarks/run.py [--quick] [--json out.json]

Peers, on the same data, architecture, initial weights (He normal, drawn once by dlrecipe),
batch size, epochs and optimizer:

* ``torch``: PyTorch eager on the CPU (``nn.Sequential``, ``torch.optim``), default threads;
* ``sklearn``: scikit-learn's ``MLPClassifier`` (its own Glorot-uniform initialization: it has
  no way to take given weights; no early stopping, ``tol=0``, ``alpha=0``);
* ``numpy``: a plain hand-written NumPy loop (forward, backward, update), the floor of what
  an abstraction over NumPy can reach;
* ``floor``: the step's eight matrix products alone, at the workload's shapes, timed as many
  times as the training runs them — the physical floor of the arithmetic.

Every target is a ratio of two numbers measured in this run (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlrecipe import MLP
from dlrecipe.nn import fused_updates


@dataclass
class Workload:
    name: str
    sizes: tuple[int, ...]
    output: str  # "sigmoid" or "softmax"
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    epochs: int
    batch_size: int | None
    optimizer: str  # "gd" or "adam"
    learning_rate: float
    repeats: int = 1
    peers: tuple[str, ...] = ("torch", "sklearn", "numpy")

    @property
    def m(self) -> int:
        return len(self.X)

    @property
    def steps(self) -> int:
        b = self.m if self.batch_size is None else self.batch_size
        return self.epochs * -(-self.m // b)

    @property
    def flops(self) -> float:
        """Multiply-adds × 2 of the eight products per step: Z = W A, dW = dZ Aᵀ, dA = Wᵀ dZ."""
        pairs = list(zip(self.sizes[:-1], self.sizes[1:], strict=True))
        per_example = sum(3 * a * b for a, b in pairs) - pairs[0][0] * pairs[0][1]  # no dA[0]
        return 2.0 * per_example * self.m * self.epochs


# --- the contestants ---------------------------------------------------------------------------


def initial_weights(w: Workload, dtype: str) -> dict[str, np.ndarray]:
    model = MLP(w.sizes, output_activation=w.output, init="he", seed=0, dtype=dtype)
    return {name: p.copy() for name, p in model.params.items()}


def run_dlrecipe(w: Workload, dtype: str, params: dict[str, np.ndarray]) -> float:
    model = MLP(w.sizes, output_activation=w.output, init="he", seed=0, dtype=dtype)
    model.params = {name: p.copy() for name, p in params.items()}
    # Every contestant gets X already in the dtype (the others convert it before their clock
    # starts); fit's own checks of X and y (NaN, shapes, labels) are inside the time.
    X = w.X.astype(dtype)
    began = time.perf_counter()
    model.fit(
        X,
        w.y,
        epochs=w.epochs,
        learning_rate=w.learning_rate,
        optimizer=w.optimizer,
        batch_size=w.batch_size,
        normalize=False,
        progress=False,
    )
    return time.perf_counter() - began


def run_dlrecipe_passes(w: Workload, dtype: str, params: dict[str, np.ndarray]) -> float:
    """dlrecipe as a fresh process's first trainings run: the update as NumPy passes."""
    steady, fused_updates.TIERS = fused_updates.TIERS, fused_updates.Tiers(math.inf)
    try:
        return run_dlrecipe(w, dtype, params)
    finally:
        fused_updates.TIERS = steady


def compile_updates() -> float:
    """Put the process in its steady state: momentum's, RMSprop's and Adam's updates compiled
    (a process gets there by itself after 0.5 s of NumPy passes). Returns the seconds it took."""
    began = time.perf_counter()
    fused_updates.TIERS.reset(compile_after=0)
    for dtype in (np.float32, np.float64):
        for name, n_vectors, n_scalars in (("momentum", 3, 3), ("rmsprop", 3, 4), ("adam", 4, 6)):
            vectors = tuple(np.ones(1, dtype) for _ in range(n_vectors))
            scalars = (dtype(0.5),) * n_scalars
            fused_updates.update(name, vectors, scalars, scratch=np.ones(1, dtype))
    return time.perf_counter() - began


def run_numpy(w: Workload, dtype: str, params: dict[str, np.ndarray]) -> float:
    """The textbook's loop written out by hand: columns, ReLU hidden layers, plain updates."""
    L = len(w.sizes) - 1
    W = [params[f"W{l}"].copy() for l in range(1, L + 1)]
    b = [params[f"b{l}"].copy() for l in range(1, L + 1)]
    X = w.X.astype(dtype)
    rng = np.random.default_rng(0)
    adam = w.optimizer == "adam"
    v = [np.zeros_like(p) for p in W + b]
    s = [np.zeros_like(p) for p in W + b]
    t = 0
    began = time.perf_counter()
    for _ in range(w.epochs):
        order = np.arange(w.m) if w.batch_size is None else rng.permutation(w.m)
        step = w.m if w.batch_size is None else w.batch_size
        for start in range(0, w.m, step):
            rows = order[start : start + step]
            A = [X.T if w.batch_size is None else X[rows].T]
            y = w.y[rows]
            m = A[0].shape[1]
            Z = []
            for l in range(L):
                Z.append(W[l] @ A[l] + b[l])
                if l < L - 1:
                    A.append(np.maximum(Z[l], 0))
            if w.output == "sigmoid":
                AL = 1 / (1 + np.exp(-Z[-1]))
                dZ = AL - y
            else:
                E = np.exp(Z[-1] - Z[-1].max(axis=0))
                dZ = E / E.sum(axis=0)
                dZ[y, np.arange(m)] -= 1
            dW, db = [None] * L, [None] * L
            for l in range(L - 1, -1, -1):
                dW[l] = dZ @ A[l].T / m
                db[l] = dZ.sum(axis=1, keepdims=True) / m
                if l > 0:
                    dZ = (W[l].T @ dZ) * (Z[l - 1] > 0)
            grads = dW + db
            t += 1
            for p, g, vi, si in zip(W + b, grads, v, s, strict=True):
                if adam:
                    vi *= 0.9
                    vi += 0.1 * g
                    si *= 0.999
                    si += 0.001 * g * g
                    v_hat = vi / (1 - 0.9**t)
                    s_hat = si / (1 - 0.999**t)
                    p -= w.learning_rate * v_hat / (np.sqrt(s_hat) + 1e-8)
                else:
                    p -= w.learning_rate * g
    return time.perf_counter() - began


def run_torch(w: Workload, dtype: str, params: dict[str, np.ndarray]) -> float:
    import torch

    torch_dtype = getattr(torch, dtype)
    L = len(w.sizes) - 1
    layers: list[torch.nn.Module] = []
    for l in range(1, L + 1):
        linear = torch.nn.Linear(w.sizes[l - 1], w.sizes[l], dtype=torch_dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[f"W{l}"]))
            linear.bias.copy_(torch.from_numpy(params[f"b{l}"][:, 0]))
        layers.append(linear)
        if l < L:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    if w.output == "sigmoid":
        loss_fn: torch.nn.Module = torch.nn.BCEWithLogitsLoss()
        y = torch.from_numpy(w.y.astype(dtype)[:, None])
    else:
        loss_fn = torch.nn.CrossEntropyLoss()
        y = torch.from_numpy(w.y.astype(np.int64))
    X = torch.from_numpy(w.X.astype(dtype))
    if w.optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(net.parameters(), lr=w.learning_rate)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=w.learning_rate)
    generator = torch.Generator().manual_seed(0)
    began = time.perf_counter()
    for _ in range(w.epochs):
        if w.batch_size is None:
            batches = [(X, y)]
        else:
            order = torch.randperm(w.m, generator=generator)
            batches = [
                (X[rows], y[rows])
                for rows in (order[i : i + w.batch_size] for i in range(0, w.m, w.batch_size))
            ]
        for Xb, yb in batches:
            opt.zero_grad()
            loss = loss_fn(net(Xb), yb)
            loss.backward()
            opt.step()
    return time.perf_counter() - began


def run_sklearn(w: Workload, dtype: str, params: dict[str, np.ndarray]) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=w.sizes[1:-1],
        activation="relu",
        solver="adam" if w.optimizer == "adam" else "sgd",
        learning_rate_init=w.learning_rate,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=w.m if w.batch_size is None else w.batch_size,
        max_iter=w.epochs,
        tol=0.0,
        n_iter_no_change=10**9,
        early_stopping=False,
        shuffle=True,
        random_state=0,
    )
    X = w.X.astype(dtype)
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, w.y)
    return time.perf_counter() - began


def run_floor(w: Workload, dtype: str, params: dict[str, np.ndarray]) -> float:
    """The eight matrix products of every step, alone, into preallocated outputs."""
    rng = np.random.default_rng(0)
    L = len(w.sizes) - 1
    steps_per_epoch = w.steps // w.epochs
    b = w.m if w.batch_size is None else w.batch_size
    last = w.m - (steps_per_epoch - 1) * b  # the last, possibly smaller, mini-batch

    def products(m: int) -> Callable[[], None]:
        A = [rng.standard_normal((n, m)).astype(dtype) for n in w.sizes]
        W = [params[f"W{l}"] for l in range(1, L + 1)]
        dW = [np.empty_like(Wl) for Wl in W]
        dA = [np.empty_like(Al) for Al in A]

        def step() -> None:
            for l in range(L):
                np.matmul(W[l], A[l], out=A[l + 1])
            for l in range(L - 1, -1, -1):
                np.matmul(A[l + 1], A[l].T, out=dW[l])
                if l > 0:
                    np.matmul(W[l].T, A[l + 1], out=dA[l])

        return step

    full, tail = products(b), products(last)
    began = time.perf_counter()
    for _ in range(w.epochs):
        for _ in range(steps_per_epoch - 1):
            full()
        tail()
    return time.perf_counter() - began


CONTESTANTS: dict[str, Callable[[Workload, str, dict[str, np.ndarray]], float]] = {
    "dlrecipe": run_dlrecipe,
    "dlrecipe_passes": run_dlrecipe_passes,
    "numpy": run_numpy,
    "torch": run_torch,
    "sklearn": run_sklearn,
    "floor": run_floor,
}


# --- the workloads -----------------------------------------------------------------------------


def standardized(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / np.where(X.std(axis=0) == 0, 1, X.std(axis=0))


def workloads(quick: bool) -> list[Workload]:
    from sklearn.datasets import load_digits, make_circles

    X, y = make_circles(300, noise=0.1, factor=0.5, random_state=0)
    course = Workload(
        "course 2-10-5-1 GD",
        (2, 10, 5, 1),
        "sigmoid",
        standardized(X),
        y.astype(np.int64),
        epochs=2_000 if quick else 15_000,
        batch_size=None,
        optimizer="gd",
        learning_rate=0.05,
        repeats=1 if quick else 3,
        peers=("torch", "numpy") if quick else ("torch", "sklearn", "numpy"),
    )
    digits = load_digits()
    Xd, yd = standardized(digits.data), digits.target.astype(np.int64)
    digit_loads = [
        Workload(
            f"digits 64-256-128-10 {opt}",
            (64, 256, 128, 10),
            "softmax",
            Xd,
            yd,
            epochs=5 if quick else 20,
            batch_size=64,
            optimizer=opt,
            learning_rate=lr,
            repeats=1 if quick else 3,
        )
        for opt, lr in (("gd", 0.05), ("adam", 0.001))
    ]
    m = 10_000 if quick else 60_000
    gen = np.random.default_rng(0)
    Xm = gen.standard_normal((m, 784)).astype(np.float32)
    ym = (Xm[:, :10] @ gen.standard_normal((10, 10)).astype(np.float32)).argmax(axis=1)
    mnist = Workload(
        "mnist-size 784-512-256-10",
        (784, 512, 256, 10),
        "softmax",
        Xm,
        ym.astype(np.int64),
        epochs=1 if quick else 2,
        batch_size=128,
        optimizer="gd",
        learning_rate=0.05,
        # Its target sits closest to the line (85% of the floor), and one slow spell of this
        # shared machine moves its fraction by ~10 points: more runs make the best of each
        # contestant less a matter of luck.
        repeats=1 if quick else 5,
    )
    return [course, *digit_loads, mnist]


def measure(w: Workload, dtype: str) -> dict[str, float]:
    """The best of ``w.repeats`` times of every contestant, the repeats interleaved so that a
    slow spell of the (shared) machine does not fall on one contestant only."""
    params = initial_weights(w, dtype)
    passes = ["dlrecipe_passes"] if w.optimizer != "gd" else []  # gd has no fused update
    names = ["dlrecipe", *passes, *w.peers, "floor"]
    times = dict.fromkeys(names, math.inf)
    for _ in range(w.repeats):
        for name in names:
            times[name] = min(times[name], CONTESTANTS[name](w, dtype, params))
    return times


def machine() -> dict[str, str]:
    import sklearn
    import torch
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    blas = ", ".join(
        f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
        for p in threadpool_info()
        if p.get("user_api") == "blas"
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": str(torch.get_num_threads()),
        "sklearn": sklearn.__version__,
        "blas": blas,
    }


COLUMNS = (
    f"{'workload':27} {'dtype':7} {'dlrecipe s':>10} {'ex/s':>9} {'GFLOP/s':>7} {'floor %':>7} "
    f"{'numpy s':>8} {'torch s':>8} {'sklearn s':>9} {'floor s':>8} {'/numpy':>6} {'/torch':>6} "
    f"{'/sklearn':>8}"
)


def result_row(w: Workload, dtype: str, times: dict[str, float]) -> dict[str, object]:
    ours = times["dlrecipe"]
    return {
        "workload": w.name,
        "dtype": dtype,
        "layer_sizes": list(w.sizes),
        "examples": w.m,
        "epochs": w.epochs,
        "batch_size": w.batch_size,
        "optimizer": w.optimizer,
        "steps": w.steps,
        "flop": w.flops,
        "seconds": times,
        "examples_per_second": {k: w.m * w.epochs / t for k, t in times.items()},
        "gflops": {k: w.flops / t / 1e9 for k, t in times.items()},
        "floor_fraction": {k: times["floor"] / t for k, t in times.items() if k != "floor"},
        "ratio": {k: ours / t for k, t in times.items() if k not in ("dlrecipe", "floor")},
        # what the first trainings of a fresh process take (the update not compiled yet)
        "ratio_passes": {
            k: times["dlrecipe_passes"] / t
            for k, t in times.items()
            if "dlrecipe_passes" in times and k not in ("dlrecipe_passes", "floor")
        },
    }


def table_line(row: dict[str, Any]) -> str:
    times, ratio = row["seconds"], row["ratio"]

    def cell(key: str, width: int) -> str:
        return f"{times[key]:{width}.3f}" if key in times else f"{'-':>{width}}"

    def ratio_cell(key: str, width: int) -> str:
        return f"{ratio[key]:{width}.2f}" if key in ratio else f"{'-':>{width}}"

    return (
        f"{row['workload']:27} {row['dtype']:7} {times['dlrecipe']:10.3f} "
        f"{row['examples_per_second']['dlrecipe']:9.3g} {row['gflops']['dlrecipe']:7.2f} "
        f"{100 * row['floor_fraction']['dlrecipe']:6.1f}% {cell('numpy', 8)} {cell('torch', 8)} "
        f"{cell('sklearn', 9)} {cell('floor', 8)} {ratio_cell('numpy', 6)} "
        f"{ratio_cell('torch', 6)} {ratio_cell('sklearn', 8)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads (under a minute)")
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="where to write the results as JSON (default: benchmarks/results.json, "
        "except for --quick runs)",
    )
    parser.add_argument(
        "--dtype", choices=("float32", "float64"), action="append", help="default: both"
    )
    parser.add_argument("--only", metavar="TEXT", help="only the workloads whose name has TEXT")
    parser.add_argument(
        "--repeats", type=int, help="runs of each contestant, the best kept (default: per workload)"
    )
    args = parser.parse_args(argv)
    if args.json is None and not args.quick:
        args.json = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
    info = machine()
    info["compile_seconds"] = f"{compile_updates():.2f}"
    print(" | ".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    print(COLUMNS)
    rows = []
    for w in workloads(args.quick):
        if args.only and args.only not in w.name:
            continue
        if args.repeats:
            w.repeats = args.repeats
        for dtype in args.dtype or ("float32", "float64"):
            row = result_row(w, dtype, measure(w, dtype))
            rows.append(row)
            print(table_line(row), flush=True)
    for row in rows:
        if "dlrecipe_passes" in row["seconds"]:
            passes, ratio = row["seconds"]["dlrecipe_passes"], row["ratio_passes"]
            print(
                f"{row['workload']} {row['dtype']}, update not compiled yet (a fresh process's "
                f"first trainings): {passes:.3f} s, /torch {ratio.get('torch', math.nan):.2f}, "
                f"/sklearn {ratio.get('sklearn', math.nan):.2f}"
            )
    print(
        "ex/s: training examples processed per second; GFLOP/s: the eight products' arithmetic "
        "per second; floor %: the products alone / dlrecipe's time; /peer: dlrecipe's time / "
        "the peer's (below 1: dlrecipe is faster)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "quick": args.quick, "results": rows}, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
