"""``--expect`` sees a scenario that fails for a new reason behind a known one.

Every check of a scenario is judged, even after one failed (steps/checks.py),
and an expectation can name the checks that fail (``checks``). So a runtime
whose known divergence fails one check of a scenario, and which then breaks
another rule the same scenario checks, is reported: the scenario still
"fails as expected" by outcome, but not by its checks.

Proved with the reference store: ``NoRemovalByID`` (RemoveImage by ID
answers OK and removes nothing, as CRI-O does) fails one check of the
garbage-collection scenario, which the expectation below names. A store that
also stops pinning read-only artifacts fails a second check of the same
scenario, and must be an unexpected failure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact_conformance.reporting.expectations_file import ExpectationsError, load_expectations
from artifact_conformance.reporting.verdict import EXPECTED, UNEXPECTED_FAILURE, judge
from tests import broken_stores as broken
from tests.pytest_runs import PYTEST_FAILED, run_pytest

SCENARIO = "Garbage collection spares read-only, pinned and in-use artifacts"
KNOWN_CHECK = "the list does not show artifact B"
NEW_CHECK = "the garbage collector removed artifact B only"
EXPECTATIONS = f'''
[[expected]]
scenario = "pinning.feature: {SCENARIO}"
reason = "RemoveImage by ID answers OK and removes nothing"
checks = [{{step = "{KNOWN_CHECK}", message = "still listed although the garbage collector removed it"}}]
'''


class NoRemovalByIDNorReadOnlyPinning(broken.NoRemovalByID, broken.ReadOnlyUnpinned):
    """The known divergence (no removal by ID) and a new one (read-only artifacts unpinned)."""


def _run(variant: type, registry_url: str, tmp_path: Path) -> dict:
    tmp_path.mkdir()
    run = run_pytest(
        "features/test_pinning.py", "-q", "-k", "test_garbage_collection_spares_readonly_pinned_and_inuse_artifacts",
        f"--registry-url={registry_url}", f"--reference-store-class={variant.__module__}:{variant.__name__}",
        f"--basetemp={tmp_path / 'run'}", results=tmp_path / "results.json", timeout=300)
    assert run.returncode == PYTEST_FAILED and run.results is not None, run.output[-3000:]
    [record] = [r for r in run.results["scenarios"] if r["scenario"] == SCENARIO]
    assert record["outcome"] == "failed", (record["outcome"], record.get("message"))
    return run.results


@pytest.mark.registry
def test_a_new_failing_check_behind_a_known_one_is_unexpected(registry, tmp_path):
    expectations_file = tmp_path / "expect.toml"
    expectations_file.write_text(EXPECTATIONS)
    expectations = load_expectations(expectations_file)

    known = _run(broken.NoRemovalByID, registry.url, tmp_path / "known")
    verdict = judge(known, expectations)
    [record] = known["scenarios"]
    assert verdict.exit_code == 0 and record["judgement"] == EXPECTED, record.get("expectation_mismatch")
    assert [s["text"] for s in record["steps"] if s["outcome"] == "failed"] == [KNOWN_CHECK]

    both = _run(NoRemovalByIDNorReadOnlyPinning, registry.url, tmp_path / "both")
    [record] = both["scenarios"]
    failed = [s["text"] for s in record["steps"] if s["outcome"] == "failed"]
    # Every check judged: the first failure did not hide the second.
    assert failed == [NEW_CHECK, KNOWN_CHECK], failed
    verdict = judge(both, expectations)
    assert verdict.exit_code == 1 and record["judgement"] == UNEXPECTED_FAILURE
    assert NEW_CHECK in record["expectation_mismatch"] and "also failed" in record["expectation_mismatch"]


def _record(*failed: tuple[str, str], passed: tuple[str, ...] = (), not_applicable: tuple[str, ...] = ()) -> dict:
    steps = [{"text": text, "outcome": "passed"} for text in ("the client pulls x", *passed)]
    steps += [{"text": text, "outcome": "not_applicable"} for text in not_applicable]
    steps += [{"text": text, "outcome": "failed", "message": message} for text, message in failed]
    return {"scenario": "S", "outcome": "failed", "steps": steps, "feature": {"file": "f.feature"}}


def _entry(tmp_path: Path, checks: str):
    path = tmp_path / "e.toml"
    path.write_text(f'[[expected]]\nscenario = "S"\nreason = "r"\nchecks = {checks}\n')
    return load_expectations(path).entries[0]


def test_the_failing_checks_and_their_messages_must_be_the_expected_ones(tmp_path):
    entry = _entry(tmp_path, '["a fails", {step = "b fails", message = "not found"}]')
    assert entry.check_mismatch(_record(("a fails", "x"), ("b  fails", "AssertionError: not found here"))) is None
    assert "did not fail: 'b fails'" in entry.check_mismatch(_record(("a fails", "x"), passed=("b fails",)))
    # A check not applicable in this run (or not run) is not judged.
    assert entry.check_mismatch(_record(("a fails", "x"), not_applicable=("b fails",))) is None
    assert "also failed: 'c fails'" in entry.check_mismatch(
        _record(("a fails", "x"), ("b fails", "not found"), ("c fails", "boom")))
    wrong = entry.check_mismatch(_record(("a fails", "x"), ("b fails", "ambiguous")))
    assert "'b fails' failed with 'ambiguous', not a message matching 'not found'" in wrong


def test_a_scenario_failed_in_two_known_ways_has_one_entry_per_way(tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('[[expected]]\nscenario = "S"\nreason = "r"\nchecks = ["a fails"]\n\n'
                    '[[expected]]\nscenario = "S"\nreason = "r"\nchecks = ["b fails"]\n')
    expectations = load_expectations(path)
    first, second = expectations.entries
    assert expectations.for_record(_record(("a fails", "x"), passed=("b fails",))) is first
    assert expectations.for_record(_record(("b fails", "x"), passed=("a fails",))) is second
    neither = _record(("c fails", "x"), passed=("a fails", "b fails"))
    assert expectations.for_record(neither) is first and first.check_mismatch(neither) is not None
    assert expectations.alternatives(neither) == [first, second]


@pytest.mark.parametrize("checks, complaint", [
    ("[]", "non-empty list"),
    ('"a"', "non-empty list"),
    ("[{step = \"a\", message = \"(\"}]", "not a regular expression"),
    ("[{text = \"a\"}]", "a check is a step's text"),
])
def test_bad_checks_are_refused_with_the_entry_named(tmp_path, checks, complaint):
    with pytest.raises(ExpectationsError, match=complaint):
        _entry(tmp_path, checks)
