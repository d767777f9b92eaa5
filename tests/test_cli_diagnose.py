"""dlrecipe diagnose, in-process: from given errors, and measured on a run folder."""

import io
import json

import numpy as np
import pytest

from dlrecipe.cli import main
from dlrecipe.cli.data import rebuild
from dlrecipe.train.files import load_model


def run(*argv):
    """(exit code, what main wrote to out, what it wrote to err)."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diagnose") / "run"
    argv = ("train", "--data", "moons", "--layers", "8", "--epochs", "5")
    code, _, error = run(*argv, "--out", folder, "--no-progress")
    assert (code, error) == (0, "")
    return folder


@pytest.mark.parametrize(
    ("train", "dev", "extra", "verdict"),
    [
        ("0.01", "0.11", (), "HIGH VARIANCE"),
        ("0.15", "0.16", (), "HIGH BIAS"),
        ("0.15", "0.30", (), "HIGH BIAS AND HIGH VARIANCE"),
        ("0.005", "0.01", (), "FINE"),
        ("0.15", "0.16", ("--bayes-error", "0.15"), "FINE"),
        ("0.01", "0.10", ("--train-dev-error", "0.015"), "DATA MISMATCH"),
        ("0.01", "0.02", ("--test-error", "0.10"), "OVER-FITTING TO THE DEV SET"),
    ],
)
def test_the_textbooks_cases_from_flags(train, dev, extra, verdict):
    code, printed, error = run("diagnose", "--train-error", train, "--dev-error", dev, *extra)
    assert (code, error) == (0, "")
    assert f"verdict: {verdict}\n" in printed
    assert "next steps:\n  1. " in printed


def test_percentages_are_read_as_fractions():
    code, printed, _ = run("diagnose", "--train-error", "1%", "--dev-error", "11 %")
    assert code == 0
    assert "dev error          11.00%" in printed
    assert "verdict: HIGH VARIANCE" in printed
    _, with_bayes, _ = run(
        "diagnose", "--train-error", "15%", "--dev-error", "16%", "--bayes-error", "15%"
    )
    assert "verdict: FINE" in with_bayes
    assert "assumed" not in with_bayes


def test_json_output():
    code, printed, _ = run("diagnose", "--train-error", "1%", "--dev-error", "11%", "--json")
    assert code == 0
    result = json.loads(printed)
    assert result["verdict"] == "high variance"
    assert result["train_error"] == pytest.approx(0.01)
    assert result["high"]["variance"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --train-error and --dev-error"),
        (["--train-error", "0.01"], "give --dev-error"),
        (["--train-error", "x", "--dev-error", "0.1"], "argument --train-error: expected an"),
        (["--train-error=-1%", "--dev-error", "0.1"], "got '-1%'"),
        (["--train-error", "0.1", "--dev-error", "nan"], "finite"),
        (["--train-error", "0.1", "--dev-error", "0.2", "--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message):
    code, printed, error = run("diagnose", *argv)
    assert code == 2
    assert printed == ""
    assert message in error
    assert error.startswith("dlrecipe diagnose: error:")
    assert error.count("\n") == 1


def test_a_run_folder_and_errors_are_mutually_exclusive(moons_run):
    code, printed, error = run("diagnose", moons_run, "--train-error", "0.1")
    assert (code, printed) == (2, "")
    assert "give a run folder or --train-error, not both" in error


def test_a_run_folder_is_measured_and_diagnosed(moons_run):
    code, printed, error = run("diagnose", moons_run)
    assert (code, error) == (0, "")
    model = load_model(moons_run / "model.safetensors")
    _, parts = rebuild(moons_run)
    errors = {name: model.evaluate(*getattr(parts, name))["error"] for name in ("train", "dev")}
    assert "data: moons (train 180, dev 60, test 60)" in printed
    lines = printed.splitlines()
    train = next(line.split() for line in lines if line.startswith("  train error"))
    dev = next(line.split() for line in lines if line.startswith("  dev error"))
    assert train == ["train", "error", f"{100 * errors['train']:.2f}%", "(180", "examples)"]
    assert dev == ["dev", "error", f"{100 * errors['dev']:.2f}%", "(60", "examples)"]
    assert "test error" in printed
    assert "verdict: " in printed
    assert "Bayes error 0.00%, assumed" in printed


def test_a_run_folder_with_bayes_error_and_json(moons_run):
    code, printed, _ = run("diagnose", moons_run, "--bayes-error", "5%", "--json")
    assert code == 0
    result = json.loads(printed)  # only the JSON: the measurements are in it
    assert result["bayes_error"] == 0.05
    assert result["sizes"] == {"train": 180, "dev": 60, "test": 60}
    assert result["avoidable_bias"] == pytest.approx(result["train_error"] - 0.05)


def test_a_regression_run_is_judged_in_fractions_of_the_target_variance(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.normal(size=200)
    path = tmp_path / "line.csv"
    rows = "\n".join(f"{a:.6f},{b:.6f},{t:.6f}" for (a, b), t in zip(X, y, strict=True))
    path.write_text("a,b,t\n" + rows + "\n")
    folder = tmp_path / "run"
    code, _, error = run(
        "train", "--data", path, "--layers", "8", "--epochs", "5", "--out", folder, "--no-progress"
    )
    assert (code, error) == (0, "")
    code, printed, error = run("diagnose", folder, "--json")
    assert (code, error) == (0, "")
    result = json.loads(printed)
    model = load_model(folder / "model.safetensors")
    _, parts = rebuild(folder)
    mse = model.evaluate(*parts.train)["error"]
    assert result["train_error"] == pytest.approx(mse / np.var(parts.train.y))
    assert result["sizes"] is None  # binomial standard errors are for error rates
    assert any("variance of the training targets" in note for note in result["notes"])


def test_run_folder_errors(tmp_path, moons_run):
    code, _, error = run("diagnose", tmp_path / "nowhere")
    assert code == 1
    assert "no run folder" in error
    code, _, error = run("diagnose", moons_run / "data.json")
    assert code == 2
    assert "is a file; name the run folder" in error
    code, _, error = run("diagnose", tmp_path)
    assert code == 1
    assert "model.safetensors" in error
