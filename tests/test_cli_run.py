"""dlrecipe run, in-process: the run folder, the decision log, and what other commands read."""

import io
import json

import pytest

from dlrecipe.cli import main
from dlrecipe.cli.run import duration


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_run_writes_a_run_folder_that_evaluate_and_diagnose_can_read(tmp_path):
    folder = tmp_path / "run"
    code, printed, error = run(
        "run", "--data", "moons", "--budget", "20s", "--jobs", "1", "--out", folder
    )
    assert (code, error) == (0, ""), error
    for name in (
        "config.json",
        "data.json",
        "model.safetensors",
        "history.csv",
        "decisions.json",
        "decisions.txt",
        "summary.json",
    ):
        assert (folder / name).is_file(), name
    assert "gradient-checked the starting network" in printed
    assert "evaluated the chosen network on the test set, once" in printed
    assert f"run folder: {folder}" in printed
    decisions = json.loads((folder / "decisions.json").read_text())
    assert [d["phase"] for d in decisions][:3] == ["data", "check", "bias"]
    assert decisions[-1]["phase"] == "test"
    summary = json.loads((folder / "summary.json").read_text())
    code, printed, _ = run("evaluate", folder)
    assert code == 0
    test_row = next(line for line in printed.splitlines() if line.startswith("test"))
    assert float(test_row.split()[3]) == pytest.approx(summary["test"]["error"], abs=1e-6)
    code, printed, _ = run("diagnose", folder)
    assert code == 0
    assert "verdict:" in printed


def test_run_refuses_to_overwrite_a_model(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"")
    code, _, error = run("run", "--data", "moons", "--out", tmp_path)
    assert code == 2
    assert "already holds a model" in error


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--budget", "5x"], "a budget is a time such as 40s, 5m or 1h"),
        (["run", "--budget", "0"], "a budget is a time"),
        (["run", "--jobs", "0"], "expected a whole number >= 1"),
        (["run", "--target", "label"], "--target names a column of a CSV file given with --data"),
        (["run", "--bayes-error", "-1"], "expected an error such as 0.11 or 11%"),
    ],
)
def test_usage_errors(argv, message):
    code, printed, error = run(*argv)
    assert code == 2
    assert message in error
    assert printed == ""


def test_a_missing_data_file_is_a_runtime_error(tmp_path):
    code, _, error = run("run", "--data", tmp_path / "nope.csv", "--out", tmp_path / "r")
    assert code == 1
    assert "nope.csv" in error
    assert not (tmp_path / "r").exists()  # nothing half-written


@pytest.mark.parametrize(
    ("text", "seconds"), [("40s", 40), ("5m", 300), ("1h", 3600), ("90", 90), ("1.5m", 90)]
)
def test_durations(text, seconds):
    assert duration(text) == seconds
