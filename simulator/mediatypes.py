"""Media types, and the rule that tells an artifact from a container image."""

from __future__ import annotations

import platform
import re

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
# A ModelPack layer's file path. Published: model-spec v0.0.7 (github.com/modelpack/model-spec, 6440437b;
# unchanged on main at d78bf323), specs-go/v1/annotations.go AnnotationFilepath, the key CRI-O f954a17e
# reads after the title (internal/ociartifact/store.go, artifactName). The early drafts, model-spec
# v0.0.1 to v0.0.6, named it org.cnai.model.filepath (commit 9eb8979 changed the prefix); the reference
# store reads it last (docs/contract.md, mount.modelpack-draft-path).
ANNOTATION_MODELPACK_FILEPATH = "org.cncf.model.filepath"
ANNOTATION_MODELPACK_DRAFT_FILEPATH = "org.cnai.model.filepath"
# The keys that name a layer's file, in order: the first one set wins.
LAYER_NAME_KEYS = (ANNOTATION_TITLE, ANNOTATION_MODELPACK_FILEPATH, ANNOTATION_MODELPACK_DRAFT_FILEPATH)

# OCI image-spec descriptor digest grammar: algorithm ":" encoded.
_DIGEST_SHAPE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")

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


def layer_name(layer: dict, keys: tuple[str, ...] = LAYER_NAME_KEYS) -> str | None:
    annotations = layer.get("annotations") or {}
    return next((annotations[key] for key in keys if annotations.get(key)), None)


def unsafe_name_reason(name: str) -> str | None:
    """Why a layer's file name cannot be mounted, or None when it is safe.

    A name is a relative path whose every component is a plain name, so it stays
    inside the target directory: ``weights/model.bin`` is mounted at that path
    (docs/contract.md, ``mount.nested-names``; CRI-O joins it below the target
    with securejoin), ``..``, absolute paths and NUL bytes never are."""
    if "\x00" in name:
        return "contains a NUL byte"
    if name.startswith("/"):
        return "is absolute"
    parts = name.split("/")
    if ".." in parts:
        return "contains '..'"
    if name in ("", "."):
        return "is empty or '.'"
    if any(part in ("", ".") for part in parts):
        return "has an empty or '.' path component"
    return None


def document_problem(document: dict) -> str | None:
    """What makes a manifest or index unusable as data, or None.

    Checks the types of every field the store reads (descriptors, sizes,
    annotations, platforms), so that a hostile document (a size that is a
    string, layers that are numbers, annotations that are a list) is refused
    as malformed instead of failing later, somewhere else, with a TypeError.
    """
    for key in ("mediaType", "artifactType"):
        if key in document and not isinstance(document[key], str):
            return f"{key} is not a string"
    problem = _annotations_problem(document.get("annotations"), "annotations")
    if problem:
        return problem
    if document.get("config") is not None:
        problem = descriptor_problem(document["config"], "config")
        if problem:
            return problem
    for key in ("layers", "manifests"):
        items = document.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            return f"{key} is not a list"
        for position, item in enumerate(items):
            problem = descriptor_problem(item, f"{key}[{position}]")
            if problem:
                return problem
            platform_ = item.get("platform")
            if platform_ is not None and not (isinstance(platform_, dict) and
                                              all(isinstance(v, str) for k, v in platform_.items()
                                                  if k in ("os", "architecture", "variant"))):
                return f"{key}[{position}].platform is not an object of strings"
    return None


def descriptor_problem(descriptor: object, what: str) -> str | None:
    if not isinstance(descriptor, dict):
        return f"{what} is not an object"
    digest = descriptor.get("digest")
    if not isinstance(digest, str) or not _DIGEST_SHAPE.fullmatch(digest):
        return f"{what}.digest {digest!r:.80} is not a digest"
    size = descriptor.get("size", 0)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return f"{what}.size {size!r:.40} is not a non-negative integer"
    if "mediaType" in descriptor and not isinstance(descriptor["mediaType"], str):
        return f"{what}.mediaType is not a string"
    return _annotations_problem(descriptor.get("annotations"), f"{what}.annotations")


def _annotations_problem(annotations: object, what: str) -> str | None:
    if annotations is None:
        return None
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        return f"{what} is not an object of strings"
    return None
