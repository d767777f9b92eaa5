"""Faults: a full disk or a read-only folder while saving, numerical trouble, and SIGKILL of
``dlrecipe run``. Each ends with a clear error, the previous checkpoint intact and loadable, no
temporary file and never a NaN model on disk; a resume then finishes bit for bit."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dlrecipe
from dlrecipe import initializers
from dlrecipe.cli import main
from dlrecipe.data import moons
from dlrecipe.train import atomic
from dlrecipe.train.atomic import TEMPORARY_SUFFIX
from dlrecipe.train.checkpoint import Checkpoint
from dlrecipe.train.files import load_model, save_model
from dlrecipe.train.guard import TrainingDiverged

X, Y = moons(300, noise=0.2, seed=0)
DEV = moons(100, noise=0.2, seed=1)
EPOCHS = 8


# --- a failing writer ----------------------------------------------------------------------------
def target_of(temporary: str) -> str:
    """``.checkpoint.safetensors.<12 hex>.tmp`` -> ``checkpoint.safetensors``."""
    name = Path(temporary).name
    return name[1:].rsplit(".", 2)[0] if name.endswith(TEMPORARY_SUFFIX) else ""


@contextmanager
def failing(step: str, code: int, target: str, at: int) -> Iterator[list[str]]:
    """Make ``write_atomic``'s ``step`` (open, write, fsync or replace) fail with ``code`` on
    its ``at``-th write of ``target``; yields the targets written, in order.

    ``write`` really writes half the bytes first, as a disk that fills up mid-file does.
    """
    real_open, real_fsync, real_replace = os.open, os.fsync, os.replace
    written: list[str] = []
    opened: dict[int, str] = {}  # fd -> the target its temporary file stands for

    def fail() -> None:
        raise OSError(code, os.strerror(code))

    def due(name: str) -> bool:
        return name == target and written.count(target) == at

    def fake_open(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        name = target_of(os.fspath(path))
        if name:
            written.append(name)
            if step == "open" and due(name):
                fail()
        fd = real_open(path, flags, mode, **kwargs)
        if name:
            opened[fd] = name
        return fd

    def fake_fsync(fd: int) -> None:
        if step == "fsync" and due(opened.get(fd, "")):
            fail()
        real_fsync(fd)

    def fake_replace(source: Any, destination: Any, **kwargs: Any) -> None:
        if step == "replace" and due(target_of(os.fspath(source))):
            fail()
        real_replace(source, destination, **kwargs)

    class HalfWriter:
        def __init__(self, file: Any) -> None:
            self.file = file

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

        def write(self, data: bytes) -> int:
            self.file.write(data[: len(data) // 2])
            self.file.flush()
            fail()
            return 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.file, name)

    def fake_builtin_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened_file = open(file, *args, **kwargs)  # noqa: SIM115 - closed by the caller
        if step == "write" and isinstance(file, int) and due(opened.get(file, "")):
            return HalfWriter(opened_file)
        return opened_file

    patches = [(os, "open", fake_open), (os, "fsync", fake_fsync), (os, "replace", fake_replace)]
    saved = [(module, name, getattr(module, name)) for module, name, _ in patches]
    try:
        for module, name, fake in patches:
            setattr(module, name, fake)
        atomic.open = fake_builtin_open  # type: ignore[attr-defined]
        yield written
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
        del atomic.open  # type: ignore[attr-defined]


FAULTS = {  # (step, errno): the ways a save can fail
    "disk full at write": ("write", errno.ENOSPC),
    "disk full at fsync": ("fsync", errno.ENOSPC),
    "disk full at rename": ("replace", errno.ENOSPC),
    "read-only at open": ("open", errno.EROFS),
    "read-only at rename": ("replace", errno.EROFS),
    "permission denied at open": ("open", errno.EACCES),
}


def new_model() -> dlrecipe.MLP:
    return dlrecipe.MLP((2, 8, 8, 1), keep_prob=(1.0, 0.9, 0.9), seed=4)


def train(run: Path | None = None, **options: Any) -> dlrecipe.MLP:
    model = new_model()
    settings = {"epochs": EPOCHS, "learning_rate": 0.01, "optimizer": "adam", "batch_size": 64}
    if "resume" in options:
        settings = {}
    model.fit(X, Y, dev=DEV, progress=False, run_dir=run, checkpoint_every=1, **settings, **options)
    return model


@pytest.fixture(scope="module")
def reference() -> dlrecipe.MLP:
    return train()


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def same_weights(a: dlrecipe.MLP, b: dlrecipe.MLP) -> bool:
    return sorted(a.params) == sorted(b.params) and all(
        a.params[name].tobytes() == b.params[name].tobytes() for name in a.params
    )


STRERROR = {code: os.strerror(code) for code in (errno.ENOSPC, errno.EROFS, errno.EACCES)}


@pytest.mark.parametrize(("step", "code"), FAULTS.values(), ids=FAULTS.keys())
def test_a_failed_checkpoint_keeps_the_previous_one_and_resumes_bit_for_bit(
    tmp_path, reference, step, code
):
    run = tmp_path / "run"
    with (
        failing(step, code, "checkpoint.safetensors", at=3) as written,
        pytest.raises(OSError, match="cannot write") as raised,
    ):
        train(run)
    message = str(raised.value)
    assert raised.value.errno == code
    assert "cannot write" in message
    assert "checkpoint.safetensors" in message
    assert STRERROR[code] in message
    assert "the previous file is intact" in message
    assert written.count("checkpoint.safetensors") == 3  # the fault was reached, once

    # the previous checkpoint is intact and loadable; nothing half-written, no NaN model
    assert names(run) == ["checkpoint.safetensors", "config.json", "history.csv"]
    checkpoint = Checkpoint.load(run / "checkpoint.safetensors")
    assert checkpoint.epoch == 1  # the checkpoints of epochs 1 and 2 were written
    assert all(np.isfinite(p).all() for p in checkpoint.params.values())
    assert (run / "history.csv").read_text().count("\n") == 1 + 2

    resumed = train(resume=run)
    assert same_weights(resumed, reference)
    assert same_weights(load_model(run / "model.safetensors"), reference)
    assert names(run) == [
        "checkpoint.safetensors",
        "config.json",
        "history.csv",
        "model.safetensors",
    ]


def test_a_full_disk_while_saving_the_model_keeps_the_last_checkpoint(tmp_path, reference):
    run = tmp_path / "run"
    with (
        failing("write", errno.ENOSPC, "model.safetensors", at=1),
        pytest.raises(
            OSError, match=r"cannot write .*model\.safetensors: No space left on device; no file"
        ),
    ):
        train(run)
    assert names(run) == ["checkpoint.safetensors", "config.json", "history.csv"]
    assert Checkpoint.load(run / "checkpoint.safetensors").epoch == EPOCHS - 1
    resumed = train(resume=run)  # nothing left to train: the model is written
    assert same_weights(resumed, reference)
    assert same_weights(load_model(run / "model.safetensors"), reference)


def test_a_full_disk_keeps_the_previous_model_file(tmp_path, reference):
    path = tmp_path / "model.safetensors"
    save_model(reference, path)
    before = path.read_bytes()
    with (
        failing("fsync", errno.ENOSPC, "model.safetensors", at=1),
        pytest.raises(OSError, match="the previous file is intact"),
    ):
        save_model(new_model(), path)
    assert path.read_bytes() == before
    assert same_weights(load_model(path), reference)
    assert names(tmp_path) == ["model.safetensors"]


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


TRAIN = ("train", "--data", "moons", "--layers", "8", "--epochs", "6", "--checkpoint-every", "1")


def test_dlrecipe_train_on_a_full_disk_exits_1_and_resumes(tmp_path):
    code, _, error = cli(*TRAIN, "--out", tmp_path / "reference", "--no-progress")
    assert code == 0, error
    run = tmp_path / "run"
    with failing("fsync", errno.ENOSPC, "checkpoint.safetensors", at=4):
        code, printed, error = cli(*TRAIN, "--out", run, "--no-progress")
    assert printed == ""
    assert code == 1
    assert error.count("\n") == 1
    assert "dlrecipe: error: cannot write" in error
    assert "checkpoint.safetensors: No space left on device; the previous file is intact" in error
    assert not any(name.startswith(".") for name in names(run))
    assert "model.safetensors" not in names(run)

    code, _, error = cli("train", "--resume", run, "--no-progress")
    assert code == 0, error
    assert same_weights(
        load_model(run / "model.safetensors"),
        load_model(tmp_path / "reference" / "model.safetensors"),
    )


# --- numerical trouble ---------------------------------------------------------------------------
TROUBLE: dict[str, tuple[Callable[[], tuple[dlrecipe.MLP, np.ndarray, dict[str, Any]]], list[str]]]
TROUBLE = {
    "learning rate 100 times too large": (
        lambda: (dlrecipe.MLP((2, 16, 16, 1), seed=0), X, {"learning_rate": 10.0}),
        ["training diverged", "grew to", "lower the learning rate (now 10; try a tenth)"],
    ),
    "inputs scaled by 1e6": (
        lambda: (dlrecipe.MLP((2, 16, 16, 1), seed=0), X * 1e6, {"normalize": False}),
        ["training diverged", "far too large", "Likely fixes: normalize the inputs"],
    ),
    "50 layers with random x10 weights": (
        lambda: (
            dlrecipe.MLP((2, *[16] * 49, 1), init=initializers.random(scale=10), seed=0),
            X,
            {},
        ),
        ["training diverged", "initial weights", "Likely fixes: use He initialization"],
    ),
}


@pytest.mark.parametrize(("make", "words"), TROUBLE.values(), ids=TROUBLE.keys())
def test_numerical_trouble_stops_with_a_diagnosis_and_no_nan_on_disk(tmp_path, make, words):
    model, inputs, options = make()
    settings = {"epochs": 30, "learning_rate": 0.01, "optimizer": "gd"} | options
    run = tmp_path / "run"
    with pytest.raises(TrainingDiverged) as raised:
        model.fit(inputs, Y, run_dir=run, checkpoint_every=1, progress=False, **settings)
    message = str(raised.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert all(np.isfinite(p).all() for p in model.params.values())  # the best weights kept
    assert "model.safetensors" not in names(run)
    assert not any(name.startswith(".") for name in names(run))
    for path in run.glob("*.safetensors"):
        checkpoint = Checkpoint.load(path)
        assert all(np.isfinite(p).all() for p in checkpoint.params.values())


# --- SIGKILL of dlrecipe run ---------------------------------------------------------------------
RUN = ("run", "--data", "moons", "--budget", "10m", "--jobs", "1", "--seed", "3")


def run_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "dlrecipe", *RUN, "--out", str(folder)]


def without_seconds(value: Any) -> Any:
    """JSON without the wall-clock times it records (``seconds``)."""
    if isinstance(value, dict):
        return {k: without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_seconds(v) for v in value]
    return value


def outcome(folder: Path) -> dict[str, Any]:
    """What a finished run decided and learned, without its timings."""
    model = load_model(folder / "model.safetensors")
    history = [line.rsplit(",", 1)[0] for line in (folder / "history.csv").read_text().splitlines()]
    return {
        "weights": {name: p.tobytes() for name, p in model.params.items()},
        "decisions": without_seconds(json.loads((folder / "decisions.json").read_text())),
        "summary": without_seconds(json.loads((folder / "summary.json").read_text())),
        "history": history,
    }


@pytest.fixture(scope="module")
def run_reference(tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("run") / "reference"
    completed = subprocess.run(run_command(folder), capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return outcome(folder)


def complete_files(folder: Path) -> None:
    """Every file of a run folder that exists is whole: JSON parses, the model loads."""
    if not folder.exists():
        return
    assert not [name for name in names(folder) if name.endswith(TEMPORARY_SUFFIX)]
    for path in folder.iterdir():
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".safetensors":
            load_model(path)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is a POSIX signal")
def test_sigkill_of_dlrecipe_run_at_random_moments_then_run_again_is_bit_identical(
    tmp_path, run_reference
):
    folder = tmp_path / "run"
    rng = np.random.default_rng(8)
    for _ in range(3):
        process = subprocess.Popen(
            run_command(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # While it imports, splits, checks and trains: before it writes its folder, which
        # takes at least 2 s here. Kills between its files are the next test's.
        moment = rng.uniform(0.1, 0.8)
        try:
            process.wait(timeout=moment)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL, "the run ended before it was killed"
        complete_files(folder)
    completed = subprocess.run(run_command(folder), capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert outcome(folder) == run_reference


class Killed(BaseException):
    """Stands for SIGKILL: nothing catches it, and the process stops writing there."""


# Every file dlrecipe run writes, in order: the model comes last, so a folder without it is one
# that was killed while writing and that run may write again.
RUN_FILES = (
    "config.json",
    "data.json",
    "history.csv",
    "decisions.json",
    "decisions.txt",
    "summary.json",
    "model.safetensors",
)


@pytest.mark.parametrize("file", RUN_FILES)
def test_dlrecipe_run_killed_between_its_files_runs_again(
    tmp_path, monkeypatch, run_reference, file
):
    folder = tmp_path / "run"
    real = os.replace

    def dies_at(source: Any, destination: Any) -> None:
        if Path(destination).name == file:  # the instant before the file would appear
            raise Killed
        real(source, destination)

    monkeypatch.setattr(os, "replace", dies_at)
    with pytest.raises(Killed):
        main([*RUN, "--out", str(folder)], out=io.StringIO(), err=io.StringIO())
    monkeypatch.undo()
    complete_files(folder)
    code, _, error = cli(*RUN, "--out", folder)
    assert code == 0, error
    assert outcome(folder) == run_reference
