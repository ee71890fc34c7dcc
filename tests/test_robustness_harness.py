"""The pieces robustness.feature stands on: the probe's new faults, and the
simulator's defences (safe file opening, bounded JSON, document shapes, the
pull progress timeout, clean-up after killed pulls)."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path

import pytest
import requests

from artifact_conformance.fixtures.probe.traffic_probe import Fault
from artifact_conformance.fixtures.registry.builder import Layer, unique_repository
from artifact_conformance.fixtures.scenario.bounded_calls import bounded
from artifact_conformance.fixtures.stores.populators import fingerprint_tree
from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator.config import StoreConfig, parse_duration
from artifact_conformance.simulator.errors import ConfigError, CorruptStoreError, RegistryError
from artifact_conformance.simulator.layout import ENTRY_WARNINGS_MAX, LayoutReader, load_json_bounded, open_regular
from artifact_conformance.simulator.main_layout import STAGING_LOCK, MainLayout
from artifact_conformance.simulator.registry_client import TIMEOUT, timeouts
from artifact_conformance.simulator.store import ArtifactStore


# --- the probe's faults -------------------------------------------------------------------
@pytest.mark.registry
def test_a_corrupt_fault_keeps_the_length_and_changes_the_bytes(probe, artifact_builder):
    repository = unique_repository("probe-corrupt")
    layer = Layer(bytes(range(256)) * 4, title="weights.bin")
    artifact_builder.artifact(repository, "v1", layers=[layer])
    probe.inject(Fault.corrupt(path=layer.digest, after_bytes=100))

    served = requests.get(f"{probe.url}/v2/{repository}/blobs/{layer.digest}", timeout=10).content
    again = requests.get(f"{probe.url}/v2/{repository}/blobs/{layer.digest}", timeout=10).content

    assert len(served) == len(layer.content)
    assert served[:100] == layer.content[:100]
    assert served[100:] == bytes(b ^ 0xFF for b in layer.content[100:])
    assert again == layer.content, "times=1: the next request is served faithfully"
    assert [r.fault for r in probe.requests] == ["corrupt", None]


@pytest.mark.registry
def test_a_stall_in_the_middle_of_a_body_sends_the_first_bytes_then_waits(probe, artifact_builder):
    repository = unique_repository("probe-midstall")
    layer = Layer(b"y" * 1000, title="weights.bin")
    artifact_builder.artifact(repository, "v1", layers=[layer])
    probe.inject(Fault.stall(0.6, path=layer.digest, after_bytes=400))

    started = time.monotonic()
    response = requests.get(f"{probe.url}/v2/{repository}/blobs/{layer.digest}", timeout=10, stream=True)
    first = response.raw.read(400)
    first_at = time.monotonic() - started
    rest = response.raw.read()
    assert first == layer.content[:400] and rest == layer.content[400:]
    assert first_at < 0.5 <= time.monotonic() - started


@pytest.mark.registry
def test_a_stall_then_cut_drops_the_connection_after_the_stall(probe, artifact_builder):
    repository = unique_repository("probe-stallcut")
    layer = Layer(b"z" * 1000, title="weights.bin")
    artifact_builder.artifact(repository, "v1", layers=[layer])
    probe.inject(Fault.stall(0.3, path=layer.digest, after_bytes=400, then_cut=True))

    response = requests.get(f"{probe.url}/v2/{repository}/blobs/{layer.digest}", timeout=10, stream=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        response.content  # noqa: B018 - reading it is the point
    recorded = probe.requests[-1]
    assert recorded.bytes_sent == 400 and recorded.error == "cut by injected fault"


def test_fault_constructors_validate():
    with pytest.raises(ValueError, match="not one of"):
        Fault("teleport")
    assert Fault.corrupt().kind == "corrupt" and not Fault.stall(1).then_cut


# --- the simulator: files a store cannot use to block or redirect a read ---------------------------
def test_open_regular_refuses_pipes_links_and_directories(tmp_path: Path):
    regular = tmp_path / "file"
    regular.write_bytes(b"content")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to(regular)

    with open_regular(regular, "the file") as handle:
        assert handle.read() == b"content"
    with open_regular(tmp_path / "link", "the link", follow_symlinks=True) as handle:
        assert handle.read() == b"content"
    # A named pipe without a writer would block a plain open() for ever.
    with pytest.raises(CorruptStoreError, match="named pipe"):
        bounded(5, "opening a pipe", lambda: open_regular(tmp_path / "pipe", "the pipe"))
    with pytest.raises(CorruptStoreError, match="symbolic link"):
        open_regular(tmp_path / "link", "the link")
    with pytest.raises(CorruptStoreError, match="directory"):
        open_regular(tmp_path, "the directory", follow_symlinks=True)
    with pytest.raises(CorruptStoreError, match="missing"):
        open_regular(tmp_path / "absent", "the absent file")


def test_json_is_parsed_within_token_and_depth_bounds():
    assert load_json_bounded(b'{"a": [1, 2]}', 10, "doc") == {"a": [1, 2]}
    with pytest.raises(ValueError, match="JSON values"):
        load_json_bounded(b"[" + b"{}," * 100 + b"{}]", 50, "doc")
    with pytest.raises(ValueError, match="nested too deeply"):
        load_json_bounded(b"[" * 100_000 + b"]" * 100_000, 10**6, "doc")


@pytest.mark.parametrize("document, problem", [
    ({"layers": [{"digest": "sha256:" + "a" * 64, "size": 1}]}, None),
    ({"layers": [{"digest": "sha256:" + "a" * 64, "size": "1"}]}, "size"),
    ({"layers": [{"digest": "sha256:" + "a" * 64, "size": True}]}, "size"),
    ({"layers": [{"digest": "sha256:" + "a" * 64, "size": -1}]}, "size"),
    ({"layers": [42]}, "not an object"),
    ({"layers": "abc"}, "not a list"),
    ({"layers": [{"digest": 5}]}, "not a digest"),
    ({"layers": [{"digest": "sha256:" + "a" * 64, "annotations": ["x"]}]}, "annotations"),
    ({"layers": [{"digest": "sha256:" + "a" * 64, "annotations": {"t": 5}}]}, "annotations"),
    ({"config": [], "layers": []}, "config"),
    ({"manifests": [{"digest": "sha256:" + "a" * 64, "platform": ["linux"]}]}, "platform"),
    ({"artifactType": 7}, "artifactType"),
])
def test_document_shapes_are_checked_before_use(document, problem):
    found = mt.document_problem(document)
    assert (found is None) if problem is None else (problem in found), found


def test_a_store_with_thousands_of_broken_entries_warns_a_bounded_number_of_times(tmp_path: Path):
    layout = tmp_path / "store" / "artifacts"
    layout.mkdir(parents=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": f"sha256:{n:064x}"} for n in range(5000)]}))
    snapshot = LayoutReader(layout).snapshot()
    assert snapshot.entries == ()
    assert len(snapshot.warnings) == ENTRY_WARNINGS_MAX + 1
    assert "4980 more index.json entries skipped (5000 in all)" in snapshot.warnings[-1]


def test_fingerprinting_a_store_with_a_named_pipe_does_not_block(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe")
    prints = bounded(5, "fingerprinting", lambda: fingerprint_tree(tmp_path))
    assert prints["pipe"].sha256 is None


# --- the pull progress timeout ------------------------------------------------------------------
def test_pull_progress_timeout_is_read_from_toml_as_a_go_duration(tmp_path: Path):
    config = tmp_path / "crio.toml"
    config.write_text(f'[crio]\nroot = "{tmp_path}/root"\n[crio.image]\npull_progress_timeout = "1m30s"\n')
    assert StoreConfig.from_toml(config).pull_progress_timeout == 90
    config.write_text(f'[crio]\nroot = "{tmp_path}/root"\n[crio.image]\npull_progress_timeout = "soon"\n')
    with pytest.raises(ConfigError, match="pull_progress_timeout"):
        StoreConfig.from_toml(config)
    assert StoreConfig.build(root=tmp_path).pull_progress_timeout == 0
    assert parse_duration("500ms") == 0.5 and parse_duration("0") == 0
    assert timeouts(None) == TIMEOUT and timeouts(0) == TIMEOUT and timeouts(2.5) == (2.5, 2.5)


def test_a_stalled_registry_fails_the_pull_after_the_progress_timeout(tmp_path: Path):
    """A listener that accepts and never answers: the pull gives up after the timeout."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        store = ArtifactStore(StoreConfig.build(root=tmp_path / "root", insecure_registries=[address],
                                                pull_progress_timeout="500ms"))
        before = fingerprint_tree(tmp_path / "root")
        started = time.monotonic()
        with pytest.raises(RegistryError, match="no progress for 0.5 s"):
            store.pull(f"{address}/models/llm:v1")
        assert time.monotonic() - started < 5
        assert fingerprint_tree(tmp_path / "root") == before


# --- what killed pulls leave behind ----------------------------------------------------------------
def make_main(tmp_path: Path) -> MainLayout:
    main = MainLayout(tmp_path / "artifacts", lock_path=tmp_path / "artifacts.lock",
                      staging_root=tmp_path / "artifacts.staging")
    main.ensure_created()
    return main


def test_staging_directories_of_dead_pulls_are_removed_and_live_ones_kept(tmp_path: Path):
    main = make_main(tmp_path)
    dead = main.staging_root / "pull-dead"
    (dead / "partial").parent.mkdir(parents=True)
    (dead / "partial").write_bytes(b"half a blob")
    (dead / STAGING_LOCK).touch()  # its owner died, so nobody holds the lock
    unlocked = main.staging_root / "pull-nolock"
    unlocked.mkdir()
    live = main.staging_root / "pull-live"
    live.mkdir()
    held = os.open(live / STAGING_LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)
    stale_index = main.directory / ".index.json.abc123"
    stale_index.write_text("{")
    try:
        with main.staging() as staging:
            assert staging.directory.is_dir()
            assert not dead.exists() and not unlocked.exists() and not stale_index.exists()
            assert live.is_dir(), "a live pull's staging directory is never touched"
            # And a concurrent sweep leaves this pull's own directory alone.
            make_main(tmp_path)
            assert staging.directory.is_dir()
        assert not staging.directory.exists()
    finally:
        os.close(held)
    make_main(tmp_path)  # a start sweeps too
    assert not live.exists()


def test_concurrent_stagings_in_threads_do_not_sweep_each_other(tmp_path: Path):
    main = make_main(tmp_path)
    errors: list[BaseException] = []

    def stage(n: int) -> None:
        try:
            with main.staging() as staging:
                (staging.directory / "blob").write_bytes(b"x" * n)
                time.sleep(0.05)
                assert (staging.directory / "blob").read_bytes() == b"x" * n
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=stage, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert list(main.staging_root.iterdir()) == []
