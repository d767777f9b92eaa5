"""The dlrecipe command, run in-process through main(argv, out=) and once as a real process."""

import io
import subprocess
import sys

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
    assert printed.split()[0] == "gradcheck"
    assert "planted bug" in printed


def test_demo_without_a_name_is_a_usage_error_that_names_the_demos():
    code, printed, error = run("demo")
    assert code == 2
    assert printed == ""
    assert "name a demo" in error
    assert "gradcheck" in error


def test_demo_gradcheck():
    code, printed, _ = run("demo", "gradcheck")
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
