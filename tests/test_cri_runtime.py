"""serve-cri's RuntimeService: pods and containers as records, image volumes by the store's mount rules."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cri_api.v1 import api_pb2

from artifact_conformance.fixtures.adapters.cri import CriAdapter
from artifact_conformance.fixtures.adapters.cri_client import CriClient
from artifact_conformance.fixtures.adapters.cri_settings import CriSettings
from artifact_conformance.fixtures.adapters.interface import NodeConfig
from artifact_conformance.fixtures.adapters.sut_errors import SutCorrupt, SutOtherError
from artifact_conformance.fixtures.adapters.workload_image import push_workload_image
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, Layer, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from tests.cri_process import LAUNCH_COMMAND
from tests.crictl import find_crictl

CRICTL = find_crictl()


@pytest.fixture
def launched(builder: ArtifactBuilder) -> Iterator[CriAdapter]:
    adapter = CriAdapter(CriSettings(launch=LAUNCH_COMMAND))
    adapter.workload_image = push_workload_image(builder)
    try:
        yield adapter
    finally:
        adapter.stop()


def model(builder: ArtifactBuilder, *layers: Layer):
    return builder.artifact(unique_repository("model"), "v1", layers=list(layers))


def keep_container(client: CriClient, image: str, artifact: str) -> tuple[str, str]:
    sandbox = api_pb2.PodSandboxConfig(metadata=api_pb2.PodSandboxMetadata(name="p", uid="p", namespace="t"))
    sandbox_id = client.call("RunPodSandbox", api_pb2.RunPodSandboxRequest(config=sandbox)).pod_sandbox_id
    config = api_pb2.ContainerConfig(metadata=api_pb2.ContainerMetadata(name="c"), image=api_pb2.ImageSpec(image=image),
                                     mounts=[api_pb2.Mount(container_path="/models", image=api_pb2.ImageSpec(image=artifact))])
    container_id = client.call("CreateContainer", api_pb2.CreateContainerRequest(
        pod_sandbox_id=sandbox_id, config=config, sandbox_config=sandbox)).container_id
    return sandbox_id, container_id


@pytest.mark.registry
def test_image_volumes_follow_the_store_mount_rules(launched: CriAdapter, builder: ArtifactBuilder,
                                                    registry: RegistryEndpoint, read_only: ReadOnlyStore,
                                                    tmp_path: Path):
    in_store = model(builder, Layer(b"weights", title="model.bin"), Layer(b"{}", filepath_annotation="tok.json"),
                     Layer(b"unnamed"), Layer(b"evil", title="../escape.bin"))
    tampered = model(builder, Layer(b"other weights", title="model.bin"))
    read_only.add(in_store)
    read_only.add(tampered)
    read_only.tamper_blob(tampered.manifest["layers"][0]["digest"])
    launched.start(NodeConfig(root=tmp_path / "root", additional_stores=(str(read_only.path),),
                              insecure_registries=(registry.address,)))

    mounts = launched.mount_paths(in_store.reference)
    assert sorted(m.name for m in mounts) == ["model.bin", "tok.json"]
    for mount in mounts:
        assert Path(mount.path).parent == read_only.layout / "blobs" / "sha256"
    assert any("escape.bin" in w for w in launched.warnings())
    with pytest.raises(SutCorrupt, match="does not match its digest"):
        launched.mount_paths(tampered.reference)
    # Every pod and container the adapter made is gone again.
    client = launched._running()
    assert not client.call("ListPodSandbox", api_pb2.ListPodSandboxRequest()).items
    assert not client.call("ListContainers", api_pb2.ListContainersRequest()).containers


@pytest.mark.registry
def test_an_artifact_in_use_stays_and_crictl_prune_keeps_pinned_and_used(
        launched: CriAdapter, builder: ArtifactBuilder, registry: RegistryEndpoint, read_only: ReadOnlyStore,
        tmp_path: Path):
    used, unused, pinned, in_store = (model(builder, Layer(title="model.bin")) for _ in range(4))
    read_only.add(in_store)
    launched.start(NodeConfig(root=tmp_path / "root", additional_stores=(str(read_only.path),),
                              pinned_images=(pinned.reference,), insecure_registries=(registry.address,)))
    for artifact in (used, unused, pinned):
        launched.pull(artifact.reference)
    client = launched._running()
    sandbox_id, container_id = keep_container(client, launched.workload_image, used.reference)

    status = client.call("ContainerStatus", api_pb2.ContainerStatusRequest(container_id=container_id, verbose=True))
    assert cri_mount_sources(status) == {"/models/model.bin": str(launched.main_store_dir() / "blobs" / "sha256" /
                                                                  used.manifest["layers"][0]["digest"].split(":")[1])}
    with pytest.raises(SutOtherError, match=f"in use by {container_id}"):
        launched.remove(used.id)

    if CRICTL is not None:
        run = subprocess.run([CRICTL, "--runtime-endpoint", f"unix://{client.endpoint.removeprefix('unix://')}",
                              "--image-endpoint", client.endpoint, "rmi", "--prune"],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert sorted(a.id for a in launched.list()) == sorted([in_store.id, used.id, pinned.id]), run.stdout

    client.call("StopPodSandbox", api_pb2.StopPodSandboxRequest(pod_sandbox_id=sandbox_id))
    client.call("RemovePodSandbox", api_pb2.RemovePodSandboxRequest(pod_sandbox_id=sandbox_id))
    launched.remove(used.id)  # no longer in use
    assert used.id not in {a.id for a in launched.list()}


def cri_mount_sources(status) -> dict[str, str]:
    import json

    spec = json.loads(status.info["info"])["runtimeSpec"]
    return {m["destination"]: m["source"] for m in spec["mounts"]}


def test_mounts_are_read_from_cri_os_verbose_info_below_the_target_only():
    import json

    from artifact_conformance.fixtures.adapters.cri_mounts import CONTAINER_PATH, binds_from_info

    spec = {"runtimeSpec": {"mounts": [
        {"destination": "/proc", "source": "proc", "type": "proc"},
        {"destination": "/mnt/artifact/model.bin", "source": "/s/blobs/sha256/aa", "type": "bind",
         "options": ["bind", "ro"]},
        {"destination": "/mnt/artifact/weights/x.bin", "source": "/s/blobs/sha256/bb", "type": "bind"},
        {"destination": "/mnt/artifactual", "source": "/elsewhere", "type": "bind"},
    ]}}
    assert binds_from_info({"info": json.dumps(spec)}, CONTAINER_PATH) == [
        ("model.bin", "/s/blobs/sha256/aa", ("bind", "ro")), ("weights/x.bin", "/s/blobs/sha256/bb", ())]
    with pytest.raises(SutOtherError, match="no runtimeSpec"):
        binds_from_info({"info": "{}"}, CONTAINER_PATH)
    with pytest.raises(SutOtherError, match="carries no info"):
        binds_from_info({}, CONTAINER_PATH)
