"""Out of core: one epoch on a ~4 GB memory-mapped ``.npy``, and the memory it takes.

    python benchmarks/out_of_core.py [--gigabytes 4] [--dir /tmp] [--json out.json]

Writes a float32 ``X`` of about ``--gigabytes`` GB (and its labels) into a temporary folder
under ``--dir``, trains one epoch on it streamed (``np.load(..., mmap_mode="r")``) in a fresh
interpreter, and deletes the files. The child reports its peak resident set during ``fit``
beyond the resident set just before it (``VmHWM`` after, reset through
``/proc/self/clear_refs`` where the kernel allows, minus ``VmRSS`` before, from
``/proc/self/status``). ``ru_maxrss`` would be wrong here: Linux carries it over from the
parent process through fork and exec. The model and one batch's buffers are then subtracted:
what remains is what streaming itself costs. Target: < 1 GB.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FEATURES = 1024
BATCH = 1024
SIZES = (FEATURES, 64, 10)
TARGET_BYTES = 2**30


def write_data(folder: Path, gigabytes: float) -> tuple[Path, Path]:
    """``X.npy`` (float32, ``FEATURES`` columns) written in chunks, and ``y.npy`` (10 classes)."""
    rows = int(gigabytes * 1e9) // (4 * FEATURES)
    rng = np.random.default_rng(0)
    directions = rng.standard_normal((FEATURES, 10)).astype(np.float32)
    X = np.lib.format.open_memmap(
        folder / "X.npy", mode="w+", dtype=np.float32, shape=(rows, FEATURES)
    )
    y = np.empty(rows, np.int64)
    chunk = 16_384
    for start in range(0, rows, chunk):
        block = rng.standard_normal((min(chunk, rows - start), FEATURES), dtype=np.float32)
        X[start : start + len(block)] = block
        y[start : start + len(block)] = (block @ directions).argmax(axis=1)
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    return folder / "X.npy", folder / "y.npy"


CHILD = """
import json, sys, time
import numpy as np
from dlrecipe import MLP

def memory(field):
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith(field + ":")).split()[1]) * 1024

X = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2])
sizes = tuple(json.loads(sys.argv[3]))
batch = int(sys.argv[4])
model = MLP(sizes, output_activation="softmax", seed=0, dtype="float32")
try:  # reset VmHWM to the current resident set, so the peak is fit's own
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
before = memory("VmRSS")
began = time.perf_counter()
history = model.fit(X, y, epochs=1, learning_rate=0.05, batch_size=batch, optimizer="adam",
                    progress=False)
seconds = time.perf_counter() - began
peak = memory("VmHWM")
print(json.dumps({"before": before, "peak": peak, "hwm_reset": reset, "seconds": seconds,
                  "cost": float(history.cost[-1]), "error": float(history.error[-1])}))
"""


def measure(gigabytes: float, directory: str) -> dict[str, object]:
    needed = gigabytes * 1e9 * 1.1 + 2**30
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise SystemExit(f"{directory} has {free / 1e9:.1f} GB free; {needed / 1e9:.1f} GB needed")
    folder = Path(tempfile.mkdtemp(prefix="dlrecipe-ooc-", dir=directory))
    try:
        began = time.perf_counter()
        X_path, y_path = write_data(folder, gigabytes)
        written = time.perf_counter() - began
        X = np.load(X_path, mmap_mode="r")
        shape, file_bytes = X.shape, X_path.stat().st_size
        del X
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(X_path), str(y_path), json.dumps(SIZES), str(BATCH)],
            capture_output=True,
            text=True,
            check=True,
        )
        child = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    itemsize = 4
    n_params = sum(a * b + b for a, b in itertools.pairwise(SIZES))
    # The model with Adam's state (θ, dθ, Δθ, v, s, scratch) and one batch: the raw rows, the
    # normalized rows, and the workspace's Z, A, g'(Z), dZ per layer.
    model_bytes = 6 * n_params * itemsize
    batch_bytes = BATCH * itemsize * (2 * FEATURES + 4 * sum(SIZES[1:]))
    growth = child["peak"] - child["before"]
    return {
        "file_bytes": file_bytes,
        "shape": list(shape),
        "layer_sizes": list(SIZES),
        "batch_size": BATCH,
        "write_seconds": written,
        "fit_seconds": child["seconds"],
        "rss_before_fit": child["before"],
        "peak_rss_during_fit": child["peak"],
        "hwm_reset": child["hwm_reset"],
        "growth": growth,
        "model_and_batch_bytes": model_bytes + batch_bytes,
        "beyond_model_and_batch": growth - model_bytes - batch_bytes,
        "target_bytes": TARGET_BYTES,
        "met": growth - model_bytes - batch_bytes < TARGET_BYTES,
        "cost": child["cost"],
        "error": child["error"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=4.0)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--json", metavar="PATH", help="write the result as JSON")
    args = parser.parse_args(argv)
    r = measure(args.gigabytes, args.dir)
    mib = 2**20
    print(
        f"X {r['shape'][0]:,} x {r['shape'][1]} float32, {r['file_bytes'] / 1e9:.2f} GB "
        f"(written in {r['write_seconds']:.0f} s); one epoch streamed in {r['fit_seconds']:.1f} s\n"
        f"resident set before fit {r['rss_before_fit'] / mib:.0f} MiB, peak during fit "
        f"{r['peak_rss_during_fit'] / mib:.0f} MiB: growth {r['growth'] / mib:.0f} MiB, of which "
        f"model + one batch {r['model_and_batch_bytes'] / mib:.1f} MiB; beyond them "
        f"{r['beyond_model_and_batch'] / mib:.0f} MiB (target < 1024 MiB: "
        f"{'met' if r['met'] else 'NOT met'})"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
