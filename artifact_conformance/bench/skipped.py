"""Section "skipped": what a pull satisfied by a read-only store costs at the registry.

An artifact is pushed to the registry and written into a read-only store; the
reference store, configured to reach the registry only through a recording
``TrafficProbe``, pulls it (``artifact-conformance store pull`` in a
subprocess, so its wall time compares with skopeo's; the in-process call time
is recorded too). Target: no blob byte crosses the wire (required),
and no request at all (the optional level: an air-gapped node). For scale, the
same pull with no read-only store configured, and ``skopeo copy`` of the same
reference through the same probe, are recorded too.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.fixtures.probe.traffic_probe import TrafficProbe
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, Layer, random_content, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.crio_toml import crio_toml
from artifact_conformance.simulator.store import ArtifactStore

from .measure import ratio
from .processes import measure
from .pulls import simulator_command


@dataclass(frozen=True)
class SkippedOptions:
    layer_bytes: int = 4 << 20


def traffic_of(probe: TrafficProbe) -> dict[str, Any]:
    return {
        "requests": len(probe.requests),
        "manifest_requests": probe.count(kind="manifest"),
        "blob_requests": probe.count(kind="blob"),
        "blob_bytes": probe.blob_bytes(),
        "log": [f"{r.method} {r.path} {r.status} {r.bytes_sent}" for r in probe.requests],
    }


def run(workdir: Path, registry: RegistryEndpoint, options: SkippedOptions) -> dict[str, Any]:
    logs = workdir / "logs"
    with TrafficProbe(registry.address) as probe:
        with ArtifactBuilder(registry.address, probe.address) as builder:
            artifact = builder.artifact(unique_repository("bench-skipped"), "v1",
                                        layers=[Layer(content=random_content(options.layer_bytes), title="model.bin")])
        read_only = ReadOnlyStore(workdir / "skipped-ro")
        read_only.add(artifact)
        skipped = _simulator_pull(probe, workdir / "skipped", [read_only.path], artifact.reference, logs)
        skipped["in_process_s"] = _in_process_pull(probe, workdir / "in-process", [read_only.path], artifact.reference)
        full = _simulator_pull(probe, workdir / "full", [], artifact.reference, logs)
        peer = _skopeo_copy(probe, workdir / "skopeo", artifact.reference, logs)
    ok = skipped["skipped"] and skipped["digest"] == artifact.digest and skipped["main_store_unchanged"]
    return {
        "status": "ok" if ok else "error",
        "reason": None if ok else "the pull was not satisfied by the read-only store, or changed the main store",
        "options": asdict(options),
        "reference": artifact.reference,
        "digest": artifact.digest,
        "layer_bytes": options.layer_bytes,
        "targets": {"blob_bytes": 0, "requests_optional_level": 0},
        "simulator": skipped,
        "simulator_without_read_only_store": full,
        "peer": peer,
        "wall_ratio": ratio(peer and peer["wall_s"], skipped["wall_s"]),
    }


def _config(root: Path, additional: list[Path], probe: TrafficProbe) -> StoreConfig:
    return StoreConfig.build(root=str(root), additional_artifact_stores=[str(p) for p in additional],
                             insecure_registries=[probe.address], source="<bench>")


def _simulator_pull(probe: TrafficProbe, work: Path, additional: list[Path], reference: str,
                    logs: Path) -> dict[str, Any]:
    """``artifact-conformance store pull`` in a subprocess, as the pulls section runs it."""
    work.mkdir(parents=True)
    root = work / "root"
    config = work / "crio.toml"
    config.write_text(crio_toml(root, stores=additional, insecure=[probe.address]))
    probe.clear()
    result = measure(simulator_command("store", "--config", str(config), "--json", "pull", reference),
                     logs, f"simulator-{work.name}")
    traffic = traffic_of(probe)
    record = json.loads(result["stdout"]) if result["exit_code"] == 0 else {}
    main_index = root / "artifacts" / "index.json"
    main_manifests = json.loads(main_index.read_bytes()).get("manifests") if main_index.exists() else None
    return {
        "exit_code": result["exit_code"],
        "skipped": bool(record.get("skipped")),
        "digest": record.get("digest"),
        # Created empty by the store at start-up, and nothing added by a skipped pull.
        "main_store_unchanged": main_manifests == [],
        "wall_s": result["wall_s"],
        **traffic,
    }


def _in_process_pull(probe: TrafficProbe, root: Path, additional: list[Path], reference: str) -> float:
    """The skipped pull's own cost, without an interpreter's start-up."""
    store = ArtifactStore(_config(root, additional, probe))
    started = time.perf_counter()
    store.pull(reference)
    return time.perf_counter() - started


def _skopeo_copy(probe: TrafficProbe, work: Path, reference: str, logs: Path) -> dict[str, Any] | None:
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        return None
    work.mkdir(parents=True)  # skopeo creates the layout, not its parent
    layout = work / "artifacts"
    probe.clear()
    result = measure([skopeo, "copy", "--src-tls-verify=false", f"docker://{reference}", f"oci:{layout}:v1"],
                     logs, "skopeo-skipped")
    digest = None
    if result["exit_code"] == 0:
        digest = (json.loads((layout / "index.json").read_bytes()).get("manifests") or [{}])[0].get("digest")
    return {"exit_code": result["exit_code"], "digest": digest, "wall_s": result["wall_s"], **traffic_of(probe)}
