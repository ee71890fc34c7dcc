"""The layered store against a real registry: resolution, listing, pulling, removing,
mounting, pinning (docs/contract.md, every section from "Names and look-ups" on)."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from artifact_conformance.fixtures.probe.traffic_probe import TrafficProbe
from artifact_conformance.fixtures.registry.builder import (
    MANIFEST_ACCEPT,
    MODELPACK_DRAFT,
    ArtifactBuilder,
    Layer,
    host_platform,
    random_content,
    unique_repository,
)
from artifact_conformance.simulator import store as store_module
from artifact_conformance.simulator.errors import (
    AmbiguousIDError,
    InvalidReferenceError,
    CorruptStoreError,
    NotAnArtifactError,
    NotFoundError,
)
from artifact_conformance.simulator.main_layout import Staging
from tests.simulator_support import (
    FrozenTimestamps,
    blob_file,
    files_under,
    fingerprint,
    make_store,
    offline_artifact,
    offline_image,
    offline_index,
    other_platform,
    unused_port,
    write_layout,
)

pytestmark = pytest.mark.registry


@pytest.fixture
def pusher(builder: ArtifactBuilder) -> ArtifactBuilder:
    """Pushes artifacts built beforehand (offline) to the registry."""
    return builder


def served_manifest(registry, repository: str, reference: str) -> requests.Response:
    return requests.get(f"{registry.url}/v2/{repository}/manifests/{reference}", timeout=30,
                        headers={"Accept": MANIFEST_ACCEPT})


@pytest.fixture
def repo(registry) -> str:
    """A repository of its own for each test, as ``host:port/path``."""
    return f"{registry.address}/{unique_repository()}"


def path_of(repository: str) -> str:
    return repository.split("/", 1)[1]


def main_files(store) -> list[str]:
    return sorted(p.name for p in (store.main.directory / "blobs" / "sha256").iterdir())


def assert_no_staging_left(store) -> None:
    assert files_under(store.main.staging_root) == []


# -- resolution ---------------------------------------------------------------------
def test_resolution_order_is_read_only_stores_in_order_then_main(tmp_path: Path, registry, pusher, repo) -> None:
    in_main = offline_artifact()
    pusher.push(in_main, path_of(repo), "v1")
    store = make_store(tmp_path, [tmp_path / "ro1", tmp_path / "ro2"], [registry.address])
    assert store.pull(f"{repo}:v1").skipped is False
    assert store.status(f"{repo}:v1").store == str(store.main.directory)

    in_second = offline_artifact()
    write_layout(tmp_path / "ro2", (f"{repo}:v1", in_second))
    record = store.status(f"{repo}:v1")
    assert (record.id, record.store, record.read_only) == (in_second.id, str(tmp_path / "ro2" / "artifacts"), True)

    in_first = offline_artifact()
    write_layout(tmp_path / "ro1", (f"{repo}:v1", in_first))
    assert store.status(f"{repo}:v1").id == in_first.id

    # IDs and digests resolve wherever the artifact is; the first store holding it wins.
    assert store.status(in_main.id).store == str(store.main.directory)
    assert store.status(in_second.id[:7]).store == str(tmp_path / "ro2" / "artifacts")
    assert store.status(f"sha256:{in_main.id}").id == in_main.id
    assert store.status(f"{repo}@{in_main.digest}").store == str(store.main.directory)
    assert store.status(f"{repo}@{in_second.digest}").id == in_second.id
    with pytest.raises(NotFoundError):
        store.status(f"{repo}-other@{in_main.digest}")  # the digest, under another repository
    with pytest.raises(NotFoundError, match=f"{repo}:v2"):
        store.status(f"{repo}:v2")


def test_a_name_without_a_tag_means_latest(tmp_path: Path, registry, pusher, repo) -> None:
    entry = offline_artifact()
    pusher.push(entry, path_of(repo), "latest")
    store = make_store(tmp_path, [], [registry.address])
    assert store.pull(repo).record.repo_tags == [f"{repo}:latest"]
    assert store.status(repo).id == entry.id


def test_an_ambiguous_id_prefix_within_one_store_is_an_error_naming_both(tmp_path: Path) -> None:
    by_first_char: dict[str, object] = {}
    while True:
        candidate = offline_artifact()
        if candidate.id[0] in by_first_char:
            break
        by_first_char[candidate.id[0]] = candidate
    twin = by_first_char[candidate.id[0]]
    write_layout(tmp_path / "ro", ("registry.example/a/b:v1", twin), ("registry.example/a/b:v2", candidate))
    store = make_store(tmp_path, [tmp_path / "ro"])
    with pytest.raises(AmbiguousIDError) as raised:
        store.status(candidate.id[0])
    assert twin.digest in str(raised.value) and candidate.digest in str(raised.value)
    assert store.status(candidate.id[:20]).id == candidate.id


def test_the_same_prefix_in_two_stores_is_not_ambiguous(tmp_path: Path) -> None:
    entry = offline_artifact()
    write_layout(tmp_path / "ro1", ("registry.example/a/b:v1", entry))
    write_layout(tmp_path / "ro2", ("registry.example/a/b:v1", entry))
    store = make_store(tmp_path, [tmp_path / "ro1", tmp_path / "ro2"])
    assert store.status(entry.id[:4]).store == str(tmp_path / "ro1" / "artifacts")


def test_a_failing_main_store_is_an_error(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    (store.main.directory / "index.json").write_text("{")
    with pytest.raises(CorruptStoreError, match="main store"):
        store.list()


# -- listing ------------------------------------------------------------------------
def test_listing_dedups_by_reference_with_read_only_stores_first(tmp_path: Path, registry, pusher, repo) -> None:
    main_t1, main_t4 = offline_artifact(), offline_artifact()
    pusher.push(main_t1, path_of(repo), "t1")
    pusher.push(main_t4, path_of(repo), "t4")
    store = make_store(tmp_path, [tmp_path / "ro1", tmp_path / "ro2"], [registry.address])
    store.pull(f"{repo}:t1"), store.pull(f"{repo}:t4")

    first_t1, first_t2, second_t1, second_t3, bare = (offline_artifact() for _ in range(5))
    write_layout(tmp_path / "ro1", (f"{repo}:t1", first_t1), (f"{repo}:t2", first_t2))
    write_layout(tmp_path / "ro2", (f"{repo}:t1", second_t1), (f"{repo}:t3", second_t3), ("t5", bare))

    listed = [(r.id, r.repo_tags, r.store) for r in store.list()]
    ro1, ro2, main = (str(tmp_path / "ro1" / "artifacts"), str(tmp_path / "ro2" / "artifacts"),
                      str(store.main.directory))
    assert listed == [
        (first_t1.id, [f"{repo}:t1"], ro1),  # wins over ro2 and main, although the digests differ
        (first_t2.id, [f"{repo}:t2"], ro1),
        (second_t3.id, [f"{repo}:t3"], ro2),
        (bare.id, [], ro2),  # unnamed: always listed
        (main_t4.id, [f"{repo}:t4"], main),
    ]


# -- pulling ------------------------------------------------------------------------
def test_a_pull_copies_the_manifest_byte_for_byte_into_the_main_store(tmp_path: Path, registry, pusher, repo) -> None:
    entry = offline_artifact(Layer(random_content(300), "weights.bin"), Layer(random_content(20), "config.json"))
    pusher.push(entry, path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])

    result = store.pull(f"{repo}:v1")

    record = result.record
    assert result.skipped is False
    assert record.id == entry.id and record.digest == entry.digest
    assert record.repo_tags == [f"{repo}:v1"]
    assert record.repo_digests == [f"{repo}@{entry.digest}"]
    assert record.size == 320
    assert record.pinned is False and record.read_only is False
    assert record.store == str(store.main.directory)
    served = served_manifest(registry, path_of(repo), "v1")
    assert blob_file(store.main.directory, entry.digest).read_bytes() == served.content == entry.manifest_bytes
    # The reported repo digest resolves at the registry.
    assert served_manifest(registry, path_of(repo), entry.digest).status_code == 200
    for digest, data in entry.contents().items():
        assert blob_file(store.main.directory, digest).read_bytes() == data
    index = json.loads((store.main.directory / "index.json").read_bytes())
    [descriptor] = index["manifests"]
    assert descriptor["digest"] == entry.digest and descriptor["size"] == len(entry.manifest_bytes)
    assert descriptor["annotations"]["org.opencontainers.image.ref.name"] == f"{repo}:v1"
    assert_no_staging_left(store)


def test_a_pull_by_digest_is_named_by_digest(tmp_path: Path, registry, pusher, repo) -> None:
    entry = offline_artifact()
    pusher.push(entry, path_of(repo))
    store = make_store(tmp_path, [], [registry.address])
    record = store.pull(f"{repo}@{entry.digest}").record
    assert (record.id, record.repo_tags, record.repo_digests) == (entry.id, [], [f"{repo}@{entry.digest}"])
    assert store.status(f"{repo}@{entry.digest}").id == entry.id


def test_a_pull_is_skipped_when_a_read_only_store_has_the_reference(tmp_path: Path, registry, pusher) -> None:
    with TrafficProbe(registry.address, registry.scheme) as proxy:
        repository = unique_repository()
        repo = f"{proxy.address}/{repository}"
        at_registry, in_store = offline_artifact(), offline_artifact()
        pusher.push(at_registry, repository, "v1")  # the registry's tag points elsewhere
        write_layout(tmp_path / "ro1", (f"{repo}:other", offline_artifact()))
        write_layout(tmp_path / "ro2", (f"{repo}:v1", in_store), (f"{repo}@{at_registry.digest}", at_registry))
        store = make_store(tmp_path, [tmp_path / "ro1", tmp_path / "ro2"], [proxy.address])
        main_before = fingerprint(tmp_path / "root")

        result = store.pull(f"{repo}:v1")
        by_digest = store.pull(f"{repo}@{at_registry.digest}")

        assert result.skipped and result.record.digest == in_store.digest
        assert result.record.store == str(tmp_path / "ro2" / "artifacts") and result.record.pinned
        assert by_digest.skipped and by_digest.record.id == at_registry.id
        assert proxy.requests == []  # not a single registry request, let alone a blob
        assert fingerprint(tmp_path / "root") == main_before
        assert store.status(f"{repo}:v1").id == in_store.id


def test_a_skipped_pull_needs_no_registry_at_all(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{unused_port()}"
    entry = offline_artifact()
    write_layout(tmp_path / "ro", (f"{dead}/models/llm:v1", entry))
    store = make_store(tmp_path, [tmp_path / "ro"], [dead])
    assert store.pull(f"{dead}/models/llm:v1").record.id == entry.id


def test_a_corrupt_read_only_store_does_not_stop_a_pull(tmp_path: Path, registry, pusher, repo) -> None:
    entry = offline_artifact()
    pusher.push(entry, path_of(repo), "v1")
    write_layout(tmp_path / "ro", (f"{repo}:v1", offline_artifact()))
    (tmp_path / "ro" / "artifacts" / "index.json").write_text("[")
    store = make_store(tmp_path, [tmp_path / "ro"], [registry.address])
    result = store.pull(f"{repo}:v1")
    assert not result.skipped and result.record.id == entry.id
    assert store.warnings.matching(str(tmp_path / "ro"))


def test_a_re_pull_follows_a_re_pointed_tag_and_the_old_artifact_stays_removable_by_id(
        tmp_path: Path, registry, pusher) -> None:
    shared = Layer(title="tokenizer.json")
    old = offline_artifact(shared, Layer(title="weights-old.bin"))
    new = offline_artifact(shared, Layer(title="weights-new.bin"))
    with TrafficProbe(registry.address, registry.scheme) as proxy:
        repository = unique_repository()
        repo = f"{proxy.address}/{repository}"
        store = make_store(tmp_path, [], [proxy.address])
        pusher.push(old, repository, "v1")
        assert store.pull(f"{repo}:v1").record.id == old.id
        manifests_fetched = proxy.count("manifest", method="GET")

        pusher.push(new, repository, "v1")
        result = store.pull(f"{repo}:v1")

        assert proxy.count("manifest", method="GET") > manifests_fetched  # asked again
        assert not result.skipped and result.record.id == new.id
        listed = {r.id: r for r in store.list()}
        assert set(listed) == {old.id, new.id}
        assert listed[new.id].repo_tags == [f"{repo}:v1"]
        assert listed[old.id].repo_tags == [] and listed[old.id].repo_digests == []  # unnamed, still visible
        assert store.status(old.id).id == old.id

        # The unchanged tag pulled again: nothing new, the unnamed previous artifact stays single.
        store.pull(f"{repo}:v1")
        assert sorted(r.id for r in store.list()) == sorted([old.id, new.id])

        removed = store.remove(old.id)
        assert removed.removed_digests == [old.digest] and removed.still_visible is None
        assert [r.id for r in store.list()] == [new.id]
        blobs = main_files(store)
        old_only = set(old.contents()) - set(new.contents())
        assert not {d.split(":")[1] for d in old_only} & set(blobs)  # the old artifact's own blobs are gone
        assert {d.split(":")[1] for d in new.contents()} <= set(blobs)  # shared ones stay
        assert [m.name for m in store.mount_paths(f"{repo}:v1")] == ["tokenizer.json", "weights-new.bin"]


def test_a_tag_re_pointed_back_reuses_the_unnamed_offline_artifact(tmp_path: Path, registry, pusher, repo) -> None:
    first, second = offline_artifact(), offline_artifact()
    store = make_store(tmp_path, [], [registry.address])
    for entry in (first, second, first):
        pusher.push(entry, path_of(repo), "v1")
        store.pull(f"{repo}:v1")
    listed = {r.id: r.repo_tags for r in store.list()}
    assert listed == {first.id: [f"{repo}:v1"], second.id: []}


@pytest.mark.parametrize("image", [offline_image(), offline_image(docker=True)], ids=["oci", "docker-v2"])
def test_container_images_are_refused_and_the_main_store_is_unchanged(tmp_path: Path, registry, pusher, repo, image) -> None:
    pusher.push(image, path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])
    before = fingerprint(store.main.directory)
    with pytest.raises(NotAnArtifactError) as raised:
        store.pull(f"{repo}:v1")
    assert f"{repo}:v1" in str(raised.value) and "container image" in str(raised.value)
    assert fingerprint(store.main.directory) == before
    assert_no_staging_left(store)
    assert store.list() == []


def test_an_index_of_container_images_is_refused(tmp_path: Path, registry, pusher, repo) -> None:
    pusher.push(offline_index({host_platform(): offline_image(), other_platform(): offline_image()}), path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])
    before = fingerprint(store.main.directory)
    with pytest.raises(NotAnArtifactError, match="container image"):
        store.pull(f"{repo}:v1")
    assert fingerprint(store.main.directory) == before


def test_an_image_index_is_resolved_to_the_host_platform(tmp_path: Path, registry, pusher, repo) -> None:
    mine, theirs = offline_artifact(Layer(title="host.bin")), offline_artifact(Layer(title="other.bin"))
    index = offline_index({other_platform(): theirs, host_platform(): mine})
    pusher.push(index, path_of(repo), "multi")
    store = make_store(tmp_path, [], [registry.address])

    record = store.pull(f"{repo}:multi").record

    assert record.id == mine.id and record.repo_digests == [f"{repo}@{mine.digest}"]
    assert blob_file(store.main.directory, mine.digest).read_bytes() == mine.manifest_bytes
    assert not blob_file(store.main.directory, theirs.digest).exists()
    assert [m.name for m in store.mount_paths(f"{repo}:multi")] == ["host.bin"]
    # By the index's digest too: named as asked, resolved to the same instance.
    by_digest = store.pull(f"{repo}@{index.digest}").record
    assert by_digest.id == mine.id
    assert store.status(f"{repo}@{index.digest}").id == mine.id
    assert store.remove(f"{repo}@{index.digest}").removed_digests == [mine.digest]
    with pytest.raises(NotFoundError):
        store.status(f"{repo}@{index.digest}")


def test_an_index_without_the_host_platform_is_an_error_naming_it(tmp_path: Path, registry, pusher, repo) -> None:
    pusher.push(offline_index({other_platform(): offline_artifact()}), path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])
    with pytest.raises(Exception, match="/".join(host_platform())) as raised:
        store.pull(f"{repo}:v1")
    assert "/".join(other_platform()) in str(raised.value)


def test_a_missing_tag_is_a_not_found_error_naming_it(tmp_path: Path, registry, repo) -> None:
    store = make_store(tmp_path, [], [registry.address])
    with pytest.raises(NotFoundError, match=path_of(repo)):
        store.pull(f"{repo}:absent")


# -- removing -----------------------------------------------------------------------
def test_removing_only_ever_changes_the_main_store(tmp_path: Path, registry, pusher, repo) -> None:
    both_main, both_ro, only_ro = offline_artifact(), offline_artifact(), offline_artifact()
    pusher.push(both_main, path_of(repo), "both")
    store = make_store(tmp_path, [tmp_path / "ro"], [registry.address])
    store.pull(f"{repo}:both")
    write_layout(tmp_path / "ro", (f"{repo}:both", both_ro), (f"{repo}:only", only_ro))
    ro_before = fingerprint(tmp_path / "ro")

    gone = store.remove(f"{repo}:both")
    assert gone.removed_digests == [both_main.digest]
    assert gone.still_visible.id == both_ro.id and gone.still_visible.read_only
    assert store.status(f"{repo}:both").id == both_ro.id
    assert not blob_file(store.main.directory, both_main.digest).exists()

    for name in (f"{repo}:only", only_ro.id, f"{repo}:both"):
        result = store.remove(name)  # idempotent success, nothing removed
        assert result.removed_digests == [] and result.still_visible is not None
    assert {r.id for r in store.list()} == {both_ro.id, only_ro.id}
    assert fingerprint(tmp_path / "ro") == ro_before
    assert store.remove(f"{repo}:never").removed_digests == []
    assert store.remove("0" * 64).removed_digests == []


def test_removal_by_id_takes_every_name_of_that_offline_artifact(tmp_path: Path, registry, pusher, repo) -> None:
    entry = offline_artifact()
    pusher.push(entry, path_of(repo), "a")
    pusher.push(entry, path_of(repo), "b")
    store = make_store(tmp_path, [], [registry.address])
    store.pull(f"{repo}:a"), store.pull(f"{repo}:b")
    assert store.remove(entry.id).removed_digests == [entry.digest]
    assert store.list() == [] and main_files(store) == []


def test_blobs_shared_by_two_artifacts_survive_the_removal_of_one(tmp_path: Path, registry, pusher, repo) -> None:
    shared = Layer(title="shared.bin")
    first = offline_artifact(shared, Layer(title="first.bin"))
    second = offline_artifact(shared, Layer(title="second.bin"))
    pusher.push(first, path_of(repo), "first")
    pusher.push(second, path_of(repo), "second")
    store = make_store(tmp_path, [], [registry.address])
    store.pull(f"{repo}:first"), store.pull(f"{repo}:second")

    store.remove(f"{repo}:first")

    assert set(main_files(store)) == {d.split(":")[1] for d in second.contents()}
    assert {m.name for m in store.mount_paths(f"{repo}:second")} == {"shared.bin", "second.bin"}
    store.remove(f"{repo}:second")
    assert main_files(store) == []


def test_removal_by_an_ambiguous_prefix_is_an_error_and_removes_nothing(tmp_path: Path, registry, pusher, repo) -> None:
    store = make_store(tmp_path, [], [registry.address])
    seen: dict[str, str] = {}
    for i in range(40):
        entry = offline_artifact()
        pusher.push(entry, path_of(repo), f"v{i}")
        store.pull(f"{repo}:v{i}")
        if entry.id[0] in seen:
            break
        seen[entry.id[0]] = entry.id
    before = fingerprint(store.main.directory)
    with pytest.raises(AmbiguousIDError):
        store.remove(entry.id[0])
    assert fingerprint(store.main.directory) == before


# -- mounting -----------------------------------------------------------------------
def test_mount_paths_come_from_the_resolving_store(tmp_path: Path, registry, pusher, repo) -> None:
    in_main = offline_artifact(Layer(b"main weights", "weights.bin"))
    pusher.push(in_main, path_of(repo), "v1")
    store = make_store(tmp_path, [tmp_path / "ro"], [registry.address])
    store.pull(f"{repo}:v1")
    [mount] = store.mount_paths(f"{repo}:v1")
    assert Path(mount.path).parent == store.main.directory / "blobs" / "sha256"
    assert Path(mount.path).read_bytes() == b"main weights"

    in_ro = offline_artifact(Layer(b"read-only weights", "weights.bin"))
    write_layout(tmp_path / "ro", (f"{repo}:v1", in_ro))
    [mount] = store.mount_paths(f"{repo}:v1")
    assert Path(mount.path).parent == tmp_path / "ro" / "artifacts" / "blobs" / "sha256"
    assert Path(mount.path).read_bytes() == b"read-only weights"
    assert (mount.name, mount.size, mount.digest) == ("weights.bin", 17, in_ro.manifest["layers"][0]["digest"])


def test_only_layers_with_a_safe_name_are_mountable(tmp_path: Path, registry, pusher, repo) -> None:
    layers = [
        Layer(b"titled", "model.safetensors"),
        Layer(b"modelpack", filepath_annotation="tokenizer.json"),
        Layer(b"dots inside", "weights.v2.bin"),
        Layer(b"draft", filepath_annotation="config.json", modelpack=MODELPACK_DRAFT),
        Layer(b"no name"),
        Layer(b"absolute", "/etc/passwd"),
        Layer(b"dotdot", ".."),
        Layer(b"escape", "../escape"),
        Layer(b"nul", "a\x00b"),
        Layer(b"dot", "."),
        Layer(b"climbs inside", "sub/../../x"),
        Layer(b"empty component", "sub//x"),
        Layer(b"slash", "sub/dir.bin"),  # a relative path of plain names: mounted at that path
    ]
    entry = offline_artifact(*layers)
    pusher.push(entry, path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])
    store.pull(f"{repo}:v1")

    mounts = store.mount_paths(f"{repo}:v1")

    assert [(m.name, Path(m.path).read_bytes()) for m in mounts] == [
        ("model.safetensors", b"titled"), ("tokenizer.json", b"modelpack"), ("weights.v2.bin", b"dots inside"),
        ("config.json", b"draft"), ("sub/dir.bin", b"slash")]
    warnings = store.warnings.all()
    for skipped in layers[4:-1]:
        assert any(skipped.digest in w and "not mounted" in w for w in warnings), skipped


def test_a_tampered_blob_is_never_handed_out(tmp_path: Path, registry, pusher, repo) -> None:
    target = Layer(b"original content", "weights.bin")
    entry = offline_artifact(target, Layer(b"other", "other.bin"))
    pusher.push(entry, path_of(repo), "v1")
    store = make_store(tmp_path, [tmp_path / "ro"], [registry.address])
    store.pull(f"{repo}:v1")
    assert len(store.mount_paths(f"{repo}:v1")) == 2  # verified once and cached

    path = blob_file(store.main.directory, target.digest)
    path.write_bytes(b"tampered content")  # same size, in place
    with pytest.raises(CorruptStoreError, match=target.digest):
        store.mount_paths(f"{repo}:v1")

    path.unlink()
    path.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").write_bytes(b"original content")
    with pytest.raises(CorruptStoreError, match="not a regular file"):
        store.mount_paths(f"{repo}:v1")

    # The same in a read-only store.
    ro_entry = offline_artifact(Layer(b"read-only content", "weights.bin"))
    directory = write_layout(tmp_path / "ro", (f"{repo}:v2", ro_entry)).layout
    blob_file(directory, ro_entry.manifest["layers"][0]["digest"]).write_bytes(b"x")
    with pytest.raises(CorruptStoreError, match="does not match its digest"):
        store.mount_paths(f"{repo}:v2")


def test_a_tampered_blob_is_caught_even_when_timestamps_do_not_move(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "os", FrozenTimestamps())
    target = Layer(b"original content", "weights.bin")
    entry = offline_artifact(target)
    directory = write_layout(tmp_path / "ro", ("registry.example/a/b:v1", entry)).layout
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert len(store.mount_paths("registry.example/a/b:v1")) == 1
    with open(blob_file(directory, target.digest), "r+b") as f:
        f.write(b"tampered content")
    with pytest.raises(CorruptStoreError, match="does not match its digest"):
        store.mount_paths("registry.example/a/b:v1")


def test_a_missing_layer_blob_is_an_error_naming_it(tmp_path: Path) -> None:
    target = Layer(b"content", "weights.bin")
    entry = offline_artifact(target)
    write_layout(tmp_path / "ro", ("registry.example/a/b:v1", entry)).remove_blob(target.digest)
    store = make_store(tmp_path, [tmp_path / "ro"])
    with pytest.raises(CorruptStoreError, match=f"{target.digest}.*missing"):
        store.mount_paths("registry.example/a/b:v1")


# -- pinning ------------------------------------------------------------------------
def test_pinned_is_always_true_for_read_only_stores_and_follows_patterns_in_main(
        tmp_path: Path, registry, pusher) -> None:
    keyword, glob, exact, by_digest, unpinned = (offline_artifact() for _ in range(5))
    base = f"{registry.address}/{unique_repository('pin')}"
    refs = {"keyword": f"{base}-KeyWord:v1", "glob": f"{base}-glob/x:v1", "exact": f"{base}-exact:v1",
            "digest": f"{base}-digest:v1", "none": f"{base}-none:v1"}
    pinned = ["*keyWORD*", f"{base}-GLOB/*".upper(), refs["exact"].upper(), f"{base}-digest@{by_digest.digest}"]
    store = make_store(tmp_path, [tmp_path / "ro"], [registry.address], pinned=pinned)
    for (kind, ref), entry in zip(refs.items(), (keyword, glob, exact, by_digest, unpinned)):
        repository, tag = ref.rsplit(":", 1)
        pusher.push(entry, path_of(repository.lower()), tag)
    refs["keyword"] = refs["keyword"].lower()
    for ref in refs.values():
        store.pull(ref)
    read_only = offline_artifact()
    write_layout(tmp_path / "ro", (f"{base}-ro:v1", read_only))

    assert {kind: store.status(ref).pinned for kind, ref in refs.items()} == {
        "keyword": True, "glob": True, "exact": True, "digest": True, "none": False}
    assert store.status(f"{base}-ro:v1").pinned is True
    assert {r.id: r.pinned for r in store.list()}[unpinned.id] is False


def test_an_unnamed_main_store_artifact_is_not_pinned_by_name_patterns(tmp_path: Path, registry, pusher, repo) -> None:
    old = offline_artifact()
    store = make_store(tmp_path, [], [registry.address], pinned=[f"{repo}:v1"])
    pusher.push(old, path_of(repo), "v1")
    store.pull(f"{repo}:v1")
    assert store.status(old.id).pinned is True
    pusher.push(offline_artifact(), path_of(repo), "v1")
    store.pull(f"{repo}:v1")
    assert store.status(old.id).pinned is False  # kubelet's GC may reclaim it


# -- a copy of a main store serves as a read-only store -------------------------------
def test_a_copy_of_a_main_store_is_a_read_only_store_with_the_same_artifacts(tmp_path: Path, registry, pusher, repo) -> None:
    entries = [offline_artifact(Layer(title=f"f{i}.bin")) for i in range(3)]
    node_a = make_store(tmp_path / "a", [], [registry.address])
    for i, entry in enumerate(entries):
        pusher.push(entry, path_of(repo), f"v{i}")
        node_a.pull(f"{repo}:v{i}")
    pusher.push(offline_artifact(), path_of(repo), "v0")
    node_a.pull(f"{repo}:v0")  # leaves an unnamed previous artifact

    copy = tmp_path / "copy"
    shutil.copytree(node_a.main.directory, copy / "artifacts", symlinks=True)
    node_b = make_store(tmp_path / "b", [copy], [registry.address])

    def view(records):
        return [(r.id, r.repo_tags, r.repo_digests, r.size) for r in records]

    assert view(node_b.list()) == view(node_a.list())
    assert all(r.read_only and r.pinned for r in node_b.list())
    assert node_b.pull(f"{repo}:v1").skipped
    assert [m.name for m in node_b.mount_paths(f"{repo}:v2")] == ["f2.bin"]


def test_index_json_written_by_the_main_store_is_a_valid_oci_index(tmp_path: Path, registry, pusher, repo) -> None:
    pusher.push(offline_artifact(), path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])
    store.pull(f"{repo}:v1")
    layout = store.main.directory
    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout / "index.json").read_text())
    assert index["schemaVersion"] == 2 and index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert oct((layout / "index.json").stat().st_mode & 0o777) == oct(0o644)
    assert not [p for p in layout.iterdir() if p.name.startswith(".")]  # no temporary files left


# -- concurrency --------------------------------------------------------------------
def test_concurrent_pulls_from_two_store_instances_on_one_root_all_land(tmp_path: Path, registry, pusher, repo) -> None:
    entries = [offline_artifact() for _ in range(8)]
    for i, entry in enumerate(entries):
        pusher.push(entry, path_of(repo), f"v{i}")
    stores = [make_store(tmp_path, [], [registry.address]) for _ in range(2)]  # as two runtimes would
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: stores[i % 2].pull(f"{repo}:v{i}"), range(8)))
    assert [r.record.id for r in results] == [e.id for e in entries]
    for store in stores:
        assert sorted(r.id for r in store.list()) == sorted(e.id for e in entries)
    assert_no_staging_left(stores[0])


def test_a_removal_during_a_pull_cannot_take_a_blob_the_pull_reuses(tmp_path: Path, registry, pusher, repo,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    shared = Layer(title="shared.bin")
    first, second = offline_artifact(shared, Layer(title="a.bin")), offline_artifact(shared, Layer(title="b.bin"))
    pusher.push(first, path_of(repo), "first")
    pusher.push(second, path_of(repo), "second")
    puller, remover = (make_store(tmp_path, [], [registry.address]) for _ in range(2))
    puller.pull(f"{repo}:first")
    removed = []
    original = Staging.reuse_existing

    def reuse_then_remove(self, digest):
        reused = original(self, digest)
        # The other runtime removes the only artifact using the shared layer, now. Blobs are fetched in
        # parallel and the empty config is reused too, so only the shared layer's thread may trigger it.
        if reused and digest == shared.digest:
            removed.append(remover.remove(first.id))
        return reused

    monkeypatch.setattr(Staging, "reuse_existing", reuse_then_remove)
    puller.pull(f"{repo}:second")

    assert [r.removed_digests for r in removed] == [[first.digest]]
    assert [r.id for r in puller.list()] == [second.id]
    assert {m.name for m in puller.mount_paths(f"{repo}:second")} == {"shared.bin", "b.bin"}


def test_a_sub_path_selects_the_files_below_it(tmp_path: Path, registry, pusher, repo) -> None:
    entry = offline_artifact(Layer(b"a", "weights/a.bin"), Layer(b"b", "weights/deep/b.bin"), Layer(b"c", "config.json"))
    pusher.push(entry, path_of(repo), "v1")
    store = make_store(tmp_path, [], [registry.address])
    store.pull(f"{repo}:v1")

    assert sorted(m.name for m in store.mount_paths(f"{repo}:v1", "weights")) == ["a.bin", "deep/b.bin"]
    assert [m.name for m in store.mount_paths(f"{repo}:v1", "weights/deep/")] == ["b.bin"]
    assert len(store.mount_paths(f"{repo}:v1", ".")) == 3
    with pytest.raises(NotFoundError, match="'tokenizer' does not exist"):
        store.mount_paths(f"{repo}:v1", "tokenizer")
    with pytest.raises(NotFoundError):
        store.mount_paths(f"{repo}:v1", "config.json")  # a file, not a directory
    for climbing in ("../x", "weights/../..", "/weights", ".."):
        with pytest.raises(InvalidReferenceError, match="leaves the artifact"):
            store.mount_paths(f"{repo}:v1", climbing)

