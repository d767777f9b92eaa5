"""Training on a memory-mapped X streams it: the resident set stays far below the file size,
and the network trained is the one trained on the same data in memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dlrecipe import MLP
from dlrecipe.data import Standardizer
from dlrecipe.train.batches import streamed, streamed_standardizer, training_matrix

# Trains in a fresh interpreter, so that the peak resident set is this training's alone; prints
# the peak during fit minus the resident set before it, in bytes, and saves the weights.
TRAIN = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np
    from dlrecipe import MLP

    path, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
    X = np.load(path, mmap_mode="r") if mode == "mmap" else np.load(path)
    y = np.load(path.replace("X.npy", "y.npy"))
    model = MLP((X.shape[1], 16, 1), seed=0, dtype="float64")
    def memory(field):  # VmRSS (now) or VmHWM (peak) in bytes, from /proc on Linux
        with open("/proc/self/status") as f:
            line = next(l for l in f if l.startswith(field + ":"))
        return int(line.split()[1]) * 1024

    try:
        before = memory("VmRSS")
    except OSError:
        before = None
    model.fit(X, y, epochs=1, learning_rate=0.05, batch_size=256, optimizer="adam",
              progress=False)
    # VmHWM is this process's own peak. ru_maxrss is not: Linux carries it over from the
    # parent through fork and exec, so in a test it would be pytest's resident set.
    if before is not None:
        peak = memory("VmHWM")
    else:
        before, peak = 0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    np.savez(out, **model.params)
    print(json.dumps({"growth": peak - before}))
    """
)


def _train(X_path: Path, mode: str, out: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", TRAIN, str(X_path), mode, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(result.stdout.splitlines()[-1])["growth"])


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200 MB float32 .npy: 100,000 examples × 500 features (and labels)."""
    folder = tmp_path_factory.mktemp("out_of_core")
    rng = np.random.default_rng(0)
    X = np.lib.format.open_memmap(
        folder / "X.npy", mode="w+", dtype=np.float32, shape=(100_000, 500)
    )
    for start in range(0, len(X), 10_000):
        X[start : start + 10_000] = rng.normal(3.0, 2.0, (10_000, 500))
    y = (X[:, 0] + X[:, 1] > 6).astype(np.int64)
    X.flush()
    del X
    np.save(folder / "y.npy", y)
    return folder / "X.npy"


def test_memory_mapped_training_stays_small_and_equals_in_memory(
    big_file: Path, tmp_path: Path
) -> None:
    size = big_file.stat().st_size
    growth = _train(big_file, "mmap", tmp_path / "mmap.npz")
    assert growth < 0.25 * size, f"peak RSS grew by {growth / 2**20:.0f} MiB"
    _train(big_file, "memory", tmp_path / "memory.npz")
    streamed_params, in_memory = np.load(tmp_path / "mmap.npz"), np.load(tmp_path / "memory.npz")
    for name in in_memory.files:
        np.testing.assert_allclose(streamed_params[name], in_memory[name], rtol=0, atol=1e-10)


def test_chunked_standardizer_equals_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dlrecipe.train.batches.CHUNK_BYTES", 4096)  # many chunks
    rng = np.random.default_rng(1)
    X = rng.normal(1e3, 1e-2, (5_000, 7))
    X[:, 3] = 5.0  # constant: σ := 0 in both
    expected, chunked = Standardizer().fit(X), streamed_standardizer(X)
    np.testing.assert_allclose(chunked.mean, expected.mean, rtol=1e-12)
    np.testing.assert_allclose(chunked.std, expected.std, rtol=1e-12)
    assert chunked.constant_features == expected.constant_features == [3]
    assert chunked.n_samples_seen == 5_000


def test_memmap_is_checked_chunk_by_chunk_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dlrecipe.train.batches.CHUNK_BYTES", 1024)
    X = np.random.default_rng(2).normal(size=(1_000, 4))
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert streamed(mapped)
    assert not streamed(X)
    assert training_matrix(mapped) is mapped
    X[700, 2] = np.nan
    np.save(tmp_path / "bad.npy", X)
    with pytest.raises(ValueError, match="nan at row 700, column 2"):
        training_matrix(np.load(tmp_path / "bad.npy", mmap_mode="r"))


@pytest.mark.parametrize(("batch_size", "normalize"), [(64, True), (None, True), (64, False)])
def test_small_memmap_trains_bit_for_bit_as_in_memory(
    tmp_path: Path, batch_size: int | None, normalize: bool
) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 6)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    np.save(tmp_path / "X.npy", X)
    models = []
    for data in (X, np.load(tmp_path / "X.npy", mmap_mode="r")):
        model = MLP((6, 8, 1), seed=0)
        model.fit(
            data,
            y,
            epochs=3,
            learning_rate=0.1,
            batch_size=batch_size,
            normalize=normalize,
            progress=False,
        )
        models.append(model)
    for name, W in models[0].params.items():
        np.testing.assert_allclose(models[1].params[name], W, rtol=1e-12, atol=1e-14)
