"""Media types, and the rule that tells an artifact from a container image."""

from __future__ import annotations

import platform

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json"

MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
ACCEPTED_MANIFEST_TYPES = MANIFEST_TYPES + INDEX_TYPES
IMAGE_CONFIG_TYPES = ("", OCI_IMAGE_CONFIG, DOCKER_IMAGE_CONFIG)

ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
ANNOTATION_TITLE = "org.opencontainers.image.title"
ANNOTATION_MODELPACK_FILEPATH = "org.cnai.model.filepath"

_MACHINE_TO_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
                      "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}


def media_type_of(document: dict, declared: str | None = None) -> str:
    """The media type of a manifest or index: its own field, else what its descriptor said."""
    return document.get("mediaType") or declared or ""


def is_index(media_type: str, document: dict | None = None) -> bool:
    if media_type in INDEX_TYPES:
        return True
    # An OCI index may omit mediaType; it is recognised by its "manifests" list.
    return not media_type and document is not None and "manifests" in document and "layers" not in document


def is_container_image(media_type: str, manifest: dict) -> bool:
    """A manifest is a container image when it is an image manifest with an
    image config (or none) and no artifactType. Everything else is an artifact."""
    if media_type not in MANIFEST_TYPES and not (not media_type and "layers" in manifest):
        return False
    if manifest.get("artifactType"):
        return False
    config_type = (manifest.get("config") or {}).get("mediaType", "")
    return config_type in IMAGE_CONFIG_TYPES


def host_platform() -> tuple[str, str]:
    machine = platform.machine().lower()
    return "linux", _MACHINE_TO_GOARCH.get(machine, machine)


def layer_name(layer: dict) -> str | None:
    annotations = layer.get("annotations") or {}
    return annotations.get(ANNOTATION_TITLE) or annotations.get(ANNOTATION_MODELPACK_FILEPATH)


def unsafe_name_reason(name: str) -> str | None:
    """Why a layer's file name cannot be mounted, or None when it is safe."""
    if "\x00" in name:
        return "contains a NUL byte"
    if name.startswith("/"):
        return "is absolute"
    if "/" in name:
        return "contains '/'"
    if ".." in name:
        return "contains '..'"
    if name in ("", "."):
        return "is empty or '.'"
    return None
