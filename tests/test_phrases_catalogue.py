"""features/PHRASES.md is the catalogue of every sentence the steps accept, and it is current."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pytest_bdd.steps import StepNamePrefix

from artifact_conformance.steps import catalogue

PHRASES = Path(__file__).resolve().parent.parent / "features" / "PHRASES.md"
STEPS = Path(catalogue.__file__).resolve().parent


def test_the_catalogue_is_current():
    assert PHRASES.read_text(encoding="utf-8") == catalogue.catalogue(), f"features/PHRASES.md is stale: run {catalogue.COMMAND}"


def test_every_step_definition_is_catalogued_once():
    """Counted apart from the catalogue's own reading: every @given/@when/@then leaves a
    fixture in its module, and every module of steps/ that has one is a loaded step module."""
    text = PHRASES.read_text(encoding="utf-8")
    known = catalogue.phrases()
    step_modules = [f"artifact_conformance.steps.{path.stem}" for path in sorted(STEPS.glob("*.py"))]
    registered = {name: sum(key.startswith(StepNamePrefix.step_def.value) for key in vars(importlib.import_module(name)))
                  for name in step_modules}
    assert sorted(name for name, count in registered.items() if count) == sorted(catalogue.STEP_MODULES)
    assert len(known) == sum(registered.values()) > 100
    assert text.count("\n| **") == len(known)
    for phrase in known:
        assert catalogue._cell(f"**{phrase.keyword}** {phrase.sentence}") in text, phrase.sentence


def test_every_feature_line_is_matched_by_a_catalogued_phrase():
    """The catalogue reads the features as pytest-bdd does: an outline's lines with
    each row of its Examples, And/But with the type before them."""
    lines = catalogue.feature_lines()
    assert len(lines) > 1000
    assert catalogue.unmatched_lines() == []


@pytest.mark.parametrize(("pattern", "sentence"), [
    (r'the read-only store "(?P<label>[^"]+)" holds artifact (?P<artifact>[A-Z]\d*) as "(?P<ref>[^"]+)"',
     'the read-only store "<label>" holds artifact <artifact> as "<ref>"'),
    (r'a node with the read-only stores? (?P<labels>"[^"]+"(?:(?:, | and )"[^"]+")*)',
     "a node with the read-only store[s] <labels>"),
    (r"the registry has (?:an OCI container image|a Docker v2 container image) tagged \"(?P<ref>[^\"]+)\"",
     'the registry has (an OCI container image|a Docker v2 container image) tagged "<ref>"'),
    (r'the status of "(?P<ref>[^"]+)" reports it (?P<pinned>pinned|not pinned)',
     'the status of "<ref>" reports it (pinned|not pinned)'),
    (r"the list shows artifacts (?P<labels>[A-Z]\d*(?:, [A-Z]\d*)* and [A-Z]\d*)(?P<ordered> in that order)?",
     "the list shows artifacts <labels> [in that order]"),
    (r"the read-only store has an index.json of (?P<n>\d+) entries", "the read-only store has an index.json of <n> entries"),
])
def test_a_pattern_reads_as_a_reader_writes_it(pattern: str, sentence: str):
    assert catalogue.readable(pattern) == sentence


def test_a_line_without_a_step_is_reported(tmp_path: Path):
    (tmp_path / "x.feature").write_text("Feature: x\n  Scenario: y\n    Given nothing the suite can say\n")
    assert [line.text for line in catalogue.unmatched_lines(tmp_path)] == ["nothing the suite can say"]


def test_check_exits_1_naming_the_command_when_stale(tmp_path: Path, capsys):
    stale = tmp_path / "PHRASES.md"
    stale.write_text("old\n")
    assert catalogue.main([str(stale), "--check"]) == 1
    assert catalogue.COMMAND in capsys.readouterr().err
    assert catalogue.main([str(stale)]) == 0 and catalogue.main([str(stale), "--check"]) == 0
