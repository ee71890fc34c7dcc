"""serve-cri: the reference store as a CRI v1 ImageService, over a real socket,
pulling from a real registry; every RPC, its error codes, and the process life cycle."""

from __future__ import annotations

import base64
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cri_api.v1 import api_pb2, api_pb2_grpc

from artifact_conformance.fixtures.registry.builder import (
    ArtifactBuilder,
    Layer,
    PushedArtifact,
    random_content,
    unique_repository,
)
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from artifact_conformance.reporting.error_kinds import ERROR_KINDS
from artifact_conformance.simulator import errors as sim
from artifact_conformance.simulator.cri_server import (
    ERROR_KIND_METADATA,
    RUNTIME_NAME,
    STATUS_CODES,
    credentials_from,
    status_for,
)
from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import SERVE_CRI, ServeCri, serve_cri, short_tempdir
from tests.crictl import Crictl
from tests.plain_messages import assert_plain

UNREACHABLE_REGISTRY = "127.0.0.1:1"  # nothing listens on port 1


# --- fixtures ---------------------------------------------------------------------
@pytest.fixture
def node(tmp_path: Path, registry: RegistryEndpoint, read_only: ReadOnlyStore) -> Path:
    """The configuration file; tests may populate the read-only store before ``server``."""
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(read_only.path)],
                                insecure=[registry.address, UNREACHABLE_REGISTRY]))
    return config


@pytest.fixture
def images(server: ServeCri) -> Iterator[api_pb2_grpc.ImageServiceStub]:
    channel = server.channel()
    try:
        yield api_pb2_grpc.ImageServiceStub(channel)
    finally:
        channel.close()


def spec(image: str) -> api_pb2.ImageSpec:
    return api_pb2.ImageSpec(image=image)


def pull(images, reference: str, **kwargs) -> api_pb2.PullImageResponse:
    return images.PullImage(api_pb2.PullImageRequest(image=spec(reference), **kwargs), timeout=60)


def status(images, name: str, verbose: bool = False) -> api_pb2.ImageStatusResponse:
    return images.ImageStatus(api_pb2.ImageStatusRequest(image=spec(name), verbose=verbose), timeout=30)


def list_images(images, filter_image: str | None = None) -> list[api_pb2.Image]:
    request = api_pb2.ListImagesRequest()
    if filter_image is not None:
        request = api_pb2.ListImagesRequest(filter=api_pb2.ImageFilter(image=spec(filter_image)))
    return list(images.ListImages(request, timeout=30).images)


def remove(images, name: str) -> None:
    images.RemoveImage(api_pb2.RemoveImageRequest(image=spec(name)), timeout=30)


def rpc_error(call, *args) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args)
    return caught.value


def error_kind(error: grpc.RpcError) -> str | None:
    return dict(error.trailing_metadata() or ()).get(ERROR_KIND_METADATA)


def push(builder: ArtifactBuilder, hint: str = "model", tag: str | None = "v1") -> PushedArtifact:
    return builder.artifact(unique_repository(hint), tag)


# --- the calls ----------------------------------------------------------------------
@pytest.mark.registry
def test_runtime_service_answers_version_status_and_empty_listings(server: ServeCri, node: Path, tmp_path: Path):
    channel = server.channel()
    runtime = api_pb2_grpc.RuntimeServiceStub(channel)
    version = runtime.Version(api_pb2.VersionRequest(version="v1"), timeout=10)
    assert (version.runtime_name, version.runtime_api_version) == (RUNTIME_NAME, "v1")
    status = runtime.Status(api_pb2.StatusRequest(), timeout=10)
    assert [(c.type, c.status, c.reason) for c in status.status.conditions] == [
        ("RuntimeReady", False, "ImageServiceOnly"), ("NetworkReady", False, "ImageServiceOnly")]
    assert dict(status.info) == {}  # the configuration only when verbose
    config = json.loads(runtime.Status(api_pb2.StatusRequest(verbose=True), timeout=10).info["config"])
    assert (config["source"], config["mainStore"]) == (str(node), str(tmp_path / "root" / "artifacts"))
    assert list(runtime.ListContainers(api_pb2.ListContainersRequest(), timeout=10).containers) == []
    assert list(runtime.ListPodSandbox(api_pb2.ListPodSandboxRequest(), timeout=10).items) == []
    channel.close()


@pytest.mark.registry
def test_an_unimplemented_call_says_what_is_served_and_is_logged_by_name(server: ServeCri):
    channel = server.channel()
    runtime = api_pb2_grpc.RuntimeServiceStub(channel)
    error = rpc_error(runtime.ExecSync, api_pb2.ExecSyncRequest(container_id="x", cmd=["true"]))
    assert error.code() is grpc.StatusCode.UNIMPLEMENTED
    assert error.details().startswith("serve-cri does not implement RuntimeService/ExecSync: it serves ")
    channel.close()
    lines = [line for line in server.output_text().splitlines() if " RuntimeService/ExecSync " in line]
    assert len(lines) == 1 and "outcome=UNIMPLEMENTED" in lines[0], server.output_text()


@pytest.mark.registry
def test_pull_then_status_list_and_idempotent_remove(images, builder: ArtifactBuilder, tmp_path: Path):
    artifact = push(builder)
    assert status(images, artifact.reference).HasField("image") is False  # unknown: empty, not an error

    assert pull(images, artifact.reference).image_ref == artifact.id

    response = status(images, artifact.reference, verbose=True)
    image = response.image
    assert image.id == artifact.id
    assert list(image.repo_tags) == [artifact.reference]
    assert list(image.repo_digests) == [artifact.digest_reference]
    assert image.size == artifact.size > 0
    assert image.pinned is False
    info = json.loads(response.info["info"])
    assert info["store"] == str(tmp_path / "root" / "artifacts")
    assert info["readOnly"] is False
    assert info["digest"] == artifact.digest
    assert status(images, artifact.reference).info == {}  # info only when verbose

    assert [i.id for i in list_images(images)] == [artifact.id]
    remove(images, artifact.reference)
    assert list_images(images) == []
    assert status(images, artifact.reference).HasField("image") is False
    remove(images, artifact.reference)  # idempotent: already gone is a success
    remove(images, "0" * 64)  # never there


@pytest.mark.registry
def test_list_filter_looks_up_one_image_by_name_or_id(images, builder: ArtifactBuilder):
    first, second = push(builder, "first"), push(builder, "second")
    pull(images, first.reference)
    pull(images, second.reference)
    assert {i.id for i in list_images(images)} == {first.id, second.id}
    assert [i.id for i in list_images(images, first.reference)] == [first.id]
    assert [i.id for i in list_images(images, first.digest_reference)] == [first.id]
    assert [i.id for i in list_images(images, second.id[:12])] == [second.id]
    assert [i.id for i in list_images(images, first.reference.rsplit(":", 1)[0])] == []  # :latest is not v1
    assert list_images(images, f"{builder.name_address}/conformance/nothing:v1") == []
    assert {i.id for i in list_images(images, "")} == {first.id, second.id}  # an empty filter lists all


@pytest.mark.registry
def test_read_only_store_wins_is_pinned_and_survives_remove(node: Path, read_only: ReadOnlyStore,
                                                            builder: ArtifactBuilder, tmp_path: Path):
    artifact = push(builder, "ro")
    read_only.add(artifact)  # before the server starts, as on a node
    with short_tempdir() as sockets, serve_cri(node, f"unix://{sockets}/cri.sock", tmp_path / "log") as server:
        channel = server.channel()
        images = api_pb2_grpc.ImageServiceStub(channel)
        assert pull(images, artifact.reference).image_ref == artifact.id
        response = status(images, artifact.reference, verbose=True)
        assert response.image.pinned is True
        info = json.loads(response.info["info"])
        assert (info["store"], info["readOnly"]) == (str(read_only.layout), True)
        remove(images, artifact.id)  # only in a read-only store: success, nothing changes
        assert [i.id for i in list_images(images)] == [artifact.id]
        assert not any((tmp_path / "root" / "artifacts" / "blobs" / "sha256").iterdir())
        channel.close()


@pytest.mark.registry
def test_image_fs_info_reports_the_main_store(images, builder: ArtifactBuilder, tmp_path: Path):
    def usage() -> api_pb2.FilesystemUsage:
        response = images.ImageFsInfo(api_pb2.ImageFsInfoRequest(), timeout=10)
        assert len(response.image_filesystems) == 1
        return response.image_filesystems[0]

    before = usage()
    assert before.fs_id.mountpoint == str(tmp_path / "root" / "artifacts")
    artifact = builder.artifact(unique_repository("big"), "v1", layers=[Layer(random_content(200_000), title="w.bin")])
    pull(images, artifact.reference)
    after = usage()
    assert after.used_bytes.value >= before.used_bytes.value + 200_000
    assert after.inodes_used.value >= before.inodes_used.value + 3  # manifest, config, layer
    assert after.timestamp >= before.timestamp > 0


# --- error codes ------------------------------------------------------------------------
@pytest.mark.registry
def test_invalid_references_are_invalid_argument(images, builder: ArtifactBuilder):
    both = f"{builder.name_address}/conformance/x:v1@sha256:{'a' * 64}"
    for call, argument in ((pull, both), (status, both), (remove, both), (pull, ""), (status, ""), (pull, "llm:v1")):
        error = rpc_error(call, images, argument)
        assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, (argument, error.details())
        assert error_kind(error) == "invalid_reference"
    assert "both a tag and a digest" in rpc_error(pull, images, both).details()
    assert both in rpc_error(status, images, both).details()


@pytest.mark.registry
def test_pull_errors_carry_codes_and_the_store_message(images, builder: ArtifactBuilder):
    missing = f"{builder.name_address}/{unique_repository('missing')}:v1"
    error = rpc_error(pull, images, missing)
    assert (error.code(), error_kind(error)) == (grpc.StatusCode.NOT_FOUND, "not_found")
    assert "404" in error.details() and "not found at the registry" in error.details()

    image = builder.container_image(unique_repository("image"), "v1")
    error = rpc_error(pull, images, image.reference)
    assert (error.code(), error_kind(error)) == (grpc.StatusCode.FAILED_PRECONDITION, "not_an_artifact")
    assert "is a container image" in error.details() and image.reference in error.details()

    unreachable = f"{UNREACHABLE_REGISTRY}/conformance/x:v1"
    error = rpc_error(pull, images, unreachable)
    assert (error.code(), error_kind(error)) == (grpc.StatusCode.UNAVAILABLE, "registry")
    assert UNREACHABLE_REGISTRY in error.details()
    assert list_images(images) == []  # nothing half-pulled is listed


@pytest.mark.registry
def test_ambiguous_id_is_invalid_argument(images, builder: ArtifactBuilder):
    repository = unique_repository("ids")
    seen: dict[str, PushedArtifact] = {}
    while True:
        candidate = builder.artifact(repository, None, layers=[Layer(random_content(64), title="m.bin")])
        if candidate.id[0] in seen:
            first, second = seen[candidate.id[0]], candidate
            break
        seen[candidate.id[0]] = candidate
    for artifact in (first, second):
        pull(images, artifact.digest_reference)
    error = rpc_error(status, images, first.id[0])
    assert (error.code(), error_kind(error)) == (grpc.StatusCode.INVALID_ARGUMENT, "ambiguous")
    assert first.digest in error.details() and second.digest in error.details()
    assert status(images, first.id).image.id == first.id  # the whole ID is not ambiguous


@pytest.mark.registry
def test_a_corrupt_main_store_is_data_loss(images, builder: ArtifactBuilder, tmp_path: Path):
    pull(images, push(builder).reference)
    index = tmp_path / "root" / "artifacts" / "index.json"
    index.write_text("{ not json")
    error = rpc_error(list_images, images)
    assert (error.code(), error_kind(error)) == (grpc.StatusCode.DATA_LOSS, "corrupt")
    assert str(index.parent) in error.details()


def test_status_codes_of_every_store_error():
    cases = {
        sim.InvalidReferenceError("x"): (grpc.StatusCode.INVALID_ARGUMENT, "invalid_reference"),
        sim.AmbiguousIDError("x"): (grpc.StatusCode.INVALID_ARGUMENT, "ambiguous"),
        sim.NotFoundError("x"): (grpc.StatusCode.NOT_FOUND, "not_found"),
        sim.NoMatchingPlatformError("x"): (grpc.StatusCode.NOT_FOUND, "not_found"),
        sim.NotAnArtifactError("x"): (grpc.StatusCode.FAILED_PRECONDITION, "not_an_artifact"),
        sim.ConfigError("x"): (grpc.StatusCode.FAILED_PRECONDITION, "config"),
        sim.RegistryError("GET http://r/v2/ failed"): (grpc.StatusCode.UNAVAILABLE, "registry"),
        sim.RegistryError("manifest r/x:v1: access denied by the registry"): (grpc.StatusCode.PERMISSION_DENIED, "registry"),
        sim.RegistryAccessError("registry r denied access to manifest x"): (grpc.StatusCode.PERMISSION_DENIED, "registry"),
        sim.DigestMismatchError("x"): (grpc.StatusCode.DATA_LOSS, "registry"),
        sim.CorruptStoreError("x"): (grpc.StatusCode.DATA_LOSS, "corrupt"),
        sim.UnsafeLayerNameError("x"): (grpc.StatusCode.DATA_LOSS, "corrupt"),
        sim.RefusedError("x is in use"): (grpc.StatusCode.FAILED_PRECONDITION, "other"),
        sim.ArtifactStoreError("x"): (grpc.StatusCode.INTERNAL, "other"),
        PermissionError(13, "Permission denied"): (grpc.StatusCode.INTERNAL, "other"),
        KeyError("boom"): (grpc.StatusCode.INTERNAL, "other"),
    }
    for error, expected in cases.items():
        code, kind, message = status_for(error)
        assert (code, kind) == expected, error
        assert "\n" not in message
        assert_plain(message)
    assert status_for(PermissionError(13, "Permission denied", "/var/lib/x"))[2] == (
        "the reference store failed on /var/lib/x: Permission denied")
    assert "boom" not in status_for(KeyError("boom"))[2]
    assert set(STATUS_CODES) == set(ERROR_KINDS)  # every kind has a code


def test_credentials_from_auth_config():
    assert credentials_from(None) is None
    assert credentials_from(api_pb2.AuthConfig()) is None
    creds = credentials_from(api_pb2.AuthConfig(username="u", password="p"))
    assert (creds.username, creds.password) == ("u", "p")
    encoded = base64.b64encode(b"alice:s3cret:with:colons").decode()
    creds = credentials_from(api_pb2.AuthConfig(username="ignored", auth=encoded))
    assert (creds.username, creds.password) == ("alice", "s3cret:with:colons")
    with pytest.raises(sim.InvalidReferenceError):
        credentials_from(api_pb2.AuthConfig(auth="%%%"))


# --- the process ---------------------------------------------------------------------------
@pytest.mark.registry
def test_sigterm_stops_cleanly_and_removes_the_socket(server: ServeCri):
    assert server.socket is not None and server.socket.is_socket()
    assert server.terminate() == 0
    assert not server.socket.exists()
    lines = server.output_text().splitlines()
    assert lines[-1].startswith("serving CRI ImageService on unix://")


@pytest.mark.registry
def test_sigint_stops_too_and_a_stale_socket_is_replaced(node: Path, tmp_path: Path):
    with short_tempdir() as sockets:
        socket_path = sockets / "cri.sock"
        with serve_cri(node, f"unix://{socket_path}", tmp_path / "first.log") as first:
            first.process.send_signal(signal.SIGKILL)  # leaves its socket file behind
            first.process.wait(10)
        assert socket_path.is_socket()
        with serve_cri(node, f"unix://{socket_path}", tmp_path / "second.log") as second:
            channel = second.channel()
            api_pb2_grpc.ImageServiceStub(channel).ListImages(api_pb2.ListImagesRequest(), timeout=10)
            channel.close()
            second.process.send_signal(signal.SIGINT)
            assert second.process.wait(15) == 0
        assert not socket_path.exists()


@pytest.mark.registry
def test_tcp_listen_on_port_zero_reports_the_port(node: Path, tmp_path: Path):
    with serve_cri(node, "tcp://127.0.0.1:0", tmp_path / "log") as server:
        assert server.address.startswith("tcp://127.0.0.1:") and not server.address.endswith(":0")
        channel = server.channel()
        version = api_pb2_grpc.RuntimeServiceStub(channel).Version(api_pb2.VersionRequest(), timeout=10)
        assert version.runtime_name == RUNTIME_NAME
        channel.close()


@pytest.mark.parametrize("stores, expected", [
    (["relative/store"], "'relative/store' is not absolute"),
    ([""], "is empty"),
])
def test_a_refused_configuration_is_one_error_line_and_exit_1(tmp_path: Path, stores, expected):
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=stores))
    with short_tempdir() as sockets:
        result = subprocess.run([*SERVE_CRI, "--listen", f"unix://{sockets}/cri.sock", "--config", str(config)],
                                capture_output=True, text=True, timeout=60)
        assert not (sockets / "cri.sock").exists()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("artifact-conformance: error: ") and expected in lines[0], result.stderr


def test_a_missing_configuration_file_is_one_error_line(tmp_path: Path):
    result = subprocess.run([*SERVE_CRI, "--listen", "tcp://127.0.0.1:0", "--config", str(tmp_path / "none.toml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    missing = tmp_path / "none.toml"
    assert result.stderr.strip() == (
        f"artifact-conformance: error: cannot read configuration '{missing}': No such file or directory"
    )


# --- a real CRI client ------------------------------------------------------------------------
@pytest.mark.registry
def test_crictl_pulls_lists_and_removes_through_serve_cri(server: ServeCri, builder: ArtifactBuilder,
                                                          crictl_binary: str, tmp_path: Path):
    artifact = push(builder, "crictl")
    (tmp_path / "crictl.yaml").write_text("")
    crictl = Crictl(crictl_binary, server.address, tmp_path / "crictl.yaml").ok

    assert "Image is up to date for" in crictl("pull", artifact.reference)
    assert artifact.id in crictl("images", "--no-trunc", "-q").split()
    inspected = json.loads(crictl("inspecti", artifact.reference))
    assert inspected["status"]["id"] == artifact.id
    crictl("rmi", artifact.reference)
    assert artifact.id not in crictl("images", "--no-trunc", "-q")


def test_serve_cri_is_a_registered_command():
    result = subprocess.run([sys.executable, "-m", "artifact_conformance", "serve-cri", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--listen" in result.stdout and "--config" in result.stdout
