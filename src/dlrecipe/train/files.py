"""Safe files: NumPy arrays plus JSON metadata in one safetensors file, and model files.

Nothing here writes or reads a pickle: loading one can run arbitrary code. The layout is
safetensors' (https://huggingface.co/docs/safetensors)::

    8 bytes    N, the header's length (unsigned 64-bit, little-endian)
    N bytes    the JSON header: {"__metadata__": {string: string},
               "W1": {"dtype": "F64", "shape": [5, 2], "data_offsets": [0, 80]}, …}
    the rest   the arrays' bytes, C order, little-endian

dlrecipe's ``__metadata__`` holds four strings: ``"format": "dlrecipe-<kind>"`` (``model``
or ``checkpoint``), ``"format_version": "1"``, ``"metadata"``, a JSON object, and
``"sha256"``, a checksum of the metadata and the arrays (see :func:`checksum`), so that a bit
flipped anywhere in the file is refused rather than loaded as different weights (files
written before the checksum existed, without the key, are read unchecked). A model file
holds ``W1, b1, …, WL, bL`` (plus ``standardizer.mean`` and ``standardizer.std`` when its
inputs are normalized) and the metadata ``{"spec", "dtype", "init", "classes", "training"}``.

Files are replaced atomically (a temporary file in the same folder, fsync, rename): a crash at
any instant leaves the old file or the new one, complete, never a mix.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

from ..data.normalize import Standardizer
from ..nn import initializers
from ..nn.inputs import check_dtype
from ..nn.spec import NetworkSpec
from .model import MLP

PathLike = str | os.PathLike[str]
FORMAT_VERSION = 1
STANDARDIZER = ("standardizer.mean", "standardizer.std")
_FOREIGN = (  # (first bytes, what a file starting with them is)
    (b"PK\x03\x04", "a zip archive (an .npz from numpy.savez, or a PyTorch .pt file)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF", "an HDF5 file (such as a Keras .h5)"),
)
_AGAIN = "save or copy it again"
_CONVERT = "load it with the program that wrote it and save it again with dlrecipe"


TEMPORARY_SUFFIX = ".tmp"


def remove_stale_temporaries(folder: PathLike) -> list[Path]:
    """Delete what a killed :func:`write_atomic` left in ``folder`` (never a complete file)."""
    removed = []
    for stale in Path(folder).glob(f".*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()
            removed.append(stale)
    return removed


def write_atomic(path: PathLike, data: bytes) -> None:
    """Replace the file at ``path`` by ``data`` all at once, or not at all.

    The bytes go to a temporary file in the same folder, are flushed to disk and renamed onto
    ``path``; then the folder is synced (where the platform allows). On any error the temporary
    file is removed, a previous file at ``path`` is left as it was, and an ``OSError`` names
    the path and the cause.
    """
    path = Path(path)
    intact = "the previous file is intact" if path.exists() else "no file was written"
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}{TEMPORARY_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temporary, flags, 0o666)
    except OSError as error:
        raise _write_error(path, error, intact) from error
    try:
        with open(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _write_error(path, error, intact) from error
        raise
    with contextlib.suppress(OSError):  # make the rename durable; Windows cannot open folders
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _write_error(path: Path, error: OSError, intact: str) -> OSError:
    message = f"cannot write {path}: {error.strerror or error}; {intact}"
    if error.errno is None:
        return OSError(message)
    # The subclass OSError(errno, …) would be (e.g. PermissionError), with the errno kept, but
    # a one-argument message: str() of an OSError with strerror set adds "[Errno 28] ".
    failure = type(OSError(error.errno, message))(message)
    failure.errno = error.errno
    return failure


def save_arrays(
    path: PathLike, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any], *, kind: str
) -> None:
    """Write numeric ``arrays`` and the JSON object ``metadata`` as a ``dlrecipe-<kind>`` file."""
    tensors = {}
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            what = f"{array.dtype} array" if isinstance(array, np.ndarray) else type(array).__name__
            raise TypeError(f"cannot save {path}: {name!r} is a {what}, not a numeric NumPy array")
        tensors[name] = array if array.flags.c_contiguous else array.copy(order="C")
    try:
        text = json.dumps(dict(metadata))
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"cannot save {path}: the metadata must be JSON-serializable ({error}); convert "
            "NumPy numbers with int() or float() and arrays with .tolist()"
        ) from None
    header = {
        "format": f"dlrecipe-{kind}",
        "format_version": str(FORMAT_VERSION),
        "metadata": text,
        "sha256": checksum(text, tensors),
    }
    write_atomic(path, serialize(tensors, header))


SAFETENSORS_DTYPES = {
    "b1": "BOOL", "u1": "U8", "i1": "I8", "u2": "U16", "i2": "I16", "f2": "F16",
    "u4": "U32", "i4": "I32", "f4": "F32", "u8": "U64", "i8": "I64", "f8": "F64",
}  # fmt: skip


def serialize(tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> bytes:
    """The safetensors bytes of ``tensors``, the same bytes for the same arrays every time.

    safetensors' own writer orders the ``__metadata__`` keys as a hash map does, differently in
    each process; here keys are sorted, so that one seed gives byte-identical files. Arrays are
    laid out by decreasing item size, then name (aligned, as safetensors does), and the header
    is padded with spaces to a multiple of 8 bytes.
    """
    header: dict[str, Any] = {"__metadata__": dict(sorted(metadata.items()))}
    chunks, offset = [], 0
    for name in sorted(tensors, key=lambda name: (-tensors[name].dtype.itemsize, name)):
        array = tensors[name]
        kind = f"{array.dtype.kind}{array.dtype.itemsize}"
        data = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": SAFETENSORS_DTYPES[kind],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def checksum(metadata_text: str, arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the metadata's JSON text and of each array's name, dtype, shape and bytes
    (little-endian, C order, as the file stores them), in the order of the names."""
    digest = hashlib.sha256()
    digest.update(metadata_text.encode("utf-8"))
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        digest.update(json.dumps([name, array.dtype.str, list(array.shape)]).encode("utf-8"))
        digest.update(array.data)  # the buffer itself: no copy
    return digest.hexdigest()


def load_arrays(path: PathLike, *, kind: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays (writeable) and the metadata of a ``dlrecipe-<kind>`` file, checked.

    The file is read into memory once and nothing in it is run. A missing file raises
    ``FileNotFoundError``; every other problem (a folder, an empty, truncated or corrupted
    file, a pickle or another foreign file, a safetensors file from elsewhere or from a newer
    dlrecipe) a ``ValueError`` naming the file and the case.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a dlrecipe {kind} file; pass the file's path")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such file: {path}; check the path") from None
    header = _read_header(path, data)
    strings = header.pop("__metadata__", None)
    metadata = _check_format(path, strings, kind)
    try:
        arrays = safetensors.numpy.load(data)
    except SafetensorError as error:
        raise ValueError(f"{path} is corrupted: {error}; {_AGAIN}") from None
    expected = strings.get("sha256") if isinstance(strings, dict) else None
    if expected is not None and expected != checksum(strings.get("metadata", ""), arrays):
        raise ValueError(
            f"{path} is corrupted: its arrays or metadata do not match the checksum written "
            f"with them (a changed or flipped bit); {_AGAIN}"
        )
    return {name: a if a.flags.writeable else a.copy() for name, a in arrays.items()}, metadata


def _read_header(path: Path, data: bytes) -> dict[str, Any]:
    """The safetensors header as a dict, checked against the file's length before parsing."""
    size, foreign = len(data), _foreign(data)
    if size == 0:
        raise ValueError(f"{path} is empty (0 bytes), e.g. from an interrupted copy; {_AGAIN}")
    n = struct.unpack("<Q", data[:8])[0] if size >= 8 else size  # N, the header's length
    if foreign is not None and not (8 + n <= size and data[8:9] == b"{"):
        raise ValueError(f"{path}: {foreign}; {_CONVERT}")
    if size < 8:
        raise ValueError(f"{path} is truncated: {size} bytes, fewer than a header needs; {_AGAIN}")
    if 8 + n > size:
        if data[8:9] in (b"{", b""):  # a header cut short, or cut off entirely
            raise ValueError(
                f"{path} is truncated or corrupted: its header length says {n} bytes, but only "
                f"{size - 8} follow; {_AGAIN}"
            )
        raise ValueError(f"{path} is not a safetensors file (it starts with no header); {_CONVERT}")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
        entries = [entry for key, entry in header.items() if key != "__metadata__"]
        end = max((int(entry["data_offsets"][1]) for entry in entries), default=0)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise ValueError(
            f"{path} is corrupted: its header is not valid safetensors JSON ({error}); {_AGAIN}"
        ) from None
    if end > size - 8 - n:
        raise ValueError(
            f"{path} is truncated: its arrays need {end} bytes after the header, but only "
            f"{size - 8 - n} are there; {_AGAIN}"
        )
    return header


def _foreign(data: bytes) -> str | None:
    """What a file of another format is, from its first bytes (None when not recognized)."""
    protocol_2 = data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")
    if protocol_2 or (data[:1] in (b"(", b"c", b"}", b"]") and data.endswith(b".")):  # 0, 1
        return "this is a pickle file: dlrecipe never loads pickles, which can run code"
    for magic, what in _FOREIGN:
        if data.startswith(magic):
            return f"this is {what}, not a safetensors file written by dlrecipe"
    return None


def _check_format(path: Path, header_metadata: object, kind: str) -> dict[str, Any]:
    """The JSON metadata, once the format and version are dlrecipe-<kind> ones this can read."""
    strings = header_metadata if isinstance(header_metadata, dict) else {}
    found = strings.get("format")
    if found != f"dlrecipe-{kind}":
        if isinstance(found, str) and found.startswith("dlrecipe-"):
            what = f"a dlrecipe {found.removeprefix('dlrecipe-')} file"
        else:
            what = "a safetensors file without dlrecipe's metadata, written by another program"
        raise ValueError(f"{path} is not a dlrecipe {kind} file: it is {what}")
    version = strings.get("format_version")
    if not (isinstance(version, str) and version.isdigit() and int(version) >= 1):
        raise ValueError(f"{path} is corrupted: format_version {version!r} is not a number >= 1")
    if int(version) > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer dlrecipe (format version {version}; this one reads "
            f"{FORMAT_VERSION}); upgrade dlrecipe"
        )
    try:
        metadata = json.loads(strings.get("metadata", ""))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} is corrupted: its metadata is not valid JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise ValueError(f"{path} is corrupted: its metadata is not a JSON object: {metadata!r}")
    return metadata


# --- model files -----------------------------------------------------------------------------
def save_model(model: MLP, path: PathLike, *, training: Mapping[str, Any] | None = None) -> None:
    """Write ``model``'s weights, spec, dtype, initializer, normalizer and class names.

    ``training`` is an optional JSON-serializable record of how it was trained, returned by
    :func:`read_model_metadata`. The model is checked as :func:`load_model` checks a file (a
    model with NaN weights is refused), so every file written can be read back.
    """
    arrays = dict(model.params)
    if model.standardizer is not None and model.standardizer.fitted:
        standardizer = model.standardizer.to_arrays()
        arrays[STANDARDIZER[0]], arrays[STANDARDIZER[1]] = standardizer["mean"], standardizer["std"]
    metadata = {
        "spec": model.spec.to_config(),
        "dtype": model.dtype.name,
        "init": _init_config(model.init),
        "classes": None if model.classes is None else list(model.classes),
        "training": None if training is None else dict(training),
    }
    _check_model(f"cannot save {path}", arrays, metadata)
    save_arrays(path, arrays, metadata, kind="model")


def load_model(path: PathLike) -> MLP:
    """The model saved by :func:`save_model`, with writeable copies of its weights.

    ``init`` comes back as saved (None when it was a custom function, which a file cannot
    hold); the random generator is a fresh one with seed 0.
    """
    arrays, metadata = load_arrays(path, kind="model")
    spec, dtype, init = _check_model(str(path), arrays, metadata)
    # The spec's config holds MLP's arguments; "zeros" draws nothing, as the weights are replaced.
    model = MLP(**spec.to_config(), init="zeros", dtype=dtype, seed=0)
    model.params = {name: arrays[name] for name in model.params}
    if STANDARDIZER[0] in arrays:
        mean, std = (arrays[name] for name in STANDARDIZER)
        model.standardizer = Standardizer.from_arrays({"mean": mean, "std": std})
    classes = metadata.get("classes")
    model.classes = None if classes is None else tuple(classes)
    model.init = init
    return model


def read_model_metadata(path: PathLike) -> dict[str, Any]:
    """The metadata of a model file (``spec``, ``dtype``, ``init``, ``classes``, ``training``)."""
    arrays, metadata = load_arrays(path, kind="model")
    _check_model(str(path), arrays, metadata)
    return metadata


def _init_config(init: object) -> Any:
    """A name, an initializer's config, a list of these (one per layer), or None (custom)."""
    if isinstance(init, str):
        return init
    if isinstance(init, initializers.Initializer):
        return init.to_config()
    if isinstance(init, Sequence | np.ndarray):
        configs = [_init_config(one) for one in init]
        return None if any(c is None or isinstance(c, list) for c in configs) else configs
    return None


def _init_from_config(config: Any) -> Any:
    if isinstance(config, list):
        return [_init_from_config(one) for one in config]
    if isinstance(config, str):
        initializers.get_initializer(config)  # an unknown name raises ValueError
        return config
    return initializers.from_config(config)  # a dict; anything else raises TypeError


def _check_standardizer(where: str, mean: np.ndarray, std: np.ndarray) -> None:
    """σ >= 0, and μ, σ that normalize without overflow: σ = 0 (a constant feature) or σ a
    normal float64 with μ/σ finite (as :class:`Standardizer.fit` gives)."""
    if (std < 0).any():
        raise ValueError(f"{where}: standardizer.std has negative values; it must be >= 0")
    used = std > 0
    with np.errstate(over="ignore", divide="ignore"):
        ratio = np.abs(mean[used]) / std[used]
    if (std[used] < np.finfo(np.float64).tiny).any() or not np.isfinite(ratio).all():
        j = int(np.flatnonzero(used)[np.argmax(~np.isfinite(ratio) | (std[used] < 1e-300))])
        raise ValueError(
            f"{where}: standardizer mean {mean[j]!r} and std {std[j]!r} of feature {j} cannot "
            "normalize inputs without overflow; std must be 0 or a normal number with "
            "mean/std finite. The file is damaged, or was not written by dlrecipe"
        )


def _check_model(
    where: str, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, Any]
) -> tuple[NetworkSpec, np.dtype, Any]:
    """Check a model's arrays and metadata against each other; the spec, dtype and init."""
    if not isinstance(metadata.get("spec"), dict):
        raise ValueError(f"{where}: the metadata has no spec (a JSON object); the file is damaged")
    try:
        spec = NetworkSpec.from_config(metadata["spec"])
        dtype = check_dtype(metadata.get("dtype"))
        init = None if metadata.get("init") is None else _init_from_config(metadata["init"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: its spec, dtype or init is invalid: {error}") from None
    if isinstance(init, list) and len(init) != spec.n_layers:
        raise ValueError(f"{where}: init lists {len(init)} layers; the spec has {spec.n_layers}")
    sizes = spec.layer_sizes
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for l in range(1, spec.n_layers + 1):
        expected[f"W{l}"] = ((sizes[l], sizes[l - 1]), dtype)
        expected[f"b{l}"] = ((sizes[l], 1), dtype)
    if any(name in arrays for name in STANDARDIZER):
        expected |= {name: ((sizes[0],), np.dtype(np.float64)) for name in STANDARDIZER}
    missing = [name for name in expected if name not in arrays]
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        problem = f"lacks {missing}" if missing else f"has unexpected arrays {extra}"
        raise ValueError(f"{where}: the model {problem}; layer sizes {sizes} need {list(expected)}")
    for name, (shape, wanted) in expected.items():
        array = arrays[name]
        if array.shape != shape:
            raise ValueError(
                f"{where}: {name} has shape {array.shape}; layer sizes {sizes} need {shape}"
            )
        if array.dtype != wanted:
            raise ValueError(f"{where}: {name} is {array.dtype}, but it must be {wanted.name}")
        if not np.isfinite(array).all():
            raise ValueError(f"{where}: {name} holds NaN or infinite values; retrain the model")
    if STANDARDIZER[1] in arrays:
        _check_standardizer(where, arrays[STANDARDIZER[0]], arrays[STANDARDIZER[1]])
    classes, n_out = metadata.get("classes"), sizes[-1]
    n_classes = 2 if spec.output.name == "sigmoid" and n_out == 1 else n_out
    strings = isinstance(classes, list | tuple) and all(isinstance(c, str) for c in classes)
    if classes is not None and not (strings and len(classes) == n_classes):
        output = f"{n_out} {spec.output.name} output unit(s)"
        raise ValueError(
            f"{where}: classes must be {n_classes} strings for {output}; got {classes!r}"
        )
    if metadata.get("training") is not None and not isinstance(metadata["training"], dict):
        raise ValueError(f"{where}: training must be a JSON object; got {metadata['training']!r}")
    return spec, dtype, init
