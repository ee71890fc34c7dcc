"""What a CRI client sees of an artifact, and the results of store operations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ArtifactRecord:
    """A CRI ``Image`` for one artifact, plus where it was resolved from."""

    id: str  # manifest digest hex, no "sha256:"
    repo_tags: list[str]
    repo_digests: list[str]
    size: int  # sum of layer sizes, config excluded
    pinned: bool
    store: str  # the layout directory that resolved it
    read_only: bool
    digest: str
    reference: str | None = None  # the usable ref name, if any
    ref_name: str | None = None  # the raw ref.name annotation (e.g. a bare tag)
    media_type: str = ""
    artifact_type: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PullResult:
    record: ArtifactRecord
    skipped: bool  # satisfied by an additional (read-only) store: nothing downloaded


@dataclass(frozen=True)
class RemoveResult:
    removed_digests: list[str]  # what left the main store
    still_visible: ArtifactRecord | None = None  # a copy in a read-only store, if any

    def to_json(self) -> dict:
        return {
            "removed_digests": self.removed_digests,
            "still_visible": self.still_visible.to_json() if self.still_visible else None,
        }


@dataclass(frozen=True)
class MountPath:
    name: str  # file name inside the mount target
    path: str  # blob file in the resolving store
    digest: str = field(default="")
    size: int = 0

    def to_json(self) -> dict:
        return asdict(self)
