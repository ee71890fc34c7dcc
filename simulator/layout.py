"""OCI image layouts on disk, read without ever writing to them.

A ``LayoutReader`` turns ``index.json`` and the manifests it points to into
``ArtifactEntry`` values. The parsed view is cached and keyed on the stat of
``index.json`` (inode, size, mtime, ctime): an unchanged store costs one
``stat`` per look-up, and a store changed by another process is seen at once.
A stat key is trusted only once the file's timestamps are older than the
coarsest timestamp granularity in use (FAT 2 s; ext3, HFS+ and many NFS
servers 1 s; one clock tick on Linux before 6.13): until then a rewrite of the
same size could keep the same key, so the bytes are read and compared (the
"racily clean" rule git uses for its index). Reading is cheap; parsing is not.

Damage is contained: an entry whose manifest is missing, unreadable, not
JSON, malformed, or does not match its digest is left out with a warning; a
store whose ``index.json`` cannot be read or parsed raises
``CorruptStoreError``, which the layered store turns into "skip this store".

A read-only store is untrusted input (see SECURITY.md). Files are opened so
that nothing in a store can block or redirect a read: only regular files are
read (a named pipe or a device is refused without waiting for a writer), and a
blob that is a symbolic link is not followed. JSON is parsed only within size
and token bounds, so a hostile ``index.json`` cannot make the parser allocate
gigabytes, and its nesting depth cannot crash it.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import json
import re
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import mediatypes as mt
from .digests import SHA256_HEX, parse_digest, sha256_bytes
from .errors import ArtifactStoreError, CorruptStoreError, InvalidReferenceError, NoMatchingPlatformError
from .reference import Reference, parse_ref_name
from .store_reads import in_file_system

log = logging.getLogger(__name__)

# index.json and manifests are small documents; anything larger is hostile or broken.
INDEX_JSON_MAX = 64 << 20
MANIFEST_MAX = 4 << 20
# Parsed JSON costs far more memory than its text: 64 MiB of "{}," is 22 million
# dicts, 1.7 GB in CPython. Counting "{", "[" and "," bounds the number of values
# before parsing (an index of 100,000 named entries has about 700,000).
INDEX_JSON_TOKENS_MAX = 4_000_000
MANIFEST_TOKENS_MAX = 400_000
# A store with thousands of broken entries warns about the first few, then sums up.
ENTRY_WARNINGS_MAX = 20
# A file whose mtime or ctime is this recent may still change without changing them.
RACY_WINDOW_NS = 3 * 10**9


def stat_is_settled(st: os.stat_result, now_ns: int) -> bool:
    """True when a later change to the file must show in its stat key."""
    return max(st.st_mtime_ns, st.st_ctime_ns) + RACY_WINDOW_NS < now_ns


def open_regular(path: Path, what: str, follow_symlinks: bool = False):
    """Open ``path`` for reading, only if it is a regular file.

    Never blocks: a named pipe is opened non-blocking and then refused, as is
    a device. With ``follow_symlinks`` False a symbolic link is refused too,
    so a blob cannot be served from outside its store.
    Raises CorruptStoreError naming ``what`` and the path.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise CorruptStoreError(f"{what} is missing ({path})") from e
    except OSError as e:
        if e.errno == errno.ELOOP and not follow_symlinks:
            raise CorruptStoreError(f"{what} is a symbolic link ({path} -> {_link_target(path)}); not followed") from e
        raise CorruptStoreError(f"{what} cannot be read ({path}): {e.strerror}") from e
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise CorruptStoreError(f"{what} is not a regular file ({path} is a {_file_kind(mode)}); not read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "named pipe"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket"), (stat.S_ISLNK, "symbolic link")):
        if test(mode):
            return name
    return "special file"


#: Deeper JSON is refused before it is parsed: the parser recurses once per level, and near the
#: interpreter's recursion limit even a finaliser that the garbage collector runs meanwhile fails
#: (an "unraisable" RecursionError). Real manifests and indexes are a handful of levels deep.
JSON_DEPTH_MAX = 100
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def json_depth_exceeds(raw: bytes, depth_max: int) -> bool:
    """Whether ``raw`` nests arrays and objects deeper than ``depth_max``, by a scan without
    recursion (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= depth_max:
        return False
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b'""', raw))
    for _ in range(depth_max):  # each pass removes the innermost level (at C speed)
        shorter = _INNERMOST.sub(b"", brackets)
        if not shorter or shorter == brackets:
            return False  # all levels removed (or unbalanced: the parser will say so)
        brackets = shorter
    return True


def load_json_bounded(raw: bytes, tokens_max: int, what: str) -> object:
    """Parse JSON whose value count is at most about ``tokens_max`` and whose nesting is at
    most ``JSON_DEPTH_MAX`` deep; ValueError otherwise.

    Counting is a cheap upper bound (a "{" inside a string counts too); the
    depth is measured before parsing, so the parser never nears the recursion
    limit."""
    tokens = raw.count(b"{") + raw.count(b"[") + raw.count(b",")
    if tokens > tokens_max:
        raise ValueError(f"{what} has about {tokens} JSON values, more than the {tokens_max} allowed")
    if json_depth_exceeds(raw, JSON_DEPTH_MAX):
        raise ValueError(f"{what} is nested too deeply to parse (more than {JSON_DEPTH_MAX} levels)")
    try:
        return json.loads(raw)
    except RecursionError as e:
        raise ValueError(f"{what} is nested too deeply to parse") from e


def parse_manifest(raw: bytes, what: str) -> dict:
    """A manifest or index, bounded in size and depth and checked in shape before
    anything reads its fields; ValueError says what is wrong with it."""
    document = load_json_bounded(raw, MANIFEST_TOKENS_MAX, what)
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    problem = mt.document_problem(document)
    if problem:
        raise ValueError(f"malformed: {problem}")
    return document


@dataclass(frozen=True)
class ArtifactEntry:
    """One artifact of one store, as its layout describes it."""

    store_dir: Path
    position: int  # index in index.json's manifests list
    ref_name: str | None  # the raw ref.name annotation (may be a bare tag)
    reference: Reference | None  # the ref name, when it is a usable full reference
    digest: str  # the manifest's digest (after resolving an index to the host platform)
    media_type: str
    manifest: dict = field(repr=False, compare=False)
    index_digest: str | None = None  # set when the descriptor pointed at an index

    @property
    def id(self) -> str:
        return self.digest.split(":", 1)[1]

    @property
    def layers(self) -> list[dict]:
        return list(self.manifest.get("layers") or [])

    @property
    def size(self) -> int:
        return sum(int(layer.get("size", 0)) for layer in self.layers)

    @property
    def artifact_type(self) -> str:
        return self.manifest.get("artifactType") or (self.manifest.get("config") or {}).get("mediaType", "")

    @property
    def repository(self) -> str | None:
        return self.reference.repository if self.reference else None


@dataclass(frozen=True)
class Snapshot:
    """The parsed content of one store at one moment, with look-up tables."""

    entries: tuple[ArtifactEntry, ...]
    warnings: tuple[str, ...]
    by_ref_name: dict[str, ArtifactEntry]
    sorted_ids: tuple[tuple[str, int], ...]  # (hex id, entry position in entries), sorted

    @classmethod
    def build(cls, entries: list[ArtifactEntry], warnings: list[str]) -> "Snapshot":
        by_ref_name: dict[str, ArtifactEntry] = {}
        for entry in entries:
            if entry.reference is not None:
                by_ref_name.setdefault(str(entry.reference), entry)
        sorted_ids = tuple(sorted((entry.id, i) for i, entry in enumerate(entries)))
        return cls(tuple(entries), tuple(warnings), by_ref_name, sorted_ids)

    def find_by_reference(self, ref: Reference) -> list[ArtifactEntry]:
        exact = self.by_ref_name.get(str(ref))
        if ref.tag is not None:
            return [exact] if exact else []
        # name@digest: an entry of that repository whose manifest, or the index it was
        # resolved from, has that digest; or the entry named exactly so (a pull by an
        # index's digest stores the host's instance under the name that was asked for).
        hits = [e for e in self.entries
                if e.repository == ref.repository and ref.digest in (e.digest, e.index_digest)]
        if exact is not None and exact not in hits:
            hits.insert(0, exact)
        return hits

    def find_by_id_prefix(self, prefix: str) -> list[ArtifactEntry]:
        """Entries whose manifest digest hex starts with ``prefix``, one per distinct artifact."""
        start = bisect.bisect_left(self.sorted_ids, (prefix, -1))
        found: list[ArtifactEntry] = []
        for hex_id, position in self.sorted_ids[start:]:
            if not hex_id.startswith(prefix):
                break
            found.append(self.entries[position])
        return found


class LayoutReader:
    """A read-only view of one OCI layout directory."""

    def __init__(self, directory: Path, label: str | None = None):
        self.directory = Path(directory)
        self.label = label or str(directory)
        self._lock = threading.Lock()
        self._cache_key: tuple | None = None
        self._snapshot: Snapshot | None = None
        self._raw_index: bytes | None = None  # the bytes the snapshot was parsed from
        self._key_settled = False  # the cache key alone proves index.json unchanged
        self._manifests: dict[str, tuple[dict, str]] = {}  # digest -> (document, media type)
        # How to read many manifests at once (the layered store's GuardedReads.map); one by one without it.
        self.parallel: Callable[[Callable[[tuple], object], list[tuple]], None] | None = None

    # -- files -------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.directory / "index.json"

    def blob_path(self, digest: str) -> Path:
        return self.directory / "blobs" / "sha256" / parse_digest(digest)

    def read_blob(self, digest: str, limit: int, what: str) -> bytes:
        """Read a small blob whole and verify it; errors name the blob and the store."""
        path = self.blob_path(digest)
        try:
            with in_file_system(), open_regular(path, f"{self.label}: {what} blob {digest}") as f:
                data = f.read(limit + 1)
        except OSError as e:
            raise CorruptStoreError(f"{self.label}: {what} blob {digest} cannot be read: {e.strerror}") from e
        if len(data) > limit:
            raise CorruptStoreError(f"{self.label}: {what} blob {digest} is larger than {limit} bytes")
        if sha256_bytes(data) != digest:
            raise CorruptStoreError(f"{self.label}: {what} blob {digest} does not match its digest")
        return data

    def exists(self) -> bool:
        return self.index_path.is_file()

    # -- parsing -----------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The current parsed view; re-parsed only when index.json changed."""
        try:
            with in_file_system():
                st = os.stat(self.index_path)
        except FileNotFoundError as e:
            raise CorruptStoreError(f"{self.label}: not an OCI layout ({self.index_path} does not exist)") from e
        except OSError as e:
            raise CorruptStoreError(f"{self.label}: cannot stat {self.index_path}: {e.strerror}") from e
        key = (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        settled = stat_is_settled(st, time.time_ns())
        with self._lock:
            if key == self._cache_key and self._snapshot is not None and self._key_settled:
                return self._snapshot
            raw = self._read_index_bytes()
            if raw == self._raw_index and self._snapshot is not None:  # touched, or too recent to trust
                self._cache_key, self._key_settled = key, settled
                return self._snapshot
            snapshot = self._parse(self._decode_index(raw))
            self._cache_key, self._snapshot, self._raw_index, self._key_settled = key, snapshot, raw, settled
            return snapshot

    def _read_index(self) -> dict:
        return self._decode_index(self._read_index_bytes())

    def _read_index_bytes(self) -> bytes:
        try:
            # index.json may be a symbolic link (a store switched atomically); blobs may not.
            with in_file_system(), open_regular(self.index_path, f"{self.label}: {self.index_path}",
                                                follow_symlinks=True) as f:
                raw = f.read(INDEX_JSON_MAX + 1)
        except OSError as e:
            raise CorruptStoreError(f"{self.label}: cannot read {self.index_path}: {e.strerror}") from e
        if len(raw) > INDEX_JSON_MAX:
            raise CorruptStoreError(f"{self.label}: {self.index_path} is larger than {INDEX_JSON_MAX} bytes")
        return raw

    def _decode_index(self, raw: bytes) -> dict:
        try:
            index = load_json_bounded(raw, INDEX_JSON_TOKENS_MAX, str(self.index_path))
        except ValueError as e:
            raise CorruptStoreError(f"{self.label}: {self.index_path} is not valid JSON: {e}") from e
        if not isinstance(index, dict) or not isinstance(index.get("manifests", []), list):
            raise CorruptStoreError(f"{self.label}: {self.index_path} is not an OCI image index (no manifests list)")
        return index

    def _parse(self, index: dict) -> Snapshot:
        entries: list[ArtifactEntry] = []
        warnings: list[str] = []
        skipped = 0
        self._prefetch(index.get("manifests", []))
        for position, descriptor in enumerate(index.get("manifests", [])):
            try:
                entry = self._entry(position, descriptor)
            except (ArtifactStoreError, ValueError, TypeError, KeyError, AttributeError, ArithmeticError,
                    RecursionError) as e:
                skipped += 1
                if skipped <= ENTRY_WARNINGS_MAX:
                    message = f"{self.label}: index.json entry {position} skipped: {e}"
                    log.warning(message)
                    warnings.append(message)
                continue
            if entry is not None:
                entries.append(entry)
        if skipped > ENTRY_WARNINGS_MAX:
            message = f"{self.label}: {skipped - ENTRY_WARNINGS_MAX} more index.json entries skipped ({skipped} in all)"
            log.warning(message)
            warnings.append(message)
        return Snapshot.build(entries, warnings)

    def _entry(self, position: int, descriptor: object) -> ArtifactEntry | None:
        if not isinstance(descriptor, dict):
            raise CorruptStoreError(f"descriptor is not an object: {descriptor!r:.80}")
        digest = descriptor.get("digest")
        if not isinstance(digest, str):
            raise CorruptStoreError("descriptor has no digest")
        try:
            parse_digest(digest)
        except InvalidReferenceError as e:
            raise CorruptStoreError(str(e)) from e
        annotations = descriptor.get("annotations") or {}
        if not isinstance(annotations, dict):
            raise CorruptStoreError("descriptor annotations are not an object")
        ref_name = annotations.get(mt.ANNOTATION_REF_NAME)
        ref_name = ref_name if isinstance(ref_name, str) else None
        document, media_type = self.manifest(digest, descriptor.get("mediaType"))
        index_digest = None
        if mt.is_index(media_type, document):
            index_digest = digest
            child = select_platform(document, f"{self.label}: index {digest}")
            digest = child["digest"]
            document, media_type = self.manifest(digest, child.get("mediaType"))
        if mt.is_container_image(media_type, document):
            log.debug("%s: entry %d (%s) is a container image, not an artifact", self.label, position, digest)
            return None
        return ArtifactEntry(
            store_dir=self.directory,
            position=position,
            ref_name=ref_name,
            reference=parse_ref_name(ref_name),
            digest=digest,
            media_type=media_type,
            manifest=document,
            index_digest=index_digest,
        )

    def _prefetch(self, descriptors: list) -> None:
        """Read the manifests not read yet all at once, when the store can (a cold store on a
        remote export: one round trip per file, so hundreds of them one by one take seconds)."""
        if self.parallel is None:
            return
        wanted = {(d["digest"], d.get("mediaType")) for d in descriptors
                  if isinstance(d, dict) and isinstance(d.get("digest"), str) and d["digest"] not in self._manifests}
        if len(wanted) > 1:
            self.parallel(self._prefetch_one, sorted(wanted, key=str))

    def _prefetch_one(self, item: tuple) -> None:
        with contextlib.suppress(ArtifactStoreError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            self.manifest(*item)  # a failure is met again, and reported, when the entry is read

    def manifest(self, digest: str, declared_media_type: str | None) -> tuple[dict, str]:
        """A verified, parsed manifest or index; content-addressed, so cached for good."""
        cached = self._manifests.get(digest)
        if cached is not None:
            return cached
        raw = self.read_blob(digest, MANIFEST_MAX, "manifest")
        try:
            document = parse_manifest(raw, f"manifest {digest}")
        except ValueError as e:
            raise CorruptStoreError(f"{self.label}: manifest {digest} cannot be used: {e}") from e
        result = (document, mt.media_type_of(document, declared_media_type))
        self._manifests[digest] = result
        return result


def select_platform(index: dict, what: str) -> dict:
    """The descriptor of an index's instance for the host platform."""
    manifests = [m for m in index.get("manifests") or [] if isinstance(m, dict) and isinstance(m.get("digest"), str)]
    host_os, host_arch = mt.host_platform()
    for candidate in manifests:
        platform = candidate.get("platform") or {}
        if platform.get("os") == host_os and platform.get("architecture") == host_arch:
            return candidate
    without_platform = [m for m in manifests if not m.get("platform")]
    if len(manifests) == 1 and without_platform:
        return manifests[0]
    available = sorted({f"{(m.get('platform') or {}).get('os')}/{(m.get('platform') or {}).get('architecture')}" for m in manifests})
    raise NoMatchingPlatformError(f"{what} has no instance for platform {host_os}/{host_arch} (has: {', '.join(available) or 'none'})")


def is_hex_prefix(text: str) -> bool:
    return 0 < len(text) <= 64 and SHA256_HEX.fullmatch(text.ljust(64, "0")) is not None
