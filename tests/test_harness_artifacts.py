"""What the builders push is what the registry serves back, byte for byte."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile

import pytest
import requests

from artifact_conformance.fixtures.registry.builder import (
    DOCKER_IMAGE_CONFIG,
    DOCKER_MANIFEST,
    MANIFEST_ACCEPT,
    MODELPACK,
    OCI_EMPTY,
    OCI_IMAGE_CONFIG,
    OCI_INDEX,
    OCI_MANIFEST,
    TITLE_ANNOTATION,
    Layer,
    PushedArtifact,
    host_platform,
    sha256_digest,
    unique_repository,
)

pytestmark = pytest.mark.registry

# distribution's repository name grammar (reference/regexp.go).
REPOSITORY_GRAMMAR = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


def fetch_manifest(probe, repository: str, reference: str) -> requests.Response:
    response = requests.get(f"{probe.url}/v2/{repository}/manifests/{reference}",
                            headers={"Accept": MANIFEST_ACCEPT})
    assert response.status_code == 200, f"{repository}:{reference}: {response.status_code} {response.text}"
    return response


def fetch_blob(probe, repository: str, digest: str) -> bytes:
    response = requests.get(f"{probe.url}/v2/{repository}/blobs/{digest}")
    assert response.status_code == 200, f"{repository}@{digest}: {response.status_code}"
    return response.content


def assert_served_identically(probe, artifact: PushedArtifact) -> None:
    served = fetch_manifest(probe, artifact.repository, artifact.tag or artifact.digest)
    assert served.content == artifact.manifest_bytes
    assert served.headers["Docker-Content-Digest"] == artifact.digest == sha256_digest(artifact.manifest_bytes)
    assert served.headers["Content-Type"] == artifact.media_type
    for digest, content in artifact.blobs.items():
        assert fetch_blob(probe, artifact.repository, digest) == content


@pytest.mark.parametrize("hint", ["Model Weights!", "a", "--", "x" * 200, "UPPER_case.v2"])
def test_unique_repositories_are_valid_and_distinct(hint):
    names = {unique_repository(hint) for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert REPOSITORY_GRAMMAR.match(name), name
        assert name.startswith("conformance/") and len(name) < 100


def test_an_artifact_is_served_byte_identical(probe, artifact_builder):
    repository = unique_repository("artifact")
    layers = [
        Layer(b"weights", title="model.safetensors"),
        Layer(b"tokenizer", filepath_annotation="tokenizer.json"),
        Layer(b"unnamed layer"),
    ]
    artifact = artifact_builder.artifact(repository, "v1", layers=layers, annotations={"purpose": "test"})

    assert_served_identically(probe, artifact)
    assert artifact.reference == f"{probe.address}/{repository}:v1"
    assert artifact.digest_reference == f"{probe.address}/{repository}@{artifact.digest}"
    assert artifact.id == artifact.digest.removeprefix("sha256:") and len(artifact.id) == 64
    assert artifact.media_type == OCI_MANIFEST
    assert artifact.artifact_type == "application/vnd.example.model.v1"
    assert artifact.layer_names == ("model.safetensors", "tokenizer.json")
    assert artifact.size == len(b"weights") + len(b"tokenizer") + len(b"unnamed layer")
    assert artifact.config_digest == sha256_digest(b"{}")
    manifest = artifact.manifest
    assert manifest["config"]["mediaType"] == OCI_EMPTY
    assert manifest["annotations"] == {"purpose": "test"}
    assert manifest["layers"][0]["annotations"] == {TITLE_ANNOTATION: "model.safetensors"}
    assert manifest["layers"][1]["annotations"] == {MODELPACK.filepath_annotation: "tokenizer.json"}
    assert manifest["layers"][1]["mediaType"] == MODELPACK.layer_media_type("weight", "raw")
    assert "annotations" not in manifest["layers"][2]
    assert set(artifact.blobs) == {sha256_digest(b"{}"), *(layer.digest for layer in layers)}


def test_a_model_is_served_byte_identical(probe, artifact_builder):
    layers = [Layer(b"weights", filepath_annotation="model.safetensors"), Layer(b"{}", title="config.json")]
    model = artifact_builder.model(unique_repository("model"), "v1", layers)

    assert_served_identically(probe, model)
    assert model.artifact_type == MODELPACK.artifact_type
    assert model.manifest["config"]["mediaType"] == MODELPACK.config_media_type
    assert model.layer_names == ("model.safetensors", "config.json")


def test_default_artifacts_never_share_layers(artifact_builder):
    repository = unique_repository("distinct")
    first = artifact_builder.artifact(repository, "a")
    second = artifact_builder.artifact(repository, "b")
    layer_digests = [{layer["digest"] for layer in a.manifest["layers"]} for a in (first, second)]
    assert first.digest != second.digest
    assert not layer_digests[0] & layer_digests[1]
    assert first.layer_names == ("model.bin",) and first.size > 0


def test_an_artifact_without_type_or_tag(probe, artifact_builder):
    repository = unique_repository("untagged")
    artifact = artifact_builder.artifact(repository, None, artifact_type=None,
                                         config_media_type="application/vnd.example.config.v1+json",
                                         config=b'{"kind":"model"}')
    assert artifact.tag is None
    assert artifact.reference == f"{probe.address}/{repository}@{artifact.digest}"
    assert "artifactType" not in artifact.manifest
    assert_served_identically(probe, artifact)


@pytest.mark.parametrize("docker_media_types", [False, True], ids=["oci", "docker"])
def test_a_container_image_is_served_byte_identical(probe, artifact_builder, docker_media_types):
    repository = unique_repository("image")
    image = artifact_builder.container_image(repository, "v1", docker_media_types=docker_media_types)

    assert_served_identically(probe, image)
    assert image.media_type == (DOCKER_MANIFEST if docker_media_types else OCI_MANIFEST)
    assert image.manifest["config"]["mediaType"] == (DOCKER_IMAGE_CONFIG if docker_media_types else OCI_IMAGE_CONFIG)
    assert "artifactType" not in image.manifest
    config = json.loads(image.blobs[image.config_digest])
    layer_bytes = image.blobs[image.manifest["layers"][0]["digest"]]
    tar_bytes = gzip.decompress(layer_bytes)
    assert config["rootfs"]["diff_ids"] == [sha256_digest(tar_bytes)]
    assert (config["os"], config["architecture"]) == host_platform()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        assert archive.getnames() == ["hello.txt"]
    assert image.size == len(layer_bytes)


def test_an_index_over_artifacts_is_served_byte_identical(probe, artifact_builder):
    repository = unique_repository("index")
    elsewhere = artifact_builder.artifact(unique_repository("index-child"), "arm", layers=[Layer(title="arm.bin")])
    index = artifact_builder.index(
        repository, "v1",
        {("linux", "amd64"): [Layer(title="amd.bin")], ("linux", "arm64"): elsewhere},
        artifact_type="application/vnd.example.model.index.v1",
    )

    assert_served_identically(probe, index)
    assert index.media_type == OCI_INDEX and index.is_index
    assert index.artifact_type == "application/vnd.example.model.index.v1"
    entries = index.manifest["manifests"]
    assert [(e["platform"]["os"], e["platform"]["architecture"]) for e in entries] == [
        ("linux", "amd64"), ("linux", "arm64")]
    arm = index.for_platform("linux", "arm64")
    assert arm.digest == elsewhere.digest and arm.repository == repository
    for entry, child in zip(entries, index.children.values(), strict=True):
        assert entry["digest"] == child.digest and entry["size"] == len(child.manifest_bytes)
        assert entry["artifactType"] == "application/vnd.example.model.v1"
        assert_served_identically(probe, child)  # children by digest, copied into this repository
    with pytest.raises(KeyError, match="s390x"):
        index.for_platform("linux", "s390x")


def test_repoint_moves_a_tag_to_other_manifest_bytes(probe, artifact_builder):
    repository = unique_repository("repoint")
    first = artifact_builder.artifact(repository, "v1")
    second = artifact_builder.artifact(unique_repository("repoint-other"), "v9")

    moved = artifact_builder.repoint(repository, "v1", second)

    assert fetch_manifest(probe, repository, "v1").content == second.manifest_bytes
    assert (moved.reference, moved.digest) == (f"{probe.address}/{repository}:v1", second.digest)
    assert_served_identically(probe, moved)  # the other repository's blobs were copied over
    assert fetch_manifest(probe, repository, first.digest).content == first.manifest_bytes


def test_delete_tag_makes_the_tag_unknown(probe, artifact_builder):
    repository = unique_repository("delete")
    artifact = artifact_builder.artifact(repository, "v1")

    assert artifact_builder.delete_tag(repository, "v1") == artifact.digest

    response = requests.get(f"{probe.url}/v2/{repository}/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert response.status_code == 404
