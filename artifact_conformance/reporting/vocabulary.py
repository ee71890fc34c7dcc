"""The words every part of the suite uses for a scenario's result: one definition each.

- ``OUTCOMES``: what happened to a scenario (the results document's
  ``outcome``; fixtures/plugins/results.py records them, every report reads them);
  ``STEP_OUTCOMES`` adds the states a single step can be left in.
- ``LEVELS``: the contract's levels (docs/contract.md, "Levels"), which are also
  the scenarios' level tags ``@required`` and ``@optional``.
- judgements: what an outcome means for the run (reporting/verdict.py).

Everything here is plain data, imported by the contract, the harness, the
reports and the CLI alike; this module imports nothing of the project.
"""

from __future__ import annotations

PASSED, FAILED, NOT_APPLICABLE, SKIPPED, ERROR = "passed", "failed", "not_applicable", "skipped", "error"
OUTCOMES = (PASSED, FAILED, NOT_APPLICABLE, SKIPPED, ERROR)
# A step can also be left before it ran, have no definition, or be cut off by a crash.
NOT_RUN, UNDEFINED, RUNNING = "not_run", "undefined", "running"
STEP_OUTCOMES = (*OUTCOMES, NOT_RUN, UNDEFINED, RUNNING)
# The outcomes that count against a system under test.
FAILING = frozenset({FAILED, ERROR})

OUTCOME_LABELS = {
    PASSED: "passed", FAILED: "failed", NOT_APPLICABLE: "not applicable", SKIPPED: "skipped", ERROR: "error",
    NOT_RUN: "not run", UNDEFINED: "undefined", RUNNING: "interrupted",
}

REQUIRED, OPTIONAL = "required", "optional"
LEVELS = (REQUIRED, OPTIONAL)

# Judgements, per scenario.
OK = "ok"                                  # passed, not applicable or skipped; nothing expected otherwise
FAILURE = "failure"                        # a failure that fails the run
TOLERATED = "tolerated"                    # an optional failure without --strict
EXPECTED = "expected"                      # the outcome an expectation listed
UNEXPECTED_PASS = "unexpected_pass"        # expected to fail, passed
UNEXPECTED_FAILURE = "unexpected_failure"  # failed differently from what an expectation listed
NOT_MET = "expectation_not_met"            # expected to fail, but was not applicable or skipped
FATAL = frozenset({FAILURE, UNEXPECTED_PASS, UNEXPECTED_FAILURE})

JUDGEMENT_LABELS = {
    OK: "ok",
    FAILURE: "failure",
    TOLERATED: "optional failure",
    EXPECTED: "expected",
    UNEXPECTED_PASS: "unexpected pass",
    UNEXPECTED_FAILURE: "unexpected failure",
    NOT_MET: "expectation not met",
}


def outcome_label(outcome: str | None) -> str:
    """An outcome as a reader reads it ("not applicable"); an unknown word as it is."""
    return OUTCOME_LABELS.get(outcome or "", outcome or "")
