"""The fuzz targets in fuzz/, run briefly: any bytes load as valid arrays or raise the errors
the loaders document. With atheris installed each target also runs coverage-guided for a few
seconds; without it, the seeded mutator stands in, so the check never silently disappears."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
TARGETS = ("fuzz_model_file", "fuzz_csv", "fuzz_npz")
SECONDS = 4  # per target with atheris (plus about 2 s to start)
MUTATIONS = 3000  # per target without it

try:
    import atheris  # noqa: F401
except ImportError:
    HAVE_ATHERIS = False
else:
    HAVE_ATHERIS = True


def target(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, FUZZ / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts fuzz/ on sys.path for its harness
    return module


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    target(TARGETS[0])
    import harness

    return harness


@pytest.mark.parametrize("name", TARGETS)
def test_the_seeds_are_both_valid_and_refused_files(name):
    module = target(name)
    results = [module.check(data) for data in module.seeds()]
    assert any(results)  # the seeds reach the checks of a loaded file …
    assert not all(results)  # … and the loader's refusals


@pytest.mark.parametrize("name", TARGETS)
def test_seeded_mutations_find_nothing(name, harness):
    module = target(name)
    tried = harness.replay(module.check, module.seeds(), MUTATIONS, seed=2026)
    assert tried == len(module.seeds()) + MUTATIONS


def test_a_finding_is_reported_with_its_input(harness, monkeypatch):
    module = target("fuzz_csv")

    def broken(path, **options):  # a loader with a bug: an undocumented exception
        if b";" in Path(path).read_bytes():
            raise IndexError("list index out of range")
        raise ValueError("refused")

    monkeypatch.setattr(module, "load_csv", broken)
    with pytest.raises(IndexError) as raised:
        harness.replay(module.check, [b"a,b\n1,2\n"], 5000, seed=0)
    assert b";" in raised.value.fuzz_input


@pytest.mark.skipif(not HAVE_ATHERIS, reason="atheris is not installed: the mutator ran instead")
@pytest.mark.parametrize("name", TARGETS)
def test_a_short_coverage_guided_run_finds_nothing(name, tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            str(FUZZ / f"{name}.py"),
            f"-max_total_time={SECONDS}",
            f"-artifact_prefix={tmp_path}/",
            str(tmp_path / "corpus"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert not list(tmp_path.glob("crash-*")), output[-3000:]
    done = re.search(r"Done (\d+) runs", output)
    assert done is not None, output[-3000:]
    assert int(done[1]) >= 1000
