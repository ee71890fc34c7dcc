"""The reference store: layered look-ups over read-only stores and one main store.

Read-only (additional) stores are consulted first, in configured order, then
the main store. Only the main store is ever written. docs/contract.md states
the rules every method implements.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import mediatypes as mt
from . import sub_paths
from .config import StoreConfig
from .digests import sha256_stream
from .errors import (
    AmbiguousIDError,
    ArtifactStoreError,
    CorruptStoreError,
    InvalidReferenceError,
    NotAnArtifactError,
    NotFoundError,
    RegistryError,
)
from .layout import (
    ArtifactEntry,
    LayoutReader,
    Snapshot,
    is_hex_prefix,
    open_regular,
    parse_manifest,
    select_platform,
    stat_is_settled,
)
from .main_layout import MainLayout, Staging
from .pinning import PinnedImages
from .records import ArtifactRecord, MountPath, PullResult, RemoveResult
from .reference import Reference, parse, parse_ref_name, try_parse
from .registry_client import Credentials, RegistryClient
from .store_reads import GuardedReads, WithFileSystemWaits, in_file_system
from .warnings_log import WarningLog

log = logging.getLogger(__name__)

# Blobs of one pull fetched at once (skopeo, too, fetches layers in parallel).
PARALLEL_BLOB_FETCHES = 4


class ArtifactStore:
    # mount.named-layers and mount.modelpack-draft-path: a layer's file name is its title, else its
    # ModelPack file path under the published key, else under the early draft's.
    layer_name_keys = mt.LAYER_NAME_KEYS

    def __init__(self, config: StoreConfig, registry: RegistryClient | None = None):
        self.config = config
        self.pins = PinnedImages(config.pinned_images)
        self.warnings = WarningLog()
        self.main = MainLayout(
            config.main_store_dir,
            lock_path=config.root / f"{config.artifacts_subdir}.lock",
            staging_root=config.root / f"{config.artifacts_subdir}.staging",
        )
        self.main.ensure_created()
        self.additional = [
            LayoutReader(config.store_dir(path), label=f"additional artifact store {path}")
            for path in config.additional_artifact_stores
        ]
        self.registry = registry or RegistryClient(config.insecure_registries, config.global_auth_file,
                                                   progress_timeout=config.pull_progress_timeout or None)
        self._verified_blobs: set[tuple] = set()
        # Each read-only store is read on threads of its own, and skipped when it stalls (store_reads).
        self._guards = {reader: GuardedReads(reader.label) for reader in self.additional}
        for reader, guard in self._guards.items():
            reader.parallel = guard.map
        for reader in self.additional:  # warn at start-up about stores that cannot be opened
            self._snapshot_or_skip(reader)

    # -- look-ups ------------------------------------------------------------
    def status(self, name_or_id: str) -> ArtifactRecord:
        entry, reader = self._resolve(name_or_id)
        return self._record(entry, reader)

    def list(self) -> list[ArtifactRecord]:
        records: list[ArtifactRecord] = []
        seen_names: set[str] = set()
        seen_unnamed: set[tuple[str, str]] = set()
        for reader, snapshot in self._snapshots():
            for entry in snapshot.entries:
                if entry.reference is not None:
                    key = str(entry.reference)
                    if key in seen_names:
                        continue
                    seen_names.add(key)
                else:
                    unnamed_key = (str(reader.directory), entry.digest)
                    if unnamed_key in seen_unnamed:
                        continue
                    seen_unnamed.add(unnamed_key)
                records.append(self._record(entry, reader))
        return records

    def mount_paths(self, name_or_id: str, sub_path: str = "") -> list[MountPath]:
        """(file name, blob path) for each named layer, served from the resolving store;
        with ``sub_path``, those below it, named relative to it (``sub_paths``)."""
        entry, reader = self._resolve(name_or_id)
        what = str(entry.reference or entry.digest)
        mounts: list[MountPath] = []
        for layer in entry.layers:
            name = mt.layer_name(layer, self.layer_name_keys)
            if not name:
                self.warnings.warn(f"{what}: layer {layer.get('digest')} has no title or file path annotation; not mounted")
                continue
            reason = mt.unsafe_name_reason(name)
            if reason:
                self.warnings.warn(f"{what}: layer {layer.get('digest')} named {name!r} {reason}; not mounted")
                continue
            path = self._verified_blob(reader, layer["digest"], what)
            mounts.append(MountPath(name, str(path), layer["digest"], int(layer.get("size", 0))))
        return sub_paths.select(mounts, sub_path, what)

    # -- changes -------------------------------------------------------------
    def pull(self, reference: str, credentials: Credentials | None = None) -> PullResult:
        ref = parse(reference)
        for reader in self.additional:
            snapshot = self._snapshot_or_skip(reader)
            hits = snapshot.find_by_reference(ref) if snapshot else []
            if hits:
                # Read-only stores win, and are never re-validated at the registry.
                return PullResult(self._record(hits[0], reader), skipped=True)
        descriptor = self._pull_into_main(ref, credentials)
        entry = next((e for e in self.main.snapshot().find_by_reference(ref) if e.digest == descriptor["digest"]), None)
        if entry is None:
            raise CorruptStoreError(f"{self.main.label}: {ref} was committed but cannot be read back")
        return PullResult(self._record(entry, self.main), skipped=False)

    def remove(self, name_or_id: str) -> RemoveResult:
        """Remove from the main store only; idempotent, like CRI's RemoveImage."""
        ref = try_parse(name_or_id)
        if ref is not None:
            select = _select_by_reference(ref)
        else:
            digest = self._main_digest_for_id(name_or_id)
            if digest is None:
                return RemoveResult([], self._still_visible(name_or_id))
            select = self._select_by_digest(digest)
        removed = self.main.remove(select)
        removed_digests = sorted({d["digest"] for d in removed})
        return RemoveResult(removed_digests, self._still_visible(name_or_id))

    # -- internals -----------------------------------------------------------
    def _read(self, reader: LayoutReader, read, *args):
        """``read(*args)``, guarded against a stall when ``reader`` is a read-only store's."""
        guard = self._guards.get(reader)
        return guard.run(read, *args) if guard is not None else read(*args)

    def _snapshot_or_skip(self, reader: LayoutReader) -> Snapshot | None:
        try:
            snapshot = self._read(reader, reader.snapshot)
        except (ArtifactStoreError, OSError) as e:
            self.warnings.warn(f"{e}; store skipped")
            return None
        for message in snapshot.warnings:
            self.warnings.warn(message)
        return snapshot

    def _snapshots(self):
        for reader in self.additional:
            snapshot = self._snapshot_or_skip(reader)
            if snapshot is not None:
                yield reader, snapshot
        yield self.main, self.main.snapshot()  # a failing main store is an error

    def _resolve(self, name_or_id: str) -> tuple[ArtifactEntry, LayoutReader]:
        ref = try_parse(name_or_id)
        for reader, snapshot in self._snapshots():
            hits = snapshot.find_by_reference(ref) if ref else self._find_id(snapshot, reader, name_or_id)
            if hits:
                return hits[0], reader
        raise NotFoundError(
            f"artifact {name_or_id!r} not found in {len(self.additional)} additional store(s) or the main store"
        )

    @staticmethod
    def _find_id(snapshot: Snapshot, reader: LayoutReader, text: str) -> list[ArtifactEntry]:
        prefix = _id_prefix(text)
        if prefix is None:
            return []
        hits = snapshot.find_by_id_prefix(prefix)
        digests = sorted({e.digest for e in hits})
        if len(digests) > 1:
            raise AmbiguousIDError(f"ID {text!r} is ambiguous in {reader.label}: it matches {', '.join(digests)}")
        return sorted(hits, key=lambda e: (e.reference is None, e.position))

    def _main_digest_for_id(self, text: str) -> str | None:
        hits = self._find_id(self.main.snapshot(), self.main, text)
        return hits[0].digest if hits else None

    def _select_by_digest(self, digest: str):
        def select(manifests: list[dict]) -> list[int]:
            return [i for i, d in enumerate(manifests) if self._resolved_digest(d) == digest]
        return select

    def _resolved_digest(self, descriptor: dict) -> str | None:
        digest = descriptor.get("digest")
        try:
            document, media_type = self.main.manifest(digest, descriptor.get("mediaType"))
            if mt.is_index(media_type, document):
                return select_platform(document, f"{self.main.label}: index {digest}")["digest"]
        except ArtifactStoreError:
            pass
        return digest

    def _still_visible(self, name_or_id: str) -> ArtifactRecord | None:
        try:
            return self.status(name_or_id)
        except (NotFoundError, InvalidReferenceError, AmbiguousIDError):
            return None

    def _record(self, entry: ArtifactEntry, reader: LayoutReader) -> ArtifactRecord:
        read_only = reader is not self.main
        repo_tags = [str(entry.reference)] if entry.reference and entry.reference.tag else []
        repo_digest = f"{entry.reference.repository}@{entry.digest}" if entry.reference else None
        pinned = read_only or self._pinned_in_main(entry)
        return ArtifactRecord(
            id=entry.id,
            repo_tags=repo_tags,
            repo_digests=[repo_digest] if repo_digest else [],
            size=entry.size,
            pinned=pinned,
            store=str(reader.directory),
            read_only=read_only,
            digest=entry.digest,
            reference=str(entry.reference) if entry.reference else None,
            ref_name=entry.ref_name,
            media_type=entry.media_type,
            artifact_type=entry.artifact_type,
        )

    def _pinned_in_main(self, entry: ArtifactEntry) -> bool:
        """Pinning is a property of the ID (docs/contract.md, ``pin.per-id``): kubelet keeps one
        record per ID and removes by ID, so a main-store entry is pinned when any name of its ID in
        the main store matches a pattern, or a read-only store holds the ID."""
        for other in self.main.snapshot().find_by_id_prefix(entry.id):
            if other.id == entry.id and self.pins.matches_any(*_names(other)):
                return True
        for reader in self.additional:
            try:
                snapshot = self._read(reader, reader.snapshot)
            except (ArtifactStoreError, OSError):
                continue  # warned about where the store is listed or resolved
            if any(other.id == entry.id for other in snapshot.find_by_id_prefix(entry.id)):
                return True
        return False

    def _verified_blob(self, reader: LayoutReader, digest: str, what: str) -> Path:
        """A layer blob that is a regular file inside its store with the right content."""
        return self._read(reader, self._verify_blob, reader, digest, what)

    def _verify_blob(self, reader: LayoutReader, digest: str, what: str) -> Path:
        path = reader.blob_path(digest)
        try:
            with in_file_system():
                st = os.lstat(path)
        except FileNotFoundError as e:
            raise CorruptStoreError(f"{reader.label}: layer {digest} of {what} is missing ({path})") from e
        if not stat.S_ISREG(st.st_mode):
            raise CorruptStoreError(f"{reader.label}: layer {digest} of {what} is not a regular file ({path}); not mounted")
        key = (str(path), st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if key not in self._verified_blobs:
            settled = stat_is_settled(st, time.time_ns())
            try:
                # Opened without following links and without blocking: the file may have been
                # swapped for a link or a named pipe since the lstat above.
                with in_file_system():
                    opened = open_regular(path, f"{reader.label}: layer {digest} of {what}")
                with opened as f:  # each read is a file-system call of its own; hashing is not
                    actual = sha256_stream(WithFileSystemWaits(f))
            except OSError as e:
                raise CorruptStoreError(f"{reader.label}: layer {digest} of {what} cannot be read: {e.strerror}") from e
            if actual != digest:
                raise CorruptStoreError(
                    f"{reader.label}: layer {digest} of {what} does not match its digest (content is {actual}); not mounted"
                )
            if settled:  # a recent file could change again without changing its key
                self._verified_blobs.add(key)
        return path

    def _pull_into_main(self, ref: Reference, credentials: Credentials | None) -> dict:
        data, media_type, digest = self.registry.fetch_manifest(ref, credentials=credentials)
        document = _json(data, ref, digest)
        if mt.is_index(media_type, document):
            child = select_platform(document, f"{ref}: index {digest}")
            data, media_type, digest = self.registry.fetch_manifest(ref, child["digest"], credentials)
            document = _json(data, ref, digest)
        if media_type not in mt.MANIFEST_TYPES and not (not media_type and "layers" in document):
            raise RegistryError(f"{ref}: registry served media type {media_type!r}, not an OCI or Docker manifest")
        if mt.is_container_image(media_type, document):
            config_type = (document.get("config") or {}).get("mediaType") or "none"
            raise NotAnArtifactError(
                f"{ref} is a container image (manifest {media_type}, config {config_type}, no artifactType), "
                "not an artifact; the artifact store does not hold container images"
            )
        with self.main.staging() as staging:
            blobs = {b["digest"]: b for b in [document.get("config"), *(document.get("layers") or [])]
                     if isinstance(b, dict) and b.get("digest")}
            self._stage_blobs(staging, ref, list(blobs.values()), credentials)
            manifest_path = staging.path_for(digest)
            manifest_path.write_bytes(data)  # verified above: digest was computed from these bytes
            staging.adopt(digest)
            name = str(ref)
            descriptor = {"mediaType": media_type, "digest": digest, "size": len(data),
                          "annotations": {mt.ANNOTATION_REF_NAME: name}}
            self.main.commit(staging, lambda manifests: _repoint(manifests, name, descriptor))
        return descriptor

    def _stage_blobs(self, staging: Staging, ref: Reference, blobs: list[dict], credentials: Credentials | None) -> None:
        """Fetch several blobs at once: a many-layer artifact is bound by round trips,
        not bandwidth. The first failure cancels what has not started and is raised."""
        if len(blobs) <= 1:
            for blob in blobs:
                self._stage_blob(staging, ref, blob, credentials)
            return
        with ThreadPoolExecutor(max_workers=min(PARALLEL_BLOB_FETCHES, len(blobs)), thread_name_prefix="pull") as pool:
            futures = [pool.submit(self._stage_blob, staging, ref, blob, credentials) for blob in blobs]
            try:
                for future in as_completed(futures):
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def _stage_blob(self, staging: Staging, ref: Reference, blob: dict, credentials: Credentials | None) -> None:
        digest = blob["digest"]
        if staging.has(digest) or staging.reuse_existing(digest):
            return
        self.registry.fetch_blob(ref, blob, staging.path_for(digest), credentials)
        staging.adopt(digest)


def _json(data: bytes, ref: Reference, digest: str) -> dict:
    """A manifest or index from the registry, checked before anything uses its fields."""
    try:
        return parse_manifest(data, f"{ref}: manifest {digest}")
    except ValueError as e:
        raise RegistryError(f"{ref}: the registry's manifest {digest} cannot be used: {e}") from e


def _id_prefix(text: str) -> str | None:
    prefix = text.removeprefix("sha256:")
    return prefix if is_hex_prefix(prefix) else None


def _select_by_reference(ref: Reference):
    def select(manifests: list[dict]) -> list[int]:
        positions = []
        for i, descriptor in enumerate(manifests):
            named = parse_ref_name((descriptor.get("annotations") or {}).get(mt.ANNOTATION_REF_NAME))
            if named is None:
                continue
            if str(named) == str(ref):
                positions.append(i)
            elif ref.digest is not None and named.repository == ref.repository and descriptor.get("digest") == ref.digest:
                positions.append(i)
        return positions
    return select


def _repoint(manifests: list[dict], name: str, descriptor: dict) -> list[dict]:
    """Give ``name`` to ``descriptor``. An artifact that held the name before stays,
    unnamed, so it can still be listed and removed by ID (kubelet's GC reclaims it)."""
    result: list[dict] = []
    present = False
    for current in manifests:
        if _ref_name(current) != name:
            result.append(current)
        elif current.get("digest") == descriptor["digest"]:
            present = True
            result.append(current)
        else:
            result.append(_without_name(current))
    if not present:
        result.append(descriptor)
    return _drop_redundant_unnamed(result)


def _drop_redundant_unnamed(manifests: list[dict]) -> list[dict]:
    """An unnamed descriptor adds nothing when another descriptor has the same digest."""
    named = {d.get("digest") for d in manifests if _ref_name(d) is not None}
    result, seen_unnamed = [], set()
    for current in manifests:
        if _ref_name(current) is None:
            if current.get("digest") in named or current.get("digest") in seen_unnamed:
                continue
            seen_unnamed.add(current.get("digest"))
        result.append(current)
    return result


def _names(entry: ArtifactEntry) -> list[str]:
    """What ``pinned_images`` patterns are matched against: the tagged reference and repository@digest."""
    if entry.reference is None:
        return []
    names = [f"{entry.reference.repository}@{entry.digest}"]
    if entry.reference.tag:
        names.insert(0, str(entry.reference))
    return names


def _ref_name(descriptor: dict) -> str | None:
    return (descriptor.get("annotations") or {}).get(mt.ANNOTATION_REF_NAME)


def _without_name(descriptor: dict) -> dict:
    annotations = {k: v for k, v in (descriptor.get("annotations") or {}).items() if k != mt.ANNOTATION_REF_NAME}
    stripped = {k: v for k, v in descriptor.items() if k != "annotations"}
    if annotations:
        stripped["annotations"] = annotations
    return stripped
