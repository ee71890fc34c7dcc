"""Section "pulls": pulling into the main store, against skopeo copying to a layout.

Two artifacts are pushed to a local registry: one large single-layer artifact
(1 GiB; ``--quick`` 64 MiB) and one with many layers (64 x 4 MiB; ``--quick``
8 x 1 MiB). Each is pulled ``repeats`` times by the reference store in a
subprocess (``artifact-conformance store --config ... pull REF``) and copied by
``skopeo copy --src-tls-verify=false docker://... oci:DIR:TAG``, alternately
(who goes first alternates too), each into a fresh directory that is deleted
straight after, each after an ``os.sync()`` so no run pays for the writeback of
the data an earlier one (or the push) left dirty. Wall time, CPU time
and peak RSS come from ``os.wait4`` of each child (see ``processes``). The interpreter's own
floor (``artifact-conformance --version``: Python and the package's imports)
is measured too, so the RSS a pull adds can be told from the RSS Python costs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.simulator.crio_toml import crio_toml

from .big_artifacts import PushedBigArtifact, StreamingPusher, write_content
from .measure import ratio
from .processes import measure, rss_floor_mib

MIB = 1 << 20


@dataclass(frozen=True)
class PullOptions:
    single_layer_bytes: int = 1 << 30
    layers: int = 64
    layer_bytes: int = 4 << 20
    repeats: int = 3
    seed: int = 11


def simulator_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "artifact_conformance", *args]


def run(workdir: Path, registry: RegistryEndpoint, options: PullOptions) -> dict[str, Any]:
    skopeo = shutil.which("skopeo")
    content_dir = workdir / "content"
    content_dir.mkdir(parents=True)
    pusher = StreamingPusher(registry.url)
    try:
        artifacts = {
            "single_layer": _push(pusher, content_dir, "bench/single-layer", [options.single_layer_bytes], options.seed),
            "multi_layer": _push(pusher, content_dir, "bench/multi-layer", [options.layer_bytes] * options.layers,
                                 options.seed + 1),
        }
    finally:
        pusher.close()
        shutil.rmtree(content_dir, ignore_errors=True)  # the registry holds its own copy

    logs = workdir / "logs"
    floor = measure(simulator_command("--version"), logs, "python-floor")
    results: dict[str, Any] = {
        "status": "ok",
        "reason": None,
        "options": asdict(options),
        "registry": registry.url,
        "peer": "skopeo copy --src-tls-verify=false docker://REF oci:DIR:TAG" if skopeo else None,
        "peer_missing": None if skopeo else "skopeo is not on PATH (apt-get install skopeo)",
        "python_floor": _brief(floor),
        "rss_floor_mib": rss_floor_mib(logs),
        "artifacts": {},
    }
    for name, artifact in artifacts.items():
        reference = artifact.reference(registry.address)
        runs: dict[str, list[dict]] = {"simulator": [], "peer": []}
        for attempt in range(options.repeats):
            pulls = [("simulator", lambda: _simulator_pull(workdir / f"sim-{name}-{attempt}", logs, registry,
                                                           reference, artifact, f"sim-{name}-{attempt}"))]
            if skopeo:
                pulls.append(("peer", lambda: _skopeo_copy(skopeo, workdir / f"skopeo-{name}-{attempt}", logs,
                                                           reference, artifact, f"skopeo-{name}-{attempt}")))
            if attempt % 2:
                pulls.reverse()  # neither tool always goes first
            for implementation, pull in pulls:
                # Start from clean page cache writeback: the push, or the previous pull, left
                # dirty pages whose flushing would otherwise slow whichever run comes next.
                os.sync()
                runs[implementation].append(pull())
        results["artifacts"][name] = _summarize(artifact, reference, runs)
        if not all(run["ok"] for implementation in runs.values() for run in implementation):
            results["status"], results["reason"] = "error", f"a pull of {reference} failed or stored the wrong digest"
    return results


def _push(pusher: StreamingPusher, content_dir: Path, repository: str, sizes: list[int], seed: int) -> PushedBigArtifact:
    files = []
    for i, size in enumerate(sizes):
        path = content_dir / f"{repository.replace('/', '-')}-{i}"
        title = "model.bin" if len(sizes) == 1 else f"shard-{i:03d}.bin"
        files.append(write_content(path, size, seed * 1000 + i, title))
    pushed = pusher.push_artifact(repository, "v1", files)
    for content in files:
        content.path.unlink()
    return pushed


def _simulator_pull(root_parent: Path, logs: Path, registry: RegistryEndpoint, reference: str,
                    artifact: PushedBigArtifact, name: str) -> dict[str, Any]:
    root = root_parent / "root"
    root_parent.mkdir(parents=True)
    config = root_parent / "crio.toml"
    config.write_text(crio_toml(root, insecure=[registry.address]))
    try:
        result = measure(simulator_command("store", "--config", str(config), "--json", "pull", reference), logs, name)
        digest = None
        if result["exit_code"] == 0:
            try:
                digest = json.loads(result["stdout"]).get("digest")
            except ValueError:
                pass
        return {**_brief(result), "digest": digest, "ok": result["exit_code"] == 0 and digest == artifact.digest}
    finally:
        shutil.rmtree(root_parent, ignore_errors=True)


def _skopeo_copy(skopeo: str, parent: Path, logs: Path, reference: str, artifact: PushedBigArtifact,
                 name: str) -> dict[str, Any]:
    parent.mkdir(parents=True)  # skopeo creates the layout, not its parent
    layout = parent / "artifacts"
    try:
        result = measure([skopeo, "copy", "--src-tls-verify=false", f"docker://{reference}",
                          f"oci:{layout}:{artifact.tag}"], logs, name)
        digest = None
        if result["exit_code"] == 0:
            try:
                manifests = json.loads((layout / "index.json").read_bytes()).get("manifests") or []
                digest = manifests[0].get("digest") if manifests else None
            except (OSError, ValueError):
                pass
        return {**_brief(result), "digest": digest, "ok": result["exit_code"] == 0 and digest == artifact.digest}
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    kept = {key: result[key] for key in ("command", "exit_code", "wall_s", "user_s", "sys_s", "max_rss_mib")}
    if result["exit_code"] != 0:
        kept["stderr"] = result["stderr"]
    return kept


def _summarize(artifact: PushedBigArtifact, reference: str, runs: dict[str, list[dict]]) -> dict[str, Any]:
    def summary(implementation: list[dict]) -> dict[str, Any] | None:
        good = [run for run in implementation if run["ok"]]
        if not good:
            return None
        wall = statistics.median(run["wall_s"] for run in good)
        return {
            "wall_s": wall,
            "cpu_s": statistics.median(run["user_s"] + run["sys_s"] for run in good),
            "max_rss_mib": max(run["max_rss_mib"] for run in good),
            "throughput_mib_s": artifact.size / MIB / wall if wall > 0 else None,
        }

    simulator, peer = summary(runs["simulator"]), summary(runs["peer"])
    return {
        "reference": reference,
        "digest": artifact.digest,
        "layers": artifact.layers,
        "size_bytes": artifact.size,
        "simulator": simulator,
        "peer": peer,
        # peer / simulator, as everywhere in the bench: above 1, the simulator is faster (or smaller).
        "wall_ratio": ratio(peer and peer["wall_s"], simulator and simulator["wall_s"]),
        "rss_ratio": ratio(peer and peer["max_rss_mib"], simulator and simulator["max_rss_mib"]),
        "runs": runs,
    }
