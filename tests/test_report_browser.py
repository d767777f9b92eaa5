"""A real browser opens the report of a real tiny run: no console errors, every figure shows,
and the numbers ``dlrecipe train`` printed are on the page.

Headless Chromium (Debian's /usr/bin/chromium, which CI installs) is driven by Playwright's
Python client; no browser is downloaded. Locally the test skips, saying why, when there is no
/usr/bin/chromium; in CI it must run.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from dlrecipe.cli import main

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        f"{CHROMIUM} is missing; install it with apt-get install chromium (CI does)",
        allow_module_level=True,
    )
if os.environ.get("CI"):  # in CI a missing client is a failure, never a skip
    from playwright import sync_api
else:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")


def test_report_renders_in_headless_chromium(tmp_path):
    folder = tmp_path / "run"
    out, err = io.StringIO(), io.StringIO()
    argv = ["train", "--data", "moons", "--layers", "8", "--epochs", "20", "--out", str(folder)]
    assert main([*argv, "--no-progress"], out=out, err=err) == 0, err.getvalue()
    printed = {
        line.split()[0]: line.split()[1:]
        for line in out.getvalue().splitlines()
        if line.split()[:1] in (["train"], ["dev"], ["test"])
    }
    assert set(printed) == {"train", "dev", "test"}
    report = folder / "report.html"

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]  # and --user-data-dir, which Playwright passes for a persistent context
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=CHROMIUM,
            args=args,
            headless=True,
            viewport={"width": 390, "height": 844},  # a phone
        )
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith(("file:", "data:"))
                    else problems.append(f"fetched {r.url}")
                ),
            )
            page.goto(report.as_uri(), wait_until="load")
            figures = page.locator("figure svg, figure img")
            # bias/variance, cost, error, boundary, layer health, gradient check, init scan
            assert figures.count() == 7
            for k in range(figures.count()):
                figure = figures.nth(k)
                figure.scroll_into_view_if_needed()
                assert figure.is_visible()
                box = figure.bounding_box()
                assert box is not None
                assert box["width"] > 0
                assert box["height"] > 0
                assert box["width"] <= 390  # shrunk to the phone's width
            text = page.inner_text("body")
            for part, values in printed.items():
                for value in values:
                    assert value in text, f"{part}'s {value} is not on the page"
            assert problems == []
        finally:
            browser.close()
