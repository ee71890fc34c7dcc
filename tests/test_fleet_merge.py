"""``artifact-conformance merge``: many nodes' results as one fleet report.

The documents are shaped like the results plugin writes them (every packaged
scenario, ``tests/results_documents.py``), with outcomes chosen per node; the
end-to-end fleet of real serve-cri nodes is ``test_fleet_simulated.py``.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from artifact_conformance.cli import main
from artifact_conformance.reporting.fleet import FleetError, load_fleet, rule_ids
from artifact_conformance.reporting.fleet_html import render_fleet
from tests.results_documents import document, scenario_records

RECORDS = scenario_records()


def node_document(name: str | None, failing: dict[str, str] | None = None, rules: bool = False) -> dict:
    doc = document(RECORDS)
    for record in doc["scenarios"]:
        if failing and record["scenario"] in failing:
            record["outcome"], record["message"] = "failed", failing[record["scenario"]]
        # A results document from before rule ids (or of another suite): no rules at all.
        record["tags"] = [t for t in record["tags"] if not t.startswith("rule:")]
        record.pop("contract_rules", None)
        if rules:
            record["contract_rules"] = [f"{record['areas'][0]}-{record['line'] % 3}"]
    if name is not None:
        doc["run"]["node"] = {"name": name, "source": "--node-name"}
    return doc


def write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def first_required(area: str) -> dict:
    return next(r for r in RECORDS if r["level"] == "required" and area in r["areas"])


def test_the_fleet_names_the_node_that_fails_and_what_it_fails(tmp_path: Path, capsys):
    broken = first_required("pinning")
    paths = [write(tmp_path / "a.json", node_document("node-a")),
             write(tmp_path / "b.json", node_document("node-b")),
             write(tmp_path / "c.json", node_document("node-c", {broken["scenario"]: "AssertionError: not pinned"}))]
    html, data = tmp_path / "fleet.html", tmp_path / "fleet.json"
    status = main(["merge", *map(str, paths), "--html", str(html), "--json", str(data)])
    out = capsys.readouterr().out
    assert status == 1
    assert "node-c" in out and broken["scenario"][:40] in out and "not conformant" in out.lower()
    fleet = json.loads(data.read_text())
    assert list(fleet["differing_nodes"]) == ["node-c"]
    [deviation] = fleet["differing_nodes"]["node-c"]
    assert (deviation["outcome"], deviation["majority"], deviation["serious"]) == ("failed", "passed", True)
    node_c = next(n for n in fleet["nodes"] if n["name"] == "node-c")
    assert node_c["areas"]["pinning"]["state"] == "fail" and node_c["areas"]["listing"]["state"] == "pass"
    assert [f["message"] for f in node_c["failing_required"]] == ["AssertionError: not pinned"]
    page = html.read_text()
    assert 'id="node-node-c"' in page and "1 required failing" in page and "not pinned" in page


def test_a_conformant_fleet_exits_0_and_an_optional_failure_does_not_fail_it(tmp_path: Path):
    optional = next(r for r in RECORDS if r["level"] == "optional")
    paths = [write(tmp_path / f"{n}.json", node_document(n, {optional["scenario"]: "x"} if n == "n2" else None))
             for n in ("n1", "n2", "n3")]
    fleet = load_fleet(paths)
    assert fleet.exit_code == 0 and main(["merge", *map(str, paths)]) == 0
    assert list(fleet.differing_nodes()) == ["n2"]
    area = optional["feature"]["tags"][0]
    assert fleet.area_cell(fleet.nodes[1], area).state == "optional-fail"


def test_rules_are_used_when_the_results_carry_them_and_absent_otherwise(tmp_path: Path):
    without = load_fleet([write(tmp_path / "a.json", node_document("a")), write(tmp_path / "b.json", node_document("b"))])
    assert not without.has_rules and without.rules() == []
    assert "no per-rule view" in render_fleet(without)
    with_rules = load_fleet([write(tmp_path / "c.json", node_document("c", rules=True))])
    assert with_rules.has_rules and "pinning-0" in with_rules.rules()
    assert "Rules &times; nodes" in render_fleet(with_rules)
    # Rule ids as tags (@rule:ID) count too.
    assert rule_ids({"tags": ["required", "rule:pin-ro", "pinning"]}) == ["pin-ro"]


def test_a_node_missing_a_scenario_differs_and_a_tie_goes_to_the_better_outcome(tmp_path: Path):
    a, b = node_document("a"), node_document("b")
    dropped = b["scenarios"].pop(0)
    fleet = load_fleet([write(tmp_path / "a.json", a), write(tmp_path / "b.json", b)])
    [deviation] = fleet.differing_nodes()["b"]
    assert deviation.scenario.startswith(dropped["scenario"]) and deviation.outcome == "missing"
    assert deviation.majority == "passed"


def test_documents_come_from_directories_and_tarballs(tmp_path: Path):
    (tmp_path / "x" / "deep").mkdir(parents=True)
    write(tmp_path / "x" / "deep" / "results.json", node_document("dir-node"))
    (tmp_path / "x" / "junk.json").write_text('{"not": "results"}')
    member = write(tmp_path / "results.json", node_document("tar-node"))
    with tarfile.open(tmp_path / "node.tar.gz", "w:gz") as archive:
        archive.add(member, arcname="results.json")
    fleet = load_fleet([tmp_path / "x", tmp_path / "node.tar.gz"])
    assert [n.name for n in fleet.nodes] == ["dir-node", "tar-node"]


def test_unusable_inputs_are_named(tmp_path: Path, capsys):
    write(tmp_path / "a.json", node_document("same"))
    write(tmp_path / "b.json", node_document("same"))
    with pytest.raises(FleetError, match="both hold results of node 'same'"):
        load_fleet([tmp_path / "a.json", tmp_path / "b.json"])
    (tmp_path / "bad.json").write_text("{}")
    assert main(["merge", str(tmp_path / "bad.json")]) == 2
    assert "bad.json: not a results document" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["merge", str(tmp_path / "empty")]) == 2
    # A document without a node name is named after its file.
    write(tmp_path / "worker-7.json", node_document(None))
    assert load_fleet([tmp_path / "worker-7.json"]).nodes[0].name == "worker-7"
