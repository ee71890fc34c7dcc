"""Errors of the reference store. Each names the thing that was wrong."""


class ArtifactStoreError(Exception):
    """Base class: every error the reference store raises on purpose."""


class ConfigError(ArtifactStoreError):
    """The configuration is unusable; the store refuses to start."""


class InvalidReferenceError(ArtifactStoreError):
    """A string that cannot be used as a reference or ID."""


class NotFoundError(ArtifactStoreError):
    """No store holds the requested artifact."""


class AmbiguousIDError(ArtifactStoreError):
    """An ID prefix matches two or more artifacts within one store."""


class NotAnArtifactError(ArtifactStoreError):
    """The registry holds a container image, which the artifact store refuses."""


class CorruptStoreError(ArtifactStoreError):
    """A layout on disk is damaged: bad JSON, a missing blob, a digest mismatch."""


class RegistryError(ArtifactStoreError):
    """The registry answered with an error, or the connection failed."""


class RegistryAccessError(RegistryError):
    """The registry denied access (401, 403): credentials are missing or lack permission."""


class DigestMismatchError(ArtifactStoreError):
    """Content does not match the digest it was fetched or stored under."""


class UnsafeLayerNameError(ArtifactStoreError):
    """A layer's file name would let a mount escape its target directory."""


class NoMatchingPlatformError(ArtifactStoreError):
    """An index has no instance for the host platform."""
