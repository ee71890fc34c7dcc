"""Many nodes' results documents as one fleet: per node, per area, per rule.

Each node's run (``artifact-conformance run --results``, one per node of a
cluster) is judged as ``run`` judges it (``verdict.judge``). Scenarios are
matched across nodes by feature file, scenario name and example row
(``results_diff.scenario_key``), so runs from a checkout and from the image
compare. For each scenario the *majority* outcome is the one most nodes
had (ties: the better outcome, in ``OUTCOME_ORDER``); a node *differs* where
its outcome is not the majority's, or where it did not run the scenario.

Rules: a scenario's rule ids come from its ``rules`` list when the results
document has one, else from tags ``rule:ID``; documents without either give
no per-rule view (``Fleet.has_rules`` is False), never an error.

A node's name is the results document's ``run.node.name`` (``run
--node-name``, env ``NODE_NAME``); a document without one is named after its
file. Two documents naming the same node are refused.
"""

from __future__ import annotations

import json
import tarfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifact_conformance.contract import RULE_TAG_PREFIX, is_rule_tag
from artifact_conformance.reporting.results_diff import ResultsFileError, load_results, scenario_key
from artifact_conformance.reporting.results_schema import FORMAT as RESULTS_FORMAT
from artifact_conformance.reporting.verdict import Verdict, judge, level_of
from artifact_conformance.reporting.vocabulary import FAILING, LEVELS

MISSING = "missing"
# Best first: a tie for the majority goes to the earlier outcome.
OUTCOME_ORDER = ("passed", "not_applicable", "skipped", "failed", "error", MISSING)

# Cell states, worst first.
FAIL, OPTIONAL_FAIL, PASS, NOT_APPLICABLE, ABSENT = "fail", "optional-fail", "pass", "na", "absent"


class FleetError(ValueError):
    """The inputs do not make a fleet; the message names the file or node."""


@dataclass
class NodeRun:
    name: str
    path: str
    document: dict[str, Any]
    verdict: Verdict
    records: dict[tuple[str, str, str], dict[str, Any]]

    @property
    def conformant(self) -> bool:
        return self.verdict.conformant

    @property
    def sut(self) -> str:
        sut = (self.document.get("run") or {}).get("sut") or {}
        name = sut.get("name") or "?"
        return f"{name}: {sut['runtime']}" if sut.get("runtime") else name

    @property
    def profile(self) -> str | None:
        return (self.document.get("conformance") or {}).get("profile")

    def failing_required(self) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r.get("outcome") in FAILING and level_of(r) == "required"]

    def failing_optional(self) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r.get("outcome") in FAILING and level_of(r) != "required"]


@dataclass
class Cell:
    """One node's scenarios of one area (or rule)."""

    counts: Counter = field(default_factory=Counter)
    required_failing: int = 0
    optional_failing: int = 0

    def add(self, record: Mapping[str, Any]) -> None:
        outcome = record.get("outcome") or "error"
        self.counts[outcome] += 1
        if outcome in FAILING:
            if level_of(record) == "required":
                self.required_failing += 1
            else:
                self.optional_failing += 1

    @property
    def state(self) -> str:
        if not self.counts:
            return ABSENT
        if self.required_failing:
            return FAIL
        if self.optional_failing:
            return OPTIONAL_FAIL
        if self.counts["passed"]:
            return PASS
        return NOT_APPLICABLE

    @property
    def ran(self) -> int:
        return self.counts["passed"] + self.required_failing + self.optional_failing

    def label(self) -> str:
        if not self.counts:
            return "-"
        if not self.ran:
            return "n/a"
        return f"{self.counts['passed']}/{self.ran}"


@dataclass(frozen=True)
class Deviation:
    node: str
    key: tuple[str, str, str]
    feature: str
    scenario: str
    level: str
    outcome: str
    majority: str
    majority_nodes: int
    message: str | None

    @property
    def serious(self) -> bool:
        """Worse than the majority in a way that matters: a failure where most passed or were not applicable."""
        return self.outcome in FAILING or (self.outcome == MISSING and self.majority == "passed")


@dataclass
class Fleet:
    nodes: list[NodeRun]

    # --- scenarios ---------------------------------------------------------------
    def keys(self) -> list[tuple[str, str, str]]:
        return sorted({key for node in self.nodes for key in node.records})

    def record(self, key: tuple[str, str, str]) -> dict[str, Any]:
        return next(node.records[key] for node in self.nodes if key in node.records)

    def outcome(self, node: NodeRun, key: tuple[str, str, str]) -> str:
        record = node.records.get(key)
        return (record.get("outcome") or "error") if record else MISSING

    def majority(self, key: tuple[str, str, str]) -> tuple[str, int]:
        counts = Counter(self.outcome(node, key) for node in self.nodes)
        best = max(counts.values())
        rank = {outcome: i for i, outcome in enumerate(OUTCOME_ORDER)}
        winner = min((o for o, c in counts.items() if c == best), key=lambda o: (rank.get(o, len(rank)), o))
        return winner, best

    def deviations(self) -> list[Deviation]:
        found = []
        for key in self.keys():
            majority, count = self.majority(key)
            record = self.record(key)
            for node in self.nodes:
                outcome = self.outcome(node, key)
                if outcome == majority:
                    continue
                own = node.records.get(key) or {}
                found.append(Deviation(
                    node=node.name, key=key, feature=key[0], scenario=_scenario_label(record, key),
                    level=level_of(record), outcome=outcome, majority=majority, majority_nodes=count,
                    message=own.get("message") if outcome in FAILING else None,
                ))
        return found

    def differing_nodes(self) -> dict[str, list[Deviation]]:
        """Nodes with at least one outcome unlike the majority's, most serious first."""
        by_node: dict[str, list[Deviation]] = {}
        for deviation in self.deviations():
            by_node.setdefault(deviation.node, []).append(deviation)
        return dict(sorted(by_node.items(), key=lambda kv: (-sum(d.serious for d in kv[1]), kv[0])))

    # --- areas and rules -------------------------------------------------------------
    def _labels(self, labels_of) -> list[str]:
        return sorted({label for node in self.nodes for r in node.records.values() for label in labels_of(r)})

    @staticmethod
    def _cell(node: NodeRun, label: str, labels_of) -> Cell:
        cell = Cell()
        for record in node.records.values():
            if label in labels_of(record):
                cell.add(record)
        return cell

    def areas(self) -> list[str]:
        return self._labels(_areas)

    def area_cell(self, node: NodeRun, area: str) -> Cell:
        return self._cell(node, area, _areas)

    @property
    def has_rules(self) -> bool:
        return bool(self.rules())

    def rules(self) -> list[str]:
        return self._labels(rule_ids)

    def rule_cell(self, node: NodeRun, rule: str) -> Cell:
        return self._cell(node, rule, rule_ids)

    # --- the verdict -----------------------------------------------------------------
    @property
    def failing_nodes(self) -> list[NodeRun]:
        return [node for node in self.nodes if not node.conformant]

    @property
    def exit_code(self) -> int:
        """1 when any node failed a required scenario, else 0."""
        return 1 if self.failing_nodes else 0

    def headline(self) -> str:
        total = len(self.nodes)
        failing = self.failing_nodes
        if not failing:
            return f"Fleet conformant: all {total} nodes passed every required scenario they ran"
        names = ", ".join(node.name for node in failing)
        return f"Fleet not conformant: {len(failing)} of {total} nodes failed required scenarios ({names})"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "artifact-conformance-fleet/1",
            "headline": self.headline(),
            "exit_code": self.exit_code,
            "nodes": [{
                "name": node.name, "results": node.path, "sut": node.sut, "profile": node.profile,
                "conformant": node.conformant, "summary": node.document.get("summary"),
                "failing_required": [_brief(r) for r in node.failing_required()],
                "failing_optional": [_brief(r) for r in node.failing_optional()],
                "areas": {area: {"state": (c := self.area_cell(node, area)).state, "counts": dict(c.counts)}
                          for area in self.areas()},
                "rules": {rule: self.rule_cell(node, rule).state for rule in self.rules()},
            } for node in self.nodes],
            "differing_nodes": {name: [{"feature": d.feature, "scenario": d.scenario, "level": d.level,
                                        "outcome": d.outcome, "majority": d.majority, "serious": d.serious}
                                       for d in deviations]
                                for name, deviations in self.differing_nodes().items()},
        }


def load_fleet(paths: Sequence[str | Path]) -> Fleet:
    """Each path: a results document, a directory holding them (searched recursively), or a tarball
    holding them (a node's sonobuoy result, or ``sonobuoy retrieve``'s archive)."""
    if not paths:
        raise FleetError("no results documents given")
    nodes: list[NodeRun] = []
    seen: dict[str, str] = {}
    for path in paths:
        for label, document in documents_in(Path(path)):
            name = node_name(document, label)
            if name in seen:
                raise FleetError(f"{label} and {seen[name]} both hold results of node {name!r} "
                                 "(give each node's run its own --node-name, or merge one file per node)")
            seen[name] = label
            records = {scenario_key(r): r for r in document.get("scenarios", [])}
            nodes.append(NodeRun(name=name, path=label, document=document, verdict=judge(document), records=records))
    return Fleet(nodes)


def documents_in(path: Path) -> list[tuple[str, dict[str, Any]]]:
    if path.is_dir():
        found = []
        for candidate in sorted(path.rglob("*.json")) + sorted(path.rglob("*.tar.gz")):
            found += _documents_in_file(candidate, quiet=True)
        if not found:
            raise FleetError(f"{path}: no results documents in this directory")
        return found
    found = _documents_in_file(path, quiet=False)
    if not found:
        raise FleetError(f"{path}: no results documents in this archive")
    return found


def _documents_in_file(path: Path, quiet: bool) -> list[tuple[str, dict[str, Any]]]:
    if path.name.endswith((".tar.gz", ".tgz", ".tar")):
        try:
            with tarfile.open(path) as archive:
                found = []
                for member in archive.getmembers():
                    if not (member.isfile() and member.name.endswith(".json")):
                        continue
                    data = archive.extractfile(member)
                    document = _results_or_none(data.read() if data else b"")
                    if document is not None:
                        found.append((f"{path}:{member.name}", document))
                return found
        except (OSError, tarfile.TarError) as error:
            raise FleetError(f"{path}: not a readable tar archive: {error}") from None
    if quiet:
        try:
            document = _results_or_none(path.read_bytes())
        except OSError:
            return []
        return [(str(path), document)] if document is not None else []
    return [(str(path), load_results(path))]  # ResultsFileError names the file and what is wrong


def _results_or_none(data: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) and document.get("format") == RESULTS_FORMAT else None


def node_name(document: Mapping[str, Any], path: str | Path) -> str:
    node = (document.get("run") or {}).get("node") or {}
    name = node.get("name") if isinstance(node, Mapping) else None
    return str(name) if name else Path(str(path).rsplit(":", 1)[-1]).name.removesuffix(".json")


def rule_ids(record: Mapping[str, Any]) -> list[str]:
    # contract_rules: what the results document carries; rules: an older spelling
    rules = record.get("contract_rules") or record.get("rules")
    if isinstance(rules, list) and rules:
        return [_rule_id(rule) for rule in rules if _rule_id(rule)]
    return [tag[len(RULE_TAG_PREFIX):] for tag in record.get("tags") or [] if is_rule_tag(tag)]


def _rule_id(rule: Any) -> str:
    if isinstance(rule, Mapping):
        return str(rule.get("id") or rule.get("name") or "")
    return str(rule or "")


def _areas(record: Mapping[str, Any]) -> Iterable[str]:
    """The behaviour areas: the feature file's own tags (a scenario's extra tags, such as @skopeo, are not areas)."""
    tags = (record.get("feature") or {}).get("tags") or record.get("areas") or []
    return [t for t in tags if t not in LEVELS and not is_rule_tag(t)]


def _scenario_label(record: Mapping[str, Any], key: tuple[str, str, str]) -> str:
    name = record.get("scenario") or key[1]
    example = record.get("example") or {}
    if example:
        name += " [" + ", ".join(f"{k}={v}" for k, v in example.items()) + "]"
    return name


def _brief(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"feature": (record.get("feature") or {}).get("file") or record.get("nodeid"),
            "scenario": _scenario_label(record, scenario_key(record)), "outcome": record.get("outcome"),
            "message": record.get("message"), "rules": rule_ids(record)}


__all__ = ["Fleet", "FleetError", "NodeRun", "Cell", "Deviation", "load_fleet", "node_name", "rule_ids",
           "ResultsFileError", "MISSING"]
