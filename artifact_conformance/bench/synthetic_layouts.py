"""Many small artifacts, written straight into OCI layouts on disk.

Look-up benchmarks need thousands of artifacts spread over a main store and
several read-only stores; pushing them through a registry would take minutes
and measure nothing useful. The files written are real layouts (``oci-layout``,
``index.json``, ``blobs/sha256/<hex>``) that the reference store and skopeo
read: tiny manifests with one 16-byte named layer and the empty config.

Artifact ``i`` lives in store ``i % stores`` (the last store is the main
store; with ``in_main=False`` only the read-only stores hold artifacts and the
main store's layout is empty); every ``duplicate_every``-th artifact is also written, same digest and
same name, into the next store, so ``list`` has duplicates to drop.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator.layout import RACY_WINDOW_NS

REGISTRY = "bench.example:5000"
ARTIFACT_TYPE = "application/vnd.artifact-conformance.bench.v1"
LAYER_TYPE = "application/octet-stream"
EMPTY_CONFIG = b"{}"
# One shared 16-byte layer per store (look-ups never read layers; one file per
# artifact is what writing costs). A description annotation makes each manifest distinct.
LAYER = b"bench layer\n\n\n\n\n"
OCI_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'
# Stat timestamps are set this far back; see settle() for why that is not enough.
BACKDATE_NS = 10 * 10**9


@dataclass(frozen=True)
class BenchArtifact:
    reference: str
    digest: str
    store: int  # where it was written first (its resolving store); the main store is the last


@dataclass
class Population:
    """Layouts holding ``len(artifacts)`` distinct artifacts over 1 main + N read-only stores."""

    root: Path  # the main store's root; its layout is root/artifacts
    additional: list[Path]  # configured read-only store paths; layouts at P/artifacts
    artifacts: list[BenchArtifact]
    entries: int  # index.json entries written in total (artifacts plus duplicates)
    index_paths: list[Path] = field(default_factory=list)
    written_s: float = 0.0

    @property
    def main_layout(self) -> Path:
        return self.root / "artifacts"

    @property
    def additional_layouts(self) -> list[Path]:
        return [path / "artifacts" for path in self.additional]

    def store_label(self, store: int) -> str:
        return "main" if store == len(self.additional) else f"read-only {store + 1}"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _write_blob(layout: Path, digest: str, data: bytes) -> None:
    path = layout / "blobs" / "sha256" / digest.split(":", 1)[1]
    with open(path, "wb") as f:
        f.write(data)


def write_population(base: Path, artifacts: int, read_only_stores: int = 4,
                     duplicate_every: int = 100, in_main: bool = True) -> Population:
    """Write the layouts under ``base`` (which must not exist yet)."""
    started = time.perf_counter()
    base.mkdir(parents=True)
    root = base / "main-root"
    additional = [base / f"ro{n + 1}" for n in range(read_only_stores)]
    layouts = [path / "artifacts" for path in additional] + [root / "artifacts"]
    config_digest, layer_digest = _sha256(EMPTY_CONFIG), _sha256(LAYER)
    for layout in layouts:
        (layout / "blobs" / "sha256").mkdir(parents=True)
        (layout / "oci-layout").write_bytes(OCI_LAYOUT)
        _write_blob(layout, config_digest, EMPTY_CONFIG)
        _write_blob(layout, layer_digest, LAYER)
    descriptors: list[list[dict]] = [[] for _ in layouts]
    holding = len(layouts) if in_main else read_only_stores
    population: list[BenchArtifact] = []
    for i in range(artifacts):
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": mt.OCI_EMPTY, "digest": config_digest, "size": len(EMPTY_CONFIG)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": layer_digest, "size": len(LAYER),
                        "annotations": {mt.ANNOTATION_TITLE: "model.bin"}}],
            "annotations": {"org.opencontainers.image.description": f"bench artifact {i}"},
        }, separators=(",", ":")).encode()
        digest = _sha256(manifest)
        reference = f"{REGISTRY}/team{i % 50}/model{i}:v1"
        store = i % holding
        targets = [store]
        if duplicate_every and i % duplicate_every == 0:
            targets.append((store + 1) % holding)
        for target in targets:
            _write_blob(layouts[target], digest, manifest)
            descriptors[target].append({
                "mediaType": mt.OCI_MANIFEST, "digest": digest, "size": len(manifest),
                "artifactType": ARTIFACT_TYPE, "annotations": {mt.ANNOTATION_REF_NAME: reference},
            })
        population.append(BenchArtifact(reference, digest, store))
    index_paths = []
    for layout, manifests in zip(layouts, descriptors):
        index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": manifests}
        path = layout / "index.json"
        path.write_bytes(json.dumps(index, separators=(",", ":")).encode())
        index_paths.append(path)
    return Population(root, additional, population, sum(map(len, descriptors)), index_paths,
                      time.perf_counter() - started)


def backdate(paths: list[Path]) -> None:
    """Set mtime (and atime) well into the past."""
    past = time.time_ns() - BACKDATE_NS
    for path in paths:
        os.utime(path, ns=(past, past))


def settle(paths: list[Path]) -> float:
    """Wait until every file's stat key is trusted by the layout cache; return the wait.

    ``os.utime`` can move mtime back but sets ctime to now, and the cache looks
    at both (``layout.stat_is_settled``): a file is settled only once its ctime
    is older than the racy window too, so the only way there is to wait.
    """
    backdate(paths)
    newest_ns = max(max(os.stat(p).st_mtime_ns, os.stat(p).st_ctime_ns) for p in paths)
    wait_ns = newest_ns + RACY_WINDOW_NS + 50_000_000 - time.time_ns()
    if wait_ns > 0:
        time.sleep(wait_ns / 1e9)
    return max(wait_ns, 0) / 1e9


def unsettle(paths: list[Path]) -> None:
    """Keep the files inside the racy window: an mtime an hour ahead is never "old"."""
    future = time.time_ns() + 3600 * 10**9
    for path in paths:
        os.utime(path, ns=(future, future))
