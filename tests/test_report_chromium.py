"""The HTML report renders in a real browser (headless Chromium) and shows the
matrix, the verdict and the scenarios: what a person opening it from a CI page
sees. Skipped when Chromium is not installed (Debian: apt-get install chromium)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from artifact_conformance.reporting.feature_files import packaged_features
from artifact_conformance.reporting.html_report import render_docs, render_report
from artifact_conformance.reporting.model import features_from_files, features_from_results
from artifact_conformance.reporting.verdict import judge
from tests.results_documents import by_name, document, fail, scenario_records

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((path for name in BROWSERS if (path := shutil.which(name))), None)
FIRST_WINS = "The first read-only store wins over the second and over the main store"

pytestmark = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed (apt-get install -y chromium)")


def chromium(*args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=90,
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    doc = document(scenario_records())
    record = fail(by_name(doc["scenarios"], FIRST_WINS), 'AssertionError: "llm:v1" gave artifact C, expected artifact A')
    record["requests"] = [{"method": "GET", "path": "/v2/llm/manifests/v1", "status": 200, "bytes": 497, "kind": "manifest"}]
    doc["conformance"] = judge(doc).to_json()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(doc, features_from_results(doc)), encoding="utf-8")
    return path


def test_the_browser_shows_matrix_verdict_and_failing_step(report: Path):
    run = chromium("--dump-dom", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert '<table class="matrix">' in dom and "Conformance matrix" in dom
    records = scenario_records()
    required = sum(1 for r in records if r["level"] == "required")
    optional = len(records) - required
    assert f'<tr class="total"><td>All areas</td><td class="cell bad">{required - 1}/{required}</td>' \
           f'<td class="cell good">{optional}/{optional}</td></tr>' in dom, "the total row shows the failure"
    assert f"Not conformant: 1 of {required} required scenarios failed" in dom
    assert FIRST_WINS in dom
    assert "gave artifact C, expected artifact A" in dom
    assert "Registry requests (1, 497 bytes)" in dom


def test_the_report_and_the_docs_render_to_an_image(report: Path, tmp_path: Path):
    docs = tmp_path / "docs.html"
    docs.write_text(render_docs(features_from_files(packaged_features())), encoding="utf-8")
    for page in (report, docs):
        shot = tmp_path / f"{page.stem}.png"
        run = chromium(f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars", page.as_uri())
        assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
        header = shot.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (1280, 1600)


def test_the_browser_shows_the_broken_rule_with_its_scenario(report: Path):
    run = chromium("--dump-dom", report.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = run.stdout
    assert "The contract, rule by rule" in dom and "Broken rules (1)" in dom
    broken = dom[dom.index("Broken rules (1)"):dom.index('<table class="rules">')]
    assert "resolve.order" in broken and FIRST_WINS in broken and "expected artifact A" in broken
    assert '<tr id="r-resolve-order" class="v-broken">' in dom
