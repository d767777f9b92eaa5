"""SIGKILL a real training process several times, then resume: the same weights, bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import dlrecipe
from dlrecipe.train.checkpoint import Checkpoint

SCRIPT = """
import sys
import dlrecipe
from dlrecipe.data import moons

run, mode = sys.argv[1], sys.argv[2]
X, y = moons(2000, noise=0.2, seed=0)
Xd, yd = moons(400, noise=0.2, seed=1)
model = dlrecipe.MLP((2, 64, 64, 1), keep_prob=(1.0, 0.9, 0.9), seed=3)
common = dict(dev=(Xd, yd), callbacks=[dlrecipe.EarlyStopping(patience=10_000)], progress=False)
if mode == "resume":
    model.fit(X, y, resume=run, **common)
else:
    model.fit(X, y, epochs=150, learning_rate=0.003, optimizer="adam", batch_size=64,
              run_dir=run, checkpoint_every=1, **common)
print("finished", flush=True)
"""

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is a POSIX signal")


def start(run: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(run), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def epochs_done(run: Path) -> int:
    """Epochs in the run's history.csv (rewritten atomically at every checkpoint)."""
    try:
        return (run / "history.csv").read_text().count("\n") - 1
    except FileNotFoundError:
        return 0


def test_sigkill_at_random_moments_then_resume_is_bit_identical(tmp_path):
    reference = tmp_path / "reference"
    process = start(reference, "new")
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err

    run = tmp_path / "killed"
    rng = np.random.default_rng(2026)
    epochs_at_kill = []
    for target in (5, 40, 80, 120):  # kill once past each of these epochs, at a random instant
        mode = "resume" if (run / "checkpoint.safetensors").exists() else "new"
        process = start(run, mode)
        deadline = time.monotonic() + 120
        while epochs_done(run) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.03))  # mid-epoch, mid-write: wherever it lands
        assert process.poll() is None, "the training finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        # never half-written: the last checkpoint always loads
        epochs_at_kill.append(Checkpoint.load(run / "checkpoint.safetensors").epoch)

    process = start(run, "resume")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "finished" in out

    assert epochs_at_kill == sorted(epochs_at_kill)  # each resume made progress
    assert epochs_at_kill[0] >= 4
    assert epochs_at_kill[-1] < 149
    expected = dlrecipe.load_model(reference / "model.safetensors")
    resumed = dlrecipe.load_model(run / "model.safetensors")
    for name, p in expected.params.items():
        assert np.array_equal(resumed.params[name], p), name
    assert epochs_done(run) == 150
    assert sorted(p.name for p in run.iterdir()) == [  # no temporary files left over
        "checkpoint.safetensors",
        "config.json",
        "history.csv",
        "model.safetensors",
    ]
