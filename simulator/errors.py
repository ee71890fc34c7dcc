"""Errors of the reference store. Each names the thing that was wrong, and
is of one of the contract's error kinds (``kind``, from ``error_kinds``):
serve-cri's gRPC codes and the reference adapter's SutErrors follow from it."""

from collections.abc import Iterator
from typing import ClassVar

from artifact_conformance.reporting import error_kinds as kinds


class ArtifactStoreError(Exception):
    """Base class: every error the reference store raises on purpose."""

    kind: ClassVar[str] = kinds.OTHER


class ConfigError(ArtifactStoreError):
    """The configuration is unusable; the store refuses to start."""

    kind = kinds.CONFIG


class InvalidReferenceError(ArtifactStoreError):
    """A string that cannot be used as a reference or ID."""

    kind = kinds.INVALID_REFERENCE


class NotFoundError(ArtifactStoreError):
    """No store holds the requested artifact."""

    kind = kinds.NOT_FOUND


class AmbiguousIDError(ArtifactStoreError):
    """An ID prefix matches two or more artifacts within one store."""

    kind = kinds.AMBIGUOUS


class NotAnArtifactError(ArtifactStoreError):
    """The registry holds a container image, which the artifact store refuses."""

    kind = kinds.NOT_AN_ARTIFACT


class CorruptStoreError(ArtifactStoreError):
    """A layout on disk is damaged: bad JSON, a missing blob, a digest mismatch."""

    kind = kinds.CORRUPT


class StoreUnavailableError(ArtifactStoreError):
    """A read-only store does not answer (its file system stalled); the store is skipped."""

    kind = kinds.OTHER


class RegistryError(ArtifactStoreError):
    """The registry answered with an error, or the connection failed."""

    kind = kinds.REGISTRY


class RegistryAccessError(RegistryError):
    """The registry denied access (401, 403): credentials are missing or lack permission."""


class DigestMismatchError(ArtifactStoreError):
    """Content does not match the digest it was fetched or stored under
    (a registry error: the content came from the registry)."""

    kind = kinds.REGISTRY


class UnsafeLayerNameError(ArtifactStoreError):
    """A layer's file name would let a mount escape its target directory."""

    kind = kinds.CORRUPT


class NoMatchingPlatformError(ArtifactStoreError):
    """An index has no instance for the host platform."""

    kind = kinds.NOT_FOUND


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps: causes, contexts, urllib3's ``reason``
    and exceptions passed as arguments (requests wraps urllib3's MaxRetryError so)."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending.extend(e for e in linked if isinstance(e, BaseException))


def chain_text(error: BaseException) -> str:
    """The whole chain on one line, for the debug log."""
    return " <- ".join(f"{type(e).__name__}: {' '.join(str(e).split())}" for e in causes(error))


class RefusedError(ArtifactStoreError):
    """A call the current state does not allow: removing an artifact a container
    still mounts, starting a container that is not in the created state."""

    kind = kinds.OTHER
