"""Safe files: NumPy arrays plus JSON metadata in one safetensors file.

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
written before the checksum existed, without the key, are read unchecked). Files are written
with :func:`~dlrecipe.train.atomic.write_atomic`.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy
from safetensors import SafetensorError

from .atomic import PathLike, write_atomic

FORMAT_VERSION = 1
_FOREIGN = (  # (first bytes, what a file starting with them is)
    (b"PK\x03\x04", "a zip archive (an .npz from numpy.savez, or a PyTorch .pt file)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF", "an HDF5 file (such as a Keras .h5)"),
)
_AGAIN = "save or copy it again"
_CONVERT = "load it with the program that wrote it and save it again with dlrecipe"


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
