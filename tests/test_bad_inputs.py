"""The bad-input matrix: every malformed input gets a clear error and leaves nothing behind.

Each case builds its inputs in a fresh folder (the current folder too, so a default ``runs/``
would show), lists everything in it, runs one call of the Python API, the loaders or the
command line, and checks:

* the exception type (Python) or the exit code (command line: 2 usage, 1 runtime), with a
  one-line message and no traceback;
* the key words of the message: what was wrong, the offending value, what is accepted;
* that the folder holds exactly what it held before: no partial output, no temporary file.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy

import dlrecipe
from dlrecipe.cli import main
from dlrecipe.data import load_csv, load_data, split
from dlrecipe.data.files import load_image_folder, load_npz
from dlrecipe.sklearn import NetClassifier
from dlrecipe.train.files import load_model, save_model
from dlrecipe.train.safe_files import checksum

Action = Callable[[], Any]
CASES: dict[str, tuple[Callable[[Path, Path], Action], Any, tuple[str, ...]]] = {}


def case(name: str, expect: Any, *words: str):
    """Register ``setup(folder, run) -> action``: ``action()`` must fail with ``expect``."""

    def register(setup: Callable[[Path, Path], Action]) -> Callable[[Path, Path], Action]:
        assert name not in CASES, name
        CASES[name] = (setup, expect, words)
        return setup

    return register


def cli(*argv: object) -> Action:
    def call() -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main([str(arg) for arg in argv], out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    return call


def data(n: int = 40, n_features: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    return X, (X[:, 0] > 0).astype(np.int64)


def fit(model: dlrecipe.MLP, X: Any, y: Any, **options: Any) -> Action:
    settings = {"epochs": 2, "learning_rate": 0.1, "progress": False} | options
    return lambda: model.fit(X, y, **settings)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def with_value(value: float, row: int = 3, column: int = 1, y: bool = False):
    X, labels = data()
    if y:
        targets = labels.astype(np.float64)
        targets[row] = value
        return X, targets
    X[row, column] = value
    return X, labels


SIGMOID = {"output_activation": "sigmoid"}


def net(*sizes: int, **options: Any) -> dlrecipe.MLP:
    return dlrecipe.MLP(sizes or (2, 4, 1), seed=0, **options)


def trained(folder: Path, **options: Any) -> dlrecipe.MLP:
    model = net(**options)
    X, y = data()
    model.fit(X, y, epochs=1, learning_rate=0.1, progress=False)
    return model


# --- the Python API: data ------------------------------------------------------------------------
@case("fit: NaN in X", ValueError, "non-finite", "nan", "row 3, column 1", "impute")
def _(folder, run):
    return fit(net(), *with_value(float("nan")))


@case("fit: +inf in X", ValueError, "non-finite", "inf", "row 3, column 1")
def _(folder, run):
    return fit(net(), *with_value(float("inf")))


@case("fit: -inf in X", ValueError, "non-finite", "-inf", "row 3")
def _(folder, run):
    return fit(net(), *with_value(-float("inf")))


@case("fit: NaN in y", ValueError, "y", "non-finite", "nan", "row 5")
def _(folder, run):
    return fit(net(), *with_value(float("nan"), row=5, y=True))


@case("fit: inf in a regression target", ValueError, "y", "non-finite", "inf", "row 7")
def _(folder, run):
    return fit(net(2, 4, 1, output_activation="linear"), *with_value(np.inf, row=7, y=True))


@case("fit: label 2 for one sigmoid unit", ValueError, "sigmoid", "0/1 labels", "2", "softmax")
def _(folder, run):
    X, y = data()
    y[4] = 2
    return fit(net(), X, y)


@case("fit: label 5 for 3 softmax units", ValueError, "n[L]=3", "0 … 2", "5")
def _(folder, run):
    X, y = data()
    y[4] = 5
    return fit(net(2, 4, 3, output_activation="softmax"), X, y)


@case("fit: label -1 for softmax", ValueError, "0 … 2", "-1")
def _(folder, run):
    X, y = data()
    y[0] = -1
    return fit(net(2, 4, 3, output_activation="softmax"), X, y)


@case("fit: regression targets to a sigmoid classifier", ValueError, "0/1 labels", "'linear'")
def _(folder, run):
    X, _ = data()
    return fit(net(), X, X[:, 0] * 3.7)


@case("fit: regression targets to a softmax classifier", ValueError, "integer class labels")
def _(folder, run):
    X, _ = data()
    return fit(net(2, 4, 3, output_activation="softmax"), X, np.abs(X[:, 0]))


@case("fit: text labels", ValueError, "y must hold numbers", "<U")
def _(folder, run):
    X, y = data()
    return fit(net(), X, np.where(y == 1, "dog", "cat"))


@case("fit: y shorter than X", ValueError, "40 rows", "y has 39")
def _(folder, run):
    X, y = data()
    return fit(net(), X, y[:-1])


@case("fit: X with no rows", ValueError, "no rows", "n_samples = 0")
def _(folder, run):
    return fit(net(), np.empty((0, 2)), np.empty(0, dtype=np.int64))


@case("fit: X of one dimension", ValueError, "2-D", "shape (40,)", "reshape")
def _(folder, run):
    X, y = data()
    return fit(net(), X[:, 0], y)


@case("fit: X of text", ValueError, "X must hold numbers", "dtype")
def _(folder, run):
    X, y = data()
    return fit(net(), X.astype(str), y)


@case("fit: one example, normalized", ValueError, "at least 2 examples", "got 1")
def _(folder, run):
    X, y = data()
    return fit(net(), X[:1], y[:1])


@case("predict: wrong number of features", ValueError, "3 features", "n[0]=2")
def _(folder, run):
    model = trained(folder)
    return lambda: model.predict(np.ones((5, 3)))


@case("evaluate: wrong number of features", ValueError, "1 features", "2")
def _(folder, run):
    model = trained(folder)
    return lambda: model.evaluate(np.ones((5, 1)), np.zeros(5))


@case("predict: NaN in X", ValueError, "non-finite", "nan", "row 1")
def _(folder, run):
    model = trained(folder)
    X = np.ones((3, 2))
    X[1, 0] = np.nan
    return lambda: model.predict(X)


@case("split: empty data", ValueError, "0 examples are too few", "every part")
def _(folder, run):
    return lambda: split(np.empty((0, 2)), np.empty(0))


@case("split: one example", ValueError, "1 examples are too few", "every part")
def _(folder, run):
    X, y = data()
    return lambda: split(X[:1], y[:1])


@case("NetClassifier: one class", ValueError, "at least two classes", "one class")
def _(folder, run):
    X, _ = data()
    return lambda: NetClassifier().fit(X, np.zeros(len(X), dtype=np.int64))


# --- the Python API: settings ---------------------------------------------------------------
@case("MLP: keep_prob 0", ValueError, "keep_prob=0", "(0, 1]", "1.0 for no dropout")
def _(folder, run):
    return lambda: net(keep_prob=0)


@case("MLP: keep_prob 1.5", ValueError, "keep_prob=1.5", "(0, 1]")
def _(folder, run):
    return lambda: net(keep_prob=1.5)


@case("MLP: l2 < 0", ValueError, "l2=-0.1", ">= 0")
def _(folder, run):
    return lambda: net(l2=-0.1)


@case("MLP: an unknown dtype", ValueError, "'float64' or 'float32'", "dtype='floax32'")
def _(folder, run):
    return lambda: net(dtype="floax32")


@case("MLP: layer size 0", ValueError, "layer_sizes[1]=0", "integer >= 1")
def _(folder, run):
    return lambda: net(2, 0, 1)


@case("fit: learning rate 0", ValueError, "learning_rate=0", "> 0")
def _(folder, run):
    return fit(net(), *data(), learning_rate=0)


@case("fit: learning rate < 0", ValueError, "learning_rate=-0.1", "> 0")
def _(folder, run):
    return fit(net(), *data(), learning_rate=-0.1)


@case("fit: learning rate NaN", ValueError, "learning_rate=nan", "finite")
def _(folder, run):
    return fit(net(), *data(), learning_rate=float("nan"))


@case("fit: batch larger than the data", ValueError, "batch_size=100", "40 training examples")
def _(folder, run):
    return fit(net(), *data(), batch_size=100)


@case("fit: 0 epochs", ValueError, "epochs=0", ">= 1")
def _(folder, run):
    return fit(net(), *data(), epochs=0)


# --- the Python API: folders and files ---------------------------------------------------------
@case("fit: run_dir is a file", ValueError, "is a file", "choose a folder")
def _(folder, run):
    write(folder, "taken", "x")
    return fit(net(), *data(), run_dir=folder / "taken")


@case("fit: resume from a folder that is not a run", ValueError, "no checkpoint", "not a run")
def _(folder, run):
    (folder / "empty").mkdir()
    return fit(net(), *data(), resume=folder / "empty")


@case("fit: run_dir that cannot be created", OSError, "cannot create run folder", "taken")
def _(folder, run):
    write(folder, "taken", "x")
    return fit(net(), *data(), run_dir=folder / "taken" / "run")


@case("save_model: an unwritable path", OSError, "cannot write", "no file was written")
def _(folder, run):
    write(folder, "taken", "x")
    model = net()
    return lambda: save_model(model, folder / "taken" / "model.safetensors")


@case("save_model: onto a folder", OSError, "cannot write", "model.safetensors")
def _(folder, run):
    (folder / "model.safetensors").mkdir()
    model = net()
    return lambda: save_model(model, folder / "model.safetensors")


SPEC = json.dumps(net().spec.to_config())


def model_bytes(folder: Path) -> bytes:
    path = folder / "source.safetensors"
    save_model(net(), path)
    data = path.read_bytes()
    path.unlink()
    return data


def damaged_model(change: Callable[[bytes], bytes]) -> Callable[[Path, Path], Action]:
    def setup(folder: Path, run: Path) -> Action:
        original = model_bytes(folder)
        changed = change(original)
        assert changed != original
        path = write(folder, "model.safetensors", changed)
        return lambda: load_model(path)

    return setup


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x10]) + data[index + 1 :]


def rewrite_metadata(data: bytes, **changes: str) -> bytes:
    """The model file with ``__metadata__`` entries changed (the arrays are kept)."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    header["__metadata__"] |= changes
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


def rewrite_header(data: bytes, old: bytes, new: bytes) -> bytes:
    """The file with ``old`` replaced by ``new`` once in its JSON header (length updated)."""
    n = struct.unpack("<Q", data[:8])[0]
    text = data[8 : 8 + n].replace(old, new, 1)
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


case("load_model: an infinite array offset", ValueError, "corrupted", "header", "infinity")(
    damaged_model(lambda d: rewrite_header(d, b'"data_offsets":[0,', b'"data_offsets":[0,1e400,'))
)


def crafted(data: bytes, **changes: Any) -> bytes:
    """The model file with its JSON metadata changed and its checksum made to match: a file
    written on purpose, not damaged."""
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    strings = header["__metadata__"]
    strings["metadata"] = json.dumps(json.loads(strings["metadata"]) | changes)
    strings["sha256"] = checksum(strings["metadata"], safetensors.numpy.load(data))
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


case("load_model: a structured dtype name", ValueError, "dtype", "'float64' or", "'3f8,(2)i4'")(
    damaged_model(lambda d: crafted(d, dtype="3f8,(2)i4"))
)
case("load_model: an unknown hidden activation", ValueError, "spec", "'swish'")(
    damaged_model(lambda d: crafted(d, spec=json.loads(SPEC) | {"hidden_activation": "swish"}))
)
case("load_model: 0 bytes", ValueError, "empty (0 bytes)")(damaged_model(lambda d: b""))
case("load_model: truncated", ValueError, "is truncated", "bytes")(
    damaged_model(lambda d: d[: len(d) - 5])
)
case("load_model: bit flipped in the header", ValueError, "corrupted")(
    damaged_model(lambda d: flip(d, 8))
)
case("load_model: bit flipped in a weight", ValueError, "corrupted", "checksum")(
    damaged_model(lambda d: flip(d, len(d) - 3))
)
case("load_model: bit flipped in the metadata", ValueError, "corrupted", "checksum")(
    damaged_model(lambda d: d.replace(b'\\"l2\\": 0.0', b'\\"l2\\": 0.1'))
)
case("load_model: an .npz renamed", ValueError, "zip archive", "not a safetensors file")(
    damaged_model(lambda d: npz_bytes(W1=np.ones(2)))
)
case("load_model: a newer format", ValueError, "newer dlrecipe", "format version 2", "upgrade")(
    damaged_model(lambda d: rewrite_metadata(d, format_version="2"))
)
case(
    "load_model: a checkpoint, not a model", ValueError, "not a dlrecipe model file", "checkpoint"
)(damaged_model(lambda d: rewrite_metadata(d, format="dlrecipe-checkpoint")))


class MakesFile:
    """Unpickling this writes a file: the evidence that a pickle was run."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@case("load_model: a pickle renamed", ValueError, "pickle", "never loads pickles")
def _(folder, run):
    # The marker would appear in the folder: the listing check proves the pickle never ran.
    path = write(folder, "model.safetensors", pickle.dumps({"W1": MakesFile(folder / "ran")}))
    return lambda: load_model(path)


@case("load_model: a folder", ValueError, "is a folder", "pass the file's path")
def _(folder, run):
    (folder / "model.safetensors").mkdir()
    return lambda: load_model(folder / "model.safetensors")


@case("load_model: no such file", FileNotFoundError, "no such file", "absent.safetensors")
def _(folder, run):
    return lambda: load_model(folder / "absent.safetensors")


# --- the loaders: CSV --------------------------------------------------------------------------
def csv_case(text: str | bytes, **options: Any) -> Callable[[Path, Path], Action]:
    def setup(folder: Path, run: Path) -> Action:
        path = write(folder, "table.csv", text)
        return lambda: load_csv(path, **options)

    return setup


case("csv: missing cell", ValueError, "line 3", "column 'b'", "empty")(
    csv_case("a,b,y\n1,2,0\n3,,1\n")
)
case("csv: non-numeric cell", ValueError, "line 2", "column 'a'", "'abc' is not a number")(
    csv_case("a,b,y\nabc,2,0\n3,4,1\n")
)
case("csv: decimal comma", ValueError, "'1,5'", "point")(
    csv_case('a;b;y\n"1,5";2;0\n3;4;1\n', delimiter=";")
)
case("csv: NaN cell", ValueError, "line 3", "'nan'", "not a finite number")(
    csv_case("a,b,y\n1,2,0\nnan,4,1\n")
)
case("csv: infinite target", ValueError, "column 'y'", "'inf'", "finite")(
    csv_case("a,b,y\n1,2,0.5\n3,4,inf\n")
)
case("csv: duplicated header", ValueError, "names column 'a' twice", "unique")(
    csv_case("a,a,y\n1,2,0\n3,4,1\n")
)
case("csv: header cell without a name", ValueError, "column 2", "no name")(
    csv_case("a,,y\n1,2,0\n3,4,1\n")
)
case("csv: missing header", ValueError, "line 1", "only numbers", "no header", "column names")(
    csv_case("1,2,0\n3,4,1\n5,6,0\n")
)
case("csv: wrong delimiter given", ValueError, "single column", "delimiter ','")(
    csv_case("a;b;y\n1;2;0\n3;4;1\n", delimiter=",")
)
case("csv: rows split by another delimiter", ValueError, "line 2", "1 cell", "delimiter '\\t'")(
    csv_case("a\tb\ty\n1,2,0\n3,4,1\n")
)
case("csv: delimiter cannot be guessed", ValueError, "cannot guess the delimiter", "delimiter=")(
    csv_case("abc\n1\n")
)
case("csv: row with too many cells", ValueError, "line 3", "4 cells", "3 columns")(
    csv_case("a,b,y\n1,2,0\n3,4,1,9\n")
)
case("csv: no such target column", ValueError, "no column 'label'", "['a', 'b', 'y']")(
    csv_case("a,b,y\n1,2,0\n3,4,1\n", target="label")
)
case("csv: 0 bytes", ValueError, "empty (0 bytes)", "header row")(csv_case(b""))
case("csv: blank lines only", ValueError, "only blank lines")(csv_case("\n  \n\n"))
case("csv: header only", ValueError, "no data rows")(csv_case("a,b,y\n"))
case("csv: not UTF-8", ValueError, "not UTF-8", "0xe9", "line 2", "re-save")(
    csv_case("a,b,y\ncaf\u00e9,2,0\n".encode("latin-1"))
)
case("csv: NUL byte", ValueError, "NUL byte", "line 2", "binary", "UTF-8")(
    csv_case(b"a,b,y\n1,\x002,0\n")
)
case("csv: delimiter of two characters", ValueError, "single character", "';;'")(
    csv_case("a,b,y\n1,2,0\n", delimiter=";;")
)


# --- the loaders: .npz, image folders, load_data --------------------------------------------
def npz_bytes(**arrays: Any) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npz_case(content: bytes | Callable[[Path], bytes]) -> Callable[[Path, Path], Action]:
    def setup(folder: Path, run: Path) -> Action:
        path = write(folder, "data.npz", content(folder) if callable(content) else content)
        return lambda: load_npz(path)

    return setup


X4, Y4 = np.ones((4, 2)), np.array([0, 1, 0, 1])
case("npz: without X", ValueError, "no array 'X'", "['features', 'y']", "np.savez")(
    npz_case(npz_bytes(features=X4, y=Y4))
)
case("npz: without y", ValueError, "no array 'y'", "['X']")(npz_case(npz_bytes(X=X4)))


def object_npz(folder: Path) -> bytes:
    X = np.empty(4, dtype=object)
    X[:] = [MakesFile(folder / "ran")] * 4
    return npz_bytes(X=X, y=Y4)


case("npz: object array (a pickle)", ValueError, "array 'X'", "dtype=object", "never loaded")(
    npz_case(object_npz)
)
case("npz: NaN in X", ValueError, "X[1, 0]", "nan", "finite")(
    npz_case(npz_bytes(X=np.array([[1.0, 2], [np.nan, 1]]), y=np.array([0, 1])))
)
case("npz: y of the wrong length", ValueError, "y must have shape (4,)", "(3,)")(
    npz_case(npz_bytes(X=X4, y=Y4[:3]))
)
case("npz: X with no rows", ValueError, "no rows")(
    npz_case(npz_bytes(X=np.empty((0, 2)), y=np.empty(0)))
)
case("npz: not a zip", ValueError, "not an .npz file", "np.savez")(npz_case(b"hello"))
case("npz: damaged zip", ValueError, "data.npz", "damaged .npz", "zip directory")(
    npz_case(lambda folder: npz_bytes(X=X4, y=Y4)[:-30])
)


def corrupt_deflate(folder: Path) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, X=np.arange(200.0).reshape(100, 2), y=np.arange(100) % 2)
    data = buffer.getvalue()
    at = data.index(b"X.npy") + 60  # inside X's deflate stream
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def huge_declared_shape(folder: Path) -> bytes:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X.npy", header.getvalue() + bytes(32))
        archive.writestr("y.npy", header.getvalue())
    return buffer.getvalue()


def unclosed_header(folder: Path) -> bytes:
    """An .npy header whose dict never closes (NumPy's parser raised tokenize's TokenError)."""
    text = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, "
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + bytes(24)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("X.npy", npy)
        archive.writestr("y.npy", npy)
    return buffer.getvalue()


case("npz: an array header that never closes", ValueError, "damaged .npz file", "TokenError")(
    npz_case(unclosed_header)
)
case("npz: corrupted compressed data", ValueError, "damaged .npz file", "decompressing")(
    npz_case(corrupt_deflate)
)
case("npz: a header declaring 16 TB", ValueError, "array 'X'", "(1000000000000, 2)", "damaged")(
    npz_case(huge_declared_shape)
)
case("npz: X without features", ValueError, "no features", "(4, 0)")(
    npz_case(npz_bytes(X=np.empty((4, 0)), y=Y4))
)


@case("image folder: a file that is not an image", ValueError, "not an image", "notes.txt")
def _(folder, run):
    (folder / "cats").mkdir()
    write(folder / "cats", "notes.txt", "meow")
    return lambda: load_image_folder(folder)


@case("load_data: unknown name", ValueError, "unknown data set 'moon'", "moons")
def _(folder, run):
    return lambda: load_data("moon")


@case("load_data: unknown suffix", ValueError, "unknown suffix '.xlsx'", ".csv")
def _(folder, run):
    path = write(folder, "table.xlsx", "a,b\n")
    return lambda: load_data(path)


@case("load_data: an option the loader does not take", ValueError, "does not take ['noise']")
def _(folder, run):
    return lambda: load_data("digits", noise=0.1)


# --- the command line --------------------------------------------------------------------------
TRAIN = ("train", "--layers", "4", "--epochs", "2", "--no-progress")
MOONS = (*TRAIN, "--data", "moons")


def toml_case(text: str) -> Callable[[Path, Path], Action]:
    """A settings file: a valid one for moons, its keys replaced or joined by ``text``'s."""
    base = {"data": '"moons"', "layers": "[4]", "epochs": "2"}
    given = {line.split("=")[0].strip() for line in text.splitlines() if "=" in line}
    valid = "".join(f"{key} = {value}\n" for key, value in base.items() if key not in given)

    def setup(folder: Path, run: Path) -> Action:
        config = write(folder, "settings.toml", valid + text)
        return cli("train", "--config", config, "--out", folder / "out", "--no-progress")

    return setup


case("toml: unknown key", 2, "unknown key 'lerning_rate'", "did you mean learning_rate")(
    toml_case("lerning_rate = 0.1\n")
)
case("toml: wrong type", 2, 'learning_rate = "fast"', "wrong type", "a number > 0")(
    toml_case('learning_rate = "fast"\n')
)
case("toml: keep_prob 0", 2, "keep_prob = 0", "(0, 1]")(toml_case("keep_prob = 0\n"))
case("toml: keep_prob 1.5", 2, "keep_prob = 1.5", "(0, 1]")(toml_case("keep_prob = 1.5\n"))
case("toml: λ < 0", 2, "l2 = -0.5", ">= 0")(toml_case("l2 = -0.5\n"))
case("toml: learning rate 0", 2, "learning_rate = 0", "> 0")(toml_case("learning_rate = 0\n"))
case("toml: learning rate < 0", 2, "learning_rate = -1", "> 0")(toml_case("learning_rate = -1\n"))
case("toml: layer size 0", 2, "layers", "[4, 0]", ">= 1")(toml_case("layers = [4, 0]\n"))
case("toml: batch larger than the data", 2, "batch-size 100000", "examples of the training set")(
    toml_case("batch_size = 100000\n")
)
case("toml: unknown dtype", 2, 'dtype = "floax32"', "'float64' or 'float32'")(
    toml_case('dtype = "floax32"\n')
)
case("toml: epochs 0", 2, "epochs = 0", ">= 1")(toml_case("epochs = 0\n"))
case("toml: not TOML", 2, "not valid TOML")(toml_case("layers = [4,\n"))
case("toml: unknown optimizer", 2, 'optimizer = "sgd"', "unknown optimizer")(
    toml_case('optimizer = "sgd"\n')
)


@case("cli: --config that does not exist", 2, "--config", "cannot read it")
def _(folder, run):
    return cli(*MOONS, "--config", folder / "absent.toml", "--out", folder / "out")


@case("cli: --keep-prob 0", 2, "--keep-prob 0", "(0, 1]")
def _(folder, run):
    return cli(*MOONS, "--keep-prob", "0", "--out", folder / "out")


@case("cli: --l2 < 0", 2, "--l2 -1", ">= 0")
def _(folder, run):
    return cli(*MOONS, "--l2", "-1", "--out", folder / "out")


@case("cli: --learning-rate < 0", 2, "--learning-rate -0.1", "> 0")
def _(folder, run):
    return cli(*MOONS, "--learning-rate", "-0.1", "--out", folder / "out")


@case("cli: --layers 0", 2, "--layers", ">= 1")
def _(folder, run):
    return cli("train", "--data", "moons", "--layers", "0", "--out", folder / "out")


@case("cli: --epochs 0", 2, "--epochs 0", ">= 1")
def _(folder, run):
    return cli(*MOONS, "--epochs", "0", "--out", folder / "out")


@case("cli: --batch-size 0", 2, "batch_size", "whole number >= 1")
def _(folder, run):
    return cli(*MOONS, "--batch-size", "0", "--out", folder / "out")


@case("cli: --data that does not exist", 1, "no such file", "absent.csv")
def _(folder, run):
    return cli(*TRAIN, "--data", folder / "absent.csv", "--out", folder / "out")


@case("cli: CSV target of one class", 1, "single class", "at least two")
def _(folder, run):
    path = write(folder, "one.csv", "a,b,y\n" + "1,2,7\n3,4,7\n" * 10)
    return cli(*TRAIN, "--data", path, "--out", folder / "out")


@case("cli: CSV of two examples", 1, "2 examples are too few")
def _(folder, run):
    path = write(folder, "two.csv", "a,b,y\n1,2,0\n3,4,1\n")
    return cli(*TRAIN, "--data", path, "--out", folder / "out")


@case("cli: real values as classes", 1, "not a class label", "0.25", "--task regression")
def _(folder, run):
    path = write(folder, "real.csv", "a,b,y\n" + "".join(f"{i},{i},{i / 4}\n" for i in range(9)))
    return cli(*TRAIN, "--data", path, "--task", "classification", "--out", folder / "out")


@case("cli: names to a regression", 1, "class names", "regression needs numbers")
def _(folder, run):
    path = write(folder, "pets.csv", "a,b,y\n" + "1,2,cat\n3,4,dog\n" * 5)
    return cli(*TRAIN, "--data", path, "--task", "regression", "--out", folder / "out")


@case("cli: NaN in a CSV", 1, "line 3", "'NaN'", "not a finite number")
def _(folder, run):
    path = write(folder, "nan.csv", "a,b,y\n1,2,0\nNaN,4,1\n")
    return cli(*TRAIN, "--data", path, "--out", folder / "out")


@case("cli: --out under a file", 1, "cannot create run folder", "taken")
def _(folder, run):
    write(folder, "taken", "x")
    return cli(*MOONS, "--out", folder / "taken" / "run")


@case("cli: --resume a folder that is not a run", 1, "has no train.toml", "not a run folder")
def _(folder, run):
    (folder / "empty").mkdir()
    return cli("train", "--resume", folder / "empty")


@case("cli: --resume a folder that does not exist", 1, "no such run folder", "absent")
def _(folder, run):
    return cli("train", "--resume", folder / "absent")


@case("cli: evaluate a folder that is not a run", 1, "no model.safetensors", "not a run folder")
def _(folder, run):
    (folder / "empty").mkdir()
    return cli("evaluate", folder / "empty")


@case("cli: evaluate a truncated model", 1, "is truncated")
def _(folder, run):
    path = write(folder, "model.safetensors", (run / "model.safetensors").read_bytes()[:-9])
    return cli("evaluate", path, "--data", "moons")


@case("cli: evaluate a pickle", 1, "pickle", "never loads pickles")
def _(folder, run):
    path = write(folder, "model.safetensors", pickle.dumps({"W1": [1.0]}))
    return cli("evaluate", path, "--data", "moons")


@case("cli: evaluate a classifier on real values", 1, "classifier", "real values")
def _(folder, run):
    path = write(folder, "real.csv", "a,b,y\n" + "".join(f"{i},{i},{i / 4}\n" for i in range(9)))
    return cli("evaluate", run, "--data", path)


@case("cli: predict with the wrong number of features", 1, "3 features", "n[0]=2")
def _(folder, run):
    path = write(folder, "three.csv", "a,b,c,y\n" + "1,2,3,0\n" * 5)
    return cli("predict", run, "--data", path, "--output", folder / "predictions.csv")


@case("cli: predict --output that cannot be written", 1, "cannot write", "predictions.csv")
def _(folder, run):
    write(folder, "taken", "x")
    return cli("predict", run, "--data", "moons", "--output", folder / "taken" / "predictions.csv")


@case("cli: gradcheck a model that is not one", 1, "not a safetensors file")
def _(folder, run):
    path = write(folder, "model.safetensors", b"not a model at all, just text" * 3)
    return cli("gradcheck", "--model", path, "--data", "moons")


@case("cli: run with data that do not exist", 1, "no such file", "absent.npz")
def _(folder, run):
    return cli("run", "--data", folder / "absent.npz", "--out", folder / "out", "--jobs", "1")


@case("cli: run on a CSV with a missing cell", 1, "line 2", "empty")
def _(folder, run):
    path = write(folder, "gap.csv", "a,b,y\n1,,0\n3,4,1\n")
    return cli("run", "--data", path, "--out", folder / "out", "--jobs", "1")


@case("cli: run with a target on a named set", 2, "--target", "CSV")
def _(folder, run):
    return cli("run", "--data", "moons", "--target", "y", "--out", folder / "out")


# --- the test ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A run folder of ``dlrecipe train``: a 2-4-1 classifier on moons (read, never written)."""
    folder = tmp_path_factory.mktemp("trained") / "run"
    code, _, error = cli(*MOONS, "--out", folder)()
    assert code == 0, error
    return folder


def listing(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` (hidden ones too) with its size."""
    return {
        str(path.relative_to(folder)): path.stat().st_size if path.is_file() else -1
        for path in sorted(folder.rglob("*"))
    }


def test_the_matrix_has_at_least_60_distinct_inputs():
    assert len(CASES) >= 60


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_input_is_refused_clearly_and_leaves_nothing(
    name, tmp_path, monkeypatch, trained_run
):
    setup, expect, words = CASES[name]
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)  # a default runs/ folder would appear here
    action = setup(folder, trained_run)
    before, run_before = listing(folder), listing(trained_run)

    if isinstance(expect, int):
        code, printed, message = action()
        assert code == expect, message
        assert printed == ""
        prefix = "dlrecipe: error: " if code == 1 else "dlrecipe "
        assert message.startswith(prefix), message
        assert message.count("\n") == 1, message  # one line, no traceback
    else:
        with pytest.raises(expect) as raised:
            action()
        message = str(raised.value)
        assert type(raised.value).__module__ != "safetensors"
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"

    assert listing(folder) == before  # nothing written, not even a temporary file
    assert listing(trained_run) == run_before
