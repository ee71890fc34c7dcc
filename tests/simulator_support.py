"""What the simulator's tests need beside the harness: the simulator's own
configuration, an auth file, and a closer look at the file system than the
harness's fingerprints take (mtimes; a file system whose timestamps never move).

Artifacts are built and pushed with the harness (fixtures/registry/builder.py),
layouts written with fixtures/stores/populators.py, registry traffic recorded
and disturbed with fixtures/probe/traffic_probe.py, registries started with
fixtures/registry/endpoint.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from artifact_conformance.fixtures.registry.builder import (
    ArtifactBuilder,
    Layer,
    PushedArtifact,
    host_platform,
    unique_repository,
)
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.crio_toml import crio_toml
from artifact_conformance.simulator.store import ArtifactStore


def other_platform() -> tuple[str, str]:
    """A platform that is not this machine's."""
    return ("linux", "s390x") if host_platform() != ("linux", "s390x") else ("linux", "arm64")


def blob_file(layout: Path, digest: str) -> Path:
    """Where an OCI layout at ``layout`` keeps the blob ``digest``."""
    return Path(layout) / "blobs" / "sha256" / digest.split(":", 1)[1]


# -- configuration ----------------------------------------------------------------
def make_config(tmp_path: Path, stores: Iterable[Path] = (), insecure: Iterable[str] = (), *,
                pinned: Iterable[str] = (), auth_file: Path | None = None) -> StoreConfig:
    return StoreConfig.build(
        root=str(tmp_path / "root"),
        additional_artifact_stores=[str(s) for s in stores],
        pinned_images=list(pinned),
        insecure_registries=list(insecure),
        global_auth_file=str(auth_file) if auth_file else None,
    )


def make_store(tmp_path: Path, stores: Iterable[Path] = (), insecure: Iterable[str] = (), **kwargs) -> ArtifactStore:
    return ArtifactStore(make_config(tmp_path, stores, insecure, **kwargs))


def write_toml(path: Path, root: Path, stores: Iterable[Path] = (), insecure: Iterable[str] = (), *,
               pinned: Iterable[str] = (), auth_file: Path | None = None) -> Path:
    """A CRI-O configuration file with the keys the simulator reads (the suite's one writer)."""
    path.write_text(crio_toml(root, stores=list(stores), pinned=list(pinned), insecure=list(insecure),
                              auth_file=auth_file))
    return path


def write_auth_file(path: Path, address: str, username: str, password: str) -> Path:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {address: {"auth": token}}}))
    return path


# -- observing the file system ----------------------------------------------------
def fingerprint(root: Path) -> dict[str, tuple]:
    """Everything a write could change: entries, kinds, modes, sizes, mtimes, contents.
    Directory mtimes catch a file created and deleted again (the harness's
    fingerprint_tree leaves mtimes out: a runtime may read a store, and a read
    never moves an mtime, but these tests also catch a write undone)."""
    result: dict[str, tuple] = {}
    root = Path(root)
    if not root.exists():
        return result
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, ""]:
            path = Path(dirpath) / name if name else Path(dirpath)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            result[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                                   st.st_size, st.st_mtime_ns, content)
    return result


def files_under(directory: Path) -> list[str]:
    """Regular files (not directories) anywhere below ``directory``."""
    if not Path(directory).exists():
        return []
    return sorted(str(p) for p in Path(directory).rglob("*") if not p.is_dir())


class FrozenTimestamps:
    """``os`` as seen on a file system with coarse timestamps (FAT: 2 s; ext3, HFS+,
    many NFS servers: 1 s; Linux before 6.13: one clock tick), taken to the
    limit: a file's mtime and ctime never move after it is first seen."""

    def __init__(self) -> None:
        self._first: dict[tuple[int, int], tuple[int, int]] = {}

    def __getattr__(self, name):
        return getattr(os, name)

    def _freeze(self, st: os.stat_result) -> _FrozenStat:
        mtime, ctime = self._first.setdefault((st.st_dev, st.st_ino), (st.st_mtime_ns, st.st_ctime_ns))
        return _FrozenStat(st, mtime, ctime)

    def stat(self, path, *args, **kwargs):
        return self._freeze(os.stat(path, *args, **kwargs))

    def lstat(self, path, *args, **kwargs):
        return self._freeze(os.lstat(path, *args, **kwargs))


class _FrozenStat:
    """A stat result with its mtime and ctime replaced."""

    def __init__(self, st: os.stat_result, mtime_ns: int, ctime_ns: int):
        self._st, self.st_mtime_ns, self.st_ctime_ns = st, mtime_ns, ctime_ns
        self.st_mtime, self.st_ctime = mtime_ns / 1e9, ctime_ns / 1e9

    def __getattr__(self, name):
        return getattr(self._st, name)


# -- artifacts that live only in a layout -------------------------------------------
OFFLINE = ArtifactBuilder.offline("registry.example")


def offline_artifact(*layers: Layer, **options) -> PushedArtifact:
    """An artifact built by the harness and pushed nowhere (for a layout written
    by hand); with no layers, one random file named model.bin."""
    return OFFLINE.artifact(unique_repository("sim"), None, list(layers) if layers else None, **options)


def offline_image(docker: bool = False) -> PushedArtifact:
    """A runnable container image, pushed nowhere."""
    return OFFLINE.container_image(unique_repository("sim"), None, docker_media_types=docker)


def offline_index(platforms: Mapping[tuple[str, str], PushedArtifact]) -> PushedArtifact:
    """An image index over these (os, architecture) instances, pushed nowhere."""
    return OFFLINE.index(unique_repository("sim"), None, platforms)


def write_layout(store_path: Path, *entries: tuple[str | None, PushedArtifact]) -> ReadOnlyStore:
    """The harness's read-only store at ``store_path``, each artifact listed under
    its ref name (None: unnamed), in this order, a name given twice listed twice."""
    store = ReadOnlyStore(store_path)
    for name, artifact in entries:
        store.add(artifact, name=name, replace_name=False)
    return store


def write_index(layout: Path, document: dict | bytes) -> None:
    """Replace a layout's index.json (by rename) with ``document``, however wrong."""
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    (Path(layout) / ".index.json.tmp").write_bytes(raw)
    (Path(layout) / ".index.json.tmp").replace(Path(layout) / "index.json")


def unused_port() -> int:
    """A loopback port nothing listens on (a registry that is gone)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
