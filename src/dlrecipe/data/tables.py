"""Data sets from CSV tables: a header row, numeric features and one target column.

Anything that cannot be read faithfully is a ``ValueError`` naming the file, the line (as an
editor numbers it) and the column, and saying how to fix it. Uses Python's ``csv`` module and
NumPy; no code in the file is ever run.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path

import numpy as np

from .dataset import Dataset

DELIMITERS = (",", ";", "\t", "|")


def load_csv(
    path: str | os.PathLike[str], *, target: str | None = None, delimiter: str | None = None
) -> Dataset:
    """A CSV table with a header row: numeric feature columns and one target column.

    ``target`` names the target column; by default it is the **last** column. The delimiter is
    guessed when not given: whichever of ``,`` ``;`` tab ``|`` occurs most often in the header
    line. Features are read as float64. A target whose cells are all numbers stays numeric
    (int64 labels when every value is a whole number, float64 otherwise); any other target is
    read as class names, encoded 0 … k-1 in sorted order, with ``classes`` set. Blank lines are
    skipped. Empty cells, text in a feature column and NaN or infinite values are errors
    naming the line (as an editor numbers it) and the column.
    """
    path = Path(path)
    text = _read_utf8(path)
    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        raise ValueError(f"{path} holds only blank lines; a CSV file needs a header row and data")
    guessed = delimiter is None
    if delimiter is None:
        delimiter = _guess_delimiter(header_line, path)
    elif not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be a single character such as ';'; got {delimiter!r}")
    (line, header), *rows = _records(text, delimiter, path)
    names = _column_names(header, line, path)
    if not rows:
        raise ValueError(f"{path} has a header (line {line}) but no data rows")
    for line, cells in rows:
        if len(cells) != len(names):
            read_with = f"{delimiter!r}" + (" (guessed from the header)" if guessed else "")
            raise ValueError(
                f"{path}, line {line}: {_cells(len(cells))} but the header has {len(names)} "
                f"columns. The file was read with delimiter {read_with}: is that the right "
                "one, or does a text cell hold it without quotes? Pass delimiter= to choose"
            )
    if target is None:
        target = names[-1]
    if target not in names:
        raise ValueError(f"{path} has no column {target!r} for target=; its columns are {names}")
    t = names.index(target)
    features = [j for j in range(len(names)) if j != t]
    if not features:
        raise ValueError(
            f"{path} has a single column, {target!r}, so no features to learn; is the "
            f"delimiter {delimiter!r} right? Pass delimiter= to choose"
        )
    X = np.array(
        [[_number(cells[j], line, names[j], path) for j in features] for line, cells in rows]
    )
    y, classes = _target([(line, cells[t]) for line, cells in rows], target, path)
    return Dataset(X, y, path.name, tuple(names[j] for j in features), classes)


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _read_utf8(path: Path) -> str:
    raw = path.read_bytes()
    if not raw:
        raise ValueError(f"{path} is empty (0 bytes); a CSV file needs a header row and data")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"{path} is not UTF-8 text: byte 0x{raw[error.start]:02x} at byte offset "
            f"{error.start} (line {line}) is not valid UTF-8; re-save the file as UTF-8"
        ) from None
    if "\0" in text:
        offset = text.index("\0")
        line = text.count("\n", 0, offset) + 1
        raise ValueError(
            f"{path} holds a NUL byte (line {line}), which text files do not: it is a binary "
            "file, or text saved as UTF-16; re-save it as UTF-8 CSV"
        )
    return text.removeprefix("\ufeff")  # a byte-order mark some editors write


def _guess_delimiter(header_line: str, path: Path) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts.values())
    guesses = [d for d, count in counts.items() if count == best]
    if best == 0 or len(guesses) > 1:
        problem = "has none of" if best == 0 else "has as many of each of"
        raise ValueError(
            f"{path}: cannot guess the delimiter, the header {header_line!r} {problem} "
            f"{' '.join(repr(d) for d in (DELIMITERS if best == 0 else guesses))}; "
            "pass delimiter="
        )
    return guesses[0]


def _records(text: str, delimiter: str, path: Path) -> list[tuple[int, list[str]]]:
    """Non-blank rows, each with the line it starts on (1-based, as an editor counts)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, start = [], 1
    try:
        for cells in reader:
            if len(cells) > 1 or (cells and cells[0].strip()):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ValueError(f"{path}, line {reader.line_num}: {error}") from None
    return records


def _column_names(header: list[str], line: int, path: Path) -> list[str]:
    names = [name.strip() for name in header]
    if all(_parse(name) is not None for name in names):
        raise ValueError(
            f"{path}, line {line}: the first row holds only numbers ({', '.join(names[:4])}"
            f"{', …' if len(names) > 4 else ''}), so the file has no header; add a first line "
            "with the column names, e.g. x1,x2,label"
        )
    for j, name in enumerate(names):
        if not name:
            raise ValueError(
                f"{path}, line {line}: column {j + 1} of the header has no name; "
                "every column needs a unique name"
            )
        if name in names[:j]:
            raise ValueError(
                f"{path}, line {line}: the header names column {name!r} twice (columns "
                f"{names.index(name) + 1} and {j + 1}); column names must be unique"
            )
    return names


def _parse(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _number(cell: str, line: int, column: str, path: Path) -> float:
    where = f"{path}, line {line}, column {column!r}"
    cell = cell.strip()
    if not cell:
        raise ValueError(f"{where}: the cell is empty; fill in the value or remove the row")
    value = _parse(cell)
    if value is None:
        hint = (
            "write decimals with a point"
            if re.fullmatch(r"[-+]?\d+,\d+", cell)
            else f"features must be numbers: drop or encode it, or use target={column!r}"
        )
        raise ValueError(f"{where}: {cell!r} is not a number; {hint}")
    if not math.isfinite(value):
        raise ValueError(
            f"{where}: {cell!r} is not a finite number; remove or impute NaN and infinite values"
        )
    return value


def _target(
    cells: list[tuple[int, str]], column: str, path: Path
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Labels and class names: numbers stay numbers, text becomes classes 0 … k-1."""
    if all(_parse(cell) is not None for _, cell in cells):
        values = np.array([_number(cell, line, column, path) for line, cell in cells])
        if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
            return values.astype(np.int64), None
        return values, None
    names = [cell.strip() for _, cell in cells]
    for (line, _), name in zip(cells, names, strict=True):
        value = _parse(name)
        if not name or (value is not None and not math.isfinite(value)):
            _number(name, line, column, path)  # raises: an empty cell, or NaN / infinity
    classes = tuple(sorted(set(names)))
    index = {name: k for k, name in enumerate(classes)}
    return np.array([index[name] for name in names], dtype=np.int64), classes
