"""The peer for look-ups: a layered store with no cache at all.

``NaiveLayeredStore`` answers ``status`` and ``list`` the straightforward way
(the way CRI-O's artifact library does): every call reads and parses each
store's ``index.json``, then reads and parses the manifest of every entry, and
only then searches. It has the reference store's semantics (docs/contract.md,
"Names and look-ups", "Listing"): read-only stores first in
configured order, then the main store; first hit wins; an ID prefix that
matches two artifacts in one store is an error; ``list`` de-duplicates by
reference and keeps every unnamed entry.

It is deliberately honest, not a straw man: a ``status`` stops at the first
store that has a hit, and manifests are not re-hashed (the reference store
verifies each manifest's digest once, when it first parses it). Its answers
are ``Answer`` tuples, which ``answer_of`` also makes from the reference
store's records, so the bench can check both agree before timing them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator.errors import (
    AmbiguousIDError,
    ArtifactStoreError,
    CorruptStoreError,
    NotFoundError,
)
from artifact_conformance.simulator.layout import is_hex_prefix, select_platform
from artifact_conformance.simulator.pinning import PinnedImages
from artifact_conformance.simulator.records import ArtifactRecord
from artifact_conformance.simulator.reference import Reference, parse_ref_name, try_parse


class Answer(NamedTuple):
    """What a CRI client sees of one artifact, and the store that resolved it."""

    id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    size: int
    pinned: bool
    store: str


def answer_of(record: ArtifactRecord) -> Answer:
    return Answer(record.id, tuple(record.repo_tags), tuple(record.repo_digests), record.size,
                  record.pinned, record.store)


class _Entry(NamedTuple):
    position: int
    reference: Reference | None
    digest: str
    index_digest: str | None
    size: int


class NaiveLayeredStore:
    """Re-reads and re-parses every index.json and manifest on each call."""

    def __init__(self, main_store_dir: Path, additional_store_dirs: list[Path],
                 pinned_images: tuple[str, ...] = ()):
        self.main = Path(main_store_dir)
        self.additional = [Path(d) for d in additional_store_dirs]
        self.pins = PinnedImages(pinned_images)

    # -- the two look-ups ----------------------------------------------------
    def status(self, name_or_id: str) -> Answer:
        ref = try_parse(name_or_id)
        for directory, read_only in self._stores():
            entries = self._entries(directory, read_only)
            if entries is None:
                continue
            hits = self._by_reference(entries, ref) if ref else self._by_id(entries, directory, name_or_id)
            if hits:
                return self._answer(hits[0], directory, read_only)
        raise NotFoundError(f"artifact {name_or_id!r} not found")

    def list(self) -> list[Answer]:
        answers: list[Answer] = []
        seen_names: set[str] = set()
        seen_unnamed: set[tuple[str, str]] = set()
        for directory, read_only in self._stores():
            entries = self._entries(directory, read_only)
            for entry in entries or ():
                if entry.reference is not None:
                    if str(entry.reference) in seen_names:
                        continue
                    seen_names.add(str(entry.reference))
                else:
                    if (str(directory), entry.digest) in seen_unnamed:
                        continue
                    seen_unnamed.add((str(directory), entry.digest))
                answers.append(self._answer(entry, directory, read_only))
        return answers

    # -- reading everything, every time ---------------------------------------
    def _stores(self):
        for directory in self.additional:
            yield directory, True
        yield self.main, False

    def _entries(self, directory: Path, read_only: bool) -> list[_Entry] | None:
        """Every artifact entry of one store, read from disk now; None = store skipped."""
        try:
            with open(directory / "index.json", "rb") as f:
                index = json.loads(f.read())
            descriptors = index["manifests"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            if read_only:
                return None  # a broken additional store is skipped
            raise CorruptStoreError(f"main store {directory}: {e}") from e
        entries: list[_Entry] = []
        for position, descriptor in enumerate(descriptors):
            try:
                entry = self._entry(directory, position, descriptor)
            except (ArtifactStoreError, OSError, ValueError, KeyError, TypeError):
                continue  # a damaged entry hides itself only
            if entry is not None:
                entries.append(entry)
        return entries

    def _entry(self, directory: Path, position: int, descriptor: dict) -> _Entry | None:
        digest = descriptor["digest"]
        ref_name = (descriptor.get("annotations") or {}).get(mt.ANNOTATION_REF_NAME)
        document, media_type = _manifest(directory, digest, descriptor.get("mediaType"))
        index_digest = None
        if mt.is_index(media_type, document):
            index_digest = digest
            child = select_platform(document, f"{directory}: index {digest}")
            digest = child["digest"]
            document, media_type = _manifest(directory, digest, child.get("mediaType"))
        if mt.is_container_image(media_type, document):
            return None
        size = sum(int(layer.get("size", 0)) for layer in document.get("layers") or [])
        reference = parse_ref_name(ref_name if isinstance(ref_name, str) else None)
        return _Entry(position, reference, digest, index_digest, size)

    # -- searching -----------------------------------------------------------
    @staticmethod
    def _by_reference(entries: list[_Entry], ref: Reference) -> list[_Entry]:
        wanted = str(ref)
        exact = next((e for e in entries if e.reference is not None and str(e.reference) == wanted), None)
        if ref.tag is not None:
            return [exact] if exact else []
        hits = [e for e in entries if e.reference is not None and e.reference.repository == ref.repository
                and ref.digest in (e.digest, e.index_digest)]
        if exact is not None and exact not in hits:
            hits.insert(0, exact)
        return hits

    @staticmethod
    def _by_id(entries: list[_Entry], directory: Path, text: str) -> list[_Entry]:
        prefix = text.removeprefix("sha256:")
        if not is_hex_prefix(prefix):
            return []
        hits = [e for e in entries if e.digest.split(":", 1)[1].startswith(prefix)]
        digests = sorted({e.digest for e in hits})
        if len(digests) > 1:
            raise AmbiguousIDError(f"ID {text!r} is ambiguous in {directory}: it matches {', '.join(digests)}")
        return sorted(hits, key=lambda e: (e.reference is None, e.position))

    def _answer(self, entry: _Entry, directory: Path, read_only: bool) -> Answer:
        ref = entry.reference
        repo_tags = (str(ref),) if ref is not None and ref.tag else ()
        repo_digest = f"{ref.repository}@{entry.digest}" if ref is not None else None
        pinned = read_only or self.pins.matches_any(*repo_tags, repo_digest)
        return Answer(entry.digest.split(":", 1)[1], repo_tags, (repo_digest,) if repo_digest else (),
                      entry.size, pinned, str(directory))


def _manifest(directory: Path, digest: str, declared: str | None) -> tuple[dict, str]:
    algorithm, _, hex_ = digest.partition(":")
    if algorithm != "sha256" or os.sep in hex_:
        raise CorruptStoreError(f"{directory}: unsupported digest {digest!r}")
    with open(directory / "blobs" / "sha256" / hex_, "rb") as f:
        document = json.loads(f.read())
    if not isinstance(document, dict):
        raise CorruptStoreError(f"{directory}: manifest {digest} is not a JSON object")
    return document, mt.media_type_of(document, declared)
