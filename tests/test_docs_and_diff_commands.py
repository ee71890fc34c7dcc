"""``artifact-conformance docs`` and ``artifact-conformance diff`` (no registry)."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import pytest

from artifact_conformance.cli import main
from artifact_conformance.reporting.feature_files import packaged_features
from tests.results_documents import by_name, document, fail, scenario_records

FIRST_WINS = "The first read-only store wins over the second and over the main store"
MOUNTS = "mounts.feature"


# --- docs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, fmt", [("behaviour.html", None), ("behaviour.md", None), ("out.txt", "markdown")])
def test_docs_show_every_feature_rule_and_scenario(tmp_path: Path, name: str, fmt: str | None):
    out = tmp_path / name
    assert main(["docs", *(["--format", fmt] if fmt else []), str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    html = text.startswith("<!DOCTYPE html>")
    assert html == (name.endswith(".html"))
    readable = _readable(text, html)
    features = packaged_features()
    assert len(features) >= 12
    for feature in features:
        assert feature.name in readable
        for template in feature.scenarios.values():
            assert template.name in readable, f"{feature.rel_filename}: {template.name!r} is missing"
            if template.rule:
                assert template.rule.name in readable
            for step in template.steps:
                assert step.name in readable
    # Documentation, not a report: no outcomes.
    assert "passed" not in readable.lower()


def _readable(text: str, html: bool) -> str:
    """What a reader sees: HTML without its tags, Markdown without its escapes."""
    if html:
        text = re.sub(r"<(style|title)>.*?</\1>", "", text, flags=re.S)
        text = htmllib.unescape(re.sub(r"<[^>]+>", "", text))
    else:
        text = re.sub(r"\\(.)", r"\1", text)
    return " ".join(text.split())


def test_docs_to_standard_output(capsys):
    assert main(["docs", "--format", "markdown", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Read-only artifact stores: how they behave")
    assert "| Behaviour area | Tag | required | optional |" in out


# --- diff ---------------------------------------------------------------------------------------------
def save(path: Path, doc: dict) -> str:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_identical_runs(tmp_path: Path, capsys):
    records = scenario_records()
    a = save(tmp_path / "a.json", document(records))
    b = save(tmp_path / "b.json", document(scenario_records(prefix="")))  # another rootdir: ids differ, scenarios match
    assert main(["diff", a, b]) == 0
    assert f"identical: {len(records)} scenarios" in capsys.readouterr().out


def test_differences_are_listed_and_exit_1(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    records = scenario_records()
    reference = document(records)
    vendor = document(records, sut="cri")
    fail(by_name(vendor["scenarios"], FIRST_WINS))
    mount_records = [r for r in vendor["scenarios"] if r["feature"]["file"].endswith(MOUNTS)]
    for record in mount_records:
        record["outcome"] = "not_applicable"
    vendor["scenarios"].remove(by_name(vendor["scenarios"], 'A name without a tag means ":latest"'))
    a, b = save(tmp_path / "reference.json", reference), save(tmp_path / "vendor.json", vendor)

    assert main(["diff", a, b]) == 1
    out = capsys.readouterr().out
    assert f"{2 + len(mount_records)} of {len(records)} scenarios differ" in out
    assert FIRST_WINS in out and "missing" in out and "not applicable" in out

    assert main(["diff", "--ignore-not-applicable", a, b]) == 1
    out = capsys.readouterr().out
    assert f"2 of {len(records)} scenarios differ" in out
    assert "not applicable" not in out

    assert main(["diff", "--ignore-not-applicable", "--common-only", a, b]) == 1
    assert f"1 of {len(records) - 1} scenarios differ" in capsys.readouterr().out


def test_ignore_not_applicable_can_make_runs_match(tmp_path: Path):
    reference = document(scenario_records())
    vendor = document(scenario_records(), sut="cri")
    for record in vendor["scenarios"]:
        if record["feature"]["file"].endswith(MOUNTS):
            record["outcome"] = "not_applicable"
    a, b = save(tmp_path / "a.json", reference), save(tmp_path / "b.json", vendor)
    assert main(["diff", a, b]) == 1
    assert main(["diff", "--ignore-not-applicable", a, b]) == 0


def test_a_file_that_is_not_a_results_document(tmp_path: Path, capsys):
    good = save(tmp_path / "a.json", document(scenario_records()))
    bad = tmp_path / "b.json"
    bad.write_text("[]")
    assert main(["diff", good, str(bad)]) == 2
    assert f"{bad}: not a results document" in capsys.readouterr().err
    assert main(["diff", good, str(tmp_path / "missing.json")]) == 2
