"""The main store: the one layout the runtime writes.

Every change is atomic. New blobs are staged in a private directory beside
the layout, verified, then moved in; ``index.json`` is replaced through a
temporary file and ``rename``; both happen under an exclusive lock file that
lives beside the layout (``<root>/artifacts.lock``), never inside a read-only
store. A failed or interrupted pull therefore leaves the main store as it
was: no half-written artifact is ever listed.

A pull killed outright (SIGKILL, a crash, power loss) cannot clean up after
itself, so each staging directory carries a lock file its pull holds (flock)
while it lives. Whenever a store starts or a pull begins, the staging
directories whose lock nobody holds any more, and temporary index files a
killed writer left in the layout, are removed, under the store lock. A live
pull in another process keeps its lock, so its directory is never touched.
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
from .mediatypes import OCI_INDEX

log = logging.getLogger(__name__)

OCI_LAYOUT = {"imageLayoutVersion": "1.0.0"}
STAGING_PREFIX = "pull-"
STAGING_LOCK = ".lock"
EMPTY_INDEX = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}


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


def _claimed(lock_path: Path) -> bool:
    """Whether a live pull holds this staging lock (a missing lock: nobody does)."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing releases the lock we may have taken
    return False


class MainLayout(LayoutReader):
    def __init__(self, directory: Path, lock_path: Path, staging_root: Path):
        super().__init__(directory, label=f"main store {directory}")
        self.lock_path = lock_path
        self.staging_root = staging_root

    def ensure_created(self) -> None:
        """Create an empty layout where there is none; never touch an existing one
        (beyond removing what interrupted pulls left behind)."""
        (self.directory / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        with self.locked():
            self._remove_leftovers()
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
        # Created and claimed under the store lock, so that no sweep sees it unclaimed.
        with self.locked():
            self._remove_leftovers()
            directory = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.staging_root))
            claim = os.open(directory / STAGING_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(claim, fcntl.LOCK_EX)
        try:
            yield Staging(directory, self)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
            os.close(claim)

    def _remove_leftovers(self) -> None:
        """Remove staging directories of dead pulls and temporary index files of
        dead writers (callers hold the store lock, as every writer does)."""
        if self.staging_root.is_dir():
            for entry in self.staging_root.iterdir():
                if entry.name.startswith(STAGING_PREFIX) and not entry.is_symlink() and entry.is_dir() \
                        and not _claimed(entry / STAGING_LOCK):
                    log.info("%s: removing %s, left by an interrupted pull", self.label, entry)
                    shutil.rmtree(entry, ignore_errors=True)
        if self.directory.is_dir():
            for entry in self.directory.iterdir():
                if entry.name.startswith((".index.json.", ".oci-layout.")) and entry.is_file():
                    log.info("%s: removing %s, left by an interrupted write", self.label, entry)
                    with contextlib.suppress(OSError):
                        entry.unlink()

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
