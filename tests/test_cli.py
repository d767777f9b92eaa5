"""The dlrecipe command, run in-process through main(argv, out=) and once as a real process."""

import csv
import dataclasses
import io
import subprocess
import sys

import numpy as np
import pytest

import dlrecipe
from dlrecipe.cli import main


def run(*argv):
    """(exit code, what main wrote to out, what it wrote to err)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_version(capsys):
    assert run("--version") == (0, "dlrecipe 0.1.0\n", "")
    assert dlrecipe.__version__ == "0.1.0"
    assert capsys.readouterr() == ("", "")  # nothing escapes the streams passed in


def test_help():
    code, printed, _ = run("--help")
    assert code == 0
    assert printed.startswith("usage: dlrecipe")
    assert "demo" in printed
    assert "--version" in printed


def test_no_arguments_prints_help_to_out(capsys):
    code, printed, _ = run()
    assert code == 0
    assert printed.startswith("usage: dlrecipe")
    assert "demo" in printed
    assert capsys.readouterr().out == ""  # everything went to the stream that was passed in


def test_demo_list():
    code, printed, _ = run("demo", "--list")
    assert code == 0
    from dlrecipe.demos import DEMOS

    names = [line.split()[0] for line in printed.splitlines()]
    assert names == sorted(DEMOS)  # one line per demo, in order
    assert "planted bug" in printed


def test_demo_without_a_name_is_a_usage_error_that_names_the_demos():
    code, printed, error = run("demo")
    assert code == 2
    assert printed == ""
    assert "name a demo" in error
    assert "gradcheck" in error


def test_demo_gradcheck():
    code, printed, _ = run("demo", "gradcheck", "--no-report")
    assert code == 0
    assert "verdict: CORRECT" in printed
    assert "verdict: BUG" in printed
    assert "W2" in printed
    summary = printed.strip().splitlines()[-1]
    assert summary.startswith("Summary: correct backprop passed")
    assert "planted bug found in W2" in summary


@pytest.mark.parametrize("argv", [["demo", "nope"], ["--no-such-option"], ["train"]])
def test_usage_errors_return_2(argv):
    code, printed, error = run(*argv)
    assert code == 2
    assert printed == ""
    assert "error:" in error


def test_unknown_demo_names_the_choices():
    code, _, error = run("demo", "nope")
    assert code == 2
    assert "invalid choice: 'nope'" in error


def test_python_dash_m():
    completed = subprocess.run(
        [sys.executable, "-m", "dlrecipe", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"dlrecipe {dlrecipe.__version__}"


# --- evaluate, predict and gradcheck on trained runs -------------------------------------------
@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    """A run folder: a 2-8-1 classifier trained 5 epochs on moons."""
    folder = tmp_path_factory.mktemp("runs") / "moons"
    code, printed, error = run(
        "train", "--data", "moons", "--layers", "8", "--epochs", "5", "--out", str(folder)
    )
    assert (code, error) == (0, ""), error
    return folder, printed


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """A CSV file whose target holds class names, the same features without it, and a run."""
    folder = tmp_path_factory.mktemp("pets")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    names = np.where(X[:, 0] + X[:, 1] > 0, "dog", "cat")
    labelled, features = folder / "pets.csv", folder / "features.csv"
    labelled.write_text(
        "animal,weight,height\n"
        + "".join(f"{n},{a},{b}\n" for n, (a, b) in zip(names, X, strict=True))
    )
    features.write_text("weight,height\n" + "".join(f"{a},{b}\n" for a, b in X))
    options = ["--layers", "4", "--epochs", "30", "--batch-size", "all", "--learning-rate", "0.1"]
    data = ["--data", str(labelled), "--target", "animal"]
    code, _, error = run("train", *data, *options, "--out", str(folder / "run"))
    assert code == 0, error
    return labelled, features, folder / "run", names


def test_evaluate_a_run_folder_on_its_own_split_repeats_the_training_table(moons_run):
    folder, trained = moons_run
    code, printed, error = run("evaluate", str(folder))
    assert (code, error) == (0, "")
    assert "data: moons (train 180, dev 60, test 60)" in printed
    for part in ("train", "dev", "test"):
        (row,) = [line for line in printed.splitlines() if line.startswith(part + " ")]
        assert row in trained.splitlines()


def test_evaluate_on_data_reports_each_class_and_the_confusion_matrix(moons_run):
    folder, _ = moons_run
    code, printed, _ = run("evaluate", str(folder), "--data", "moons")
    assert code == 0
    model = dlrecipe.load_model(folder / "model.safetensors")
    X, y = dlrecipe.load_data("moons", seed=0)
    measured = model.evaluate(X, y)
    (row,) = [line.split() for line in printed.splitlines() if line.startswith("all ")]
    assert [float(v) for v in row[1:4]] == pytest.approx(
        [measured["cost"], measured["loss"], measured["error"]], rel=1e-5
    )
    assert row[4] == f"{100 * (1 - measured['error']):.2f}%"
    for word in ("precision", "recall", "f1", "support", "macro average", "confusion matrix"):
        assert word in printed
    lines = printed.splitlines()
    start = lines.index("confusion matrix (rows: the true class, columns: the predicted one)")
    header, zero, one = (line.split() for line in lines[start + 1 : start + 4])
    assert header[-2:] == ["0", "1"]
    counts = np.array([[int(n) for n in zero[1:]], [int(n) for n in one[1:]]])
    predicted = model.predict(X)
    assert counts[0, 0] == np.sum((y == 0) & (predicted == 0))
    assert counts.sum() == 300


def test_evaluate_uses_class_names_and_matches_them_to_the_model(pets):
    labelled, _, folder, _ = pets
    code, printed, _ = run("evaluate", str(folder), "--data", str(labelled))
    assert code == 0
    assert "classes cat, dog" in printed
    lines = printed.splitlines()
    assert any(line.split()[:1] == ["cat"] for line in lines)  # a row of the per-class table
    start = lines.index("confusion matrix (rows: the true class, columns: the predicted one)")
    assert lines[start + 1].split()[-2:] == ["cat", "dog"]
    assert [line.split()[0] for line in lines[start + 2 :]] == ["cat", "dog"]


def test_evaluate_a_regression_on_a_csv_file(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    table = np.column_stack([X, 3 * X[:, 0] - X[:, 1] + 0.25])
    data = tmp_path / "real.csv"
    np.savetxt(data, table, delimiter=",", header="a,b,y", comments="", fmt="%.6f")
    assert (
        run(
            "train",
            "--data",
            str(data),
            "--layers",
            "none",
            "--epochs",
            "3",
            "--out",
            str(tmp_path / "run"),
        )[0]
        == 0
    )
    code, printed, _ = run(
        "evaluate", str(tmp_path / "run" / "model.safetensors"), "--data", str(data)
    )
    assert code == 0
    assert "2-1 network: linear output" in printed
    assert "mean squared error" in printed
    assert "accuracy" not in printed
    assert "precision" not in printed
    model = dlrecipe.load_model(tmp_path / "run" / "model.safetensors")
    (row,) = [line.split() for line in printed.splitlines() if line.startswith("all ")]
    assert float(row[3]) == pytest.approx(model.evaluate(X, table[:, 2])["error"], rel=1e-4)


def test_predict_writes_a_header_and_one_row_per_example_to_out(moons_run):
    folder, _ = moons_run
    code, printed, error = run("predict", str(folder), "--data", "moons")
    assert (code, error) == (0, "")
    header, *rows = list(csv.reader(io.StringIO(printed)))
    assert header == ["prediction", "p_0", "p_1"]
    assert len(rows) == 300
    model = dlrecipe.load_model(folder / "model.safetensors")
    X, _ = dlrecipe.load_data("moons", seed=0)
    assert [row[0] for row in rows] == [str(k) for k in model.predict(X)]
    P = np.array([[float(p) for p in row[1:]] for row in rows])
    assert P.sum(axis=1) == pytest.approx(1, abs=1e-5)
    assert P == pytest.approx(model.predict_proba(X), abs=1e-6)


def test_predict_to_a_file_with_class_names_and_without_the_target_column(pets, tmp_path):
    labelled, features, folder, names = pets
    output = tmp_path / "predictions.csv"
    code, printed, _ = run("predict", str(folder), "--data", str(labelled), "--output", str(output))
    assert code == 0
    assert printed == f"wrote 40 predictions to {output}\n"
    header, *rows = list(csv.reader(io.StringIO(output.read_text())))
    assert header == ["prediction", "p_cat", "p_dog"]
    assert len(rows) == 40
    assert {row[0] for row in rows} <= {"cat", "dog"}
    assert np.mean([row[0] == name for row, name in zip(rows, names, strict=True)]) > 0.8
    # The same file without its target column gives the same predictions.
    code, printed, _ = run("predict", str(folder), "--data", str(features))
    assert code == 0
    assert printed == output.read_text()


def test_gradcheck_a_new_network(tmp_path):
    code, printed, error = run(
        "gradcheck",
        "--layers",
        "5,3",
        "--hidden-activation",
        "tanh",
        "--l2",
        "0.1",
        "--data",
        "moons",
        "--examples",
        "32",
    )
    assert (code, error) == (0, "")
    assert "2-5-3-1 network: tanh hidden layers, sigmoid output" in printed
    assert "32 random examples of moons" in printed
    assert "verdict: CORRECT" in printed
    for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
        assert f"\n{name} " in printed


def test_gradcheck_a_saved_model_with_dropout_checks_it_without(tmp_path):
    folder = tmp_path / "run"
    assert (
        run(
            "train",
            "--data",
            "moons",
            "--layers",
            "6",
            "--hidden-activation",
            "tanh",
            "--keep-prob",
            "0.7",
            "--epochs",
            "2",
            "--out",
            str(folder),
        )[0]
        == 0
    )
    code, printed, _ = run(
        "gradcheck", "--model", str(folder), "--data", "moons", "--sample", "4", "--examples", "16"
    )
    assert code == 0
    assert "note: the model uses dropout" in printed
    assert "model.copy(keep_prob=1.0)" in printed
    assert "a random sample of" in printed
    assert "verdict: CORRECT" in printed


def test_gradcheck_exits_1_when_the_check_fails(monkeypatch):
    import dlrecipe.cli.gradcheck as command

    real = command.gradient_check

    def failing(*args, **kwargs):
        result = real(*args, **kwargs)
        return dataclasses.replace(result, verdict="bug", passed=False)

    monkeypatch.setattr(command, "gradient_check", failing)
    code, printed, _ = run("gradcheck", "--layers", "3", "--data", "moons", "--examples", "8")
    assert code == 1
    assert "verdict: BUG" in printed


BAD_COMMANDS = {
    "evaluate a file without data": (["evaluate", "MODEL_FILE"], 2, "give --data"),
    "evaluate --target without --data": (["evaluate", "RUN", "--target", "y"], 2, "--target needs"),
    "predict without data": (["predict", "RUN"], 2, "--data"),
    "gradcheck model and layers": (
        ["gradcheck", "--model", "RUN", "--layers", "3", "--data", "moons"],
        2,
        "one or the other",
    ),
    "gradcheck without a network": (["gradcheck", "--data", "moons"], 2, "--layers"),
    "gradcheck without data": (["gradcheck", "--layers", "3"], 2, "--data"),
    "gradcheck bad epsilon": (
        ["gradcheck", "--layers", "3", "--data", "moons", "--epsilon", "0"],
        2,
        "--epsilon",
    ),
    "missing model": (["evaluate", "nowhere.safetensors", "--data", "moons"], 1, "no such file"),
    "features mismatch": (["evaluate", "RUN", "--data", "THREE"], 1, "3 features"),
    "unknown class": (["evaluate", "RUN", "--data", "blobs"], 1, "does not know: 2"),
    "missing data": (["predict", "RUN", "--data", "missing.csv"], 1, "no such file"),
    "three features": (["predict", "RUN", "--data", "THREE"], 1, "3 features"),
}


@pytest.mark.parametrize(("argv", "code", "words"), BAD_COMMANDS.values(), ids=BAD_COMMANDS.keys())
def test_errors_of_evaluate_predict_and_gradcheck(moons_run, tmp_path, argv, code, words):
    folder, _ = moons_run
    three = tmp_path / "three.csv"
    three.write_text("a,b,c,y\n" + "1,2,3,0\n" * 5)
    replace = {
        "RUN": str(folder),
        "MODEL_FILE": str(folder / "model.safetensors"),
        "THREE": str(three),
    }
    got, printed, error = run(*(replace.get(arg, arg) for arg in argv))
    assert got == code
    assert printed == ""
    assert error.count("\n") == 1
    assert error.startswith("dlrecipe: error: " if code == 1 else f"dlrecipe {argv[0]}: error:")
    assert words in error
