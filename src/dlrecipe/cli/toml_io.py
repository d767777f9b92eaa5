"""TOML in and out: reading a ``--config`` file, and writing settings back in the same form.

Python reads TOML (``tomllib`` from 3.11 on, its backport ``tomli`` before) but does not write
it; the settings are flat values, lists and small inline tables, which :func:`toml_value`
writes exactly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from .common import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_toml(path: str) -> dict[str, Any]:
    """The file's table; a missing, unreadable or invalid file is a usage error."""
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise UsageError(f"--config {path}: cannot read it: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"--config {path}: not valid TOML: {error}") from None


def toml_value(value: Any) -> str:
    """``value`` as TOML: ``"relu"``, ``0.01``, ``[16, 8]``, ``{ patience = 10 }``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{key} = {toml_value(v)}" for key, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return repr(value)


def dumps(values: Mapping[str, Any], *, comment: str = "") -> str:
    """``key = value`` lines, after an optional comment line."""
    lines = [f"# {comment}"] if comment else []
    lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def flag_text(value: Any) -> str:
    """A value as it is written on the command line: ``16,8``, ``none``, ``0.8``."""
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value) if value else "none"
    return str(value)
