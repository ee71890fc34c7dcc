"""Section "runtimes": a CRI runtime beside the reference store served over CRI.

Two systems, one client: the system under test (``--sut cri|crio``, built by
the same adapters as ``run``) and the reference store behind ``serve-cri``
(``--sut cri --cri-launch 'python -m artifact_conformance serve-cri ...'``).
Both are driven through the cri adapter (``CriClient``: ImageStatus, ListImages,
PullImage), against the same files:

- **look-ups**: ``status`` by tag, by ID, and ``list``, with N artifacts in
  read-only stores (N = 100 ... 100,000, spread over 1 and over 4 stores; the
  main store is empty). Each call's deadline is the bound (``bound_s``): a
  call that does not answer in time makes that size "over N s", the runtime
  is restarted (it is still busy with the call), and the larger sizes of that
  series (system, stores, operation) are not attempted. A call that answers
  after the bound (the client's decoding of a huge list counts) is over too. Each size gets a
  fresh runtime process; the first call after its start is recorded on its
  own (``first_us``) and the median is of the calls after it (the first call
  alone when the budget allowed no more).
- **memory**: the runtime process's VmRSS and VmHWM (``/proc/<pid>/status``)
  after the look-ups at each size: for serve-cri the Python process serving
  CRI, for CRI-O the crio process itself.
- **pulls** into the main store (one large single-layer artifact, one with
  many layers) from a local registry: wall time through PullImage, and
  throughput;
- **skipped pull**: a pull the read-only store satisfies, through the
  traffic probe: registry requests and blob bytes.

Before a size is timed its answers are checked: status by tag and by ID name
the artifact's manifest digest, and list has N entries. A wrong answer stops
the series with the answer recorded.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.fixtures.adapters import cri_settings as cri
from artifact_conformance.fixtures.adapters.cri import CriAdapter, launch_check
from artifact_conformance.fixtures.adapters.cri_errors import CriEndpointError
from artifact_conformance.fixtures.adapters.interface import NodeConfig, SutOptions
from artifact_conformance.fixtures.adapters.selection import create_sut
from artifact_conformance.fixtures.adapters.sut_errors import SutError
from artifact_conformance.fixtures.probe.traffic_probe import TrafficProbe
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, Layer, random_content, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore

from .big_artifacts import StreamingPusher
from .growth import fitted_exponent
from .measure import summarize_ns
from .pulls import MIB, _push
from .skipped import traffic_of
from .synthetic_layouts import Population, settle, write_population

OPERATIONS = ("status_by_tag", "status_by_id", "list")
REFERENCE = "reference"
SUT = "sut"
SYSTEMS = (SUT, REFERENCE)
MEASURED, OVER, NOT_ATTEMPTED, WRONG, FAILED = "measured", "over", "not attempted", "wrong answer", "failed"
START_TIMEOUT_S = 300.0  # serve-cri parses 100,000 entries at start; CRI-O starts in about a second
PULL_TIMEOUT_S = 1800.0


def serve_cri_launch() -> str:
    """The reference store over CRI, from this interpreter (no PATH assumed)."""
    return f"{sys.executable} -m artifact_conformance serve-cri --listen unix://{{socket}} --config {{config}}"


@dataclass(frozen=True)
class RuntimeOptions:
    # 300 and 3,000 give a runtime that goes over the bound early two measured sizes to fit.
    sizes: tuple[int, ...] = (100, 300, 1000, 3000, 10000, 100000)
    spreads: tuple[int, ...] = (1, 4)  # read-only stores the artifacts are spread over
    operations: tuple[str, ...] = OPERATIONS
    bound_s: float = 30.0  # one call's deadline: beyond it, "over bound_s"
    status_calls: int = 20
    list_calls: int = 5
    budget_s: float = 3.0  # per operation, size and system: fewer calls once spent
    sample: int = 20
    single_layer_bytes: int = 1 << 30
    layers: int = 64
    layer_bytes: int = 4 << 20
    skipped_layer_bytes: int = 4 << 20
    seed: int = 13


QUICK = RuntimeOptions(sizes=(20, 200), spreads=(1, 4), status_calls=5, list_calls=3, budget_s=0.5, sample=5,
                       single_layer_bytes=16 << 20, layers=8, layer_bytes=1 << 20, skipped_layer_bytes=1 << 20)


def reference_options(bound_s: float, timeout_s: float | None = None) -> SutOptions:
    return SutOptions(name="cri", settings={cri.LAUNCH: serve_cri_launch(), cri.CALL_TIMEOUT: f"{timeout_s or bound_s:g}",
                                            cri.START_TIMEOUT: f"{START_TIMEOUT_S:g}"})


def with_timeout(options: SutOptions, timeout_s: float) -> SutOptions:
    settings = dict(options.settings)
    settings[cri.CALL_TIMEOUT] = f"{timeout_s:g}"
    settings.setdefault(cri.START_TIMEOUT, f"{START_TIMEOUT_S:g}")
    return SutOptions(name=options.name, settings=settings)


class Systems:
    """Builds fresh adapters for the system under test and the reference, with a call deadline."""

    def __init__(self, sut: SutOptions) -> None:
        self.sut = sut

    def make(self, system: str, timeout_s: float) -> CriAdapter:
        options = with_timeout(self.sut if system == SUT else reference_options(timeout_s), timeout_s)
        adapter = create_sut(options)
        if not isinstance(adapter, CriAdapter) or not adapter.settings.launch:
            raise cri.CriSettingsError(
                f"the bench starts the system under test per store size: --sut {options.name} must be a CRI adapter "
                "in launch mode (--sut crio, or --sut cri --cri-launch 'COMMAND {socket} {config}')")
        return adapter


def run(workdir: Path, registry: RegistryEndpoint | None, sut: SutOptions, options: RuntimeOptions,
        progress: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    systems = Systems(sut)
    described = {}
    for system in SYSTEMS:
        adapter = systems.make(system, options.bound_s)
        described[system] = {"adapter": adapter.name, "launch": adapter.describe_launch(),
                             "who": _who(adapter, workdir / f"who-{system}")}
    result: dict[str, Any] = {
        "status": "ok", "reason": None, "options": asdict(options), "bound_s": options.bound_s,
        "systems": described,
    }
    result.update(measure_lookups(workdir, systems, options, progress))
    wrong = [f"{s['system']} {s['stores']}x {s['operation']}" for s in result["series"]
             if any(p["state"] in (WRONG, FAILED) for p in s["points"])]
    if registry is None:
        result["pulls"] = result["skipped"] = {"status": "error", "reason": "no registry"}
    else:
        result["pulls"] = _guarded(lambda: _pulls(workdir / "pulls", registry, systems, options, progress))
        result["skipped"] = _guarded(lambda: _skipped(workdir / "skipped", registry, systems, options, progress))
    problems = wrong and [f"wrong answers or a runtime that failed: {', '.join(wrong)}"] or []
    problems += [f"{name}: {result[name].get('reason')}" for name in ("pulls", "skipped")
                 if result[name].get("status") != "ok"]
    if problems:
        result["status"], result["reason"] = "error", "; ".join(problems)
    return result


def _who(adapter: CriAdapter, workdir: Path) -> str:
    try:
        return launch_check(adapter, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _guarded(section: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return section()
    except Exception as error:  # noqa: BLE001 - the look-up figures stand without the pulls
        return {"status": "error", "reason": f"{type(error).__name__}: {error}"}


# -- look-ups -------------------------------------------------------------------------------
class _Series:
    def __init__(self, system: str, stores: int, operation: str) -> None:
        self.system, self.stores, self.operation = system, stores, operation
        self.points: list[dict[str, Any]] = []
        self.stopped: str | None = None  # why larger sizes are not attempted

    def document(self) -> dict[str, Any]:
        measured = [p for p in self.points if p["state"] == MEASURED]
        exponent = fitted_exponent([p["artifacts"] for p in measured], [p["median_us"] for p in measured])
        return {"system": self.system, "stores": self.stores, "operation": self.operation, "points": self.points,
                "growth": {"exponent": exponent, "fitted_sizes": [p["artifacts"] for p in measured],
                           "left_out": [p["artifacts"] for p in self.points if p["state"] != MEASURED]}}


def measure_lookups(workdir: Path, systems: Systems, options: RuntimeOptions,
                    progress: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """Write the layouts (all sizes, all spreads), let them settle, time both systems, remove them."""
    progress(f"runtimes: writing layouts ({', '.join(f'{n:,}' for n in options.sizes)} artifacts over "
             f"{' and '.join(map(str, options.spreads))} read-only stores)")
    populations = {(stores, size): write_population(workdir / f"layouts-{stores}-{size}", size, stores,
                                                    duplicate_every=0, in_main=False)
                   for stores in options.spreads for size in options.sizes}
    waited_s = settle([p for population in populations.values() for p in population.index_paths])
    try:
        found = _lookups(workdir, systems, populations, options, progress)
    finally:
        for population in populations.values():
            shutil.rmtree(population.root.parent, ignore_errors=True)
    return {**found, "settled_wait_s": waited_s,
            "layout_write_s": {f"{stores}x{size}": population.written_s
                               for (stores, size), population in populations.items()}}


def _lookups(workdir: Path, systems: Systems, populations: dict[tuple[int, int], Population],
             options: RuntimeOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    series = {(system, stores, operation): _Series(system, stores, operation)
              for stores in options.spreads for system in SYSTEMS for operation in options.operations}
    memory = []
    for (stores, size), population in populations.items():
        rng = random.Random(options.seed + size + stores)
        sampled = rng.sample(population.artifacts, min(options.sample, size))
        queries = {"status_by_tag": [a.reference for a in sampled],
                   "status_by_id": [a.digest.removeprefix("sha256:") for a in sampled],
                   "list": [None]}
        for system in SYSTEMS:
            wanted = [series[system, stores, op] for op in options.operations]
            for one in wanted:
                if one.stopped:
                    one.points.append({"artifacts": size, "state": NOT_ATTEMPTED, "reason": one.stopped})
            active = [one for one in wanted if not one.stopped]
            if not active:
                continue
            progress(f"runtimes: {system} at {size:,} artifacts over {stores} store(s)")
            node = NodeConfig(root=workdir / f"main-{system}-{stores}-{size}", additional_stores=tuple(
                str(p) for p in population.additional))
            try:
                memory.append({"system": system, "stores": stores, "artifacts": size,
                               **_one_size(systems, system, node, active, queries, sampled, size, options)})
            except (SutError, CriEndpointError) as error:  # it would not start (again): say so, go on
                for one in active:
                    if not one.points or one.points[-1]["artifacts"] != size:
                        one.points.append({"artifacts": size, "state": FAILED,
                                           "reason": f"{type(error).__name__}: {error}"})
                    one.stopped = one.stopped or f"the runtime failed at {size:,}"
            shutil.rmtree(node.root, ignore_errors=True)
    return {"series": [one.document() for one in series.values()], "memory": memory}


def _one_size(systems: Systems, system: str, node: NodeConfig, active: list[_Series], queries: dict[str, list],
              sampled, size: int, options: RuntimeOptions) -> dict[str, Any]:
    adapter = systems.make(system, options.bound_s)
    rss: list[dict[str, float | None]] = []
    try:
        started = time.perf_counter()
        adapter.start(node)
        start_s = time.perf_counter() - started
        for one in active:
            call = adapter.list if one.operation == "list" else adapter.status
            limit = options.list_calls if one.operation == "list" else options.status_calls
            point = _timed(call, queries[one.operation], limit, options)
            point = {"artifacts": size, **point}
            if point["state"] == MEASURED:
                wrong = _check(one.operation, point.pop("answer"), sampled[0], size)
                if wrong:
                    point = {"artifacts": size, "state": WRONG, "reason": wrong}
            else:
                point.pop("answer", None)
            one.points.append(point)
            if point["state"] == OVER:
                one.stopped = f"over {options.bound_s:g} s at {size:,}"
            elif point["state"] == WRONG:
                one.stopped = f"wrong answer at {size:,}"
            if point["state"] != MEASURED and one is not active[-1]:
                # Still busy with the call that timed out: a fresh process for the next operation.
                # Its own main root: the stopped one may still hold the old root's lock while it exits.
                rss.append(process_memory(adapter.runtime_pid()))
                adapter.stop()
                node = node.with_changes(root=Path(f"{node.root}-{len(rss)}"))
                adapter.start(node)
        rss.append(process_memory(adapter.runtime_pid()))
    finally:
        adapter.stop()
    return {"start_s": start_s, "rss_mib": rss[-1]["rss_mib"],
            "hwm_mib": max((r["hwm_mib"] for r in rss if r["hwm_mib"] is not None), default=None)}


def _timed(call: Callable[..., Any], arguments: list, limit: int, options: RuntimeOptions) -> dict[str, Any]:
    """Time up to ``limit`` calls (cycling through ``arguments``) within the budget."""
    samples: list[int] = []
    answer = None
    started = time.perf_counter()
    for i in range(limit):
        argument = arguments[i % len(arguments)]
        before = time.perf_counter_ns()
        try:
            result = call() if argument is None else call(argument)
        except SutError as error:
            if "did not answer within" in str(error):
                return {"state": OVER, "bound_s": options.bound_s, "calls_before": len(samples)}
            return {"state": WRONG, "reason": f"{type(error).__name__}: {error}"}
        samples.append(time.perf_counter_ns() - before)
        if samples[-1] > options.bound_s * 1e9:  # answered, but after the bound (the client's own work counts)
            return {"state": OVER, "bound_s": options.bound_s, "calls_before": len(samples) - 1,
                    "answered_after_s": samples[-1] / 1e9}
        if i == 0:
            answer = result
        if time.perf_counter() - started > options.budget_s:
            break
    timed = samples[1:] or samples
    summary = summarize_ns(timed)
    return {"state": MEASURED, "calls": len(timed), "first_us": samples[0] / 1000, "median_us": summary["median_us"],
            "p99_us": summary["p99_us"], "min_us": summary["min_us"], "max_us": summary["max_us"], "answer": answer}


def _check(operation: str, answer: Any, first, size: int) -> str | None:
    """The first call's answer names the sampled artifact (status) or holds every artifact (list)."""
    if operation == "list":
        return None if len(answer) == size else f"list answered {len(answer):,} entries, not {size:,}"
    wanted = first.digest.removeprefix("sha256:")
    got = answer.id.removeprefix("sha256:")
    return None if got == wanted else f"status answered image {got}, not {wanted}"


def process_memory(pid: int | None) -> dict[str, float | None]:
    """VmRSS and VmHWM (peak) of a local process, in MiB; None when it cannot be read."""
    found: dict[str, float | None] = {"rss_mib": None, "hwm_mib": None}
    if pid is None:
        return found
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found["rss_mib" if key == "VmRSS" else "hwm_mib"] = int(value.split()[0]) / 1024
    return found


# -- pulls ------------------------------------------------------------------------------------
def _pulls(workdir: Path, registry: RegistryEndpoint, systems: Systems, options: RuntimeOptions,
           progress: Callable[[str], None]) -> dict[str, Any]:
    content = workdir / "content"
    content.mkdir(parents=True)
    progress("runtimes: pushing the pull artifacts")
    pusher = StreamingPusher(registry.url)
    try:
        artifacts = {
            "single_layer": _push(pusher, content, "bench-runtimes/single-layer", [options.single_layer_bytes],
                                  options.seed),
            "multi_layer": _push(pusher, content, "bench-runtimes/multi-layer", [options.layer_bytes] * options.layers,
                                 options.seed + 1),
        }
    finally:
        pusher.close()
        shutil.rmtree(content, ignore_errors=True)
    results: dict[str, Any] = {"status": "ok", "reason": None, "artifacts": {}}
    for name, artifact in artifacts.items():
        reference = artifact.reference(registry.address)
        entry: dict[str, Any] = {"reference": reference, "digest": artifact.digest, "layers": artifact.layers,
                                 "size_bytes": artifact.size}
        for system in SYSTEMS:
            progress(f"runtimes: {system} pulls {reference}")
            node = NodeConfig(root=workdir / f"root-{system}-{name}", insecure_registries=(registry.address,))
            adapter = systems.make(system, PULL_TIMEOUT_S)
            try:
                adapter.start(node)
                started = time.perf_counter()
                try:
                    pulled = adapter.pull(reference)
                    outcome: dict[str, Any] = {"id": pulled.id}
                except SutError as error:
                    outcome = {"error": f"{type(error).__name__}: {error}"}
                wall = time.perf_counter() - started
                memory = process_memory(adapter.runtime_pid())
            finally:
                adapter.stop()
                shutil.rmtree(node.root, ignore_errors=True)
            ok = outcome.get("id", "").removeprefix("sha256:") == artifact.digest.removeprefix("sha256:")
            entry[system] = {**outcome, "ok": ok, "wall_s": wall,
                             "throughput_mib_s": artifact.size / MIB / wall if wall > 0 else None, **memory}
            if not ok:
                results["status"] = "error"
                results["reason"] = f"{system} did not pull {reference} as {artifact.digest}: {outcome}"
        entry["ratio"] = (entry[SUT]["wall_s"] / entry[REFERENCE]["wall_s"]
                          if entry[SUT]["ok"] and entry[REFERENCE]["ok"] else None)
        results["artifacts"][name] = entry
    return results


def _skipped(workdir: Path, registry: RegistryEndpoint, systems: Systems, options: RuntimeOptions,
             progress: Callable[[str], None]) -> dict[str, Any]:
    results: dict[str, Any] = {"status": "ok", "reason": None, "layer_bytes": options.skipped_layer_bytes}
    with TrafficProbe(registry.address) as probe:
        with ArtifactBuilder(registry.address, probe.address) as builder:
            artifact = builder.artifact(unique_repository("bench-runtimes-skipped"), "v1", layers=[
                Layer(content=random_content(options.skipped_layer_bytes), title="model.bin")])
        read_only = ReadOnlyStore(workdir / "read-only")
        read_only.add(artifact)
        results["reference"] = artifact.reference
        for system in SYSTEMS:
            progress(f"runtimes: {system} pulls what a read-only store holds")
            node = NodeConfig(root=workdir / f"root-{system}", additional_stores=(str(read_only.path),),
                              insecure_registries=(probe.address,))
            adapter = systems.make(system, PULL_TIMEOUT_S)
            try:
                adapter.start(node)
                probe.clear()
                started = time.perf_counter()
                try:
                    pulled = adapter.pull(artifact.reference)
                    outcome: dict[str, Any] = {"id": pulled.id, "store": pulled.store}
                except SutError as error:
                    outcome = {"error": f"{type(error).__name__}: {error}"}
                wall = time.perf_counter() - started
                traffic = traffic_of(probe)
            finally:
                adapter.stop()
                shutil.rmtree(node.root, ignore_errors=True)
            results[system] = {**outcome, "wall_s": wall, **traffic}
            if "error" in outcome:
                results["status"], results["reason"] = "error", f"{system}: {outcome['error']}"
    return results
