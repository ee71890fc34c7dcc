"""Read-only stores written by hand: names, damage, caching, round trips
(docs/contract.md: list.unnamed-visible, faults.store-contained, faults.entry-contained, readonly.never-written)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artifact_conformance.fixtures.registry.builder import MODELPACK, Layer, host_platform
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from artifact_conformance.simulator import layout as layout_module
from artifact_conformance.simulator.errors import CorruptStoreError, NotFoundError
from artifact_conformance.simulator.layout import LayoutReader
from tests.simulator_support import (
    FrozenTimestamps,
    blob_file,
    fingerprint,
    make_store,
    offline_artifact,
    offline_image,
    offline_index,
    other_platform,
    write_index,
    write_layout,
)

LLM = "registry.example/models/llm"


# -- names --------------------------------------------------------------------------
def test_bare_tag_names_are_listed_unnamed_and_distinguishable_by_id(tmp_path: Path) -> None:
    first, second, named = offline_artifact(), offline_artifact(), offline_artifact()
    write_layout(tmp_path / "ro", ("v1", first), ("v2", second), (f"{LLM}:v1", named))
    store = make_store(tmp_path, [tmp_path / "ro"])

    records = {r.id: r for r in store.list()}
    assert set(records) == {first.id, second.id, named.id}
    for unnamed, bare in ((first, "v1"), (second, "v2")):
        record = records[unnamed.id]
        assert record.repo_tags == [] and record.repo_digests == []
        assert record.ref_name == bare
        assert record.size == unnamed.size
        assert record.pinned  # from a read-only store
        assert store.status(unnamed.id).digest == unnamed.digest
    assert records[named.id].repo_tags == [f"{LLM}:v1"]
    assert records[named.id].repo_digests == [f"{LLM}@{named.digest}"]
    with pytest.raises(NotFoundError, match="'v1'"):
        store.status("v1")  # a bare tag is not a name, and not a hex ID either


def test_entries_without_a_usable_name_are_each_listed(tmp_path: Path) -> None:
    unnamed = [offline_artifact() for _ in range(4)]
    write_layout(tmp_path / "ro", (None, unnamed[0]), (LLM, unnamed[1]), ("not a ref", unnamed[2]), ("", unnamed[3]))
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert sorted(r.id for r in store.list()) == sorted(a.id for a in unnamed)
    assert all(r.repo_tags == [] for r in store.list())


def test_the_same_unnamed_artifact_twice_in_one_store_is_listed_once(tmp_path: Path) -> None:
    shared = offline_artifact()
    write_layout(tmp_path / "ro", ("v1", shared), ("latest", shared))
    assert [r.id for r in make_store(tmp_path, [tmp_path / "ro"]).list()] == [shared.id]


def test_size_is_the_sum_of_layer_sizes_without_the_config(tmp_path: Path) -> None:
    entry = offline_artifact(Layer(b"a" * 10, "a"), Layer(b"b" * 32, "b"), config=b"x" * 1000,
                             config_media_type=MODELPACK.config_media_type)
    write_layout(tmp_path / "ro", (f"{LLM}:v1", entry))
    assert make_store(tmp_path, [tmp_path / "ro"]).status(f"{LLM}:v1").size == 42


def test_container_images_in_a_read_only_store_are_not_artifacts(tmp_path: Path) -> None:
    entry = offline_artifact()
    write_layout(tmp_path / "ro", (f"{LLM}:image", offline_image()), (f"{LLM}:docker", offline_image(docker=True)),
                                   (f"{LLM}:v1", entry))
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert [r.id for r in store.list()] == [entry.id]
    with pytest.raises(NotFoundError):
        store.status(f"{LLM}:image")


def test_an_index_in_a_read_only_store_resolves_to_the_host_platform(tmp_path: Path) -> None:
    mine, theirs = offline_artifact(), offline_artifact()
    index = offline_index({other_platform(): theirs, host_platform(): mine})
    write_layout(tmp_path / "ro", (f"{LLM}:multi", index))
    store = make_store(tmp_path, [tmp_path / "ro"])
    record = store.status(f"{LLM}:multi")
    assert record.id == mine.id and record.size == mine.size
    assert [m.digest for m in store.mount_paths(f"{LLM}:multi")] == [mine.manifest["layers"][0]["digest"]]


def test_an_index_without_an_instance_for_the_host_hides_only_that_entry(tmp_path: Path) -> None:
    entry = offline_artifact()
    write_layout(tmp_path / "ro", (f"{LLM}:foreign", offline_index({other_platform(): offline_artifact()})), (f"{LLM}:v1", entry))
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert [r.id for r in store.list()] == [entry.id]
    assert any("/".join(host_platform()) in w and "entry 0" in w for w in store.warnings.all())


# -- damage -------------------------------------------------------------------------
def _damage_missing_manifest(directory: Path, victim) -> None:
    blob_file(directory, victim.digest).unlink()


def _damage_wrong_manifest_content(directory: Path, victim) -> None:
    blob_file(directory, victim.digest).write_bytes(victim.manifest_bytes.replace(b"schemaVersion", b"schemaversion"))


def _damage_manifest_not_json(directory: Path, victim) -> None:
    blob_file(directory, victim.digest).write_bytes(b"{not json")


def _damage_manifest_is_a_directory(directory: Path, victim) -> None:
    path = blob_file(directory, victim.digest)
    path.unlink()
    path.mkdir()


def _damage_descriptor(directory: Path, victim) -> None:
    index = json.loads((directory / "index.json").read_bytes())
    index["manifests"][1] = {"mediaType": "x", "digest": "md5:1234", "annotations": {"a": 1}}
    write_index(directory, index)


def _damage_descriptor_not_an_object(directory: Path, victim) -> None:
    index = json.loads((directory / "index.json").read_bytes())
    index["manifests"][1] = ["not", "a", "descriptor"]
    write_index(directory, index)


@pytest.mark.parametrize("damage", [
    _damage_missing_manifest, _damage_wrong_manifest_content, _damage_manifest_not_json,
    _damage_manifest_is_a_directory, _damage_descriptor, _damage_descriptor_not_an_object,
], ids=lambda f: f.__name__.removeprefix("_damage_"))
def test_a_damaged_entry_hides_only_that_entry(tmp_path: Path, damage) -> None:
    before, victim, after = offline_artifact(), offline_artifact(), offline_artifact()
    directory = write_layout(tmp_path / "ro", (f"{LLM}:a", before), (f"{LLM}:victim", victim), (f"{LLM}:c", after)).layout
    other = offline_artifact()
    write_layout(tmp_path / "ro2", (f"{LLM}:other", other))
    damage(directory, victim)
    store = make_store(tmp_path, [tmp_path / "ro", tmp_path / "ro2"])
    main_before = fingerprint(store.main.directory)

    assert [r.id for r in store.list()] == [before.id, after.id, other.id]
    assert store.status(f"{LLM}:a").id == before.id
    with pytest.raises(NotFoundError):
        store.status(f"{LLM}:victim")
    warnings = store.warnings.matching("entry 1 skipped")
    assert warnings and str(directory.parent) in warnings[0]
    assert fingerprint(store.main.directory) == main_before


@pytest.mark.parametrize("content", [b"{", b"[]", b'{"manifests": {}}', b"\xff\xfe", b"null"])
def test_a_corrupt_index_json_hides_only_that_store(tmp_path: Path, content: bytes) -> None:
    first, second, fallback = offline_artifact(), offline_artifact(), offline_artifact()
    broken = write_layout(tmp_path / "broken", (f"{LLM}:v1", first)).layout
    write_layout(tmp_path / "fine", (f"{LLM}:v2", second), (f"{LLM}:v1", fallback))
    (broken / "index.json").write_bytes(content)
    store = make_store(tmp_path, [tmp_path / "broken", tmp_path / "fine"])
    main_before = fingerprint(store.main.directory)

    assert [r.id for r in store.list()] == [second.id, fallback.id]
    assert store.status(f"{LLM}:v1").id == fallback.id  # resolution goes on past the broken store
    assert store.status(second.id[:10]).id == second.id
    assert any(str(tmp_path / "broken") in w and "skipped" in w for w in store.warnings.all())
    assert fingerprint(store.main.directory) == main_before


def test_a_store_that_heals_is_served_again(tmp_path: Path) -> None:
    entry = offline_artifact()
    directory = write_layout(tmp_path / "ro", (f"{LLM}:v1", entry)).layout
    good = (directory / "index.json").read_bytes()
    (directory / "index.json").write_bytes(b"garbage")
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert store.list() == []
    write_index(directory, good)
    assert store.status(f"{LLM}:v1").id == entry.id


# -- read-only ----------------------------------------------------------------------
def test_no_operation_writes_to_a_read_only_store(tmp_path: Path) -> None:
    entry = offline_artifact(Layer(b"weights", "weights.bin"), Layer(b"tok", "tokenizer.json"))
    unnamed = offline_artifact()
    write_layout(tmp_path / "ro", (f"{LLM}:v1", entry), ("v0", unnamed))
    (tmp_path / "ro2").mkdir()  # not a layout: must not become one
    ReadOnlyStore(tmp_path / "ro").make_unwritable()
    ReadOnlyStore(tmp_path / "ro2").make_unwritable()
    try:
        before = fingerprint(tmp_path / "ro"), fingerprint(tmp_path / "ro2")

        def unchanged() -> None:
            assert (fingerprint(tmp_path / "ro"), fingerprint(tmp_path / "ro2")) == before

        store = make_store(tmp_path, [tmp_path / "ro", tmp_path / "ro2"])
        unchanged()
        store.list()
        unchanged()
        store.status(f"{LLM}:v1"), store.status(unnamed.id[:8])
        unchanged()
        assert store.pull(f"{LLM}:v1").skipped  # found by name: never reaches the (unreachable) registry
        unchanged()
        assert [m.name for m in store.mount_paths(f"{LLM}:v1")] == ["weights.bin", "tokenizer.json"]
        unchanged()
        result = store.remove(f"{LLM}:v1")
        assert result.removed_digests == [] and result.still_visible.id == entry.id
        unchanged()
        assert store.remove(unnamed.id).still_visible.id == unnamed.id
        unchanged()
        assert {r.id for r in store.list()} == {entry.id, unnamed.id}
        unchanged()
    finally:
        ReadOnlyStore(tmp_path / "ro").make_writable()
        ReadOnlyStore(tmp_path / "ro2").make_writable()


# -- caching ------------------------------------------------------------------------
@pytest.fixture
def parse_counter(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts: dict[str, int] = {}
    original = LayoutReader._parse

    def counting(self, index):
        counts[str(self.directory)] = counts.get(str(self.directory), 0) + 1
        return original(self, index)

    monkeypatch.setattr(LayoutReader, "_parse", counting)
    return counts


def test_an_unchanged_store_is_parsed_once(tmp_path: Path, parse_counter: dict[str, int]) -> None:
    entries = [offline_artifact() for _ in range(3)]
    directory = write_layout(tmp_path / "ro", *((f"{LLM}:v{i}", a) for i, a in enumerate(entries))).layout
    store = make_store(tmp_path, [tmp_path / "ro"])
    for _ in range(20):
        store.status(f"{LLM}:v2")
        store.status(entries[0].id[:12])
        store.list()
    assert parse_counter[str(directory)] == 1


def test_a_settled_store_costs_one_stat_per_look_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout_module, "RACY_WINDOW_NS", 0)  # as if index.json were written long ago
    reads = []
    original = LayoutReader._read_index_bytes
    monkeypatch.setattr(LayoutReader, "_read_index_bytes", lambda self: reads.append(self.directory) or original(self))
    entry = offline_artifact()
    directory = write_layout(tmp_path / "ro", (f"{LLM}:v1", entry)).layout
    store = make_store(tmp_path, [tmp_path / "ro"])
    for _ in range(10):
        assert store.status(f"{LLM}:v1").id == entry.id
    assert reads.count(directory) == 1


def test_a_recently_written_store_is_read_but_not_parsed_again(tmp_path: Path, parse_counter: dict[str, int],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout_module, "RACY_WINDOW_NS", 10**12)  # never settled
    entry = offline_artifact()
    directory = write_layout(tmp_path / "ro", (f"{LLM}:v1", entry)).layout
    store = make_store(tmp_path, [tmp_path / "ro"])
    for _ in range(10):
        assert store.status(f"{LLM}:v1").id == entry.id
    assert parse_counter[str(directory)] == 1


def test_a_store_rewritten_by_another_process_is_seen_at_once(tmp_path: Path, parse_counter: dict[str, int]) -> None:
    old, new = offline_artifact(), offline_artifact()
    directory = write_layout(tmp_path / "ro", (f"{LLM}:v1", old), (f"{LLM}:v2", new)).layout
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert store.status(f"{LLM}:v1").id == old.id

    # Another process swaps the two tags in place: same file, same size.
    index = (directory / "index.json").read_text()
    swapped = index.replace(old.digest, "OLD").replace(new.digest, old.digest).replace("OLD", new.digest)
    assert len(swapped) == len(index)
    rewrite = textwrap.dedent(f"""
        import sys
        with open({str(directory / 'index.json')!r}, "r+") as f:
            f.write(sys.stdin.read())
    """)
    subprocess.run([sys.executable, "-c", rewrite], input=swapped, text=True, check=True)
    assert store.status(f"{LLM}:v1").id == new.id
    assert parse_counter[str(directory)] == 2

    # ...and replaces it by rename with a third artifact added.
    third = offline_artifact()
    ReadOnlyStore(tmp_path / "ro").add(third, name=f"{LLM}:v3")
    assert store.status(f"{LLM}:v3").id == third.id


def test_a_same_size_rewrite_is_seen_even_when_timestamps_do_not_move(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout_module, "os", FrozenTimestamps())
    old, new = offline_artifact(), offline_artifact()
    directory = write_layout(tmp_path / "ro", (f"{LLM}:v1", old), (f"{LLM}:v2", new)).layout
    store = make_store(tmp_path, [tmp_path / "ro"])
    assert store.status(f"{LLM}:v1").id == old.id
    index = (directory / "index.json").read_text()
    swapped = index.replace(old.digest, "OLD").replace(new.digest, old.digest).replace("OLD", new.digest)
    with open(directory / "index.json", "r+") as f:
        f.write(swapped)
    assert store.status(f"{LLM}:v1").id == new.id


# -- round trip ---------------------------------------------------------------------
NAMES = st.one_of(
    st.none(),
    st.sampled_from(["v1", "latest", "", "registry.example/models/llm", "bad name"]),
    st.builds(lambda repo, tag: f"registry.example:5000/{repo}:{tag}",
              st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9]{1,8})?", fullmatch=True),
              st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True)),
)
LAYERS = st.lists(
    st.tuples(st.binary(min_size=1, max_size=64), st.one_of(st.none(), st.from_regex(r"[a-z0-9_.-]{1,12}", fullmatch=True)),
              st.booleans()),
    min_size=1, max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(NAMES, LAYERS), min_size=1, max_size=6))
def test_hand_written_layouts_read_back_as_written(specs) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        entries = []
        for name, layers in specs:
            manifest = offline_artifact(*(Layer(data, filepath_annotation=title) if modelpack else Layer(data, title)
                                          for data, title, modelpack in layers))
            entries.append((name, manifest))
        directory = write_layout(Path(workdir) / "ro", *entries).layout
        snapshot = LayoutReader(directory).snapshot()

        assert [(e.ref_name, e.digest) for e in snapshot.entries] == [(n if isinstance(n, str) else None, m.digest)
                                                                      for n, m in entries]
        for entry, (name, manifest) in zip(snapshot.entries, entries):
            assert entry.size == manifest.size
            assert entry.layers == manifest.manifest["layers"]
            full_name = name is not None and name.startswith("registry.example:5000/")
            assert (str(entry.reference) if entry.reference else None) == (name if full_name else None)

        store = make_store(Path(workdir), [Path(workdir) / "ro"])
        listed = store.list()
        named_first = {}
        for name, manifest in entries:
            key = name if name and name.startswith("registry.example:5000/") else ("unnamed", manifest.digest)
            named_first.setdefault(key, manifest.id)
        assert [r.id for r in listed] == list(named_first.values())
        for record in listed:
            assert record.pinned and record.read_only and record.size > 0


def test_reading_a_store_with_damaged_blobs_never_raises_from_list(tmp_path: Path) -> None:
    entries = [offline_artifact() for _ in range(5)]
    store = write_layout(tmp_path / "ro", *((f"{LLM}:v{i}", a) for i, a in enumerate(entries)))
    store.remove_blob(entries[2].digest)
    store.remove_blob(entries[4].digest)
    directory = store.layout
    reader = LayoutReader(directory)
    assert [e.digest for e in reader.snapshot().entries] == [entries[0].digest, entries[1].digest, entries[3].digest]
    assert len(reader.snapshot().warnings) == 2


def test_a_missing_index_json_is_a_corrupt_store_error_naming_the_path(tmp_path: Path) -> None:
    reader = LayoutReader(tmp_path / "nowhere" / "artifacts", label="additional artifact store /nowhere")
    with pytest.raises(CorruptStoreError, match="/nowhere"):
        reader.snapshot()
    assert not (tmp_path / "nowhere").exists()


def test_json_nesting_is_measured_without_recursion_and_refused_before_parsing():
    from artifact_conformance.simulator.layout import JSON_DEPTH_MAX, json_depth_exceeds, load_json_bounded

    assert not json_depth_exceeds(b'{"a": [1, {"b": "[[[[[[[[[[ in a string \\" ]]"}]}', 3)
    assert not json_depth_exceeds(b"[{" * 50 + b"}]" * 50, 100)
    assert json_depth_exceeds(b"[{" * 51 + b"}]" * 51, 100)  # one level per pass, whichever kind
    deep = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ValueError, match=f"more than {JSON_DEPTH_MAX} levels"):
        load_json_bounded(deep, 1_000_000, "manifest x")
    assert load_json_bounded(b"[" * JSON_DEPTH_MAX + b"]" * JSON_DEPTH_MAX, 1_000, "x") is not None
