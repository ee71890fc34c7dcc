"""Section "lookups": status by tag, by ID prefix, and list, at scale.

For each size, artifacts are spread over 1 main + 4 read-only stores written
straight to disk (``synthetic_layouts``). The reference store (``ArtifactStore``)
is timed against ``NaiveLayeredStore`` on the same layouts, after both have
answered the same sampled queries identically (plus a miss and an ambiguous
prefix, compared by error type, and one full ``list``).

The timed figures are for a *settled* cache: every index.json is older than
the layout cache's racy window (3 s), so an unchanged store costs one ``stat``.
The unsettled figure (index.json younger than 3 s: its bytes are re-read and
compared on each look-up, but not re-parsed) is reported as its own row.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.errors import ArtifactStoreError
from artifact_conformance.simulator.layout import RACY_WINDOW_NS
from artifact_conformance.simulator.store import ArtifactStore

from .measure import ratio, summarize_ns, time_calls
from .naive_store import NaiveLayeredStore, answer_of
from .synthetic_layouts import REGISTRY, Population, settle, unsettle, write_population

STATUS_TARGET_US = 1000.0  # "well under 1 ms" at the largest size
RATIO_TARGET = 100.0  # ">= 100x faster than the peer"
OPERATIONS = ("status_by_tag", "status_by_id", "list")


@dataclass(frozen=True)
class LookupOptions:
    sizes: tuple[int, ...] = (1000, 10000)
    read_only_stores: int = 4
    sample: int = 200  # distinct queries of each kind the reference store is timed on
    peer_queries: int = 25  # of those, how many are checked for agreement and timed on the peer
    calls: int = 2000  # timed status calls per operation (reference store)
    list_calls: int = 200
    peer_calls: int = 200
    budget_s: float = 5.0  # per operation and implementation; fewer calls when exceeded
    syscall_calls: int = 100
    id_prefix_length: int = 12
    seed: int = 7


def run(workdir: Path, options: LookupOptions) -> dict[str, Any]:
    populations = [write_population(workdir / f"lookups-{size}", size, options.read_only_stores)
                   for size in options.sizes]
    waited_s = settle([path for p in populations for path in p.index_paths])
    try:
        results = [_one_size(population, options) for population in populations]
    finally:
        for population in populations:
            shutil.rmtree(population.root.parent, ignore_errors=True)
    agreed = all(r["agreement"]["identical"] for r in results)
    return {
        "status": "ok" if agreed else "error",
        "reason": None if agreed else "the reference store and the peer disagreed on sampled answers",
        "options": asdict(options),
        "stores": {"main": 1, "read_only": options.read_only_stores},
        "settled": {
            "how": ("index.json mtime set 10 s back with os.utime, then waited until ctime too was older "
                    f"than the {RACY_WINDOW_NS / 1e9:g} s racy window (os.utime cannot move ctime back)"),
            "waited_s": waited_s,
        },
        "unsettled": {"how": "index.json mtime set 1 h ahead with os.utime: never older than the racy window"},
        "targets": {
            "stats_per_store_per_lookup": 1.0,
            "status_median_us_below": STATUS_TARGET_US,
            "ratio_at_least": RATIO_TARGET,
            "at_artifacts": max(options.sizes),
        },
        "sizes": results,
    }


def _one_size(population: Population, options: LookupOptions) -> dict[str, Any]:
    size = len(population.artifacts)
    config = StoreConfig.build(root=str(population.root),
                               additional_artifact_stores=[str(p) for p in population.additional],
                               source="<bench>")
    started = time.perf_counter_ns()
    store = ArtifactStore(config)
    listed = store.list()
    startup_ns = time.perf_counter_ns() - started
    naive = NaiveLayeredStore(population.main_layout, population.additional_layouts)

    rng = random.Random(options.seed + size)
    sampled = rng.sample(population.artifacts, min(options.sample, size))
    queries = {
        "status_by_tag": [a.reference for a in sampled],
        "status_by_id": [a.digest.split(":", 1)[1][:options.id_prefix_length] for a in sampled],
    }
    peer_count = min(options.peer_queries, len(sampled))
    agreement = _check_agreement(store, naive, queries, peer_count)
    result: dict[str, Any] = {
        "artifacts": size,
        "index_entries": population.entries,
        "listed": len(listed),
        "layout_write_s": population.written_s,
        "startup_ms": startup_ns / 1e6,
        "queries_per_store": _histogram(population, sampled),
        "agreement": agreement,
        "operations": {},
    }
    if not agreement["identical"]:
        return result

    for operation in OPERATIONS:
        if operation == "list":
            ours = time_calls(lambda _: store.list(), [None], options.list_calls, options.budget_s)
            theirs = time_calls(lambda _: naive.list(), [None], options.peer_calls, options.budget_s)
        else:
            ours = time_calls(store.status, queries[operation], options.calls, options.budget_s)
            theirs = time_calls(naive.status, queries[operation][:peer_count], options.peer_calls, options.budget_s)
        simulator, peer = summarize_ns(ours, keep_samples=True), summarize_ns(theirs, keep_samples=True)
        result["operations"][operation] = {
            "simulator": simulator, "peer": peer,
            "ratio": ratio(peer["median_us"], simulator["median_us"]),
            "ratio_p99": ratio(peer["p99_us"], simulator["p99_us"]),
        }
    # A status stops at the store that resolves it: stores 1..k of the order are consulted.
    consulted = [a.store + 1 for a in sampled]
    result["syscalls_per_status"] = _syscalls(store.status, queries["status_by_tag"], consulted, options.syscall_calls)

    # Last: moving mtime ahead also moves ctime to now, so the stores stay unsettled.
    unsettle(population.index_paths)
    store.status(queries["status_by_tag"][0])  # the first call after the change re-reads; not timed
    unsettled = summarize_ns(time_calls(store.status, queries["status_by_tag"], options.calls, options.budget_s),
                             keep_samples=True)
    result["unsettled_status_by_tag"] = {
        "simulator": unsettled,
        "syscalls": _syscalls(store.status, queries["status_by_tag"], consulted, options.syscall_calls),
        "ratio_to_settled": ratio(unsettled["median_us"], result["operations"]["status_by_tag"]["simulator"]["median_us"]),
        "peer_ratio": ratio(result["operations"]["status_by_tag"]["peer"]["median_us"], unsettled["median_us"]),
    }
    return result


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except ArtifactStoreError as error:
        return "error", type(error).__name__


def _check_agreement(store: ArtifactStore, naive: NaiveLayeredStore, queries: dict[str, list[str]],
                     count: int) -> dict[str, Any]:
    checked = [q for kind in ("status_by_tag", "status_by_id") for q in queries[kind][:count]]
    # A miss everywhere, and a one-character prefix that matches many artifacts in the first store.
    checked += [f"{REGISTRY}/nowhere/missing:v1", "a"]
    differences = []
    for query in checked:
        ours = _outcome(lambda: answer_of(store.status(query)))
        theirs = _outcome(lambda: naive.status(query))
        if ours != theirs:
            differences.append({"query": query, "simulator": repr(ours), "peer": repr(theirs)})
    ours_list = [answer_of(record) for record in store.list()]
    theirs_list = naive.list()
    if ours_list != theirs_list:
        differences.append({"query": "list", "simulator": f"{len(ours_list)} entries",
                            "peer": f"{len(theirs_list)} entries"})
    return {
        "status_queries": len(checked),
        "list_entries": len(ours_list),
        "identical": not differences,
        "differences": differences[:10],
    }


def _histogram(population: Population, sampled) -> dict[str, int]:
    counts: dict[str, int] = {}
    for artifact in sampled:
        label = population.store_label(artifact.store)
        counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


@contextlib.contextmanager
def _counting() -> Iterator[dict[str, int]]:
    """Count os.stat and open() calls made by this process while inside."""
    counts = {"stat": 0, "open": 0}
    real_stat, real_open = os.stat, builtins.open

    def counting_stat(*args, **kwargs):
        counts["stat"] += 1
        return real_stat(*args, **kwargs)

    def counting_open(*args, **kwargs):
        counts["open"] += 1
        return real_open(*args, **kwargs)

    os.stat, builtins.open = counting_stat, counting_open
    try:
        yield counts
    finally:
        os.stat, builtins.open = real_stat, real_open


def _syscalls(call: Callable[[str], Any], queries: list[str], consulted: list[int], calls: int) -> dict[str, float]:
    stores = 0
    with _counting() as counts:
        for i in range(calls):
            call(queries[i % len(queries)])
            stores += consulted[i % len(queries)]
    return {
        "stat_per_call": counts["stat"] / calls,
        "open_per_call": counts["open"] / calls,
        "stores_consulted_per_call": stores / calls,
        "stat_per_consulted_store": counts["stat"] / stores,
    }
