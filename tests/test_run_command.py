"""``artifact-conformance run``: exit status, reports and expectations, against
a deliberately broken store (tests.broken_stores.MainStoreFirst fails two
required resolution scenarios) and the real registry of this session.

The command runs in-process; the suite itself runs in the pytest subprocess
the command starts (cwd: the checkout, so ``tests.broken_stores`` imports).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from artifact_conformance.cli import main, parse_arguments
from artifact_conformance.run_command import RunConfig
from tests.results_documents import scenario_records

pytestmark = pytest.mark.registry

ROOT = Path(__file__).resolve().parent.parent
BROKEN = "--reference-store-class=tests.broken_stores:MainStoreFirst"
FIRST_WINS = "The first read-only store wins over the second and over the main store"
LATER_WINS = "A later read-only store still wins over the main store"
# Every case of resolution.feature (one per example row), counted from the packaged file.
RESOLUTION = sum(1 for r in scenario_records() if r["feature"]["file"].endswith("resolution.feature"))
NO_TAG = 'A name without a tag means ":latest"'
SUBSET = "first_readonly_store_wins or later_readonly_store or without_a_tag"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("CI", "true")


def run(registry, *args: str) -> int:
    return main(["run", f"--registry-url={registry.url}", "--registry-provider=url", *args])


def expectations(tmp_path: Path, *scenarios: str) -> Path:
    path = tmp_path / "expected.toml"
    path.write_text("".join(
        f'[[expected]]\nscenario = {json.dumps("features/resolution.feature: " + name)}\noutcome = "failed"\n'
        f'reason = "MainStoreFirst consults the main store first"\nlink = "https://example.invalid/bug/1"\n\n'
        for name in scenarios
    ), encoding="utf-8")
    return path


def test_a_required_failure_fails_the_run_and_every_report_says_so(registry, tmp_path, capsys):
    out = tmp_path / "reports"
    out.mkdir()
    files = {name: out / name for name in ("junit.xml", "cucumber.json", "results.json", "report.html")}
    for path in files.values():  # replaced atomically: a reader of the old file keeps a whole old file
        path.write_text("old")
        os.link(path, tmp_path / f"old-{path.name}")

    status = run(registry, "--tags", "resolution", "-n", "2", BROKEN, "--junit", str(files["junit.xml"]),
                 "--json", str(files["cucumber.json"]), "--results", str(files["results.json"]),
                 "--html", str(files["report.html"]))
    printed = capsys.readouterr().out
    assert status == 1, printed
    assert sorted(p.name for p in out.iterdir()) == sorted(files), "a temporary file was left behind"
    assert all((tmp_path / f"old-{name}").read_text() == "old" for name in files)

    results = json.loads(files["results.json"].read_text())
    scenarios = {s["scenario"]: s for s in results["scenarios"]}
    assert len(scenarios) == RESOLUTION and results["run"]["pytest"]["workers"] == 2
    failed = sorted(name for name, s in scenarios.items() if s["outcome"] == "failed")
    assert failed == sorted([FIRST_WINS, LATER_WINS])
    assert {scenarios[name]["judgement"] for name in failed} == {"failure"}
    assert results["conformance"]["exit_code"] == 1 and results["conformance"]["conformant"] is False
    assert results["run"]["suite"]["version"] and results["run"]["started"] and results["run"]["finished"]
    assert results["run"]["sut"]["settings"]["store_class"] == "tests.broken_stores:MainStoreFirst"

    suite = ET.parse(files["junit.xml"]).getroot().find("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("artifact-conformance", str(RESOLUTION), "2")
    outcomes = [p.get("value") for p in suite.iter("property") if p.get("name") == "conformance_outcome"]
    assert sorted(outcomes) == sorted(s["outcome"] for s in scenarios.values())

    cucumber = json.loads(files["cucumber.json"].read_text())  # complete under -n 2
    elements = [e for f in cucumber for e in f["elements"] if e["type"] == "scenario"]
    assert [f["uri"] for f in cucumber] == ["features/resolution.feature"]
    assert sorted(e["name"] for e in elements) == sorted(scenarios)
    failing = [e["name"] for e in elements if any(s["result"]["status"] == "failed" for s in e["steps"])]
    assert sorted(failing) == failed

    page = files["report.html"].read_text()
    assert f"Not conformant: 2 of {RESOLUTION} required scenarios failed" in page
    assert 'gave artifact C' in page and "Resolving names and IDs across stores" in page

    assert f"Not conformant: 2 of {RESOLUTION} required scenarios failed" in printed
    assert f"running {RESOLUTION} scenarios" in printed and f"[{RESOLUTION}/{RESOLUTION}]" in printed
    assert f"features/resolution.feature: {FIRST_WINS}" in printed


def test_known_failures_listed_in_expectations_pass_the_run(registry, tmp_path, capsys):
    expected = expectations(tmp_path, FIRST_WINS, LATER_WINS)
    results = tmp_path / "results.json"
    status = run(registry, "--tags", "resolution", "-k", SUBSET, BROKEN, "--expect", str(expected),
                 "--results", str(results), "--html", str(tmp_path / "report.html"))
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "As expected (2 known outcomes" in printed
    document = json.loads(results.read_text())
    assert document["conformance"]["conformant"] is False  # still reported as failing the contract
    judged = {s["scenario"]: s["judgement"] for s in document["scenarios"]}
    assert judged == {FIRST_WINS: "expected", LATER_WINS: "expected", NO_TAG: "ok"}
    page = (tmp_path / "report.html").read_text()
    assert "https://example.invalid/bug/1" in page and "failed (expected)" in page


def test_an_expected_failure_that_passes_fails_the_run(registry, tmp_path, capsys):
    expected = expectations(tmp_path, FIRST_WINS, LATER_WINS, NO_TAG)
    status = run(registry, "--tags", "resolution", "-k", SUBSET, BROKEN, "--expect", str(expected))
    printed = capsys.readouterr().out
    assert status == 1, printed
    assert "Unexpected outcomes: 1 unexpected pass" in printed
    assert f"unexpected pass     passed required features/resolution.feature: {NO_TAG}" in printed


def test_profile_required_runs_only_required_scenarios(registry, tmp_path, capsys):
    results = tmp_path / "results.json"
    assert run(registry, "--profile", "required", "--tags", "pulling", "--results", str(results)) == 0
    scenarios = json.loads(results.read_text())["scenarios"]
    assert scenarios and {s["level"] for s in scenarios} == {"required"}
    assert "Conformant: all" in capsys.readouterr().out


def test_usage_errors_and_an_empty_selection(registry, tmp_path, capsys):
    assert run(registry, "--sut", "no-such-adapter", "--tags", "resolution") == 2
    assert "no-such-adapter" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[[expected]]\nreason = 'no selector'\n")
    assert run(registry, "--expect", str(bad)) == 2
    assert f"{bad}: entry 1" in capsys.readouterr().err
    assert run(registry, "--tags", "resolution", "-k", "no_such_scenario_anywhere") == 5
    assert "no scenario matches the selection" in capsys.readouterr().err


def test_plugin_options_pass_through_and_secrets_stay_out_of_the_report(tmp_path):
    args = parse_arguments([
        "run", "--sut", "cri", "--sut-option", "a=1", "--tags", "resolution", "--sut-option", "api_token=s3cret",
        "--cri-store", "/x", "--cri-store=/y", "--registry-url", "http://u:pw@h:5000", "-k", "first", "--", "-x",
    ])
    config = RunConfig.from_arguments(args, args.unknown_options)
    assert (config.tags, config.keyword) == ("resolution", "first")
    # run's own options are taken out; every other one goes to pytest as it was typed, in order.
    assert config.suite_options == ("--sut", "cri", "--sut-option", "a=1", "--sut-option", "api_token=s3cret",
                                    "--cri-store", "/x", "--cri-store=/y", "--registry-url", "http://u:pw@h:5000")
    assert config.pytest_args == ("-x",)
    shown = " ".join(config.user_arguments())
    assert "s3cret" not in shown and "pw@" not in shown and "--cri-store=/y" in shown and "-- -x" in shown


def test_options_run_sets_itself_are_refused_and_other_commands_refuse_unknown_options(capsys):
    assert main(["run", "--results-json", "x.json"]) == 2
    assert "--results-json is set by run itself; use --results" in capsys.readouterr().err
    assert main(["run", "--observe-only"]) == 2
    assert "use --profile observe" in capsys.readouterr().err
    assert main(["diff", "a.json", "b.json", "--sut", "cri"]) == 2
    assert "unrecognized arguments: --sut cri" in capsys.readouterr().err


def test_run_help_names_the_suite_options(capsys):
    assert main(["run", "--help"]) == 0
    shown = capsys.readouterr().out
    for option in ("--profile", "--tags", "--expect", "--results", "--sut NAME", "--sut-option", "--cri-endpoint",
                   "--registry-url", "-- -x"):
        assert option in shown, option
