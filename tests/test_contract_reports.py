"""Reports that read by rule: verdicts per rule, the HTML contract view, the contract in
the documentation, and ``diff --by-rule``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from artifact_conformance.cli import main
from artifact_conformance.contract import load_contract
from artifact_conformance.reporting.feature_files import packaged_features
from artifact_conformance.reporting.html_report import render_docs, render_report
from artifact_conformance.reporting.markdown_docs import render_markdown
from artifact_conformance.reporting.model import features_from_files, features_from_results
from artifact_conformance.reporting.rule_verdicts import (
    BROKEN,
    KEPT,
    NOT_CHECKED,
    contract_rules,
    rule_verdicts,
    verdict_of,
)
from tests.results_documents import by_name, document, fail, scenario_records

FIRST_WINS = "The first read-only store wins over the second and over the main store"


@pytest.mark.parametrize(("outcomes", "verdict"), [
    (["passed", "passed"], KEPT),
    (["passed", "not_applicable", "skipped"], KEPT),
    (["passed", "failed"], BROKEN),
    (["failed", "error"], BROKEN),
    (["not_applicable", "skipped"], NOT_CHECKED),
    (["error"], NOT_CHECKED),  # the harness broke: no verdict on the runtime
    ([], NOT_CHECKED),
])
def test_a_rules_verdict_follows_its_scenarios(outcomes: list[str], verdict: str):
    assert verdict_of(outcomes) == verdict


def failing_run() -> dict:
    doc = document(scenario_records())
    fail(by_name(doc["scenarios"], FIRST_WINS), 'AssertionError: the status of "llm:v1" gave artifact C, expected artifact A')
    for record in doc["scenarios"]:
        if "pull.offline-read-only" in record["contract_rules"]:
            record["outcome"] = "not_applicable"
    return doc


def test_verdicts_per_rule_of_a_failing_run():
    doc = failing_run()
    verdicts = {v.rule.id: v for v in rule_verdicts(contract_rules(doc), features_from_results(doc))}
    assert verdicts.keys() == set(load_contract().ids)
    assert verdicts["resolve.order"].verdict == BROKEN
    assert [s.name for _, s in verdicts["resolve.order"].failing] == [FIRST_WINS]
    assert verdicts["pull.offline-read-only"].verdict == NOT_CHECKED
    assert {v.verdict for rule_id, v in verdicts.items() if rule_id not in ("resolve.order", "pull.offline-read-only")} == {KEPT}


def test_the_html_report_shows_each_broken_rule_with_its_failing_scenarios():
    doc = failing_run()
    features = features_from_results(doc)
    page = render_report(doc, features)
    scenario = next(s for f in features for s in f.scenarios if s.name == FIRST_WINS)
    assert '<section class="contract" id="contract">' in page
    assert "Broken rules (1)" in page and "Rules broken (1):" in page
    broken = page[page.index("Broken rules (1)"):page.index('<table class="rules">')]
    assert "resolve.order" in broken and f'href="#{scenario.anchor}"' in broken
    assert "expected artifact A" in broken and "kubelet and crictl must get one answer" in broken
    row = re.search(r'<tr id="r-resolve-order" class="v-broken">.*?</tr>', page).group(0)
    assert "broken" in row and "@required" in row
    row = re.search(r'<tr id="r-pull-offline-read-only" class="v-not_checked">.*?</tr>', page).group(0)
    assert "not checked" in row and "3 n/a" in row
    assert re.search(r'<tr id="r-pin-per-id" class="v-kept">', page)
    assert page.count('class="rule-chip" href="#r-resolve-order"') == 5  # each scenario links back to its rules


def test_a_passing_report_breaks_no_rule():
    doc = document(scenario_records())
    page = render_report(doc, features_from_results(doc))
    assert "Broken rules" not in page and "Rules broken" not in page
    assert f"Required rules: {sum(r.level == 'required' for r in load_contract().rules)} kept" in page


def test_the_documentation_renders_the_contract_with_its_scenarios():
    features = features_from_files(packaged_features())
    page = render_docs(features)
    markdown = render_markdown(features)
    for rule in load_contract().rules:
        assert f'id="{rule.anchor}"' in page and rule.id in page
        assert f"**`{rule.id}`** ({rule.level})" in markdown
    assert "Verdict" not in page  # no outcomes in the documentation
    line = next(li for li in markdown.splitlines() if li.startswith("  Scenarios:") and "tag and a digest" in li)
    assert "(#a-reference-with-a-tag-and-a-digest-is-refused-or-resolved-by-its-digest-never-by-its-tag)" in line
    assert "`@required` `@rule:resolve.tag-and-digest`" in markdown


def save(path: Path, doc: dict) -> str:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_diff_by_rule(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    reference = save(tmp_path / "reference.json", document(scenario_records()))
    vendor = save(tmp_path / "vendor.json", failing_run())
    assert main(["diff", "--by-rule", reference, reference]) == 0
    assert f"identical: {len(load_contract().rules)} rules have the same verdict" in capsys.readouterr().out

    assert main(["diff", "--by-rule", reference, vendor]) == 1
    out = capsys.readouterr().out
    assert f"2 of {len(load_contract().rules)} rules differ" in out
    assert re.search(r"resolve\.order\s.*required\s.*kept\s.*broken \(1 failed\)", out), out
    assert re.search(r"pull\.offline-read-only\s.*optional\s.*kept\s.*not checked", out), out

    assert main(["diff", "--by-rule", "--ignore-not-applicable", reference, vendor]) == 1
    out = capsys.readouterr().out
    assert "1 of" in out and "pull.offline-read-only" not in out
