"""Which scenarios cite which rules, and what is wrong with the citations.

Every scenario names at least one rule of docs/contract.md (``@rule:<id>``,
on the scenario, its Gherkin ``Rule:`` block or its feature), only rules the
contract has, all of one level, and carries that level as its
``@required``/``@optional`` tag; every rule has at least one scenario.
``coverage_problems`` lists each breach in words that say where to mend it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_bdd.parser import Feature

from artifact_conformance.contract import LEVELS, Contract, is_rule_tag, rule_ids


@dataclass(frozen=True)
class Citation:
    file: str
    scenario: str
    line: int
    rules: tuple[str, ...]
    levels: tuple[str, ...]
    examples_rule_tags: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line} ({self.scenario!r})"


def citations(features: Iterable[Feature]) -> list[Citation]:
    found = []
    for feature in features:
        for template in sorted(feature.scenarios.values(), key=lambda t: t.line_number):
            tags = set(template.tags) | set(feature.tags) | (set(template.rule.tags) if template.rule else set())
            examples_tags = {t for examples in template.examples for t in examples.tags}
            found.append(Citation(
                file=feature.rel_filename, scenario=template.name, line=template.line_number,
                rules=tuple(rule_ids(tags)), levels=tuple(lv for lv in LEVELS if lv in tags | examples_tags),
                examples_rule_tags=tuple(sorted(t for t in examples_tags if is_rule_tag(t))),
            ))
    return found


def scenarios_by_rule(contract: Contract, features: Iterable[Feature]) -> dict[str, list[Citation]]:
    by_rule: dict[str, list[Citation]] = {rule_id: [] for rule_id in contract.ids}
    for citation in citations(features):
        for rule_id in citation.rules:
            if rule_id in by_rule:
                by_rule[rule_id].append(citation)
    return by_rule


def coverage_problems(contract: Contract, features: Iterable[Feature]) -> list[str]:
    features = list(features)
    problems = []
    for citation in citations(features):
        if citation.examples_rule_tags:
            problems.append(f"{citation.where}: rule tags on Examples ({', '.join(citation.examples_rule_tags)}) "
                            "are not read; put them on the scenario's tag line")
        if not citation.rules:
            problems.append(f"{citation.where}: cites no rule (add @rule:<id> from {contract.source})")
            continue
        unknown = [r for r in citation.rules if r not in contract]
        for rule_id in unknown:
            problems.append(f"{citation.where}: cites the unknown rule {rule_id!r} ({contract.source} has no such section)")
        known = [contract.rule(r) for r in citation.rules if r in contract]
        wanted = sorted({rule.level for rule in known})
        if len(wanted) > 1:
            problems.append(f"{citation.where}: cites rules of both levels "
                            f"({', '.join(f'{r.id} {r.level}' for r in known)}); a scenario checks rules of one level")
        elif known and list(citation.levels) != wanted:
            tagged = " ".join(f"@{lv}" for lv in citation.levels) or "no level tag"
            problems.append(f"{citation.where}: tagged {tagged}, but its rules are {wanted[0]} "
                            f"({', '.join(r.id for r in known)}): tag it @{wanted[0]}")
    for rule_id, cited in scenarios_by_rule(contract, features).items():
        if not cited:
            problems.append(f"{contract.source}: rule {rule_id!r} has no scenario (tag one @rule:{rule_id})")
    return problems
