"""What a run's outcomes mean for its exit code.

Without expectations: the run passes exactly when no selected ``@required``
scenario failed or errored (not applicable and skipped do not fail it; a
scenario without a level counts as required). Optional failures are reported,
and fail the run only with ``strict``.

With expectations (see ``expectations_file``): a scenario an entry matches is
judged against that entry instead: its outcome is *expected* when listed,
an *unexpected pass* when it passed although the entry expected otherwise,
and an *unexpected failure* when it failed or errored in a way the entry did
not list, or (an entry with ``checks``) when other checks failed than those it
names, or with other messages (``expectation_mismatch`` says how). Either unexpected kind fails the run, so a fixed bug forces the file
to be updated. An entry whose outcome did not happen because the scenario was
not applicable or skipped is reported (*expectation not met*), not fatal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from artifact_conformance.reporting.expectations_file import WHEN, Expectations
from artifact_conformance.reporting.vocabulary import (  # noqa: F401 - the judgements, named by this module's readers
    EXPECTED,
    FAILING,
    FAILURE,
    FATAL,
    JUDGEMENT_LABELS,
    NOT_MET,
    OK,
    TOLERATED,
    UNEXPECTED_FAILURE,
    UNEXPECTED_PASS,
)


@dataclass
class Verdict:
    exit_code: int
    conformant: bool
    strict: bool
    required_total: int
    required_failing: int
    optional_failing: int
    judgements: dict[str, str] = field(default_factory=dict)
    expectations_source: str | None = None
    unused_expectations: list[dict[str, Any]] = field(default_factory=list)
    causes: list[dict[str, Any]] = field(default_factory=list)  # the expectations' causes, worst harm first

    def count(self, judgement: str) -> int:
        return sum(1 for j in self.judgements.values() if j == judgement)

    def headline(self) -> str:
        if self.expectations_source is not None:
            unexpected = [f"{self.count(j)} {JUDGEMENT_LABELS[j]}{'s' if self.count(j) != 1 else ''}"
                          for j in (FAILURE, UNEXPECTED_FAILURE, UNEXPECTED_PASS) if self.count(j)]
            if unexpected:
                return "Unexpected outcomes: " + ", ".join(unexpected)
            known = self.count(EXPECTED)
            return f"As expected ({known} known outcome{'s' if known != 1 else ''} listed in the expectations)"
        if self.conformant:
            extra = f"; {self.optional_failing} optional failed" if self.optional_failing else ""
            if self.strict and self.optional_failing:
                return f"Not conformant under --strict: {self.optional_failing} optional scenario(s) failed"
            return f"Conformant: all {self.required_total} required scenarios passed or were not applicable{extra}"
        return f"Not conformant: {self.required_failing} of {self.required_total} required scenarios failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "exit_code": self.exit_code,
            "conformant": self.conformant,
            "strict": self.strict,
            "headline": self.headline(),
            "required_total": self.required_total,
            "required_failing": self.required_failing,
            "optional_failing": self.optional_failing,
            "expectations": self.expectations_source,
            "unused_expectations": self.unused_expectations,
            "causes": self.causes,
            "judgements": {j: self.count(j) for j in JUDGEMENT_LABELS if self.count(j)},
        }


def level_of(record: Mapping[str, Any]) -> str:
    return record.get("level") or "required"


def judge(document: Mapping[str, Any], expectations: Expectations | None = None, strict: bool = False) -> Verdict:
    """Judge every scenario; annotate the records in place with
    ``judgement`` and, when an entry matched, ``expectation``."""
    judgements: dict[str, str] = {}
    used: set[int] = set()
    required_total = required_failing = optional_failing = 0
    for record in document.get("scenarios", []):
        outcome = record.get("outcome")
        level = level_of(record)
        failing = outcome in FAILING
        if level == "required":
            required_total += 1
            required_failing += failing
        else:
            optional_failing += failing
        entry = expectations.for_record(record) if expectations else None
        if entry is not None:
            used.update(e.index for e in expectations.alternatives(record))
            record["expectation"] = entry.to_json()
            mismatch = entry.check_mismatch(record) if failing else None
            if mismatch is not None:
                # It fails, but not (only) as the entry says: a new fault behind a known one.
                record["expectation_mismatch"] = mismatch
                judgement = UNEXPECTED_FAILURE
            elif outcome in entry.outcomes:
                judgement = EXPECTED if outcome != "passed" or len(entry.outcomes) > 1 else OK
            elif outcome == "passed":
                judgement = UNEXPECTED_PASS
            elif failing:
                judgement = UNEXPECTED_FAILURE
            else:
                judgement = NOT_MET
        elif failing:
            judgement = FAILURE if level == "required" or strict else TOLERATED
        else:
            judgement = OK
        record["judgement"] = judgement
        judgements[record.get("nodeid") or str(len(judgements))] = judgement
    # An entry narrowed to the other kind of run (``when``) is not unused in this one.
    modes = {"configure" in ((r.get("sut") or {}).get("capabilities") or []) for r in document.get("scenarios", [])}
    unused = [e.to_json() for e in (expectations.entries if expectations else [])
              if e.index not in used and (e.when is None or WHEN[e.when] in modes)]
    causes = _causes_seen(document, expectations) if expectations else []
    fatal = any(j in FATAL for j in judgements.values())
    return Verdict(
        exit_code=1 if fatal else 0,
        conformant=required_failing == 0,
        strict=strict,
        required_total=required_total,
        required_failing=required_failing,
        optional_failing=optional_failing,
        judgements=judgements,
        expectations_source=expectations.source if expectations else None,
        unused_expectations=unused,
        causes=causes,
    )


def _causes_seen(document: Mapping[str, Any], expectations: Expectations) -> list[dict[str, Any]]:
    """Each cause of the expectations, worst harm first, with the scenarios of this run it explains."""
    seen = []
    for cause, entries in expectations.by_cause():
        if cause is None:
            continue
        scenarios = [{"nodeid": r.get("nodeid"), "scenario": r.get("scenario"), "outcome": r.get("outcome"),
                      "judgement": r.get("judgement")}
                     for r in document.get("scenarios", [])
                     if (r.get("expectation") or {}).get("cause", {}).get("id") == cause.id]
        seen.append({**cause.to_json(), "entries": len(entries), "scenarios": scenarios})
    return seen
