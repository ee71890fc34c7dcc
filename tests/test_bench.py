"""``artifact-conformance bench``: the quick configuration runs end to end and its
document has every section, every ratio, and the checks the figures rest on.

Times are never asserted (CI machines vary); what is asserted is that the bench
measured what it says it measured: both look-up implementations gave the same
answers, pulls stored the right digest, the skipped pull moved no blob byte.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from artifact_conformance import bench_command
from artifact_conformance.bench import report, run
from artifact_conformance.bench.measure import summarize_ns
from artifact_conformance.bench.naive_store import NaiveLayeredStore, answer_of
from artifact_conformance.bench.processes import measure
from artifact_conformance.bench.synthetic_layouts import REGISTRY, write_population
from artifact_conformance.cli import main
from artifact_conformance.fixtures.registry import PROVIDERS
from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.errors import ArtifactStoreError
from artifact_conformance.simulator.store import ArtifactStore


# -- the quick bench, once ---------------------------------------------------------
@pytest.fixture(scope="module")
def quick_bench(registry, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    status = main(["bench", "--quick", "--json", str(out), "--registry-provider", "url",
                   "--registry-url", registry.url])
    document = json.loads(out.read_text())
    assert status == 0, f"bench failed: {run.failed_sections(document)}: " + "; ".join(
        str(s.get("reason")) for s in document["sections"].values() if s.get("status") != "ok")
    return document


@pytest.mark.registry
@pytest.mark.skopeo
@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
class TestQuickBench:
    def test_the_document_has_the_machine_and_every_section(self, quick_bench):
        assert quick_bench["format"] == run.FORMAT
        assert quick_bench["quick"] is True
        for key in ("date", "nproc", "cpu_model", "kernel"):
            assert quick_bench["machine"][key], key
        assert list(quick_bench["sections"]) == list(run.SECTIONS)
        assert all(section["status"] == "ok" for section in quick_bench["sections"].values())

    def test_lookups_agree_before_they_are_timed_and_have_ratios(self, quick_bench):
        section = quick_bench["sections"]["lookups"]
        assert [size["artifacts"] for size in section["sizes"]] == [1000]
        for size in section["sizes"]:
            assert size["agreement"]["identical"], size["agreement"]["differences"]
            assert size["agreement"]["list_entries"] == size["artifacts"] == size["listed"]
            assert size["index_entries"] > size["artifacts"], "duplicates across stores exercise de-duplication"
            for operation in ("status_by_tag", "status_by_id", "list"):
                figures = size["operations"][operation]
                assert figures["simulator"]["calls"] >= 5 and figures["peer"]["calls"] >= 5
                assert figures["ratio"] > 0
            assert size["syscalls_per_status"]["stat_per_consulted_store"] > 0
            assert size["unsettled_status_by_tag"]["ratio_to_settled"] > 0
        assert section["settled"]["waited_s"] >= 0

    def test_pulls_of_both_artifacts_by_both_tools_stored_the_pushed_digest(self, quick_bench):
        section = quick_bench["sections"]["pulls"]
        assert set(section["artifacts"]) == {"single_layer", "multi_layer"}
        assert section["artifacts"]["single_layer"]["size_bytes"] == 64 << 20
        assert section["artifacts"]["multi_layer"]["layers"] == 8
        for result in section["artifacts"].values():
            for implementation in ("simulator", "peer"):
                assert all(r["ok"] and r["digest"] == result["digest"] for r in result["runs"][implementation])
                assert result[implementation]["max_rss_mib"] > section["rss_floor_mib"]
            assert result["wall_ratio"] > 0 and result["rss_ratio"] > 0

    def test_the_skipped_pull_moved_no_blob_byte(self, quick_bench):
        section = quick_bench["sections"]["skipped"]
        assert section["simulator"]["skipped"] and section["simulator"]["main_store_unchanged"]
        assert section["simulator"]["blob_bytes"] == 0
        assert section["simulator_without_read_only_store"]["blob_bytes"] >= section["layer_bytes"]
        assert section["peer"]["blob_bytes"] >= section["layer_bytes"]
        assert section["wall_ratio"] > 0

    def test_the_suite_subset_ran_serially_and_in_parallel(self, quick_bench):
        section = quick_bench["sections"]["suite"]
        assert "-k" in section["scope"]
        assert "-n auto" in section["parallel"]["command"] and "-n" not in section["serial"]["command"].split()
        assert section["serial"]["counts"] and section["speedup"] > 0


# -- the pieces, without a registry --------------------------------------------------
def _hand_damaged_population(tmp_path: Path):
    population = write_population(tmp_path / "stores", 60, duplicate_every=10)
    first = population.additional_layouts[0]
    index_path = first / "index.json"
    index = json.loads(index_path.read_bytes())
    some = index["manifests"][0]
    index["manifests"] += [
        {**some, "annotations": {}},  # unnamed copy: listed once per store, by ID
        {**some, "annotations": {mt.ANNOTATION_REF_NAME: "v1"}},  # a bare tag, as skopeo writes
        {**some, "digest": "sha256:" + "0" * 64, "annotations": {mt.ANNOTATION_REF_NAME: f"{REGISTRY}/gone/x:v1"}},
    ]
    index_path.write_bytes(json.dumps(index).encode())
    (population.additional[1] / "artifacts" / "index.json").write_bytes(b"{not json")  # a corrupt store
    return population


def test_the_naive_peer_answers_like_the_reference_store(tmp_path):
    population = _hand_damaged_population(tmp_path)
    store = ArtifactStore(StoreConfig.build(root=str(population.root),
                                            additional_artifact_stores=[str(p) for p in population.additional]))
    naive = NaiveLayeredStore(population.main_layout, population.additional_layouts)
    queries = [a.reference for a in population.artifacts] + [a.digest[7:19] for a in population.artifacts]
    queries += ["a", "0", f"{REGISTRY}/gone/x:v1", f"{REGISTRY}/nowhere/y:v1", "v1",
                f"{REGISTRY}/team0/model0@{population.artifacts[0].digest}"]
    for query in queries:
        try:
            ours = answer_of(store.status(query))
        except ArtifactStoreError as error:
            ours = type(error).__name__
        try:
            theirs = naive.status(query)
        except ArtifactStoreError as error:
            theirs = type(error).__name__
        assert ours == theirs, query
    listed = [answer_of(record) for record in store.list()]
    assert listed == naive.list()
    # The corrupt store hides its artifacts; the unnamed copy is listed too.
    hidden = sum(1 for a in population.artifacts if a.store == 1)
    assert len(listed) == len(population.artifacts) - hidden + 1


def test_p99_is_the_nearest_rank():
    summary = summarize_ns([i * 1000 for i in range(1, 101)])
    assert summary["median_us"] == 50.5 and summary["p99_us"] == 99 and summary["calls"] == 100


def test_peak_rss_is_the_child_s_own_not_the_bench_s(tmp_path):
    ballast = bytearray(200 << 20)  # the bench process is big; its child must not read as big
    small = measure([sys.executable, "-c", "pass"], tmp_path, "small")
    big = measure([sys.executable, "-c", "x = bytearray(120 << 20); x[::4096] = b'1' * len(x[::4096])"],
                  tmp_path, "big")
    assert small["max_rss_mib"] < 60 and big["max_rss_mib"] >= 120
    assert small["exit_code"] == 0 and measure(["false"], tmp_path, "false")["exit_code"] == 1
    del ballast


def test_json_is_written_atomically(tmp_path):
    target = tmp_path / "out" / "bench.json"
    report.write_json({"a": 1}, target)
    report.write_json({"a": 2}, target)
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["bench.json"]


def test_the_command_s_choices_match_the_sections_and_registry_providers():
    assert bench_command.SECTIONS == run.SECTIONS
    assert bench_command.PROVIDERS == PROVIDERS
