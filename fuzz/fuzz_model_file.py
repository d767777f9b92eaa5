"""Fuzz target: the model-file loader, ``dlrecipe.load_model``.

Any bytes either load as a model that works — finite weights of the shapes its spec gives, in
its dtype, a standardizer with σ >= 0, class names matching the output layer, and ``predict``
giving one finite output per example — or raise ``ValueError`` (damaged, truncated, foreign,
pickled, newer-format files; what ``load_model`` documents) or ``OSError``. Anything else is a
finding. Nothing in a file is ever run (pickles are refused unread).

    python fuzz/fuzz_model_file.py -max_total_time=600 fuzz/corpus/model   # atheris
    python fuzz/fuzz_model_file.py --mutations 100000 --seed 1              # no atheris
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import numpy as np
import safetensors.numpy

if __name__ == "__main__" and "--mutations" not in sys.argv:
    import atheris

    with atheris.instrument_imports(include=["dlrecipe"]):
        from dlrecipe.data.normalize import Standardizer
        from dlrecipe.train.files import load_model, save_model
        from dlrecipe.train.model import MLP
        from dlrecipe.train.safe_files import checksum, save_arrays
else:
    from dlrecipe.data.normalize import Standardizer
    from dlrecipe.train.files import load_model, save_model
    from dlrecipe.train.model import MLP
    from dlrecipe.train.safe_files import checksum, save_arrays

NAME, SUFFIX = "model", ".safetensors"
PATH = harness.scratch_file(SUFFIX)


def _saved(model: MLP) -> bytes:
    save_model(model, PATH, training={"epochs": 3})
    return PATH.read_bytes()


def seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    classifier = MLP((3, 4, 2, 3), output_activation="softmax", keep_prob=0.8, l2=0.1, seed=0)
    classifier.standardizer = Standardizer().fit(rng.normal(size=(10, 3)))
    classifier.classes = ("a", "b", "c")
    regression = MLP((2, 1), output_activation="linear", dtype="float32", seed=1)
    layered = MLP((2, 3, 1), init=["xavier", "zeros"], hidden_activation="tanh", seed=2)
    save_arrays(PATH, {"W1": np.ones((2, 2))}, {"epoch": 1}, kind="checkpoint")
    checkpoint = PATH.read_bytes()
    buffer = io.BytesIO()
    np.savez(buffer, W1=np.ones(2))
    return [
        _saved(classifier),
        _saved(regression),
        _saved(layered),
        checkpoint,
        buffer.getvalue(),
        pickle.dumps({"W1": [1.0]}),
        b"",
    ]


def resigned(data: bytes) -> bytes | None:
    """``data`` with its checksum recomputed, so that mutants of the metadata and arrays get
    past it and reach the checks of the model itself; None when there is none to recompute."""
    try:
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8 : 8 + n])
        strings = header["__metadata__"]
        arrays = safetensors.numpy.load(data)
        strings["sha256"] = checksum(strings["metadata"], arrays)
    except Exception:
        return None
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data[8 + n :]


def check(data: bytes) -> bool:
    """True when the bytes, or the bytes with their checksum recomputed, load as a model."""
    loaded = _check(data)
    signed = resigned(data)
    if signed is not None and signed != data:
        loaded = _check(signed) or loaded
    return loaded


def _check(data: bytes) -> bool:
    PATH.write_bytes(data)
    try:
        model = load_model(PATH)
    except (ValueError, OSError):
        return False
    sizes = model.layer_sizes
    assert sorted(model.params) == sorted(
        f"{kind}{l}" for l in range(1, len(sizes)) for kind in "Wb"
    )
    for l in range(1, len(sizes)):
        W, b = model.params[f"W{l}"], model.params[f"b{l}"]
        assert W.shape == (sizes[l], sizes[l - 1])
        assert b.shape == (sizes[l], 1)
        assert W.dtype == b.dtype == model.dtype
        assert np.isfinite(W).all()
        assert np.isfinite(b).all()
    if model.standardizer is not None:
        assert model.standardizer.std is not None
        assert (model.standardizer.std >= 0).all()
    if model.classes is not None:
        n_out = sizes[-1]
        assert len(model.classes) == (2 if n_out == 1 else n_out)
    if sizes[0] * max(sizes) <= 10**6:  # predicting with a huge network only measures memory
        with np.errstate(all="ignore"):  # finite weights may still overflow: a valid model
            predictions = model.predict(np.zeros((2, sizes[0])))
        assert len(predictions) == 2
    return True


if __name__ == "__main__":
    harness.main(NAME, SUFFIX, seeds, check)
