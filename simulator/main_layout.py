"""The main store: the one layout the runtime writes.

Every change is atomic. New blobs are staged in a private directory beside
the layout, verified, then moved in; ``index.json`` is replaced through a
temporary file and ``rename``; both happen under an exclusive lock file that
lives beside the layout (``<root>/artifacts.lock``), never inside a read-only
store. A failed or interrupted pull therefore leaves the main store as it
was: no half-written artifact is ever listed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from .digests import parse_digest
from .errors import ArtifactStoreError, CorruptStoreError
from .layout import LayoutReader

log = logging.getLogger(__name__)

OCI_LAYOUT = {"imageLayoutVersion": "1.0.0"}
EMPTY_INDEX = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}


class Staging:
    """A private directory where a pull's blobs wait until they are committed."""

    def __init__(self, directory: Path, layout: "MainLayout"):
        self.directory = directory
        self.layout = layout
        self.blobs: dict[str, Path] = {}

    def path_for(self, digest: str) -> Path:
        return self.directory / parse_digest(digest)

    def has(self, digest: str) -> bool:
        return digest in self.blobs

    def adopt(self, digest: str) -> None:
        """Mark a blob written at ``path_for(digest)`` (already verified) as staged."""
        self.blobs[digest] = self.path_for(digest)

    def reuse_existing(self, digest: str) -> bool:
        """Hard-link a blob the main store already has, so a concurrent removal
        cannot delete it between now and the commit."""
        try:
            os.link(self.layout.blob_path(digest), self.path_for(digest))
        except FileNotFoundError:
            return False
        except FileExistsError:
            pass
        self.adopt(digest)
        return True


class MainLayout(LayoutReader):
    def __init__(self, directory: Path, lock_path: Path, staging_root: Path):
        super().__init__(directory, label=f"main store {directory}")
        self.lock_path = lock_path
        self.staging_root = staging_root

    def ensure_created(self) -> None:
        """Create an empty layout where there is none; never touch an existing one."""
        (self.directory / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        with self.locked():
            if not (self.directory / "oci-layout").exists():
                self._write_json(self.directory / "oci-layout", OCI_LAYOUT)
            if not self.index_path.exists():
                self._write_json(self.index_path, EMPTY_INDEX)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Staging]:
        self.staging_root.mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix="pull-", dir=self.staging_root))
        try:
            yield Staging(directory, self)
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    def read_index_fresh(self) -> dict:
        """index.json as it is on disk now (callers hold the lock)."""
        return self._read_index()

    def commit(self, staging: Staging, update: Callable[[list[dict]], list[dict]]) -> None:
        """Move staged blobs in, then replace index.json; undo the moves on failure."""
        with self.locked():
            index = self.read_index_fresh()
            manifests = update([dict(d) for d in index.get("manifests", [])])
            moved: list[Path] = []
            try:
                for digest, staged in staging.blobs.items():
                    target = self.blob_path(digest)
                    if target.exists():
                        continue
                    os.replace(staged, target)
                    moved.append(target)
                self._write_json(self.index_path, {**index, "manifests": manifests})
            except BaseException:
                for target in moved:
                    with contextlib.suppress(OSError):
                        target.unlink()
                raise

    def remove(self, select: Callable[[list[dict]], list[int]]) -> list[dict]:
        """Drop the index.json descriptors at the positions ``select`` returns, then
        delete blobs no remaining descriptor uses. Returns the removed descriptors."""
        with self.locked():
            index = self.read_index_fresh()
            manifests = index.get("manifests", [])
            positions = set(select(manifests))
            if not positions:
                return []
            removed = [d for i, d in enumerate(manifests) if i in positions]
            kept = [d for i, d in enumerate(manifests) if i not in positions]
            self._write_json(self.index_path, {**index, "manifests": kept})
            self._delete_unreferenced_blobs(kept, removed)
            return removed

    def _delete_unreferenced_blobs(self, kept: list[dict], removed: list[dict]) -> None:
        try:
            still_used = set().union(*(self._descriptor_blobs(d) for d in kept)) if kept else set()
        except ArtifactStoreError as e:
            # A damaged remaining entry: we cannot know what it uses, so delete nothing.
            log.warning("%s: blobs of removed artifacts kept, a remaining entry is unreadable: %s", self.label, e)
            return
        candidates: set[str] = set()
        for descriptor in removed:
            with contextlib.suppress(ArtifactStoreError):
                candidates |= self._descriptor_blobs(descriptor)
        for digest in candidates - still_used:
            with contextlib.suppress(FileNotFoundError):
                self.blob_path(digest).unlink()

    def _descriptor_blobs(self, descriptor: dict) -> set[str]:
        digest = descriptor.get("digest", "")
        document, _ = self.manifest(digest, descriptor.get("mediaType"))
        blobs = {digest}
        for child in document.get("manifests") or []:
            if isinstance(child, dict) and child.get("digest"):
                try:
                    blobs |= self._descriptor_blobs(child)
                except CorruptStoreError:
                    blobs.add(child["digest"])  # other platforms may never have been pulled
        config = document.get("config") or {}
        if config.get("digest"):
            blobs.add(config["digest"])
        blobs.update(layer["digest"] for layer in document.get("layers") or [] if "digest" in layer)
        return blobs

    def _write_json(self, path: Path, document: dict) -> None:
        data = json.dumps(document, separators=(",", ":")).encode()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
