"""Fuzz target: the CSV loader, ``dlrecipe.data.load_csv``.

Any bytes either load as a valid data set — ``X`` finite float64 (n, d) with n, d >= 1, ``y``
(n,) int64 class labels in 0 … k-1 or numbers, one unique name per feature, ``classes`` sorted
and unique — or raise ``ValueError`` (what ``load_csv`` documents for a file it cannot read
faithfully; ``OSError`` for a file it cannot read at all). Anything else is a finding.

    python fuzz/fuzz_csv.py -max_total_time=600 fuzz/corpus/csv    # atheris
    python fuzz/fuzz_csv.py --mutations 100000 --seed 1             # no atheris
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
import numpy as np

if __name__ == "__main__" and "--mutations" not in sys.argv:
    import atheris

    with atheris.instrument_imports(include=["dlrecipe"]):
        from dlrecipe.data.tables import load_csv
else:
    from dlrecipe.data.tables import load_csv

NAME, SUFFIX = "csv", ".csv"
PATH = harness.scratch_file(SUFFIX)


def seeds() -> list[bytes]:
    return [
        b"a,b,y\n1,2,0\n3,4,1\n5,6,0\n",
        b"weight;height;animal\n1.5;2e3;cat\n-3;4;dog\n\n5;.6;cat\n",
        b"\xef\xbb\xbfx1\tx2\tvalue\r\n0.1\t0.2\t3.25\r\n1e-3\t-7\t-1.5\r\n",
        b'"a, b"|"c"|label\n"1"|2|"x y"\n3|4|z\n',
        b"a,b,y\n1,,0\n",
        b"a,a,y\n1,2,0\n",
        b"1,2,3\n4,5,6\n",
        b"a,b,y\nnan,inf,-inf\n",
        b"caf\xe9,b\n1,2\n",
        b"",
        b'a,b,y\n"1\n2",3,4\n',
    ]


def check(data: bytes) -> bool:
    """True when the bytes loaded (with the last column or ``y`` as the target)."""
    PATH.write_bytes(data)
    loaded = False
    for target in (None, "y"):
        try:
            dataset = load_csv(PATH, target=target)
        except (ValueError, OSError):
            continue
        X, y = dataset.X, dataset.y
        assert X.dtype == np.float64, X.dtype
        assert X.ndim == 2, X.shape
        assert min(X.shape) >= 1, X.shape
        assert np.isfinite(X).all()
        assert y.shape == (X.shape[0],), (y.shape, X.shape)
        assert y.dtype in (np.int64, np.float64), y.dtype
        assert np.isfinite(y).all()
        assert len(dataset.feature_names) == X.shape[1]
        assert len(set(dataset.feature_names)) == X.shape[1]
        assert dataset.name == PATH.name
        if target is not None:
            assert target not in dataset.feature_names
        if dataset.classes is not None:
            assert list(dataset.classes) == sorted(set(dataset.classes))
            assert y.dtype == np.int64
            assert 0 <= y.min()
            assert y.max() < len(dataset.classes)
        loaded = True
    return loaded


if __name__ == "__main__":
    harness.main(NAME, SUFFIX, seeds, check)
