"""The HTML page, the run report, the comparison, and dlrecipe report / runs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from dlrecipe.cli import main
from dlrecipe.report import Section, write_page
from dlrecipe.report.compare import list_runs, write_comparison
from dlrecipe.report.figures import validation_curve
from dlrecipe.report.run_report import write_run_report


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("runs") / "moons-a"
    code, printed, error = cli(
        "train",
        "--data",
        "moons",
        "--layers",
        "8",
        "--epochs",
        "20",
        "--out",
        str(folder),
        "--no-progress",
    )
    assert code == 0, error
    assert f"report: {folder / 'report.html'}" in printed
    return folder


def test_page_is_self_contained_escaped_and_responsive(tmp_path):
    figure = validation_curve([0.01, 0.1, 1.0], [0.3, 0.2, 0.4])
    path = write_page(
        tmp_path / "page.html",
        title="<script>alert(1)</script>",
        subtitle="a & b",
        sections=[
            Section("Numbers <b>", text="first\n\nsecond <i>", table=[["a", "b"], ["<1>", "2"]]),
            Section("Log", text="  kept   as is\n<tag>", preformatted=True, figures=[figure]),
        ],
    )
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page.replace("&lt;script", "")  # no script, not even the title
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<p>first</p>" in page
    assert "<p>second &lt;i&gt;</p>" in page
    assert "<td>&lt;1&gt;</td>" in page
    assert "<pre>  kept   as is\n&lt;tag&gt;</pre>" in page
    assert page.count("<svg") == 1
    assert "<figure>" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page
    assert "max-width: 100%" in page
    assert not re.search(r"(src|href)=\"https?:", page)  # nothing fetched
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind


def test_run_report_shows_the_numbers_the_cli_printed(run_dir):
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    code, printed, _ = cli("evaluate", str(run_dir))
    assert code == 0
    for line in printed.splitlines():
        if line.split()[:1] in (["train"], ["dev"], ["test"]):
            for value in line.split()[1:]:
                assert value in page, f"{value} from {line!r} is not in the report"
    assert "Diagnosis: " in page
    # bias/variance bars, cost, error, decision boundary; layer health, gradient check, init scan
    assert page.count("<svg") == 7
    assert "<h2>Layer health: healthy</h2>" in page
    assert "<h2>Gradient check: correct</h2>" in page
    assert "<h2>Initialization scan</h2>" in page
    assert "dlrecipe train --config" in page
    assert "data = &quot;moons&quot;" in page


def test_report_command_writes_the_report_where_asked(run_dir, tmp_path):
    target = tmp_path / "out.html"
    code, printed, _ = cli("report", str(run_dir), "--output", str(target))
    assert code == 0
    assert printed.strip() == f"report: {target}"
    assert "<svg" in target.read_text(encoding="utf-8")


def test_run_report_of_a_recipe_run_shows_its_decision_log(run_dir, tmp_path):
    import json
    import shutil

    folder = tmp_path / "recipe"
    shutil.copytree(run_dir, folder)
    (folder / "decisions.txt").write_text("1. split <the data>\n", encoding="utf-8")
    summary = {
        "train": {"cost": 0.1, "loss": 0.1, "error": 0.125},
        "dev": {"cost": 0.2, "loss": 0.2, "error": 0.25},
        "test": {"cost": 0.3, "loss": 0.3, "error": 0.375},
        "diagnosis": {
            "train_error": 0.125,
            "dev_error": 0.25,
            "bayes_error": 0.0,
            "bayes_assumed": True,
            "test_error": 0.375,
            "sizes": None,
        },
        "network": "2-8-1 relu",
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    page = write_run_report(folder).read_text(encoding="utf-8")
    assert "1. split &lt;the data&gt;" in page
    assert "as recorded in summary.json" in page
    for value in ("0.125", "0.25", "0.375", "87.50%"):
        assert value in page
    assert "dev error against λ" not in page  # no decisions.json: no validation curves


def test_recipe_steps_that_tried_several_values_get_validation_curves(run_dir, tmp_path):
    import json
    import shutil

    folder = tmp_path / "recipe"
    shutil.copytree(run_dir, folder)

    def row(l2, keep_prob, dev, chosen=False, hidden=(8,)):
        return {
            "setting": f"λ={l2}, keep_prob={keep_prob}",
            "hidden": list(hidden),
            "l2": l2,
            "keep_prob": keep_prob,
            "train_error": dev / 2,
            "dev_error": dev,
            "chosen": chosen,
        }

    decisions = [
        {"number": 1, "action": "trained the start", "candidates": [row(0.0, 1.0, 0.3, True)]},
        {
            "number": 2,
            "action": "tried regularization",
            "candidates": [
                row(0.01, 1.0, 0.25),
                row(0.1, 1.0, 0.2, True),
                row(1.0, 1.0, 0.26),
                row(0.0, 0.8, 0.28),  # only one keep_prob besides the start's: no curve
                row(0.01, 1.0, 0.1, hidden=(16,)),  # another network: not on the curve
            ],
        },
    ]
    (folder / "decisions.json").write_text(json.dumps(decisions), encoding="utf-8")
    page = write_run_report(folder).read_text(encoding="utf-8")
    assert "<h2>Step 2: dev error against λ</h2>" in page
    assert "dev error against keep_prob" not in page
    assert "best λ = 0.1" in page  # the lowest dev error among λ = 0, 0.01, 0.1, 1 of (8,)


def test_comparison_lists_the_differing_settings(run_dir, tmp_path):
    other = run_dir.parent / "moons-b"
    code, _, error = cli(
        "train",
        "--data",
        "moons",
        "--layers",
        "4",
        "--epochs",
        "10",
        "--out",
        str(other),
        "--no-progress",
    )
    assert code == 0, error
    path = write_comparison([run_dir, other], tmp_path / "compare.html")
    page = path.read_text(encoding="utf-8")
    assert "<td>model.layer_sizes</td>" in page
    assert "<td>training.epochs</td>" in page
    assert "<td>dtype</td>" not in page  # the same in both
    assert page.count("<svg") == 2  # the costs and the dev errors, overlaid
    code, _printed, _ = cli("report", str(run_dir), str(other), "-o", str(tmp_path / "c.html"))
    assert code == 0
    assert (tmp_path / "c.html").exists()


def test_runs_lists_the_run_folders_oldest_first(run_dir):
    table = list_runs(run_dir.parent)
    assert table[0] == ["folder", "finished", "data", "network", "epochs", "train", "dev", "test"]
    folders = [row[0] for row in table[1:]]
    assert str(run_dir) in folders
    row = table[1 + folders.index(str(run_dir))]
    assert row[2:5] == ["moons", "2-8-1 relu", "20"]
    assert all(cell.endswith("%") for cell in row[5:7])
    code, printed, _ = cli("runs", str(run_dir.parent))
    assert code == 0
    assert "moons" in printed
    assert "2-8-1" in printed


def test_report_names_what_is_wrong(tmp_path):
    code, _, error = cli("report", str(tmp_path / "missing"))
    assert code == 2
    assert "is not a folder" in error
    code, _, error = cli("report", str(tmp_path))
    assert code == 1
    assert "has no config.json" in error
    code, _, error = cli("runs", str(tmp_path / "missing"))
    assert code == 1
    assert "no such folder" in error
