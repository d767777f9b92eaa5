"""Files replaced atomically: a crash at any instant leaves the old file or the new one.

The bytes go to a temporary file in the same folder, are flushed to disk and renamed onto the
path, so a reader never sees a mix of the two, nor a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

PathLike = str | os.PathLike[str]

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
