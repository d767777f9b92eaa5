"""Data sets from array files: a NumPy ``.npz`` archive, or a folder of images.

Each loader returns a :class:`~dlrecipe.data.dataset.Dataset` named after the file or folder,
and rejects anything it cannot read faithfully with a ``ValueError`` that names the file and
says how to fix it. Nothing is ever unpickled. CSV tables are read in ``tables.py``.
"""

from __future__ import annotations

import math
import os
import struct
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format
from PIL import Image, UnidentifiedImageError

from ..validation import all_finite
from .dataset import Dataset

COLORS = {"grayscale": "L", "rgb": "RGB"}


def load_npz(path: str | os.PathLike[str]) -> Dataset:
    """``X`` and ``y`` from a NumPy ``.npz`` archive, as written by ``np.savez(path, X=X, y=y)``.

    ``X`` is (n_samples, n_features) of numbers, or a stack of images (n_samples, height,
    width) or (n_samples, height, width, channels), which is flattened with ``image_shape``
    set. ``y`` is (n_samples,): integers become int64 labels, floats stay float64, strings
    become classes 0 … k-1 in sorted order. Loaded with ``allow_pickle=False``: an archive
    holding Python objects is refused, since reading it would mean unpickling.
    """
    path = Path(path)
    with path.open("rb") as file:
        magic = file.read(6)
    if not zipfile.is_zipfile(path):
        if magic.startswith(b"PK\x03\x04"):
            raise ValueError(
                f"{path} is a damaged .npz file: it starts as a zip archive but its end (the "
                "zip directory) is missing or broken, e.g. from an interrupted copy; copy or "
                "save it again"
            )
        what = "a single .npy array" if magic == b"\x93NUMPY" else "not a zip archive"
        raise ValueError(
            f"{path} is not an .npz file ({what}); write one with np.savez(path, X=X, y=y)"
        )
    try:
        with zipfile.ZipFile(path) as zipped:
            for key in ("X", "y"):
                _check_declared_size(zipped, key, path)
        with np.load(path, allow_pickle=False) as archive:
            X, y = (_stored_array(archive, key, path) for key in ("X", "y"))
    except _ZIP_ERRORS as error:
        raise ValueError(
            f"{path} is a damaged .npz file ({type(error).__name__}: {error}); copy or save it "
            "again"
        ) from None
    if X.dtype.kind not in "biuf" or X.ndim not in (2, 3, 4):
        raise ValueError(
            f"{path}: X must be numbers of shape (n_samples, n_features), or images "
            f"(n_samples, height, width[, channels]); got dtype {X.dtype} and shape {X.shape}"
        )
    if len(X) == 0:
        raise ValueError(f"{path}: X has no rows (shape {X.shape}); at least one is needed")
    if X.size == 0:
        raise ValueError(f"{path}: X has no features (shape {X.shape}); at least one is needed")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"{path}: y must have shape ({len(X)},), one label per row of X; got shape {y.shape}"
        )
    image_shape = tuple(X.shape[1:]) if X.ndim > 2 else None
    X = X.reshape(len(X), -1).astype(np.float64)
    if not all_finite(X):
        row, column = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{path}: X[{row}, {column}] is {X[row, column]}; X must be finite")
    y, classes = _npz_labels(y, path)
    names = _pixel_names(image_shape) if image_shape else _numbered_names(X.shape[1])
    return Dataset(X, y, path.name, names, classes, image_shape)


# What reading a damaged zip member can raise, besides ValueError (the zip module's own
# checks, a truncated or corrupted deflate stream, a compression method it lacks, encryption).
# NumPy's .npy header parser can raise tokenize's TokenError or SyntaxError on a garbled one.
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, struct.error, NotImplementedError,
               RuntimeError, OverflowError, tokenize.TokenError, SyntaxError)  # fmt: skip


def _check_declared_size(zipped: zipfile.ZipFile, key: str, path: Path) -> None:
    """Refuse an array whose header declares more bytes than its zip member holds, before
    NumPy allocates them (a few bytes could otherwise ask for terabytes)."""
    # The member np.load reads for the key: its exact name first, then with ".npy".
    member = next((m for m in (key, f"{key}.npy") if m in zipped.namelist()), None)
    if member is None:
        return  # _stored_array names what is missing
    info = zipped.getinfo(member)
    with zipped.open(info) as stream:
        if stream.read(6) != b"\x93NUMPY":
            raise ValueError(f"{path}: member {member!r} is not a NumPy array (.npy)")
        stream.seek(0)
        version = npy_format.read_magic(stream)
        read = (
            npy_format.read_array_header_1_0
            if version == (1, 0)
            else (npy_format.read_array_header_2_0)
        )
        shape, _, dtype = read(stream)
        header = stream.tell()
    if dtype.hasobject:
        return  # _stored_array refuses it without unpickling
    needed = math.prod(shape) * dtype.itemsize
    if needed > info.file_size - header:
        raise ValueError(
            f"{path}: array {key!r} declares shape {shape} of {dtype} ({needed:,} bytes) but "
            f"holds {max(info.file_size - header, 0):,}: the file is damaged; save it again"
        )


def _stored_array(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    if key not in archive.files:
        raise ValueError(
            f"{path} has no array {key!r}; it holds {sorted(archive.files)}. "
            "Write it with np.savez(path, X=X, y=y)"
        )
    try:
        array = archive[key]
    except ValueError as error:
        if "allow_pickle" not in str(error):
            raise ValueError(f"{path}: cannot read array {key!r}: {error}") from None
        raise ValueError(
            f"{path}: array {key!r} holds Python objects (dtype=object), which only pickle "
            "can read, and pickles are never loaded; save plain numeric or string arrays"
        ) from None
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: {key!r} is not a NumPy array (.npy) in the archive")
    return array


def _npz_labels(y: np.ndarray, path: Path) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if y.dtype.kind in "biu":
        return y.astype(np.int64), None
    if y.dtype.kind == "f" and np.isfinite(y).all():
        return y.astype(np.float64), None
    if y.dtype.kind in "US":
        classes, labels = np.unique(y.astype(str), return_inverse=True)
        return labels.astype(np.int64), tuple(str(name) for name in classes)
    raise ValueError(f"{path}: y must be finite numbers or class names; got dtype {y.dtype}")


def _numbered_names(n_features: int) -> tuple[str, ...]:
    return tuple(f"x{j}" for j in range(1, n_features + 1))


def _pixel_names(image_shape: tuple[int, ...]) -> tuple[str, ...]:
    """``pixel_<row>_<column>[_<channel>]``, counted from 0 as in scikit-learn's digits."""
    return tuple("pixel_" + "_".join(map(str, index)) for index in np.ndindex(*image_shape))


def load_image_folder(
    path: str | os.PathLike[str],
    *,
    size: tuple[int, int] | None = None,
    color: str = "grayscale",
) -> Dataset:
    """Images sorted into one sub-folder per class: ``path/cat/1.png``, ``path/dog/7.jpg`` ….

    The classes are the sub-folder names in sorted order (hidden entries, and files directly
    in ``path``, are ignored). Images are read with Pillow, converted to ``color``
    (``"grayscale"`` or ``"rgb"``) and resized to ``size=(height, width)`` when given;
    otherwise all must share one size. ``X`` holds one flattened image per row, scaled from
    0…255 to [0, 1]; ``image_shape`` is (height, width) or (height, width, 3). Rows are in
    class order, then file-name order: shuffle before splitting.
    """
    path = Path(path)
    if color not in COLORS:
        raise ValueError(f"color must be 'grayscale' or 'rgb'; got color={color!r}")
    if size is not None and not _is_size(size):
        raise ValueError(f"size must be (height, width), two positive integers; got {size!r}")
    if not path.exists():
        raise FileNotFoundError(f"no such folder: {path}")
    if not path.is_dir():
        raise ValueError(f"{path} is not a folder; expected one sub-folder of images per class")
    folders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise ValueError(
            f"{path} has no sub-folders; put each class's images in a sub-folder named after "
            f"the class, e.g. {path / 'cat' / '1.png'}"
        )
    files, labels = [], []
    for label, folder in enumerate(folders):
        found = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        if not found:
            raise ValueError(f"class folder {folder} holds no images; add some or remove it")
        files += found
        labels += [label] * len(found)
    images = [_read_image(file, COLORS[color], size) for file in files]
    for file, image in zip(files, images, strict=True):
        if image.shape != images[0].shape:
            h, w = images[0].shape[:2]
            raise ValueError(
                f"{file} is {image.shape[0]}×{image.shape[1]} (height×width) but {files[0]} is "
                f"{h}×{w}; images must share one size, so pass size=({h}, {w}) to resize them"
            )
    X = np.stack([image.reshape(-1) for image in images]) / 255.0
    image_shape = images[0].shape
    classes = tuple(folder.name for folder in folders)
    y = np.array(labels, dtype=np.int64)
    return Dataset(X, y, path.name, _pixel_names(image_shape), classes, image_shape)


def _is_size(size: object) -> bool:
    return (
        isinstance(size, tuple | list)
        and len(size) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in size)
    )


def _read_image(file: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    if file.is_dir():
        raise ValueError(f"{file} is a folder; class folders must hold image files only")
    try:
        with Image.open(file) as opened:
            image = opened.convert(mode)
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(
            f"{file} is not an image Pillow can read ({error}); class folders must hold "
            "image files only"
        ) from None
    if size is not None and image.size != (size[1], size[0]):  # Pillow sizes are (width, height)
        image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=np.uint8)
