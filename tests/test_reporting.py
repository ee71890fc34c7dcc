"""Judging outcomes, expectations files, and the report formats, on results
documents made without running the suite (fast; no registry)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from artifact_conformance.reporting.cucumber import cucumber_features
from artifact_conformance.reporting.expectations_file import ExpectationsError, load_expectations
from artifact_conformance.reporting.html_report import render_report
from artifact_conformance.reporting.model import features_from_results
from artifact_conformance.reporting.verdict import (
    EXPECTED,
    FAILURE,
    NOT_MET,
    TOLERATED,
    UNEXPECTED_FAILURE,
    UNEXPECTED_PASS,
    judge,
)
from tests.results_documents import by_name, document, fail, scenario_records

FIRST_WINS = "The first read-only store wins over the second and over the main store"
NO_TAG = 'A name without a tag means ":latest"'
OPTIONAL_PULL = "A pull satisfied by a read-only store makes no registry request at all"


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return scenario_records()


def write(tmp_path: Path, text: str, name: str = "expected.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the exit code without expectations ------------------------------------------------------
def test_all_passed_is_conformant(records):
    verdict = judge(document(records))
    assert (verdict.exit_code, verdict.conformant) == (0, True)
    required = sum(1 for r in records if r["level"] == "required")
    assert verdict.headline().startswith(f"Conformant: all {required} required")


def test_a_required_failure_or_error_fails_the_run(records):
    for outcome in ("failed", "error"):
        doc = document(records)
        fail(by_name(doc["scenarios"], FIRST_WINS), outcome=outcome)
        verdict = judge(doc)
        assert (verdict.exit_code, verdict.conformant, verdict.required_failing) == (1, False, 1), outcome
        assert by_name(doc["scenarios"], FIRST_WINS)["judgement"] == FAILURE


def test_not_applicable_and_skipped_do_not_fail_the_run(records):
    doc = document(records)
    by_name(doc["scenarios"], FIRST_WINS)["outcome"] = "not_applicable"
    by_name(doc["scenarios"], NO_TAG)["outcome"] = "skipped"
    assert judge(doc).exit_code == 0


def test_an_optional_failure_is_reported_and_fails_only_with_strict(records):
    doc = document(records)
    fail(by_name(doc["scenarios"], OPTIONAL_PULL))
    relaxed = judge(doc)
    assert relaxed.exit_code == 0 and relaxed.optional_failing == 1
    assert by_name(doc["scenarios"], OPTIONAL_PULL)["judgement"] == TOLERATED
    assert "1 optional failed" in relaxed.headline()
    strict = judge(doc, strict=True)
    assert strict.exit_code == 1 and by_name(doc["scenarios"], OPTIONAL_PULL)["judgement"] == FAILURE


# --- expectations ----------------------------------------------------------------------------
def test_listed_failures_pass_the_run_and_new_ones_fail_it(records, tmp_path):
    expectations = load_expectations(write(tmp_path, f'''
[[expected]]
scenario = "features/resolution.feature: {FIRST_WINS}"
outcome = "failed"
reason = "looks in the main store first"
link = "https://example.invalid/1"
'''))
    doc = document(records)
    fail(by_name(doc["scenarios"], FIRST_WINS))
    verdict = judge(doc, expectations)
    assert verdict.exit_code == 0 and not verdict.conformant
    record = by_name(doc["scenarios"], FIRST_WINS)
    assert record["judgement"] == EXPECTED
    assert record["expectation"]["reason"] == "looks in the main store first"
    assert record["expectation"]["link"] == "https://example.invalid/1"
    assert verdict.headline().startswith("As expected (1 known outcome")

    fail(by_name(doc["scenarios"], NO_TAG))
    verdict = judge(doc, expectations)
    assert verdict.exit_code == 1 and by_name(doc["scenarios"], NO_TAG)["judgement"] == FAILURE


def test_an_expected_failure_that_passes_fails_the_run(records, tmp_path):
    expectations = load_expectations(write(tmp_path, f'''
[[expected]]
scenario = {json.dumps(NO_TAG)}
reason = "was broken"
'''))
    doc = document(records)
    verdict = judge(doc, expectations)
    assert verdict.exit_code == 1
    assert by_name(doc["scenarios"], NO_TAG)["judgement"] == UNEXPECTED_PASS
    assert "1 unexpected pass" in verdict.headline()


def test_a_different_failure_kind_is_unexpected_and_not_applicable_is_only_noted(records, tmp_path):
    expectations = load_expectations(write(tmp_path, f'''
[[expected]]
scenario = {json.dumps(NO_TAG)}
outcome = "failed"
reason = "r"
[[expected]]
scenario = {json.dumps(FIRST_WINS)}
outcome = "failed"
reason = "r"
'''))
    doc = document(records)
    fail(by_name(doc["scenarios"], NO_TAG), outcome="error")
    by_name(doc["scenarios"], FIRST_WINS)["outcome"] = "not_applicable"
    verdict = judge(doc, expectations)
    assert by_name(doc["scenarios"], NO_TAG)["judgement"] == UNEXPECTED_FAILURE
    assert by_name(doc["scenarios"], FIRST_WINS)["judgement"] == NOT_MET
    assert verdict.exit_code == 1


def test_tag_and_nodeid_selectors_and_specificity(records, tmp_path):
    nodeid = by_name(records, OPTIONAL_PULL)["nodeid"]
    expectations = load_expectations(write(tmp_path, f'''
[[expected]]
tag = "optional"
outcome = ["passed", "failed"]
reason = "optional behaviour is tracked, not gated"
[[expected]]
nodeid = "somewhere/else/{nodeid.rsplit('/', 1)[-1]}"
outcome = "error"
reason = "the most specific entry wins"
[[expected]]
scenario = "No such scenario"
reason = "stale"
'''))
    doc = document(records)
    fail(by_name(doc["scenarios"], OPTIONAL_PULL), outcome="error")
    optional_other = next(r for r in doc["scenarios"] if r["level"] == "optional" and r["scenario"] != OPTIONAL_PULL)
    fail(optional_other)
    verdict = judge(doc, expectations, strict=True)
    assert by_name(doc["scenarios"], OPTIONAL_PULL)["judgement"] == EXPECTED
    assert optional_other["judgement"] == EXPECTED
    passing_optional = [r for r in doc["scenarios"] if r["level"] == "optional" and r["outcome"] == "passed"]
    # "passed" is one of the listed outcomes: a pass is expected too, not an unexpected pass.
    assert passing_optional and all(r["judgement"] == EXPECTED for r in passing_optional)
    assert verdict.exit_code == 0
    assert [u["selector"] for u in verdict.unused_expectations] == ["scenario No such scenario"]


@pytest.mark.parametrize("text, complaint", [
    ("[[expected]]\nreason = 'r'\n", "give exactly one of nodeid, scenario, tag"),
    ("[[expected]]\ntag = 'optional'\n", "give a 'reason'"),
    ("[[expected]]\ntag = 'optional'\nreason = 'r'\noutcome = 'broken'\n", "'broken' is not one of"),
    ("[[expected]]\ntag = 'optional'\nreason = 'r'\nwhy = 'x'\n", "unknown key(s) why"),
    ("[[other]]\ntag = 'x'\n", "one list of entries named [[expected]]"),
    ("[[expected]\n", "not valid TOML"),
])
def test_a_bad_expectations_file_is_named_with_its_entry(tmp_path, text, complaint):
    path = write(tmp_path, text)
    with pytest.raises(ExpectationsError) as raised:
        load_expectations(path)
    assert str(path) in str(raised.value) and complaint in str(raised.value)


# --- report formats ---------------------------------------------------------------------------
def failing_document(records) -> dict:
    doc = document(records, settings={"store_class": "tests.broken_stores:MainStoreFirst"})
    record = fail(by_name(doc["scenarios"], FIRST_WINS), 'AssertionError: "llm:v1" gave artifact C, expected <A> & more')
    record["requests"] = [{"method": "GET", "path": "/v2/llm/manifests/v1", "status": 200, "bytes": 497, "kind": "manifest"}]
    record["details"] = "Traceback: <frame>"
    by_name(doc["scenarios"], OPTIONAL_PULL)["outcome"] = "not_applicable"
    by_name(doc["scenarios"], OPTIONAL_PULL)["message"] = "not applicable: the system lacks reload"
    return doc


def test_cucumber_json_has_every_scenario_with_step_results(records):
    doc = failing_document(records)
    features = cucumber_features(doc)
    scenarios = [e for f in features for e in f["elements"] if e["type"] == "scenario"]
    assert len(scenarios) == len(doc["scenarios"])
    assert {f["uri"] for f in features} == {r["feature"]["file"] for r in doc["scenarios"]}
    statuses = {s["result"]["status"] for e in scenarios for s in e["steps"]}
    assert statuses <= {"passed", "failed", "skipped", "undefined"}
    failed = next(e for e in scenarios if e["name"] == FIRST_WINS)
    assert failed["steps"][-1]["result"] == {"status": "failed", "duration": 1000000,
                                             "error_message": 'AssertionError: "llm:v1" gave artifact C, expected <A> & more'}
    assert {"name": "@required", "line": failed["line"]} in failed["tags"]
    json.dumps(features)  # serialisable


def test_html_report_content_is_escaped_and_self_contained(records):
    doc = failing_document(records)
    page = render_report(doc, features_from_results(doc))
    assert page.startswith("<!DOCTYPE html>")
    assert "expected &lt;A&gt; &amp; more" in page and "<A>" not in page
    required = sum(1 for r in records if r["level"] == "required")
    assert f"Not conformant: 1 of {required} required scenarios failed" in page
    assert "/v2/llm/manifests/v1" in page and "Registry requests (1, 497 bytes)" in page
    assert "not applicable: the system lacks reload" in page
    for external in ("<script", "<link", "src=", "@import", "url("):
        assert external not in page, f"the report must be self-contained: found {external!r}"


def test_report_files_are_replaced_atomically(tmp_path):
    from artifact_conformance.reporting.atomic_write import write_atomically

    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("old")
    keeper = tmp_path / "keeper"
    os.link(target, keeper)  # a reader holding the old file keeps a whole old file
    write_atomically(target, "new")
    assert (target.read_text(), keeper.read_text()) == ("new", "old")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_a_scenario_whose_worker_crashed_still_shows_in_every_format(records):
    doc = document(records[:3])
    doc["scenarios"].append({"nodeid": "features/test_pulling.py::test_x", "outcome": "error",
                             "message": "worker 'gw1' crashed while running", "steps": [], "requests": [], "tags": []})
    verdict = judge(doc)
    assert verdict.exit_code == 1  # no level: counted as required
    page = render_report(doc, features_from_results(doc))
    assert "worker &#x27;gw1&#x27; crashed while running" in page and "Scenarios that did not report" in page
    uris = [f["uri"] for f in cucumber_features(doc)]
    assert "features/test_pulling.py" in uris


def test_the_report_names_the_registry_actually_used():
    from artifact_conformance.reporting.html_overview import registry_title

    process = {"provider": "process", "binary": "/usr/bin/docker-registry", "urls": ["http://127.0.0.1:4100"],
               "requested": "auto"}
    assert registry_title(process) == "process: /usr/bin/docker-registry at http://127.0.0.1:4100 (provider auto chose it)"
    docker = {"provider": "docker", "image": "local/registry:2.8", "requested": "docker",
              "urls": ["http://127.0.0.1:1", "http://127.0.0.1:2"]}
    assert registry_title(docker) == "docker: local/registry:2.8 at http://127.0.0.1:1, http://127.0.0.1:2 (one per worker)"
    assert registry_title({"provider": "url", "urls": ["http://r:5000"], "requested": "url"}) == "url: http://r:5000"
    assert registry_title({"urls": [], "requested": "auto"}) == (
        "none started: no selected scenario needed one (provider auto)")
    assert registry_title({"provider": "process", "image": "registry:2"}) == "provider process, image registry:2"
