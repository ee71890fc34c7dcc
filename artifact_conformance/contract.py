"""The contract's rules, read from ``docs/contract.md``: the one list of rules.

The document is package data (``artifact_conformance.docs``, the ``docs/``
folder of a checkout), so the suite, the reports and the ``docs`` command
read the same file a person reads, and the two cannot disagree. A rule is a
section of the form::

    ### `area.short-name`: what the rule is, in one line

    **Required.** (or **Optional.**) The rule, exactly.

    *Why:* why it matters on a node.

Scenarios cite rules with a tag, ``@rule:area.short-name``.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from artifact_conformance.reporting.vocabulary import LEVELS  # noqa: F401 - the contract's levels, named there

CONTRACT_PACKAGE = "artifact_conformance.docs"
CONTRACT_FILE = "contract.md"
RULE_TAG_PREFIX = "rule:"

RULE_ID = r"[a-z][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+"
RULE_HEADING = re.compile(rf"^### `(?P<id>{RULE_ID})`: (?P<title>\S.*)$")
ANY_RULE_LIKE_HEADING = re.compile(r"^### `")
SECTION_HEADING = re.compile(r"^## (?P<title>\S.*)$")
LEVEL = re.compile(r"^\*\*(?P<level>Required|Optional)\.\*\*\s*(?P<rest>.*)$", re.DOTALL)
REASON = re.compile(r"^\*Why:\*\s*(?P<text>.*)$", re.DOTALL)


class ContractError(ValueError):
    """The contract document is malformed; the message names the line."""


class UnknownRuleError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    title: str
    statement: str
    reason: str
    section: str
    line: int

    @property
    def tag(self) -> str:
        return RULE_TAG_PREFIX + self.id

    @property
    def anchor(self) -> str:
        return rule_anchor(self.id)


@dataclass(frozen=True)
class Contract:
    rules: tuple[Rule, ...]
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {rule.id: rule for rule in self.rules})

    @property
    def ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id  # type: ignore[attr-defined]

    def rule(self, rule_id: str) -> Rule:
        try:
            return self._by_id[rule_id]  # type: ignore[attr-defined]
        except KeyError:
            raise UnknownRuleError(
                f"unknown contract rule {rule_id!r}: {self.source} has no section \"### `{rule_id}`: ...\""
            ) from None

    def sections(self) -> list[tuple[str, list[Rule]]]:
        grouped: dict[str, list[Rule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.section, []).append(rule)
        return list(grouped.items())


def rule_anchor(rule_id: str) -> str:
    """The HTML anchor of a rule in the reports and documentation."""
    return "r-" + re.sub(r"[^a-z0-9]+", "-", rule_id)


def rule_ids(tags) -> list[str]:
    """The rule ids a set of scenario tags cites, in sorted order."""
    return sorted(tag[len(RULE_TAG_PREFIX):] for tag in tags if tag.startswith(RULE_TAG_PREFIX))


def is_rule_tag(tag: str) -> bool:
    return tag.startswith(RULE_TAG_PREFIX)


def contract_path() -> Path:
    path = Path(str(importlib.resources.files(CONTRACT_PACKAGE))) / CONTRACT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"the package {CONTRACT_PACKAGE} has no {CONTRACT_FILE} at {path}")
    return path


@lru_cache(maxsize=1)
def load_contract() -> Contract:
    path = contract_path()
    return parse_contract(path.read_text(encoding="utf-8"), source=f"docs/{CONTRACT_FILE}")


def parse_contract(text: str, source: str = CONTRACT_FILE) -> Contract:
    lines = text.splitlines()
    rules: list[Rule] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = SECTION_HEADING.match(line)
        if heading:
            section = heading["title"].strip()
        if ANY_RULE_LIKE_HEADING.match(line):
            match = RULE_HEADING.match(line)
            if not match:
                raise ContractError(f"{source}:{i + 1}: a rule heading must read \"### `area.name`: title\" "
                                    f"(lower case id with at least one dot), not {line!r}")
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(("## ", "### "))), len(lines))
            rules.append(_rule(match, _paragraphs(lines[i + 1:end]), section, source, i + 1))
            i = end
            continue
        i += 1
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ContractError(f"{source}:{rule.line}: rule {rule.id!r} is defined twice")
        seen.add(rule.id)
    if not rules:
        raise ContractError(f"{source}: no rules (sections \"### `area.name`: title\")")
    return Contract(tuple(rules), source)


def _paragraphs(lines: list[str]) -> list[str]:
    blocks = re.split(r"\n\s*\n", "\n".join(lines).strip())
    return [" ".join(part.strip() for part in block.splitlines()) for block in blocks if block.strip()]


def _rule(match: re.Match, paragraphs: list[str], section: str, source: str, line: int) -> Rule:
    rule_id = match["id"]
    level = next((LEVEL.match(p) for p in paragraphs if LEVEL.match(p)), None)
    if level is None:
        raise ContractError(f"{source}:{line}: rule {rule_id!r} has no paragraph starting **Required.** or **Optional.**")
    reason = next((REASON.match(p) for p in paragraphs if REASON.match(p)), None)
    if reason is None or not reason["text"].strip():
        raise ContractError(f"{source}:{line}: rule {rule_id!r} has no reason (a paragraph starting *Why:*)")
    return Rule(id=rule_id, level=level["level"].lower(), title=match["title"].strip(),
                statement=level["rest"].strip(), reason=reason["text"].strip(), section=section, line=line)
