"""On a real CRI-O: the files a container sees through an image volume are the
artifact's layers, byte for byte, bound from the read-only store that holds it.

Skipped without root or a CRI-O (``fixtures/crio_node.find_crio``), naming why.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cri_api.v1 import api_pb2

from artifact_conformance.fixtures.adapters.cri_mounts import image_volume_mounts
from artifact_conformance.fixtures.adapters.cri_settings import CriSettings
from artifact_conformance.fixtures.adapters.crio import CrioAdapter
from artifact_conformance.fixtures.adapters.crio_node import CrioUnavailable, find_crio
from artifact_conformance.fixtures.adapters.interface import NodeConfig
from artifact_conformance.fixtures.adapters.workload_image import push_workload_image
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, Layer, sha256_file_digest, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore


@pytest.fixture
def crio() -> CrioAdapter:
    if os.geteuid() != 0:
        pytest.skip("CRI-O needs root")
    try:
        find_crio()
    except CrioUnavailable as error:
        pytest.skip(f"no CRI-O: {error}")
    adapter = CrioAdapter.from_settings(None, CriSettings(launch="true {socket} {config}"))
    yield adapter
    adapter.stop()


@pytest.mark.registry
def test_a_container_sees_the_read_only_artifact_byte_for_byte(crio: CrioAdapter, builder: ArtifactBuilder,
                                                                 registry: RegistryEndpoint, read_only: ReadOnlyStore,
                                                                 tmp_path: Path):
    layers = [Layer(os.urandom(4096), title="model.bin"), Layer(b'{"vocab": 1}\n', title="tokenizer.json")]
    artifact = builder.artifact(unique_repository("model"), "v1", layers=layers)
    read_only.add(artifact)
    crio.workload_image = push_workload_image(builder)
    crio.start(NodeConfig(root=tmp_path / "root", additional_stores=(str(read_only.path),),
                          insecure_registries=(registry.address,)))

    reading = image_volume_mounts(crio._call, artifact.reference, crio.workload_image)

    assert reading.seen_inside, reading.notes
    assert sorted(m.name for m in reading.mounts) == ["model.bin", "tokenizer.json"]
    by_name = {layer.title: layer for layer in layers}
    blobs = read_only.layout / "blobs" / "sha256"
    for mount in reading.mounts:
        assert Path(mount.path).parent == blobs, f"{mount.name} is bound from {mount.path}, not from {blobs}"
        assert stat.S_ISREG(os.lstat(mount.path).st_mode)
        assert sha256_file_digest(mount.path) == by_name[mount.name].digest
    # What the container saw was compared with those host files inside it (find, sha256sum).
    assert any("byte-identical" in note for note in reading.notes), reading.notes
    # No pod or container is left behind.
    assert not crio._call("ListContainers", api_pb2.ListContainersRequest()).containers
    assert not crio._call("ListPodSandbox", api_pb2.ListPodSandboxRequest()).items
