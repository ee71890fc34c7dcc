"""Large artifacts for the pull benchmark, never held in memory.

Layer content is a deterministic pseudo-random stream (``random.Random(seed)``),
written to a temporary file in 4 MiB chunks and hashed as it is written. It is
pushed with a monolithic blob upload (POST an upload session, then one PUT
whose body requests streams from the open file), because the harness's
``ArtifactBuilder`` takes layer content as ``bytes``. Pseudo-random content
does not compress, so no transport compression flatters anyone.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import requests

from artifact_conformance.simulator import mediatypes as mt

CHUNK = 4 << 20
ARTIFACT_TYPE = "application/vnd.artifact-conformance.bench.v1"
LAYER_TYPE = "application/octet-stream"
EMPTY_CONFIG = b"{}"
TIMEOUT = (10, 600)


class UploadError(RuntimeError):
    """The registry refused an upload of the bench's content."""


@dataclass(frozen=True)
class ContentFile:
    path: Path
    digest: str
    size: int
    title: str


@dataclass(frozen=True)
class PushedBigArtifact:
    repository: str
    tag: str
    digest: str
    manifest_size: int
    layers: int
    size: int  # sum of layer sizes

    def reference(self, address: str) -> str:
        return f"{address}/{self.repository}:{self.tag}"


def write_content(path: Path, size: int, seed: int, title: str) -> ContentFile:
    """``size`` deterministic pseudo-random bytes at ``path``, hashed as written."""
    generator = random.Random(seed)
    digest = hashlib.sha256()
    remaining = size
    with open(path, "wb") as f:
        while remaining:
            chunk = generator.randbytes(min(CHUNK, remaining))
            digest.update(chunk)
            f.write(chunk)
            remaining -= len(chunk)
    return ContentFile(path, "sha256:" + digest.hexdigest(), size, title)


class StreamingPusher:
    """Pushes blobs from files and a manifest over plain HTTP to one registry."""

    def __init__(self, registry_url: str):
        self.base = registry_url.rstrip("/")
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def upload_file(self, repository: str, content: ContentFile) -> None:
        head = self.session.head(f"{self.base}/v2/{repository}/blobs/{content.digest}", timeout=TIMEOUT)
        if head.status_code == 200:
            return
        started = self.session.post(f"{self.base}/v2/{repository}/blobs/uploads/", timeout=TIMEOUT)
        if started.status_code != 202 or "Location" not in started.headers:
            raise UploadError(f"starting an upload to {repository} answered {started.status_code}: {started.text[:300]}")
        location = urljoin(f"{self.base}/", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        with open(content.path, "rb") as body:
            finished = self.session.put(
                f"{location}{separator}digest={content.digest}", data=body, timeout=TIMEOUT,
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(content.size)},
            )
        if finished.status_code != 201:
            raise UploadError(f"uploading {content.digest} ({content.size} bytes) to {repository} answered "
                              f"{finished.status_code}: {finished.text[:300]}")

    def upload_bytes(self, repository: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = self.session.post(f"{self.base}/v2/{repository}/blobs/uploads/", timeout=TIMEOUT)
        if started.status_code != 202:
            raise UploadError(f"starting an upload to {repository} answered {started.status_code}")
        location = urljoin(f"{self.base}/", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        finished = self.session.put(f"{location}{separator}digest={digest}", data=data, timeout=TIMEOUT,
                                    headers={"Content-Type": "application/octet-stream"})
        if finished.status_code != 201:
            raise UploadError(f"uploading {digest} to {repository} answered {finished.status_code}")
        return digest

    def push_artifact(self, repository: str, tag: str, layers: list[ContentFile]) -> PushedBigArtifact:
        config_digest = self.upload_bytes(repository, EMPTY_CONFIG)
        for layer in layers:
            self.upload_file(repository, layer)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": {"mediaType": mt.OCI_EMPTY, "digest": config_digest, "size": len(EMPTY_CONFIG)},
            "layers": [{"mediaType": LAYER_TYPE, "digest": layer.digest, "size": layer.size,
                        "annotations": {mt.ANNOTATION_TITLE: layer.title}} for layer in layers],
        }, separators=(",", ":")).encode()
        response = self.session.put(f"{self.base}/v2/{repository}/manifests/{tag}", data=manifest,
                                    headers={"Content-Type": mt.OCI_MANIFEST}, timeout=TIMEOUT)
        if response.status_code != 201:
            raise UploadError(f"manifest push to {repository}:{tag} answered {response.status_code}: {response.text[:300]}")
        return PushedBigArtifact(repository, tag, "sha256:" + hashlib.sha256(manifest).hexdigest(), len(manifest),
                                 len(layers), sum(layer.size for layer in layers))
