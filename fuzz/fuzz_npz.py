"""Fuzz target: the ``.npz`` loader, ``dlrecipe.data.files.load_npz``.

Any bytes either load as a valid data set — ``X`` finite float64 (n, d) with n, d >= 1, one
name per feature, ``image_shape`` (if any) holding d pixels, ``y`` (n,) finite int64 or
float64, class labels within the classes — or raise ``ValueError`` or ``OSError``, what
``load_npz`` documents. Anything else is a finding; nothing is ever unpickled.

    python fuzz/fuzz_npz.py -max_total_time=600 fuzz-corpus/npz    # atheris
    python fuzz/fuzz_npz.py --mutations 100000 --seed 1             # no atheris
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import numpy as np

if __name__ == "__main__" and "--mutations" not in sys.argv:
    import atheris

    with atheris.instrument_imports(include=["dlrecipe"]):
        from dlrecipe.data.files import load_npz
else:
    from dlrecipe.data.files import load_npz

NAME, SUFFIX = "npz", ".npz"
PATH = harness.scratch_file(SUFFIX)


def _npz(compressed: bool = False, **arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def seeds() -> list[bytes]:
    X = np.arange(12.0).reshape(4, 3)
    objects = np.empty(2, dtype=object)
    objects[:] = [1, "a"]
    return [
        _npz(X=X, y=np.array([0, 1, 0, 1])),
        _npz(True, X=X.astype(np.float32), y=np.array([0.5, 1.5, -2.0, 3.0])),
        _npz(X=np.zeros((3, 2, 2), dtype=np.uint8), y=np.array(["cat", "dog", "cat"])),
        _npz(True, X=np.ones((2, 2, 2, 3)), y=np.array([1, 0], dtype=np.int8)),
        _npz(X=objects, y=np.array([0, 1])),
        _npz(features=X, y=np.zeros(4)),
        b"\x93NUMPY\x01\x00",
        b"",
    ]


def check(data: bytes) -> bool:
    PATH.write_bytes(data)
    try:
        dataset = load_npz(PATH)
    except (ValueError, OSError):
        return False
    X, y = dataset.X, dataset.y
    assert X.dtype == np.float64, X.dtype
    assert X.ndim == 2, X.shape
    assert min(X.shape) >= 1, X.shape
    assert np.isfinite(X).all()
    assert len(dataset.feature_names) == X.shape[1]
    if dataset.image_shape is not None:
        assert math.prod(dataset.image_shape) == X.shape[1]
    assert y.shape == (len(X),), y.shape
    assert y.dtype in (np.int64, np.float64), y.dtype
    assert np.isfinite(y).all()
    if dataset.classes is not None:
        assert y.min() >= 0
        assert y.max() < len(dataset.classes)
    return True


if __name__ == "__main__":
    harness.main(NAME, SUFFIX, seeds, check)
