"""Model files: exact round trips, atomic writes, and a clear refusal of every bad file."""

from __future__ import annotations

import errno
import io
import json
import os
import pickle
import struct

import numpy as np
import pytest
import safetensors.numpy

from dlrecipe.data.normalize import Standardizer
from dlrecipe.nn import initializers
from dlrecipe.train.atomic import write_atomic
from dlrecipe.train.files import load_model, read_model_metadata, save_model
from dlrecipe.train.model import MLP
from dlrecipe.train.safe_files import load_arrays, save_arrays


def make_model(dtype="float64", init="he", **options) -> MLP:
    """A trained-looking 4-5-3-3 softmax model: random weights, fitted standardizer, classes."""
    options = {
        "hidden_activation": "tanh",
        "output_activation": "softmax",
        "keep_prob": (0.9, 0.8, 0.7),
        "l2": 0.01,
        "l1": 0.002,
    } | options
    model = MLP((4, 5, 3, 3), init=init, dtype=dtype, seed=1, **options)
    rng = np.random.default_rng(2)
    for name, p in model.params.items():
        model.params[name] = rng.normal(size=p.shape).astype(dtype)
    model.standardizer = Standardizer().fit(rng.normal(3.0, 2.0, size=(20, 4)))
    model.classes = ("cat", "dog", "bird")
    return model


def folder_names(folder) -> list[str]:
    """Every name in ``folder``, hidden temporary files included."""
    return sorted(os.listdir(folder))


# --- round trips ---------------------------------------------------------------------------------
CUSTOM_INITS = {
    "name": "he_uniform",
    "initializer": initializers.glorot(gain=2.0, distribution="uniform"),
    "per layer": ["xavier", initializers.random(scale=0.5), "zeros"],
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("init", CUSTOM_INITS.values(), ids=CUSTOM_INITS.keys())
def test_round_trip_is_exact(tmp_path, dtype, init):
    model = make_model(dtype, init)
    path = tmp_path / "model.safetensors"
    save_model(model, path, training={"epochs": 3, "learning_rate": 0.1})
    loaded = load_model(path)

    assert sorted(loaded.params) == sorted(model.params)
    for name, p in model.params.items():
        assert loaded.params[name].dtype == np.dtype(dtype)
        assert loaded.params[name].tobytes() == p.tobytes()  # bit-identical
        assert loaded.params[name].flags.writeable
    assert loaded.spec.to_config() == model.spec.to_config()
    assert (loaded.hidden_activation, loaded.output_activation) == ("tanh", "softmax")
    assert (loaded.keep_prob, loaded.l2, loaded.l1) == ((0.9, 0.8, 0.7), 0.01, 0.002)
    assert loaded.dtype == model.dtype
    assert loaded.init == init
    assert loaded.classes == ("cat", "dog", "bird")
    assert loaded.standardizer is not None
    assert model.standardizer is not None
    np.testing.assert_array_equal(loaded.standardizer.mean, model.standardizer.mean)
    np.testing.assert_array_equal(loaded.standardizer.std, model.standardizer.std)
    X = np.random.default_rng(3).normal(3.0, 2.0, size=(30, 4))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert read_model_metadata(path)["training"] == {"epochs": 3, "learning_rate": 0.1}
    assert folder_names(tmp_path) == ["model.safetensors"]


def test_round_trip_of_a_bare_regression_model(tmp_path):
    model = MLP((2, 3, 1), output_activation="linear", init=lambda shape, rng: np.ones(shape))
    path = tmp_path / "model.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    assert (loaded.standardizer, loaded.classes) == (None, None)
    assert loaded.init is None  # a custom function cannot be stored
    assert read_model_metadata(path)["training"] is None
    np.testing.assert_array_equal(loaded.params["W1"], np.ones((3, 2)))


def test_a_single_sigmoid_unit_has_two_classes(tmp_path):
    model = MLP((2, 1), output_activation="sigmoid")
    model.classes = ("ham", "spam")
    save_model(model, tmp_path / "m.safetensors")
    assert load_model(tmp_path / "m.safetensors").classes == ("ham", "spam")


def test_save_arrays_round_trip_keeps_every_numeric_dtype(tmp_path):
    arrays = {
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],  # not contiguous
        "ints": np.arange(5, dtype=np.int32),
        "flags": np.array([True, False]),
        "scalar": np.array(2.5, dtype=np.float32),
    }
    metadata = {"epoch": 3, "nested": {"best": float("inf"), "names": ["a", "b"]}}
    save_arrays(tmp_path / "c.safetensors", arrays, metadata, kind="checkpoint")
    loaded, loaded_metadata = load_arrays(tmp_path / "c.safetensors", kind="checkpoint")
    assert loaded_metadata == metadata
    for name, array in arrays.items():
        assert (loaded[name].dtype, loaded[name].shape) == (array.dtype, array.shape)
        np.testing.assert_array_equal(loaded[name], array)


def test_save_model_refuses_a_nan_model_and_writes_nothing(tmp_path):
    model = make_model()
    model.params["W2"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"cannot save .*W2 holds NaN or infinite values"):
        save_model(model, tmp_path / "model.safetensors")
    assert folder_names(tmp_path) == []


def test_save_arrays_refuses_objects_and_non_json_metadata(tmp_path):
    path = tmp_path / "c.safetensors"
    with pytest.raises(TypeError, match=r"'x' is a object array, not a numeric NumPy array"):
        save_arrays(path, {"x": np.array([None])}, {}, kind="checkpoint")
    with pytest.raises(TypeError, match=r"'x' is a list"):
        save_arrays(path, {"x": [1.0]}, {}, kind="checkpoint")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match=r"metadata must be JSON-serializable.*int64"):
        save_arrays(path, {}, {"epoch": np.int64(3)}, kind="checkpoint")
    assert folder_names(tmp_path) == []


# --- atomic writes ------------------------------------------------------------------------------
def test_write_atomic_replaces_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "model.safetensors"
    write_atomic(path, b"old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert folder_names(tmp_path) == ["model.safetensors"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "model.safetensors"
    write_atomic(path, b"old")

    def fail(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(
        OSError, match=r"cannot write .*model\.safetensors: No space left on device; "
    ):
        write_atomic(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old"
    assert folder_names(tmp_path) == ["model.safetensors"]


def test_a_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError, match="disk gone; no file was written"):
        write_atomic(tmp_path / "model.safetensors", b"new")
    assert folder_names(tmp_path) == []


def test_an_interrupted_write_removes_its_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    write_atomic(path, b"old")

    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert folder_names(tmp_path) == ["model.safetensors"]


def test_writing_into_a_missing_folder_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cannot write .*nowhere.*; no file was written"):
        write_atomic(tmp_path / "nowhere" / "model.safetensors", b"new")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root may write into a read-only folder, and the test needs POSIX permissions",
)
def test_a_read_only_folder_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.safetensors"
    write_atomic(path, b"old")
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=r"cannot write .*; the previous file is intact"):
            write_atomic(path, b"new")
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == b"old"
    assert folder_names(tmp_path) == ["model.safetensors"]


# --- files that are refused ----------------------------------------------------------------------
@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.safetensors"
    save_model(make_model(), path)
    return path


def header_length(data: bytes) -> int:
    return struct.unpack("<Q", data[:8])[0]


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


DAMAGES = {  # name: (bytes of a valid model file -> damaged bytes, the message's key words)
    "empty": (lambda d: b"", r"is empty \(0 bytes\)"),
    "7 bytes": (lambda d: d[:7], r"is truncated: 7 bytes"),
    "8 bytes": (lambda d: d[:8], r"truncated or corrupted: its header length says"),
    "in the header": (lambda d: d[: 8 + header_length(d) // 2], r"truncated or corrupted"),
    "after the header": (lambda d: d[: 8 + header_length(d)], r"is truncated: its arrays need"),
    "in the data": (lambda d: d[:-10], r"is truncated: its arrays need \d+ bytes.*only"),
    "flipped quote": (lambda d: flip(d, d.index(b'"dtype"')), r"is corrupted: its header is not"),
    "flipped brace": (lambda d: flip(d, 8), r"is corrupted: its header is not valid"),
    "huge header length": (
        lambda d: struct.pack("<Q", 2**63) + d[8:],
        r"truncated or corrupted: its header length says 9223372036854775808 bytes",
    ),
    "random bytes": (
        lambda d: np.random.default_rng(0).bytes(1000),
        r"is not a safetensors file \(it starts with no header\)",
    ),
    "npz": (
        lambda d: npz_bytes(),
        r"this is a zip archive \(an \.npz from numpy\.savez.*not a safetensors file",
    ),
    "npy": (lambda d: npy_bytes(), r"this is a NumPy \.npy file"),
}


def npz_bytes() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, W1=np.ones((2, 2)))
    return buffer.getvalue()


def npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    return buffer.getvalue()


@pytest.mark.parametrize(("damage", "words"), DAMAGES.values(), ids=DAMAGES.keys())
def test_a_damaged_or_foreign_file_is_refused_by_name(model_file, damage, words):
    model_file.write_bytes(damage(model_file.read_bytes()))
    with pytest.raises(ValueError, match=rf"model\.safetensors.*{words}"):
        load_model(model_file)
    assert folder_names(model_file.parent) == ["model.safetensors"]


class MakesFolder:
    """Unpickling this creates a folder: the evidence that a pickle was run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_a_pickle_is_named_and_never_run(tmp_path, protocol):
    marker = tmp_path / "unpickled"
    path = tmp_path / "model.safetensors"
    data = pickle.dumps({"W1": MakesFolder(marker)}, protocol=protocol)
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"this is a pickle file: dlrecipe never loads pickles"):
        load_model(path)
    assert not marker.exists()
    pickle.loads(data)  # the same bytes, unpickled, do run: the test's pickle is a live one
    assert marker.is_dir()


def test_a_missing_file_and_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such file: .*absent\.safetensors"):
        load_model(tmp_path / "absent.safetensors")
    with pytest.raises(ValueError, match=r"is a folder, not a dlrecipe model file"):
        load_model(tmp_path)


def test_a_safetensors_file_from_elsewhere_is_not_a_model(tmp_path):
    path = tmp_path / "model.safetensors"
    safetensors.numpy.save_file({"W1": np.ones((2, 2))}, str(path))
    with pytest.raises(ValueError, match=r"not a dlrecipe model file: .*without dlrecipe's meta"):
        load_model(path)


def test_a_model_file_is_not_a_checkpoint(model_file):
    with pytest.raises(ValueError, match=r"not a dlrecipe checkpoint file: it is a dlrecipe model"):
        load_arrays(model_file, kind="checkpoint")


def write_header(path, metadata: dict[str, str]) -> None:
    path.write_bytes(safetensors.numpy.save({"W1": np.ones((2, 2))}, metadata=metadata))


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (
            {"format_version": "2", "metadata": "{}"},
            r"written by a newer dlrecipe \(format version 2; this one reads 1\); upgrade dlrecipe",
        ),
        ({"format_version": "one", "metadata": "{}"}, r"corrupted: format_version 'one' is not"),
        ({"format_version": "1", "metadata": '{"spec": '}, r"metadata is not valid JSON"),
        ({"format_version": "1", "metadata": "[1, 2]"}, r"metadata is not a JSON object"),
        ({"format_version": "1"}, r"metadata is not valid JSON"),
    ],
)
def test_bad_format_headers(tmp_path, header, words):
    path = tmp_path / "model.safetensors"
    write_header(path, {"format": "dlrecipe-model"} | header)
    with pytest.raises(ValueError, match=rf"model\.safetensors.*{words}"):
        load_model(path)


def edit_model(model_file, arrays=None, **metadata):
    """Rewrite the model file with arrays edited by ``arrays(dict)`` and metadata replaced."""
    stored, stored_metadata = load_arrays(model_file, kind="model")
    if arrays is not None:
        arrays(stored)
    save_arrays(model_file, stored, stored_metadata | metadata, kind="model")


def nan_in_W2(arrays):
    arrays["W2"][1, 2] = np.nan


EDITS = {  # name: (edit_model's arguments, the message's key words)
    "missing W2": ({"arrays": lambda a: a.pop("W2")}, r"the model lacks \['W2'\]"),
    "extra array": ({"arrays": lambda a: a.update(W9=np.ones(2))}, r"unexpected arrays \['W9'\]"),
    "wrong shape": (
        {"arrays": lambda a: a.update(W1=a["W1"].T.copy())},
        r"W1 has shape \(4, 5\); layer sizes \(4, 5, 3, 3\) need \(5, 4\)",
    ),
    "wrong dtype": (
        {"arrays": lambda a: a.update(b2=a["b2"].astype(np.float32))},
        r"b2 is float32, but it must be float64",
    ),
    "NaN weight": ({"arrays": nan_in_W2}, r"W2 holds NaN or infinite values"),
    "negative std": (
        {"arrays": lambda a: a.update({"standardizer.std": -a["standardizer.std"]})},
        r"standardizer\.std has negative values",
    ),
    "short mean": (
        {"arrays": lambda a: a.update({"standardizer.mean": np.zeros(3)})},
        r"standardizer\.mean has shape \(3,\); layer sizes .* need \(4,\)",
    ),
    "half a standardizer": (
        {"arrays": lambda a: a.pop("standardizer.std")},
        r"lacks \['standardizer\.std'\]",
    ),
    "two classes": (
        {"classes": ["a", "b"]},
        r"classes must be 3 strings for 3 softmax output unit",
    ),
    "numeric classes": ({"classes": [0, 1, 2]}, r"classes must be 3 strings"),
    "bad spec": ({"spec": {"layer_sizes": [4]}}, r"spec, dtype or init is invalid: layer_sizes"),
    "bad dtype": ({"dtype": "float16"}, r"spec, dtype or init is invalid: dtype must be"),
    "bad init": ({"init": "bogus"}, r"spec, dtype or init is invalid: unknown initializer"),
    "no spec": ({"spec": None}, r"the metadata has no spec"),
    "bad training": ({"training": [1]}, r"training must be a JSON object"),
}


@pytest.mark.parametrize(("edit", "words"), EDITS.values(), ids=EDITS.keys())
def test_a_model_that_does_not_match_its_spec_is_refused(model_file, edit, words):
    edit_model(model_file, **edit)
    with pytest.raises(ValueError, match=rf"model\.safetensors: .*{words}"):
        load_model(model_file)
    assert folder_names(model_file.parent) == ["model.safetensors"]


def test_metadata_without_a_spec_is_damaged(model_file):
    stored, metadata = load_arrays(model_file, kind="model")
    del metadata["spec"]
    save_arrays(model_file, stored, metadata, kind="model")
    with pytest.raises(
        ValueError, match=r"the metadata has no spec \(a JSON object\); the file is damaged"
    ):
        read_model_metadata(model_file)


def test_the_file_is_json_metadata_in_a_safetensors_header(model_file):
    data = model_file.read_bytes()
    header = json.loads(data[8 : 8 + header_length(data)])
    strings = header["__metadata__"]
    assert (strings["format"], strings["format_version"]) == ("dlrecipe-model", "1")
    assert json.loads(strings["metadata"])["spec"]["layer_sizes"] == [4, 5, 3, 3]
    assert b"pickle" not in data
