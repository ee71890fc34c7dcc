"""Which scenarios' outcomes differ between two results documents.

Scenarios are matched by feature file name, scenario name and example row,
not by pytest node id, so a checkout run (``features/test_x.py::...``) and a
``run`` command run (``test_x.py::...``) compare. A scenario present in one
document only is a difference (its outcome on the other side is ``missing``).
``diff_rules`` compares the two runs rule by rule instead: each rule of the
contract kept, broken or not checked (reporting/rule_verdicts.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.reporting.results_schema import FORMAT

MISSING = "missing"


class ResultsFileError(ValueError):
    """Not a results document; the message names the file."""


@dataclass(frozen=True)
class Difference:
    key: tuple[str, str, str]
    feature: str
    scenario: str
    level: str | None
    a: str
    b: str


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ResultsFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise ResultsFileError(f"{path}: not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ResultsFileError(f"{path}: not a results document (expected \"format\": \"{FORMAT}\"; "
                               "write one with run --results or pytest --results-json)")
    return document


def scenario_key(record: Mapping[str, Any]) -> tuple[str, str, str]:
    feature = (record.get("feature") or {}).get("file")
    if not feature:
        nodeid = record.get("nodeid") or ""
        file, _, rest = nodeid.partition("::")
        return (file.rsplit("/", 1)[-1], rest, "")
    example = record.get("example") or {}
    return (feature.rsplit("/", 1)[-1], record.get("scenario") or "",
            json.dumps(example, sort_keys=True) if example else "")


def diff_results(a: Mapping[str, Any], b: Mapping[str, Any], ignore_not_applicable: bool = False,
                 common_only: bool = False) -> tuple[list[Difference], int]:
    """The differences, and how many scenarios were compared in all."""
    left = {scenario_key(r): r for r in a.get("scenarios", [])}
    right = {scenario_key(r): r for r in b.get("scenarios", [])}
    keys = sorted(set(left) & set(right)) if common_only else sorted(set(left) | set(right))
    differences = []
    for key in keys:
        ra, rb = left.get(key), right.get(key)
        oa = ra.get("outcome", "?") if ra else MISSING
        ob = rb.get("outcome", "?") if rb else MISSING
        if oa == ob:
            continue
        if ignore_not_applicable and "not_applicable" in (oa, ob) and MISSING not in (oa, ob):
            continue
        record = ra or rb or {}
        differences.append(Difference(
            key=key, feature=(record.get("feature") or {}).get("name") or key[0],
            scenario=_scenario_label(record, key), level=record.get("level"), a=oa, b=ob,
        ))
    return differences, len(keys)


def _scenario_label(record: Mapping[str, Any], key: tuple[str, str, str]) -> str:
    name = record.get("scenario") or key[1]
    return name


@dataclass(frozen=True)
class RuleDifference:
    rule: str
    level: str
    a: str
    b: str
    failing_a: int
    failing_b: int


def diff_rules(a: Mapping[str, Any], b: Mapping[str, Any],
               ignore_not_checked: bool = False) -> tuple[list[RuleDifference], int]:
    """The rules whose verdict (kept, broken, not checked) differs, and how many were compared.
    The rules are those either run was judged by, in the order of A's contract."""
    from artifact_conformance.reporting.model import features_from_results
    from artifact_conformance.reporting.rule_verdicts import NOT_CHECKED, contract_rules, rule_verdicts

    rules = {rule.id: rule for rule in contract_rules(a)}
    for rule in contract_rules(b):
        rules.setdefault(rule.id, rule)
    left = {v.rule.id: v for v in rule_verdicts(list(rules.values()), features_from_results(a))}
    right = {v.rule.id: v for v in rule_verdicts(list(rules.values()), features_from_results(b))}
    differences = []
    for rule_id, rule in rules.items():
        va, vb = left[rule_id], right[rule_id]
        if va.verdict == vb.verdict or (ignore_not_checked and NOT_CHECKED in (va.verdict, vb.verdict)):
            continue
        differences.append(RuleDifference(rule_id, rule.level, va.verdict, vb.verdict, len(va.failing), len(vb.failing)))
    return differences, len(rules)


def describe_run(document: Mapping[str, Any], path: str) -> str:
    sut = (document.get("run") or {}).get("sut") or {}
    name = sut.get("name") or "?"
    store_class = (sut.get("settings") or {}).get("store_class")
    if store_class:
        name += f" ({store_class})"
    if sut.get("runtime"):
        name += f": {sut['runtime']}"
    return f"{Path(path).name} [{name}]"
