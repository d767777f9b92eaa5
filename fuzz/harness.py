"""What the fuzz targets share: a scratch file, seeds, a seeded mutator, and atheris's loop.

A target module defines ``NAME``, ``SUFFIX``, ``seeds() -> list[bytes]`` and
``check(data: bytes) -> bool``: load ``data`` as a file and either get valid arrays (True) or
one of the errors the loader documents (False); anything else propagates and is a finding.
Run a target with
atheris (coverage-guided, libFuzzer's flags)::

    python fuzz/fuzz_csv.py -max_total_time=600 fuzz/corpus/csv

or without atheris, replaying the seeds and seeded random mutations of them::

    python fuzz/fuzz_csv.py --mutations 100000 --seed 1
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

# Tokens that loaders treat specially; the mutator splices them in.
TOKENS = (
    b",",
    b";",
    b"\t",
    b"|",
    b"\n",
    b"\r\n",
    b"\r",
    b'"',
    b'""',
    b"\x00",
    b"\xef\xbb\xbf",
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e309",
    b"-0",
    b"1e-320",
    b"9" * 40,
    b"\xff",
    b"\xc3",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b'"dtype"',
    b'"F64"',
    b'"shape"',
    b'"data_offsets"',
    b'"__metadata__"',
    b"\x80\x04",
    b"PK\x03\x04",
    b"\x93NUMPY",
    b"\xff\xff\xff\xff\xff\xff\xff\x7f",
    b"\x00\x00\x00\x00\x00\x00\x00\x00",
)


def scratch_file(suffix: str) -> Path:
    """One file per process, reused for every input (in memory where /dev/shm exists).

    libFuzzer ends the process without running ``atexit``, so each process's file is named
    after its id and removed by the next harness once that process is gone.
    """
    shm = Path("/dev/shm")
    root = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
    folder = root / "dlrecipe-fuzz"
    folder.mkdir(exist_ok=True)
    for stale in folder.iterdir():
        if stale.stem.isdigit() and not _alive(int(stale.stem)):
            stale.unlink(missing_ok=True)
    path = folder / f"{os.getpid()}{suffix}"
    atexit.register(path.unlink, missing_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def mutate(data: bytes, rng: np.random.Generator, others: Sequence[bytes]) -> bytes:
    """One to four random edits: flip, set, insert, delete, duplicate, truncate, splice."""
    buffer = bytearray(data)
    for _ in range(min(int(rng.geometric(0.6)), 6)):
        n = len(buffer)
        at = int(rng.integers(0, n + 1))
        kind = int(rng.integers(0, 8))
        if kind == 0 and n:  # flip a bit
            i = min(at, n - 1)
            buffer[i] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1 and n:  # set a byte
            buffer[min(at, n - 1)] = int(rng.integers(0, 256))
        elif kind == 2:  # insert random bytes
            buffer[at:at] = rng.bytes(int(rng.integers(1, 9)))
        elif kind == 3 and n:  # delete a range
            buffer[at : at + int(rng.integers(1, 17))] = b""
        elif kind == 4 and n:  # duplicate a range
            start = int(rng.integers(0, n))
            buffer[at:at] = buffer[start : start + int(rng.integers(1, 33))]
        elif kind == 5:  # truncate
            del buffer[at:]
        elif kind == 6:  # splice in a token
            buffer[at:at] = TOKENS[int(rng.integers(0, len(TOKENS)))]
        elif others:  # splice with another seed
            other = others[int(rng.integers(0, len(others)))]
            cut = int(rng.integers(0, len(other) + 1))
            buffer = buffer[:at] + bytearray(other[cut:])
    return bytes(buffer)


def replay(
    check: Callable[[bytes], bool], seeds: Sequence[bytes], mutations: int, seed: int
) -> int:
    """Run ``check`` on the seeds, then on ``mutations`` mutants; the number of inputs tried.

    A mutant that ``check`` accepted as valid joins the pool that later mutants are made from,
    so the search stays near valid files instead of drifting into noise. A finding raises,
    with the input attached to the exception as ``fuzz_input``.
    """
    rng = np.random.default_rng(seed)
    pool = [data for data in seeds if _run(check, data)]
    for _ in range(mutations):
        parent = pool[int(rng.integers(0, len(pool)))] if pool else b""
        child = mutate(parent, rng, seeds)
        if _run(check, child) and len(pool) < 1024:
            pool.append(child)
    return len(seeds) + mutations


def _run(check: Callable[[bytes], bool], data: bytes) -> bool:
    try:
        return check(data)
    except BaseException as error:
        error.fuzz_input = data  # type: ignore[attr-defined]
        raise


def write_seeds(folder: Path, seeds: Sequence[bytes], suffix: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.iterdir()):
        for i, data in enumerate(seeds):
            (folder / f"seed-{i:02d}{suffix}").write_bytes(data)


def main(
    name: str, suffix: str, seeds: Callable[[], list[bytes]], check: Callable[[bytes], bool]
) -> None:
    """``--mutations N [--seed S]`` replays without atheris; anything else goes to atheris."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--mutations", type=int)
    parser.add_argument("--seed", type=int, default=0)
    known, rest = parser.parse_known_args()
    if known.mutations is not None:
        try:
            count = replay(check, seeds(), known.mutations, known.seed)
        except BaseException as error:
            data = getattr(error, "fuzz_input", b"")
            crash = Path(f"crash-{name}{suffix}")
            crash.write_bytes(data)
            traceback.print_exc()
            print(f"finding: {type(error).__name__}; input written to {crash}", file=sys.stderr)
            raise SystemExit(1) from None
        print(f"{name}: {count} inputs, no finding")
        return
    import atheris

    folders = [arg for arg in rest if not arg.startswith("-")]
    for folder in folders:
        write_seeds(Path(folder), seeds(), suffix)
    atheris.Setup([sys.argv[0], *rest], check)
    atheris.Fuzz()
