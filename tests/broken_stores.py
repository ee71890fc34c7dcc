"""Deliberately broken variants of the reference store.

Each one gets a single rule of docs/contract.md wrong, the way a real runtime
plausibly could. ``tests/test_mutation.py`` names, for every variant, the
scenarios that check that rule, runs them against it and requires each named
one to fail: a suite that lets a broken store pass is a suite that does not
bite, and one that catches it only by accident bites in the wrong place.

Select one by hand with::

    pytest features --reference-store-class tests.broken_stores:MainStoreFirst
"""

from __future__ import annotations

import contextlib
import shutil

from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator import sub_paths
from artifact_conformance.simulator.errors import ArtifactStoreError, NotFoundError
from artifact_conformance.simulator.layout import LayoutReader
from artifact_conformance.simulator.records import MountPath, PullResult, RemoveResult
from artifact_conformance.simulator.reference import parse, try_parse
from artifact_conformance.simulator.store import ArtifactStore


class MainStoreFirst(ArtifactStore):
    """Consults the main store before the read-only stores."""

    def _snapshots(self):
        yield self.main, self.main.snapshot()
        for reader in self.additional:
            snapshot = self._snapshot_or_skip(reader)
            if snapshot is not None:
                yield reader, snapshot


class NoDeduplication(ArtifactStore):
    """Lists every entry of every store, so a tag in two stores shows twice."""

    def list(self):
        return [self._record(e, r) for r, s in self._snapshots() for e in s.entries]


class MainStoreAsCache(ArtifactStore):
    """Treats a tag already in the main store as fresh: never re-pulls it."""

    def pull(self, reference, credentials=None):
        ref = parse(reference)
        hits = self.main.snapshot().find_by_reference(ref)
        in_read_only = any(s.find_by_reference(ref) for s in map(self._snapshot_or_skip, self.additional) if s)
        if hits and not in_read_only:
            return PullResult(self._record(hits[0], self.main), skipped=True)
        return super().pull(reference, credentials)


class ReadOnlyUnpinned(ArtifactStore):
    """Reports read-only artifacts as unpinned, exposing them to image GC."""

    def _record(self, entry, reader):
        record = super()._record(entry, reader)
        if record.read_only and not self.pins.matches_any(*record.repo_tags, *record.repo_digests):
            return type(record)(**{**record.to_json(), "pinned": False})
        return record


class RemovesFromReadOnlyStores(ArtifactStore):
    """Deletes the read-only copy too: writes to a store it must never modify."""

    def remove(self, name_or_id):
        result = super().remove(name_or_id)
        try:
            record = self.status(name_or_id)
        except NotFoundError:
            return result
        if record.read_only:
            shutil.rmtree(record.store, ignore_errors=True)
        return result


class PullsNotSkipped(ArtifactStore):
    """Always downloads, even when a read-only store already holds the reference."""

    def pull(self, reference, credentials=None):
        ref = parse(reference)
        self._pull_into_main(ref, credentials)
        return super().pull(reference, credentials)


class NormalisesShortNames(ArtifactStore):
    """Expands `unknown` or `models/llm:v1` to docker.io names, as image tools do."""

    def _resolve(self, name_or_id):
        if try_parse(name_or_id) is None and not _is_hex(name_or_id):
            repository, _, tag = name_or_id.partition(":")
            if "/" not in repository:
                repository = f"library/{repository}"
            name_or_id = f"docker.io/{repository}:{tag or 'latest'}"
        return super()._resolve(name_or_id)


class OneIdOneName(ArtifactStore):
    """Finds an ID only when one entry of a store has it: an ID that two names of one
    store share is "not found" (what CRI-O does; a by-ID removal then removes nothing)."""

    @staticmethod
    def _find_id(snapshot, reader, text):
        hits = ArtifactStore._find_id(snapshot, reader, text)
        return hits if len(hits) == 1 else []


class MountsUnsafeTitles(ArtifactStore):
    """Mounts layers whose titles hold '/', '..' or an absolute path."""

    def mount_paths(self, name_or_id, sub_path=""):
        entry, reader = self._resolve(name_or_id)
        return [
            MountPath(mt.layer_name(layer), str(reader.blob_path(layer["digest"])), layer["digest"], layer.get("size", 0))
            for layer in entry.layers
            if mt.layer_name(layer)
        ]


class MountsByNameOnly(ArtifactStore):
    """Mounts an artifact asked for by name, but answers "not found" to a mount by its ID,
    which is how kubelet asks (Mount.image = the ID ImageStatus gave)."""

    def mount_paths(self, name_or_id, sub_path=""):
        if try_parse(name_or_id) is None:
            raise NotFoundError(f"no artifact named {name_or_id!r} to mount")
        return super().mount_paths(name_or_id, sub_path)


class IgnoresSubPath(ArtifactStore):
    """Mounts the whole artifact whatever sub-path the volume mount names."""

    def mount_paths(self, name_or_id, sub_path=""):
        return super().mount_paths(name_or_id)


class RefusesNestedNames(ArtifactStore):
    """Skips every layer whose name has a '/', as the earlier contract asked."""

    def mount_paths(self, name_or_id, sub_path=""):
        entry, _ = self._resolve(name_or_id)
        nested = {layer["digest"] for layer in entry.layers if "/" in (mt.layer_name(layer) or "")}
        mounts = [m for m in ArtifactStore.mount_paths(self, name_or_id) if m.digest not in nested]
        return sub_paths.select(mounts, sub_path, name_or_id)


class _UncheckedReader(LayoutReader):
    def read_blob(self, digest, limit, what):
        with open(self.blob_path(digest), "rb") as handle:
            return handle.read(limit + 1)


class TrustsManifestBytes(ArtifactStore):
    """Reads a read-only store's manifests and configs without checking them against their digest."""

    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.additional = [_UncheckedReader(reader.directory, label=reader.label) for reader in self.additional]


class ModelPackDraftKeyOnly(ArtifactStore):
    """Reads a ModelPack file path under the early drafts' key only (org.cnai.model.filepath)."""

    layer_name_keys = (mt.ANNOTATION_TITLE, mt.ANNOTATION_MODELPACK_DRAFT_FILEPATH)


class ModelPackPublishedKeyOnly(ArtifactStore):
    """Reads a ModelPack file path under the published key only, as CRI-O f954a17e does."""

    layer_name_keys = (mt.ANNOTATION_TITLE, mt.ANNOTATION_MODELPACK_FILEPATH)


class HidesUnnamedArtifacts(ArtifactStore):
    """Lists only artifacts with a usable name."""

    def list(self):
        return [r for r in super().list() if r.reference is not None]


class AcceptsContainerImages(ArtifactStore):
    """Stores container images in the artifact store instead of refusing them."""

    def _pull_into_main(self, ref, credentials):
        original = mt.is_container_image
        mt.is_container_image = lambda media_type, manifest: False
        try:
            return super()._pull_into_main(ref, credentials)
        finally:
            mt.is_container_image = original


class CreatesMissingStores(ArtifactStore):
    """Creates an empty layout where a configured read-only store is missing."""

    def __init__(self, config, registry=None):
        for path in config.additional_artifact_stores:
            layout = config.store_dir(path)
            if not (layout / "index.json").exists():
                layout.mkdir(parents=True, exist_ok=True)
                (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
                (layout / "index.json").write_text('{"schemaVersion":2,"manifests":[]}')
        super().__init__(config, registry)


class OneBadStoreFailsAll(ArtifactStore):
    """Lets a damaged read-only store's error escape instead of skipping the store."""

    def _snapshot_or_skip(self, reader: LayoutReader):
        if reader.directory.exists():
            return reader.snapshot()
        return super()._snapshot_or_skip(reader)


class NoRemovalByID(ArtifactStore):
    """Removes by name only: kubelet's GC, which removes by ID, reclaims nothing."""

    def remove(self, name_or_id):
        if try_parse(name_or_id) is None:
            return RemoveResult([], self._still_visible(name_or_id))
        return super().remove(name_or_id)


class TrustsBlobContent(ArtifactStore):
    """Hands out layer blobs for mounting without checking their digests."""

    def _verified_blob(self, reader, digest, what):
        return reader.blob_path(digest)


class ResolvesTagAndDigestByTag(ArtifactStore):
    """Answers ``name:tag@digest`` with the artifact the tag names, ignoring the digest."""

    def status(self, name_or_id):
        name, _, digest = name_or_id.partition("@")
        if digest and ":" in name.rsplit("/", 1)[-1]:
            return super().status(name)
        return super().status(name_or_id)


class PinnedPerEntry(ArtifactStore):
    """Pins each main-store entry by its own names only, so entries of one ID disagree."""

    def _pinned_in_main(self, entry):
        names = [str(entry.reference)] if entry.reference and entry.reference.tag else []
        if entry.reference:
            names.append(f"{entry.reference.repository}@{entry.digest}")
        return self.pins.matches_any(*names)


class ReadsStoresOnCallerThread(ArtifactStore):
    """Reads the read-only stores on the caller's thread, without a deadline: a stalled export
    hangs every call, also those about other stores' artifacts."""

    def _read(self, reader, read, *args):
        return read(*args)


class SilentlySkipsStores(ArtifactStore):
    """Skips a store it cannot read without a word: the operator never learns which export broke."""

    def _snapshot_or_skip(self, reader):
        try:
            return self._read(reader, reader.snapshot)
        except (ArtifactStoreError, OSError):
            return None


class WritesLockFiles(ArtifactStore):
    """Creates index.lock in every read-only store it opens, as containers/storage's lock files do."""

    def __init__(self, config, registry=None):
        super().__init__(config, registry)
        for reader in self.additional:
            with contextlib.suppress(OSError):
                (reader.directory / "index.lock").touch()


class ReadsStoresOnce(ArtifactStore):
    """Keeps what it first read of a read-only store for good: a store whose image was swapped
    keeps answering with the old image's content."""

    def _snapshot_or_skip(self, reader):
        kept = getattr(reader, "_kept_for_good", None)
        if kept is None:
            kept = super()._snapshot_or_skip(reader)
            reader._kept_for_good = kept
        return kept


class ReReadsEveryCall(ArtifactStore):
    """Reads every index.json and manifest again on every call, as a runtime without a cache does:
    on a slow export each call costs a round trip per manifest."""

    def _read(self, reader, read, *args):
        if read == reader.snapshot:
            reader._manifests.clear()
            reader._cache_key = reader._snapshot = reader._raw_index = None
            reader.parallel = None
        return super()._read(reader, read, *args)


VARIANTS = [
    MainStoreFirst,
    NoDeduplication,
    MainStoreAsCache,
    ReadOnlyUnpinned,
    RemovesFromReadOnlyStores,
    PullsNotSkipped,
    NormalisesShortNames,
    OneIdOneName,
    MountsUnsafeTitles,
    MountsByNameOnly,
    IgnoresSubPath,
    RefusesNestedNames,
    TrustsManifestBytes,
    ModelPackDraftKeyOnly,
    ModelPackPublishedKeyOnly,
    HidesUnnamedArtifacts,
    AcceptsContainerImages,
    CreatesMissingStores,
    OneBadStoreFailsAll,
    NoRemovalByID,
    TrustsBlobContent,
    ResolvesTagAndDigestByTag,
    PinnedPerEntry,
    ReadsStoresOnCallerThread,
    SilentlySkipsStores,
    WritesLockFiles,
    ReadsStoresOnce,
    ReReadsEveryCall,
]


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text.removeprefix("sha256:")) and bool(text)

