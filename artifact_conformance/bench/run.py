"""Run the bench's sections and gather one JSON-able document.

Each section runs in its own scratch directory under one temporary directory
(``/tmp`` unless told otherwise), which is removed at the end, 1 GiB files
included. A section that fails is recorded as ``{"status": "error", ...}`` and
the others still run. ``--quick`` shrinks every section so the whole bench
proves it works in well under half a minute (see ``configuration``).

Section "runtimes" runs when a system under test is given (``--sut``): that
runtime beside the reference store served over CRI (``runtimes``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.fixtures.adapters.interface import SutOptions
from artifact_conformance.fixtures.registry.endpoint import provide_registry

from . import lookups, pulls, runtimes, skipped, slow_stores, suite_time
from .machine import describe, load_average

FORMAT = "artifact-conformance-bench/1"
SECTIONS = ("lookups", "pulls", "skipped", "suite", "slow_stores", "runtimes")
DEFAULT_SECTIONS = ("lookups", "pulls", "skipped", "suite", "slow_stores")  # without --sut
NEEDS_REGISTRY = ("pulls", "skipped", "runtimes")


@dataclass(frozen=True)
class BenchOptions:
    quick: bool = False
    only: tuple[str, ...] = DEFAULT_SECTIONS
    scratch_parent: str = "/tmp"
    registry_url: str | None = None
    registry_image: str = "registry:2"
    registry_provider: str = "auto"
    sut: SutOptions | None = None  # the runtimes section's system under test
    bound_s: float | None = None  # the runtimes section's per-call bound (default RuntimeOptions.bound_s)


@dataclass(frozen=True)
class Configuration:
    lookups: lookups.LookupOptions
    pulls: pulls.PullOptions
    skipped: skipped.SkippedOptions
    suite: suite_time.SuiteOptions
    slow_stores: slow_stores.SlowStoreOptions
    runtimes: runtimes.RuntimeOptions


def configuration(quick: bool, bound_s: float | None = None) -> Configuration:
    chosen = runtimes.QUICK if quick else runtimes.RuntimeOptions()
    if bound_s is not None:
        chosen = dataclasses.replace(chosen, bound_s=bound_s)
    if not quick:
        return Configuration(lookups.LookupOptions(), pulls.PullOptions(), skipped.SkippedOptions(),
                             suite_time.SuiteOptions(), slow_stores.SlowStoreOptions(), chosen)
    return Configuration(
        lookups.LookupOptions(sizes=(1000,), sample=100, peer_queries=10, calls=300, list_calls=30,
                              peer_calls=20, budget_s=0.5, syscall_calls=50),
        pulls.PullOptions(single_layer_bytes=64 << 20, layers=8, layer_bytes=1 << 20, repeats=1),
        skipped.SkippedOptions(layer_bytes=1 << 20),
        suite_time.SuiteOptions(selection=suite_time.QUICK_SELECTION),
        slow_stores.QUICK,
        chosen,
    )


def run_bench(options: BenchOptions, progress: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    config = configuration(options.quick, options.bound_s)
    document: dict[str, Any] = {
        "format": FORMAT,
        "machine": describe(),
        "quick": options.quick,
        "only": list(options.only),
        "sut": None if options.sut is None else {"name": options.sut.name, "settings": dict(options.sut.settings)},
        "configuration": asdict(config),
        "sections": {},
    }
    selected = [name for name in SECTIONS if name in options.only]
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="artifact-conformance-bench-", dir=options.scratch_parent)))
        registry = None
        if any(name in NEEDS_REGISTRY for name in selected):
            try:
                progress("starting a registry")
                registry = stack.enter_context(provide_registry(options.registry_url, options.registry_image,
                                                                provider=options.registry_provider))
                document["registry"] = registry.url
            except Exception as error:  # noqa: BLE001 - reported as the sections' error
                document["registry_error"] = f"{type(error).__name__}: {error}"
        for name in selected:
            progress(f"section {name}")
            section_started = time.perf_counter()
            work = scratch / name
            work.mkdir()
            if name in NEEDS_REGISTRY and registry is None:
                result = {"status": "error", "reason": f"no registry: {document.get('registry_error')}"}
            else:
                result = _run_section(name, work, registry, config, options.sut, progress)
            result["section_wall_s"] = time.perf_counter() - section_started
            document["sections"][name] = result
    document["wall_s"] = time.perf_counter() - started
    document["machine"]["load_average_at_end"] = load_average()
    return document


def _run_section(name: str, work: Path, registry, config: Configuration, sut: SutOptions | None,
                 progress: Callable[[str], None]) -> dict[str, Any]:
    try:
        if name == "runtimes":
            if sut is None:
                return {"status": "error", "reason": "the runtimes section needs a system under test (--sut)"}
            return runtimes.run(work, registry, sut, config.runtimes, progress)
        if name == "lookups":
            return lookups.run(work, config.lookups)
        if name == "pulls":
            return pulls.run(work, registry, config.pulls)
        if name == "skipped":
            return skipped.run(work, registry, config.skipped)
        if name == "slow_stores":
            return slow_stores.run(work, config.slow_stores)
        return suite_time.run(work, config.suite)
    except Exception as error:  # noqa: BLE001 - one broken section must not hide the others
        return {"status": "error", "reason": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc(limit=8)}


def failed_sections(document: dict[str, Any]) -> list[str]:
    return [name for name, section in document["sections"].items() if section.get("status") == "error"]
