"""Section "slow_stores": the reference store on a remote-like export, next to peers.

A read-only store of N artifacts is served by the harness's FUSE export
(``fixtures/stores/network_fs``) with a latency per operation (20 ms: a
remote NFS export), beside a second read-only store on the local disk. Timed
in one run, on the same files:

- **cold**: building the store and listing once (every manifest is read
  over the slow link), against the same reference with its manifests read
  one by one (``reader.parallel = None``): the ratio is what reading 8 at a
  time buys;
- **warm**: ``status`` of an artifact of the slow store and ``list``, against
  ``NaiveLayeredStore`` (the bench's peer: re-reads every index.json and
  manifest on each call, as a runtime without a cache does);
- **stall**: the export stalls (every operation blocks), and ``status`` of
  an artifact of the *local* store is timed: the first call (which meets
  the stall and gives the store up after ``STALL_AFTER_S``) and the calls
  after it (which skip the stalled store at once), against the naive peer,
  whose call is given ``bound_s`` and counted "over" when it does not answer.

Needs root and /dev/fuse; elsewhere the section says why and is skipped.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.fixtures.stores.mounting import MountUnavailable
from artifact_conformance.fixtures.stores.network_mount import NetworkMount
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.store import ArtifactStore
from artifact_conformance.simulator.store_reads import STALL_AFTER_S

from .measure import ratio, summarize_ns, time_calls
from .naive_store import NaiveLayeredStore
from .synthetic_layouts import write_population


@dataclass(frozen=True)
class SlowStoreOptions:
    sizes: tuple[int, ...] = (50, 200)
    latency_ms: int = 20
    calls: int = 20
    peer_calls: int = 3  # the naive peer re-reads the slow store on every call: seconds each
    budget_s: float = 10.0
    bound_s: float = 10.0  # a call during the stall that has not answered by then is "over"


QUICK = SlowStoreOptions(sizes=(20,), calls=5, peer_calls=2, budget_s=2.0, bound_s=4.0)


def run(workdir: Path, options: SlowStoreOptions) -> dict[str, Any]:
    results = []
    for size in options.sizes:
        try:
            results.append(_one_size(workdir / f"slow-{size}", size, options))
        except MountUnavailable as error:
            return {"status": "skipped", "reason": f"no FUSE export here: {error.reason}", "options": asdict(options)}
    return {
        "status": "ok",
        "options": asdict(options),
        "stall_after_s": STALL_AFTER_S,
        "how": ("store 1 of 2 on the harness's FUSE export (no kernel caching) with "
                f"{options.latency_ms} ms per operation; store 2 and the main store on the local disk"),
        "sizes": results,
    }


def _one_size(base: Path, size: int, options: SlowStoreOptions) -> dict[str, Any]:
    population = write_population(base, size, read_only_stores=2, duplicate_every=10**9, in_main=False)
    slow, local = population.additional
    backing = base / "export"
    shutil.move(str(slow), backing)
    slow.mkdir()
    export = NetworkMount(backing, slow, base / "export.log")
    export.start()
    try:
        export.command({"latency_s": options.latency_ms / 1000})
        in_slow = [a.reference for a in population.artifacts if a.store == 0]
        in_local = [a.reference for a in population.artifacts if a.store == 1]
        config = StoreConfig.build(root=str(population.root), additional_artifact_stores=[str(slow), str(local)],
                                   source="<bench>")
        cold, store = _cold(config, parallel=True)
        cold_serial, _ = _cold(config, parallel=False)
        naive = NaiveLayeredStore(population.main_layout, population.additional_layouts)
        warm = {
            "status": _pair(time_calls(store.status, in_slow, options.calls, options.budget_s),
                            time_calls(naive.status, in_slow, options.peer_calls)),
            "list": _pair(time_calls(lambda _: store.list(), [None], options.calls, options.budget_s),
                          time_calls(lambda _: naive.list(), [None], options.peer_calls)),
        }
        export.command({"stall": True})
        stall = {"reference_first_ms": _timed_ms(lambda: store.status(in_local[0]), options.bound_s),
                 "reference_after": summarize_ns(time_calls(store.status, in_local, options.calls, options.budget_s)),
                 "peer_first_ms": _timed_ms(lambda: naive.status(in_local[0]), options.bound_s)}
        export.command({"stall": False})
        return {"artifacts": size, "in_slow_store": len(in_slow), "cold_list_ms": cold,
                "cold_list_one_by_one_ms": cold_serial, "cold_ratio": ratio(cold_serial, cold),
                "warm": warm, "stall": stall, "operations_served": export.report()["operations"]}
    finally:
        export.close()
        shutil.rmtree(base, ignore_errors=True)


def _cold(config: StoreConfig, parallel: bool) -> tuple[float, ArtifactStore]:
    """A store's first list with nothing read yet, in ms (its start-up is not timed: the caches it
    filled are emptied); ``parallel=False`` reads the manifests one by one."""
    store = ArtifactStore(config)
    for reader in store.additional:
        if not parallel:
            reader.parallel = None
        reader._manifests.clear()  # noqa: SLF001 - the bench measures the cold read
        reader._snapshot = reader._cache_key = reader._raw_index = None  # noqa: SLF001
    started = time.perf_counter_ns()
    store.list()
    return (time.perf_counter_ns() - started) / 1e6, store


def _pair(ours: list[int], theirs: list[int]) -> dict[str, Any]:
    simulator, peer = summarize_ns(ours), summarize_ns(theirs)
    return {"simulator": simulator, "peer": peer, "ratio": ratio(peer["median_us"], simulator["median_us"])}


def _timed_ms(call, bound_s: float) -> float | str:
    """``call``'s wall time in ms, or "over <bound> s" when it has not returned by then (left running)."""
    done = threading.Event()
    started = time.perf_counter()

    def run() -> None:
        try:
            call()
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="slow_stores: a call during the stall").start()
    if not done.wait(bound_s):
        return f"over {bound_s:g} s"
    return (time.perf_counter() - started) * 1000
