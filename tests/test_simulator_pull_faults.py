"""Pulls that go wrong, and pulls that need credentials (docs/contract.md: pull.atomic,
faults.store-contained, readonly.never-written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from artifact_conformance.simulator.errors import (
    ArtifactStoreError,
    ConfigError,
    DigestMismatchError,
    NotFoundError,
    RegistryError,
)
from artifact_conformance.simulator.registry_client import Credentials
from tests.simulator_helpers import (
    Fault,
    Pusher,
    RegistryProxy,
    TokenAuth,
    artifact,
    basic_auth_registry,
    blob_file,
    encode,
    files_under,
    fingerprint,
    make_read_only,
    make_store,
    make_writable,
    unique_layer,
    unique_repository,
    unused_port,
    write_auth_file,
    write_layout,
)

pytestmark = pytest.mark.registry


@pytest.fixture
def proxy(registry):
    with RegistryProxy(registry.address) as running:
        yield running


@pytest.fixture
def pushed(registry):
    """An artifact with two layers (the second fails in the fault cases) pushed to the real registry."""
    entry = artifact(unique_layer("first.bin", 2048), unique_layer("second.bin", 4096))
    repository = unique_repository("fault")
    Pusher(registry.address).push(repository, entry, "v1")
    return repository, entry


def assert_contained(store, before: dict) -> None:
    """The main store exactly as it was, no staging files, nothing half-written listed."""
    assert fingerprint(store.main.directory) == before
    assert files_under(store.main.staging_root) == []


def second_layer(entry) -> str:
    return entry.document["layers"][1]["digest"]


@pytest.fixture
def populated(tmp_path: Path, proxy: RegistryProxy):
    """A store that already holds one artifact, so "unchanged" has something to protect."""
    entry = artifact()
    repository = unique_repository("present")
    Pusher(proxy.upstream).push(repository, entry, "v1")
    store = make_store(tmp_path, [], [proxy.address])
    store.pull(f"{proxy.address}/{repository}:v1")
    return store


@pytest.mark.parametrize("fault, error, named", [
    (lambda entry: Fault(second_layer(entry), "status", 404), NotFoundError, "404"),
    (lambda entry: Fault(second_layer(entry), "status", 500), RegistryError, "500"),
    (lambda entry: Fault(second_layer(entry), "corrupt"), DigestMismatchError, "content has digest"),
    (lambda entry: Fault(second_layer(entry), "cut"), RegistryError, "cut the connection in the middle of"),
    (lambda entry: Fault(second_layer(entry), "body", body=b"short"), DigestMismatchError, "descriptor declares"),
], ids=["blob-404", "blob-500", "bad-digest", "cut-mid-blob", "wrong-size"])
def test_a_failing_blob_leaves_the_main_store_as_it_was(populated, proxy, pushed, fault, error, named) -> None:
    repository, entry = pushed
    proxy.add_fault(fault(entry))
    before = fingerprint(populated.main.directory)

    with pytest.raises(error) as raised:
        populated.pull(f"{proxy.address}/{repository}:v1")

    message = str(raised.value)
    assert second_layer(entry) in message and named in message
    assert_contained(populated, before)
    assert entry.id not in {r.id for r in populated.list()}
    # The first layer was fetched but must not have been moved in.
    assert not blob_file(populated.main.directory, entry.document["layers"][0]["digest"]).exists()

    proxy.faults.clear()  # and once the registry behaves, the same pull works
    assert populated.pull(f"{proxy.address}/{repository}:v1").record.id == entry.id


@pytest.mark.parametrize("status", [500, 404, 401])
def test_a_failing_manifest_request_names_the_reference(populated, proxy, pushed, status) -> None:
    repository, entry = pushed
    proxy.add_fault(Fault(f"/{repository}/manifests/", "status", status))
    before = fingerprint(populated.main.directory)
    with pytest.raises(ArtifactStoreError) as raised:
        populated.pull(f"{proxy.address}/{repository}:v1")
    assert f"{repository}:v1" in str(raised.value) and str(status) in str(raised.value)
    assert_contained(populated, before)


def test_a_manifest_that_does_not_match_the_requested_digest_is_refused(populated, proxy, pushed) -> None:
    repository, entry = pushed
    proxy.add_fault(Fault(f"/manifests/{entry.digest}", "corrupt"))
    before = fingerprint(populated.main.directory)
    with pytest.raises(DigestMismatchError, match=entry.digest):
        populated.pull(f"{proxy.address}/{repository}@{entry.digest}")
    assert_contained(populated, before)


def test_a_manifest_naming_a_layer_the_registry_lacks_names_that_layer(populated, proxy, pushed) -> None:
    repository, entry = pushed
    document = entry.document
    ghost = "sha256:" + "e" * 64
    document["layers"][1]["digest"] = ghost
    proxy.add_fault(Fault(f"/{repository}/manifests/v1", "body", body=encode(document),
                          content_type="application/vnd.oci.image.manifest.v1+json"))
    before = fingerprint(populated.main.directory)
    with pytest.raises(NotFoundError, match=ghost):
        populated.pull(f"{proxy.address}/{repository}:v1")
    assert_contained(populated, before)


def test_a_manifest_that_is_not_json_is_an_error_naming_the_reference(populated, proxy, pushed) -> None:
    repository, _ = pushed
    proxy.add_fault(Fault(f"/{repository}/manifests/v1", "body", body=b"<html>oops</html>"))
    before = fingerprint(populated.main.directory)
    with pytest.raises(RegistryError, match=f"{repository}:v1.*not valid JSON"):
        populated.pull(f"{proxy.address}/{repository}:v1")
    assert_contained(populated, before)


def test_an_unreachable_registry_is_an_error_naming_it(tmp_path: Path) -> None:
    dead = f"127.0.0.1:{unused_port()}"
    store = make_store(tmp_path, [], [dead])
    before = fingerprint(store.main.directory)
    with pytest.raises(RegistryError, match=dead):
        store.pull(f"{dead}/models/llm:v1")
    assert_contained(store, before)


def test_faults_leave_read_only_stores_untouched(tmp_path: Path, proxy, pushed) -> None:
    repository, entry = pushed
    write_layout(tmp_path / "ro", [(f"{proxy.address}/{repository}:other", artifact())])
    make_read_only(tmp_path / "ro")
    try:
        before = fingerprint(tmp_path / "ro")
        store = make_store(tmp_path, [tmp_path / "ro"], [proxy.address])
        proxy.add_fault(Fault(second_layer(entry), "cut"))
        with pytest.raises(ArtifactStoreError):
            store.pull(f"{proxy.address}/{repository}:v1")
        proxy.faults.clear()
        store.pull(f"{proxy.address}/{repository}:v1")
        store.remove(f"{proxy.address}/{repository}:v1")
        assert fingerprint(tmp_path / "ro") == before
    finally:
        make_writable(tmp_path / "ro")


# -- credentials --------------------------------------------------------------------
@pytest.fixture(scope="module")
def basic_registry():
    with basic_auth_registry("puller", "s3cret-pass") as address:
        yield address


def test_basic_auth_credentials_come_from_the_global_auth_file(tmp_path: Path, basic_registry: str) -> None:
    entry = artifact()
    repository = unique_repository("basic")
    Pusher(basic_registry, auth=("puller", "s3cret-pass")).push(repository, entry, "v1")
    auth_file = write_auth_file(tmp_path / "auth.json", basic_registry, "puller", "s3cret-pass")

    store = make_store(tmp_path, [], [basic_registry], auth_file=auth_file)
    record = store.pull(f"{basic_registry}/{repository}:v1").record

    assert record.id == entry.id
    assert blob_file(store.main.directory, entry.digest).read_bytes() == entry.raw


def test_basic_auth_with_wrong_or_no_credentials_is_denied_and_changes_nothing(tmp_path: Path, basic_registry: str) -> None:
    entry = artifact()
    repository = unique_repository("basic")
    Pusher(basic_registry, auth=("puller", "s3cret-pass")).push(repository, entry, "v1")
    wrong = write_auth_file(tmp_path / "wrong.json", basic_registry, "puller", "not-it")
    for store in (make_store(tmp_path / "none", [], [basic_registry]),
                  make_store(tmp_path / "wrong", [], [basic_registry], auth_file=wrong)):
        before = fingerprint(store.main.directory)
        with pytest.raises(RegistryError, match="401"):
            store.pull(f"{basic_registry}/{repository}:v1")
        assert_contained(store, before)
    # Credentials given with the call (CRI's PullImage auth) override the file.
    store = make_store(tmp_path / "explicit", [], [basic_registry], auth_file=wrong)
    assert store.pull(f"{basic_registry}/{repository}:v1", Credentials("puller", "s3cret-pass")).record.id == entry.id


def test_an_unreadable_auth_file_is_a_configuration_error_naming_it(tmp_path: Path, basic_registry: str) -> None:
    (tmp_path / "auth.json").write_text("{not json")
    store = make_store(tmp_path, [], [basic_registry], auth_file=tmp_path / "auth.json")
    with pytest.raises(ConfigError, match="auth.json"):
        store.pull(f"{basic_registry}/{unique_repository()}:v1")


def test_bearer_token_auth_is_negotiated_with_basic_credentials(tmp_path: Path, registry) -> None:
    entry = artifact(unique_layer("a.bin"), unique_layer("b.bin"))
    repository = unique_repository("token")
    Pusher(registry.address).push(repository, entry, "v1")
    auth = TokenAuth("robot", "t0ken-pass")
    with RegistryProxy(registry.address, token_auth=auth) as front:
        auth_file = write_auth_file(tmp_path / "auth.json", front.address, "robot", "t0ken-pass")
        store = make_store(tmp_path, [], [front.address], auth_file=auth_file)

        record = store.pull(f"{front.address}/{repository}:v1").record

        assert record.id == entry.id
        token_requests = [p for p in front.paths() if p.startswith("/token")]
        assert token_requests and f"repository%3A{repository.replace('/', '%2F')}%3Apull" in token_requests[0]
        served = [(m, p, scheme) for m, p, scheme in front.requests if "/blobs/" in p and scheme == "Bearer"]
        assert len(served) == 3  # config and both layers, each with the token


def test_bearer_token_auth_with_wrong_credentials_is_denied(tmp_path: Path, registry) -> None:
    repository = unique_repository("token")
    Pusher(registry.address).push(repository, artifact(), "v1")
    with RegistryProxy(registry.address, token_auth=TokenAuth("robot", "t0ken-pass")) as front:
        auth_file = write_auth_file(tmp_path / "auth.json", front.address, "robot", "wrong")
        store = make_store(tmp_path, [], [front.address], auth_file=auth_file)
        before = fingerprint(store.main.directory)
        with pytest.raises(RegistryError, match=f"{repository}.*401"):
            store.pull(f"{front.address}/{repository}:v1")
        assert_contained(store, before)


def test_the_auth_file_is_matched_by_registry_host(tmp_path: Path, basic_registry: str) -> None:
    entry = artifact()
    repository = unique_repository("basic")
    Pusher(basic_registry, auth=("puller", "s3cret-pass")).push(repository, entry, "v1")
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"auths": {
        "other.example:5000": {"auth": "d3Jvbmc6d3Jvbmc="},
        f"http://{basic_registry}": {"auth": write_auth_file(tmp_path / "x", basic_registry, "puller", "s3cret-pass")
                                     and json.loads((tmp_path / "x").read_text())["auths"][basic_registry]["auth"]},
    }}))
    store = make_store(tmp_path, [], [basic_registry], auth_file=auth_file)
    assert store.pull(f"{basic_registry}/{repository}:v1").record.id == entry.id
