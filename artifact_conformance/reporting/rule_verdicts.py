"""The contract's rules judged by a run: kept, broken or not checked.

A rule is **broken** when a scenario citing it failed, **kept** when at least
one of its scenarios passed and none failed, and **not checked** when none
ran to a verdict (not applicable, skipped, a harness error, or not selected).
A harness error is never a runtime's fault, so it breaks no rule; it is
counted beside the verdict.

The rules come from the results document when it carries them (the
contract the run was judged by), else from the installed docs/contract.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from artifact_conformance.contract import Rule, load_contract
from artifact_conformance.reporting.model import FeatureView, ScenarioView, Tally

KEPT, BROKEN, NOT_CHECKED = "kept", "broken", "not_checked"
VERDICT_LABEL = {KEPT: "kept", BROKEN: "broken", NOT_CHECKED: "not checked"}


@dataclass
class RuleVerdict:
    rule: Rule
    scenarios: list[tuple[FeatureView, ScenarioView]] = field(default_factory=list)

    @property
    def tally(self) -> Tally:
        tally = Tally()
        for _, scenario in self.scenarios:
            tally.add(scenario.outcome)
        return tally

    @property
    def verdict(self) -> str:
        return verdict_of(scenario.outcome for _, scenario in self.scenarios)

    @property
    def failing(self) -> list[tuple[FeatureView, ScenarioView]]:
        return [(f, s) for f, s in self.scenarios if s.outcome == "failed"]


def verdict_of(outcomes: Iterable[str | None]) -> str:
    outcomes = list(outcomes)
    if "failed" in outcomes:
        return BROKEN
    if "passed" in outcomes:
        return KEPT
    return NOT_CHECKED


def contract_rules(document: Mapping[str, Any] | None = None) -> list[Rule]:
    """The rules a run was judged by, or the installed contract's."""
    recorded = ((document or {}).get("contract") or {}).get("rules")
    if recorded:
        return [Rule(id=r["id"], level=r.get("level") or "required", title=r.get("title") or "",
                     statement=r.get("statement") or "", reason=r.get("reason") or "",
                     section=r.get("section") or "", line=0) for r in recorded]
    return list(load_contract().rules)


def rule_verdicts(rules: Sequence[Rule], features: Sequence[FeatureView]) -> list[RuleVerdict]:
    """One verdict per rule, in the contract's order, with the scenarios that cite it."""
    verdicts = {rule.id: RuleVerdict(rule) for rule in rules}
    for feature in features:
        for scenario in feature.scenarios:
            for rule_id in scenario.contract_rules:
                if rule_id in verdicts:
                    verdicts[rule_id].scenarios.append((feature, scenario))
    return list(verdicts.values())


def verdict_counts(verdicts: Iterable[RuleVerdict]) -> dict[str, dict[str, int]]:
    """{level: {verdict: n}}."""
    counts: dict[str, dict[str, int]] = {}
    for verdict in verdicts:
        level = counts.setdefault(verdict.rule.level, {KEPT: 0, BROKEN: 0, NOT_CHECKED: 0})
        level[verdict.verdict] += 1
    return counts
