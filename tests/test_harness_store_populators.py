"""Populated read-only stores are real OCI layouts; damage and read-only-ness are real too."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess

import pytest
from artifact_conformance.fixtures.registry.builder import (
    OCI_INDEX,
    Layer,
    unique_repository,
)
from artifact_conformance.fixtures.stores.mounting import MountUnavailable
from artifact_conformance.fixtures.stores.populators import (
    REF_NAME_ANNOTATION,
    ReadOnlyStore,
    SkopeoCopyError,
    fingerprint_changes,
    fingerprint_tree,
)

pytestmark = pytest.mark.registry

needs_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="Debian's skopeo is not installed")


def skopeo_raw(store: ReadOnlyStore, name: str | None) -> bytes:
    target = f"oci:{store.layout}" + (f":{name}" if name is not None else "")
    completed = subprocess.run(["skopeo", "inspect", "--raw", target], capture_output=True, timeout=60)
    assert completed.returncode == 0, f"skopeo inspect --raw {target}: {completed.stderr.decode()}"
    return completed.stdout


def assert_valid_layout(store: ReadOnlyStore) -> None:
    """Every blob is named by its digest, and every descriptor reachable from
    index.json points at a blob of the size it states."""
    layout = store.layout
    assert json.loads((layout / "oci-layout").read_bytes()) == {"imageLayoutVersion": "1.0.0"}
    for blob in (layout / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    pending = list(json.loads(store.index_path.read_bytes())["manifests"])
    while pending:
        descriptor = pending.pop()
        blob = store.blob_path(descriptor["digest"])
        assert blob.stat().st_size == descriptor["size"], descriptor
        if descriptor["mediaType"] == OCI_INDEX:
            pending += json.loads(blob.read_bytes())["manifests"]
        elif descriptor["mediaType"].endswith("manifest.v1+json") or "manifest.v2" in descriptor["mediaType"]:
            manifest = json.loads(blob.read_bytes())
            pending += [manifest["config"], *manifest["layers"]]


@needs_skopeo
@pytest.mark.skopeo
def test_added_artifacts_are_a_layout_skopeo_reads(artifact_builder, read_only_store_factory):
    repository = unique_repository("layout")
    named = artifact_builder.artifact(repository, "v1", layers=[Layer(title="a.bin"), Layer(title="b.bin")])
    bare = artifact_builder.artifact(repository, "v2")
    unnamed = artifact_builder.artifact(repository, "v3")
    store = read_only_store_factory()

    descriptor = store.add(named)
    store.add(bare, bare_tag=True)
    store.add(unnamed, name=None)

    assert_valid_layout(store)
    assert descriptor == {"mediaType": named.media_type, "digest": named.digest, "size": len(named.manifest_bytes),
                          "artifactType": named.artifact_type,
                          "annotations": {REF_NAME_ANNOTATION: named.reference}}
    assert store.ref_names() == [named.reference, "v2", None]
    assert skopeo_raw(store, named.reference) == named.manifest_bytes
    assert skopeo_raw(store, "v2") == bare.manifest_bytes
    assert store.blob_path(unnamed.digest).read_bytes() == unnamed.manifest_bytes


def test_adding_a_name_again_replaces_the_entry_like_containers_image(artifact_builder, read_only_store_factory):
    repository = unique_repository("rename")
    first = artifact_builder.artifact(repository, "v1")
    second = artifact_builder.repoint(repository, "v1", artifact_builder.artifact(repository, "other"))
    store = read_only_store_factory()
    store.add(first)
    store.add(second)
    store.add(first, name="explicit:name")
    store.add(first, name="explicit:name", replace_name=False)

    entries = json.loads(store.index_path.read_bytes())["manifests"]
    assert [(e["digest"], e["annotations"][REF_NAME_ANNOTATION]) for e in entries] == [
        (second.digest, second.reference), (first.digest, "explicit:name"), (first.digest, "explicit:name")]
    assert store.blob_path(first.digest).exists(), "blobs of a replaced entry stay"


@needs_skopeo
@pytest.mark.skopeo
def test_an_index_artifact_is_written_with_its_children(artifact_builder, read_only_store_factory):
    repository = unique_repository("layout-index")
    index = artifact_builder.index(repository, "v1", {("linux", "amd64"): [Layer(title="x")],
                                                      ("linux", "arm64"): [Layer(title="y")]})
    store = read_only_store_factory()
    store.add_index(index)

    assert_valid_layout(store)
    assert skopeo_raw(store, index.reference) == index.manifest_bytes
    for child in index.children.values():
        assert store.blob_path(child.digest).read_bytes() == child.manifest_bytes
    with pytest.raises(ValueError, match="not an index"):
        store.add_index(index.for_platform("linux", "amd64"))


@needs_skopeo
@pytest.mark.skopeo
def test_skopeo_copy_writes_a_bare_tag_with_the_registry_digest(registry, artifact_builder, read_only_store_factory):
    repository = unique_repository("skopeo")
    artifact = artifact_builder.artifact(repository, "v1", layers=[Layer(title="m.bin")])
    plain_index = artifact_builder.index(repository, "plain", {("linux", "amd64"): [Layer(title="a")],
                                                               ("linux", "arm64"): [Layer(title="b")]},
                                         child_artifact_type=None)
    typed_index = artifact_builder.index(repository, "typed", {("linux", "amd64"): [Layer(title="c")]})
    store = read_only_store_factory()

    entry = store.from_skopeo(f"{registry.address}/{repository}:v1", "v1")
    plain = store.from_skopeo(f"docker://{registry.address}/{repository}:plain", "plain", all_platforms=True)
    typed = store.from_skopeo(f"{registry.address}/{repository}:typed", "typed", all_platforms=True)

    assert entry["digest"] == artifact.digest, "skopeo keeps an artifact's manifest bytes"
    assert plain["digest"] == plain_index.digest
    # skopeo 1.9 re-serializes an index whose entries carry artifactType and
    # drops that field, so only the children keep their digests there.
    typed_children = [d["digest"] for d in json.loads(store.blob_path(typed["digest"]).read_bytes())["manifests"]]
    assert typed_children == [child.digest for child in typed_index.children.values()]
    assert store.ref_names() == ["v1", "plain", "typed"]
    assert store.blob_path(artifact.digest).read_bytes() == artifact.manifest_bytes
    assert_valid_layout(store)
    with pytest.raises(SkopeoCopyError, match="exited with"):
        store.from_skopeo(f"{registry.address}/{repository}:missing", "missing")


def test_copy_layout_from_a_main_store(artifact_builder, read_only_store_factory, tmp_path):
    main = ReadOnlyStore(tmp_path / "main-root")
    main.add(artifact_builder.artifact(unique_repository("copy"), "v1"))
    (main.layout / ".lock").write_bytes(b"")
    store = read_only_store_factory()

    store.copy_layout_from(main.path)  # the root holding artifacts/: accepted too

    assert fingerprint_tree(store.layout) == fingerprint_tree(main.layout)
    with pytest.raises(FileExistsError):
        store.copy_layout_from(main.layout)
    with pytest.raises(FileNotFoundError, match="no OCI layout"):
        read_only_store_factory().copy_layout_from(tmp_path / "nowhere")


def test_damage_helpers(artifact_builder, read_only_store_factory, tmp_path):
    artifact = artifact_builder.artifact(unique_repository("damage"), "v1",
                                         layers=[Layer(b"layer one", title="1"), Layer(b"layer two", title="2")])
    first, second = (layer["digest"] for layer in artifact.manifest["layers"])
    store = read_only_store_factory()
    store.add(artifact)

    store.tamper_blob(first)
    tampered = store.blob_path(first).read_bytes()
    assert len(tampered) == len(b"layer one") and tampered != b"layer one"

    outside = tmp_path / "outside" / "blob"
    store.symlink_blob_outside(second, outside)
    link = store.blob_path(second)
    assert link.is_symlink() and link.resolve() == outside.resolve()
    assert link.read_bytes() == b"layer two"

    store.remove_blob(artifact.config_digest)
    assert not store.blob_path(artifact.config_digest).exists()

    store.corrupt_index()
    with pytest.raises(json.JSONDecodeError):
        json.loads(store.index_path.read_bytes())

    store.remove()
    assert not store.path.exists()


def test_fingerprint_sees_created_changed_and_hidden_files(artifact_builder, read_only_store_factory):
    store = read_only_store_factory()
    store.add(artifact_builder.artifact(unique_repository("fingerprint"), "v1"))
    before = store.fingerprint()
    assert before == store.fingerprint() and {".", "artifacts", "artifacts/index.json"} <= before.keys()

    (store.layout / ".index.json.lock").write_bytes(b"")
    created = store.fingerprint()
    assert fingerprint_changes(before, created) == ["created artifacts/.index.json.lock"]

    (store.layout / ".index.json.lock").unlink()
    store.index_path.chmod(0o600)
    assert fingerprint_changes(before, store.fingerprint()) == [
        f"changed artifacts/index.json: {before['artifacts/index.json']} -> "
        f"{store.fingerprint()['artifacts/index.json']}"]
    assert fingerprint_tree(store.path / "missing") == {}


def test_make_unwritable_clears_every_write_bit(artifact_builder, read_only_store_factory):
    store = read_only_store_factory()
    store.add(artifact_builder.artifact(unique_repository("unwritable"), "v1"))
    store.make_unwritable()
    modes = [entry.mode for entry in store.fingerprint().values()]
    assert modes and all(stat.S_IMODE(mode) & 0o222 == 0 for mode in modes)
    store.make_writable()
    assert store.index_path.stat().st_mode & stat.S_IWUSR


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="a read-only bind mount needs root")
def test_read_only_bind_mount_makes_writes_fail_even_for_root(artifact_builder, read_only_store_factory):
    store = read_only_store_factory()
    store.add(artifact_builder.artifact(unique_repository("ro-mount"), "v1"))
    before = store.fingerprint()

    try:
        with store.read_only_bind_mount():
            for attempt in (lambda: (store.layout / "new").write_bytes(b"x"),
                            lambda: store.index_path.write_bytes(b"{}"),
                            lambda: (store.path / "dir").mkdir()):
                with pytest.raises(OSError) as raised:
                    attempt()
                assert raised.value.errno == errno.EROFS
            assert store.index_path.read_bytes(), "reads still work"
    except MountUnavailable as unavailable:
        pytest.skip(f"read-only bind mount not available here: {unavailable.reason}")

    assert store.fingerprint() == before
    (store.layout / "after").write_bytes(b"writable again")


def test_read_only_bind_mount_is_unavailable_without_root(read_only_store_factory, monkeypatch):
    store = read_only_store_factory()
    store.path.mkdir()
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(MountUnavailable, match="needs root") as raised:
        with store.read_only_bind_mount():
            pass
    assert "uid 1000" in raised.value.reason
