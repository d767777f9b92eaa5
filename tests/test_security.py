"""Security: loaders never run code from a file, the HTML report escapes what came from the
user, and nothing in the package touches the network."""

from __future__ import annotations

import ast
import io
import os
import pickle
import socket
from pathlib import Path

import numpy as np
import pytest

from dlrecipe import load_data
from dlrecipe.cli import main
from dlrecipe.data.files import load_npz
from dlrecipe.report.run_report import write_run_report
from dlrecipe.train.checkpoint import Checkpoint
from dlrecipe.train.files import load_model

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dlrecipe"


class LeavesMarker:
    """Unpickling this creates a folder: the evidence that a pickle was run."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# --- no code from files ----------------------------------------------------------------------
@pytest.mark.parametrize("key", ["X", "y"])
def test_an_npz_whose_object_array_would_run_code_is_refused_unrun(tmp_path, key):
    marker = tmp_path / "ran"
    objects = np.empty(4, dtype=object)
    objects[:] = [LeavesMarker(marker)] * 4
    arrays = {"X": np.ones((4, 2)), "y": np.array([0, 1, 0, 1])} | {key: objects}
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)

    for load in (load_npz, load_data):
        with pytest.raises(ValueError, match=rf"array '{key}' holds Python objects.*never loaded"):
            load(path)
        assert not marker.exists()
    with np.load(path, allow_pickle=True) as archive:  # the same file, unpickled, does run
        archive[key]
    assert marker.is_dir()


@pytest.mark.parametrize("kind", ["model", "checkpoint", "csv"])
def test_a_pickle_under_a_loaders_name_is_refused_unrun(tmp_path, kind):
    marker = tmp_path / "ran"
    data = pickle.dumps({"W1": LeavesMarker(marker)})
    if kind == "csv":
        path = tmp_path / "table.csv"
        path.write_bytes(data)
        with pytest.raises(ValueError, match=r"not UTF-8|NUL byte"):
            load_data(path)
    else:
        path = tmp_path / f"{kind}.safetensors"
        path.write_bytes(data)
        load = load_model if kind == "model" else Checkpoint.load
        with pytest.raises(ValueError, match="pickle file: dlrecipe never loads pickles"):
            load(path)
    assert not marker.exists()


def imports(path: Path) -> set[str]:
    """The top-level names of every module ``path`` imports (absolute imports)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def calls(path: Path) -> set[str]:
    """Names called in ``path``, e.g. ``eval`` or ``np.load``'s keyword ``allow_pickle=True``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                found.add(node.func.id)
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "allow_pickle" and not (
                    isinstance(value, ast.Constant) and value.value is False
                ):
                    found.add("allow_pickle")
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))
NETWORK = {"socket", "urllib", "http", "requests", "httpx", "urllib3", "ftplib", "smtplib", "ssl"}
UNSAFE = {"pickle", "marshal", "shelve", "dill", "joblib", "cloudpickle", "yaml"}


def test_the_package_is_there_to_check():
    assert len(SOURCES) > 50
    assert "numpy" in imports(PACKAGE / "train" / "files.py")  # the scan sees imports


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_the_network_or_an_unpickler_or_evaluates_text(path):
    assert not imports(path) & NETWORK
    assert not imports(path) & UNSAFE
    assert not calls(path) & {"eval", "exec", "compile", "__import__", "allow_pickle"}


def test_settings_and_records_are_read_as_toml_and_json_only():
    readers = {
        path.relative_to(PACKAGE).as_posix()
        for path in SOURCES
        if imports(path) & {"tomllib", "tomli", "json"}
    }
    assert "cli/toml_io.py" in readers
    assert "train/safe_files.py" in readers


# --- the HTML report escapes what came from the user ------------------------------------------
SCRIPT = "<script>alert(1)</script>"


def test_the_report_escapes_data_set_column_and_class_names(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    labels = np.where(X[:, 0] > 0, "<b onmouseover=alert(2)>yes</b>", "no")
    path = tmp_path / "<script>alert(1)<script>.csv"  # a file name cannot hold "/"
    path.write_text(
        f'"{SCRIPT}",weight,"<img src=x onerror=alert(3)>"\n'
        + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, labels, strict=True))
    )
    folder = tmp_path / "run"
    code, _, error = cli(
        "train", "--data", path, "--layers", "4", "--epochs", "3", "--out", folder, "--no-progress"
    )
    assert code == 0, error
    page = write_run_report(folder).read_text(encoding="utf-8")

    for raw in ("<script>alert", "<img src=x", "<b onmouseover"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;script&gt;.csv" in page  # the data set's name, escaped
    assert "&lt;img src=x onerror=alert(3)&gt;" in page  # the target column, escaped
    assert page.count("<script") == 0


# --- no network ---------------------------------------------------------------------------------
@pytest.fixture
def offline(monkeypatch):
    """Every way out to the network fails, and is recorded."""
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted in a test that forbids it")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket.socket, "sendto", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_train_run_report_and_demos_work_offline(tmp_path, offline):
    code, _, error = cli(
        "train", "--data", "moons", "--layers", "4", "--epochs", "3", "--out", tmp_path / "t"
    )
    assert code == 0, error
    code, _, error = cli(
        "run", "--data", "xor", "--budget", "5m", "--jobs", "2", "--out", tmp_path / "r"
    )
    assert code == 0, error
    code, _, error = cli("report", tmp_path / "r")
    assert code == 0, error
    code, _, error = cli("demo", "split", "--output", tmp_path / "demo")
    assert code == 0, error
    assert load_data("digits").X.shape == (1797, 64)  # shipped with scikit-learn, not fetched
    assert offline == []
    with pytest.raises(OSError, match="network access attempted"):  # the guard is live
        socket.create_connection(("127.0.0.1", 9))
