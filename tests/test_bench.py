"""``artifact-conformance bench``: the quick configuration runs end to end and its
document has every section, every ratio, and the checks the figures rest on.

Times are never asserted (CI machines vary); what is asserted is that the bench
measured what it says it measured: both look-up implementations gave the same
answers, pulls stored the right digest, the skipped pull moved no blob byte.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from artifact_conformance import bench_command
from artifact_conformance.bench import growth, report, run, runtime_tables, runtimes
from artifact_conformance.bench.measure import summarize_ns
from artifact_conformance.bench.naive_store import NaiveLayeredStore, answer_of
from artifact_conformance.bench.processes import measure
from artifact_conformance.bench.synthetic_layouts import REGISTRY, write_population
from artifact_conformance.cli import main
from artifact_conformance.fixtures.adapters import cri_settings as cri
from artifact_conformance.fixtures.adapters import crio as crio
from artifact_conformance.fixtures.adapters.crio_node import CrioUnavailable, find_crio
from artifact_conformance.fixtures.registry.endpoint import PROVIDERS
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
        assert list(quick_bench["sections"]) == list(run.DEFAULT_SECTIONS)
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

    def test_a_stalled_store_is_given_up_and_then_skipped_while_the_naive_peer_hangs(self, quick_bench):
        section = quick_bench["sections"]["slow_stores"]
        if section["status"] == "skipped":
            pytest.skip(section["reason"])
        for result in section["sizes"]:
            stall = result["stall"]
            assert section["stall_after_s"] <= stall["reference_first_ms"] / 1000 < section["stall_after_s"] + 1.5
            assert stall["reference_after"]["median_us"] < 500_000, "a stalled store is skipped within 0.2 s afterwards"
            assert isinstance(stall["peer_first_ms"], str) and stall["peer_first_ms"].startswith("over")
            assert result["warm"]["status"]["ratio"] > 1 and result["cold_ratio"] > 1


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
    assert bench_command.DEFAULT_SECTIONS == run.DEFAULT_SECTIONS
    assert bench_command.PROVIDERS == PROVIDERS
    assert bench_command.DEFAULT_BOUND_S == runtimes.RuntimeOptions().bound_s
    assert set(bench_command.CRI_SETTINGS.values()) <= {*cri.SETTING_KEYS, crio.BINARY}


# -- a runtime beside the reference store (section runtimes) ---------------------------
def _crio_missing() -> str | None:
    try:
        find_crio()
    except CrioUnavailable as error:
        return str(error)
    return None if os.geteuid() == 0 else "CRI-O needs root"


RUNTIMES = {
    "serve-cri": ["--sut", "cri", "--cri-launch", runtimes.serve_cri_launch()],
    "crio": ["--sut", "crio"],
}


@pytest.fixture(scope="module", params=list(RUNTIMES))
def runtime_bench(request, registry, tmp_path_factory) -> tuple[dict, Path]:
    if request.param == "crio" and _crio_missing():
        pytest.skip(f"no CRI-O here: {_crio_missing()}")
    out = tmp_path_factory.mktemp(f"bench-{request.param}") / "runtimes.json"
    status = main(["bench", *RUNTIMES[request.param], "--quick", "--json", str(out), "--registry-provider", "url",
                   "--registry-url", registry.url])
    document = json.loads(out.read_text())
    section = document["sections"]["runtimes"]
    assert status == 0, f"bench failed: {section.get('reason')}"
    return document, out


@pytest.mark.registry
class TestRuntimeBench:
    def test_only_the_runtimes_section_ran_for_the_named_system(self, runtime_bench):
        document, _ = runtime_bench
        assert list(document["sections"]) == ["runtimes"]
        section = document["sections"]["runtimes"]
        assert set(section["systems"]) == {"sut", "reference"}
        assert document["sut"]["name"] in ("cri", "crio")
        assert "serve-cri" in section["systems"]["reference"]["launch"]
        assert section["systems"]["reference"]["who"].startswith("artifact-conformance-reference")

    def test_every_series_has_every_size_answered_correctly_and_a_fitted_growth(self, runtime_bench):
        section = runtime_bench[0]["sections"]["runtimes"]
        options = runtimes.QUICK
        assert {(s["system"], s["stores"], s["operation"]) for s in section["series"]} == {
            (system, stores, operation) for system in runtimes.SYSTEMS for stores in options.spreads
            for operation in runtimes.OPERATIONS}
        for series in section["series"]:
            assert [p["artifacts"] for p in series["points"]] == list(options.sizes)
            # Far below the bound at these sizes: each was measured, its answers checked first.
            assert all(p["state"] == runtimes.MEASURED and p["median_us"] > 0 for p in series["points"]), series
            assert series["growth"]["fitted_sizes"] == list(options.sizes)
            assert isinstance(series["growth"]["exponent"], float)

    def test_the_runtime_s_own_memory_is_read_at_each_size(self, runtime_bench):
        section = runtime_bench[0]["sections"]["runtimes"]
        assert len(section["memory"]) == len(runtimes.SYSTEMS) * len(runtimes.QUICK.sizes) * len(runtimes.QUICK.spreads)
        assert all(m["rss_mib"] > 1 and m["hwm_mib"] >= m["rss_mib"] for m in section["memory"])

    def test_both_systems_pulled_the_pushed_digests_and_the_probe_counted_the_skipped_pull(self, runtime_bench):
        section = runtime_bench[0]["sections"]["runtimes"]
        pulls, skipped = section["pulls"], section["skipped"]
        assert pulls["status"] == "ok" and set(pulls["artifacts"]) == {"single_layer", "multi_layer"}
        for entry in pulls["artifacts"].values():
            for system in runtimes.SYSTEMS:
                assert entry[system]["ok"] and entry[system]["throughput_mib_s"] > 0
            assert entry["ratio"] > 0
        assert skipped["status"] == "ok"
        assert skipped["reference"]["blob_bytes"] == 0 and skipped["reference"]["requests"] == 0
        assert skipped["sut"]["blob_bytes"] >= 0 and isinstance(skipped["sut"]["requests"], int)

    def test_the_plot_and_the_page_are_written_beside_the_json(self, runtime_bench):
        _, out = runtime_bench
        png, svg, page = (out.with_name(f"runtimes.{kind}") for kind in ("png", "svg", "html"))
        assert png.read_bytes().startswith(b"\x89PNG\r\n")
        assert "<svg" in svg.read_text()
        text = page.read_text()
        assert "<svg" in text and "Fitted growth" in text and "serve-cri" in text


class FrozenSystems(runtimes.Systems):
    """Real runtimes, stopped with SIGSTOP once they serve: every call meets its deadline."""

    def make(self, system: str, timeout_s: float):
        adapter = super().make(system, timeout_s)
        start, stop = adapter.start, adapter.stop

        def frozen_start(node):
            start(node)
            os.kill(adapter.runtime_pid(), signal.SIGSTOP)
            _wait_until_stopped(adapter.runtime_pid())

        def thawed_stop():
            if adapter.runtime_pid() is not None:
                os.kill(adapter.runtime_pid(), signal.SIGCONT)
            stop()

        adapter.start, adapter.stop = frozen_start, thawed_stop
        return adapter


def _wait_until_stopped(pid: int, timeout_s: float = 10) -> None:
    """SIGSTOP is delivered when each thread next runs: on a loaded machine a
    server thread may still answer one call after kill() returned. Wait until
    every thread of ``pid`` is in state T (stopped)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                continue
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not stop within {timeout_s} s of SIGSTOP")


def test_a_call_over_the_bound_is_reported_over_and_larger_sizes_are_not_attempted(tmp_path):
    options = dataclasses.replace(runtimes.QUICK, sizes=(5, 10), spreads=(1,), bound_s=0.5,
                                  operations=("status_by_tag", "list"))
    systems = FrozenSystems(runtimes.reference_options(options.bound_s))
    found = runtimes.measure_lookups(tmp_path, systems, options)
    for series in found["series"]:
        first, second = series["points"]
        assert first == {"artifacts": 5, "state": runtimes.OVER, "bound_s": 0.5, "calls_before": 0}
        assert second["state"] == runtimes.NOT_ATTEMPTED and second["reason"] == "over 0.5 s at 5"
        assert series["growth"]["exponent"] is None and series["growth"]["left_out"] == [5, 10]
    section = {"series": found["series"], "memory": found["memory"], "bound_s": 0.5}
    rows = runtime_tables.latency_table(section, "SUT").rows
    assert ("1", "status by tag", "5", "over 0.5 s", "over 0.5 s", "-") in rows
    assert [m["artifacts"] for m in found["memory"]] == [5, 5]
    assert [m["artifacts"] for m in found["memory"]] == [5, 5] and all(m["hwm_mib"] for m in found["memory"])


def test_the_fitted_exponent_is_the_log_log_slope():
    sizes = [100, 1000, 10000]
    assert growth.fitted_exponent(sizes, [3 * n**2 for n in sizes]) == pytest.approx(2.0)
    assert growth.fitted_exponent(sizes, [5.0, 5.0, 5.0]) == pytest.approx(0.0)
    assert growth.fitted_exponent([100], [1.0]) is None
    over = {"state": runtimes.OVER, "bound_s": 30.0}
    assert runtime_tables.ratio_of(over, {"state": runtimes.MEASURED, "median_us": 1000.0}) == (30000.0, True)


@pytest.mark.parametrize("argv, says", [
    (["--crio-binary", "/x"], "give --sut"),
    (["--sut", "cri"], "exactly one of"),
    (["--sut", "crio", "--cri-launch", "true {socket} {config}"], "starts CRI-O itself"),
    (["--sut", "cri", "--cri-launch", "true {socket} {config}", "--crio-binary", "/x"], "applies to --sut crio"),
])
def test_a_wrong_system_under_test_is_a_usage_error_naming_it(argv, says, capsys):
    assert main(["bench", *argv]) == 2
    assert says in capsys.readouterr().err
