"""The contract inside the project: docs/contract.md is the one list of rules, every
scenario cites rules of it at their level, every rule has a scenario, and the
checks that say so fail when they should."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from artifact_conformance.contract import ContractError, contract_path, load_contract, parse_contract
from artifact_conformance.contract_coverage import coverage_problems, scenarios_by_rule
from artifact_conformance.reporting.feature_files import packaged_features, parse_features
from tests.pytest_runs import PytestRun, run_pytest

ROOT = Path(__file__).resolve().parent.parent

RULE = """### `{id}`: {title}

**{level}.** {statement}

*Why:* {reason}
"""


def contract_text(*rules: tuple[str, str]) -> str:
    return "# A contract\n\n## Area\n\n" + "\n".join(
        RULE.format(id=rule_id, title="a rule", level=level, statement="It holds.", reason="It matters.")
        for rule_id, level in rules
    )


def feature_dir(tmp_path: Path, body: str) -> Path:
    (tmp_path / "x.feature").write_text("@listing\nFeature: X\n" + body, encoding="utf-8")
    return tmp_path


# --- the project's own contract ----------------------------------------------------------
def test_the_contract_is_the_checkouts_docs_contract_md():
    assert contract_path().resolve() == (ROOT / "docs" / "contract.md").resolve()


def test_every_rule_has_an_id_a_level_a_statement_and_a_reason():
    contract = load_contract()
    assert len(contract.rules) >= 40
    for rule in contract.rules:
        assert rule.level in ("required", "optional"), rule
        assert len(rule.statement) > 40 and len(rule.reason) > 40, f"{rule.id}: statement or reason too short"


def test_the_three_optional_checks_that_were_not_listed_are_rules_of_the_optional_level():
    contract = load_contract()
    for rule_id in ("pull.progress-timeout", "faults.no-symlink-escape", "pull.error-names-blob"):
        assert contract.rule(rule_id).level == "optional"


def test_the_two_decisions_are_written_down_with_their_rules():
    text = contract_path().read_text(encoding="utf-8")
    assert "### Decision: a reference with both a tag and a digest" in text
    assert "### Decision: one list entry per reference, with pinning decided per ID" in text
    assert "imageRecords[image.ID]" in text  # what kubelet's source was read for
    contract = load_contract()
    assert contract.rule("resolve.tag-and-digest").level == "required"
    assert contract.rule("pin.per-id").level == "required"


def test_every_scenario_cites_known_rules_at_their_level_and_every_rule_has_a_scenario():
    assert coverage_problems(load_contract(), packaged_features()) == []


def test_each_rule_is_checked_by_scenarios_of_its_level():
    contract = load_contract()
    for rule_id, cited in scenarios_by_rule(contract, packaged_features()).items():
        assert cited, rule_id
        assert all(c.levels == (contract.rule(rule_id).level,) for c in cited), rule_id


def test_no_project_file_refers_to_the_old_shared_contract():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    old_name = "BEHAVIOUR" + ".md"
    offenders = []
    for name in tracked.stdout.split("\0"):
        path = ROOT / name
        if not name or not path.is_file() or path.suffix in (".png", ".whl"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if old_name in text:
            offenders.append(name)
    assert offenders == []


# --- the checks bite -----------------------------------------------------------------------
def test_a_scenario_without_a_rule_is_reported(tmp_path: Path):
    features = parse_features(feature_dir(tmp_path, "  @required @rule:a.b\n  Scenario: cited\n    Given x\n\n"
                                                    "  @required\n  Scenario: not cited\n    Given x\n"))
    problems = coverage_problems(parse_contract(contract_text(("a.b", "Required"))), features)
    assert len(problems) == 1 and "'not cited'" in problems[0] and "cites no rule" in problems[0]


def test_an_unknown_rule_is_reported(tmp_path: Path):
    features = parse_features(feature_dir(tmp_path, "  @required @rule:a.b @rule:a.typo\n  Scenario: s\n    Given x\n"))
    problems = coverage_problems(parse_contract(contract_text(("a.b", "Required"))), features)
    assert len(problems) == 1
    assert problems[0].endswith("x.feature:4 ('s'): cites the unknown rule 'a.typo' (contract.md has no such section)")


def test_a_rule_without_a_scenario_is_reported(tmp_path: Path):
    features = parse_features(feature_dir(tmp_path, "  @required @rule:a.b\n  Scenario: s\n    Given x\n"))
    problems = coverage_problems(parse_contract(contract_text(("a.b", "Required"), ("a.lonely", "Optional"))), features)
    assert problems == ["contract.md: rule 'a.lonely' has no scenario (tag one @rule:a.lonely)"]


@pytest.mark.parametrize(("tags", "expected"), [
    ("@optional @rule:a.b", "tagged @optional, but its rules are required (a.b): tag it @required"),
    ("@rule:a.b", "tagged no level tag, but its rules are required (a.b): tag it @required"),
    ("@required @rule:a.b @rule:a.opt", "cites rules of both levels (a.b required, a.opt optional)"),
])
def test_a_level_that_disagrees_with_the_rules_is_reported(tmp_path: Path, tags: str, expected: str):
    features = parse_features(feature_dir(tmp_path, f"  {tags}\n  Scenario: s\n    Given x\n\n"
                                                    "  @optional @rule:a.opt\n  Scenario: t\n    Given x\n"))
    problems = coverage_problems(parse_contract(contract_text(("a.b", "Required"), ("a.opt", "Optional"))), features)
    assert len(problems) == 1 and expected in problems[0], problems


def test_rule_tags_on_examples_are_reported(tmp_path: Path):
    features = parse_features(feature_dir(
        tmp_path, "  @required @rule:a.b\n  Scenario Outline: s <v>\n    Given <v>\n\n"
                  "    @rule:a.b\n    Examples:\n      | v |\n      | 1 |\n"))
    problems = coverage_problems(parse_contract(contract_text(("a.b", "Required"))), features)
    assert len(problems) == 1 and "rule tags on Examples" in problems[0]


@pytest.mark.parametrize(("text", "message"), [
    ("## A\n\n### `a.b`: t\n\n*Why:* it matters.\n", "has no paragraph starting **Required.**"),
    ("## A\n\n### `a.b`: t\n\n**Required.** It holds.\n", "has no reason"),
    ("## A\n\n### `A.B`: t\n\n**Required.** x\n\n*Why:* y\n", "a rule heading must read"),
    ("## A\n\n### `nodot`: t\n\n**Required.** x\n\n*Why:* y\n", "a rule heading must read"),
    (contract_text(("a.b", "Required"), ("a.b", "Optional")), "rule 'a.b' is defined twice"),
    ("# Nothing here\n", "no rules"),
])
def test_a_malformed_contract_is_refused_naming_what_is_wrong(text: str, message: str):
    with pytest.raises(ContractError, match=None) as raised:
        parse_contract(text)
    assert message in str(raised.value)


def test_the_contract_parser_keeps_ids_levels_sections_and_reasons():
    contract = parse_contract(contract_text(("a.b", "Required"), ("a.c", "Optional")))
    assert [(r.id, r.level, r.section, r.reason) for r in contract.rules] == [
        ("a.b", "required", "Area", "It matters."), ("a.c", "optional", "Area", "It matters."),
    ]


# --- collection refuses what the contract does not allow ------------------------------------
def _collect(tmp_path: Path, tags: str) -> PytestRun:
    (tmp_path / "x.feature").write_text(f"@listing\nFeature: X\n  {tags}\n  Scenario: s\n    Given x\n", encoding="utf-8")
    (tmp_path / "test_x.py").write_text("from pytest_bdd import scenarios\n\nscenarios('x.feature')\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["artifact_conformance.fixtures.plugins.suite"]\n',
                                          encoding="utf-8")
    return run_pytest("--collect-only", "-q", "--strict-markers", "-p", "no:xdist", "test_x.py", cwd=tmp_path, timeout=120)


def test_collection_turns_a_rule_tag_into_a_rule_marker(tmp_path: Path):
    collected = _collect(tmp_path, "@required @rule:pull.skip-read-only")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "test_x.py::test_s" in collected.stdout


def test_collection_refuses_an_unknown_rule(tmp_path: Path):
    collected = _collect(tmp_path, "@required @rule:pull.no-such-rule")
    assert collected.returncode != 0
    assert "unknown contract rule 'pull.no-such-rule'" in collected.stdout + collected.stderr


def test_collection_refuses_a_level_that_is_not_the_rules(tmp_path: Path):
    collected = _collect(tmp_path, "@optional @rule:pull.skip-read-only")
    assert collected.returncode != 0
    assert "tagged @optional, but its rules are pull.skip-read-only (required)" in collected.stdout + collected.stderr
