"""The registry the suite relies on is real: it stores what is pushed and serves it back."""

from __future__ import annotations

import json
import shutil
import socket
import uuid
from pathlib import Path

import oras.oci
import oras.provider
import pytest
import requests

from artifact_conformance.fixtures.registry.endpoint import (
    REGISTRY_BINARIES,
    RegistryEndpoint,
    RegistryStartError,
    RegistryUnavailable,
    provide_registry,
    registry_answers,
)

pytestmark = pytest.mark.registry

EMPTY_CONFIG_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
ARTIFACT_MEDIA_TYPE = "application/vnd.artifact-conformance.test.v1"


def push_artifact(endpoint: RegistryEndpoint, workdir: Path) -> tuple[str, str, bytes]:
    """Push one blob and a manifest naming it with oras; return (repository, manifest digest, blob)."""
    repository = f"conformance/fixture-{uuid.uuid4().hex[:12]}"
    blob = f"artifact payload {uuid.uuid4()}".encode()
    (workdir / "payload").write_bytes(blob)
    (workdir / "config.json").write_bytes(b"{}")

    client = oras.provider.Registry(hostname=endpoint.address, insecure=True)
    target = client.get_container(f"{repository}:v1")
    config = oras.oci.NewLayer(str(workdir / "config.json"), media_type=EMPTY_CONFIG_MEDIA_TYPE)
    layer = oras.oci.NewLayer(str(workdir / "payload"), media_type=ARTIFACT_MEDIA_TYPE)
    for path, descriptor in ((workdir / "config.json", config), (workdir / "payload", layer)):
        response = client.upload_blob(str(path), target, descriptor)
        assert response.ok, f"blob upload of {descriptor['digest']} answered {response.status_code}"

    manifest = oras.oci.NewManifest()
    manifest["config"] = config
    manifest["layers"] = [layer]
    response = client.upload_manifest(manifest, target)
    assert response.status_code == 201, f"manifest PUT answered {response.status_code}: {response.text}"
    return repository, response.headers["Docker-Content-Digest"], blob


def assert_serves(endpoint: RegistryEndpoint, repository: str, digest: str, blob: bytes) -> None:
    accept = {"Accept": oras.defaults.default_manifest_media_type}
    by_tag = requests.get(f"{endpoint.url}/v2/{repository}/manifests/v1", headers=accept, timeout=10)
    assert by_tag.status_code == 200
    assert by_tag.headers["Docker-Content-Digest"] == digest
    layer = json.loads(by_tag.content)["layers"][0]
    assert layer["mediaType"] == ARTIFACT_MEDIA_TYPE

    by_digest = requests.get(f"{endpoint.url}/v2/{repository}/manifests/{digest}", headers=accept, timeout=10)
    assert by_digest.content == by_tag.content

    served = requests.get(f"{endpoint.url}/v2/{repository}/blobs/{layer['digest']}", timeout=10)
    assert served.status_code == 200
    assert served.content == blob


def assert_deletes_manifest(endpoint: RegistryEndpoint, repository: str, digest: str) -> None:
    # The suite removes artifacts again, so the registry must run with delete enabled.
    deleted = requests.delete(f"{endpoint.url}/v2/{repository}/manifests/{digest}", timeout=10)
    assert deleted.status_code == 202, f"DELETE answered {deleted.status_code}: {deleted.text}"
    gone = requests.get(f"{endpoint.url}/v2/{repository}/manifests/{digest}", timeout=10)
    assert gone.status_code == 404


def unused_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_fixture_registry_serves_back_what_was_pushed(registry: RegistryEndpoint, tmp_path: Path) -> None:
    assert registry.host == "127.0.0.1"
    repository, digest, blob = push_artifact(registry, tmp_path)
    assert_serves(registry, repository, digest, blob)
    assert_deletes_manifest(registry, repository, digest)


@pytest.mark.skipif(
    not any(map(shutil.which, REGISTRY_BINARIES)),
    reason="no distribution binary on PATH (install the Debian package docker-registry)",
)
def test_process_provider_serves_pushes_and_stops_on_exit(tmp_path: Path) -> None:
    with provide_registry(None, "unused-by-process", provider="process") as endpoint:
        assert endpoint.host == "127.0.0.1"
        assert endpoint.describe() == {"provider": "process", "binary": next(filter(None, map(shutil.which, REGISTRY_BINARIES))),
                                       "url": endpoint.url}
        repository, digest, blob = push_artifact(endpoint, tmp_path)
        assert_serves(endpoint, repository, digest, blob)
        assert_deletes_manifest(endpoint, repository, digest)
    assert not registry_answers(endpoint), f"registry process still answers at {endpoint.url}"


def test_a_given_url_is_used_as_is(registry: RegistryEndpoint) -> None:
    with provide_registry(registry.url, "unused-with-url") as endpoint:
        assert endpoint == registry
        assert endpoint.describe() == {"provider": "url", "url": registry.url}


def test_a_given_url_that_does_not_answer_is_named_in_the_error() -> None:
    url = f"http://127.0.0.1:{unused_loopback_port()}"
    with pytest.raises(RegistryStartError, match=url), provide_registry(url, "unused", provider="url"):
        pass


@pytest.mark.parametrize("provider", ["auto", "process"])
def test_unavailable_registry_names_the_three_remedies(
    provider: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    with pytest.raises(RegistryUnavailable) as raised, provide_registry(None, "unused", provider=provider):
        pass
    message = str(raised.value)
    assert "--registry-url" in message
    assert "DOCKER_HOST" in message
    assert "docker-registry" in message


def test_a_docker_failure_is_the_engine_s_explanation() -> None:
    import docker.errors
    import requests as requests_

    from artifact_conformance.fixtures.registry.endpoint import _docker_reason

    missing = docker.errors.ImageNotFound("404 Client Error for http+docker://localhost/v1.41/images/create",
                                          explanation="pull access denied for nosuch/registry")
    assert _docker_reason(missing) == "pull access denied for nosuch/registry"
    assert _docker_reason(requests_.ConnectionError("HTTPConnectionPool(...)")) == "the Docker engine stopped answering"
