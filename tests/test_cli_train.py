"""dlrecipe train, in-process: run folders, the final table, TOML settings, resuming, errors."""

import csv
import io
import json
import re

import numpy as np
import pytest

from dlrecipe import load_data, load_model, split
from dlrecipe.cli import main
from dlrecipe.train import Callback, fit
from dlrecipe.train.checkpoint import data_fingerprint

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

TINY = ("train", "--data", "moons", "--layers", "8", "--epochs", "4")  # 300 examples, milliseconds


def run(*argv):
    """(exit code, what main wrote to out, what it wrote to err)."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(arg) for arg in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def table_rows(printed):
    """``{"train": [cost, loss, error], …}`` from the final table."""
    rows = {}
    for line in printed.splitlines():
        name, *cells = line.split() or [""]
        if name in ("train", "dev", "test", "all"):
            rows[name] = [float(cell) for cell in cells[:3]]
    return rows


def history(folder):
    """history.csv's rows without the seconds each epoch took."""
    with open(folder / "history.csv", newline="") as file:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(file)]


def same_params(a, b):
    return sorted(a.params) == sorted(b.params) and all(
        a.params[name].tobytes() == b.params[name].tobytes() for name in a.params
    )


def test_train_writes_a_run_folder_and_reports_what_the_saved_model_measures(tmp_path):
    folder = tmp_path / "run"
    code, printed, error = run(*TINY, "--out", folder)
    assert (code, error) == (0, "")
    for name in ("config.json", "checkpoint.safetensors", "history.csv", "model.safetensors"):
        assert (folder / name).is_file(), name
    assert "epochs run: 4 of 4" in printed
    assert f"run folder: {folder}" in printed
    assert "2-8-1 network" in printed

    X, y = load_data("moons", seed=0)  # a generated set is always drawn with seed 0
    parts = split(X, y, seed=0)
    model = load_model(folder / "model.safetensors")
    assert model.classes == ("0", "1")
    assert model.output_activation == "sigmoid"
    rows = table_rows(printed)
    for name in ("train", "dev", "test"):
        measured = model.evaluate(*getattr(parts, name))
        expected = [measured[key] for key in ("cost", "loss", "error")]
        assert rows[name] == pytest.approx(expected, rel=1e-5)
    assert 0 < rows["train"][2] < 0.6  # an error rate, after 4 epochs of Adam

    record = json.loads((folder / "data.json").read_text())
    assert record["source"] == "moons"
    assert record["options"] == {"seed": 0}
    assert record["classes"] == ["0", "1"]
    assert record["fingerprint"] == data_fingerprint(X, y)
    assert record["split"]["seed"] == 0
    assert record["split"]["sizes"] == {"train": 180, "dev": 60, "test": 60}
    settings = tomllib.loads((folder / "train.toml").read_text())
    assert settings["layers"] == [8]
    assert settings["epochs"] == 4
    assert "out" not in settings


def test_more_than_two_classes_get_a_softmax_and_regression_a_linear_unit(tmp_path):
    code, printed, _ = run(
        "--debug",
        "train",
        "--data",
        "blobs",
        "--layers",
        "none",
        "--epochs",
        "2",
        "--out",
        tmp_path / "blobs",
    )
    assert code == 0
    assert "2-3 network: softmax output, classes 0, 1, 2" in printed
    assert "accuracy" in printed

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    target = X @ [1.0, -2.0, 0.5] + 0.1  # real values: regression
    table = np.column_stack([X, target])
    csv = tmp_path / "real.csv"
    np.savetxt(csv, table, delimiter=",", header="a,b,c,value", comments="", fmt="%.6f")
    code, printed, _ = run(
        "train",
        "--data",
        csv,
        "--layers",
        "4",
        "--epochs",
        "2",
        "--batch-size",
        "all",
        "--out",
        tmp_path / "real",
    )
    assert code == 0
    assert "3-4-1 network: relu hidden layers, linear output" in printed
    assert "accuracy" not in printed
    assert "mean squared error" in printed
    record = json.loads((tmp_path / "real" / "data.json").read_text())
    assert record["source"] == str(csv.absolute())
    assert record["target"] == "value"
    assert record["classes"] is None


def test_the_default_run_folder_is_named_after_the_data_and_the_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, printed, _ = run(*TINY)
    assert code == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"moons-\d{8}-\d{6}", folder.name)
    assert (folder / "model.safetensors").is_file()
    assert f"run folder: runs/{folder.name}" in printed


def test_a_config_file_gives_the_settings_and_flags_override_it(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(
        'data = "moons"\nlayers = [6, 4]\nepochs = 9\nlearning_rate = 0.05\n'
        "keep_prob = [1, 0.9, 0.8]\n"
        'optimizer = { name = "momentum", beta = 0.8 }\nbatch_size = 60\n'
        "early_stopping = { patience = 50 }\n"
    )
    code, printed, error = run(
        "train", "--config", config, "--epochs", "3", "--l2", "0.1", "--out", tmp_path / "run"
    )
    assert (code, error) == (0, "")
    assert "epochs run: 3 of 3" in printed
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["training"]["epochs"] == 3  # the flag
    assert saved["training"]["learning_rate"] == 0.05  # the file
    assert saved["training"]["optimizer"] == {"name": "momentum", "beta": 0.8}
    assert saved["training"]["batch_size"] == 60
    assert saved["model"]["layer_sizes"] == [2, 6, 4, 1]
    assert saved["model"]["keep_prob"] == [1.0, 0.9, 0.8]
    assert saved["model"]["l2"] == 0.1
    settings = tomllib.loads((tmp_path / "run" / "train.toml").read_text())
    assert settings["early_stopping"] == {"patience": 50, "monitor": "dev_loss", "min_delta": 0.0}


def test_the_run_folders_train_toml_repeats_the_run(tmp_path):
    first = tmp_path / "first"
    assert run(*TINY, "--keep-prob", "0.8", "--batch-size", "50", "--out", first)[0] == 0
    code, _, _ = run("train", "--config", first / "train.toml", "--out", tmp_path / "again")
    assert code == 0
    assert same_params(
        load_model(first / "model.safetensors"),
        load_model(tmp_path / "again" / "model.safetensors"),
    )


def test_resuming_with_more_epochs_equals_an_uninterrupted_run_bit_for_bit(tmp_path):
    options = (
        "--data",
        "moons",
        "--layers",
        "8,4",
        "--keep-prob",
        "0.8",
        "--batch-size",
        "32",
        "--early-stopping",
        "--patience",
        "50",
        "--schedule",
        "inverse_time",
    )
    assert run("train", *options, "--epochs", "3", "--out", tmp_path / "resumed")[0] == 0
    code, printed, error = run("train", "--resume", tmp_path / "resumed", "--epochs", "6")
    assert (code, error) == (0, "")
    assert "epochs run: 6 of 6" in printed
    assert run("train", *options, "--epochs", "6", "--out", tmp_path / "straight")[0] == 0

    assert len(history(tmp_path / "resumed")) == 6
    assert history(tmp_path / "resumed") == history(tmp_path / "straight")
    assert same_params(
        load_model(tmp_path / "resumed" / "model.safetensors"),
        load_model(tmp_path / "straight" / "model.safetensors"),
    )
    assert "epochs = 6" in (tmp_path / "resumed" / "train.toml").read_text()


def test_an_interrupted_run_says_how_to_resume_and_resumes_bit_for_bit(tmp_path, monkeypatch):
    import dlrecipe.cli.train as command

    class CtrlC(Callback):
        def on_epoch_end(self, model, epoch, logs):
            if epoch == 3:
                raise KeyboardInterrupt

    def interrupted_fit(*args, callbacks, **options):
        return fit(*args, callbacks=[*callbacks, CtrlC()], **options)

    options = (*TINY, "--epochs", "6", "--checkpoint-every", "1", "--batch-size", "40")
    with monkeypatch.context() as patch:
        patch.setattr(command, "fit", interrupted_fit)
        code, printed, error = run(*options, "--out", tmp_path / "stopped")
    assert (code, printed) == (130, "")
    assert (
        error
        == f"dlrecipe: interrupted; continue with dlrecipe train --resume {tmp_path / 'stopped'}\n"
    )
    assert len(history(tmp_path / "stopped")) == 3  # epochs 0, 1, 2: the last checkpoint
    assert run("train", "--resume", tmp_path / "stopped")[0] == 0
    assert run(*options, "--out", tmp_path / "straight")[0] == 0
    assert history(tmp_path / "stopped") == history(tmp_path / "straight")
    assert same_params(
        load_model(tmp_path / "stopped" / "model.safetensors"),
        load_model(tmp_path / "straight" / "model.safetensors"),
    )


def test_a_folder_holding_a_run_is_not_trained_into_again(tmp_path):
    assert run(*TINY, "--out", tmp_path / "run")[0] == 0
    before = (tmp_path / "run" / "model.safetensors").read_bytes()
    code, _, error = run(*TINY, "--seed", "1", "--out", tmp_path / "run")
    assert code == 1
    assert "already holds a training run" in error
    assert "dlrecipe train --resume" in error
    assert (tmp_path / "run" / "model.safetensors").read_bytes() == before


def test_resume_takes_only_epochs_and_no_progress(tmp_path):
    assert run(*TINY, "--out", tmp_path / "run")[0] == 0
    code, printed, error = run("train", "--resume", tmp_path / "run", "--l2", "0.5")
    assert (code, printed) == (2, "")
    assert error.startswith("dlrecipe train: error: --resume")
    assert "--l2" in error
    code, _, error = run("train", "--resume", tmp_path / "nowhere")
    assert code == 1
    assert "no such run folder" in error


BAD_TOML = {
    "unknown key": (
        'data = "moons"\nlayers = [4]\nlerning_rate = 0.1\n',
        ["unknown key 'lerning_rate'", "did you mean learning_rate"],
    ),
    "wrong type": (
        'data = "moons"\nlayers = [4]\nepochs = "ten"\n',
        ['epochs = "ten"', "wrong type", "whole number"],
    ),
    "out of range": (
        'data = "moons"\nlayers = [4]\nkeep_prob = 1.5\n',
        ["keep_prob = 1.5", "probability to keep a unit", "(0, 1]"],
    ),
    "layers not integers": ('data = "moons"\nlayers = [4.5]\n', ["layers = [4.5]", "wrong type"]),
    "early stopping key": (
        'data = "moons"\nlayers = [4]\nearly_stopping = { patient = 3 }\n',
        ["early_stopping has no key 'patient'", "patience"],
    ),
    "early stopping value": (
        'data = "moons"\nlayers = [4]\nearly_stopping = { patience = 0 }\n',
        ["early_stopping.patience = 0", "patience must be an integer >= 1"],
    ),
    "optimizer": (
        'data = "moons"\nlayers = [4]\noptimizer = "sgd"\n',
        ['optimizer = "sgd"', "unknown optimizer 'sgd'"],
    ),
    "not TOML": ("data = moons\n", ["not valid TOML"]),
}


@pytest.mark.parametrize(("text", "words"), BAD_TOML.values(), ids=BAD_TOML.keys())
def test_a_bad_config_file_is_a_usage_error_naming_the_key(tmp_path, text, words):
    config = tmp_path / "run.toml"
    config.write_text(text)
    code, printed, error = run("train", "--config", config, "--out", tmp_path / "run")
    assert (code, printed) == (2, "")
    assert error.startswith(f"dlrecipe train: error: --config {config}: ")
    assert error.count("\n") == 1
    for word in words:
        assert word in error
    assert not (tmp_path / "run").exists()  # nothing half-written


BAD_FLAGS = {
    "unknown flag": (["--nope"], ["unrecognized arguments: --nope"]),
    "layers not numbers": (["--layers", "16,x"], ["argument --layers", "'16,x'", "none"]),
    "layers zero": (["--layers", "0"], ["argument --layers", "--layers none"]),
    "keep_prob": (["--keep-prob", "1.5"], ["--keep-prob 1.5", "probability to keep a unit"]),
    "keep_prob without hidden layers": (
        ["--layers", "none", "--keep-prob", "0.5"],
        ["--keep-prob 0.5", "has none"],
    ),
    "patience alone": (["--patience", "3"], ["--patience 3 needs --early-stopping"]),
    "decay rate alone": (["--decay-rate", "2"], ["--decay-rate 2.0 needs a schedule"]),
    "decay rate of another schedule": (
        ["--schedule", "exponential", "--decay-rate", "2"],
        ["no argument ['decay_rate']", "base"],
    ),
    "batch too large": (["--batch-size", "500"], ["--batch-size 500", "180 examples"]),
    "learning rate": (["--learning-rate", "0"], ["--learning-rate 0.0", "> 0"]),
    "init": (["--init", "heh"], ["--init heh", "unknown initializer"]),
    "target of a named set": (["--target", "label"], ["--target", "its own"]),
}


@pytest.mark.parametrize(("flags", "words"), BAD_FLAGS.values(), ids=BAD_FLAGS.keys())
def test_bad_flags_are_usage_errors(tmp_path, flags, words):
    code, printed, error = run(*TINY, *flags, "--out", tmp_path / "run")
    assert (code, printed) == (2, "")
    assert error.startswith("dlrecipe train: error: ")
    assert error.count("\n") == 1
    for word in words:
        assert word in error
    assert not (tmp_path / "run").exists()


def test_missing_data_or_layers_is_a_usage_error():
    code, _, error = run("train", "--layers", "4")
    assert code == 2
    assert "--data is required" in error
    code, _, error = run("train", "--data", "moons")
    assert code == 2
    assert "--layers is required" in error


def test_runtime_errors_exit_1_with_one_line_and_debug_shows_the_traceback(tmp_path):
    missing = tmp_path / "missing.csv"
    code, printed, error = run(
        "train", "--data", missing, "--layers", "4", "--out", tmp_path / "run"
    )
    assert (code, printed) == (1, "")
    assert error == f"dlrecipe: error: no such file or folder: {missing}\n"
    assert not (tmp_path / "run").exists()
    with pytest.raises(FileNotFoundError):
        run("--debug", "train", "--data", missing, "--layers", "4")
    with pytest.raises(FileNotFoundError):
        run("train", "--data", missing, "--layers", "4", "--debug")


def test_a_diverging_training_is_a_runtime_error(tmp_path):
    code, _, error = run(
        *TINY, "--optimizer", "gd", "--learning-rate", "1000", "--out", tmp_path / "run"
    )
    assert code == 1
    assert error.startswith("dlrecipe: error: training diverged")
    assert error.count("\n") == 1


def test_help_explains_layers_and_the_default_folder():
    code, printed, _ = run("train", "--help")
    assert code == 0
    text = " ".join(printed.split())
    assert "none for no hidden layer: logistic or linear regression" in text
    assert "runs/<data name>-<YYYYmmdd-HHMMSS>" in text
    assert "probability to KEEP a unit" in text


def write_ages(path, n=300):
    """A CSV whose target, an age, is a whole number to predict, not a class."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    age = np.round(40 + 10 * X[:, 0] - 5 * X[:, 1] + rng.normal(size=n)).astype(int)
    lines = ["a,b,c,age"] + [
        ",".join(f"{v:.4f}" for v in row) + f",{a}" for row, a in zip(X, age, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_task_regression_reads_whole_numbers_as_values(tmp_path):
    data = write_ages(tmp_path / "ages.csv")
    code, printed, error = run(
        "train",
        "--data",
        data,
        "--task",
        "regression",
        "--layers",
        "8",
        "--epochs",
        "30",
        "--learning-rate",
        "0.05",
        "--out",
        tmp_path / "run",
        "--no-progress",
    )
    assert (code, error) == (0, "")
    assert "linear output" in printed
    assert "mean squared error" in printed
    assert json.loads((tmp_path / "run" / "data.json").read_text())["task"] == "regression"
    assert load_model(tmp_path / "run" / "model.safetensors").output_activation == "linear"
    code, printed, _ = run("evaluate", tmp_path / "run")  # the run's data rebuilt as regression
    assert code == 0
    assert "mean squared error" in printed


def test_whole_numbers_read_as_too_many_classes_suggest_task_regression(tmp_path):
    data = write_ages(tmp_path / "ages.csv")
    code, _, error = run("train", "--data", data, "--layers", "8", "--epochs", "2")
    assert code == 1
    assert "read as" in error
    assert "pass --task regression" in error
    code, _, error = run(
        "train", "--data", data, "--task", "classification", "--layers", "8", "--epochs", "2"
    )
    assert code == 1
    assert "a stratified split" in error
