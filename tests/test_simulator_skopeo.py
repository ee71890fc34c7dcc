"""Interoperability with a real peer: layouts written by skopeo (containers/image, ``oci:``)
are read-only stores the simulator serves, and the simulator's main store is a layout
skopeo reads (docs/contract.md: interop.foreign-layouts, list.unnamed-visible, digest.preserved).

Debian's skopeo 1.9.3 copies every OCI artifact shape tried here, byte for byte. It refuses a
Docker v2 manifest whose layers have non-Docker media types ("unsupported docker v2s2 media
type"), and converts a Docker v2 manifest to OCI (new digest) unless --preserve-digests is given.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.builder import (
    DOCKER_LAYER_TAR_GZIP,
    DOCKER_MANIFEST,
    MODELPACK,
    ArtifactBuilder,
    Layer,
    PushedArtifact,
    host_platform,
    unique_repository,
)
from artifact_conformance.simulator import mediatypes as mt
from tests.simulator_support import blob_file, make_store, other_platform

SKOPEO = shutil.which("skopeo")
pytestmark = [pytest.mark.registry, pytest.mark.skopeo,
              pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed (apt-get install skopeo)")]


def skopeo(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([SKOPEO, *args], capture_output=True, timeout=60)
    assert result.returncode == 0, f"skopeo {' '.join(args)}: {result.stderr.decode()}"
    return result


def copy_to_layout(registry, repository: str, tag: str, store_path: Path, name: str, *extra: str) -> None:
    store_path.mkdir(parents=True, exist_ok=True)  # skopeo creates the layout, not its parent
    skopeo("copy", *extra, "--src-tls-verify=false", f"docker://{registry.address}/{repository}:{tag}",
           f"oci:{store_path / 'artifacts'}:{name}")


SHAPES = {
    "artifactType-empty-config": dict(layers=[Layer(title="weights.bin")]),
    "modelpack-config-no-artifactType": dict(
        layers=[Layer(filepath_annotation="model.safetensors")],
        config=b'{"descriptor": {"name": "llm"}}', config_media_type=MODELPACK.config_media_type, artifact_type=None),
    "custom-config-and-artifactType": dict(
        layers=[Layer(title="weights.bin")], config=b'{"x": 1}', config_media_type="application/vnd.example.config+json"),
    "empty-config-no-artifactType": dict(layers=[Layer(title="weights.bin")], artifact_type=None),
}


def first_layer(entry: PushedArtifact) -> bytes:
    return entry.blobs[entry.manifest["layers"][0]["digest"]]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_layout_written_by_skopeo_is_a_read_only_store(tmp_path: Path, registry, builder: ArtifactBuilder,
                                                         shape: str) -> None:
    repository = unique_repository("skopeo")
    entry = builder.artifact(repository, "v1", **SHAPES[shape])
    copy_to_layout(registry, repository, "v1", tmp_path / "ro", "v1")
    stored = json.loads((tmp_path / "ro" / "artifacts" / "index.json").read_text())["manifests"][0]
    assert stored["annotations"] == {mt.ANNOTATION_REF_NAME: "v1"}  # a bare tag: no usable name
    assert blob_file(tmp_path / "ro" / "artifacts", entry.digest).read_bytes() == entry.manifest_bytes

    store = make_store(tmp_path, [tmp_path / "ro"])

    [record] = store.list()
    assert (record.id, record.repo_tags, record.repo_digests, record.ref_name) == (entry.id, [], [], "v1")
    assert record.size == entry.size and record.pinned and record.read_only
    assert store.status(entry.id[:12]).id == entry.id
    [mount] = store.mount_paths(entry.id)
    assert Path(mount.path).read_bytes() == first_layer(entry)
    assert Path(mount.path).is_relative_to(tmp_path / "ro" / "artifacts")


def test_several_bare_tags_in_one_skopeo_layout_are_each_listed(tmp_path: Path, registry,
                                                                builder: ArtifactBuilder) -> None:
    repository = unique_repository("skopeo")
    first, second = builder.artifact(repository, "v1"), builder.artifact(repository, "v2")
    copy_to_layout(registry, repository, "v1", tmp_path / "ro", "v1")
    copy_to_layout(registry, repository, "v2", tmp_path / "ro", "v2")
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert sorted((r.id, r.ref_name, tuple(r.repo_tags)) for r in store.list()) == sorted(
        [(first.id, "v1", ()), (second.id, "v2", ())])


def test_skopeo_copies_the_host_instance_of_an_index_and_the_simulator_resolves_a_whole_index(
        tmp_path: Path, registry, builder: ArtifactBuilder) -> None:
    repository = unique_repository("skopeo")
    index = builder.index(repository, "multi", {other_platform(): [Layer(title="other.bin")],
                                                host_platform(): [Layer(title="host.bin")]})
    mine = index.for_platform(*host_platform())
    copy_to_layout(registry, repository, "multi", tmp_path / "single", "multi")
    copy_to_layout(registry, repository, "multi", tmp_path / "all", "multi", "--all")

    for store_path in ("single", "all"):
        store = make_store(tmp_path / f"node-{store_path}", [tmp_path / store_path])
        [record] = store.list()
        assert record.id == mine.id, store_path
        assert [m.name for m in store.mount_paths(mine.id)] == ["host.bin"]


def test_a_docker_v2_artifact_kept_by_preserve_digests_is_read(tmp_path: Path, registry,
                                                               builder: ArtifactBuilder) -> None:
    repository = unique_repository("skopeo")
    entry = builder.artifact(repository, "v1", [Layer(b"docker-typed layer", "weights.bin", media_type=DOCKER_LAYER_TAR_GZIP)],
                             config=b'{"x": 1}', config_media_type="application/vnd.example.config+json",
                             media_type=DOCKER_MANIFEST, artifact_type=None)
    copy_to_layout(registry, repository, "v1", tmp_path / "ro", "v1", "--preserve-digests")
    [record] = make_store(tmp_path, [tmp_path / "ro"]).list()
    assert (record.id, record.media_type) == (entry.id, mt.DOCKER_MANIFEST)


def test_a_skopeo_layout_named_with_full_references_satisfies_pulls(tmp_path: Path, registry,
                                                                   builder: ArtifactBuilder) -> None:
    repository = unique_repository("skopeo")
    entry = builder.artifact(repository, "v1")
    reference = f"{registry.address}/{repository}:v1"
    copy_to_layout(registry, repository, "v1", tmp_path / "ro", reference)
    store = make_store(tmp_path, [tmp_path / "ro"], [registry.address])
    result = store.pull(reference)
    assert result.skipped and result.record.repo_tags == [reference] and result.record.id == entry.id


def test_skopeo_reads_the_main_store_by_full_reference(tmp_path: Path, registry, builder: ArtifactBuilder) -> None:
    repository = unique_repository("skopeo")
    entries = {tag: builder.artifact(repository, tag, [Layer(title=f"{tag}.bin")]) for tag in ("v1", "v2")}
    store = make_store(tmp_path, [], [registry.address])
    for tag in entries:
        store.pull(f"{registry.address}/{repository}:{tag}")

    for tag, entry in entries.items():
        raw = skopeo("inspect", "--raw", f"oci:{store.main.directory}:{registry.address}/{repository}:{tag}").stdout
        assert raw == entry.manifest_bytes  # the exact bytes: digests preserved

    # And skopeo copies out of it into a layout another node serves read-only.
    reference = f"{registry.address}/{repository}:v2"
    (tmp_path / "exported").mkdir()
    skopeo("copy", f"oci:{store.main.directory}:{reference}", f"oci:{tmp_path / 'exported' / 'artifacts'}:{reference}")
    other = make_store(tmp_path / "node-b", [tmp_path / "exported"], [registry.address])
    assert other.pull(reference).skipped and other.status(reference).id == entries["v2"].id
