"""``load_data``: one entry point for named data sets and data files.

A name picks a generated 2-D set (``"moons"``, ``"spiral"``, …) or a small real data set that
ships with scikit-learn, so no network is needed: ``"digits"`` (1797 8×8 images of the digits
0-9, gray levels 0…16 divided by 16 so that ``X`` lies in [0, 1], ``image_shape=(8, 8)``),
``"breast_cancer"`` (569 tumours, 30 features, malignant or benign), ``"iris"`` (150 flowers,
4 features, 3 species) and ``"wine"`` (178 wines, 13 features, 3 cultivars). Their features
are left unscaled otherwise; class and feature names come with them.

Anything else is a path: a ``.csv`` file, an ``.npz`` archive, or a folder with one sub-folder
of images per class. Every source returns a :class:`~dlrecipe.data.dataset.Dataset`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import Dataset
from .datasets import blobs, circles, moons, noisy, spiral, xor
from .files import load_image_folder, load_npz
from .tables import load_csv

_SHARED = ("n_samples", "noise", "seed")
GENERATED: dict[str, tuple[Callable[..., tuple[np.ndarray, np.ndarray]], tuple[str, ...]]] = {
    "blobs": (blobs, (*_SHARED, "n_classes")),
    "circles": (circles, (*_SHARED, "factor")),
    "moons": (moons, _SHARED),
    "noisy": (noisy, (*_SHARED, "flip")),
    "spiral": (spiral, (*_SHARED, "n_classes")),
    "xor": (xor, _SHARED),
}
REAL = ("breast_cancer", "digits", "iris", "wine")
DATASET_NAMES = tuple(sorted([*GENERATED, *REAL]))
SUFFIXES = (".csv", ".npz")


def load_data(
    source: str | os.PathLike[str], *, target: str | None = None, **options: Any
) -> Dataset:
    """A data set by name, or from a ``.csv`` file, an ``.npz`` file or a folder of images.

    ``load_data("moons", n_samples=500, seed=0)``, ``load_data("digits")``,
    ``load_data("train.csv", target="label")``, ``load_data("photos/", size=(32, 32))``.

    A string in ``DATASET_NAMES`` is always that data set, even if a file of that name exists
    (write ``"./digits"`` for the file). ``options`` go to the chosen loader: ``n_samples``,
    ``noise``, ``seed`` (and ``factor``, ``n_classes`` or ``flip``) to a generated set,
    ``delimiter`` to :func:`load_csv`, ``size`` and ``color`` to :func:`load_image_folder`;
    ``target`` applies to CSV files only. An option the loader does not take is an error,
    never ignored. ``Dataset.name`` is the data-set name or the file name.
    """
    if isinstance(source, str) and source in GENERATED:
        generate, accepted = GENERATED[source]
        _check_options(f"the data set {source!r}", accepted, options, target)
        X, y = generate(**options)
        return Dataset(X, y, source, ("x1", "x2"))
    if isinstance(source, str) and source in REAL:
        _check_options(f"the data set {source!r}", (), options, target)
        return _load_real(source)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(f"source must be a data-set name or a path; got {source!r}")
    path = Path(source)
    if not path.exists():
        if isinstance(source, str) and not _looks_like_path(source):
            raise ValueError(
                f"unknown data set {source!r}; expected one of {list(DATASET_NAMES)}, or the "
                "path of an existing .csv or .npz file or folder of class folders"
            )
        raise FileNotFoundError(f"no such file or folder: {path}")
    if path.is_dir():
        _check_options("a folder of images", ("size", "color"), options, target)
        return load_image_folder(path, **options)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _check_options("a .csv file", ("delimiter",), options)
        return load_csv(path, target=target, **options)
    if suffix == ".npz":
        _check_options("an .npz file", (), options, target)
        return load_npz(path)
    raise ValueError(
        f"cannot load {path}: unknown suffix {path.suffix!r}; expected one of "
        f"{list(SUFFIXES)}, or a folder with one sub-folder of images per class"
    )


def _looks_like_path(source: str) -> bool:
    return "/" in source or os.sep in source or Path(source).suffix != ""


def _check_options(
    what: str, accepted: tuple[str, ...], options: dict[str, Any], target: str | None = None
) -> None:
    """Fail on options the loader does not take: never drop them silently."""
    given = [*options, *(["target"] if target is not None else [])]
    unknown = [name for name in given if name not in accepted]
    if unknown:
        takes = f"takes only {list(accepted)}" if accepted else "takes no options"
        raise ValueError(f"{what} does not take {unknown}; it {takes}")


def _load_real(name: str) -> Dataset:
    # Imported here: scikit-learn takes about a second to import, and most users never call it.
    from sklearn import datasets

    loaders = {
        "breast_cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
    }
    bunch = loaders[name]()
    X = np.asarray(bunch.data, dtype=np.float64)
    image_shape = None
    if name == "digits":
        X = X / 16.0  # the 8×8 images hold gray levels 0 … 16; scaled to [0, 1]
        image_shape = (8, 8)
    return Dataset(
        X,
        np.asarray(bunch.target, dtype=np.int64),
        name,
        tuple(str(feature) for feature in bunch.feature_names),
        tuple(str(label) for label in bunch.target_names),
        image_shape,
    )
