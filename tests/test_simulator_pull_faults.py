"""Pulls that go wrong, and pulls that need credentials (docs/contract.md: pull.atomic,
faults.store-contained, readonly.never-written)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from artifact_conformance.fixtures.probe.traffic_probe import Fault, TokenAuth, TrafficProbe
from artifact_conformance.fixtures.registry.builder import (
    ArtifactBuilder,
    Layer,
    canonical_json,
    random_content,
    unique_repository,
)
from artifact_conformance.fixtures.registry.endpoint import registry_process
from artifact_conformance.simulator.errors import (
    ArtifactStoreError,
    ConfigError,
    DigestMismatchError,
    NotFoundError,
    RegistryError,
)
from artifact_conformance.simulator.registry_client import Credentials
from tests.simulator_support import (
    blob_file,
    files_under,
    fingerprint,
    make_store,
    offline_artifact,
    unused_port,
    write_auth_file,
    write_layout,
)

pytestmark = pytest.mark.registry


SECOND_LAYER_SIZE = 4096


@pytest.fixture
def proxy(registry):
    with TrafficProbe(registry.address, registry.scheme) as running:
        yield running


@pytest.fixture
def pushed(builder: ArtifactBuilder):
    """An artifact with two layers (the second fails in the fault cases) pushed to the real registry."""
    repository = unique_repository("fault")
    entry = builder.artifact(repository, "v1", [Layer(random_content(2048), "first.bin"),
                                                Layer(random_content(SECOND_LAYER_SIZE), "second.bin")])
    return repository, entry


def assert_contained(store, before: dict) -> None:
    """The main store exactly as it was, no staging files, nothing half-written listed."""
    assert fingerprint(store.main.directory) == before
    assert files_under(store.main.staging_root) == []


def second_layer(entry) -> str:
    return entry.manifest["layers"][1]["digest"]


def at(path: str) -> str:
    """A fault pattern for paths containing ``path``."""
    return re.escape(path)


@pytest.fixture
def populated(tmp_path: Path, proxy: TrafficProbe, builder: ArtifactBuilder):
    """A store that already holds one artifact, so "unchanged" has something to protect."""
    repository = unique_repository("present")
    builder.artifact(repository, "v1")
    store = make_store(tmp_path, [], [proxy.address])
    store.pull(f"{proxy.address}/{repository}:v1")
    return store


@pytest.mark.parametrize("fault, error, named", [
    (lambda entry: Fault.answer(404, at(second_layer(entry)), times=None), NotFoundError, "404"),
    (lambda entry: Fault.answer(500, at(second_layer(entry)), times=None), RegistryError, "500"),
    (lambda entry: Fault.corrupt(at(second_layer(entry)), times=None), DigestMismatchError, "content has digest"),
    (lambda entry: Fault.cut(SECOND_LAYER_SIZE // 2, at(second_layer(entry)), times=None), RegistryError,
     "cut the connection in the middle of"),
    (lambda entry: Fault.serve(b"short", at(second_layer(entry)), times=None), DigestMismatchError, "descriptor declares"),
], ids=["blob-404", "blob-500", "bad-digest", "cut-mid-blob", "wrong-size"])
def test_a_failing_blob_leaves_the_main_store_as_it_was(populated, proxy, pushed, fault, error, named) -> None:
    repository, entry = pushed
    proxy.inject(fault(entry))
    before = fingerprint(populated.main.directory)

    with pytest.raises(error) as raised:
        populated.pull(f"{proxy.address}/{repository}:v1")

    message = str(raised.value)
    assert second_layer(entry) in message and named in message
    assert_contained(populated, before)
    assert entry.id not in {r.id for r in populated.list()}
    # The first layer was fetched but must not have been moved in.
    assert not blob_file(populated.main.directory, entry.manifest["layers"][0]["digest"]).exists()

    proxy.clear_faults()  # and once the registry behaves, the same pull works
    assert populated.pull(f"{proxy.address}/{repository}:v1").record.id == entry.id


@pytest.mark.parametrize("status", [500, 404, 401])
def test_a_failing_manifest_request_names_the_reference(populated, proxy, pushed, status) -> None:
    repository, entry = pushed
    proxy.inject(Fault.answer(status, at(f"/{repository}/manifests/"), times=None))
    before = fingerprint(populated.main.directory)
    with pytest.raises(ArtifactStoreError) as raised:
        populated.pull(f"{proxy.address}/{repository}:v1")
    assert f"{repository}:v1" in str(raised.value) and str(status) in str(raised.value)
    assert_contained(populated, before)


def test_a_manifest_that_does_not_match_the_requested_digest_is_refused(populated, proxy, pushed) -> None:
    repository, entry = pushed
    proxy.inject(Fault.corrupt(at(f"/manifests/{entry.digest}"), times=None))
    before = fingerprint(populated.main.directory)
    with pytest.raises(DigestMismatchError, match=entry.digest):
        populated.pull(f"{proxy.address}/{repository}@{entry.digest}")
    assert_contained(populated, before)


def test_a_manifest_naming_a_layer_the_registry_lacks_names_that_layer(populated, proxy, pushed) -> None:
    repository, entry = pushed
    document = json.loads(entry.manifest_bytes)
    ghost = "sha256:" + "e" * 64
    document["layers"][1]["digest"] = ghost
    proxy.inject(Fault.serve(canonical_json(document), at(f"/{repository}/manifests/v1"), times=None,
                             content_type="application/vnd.oci.image.manifest.v1+json"))
    before = fingerprint(populated.main.directory)
    with pytest.raises(NotFoundError, match=ghost):
        populated.pull(f"{proxy.address}/{repository}:v1")
    assert_contained(populated, before)


def test_a_manifest_that_is_not_json_is_an_error_naming_the_reference(populated, proxy, pushed) -> None:
    repository, _ = pushed
    proxy.inject(Fault.serve(b"<html>oops</html>", at(f"/{repository}/manifests/v1"), times=None))
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
    read_only = write_layout(tmp_path / "ro", (f"{proxy.address}/{repository}:other", offline_artifact()))
    read_only.make_unwritable()
    try:
        before = fingerprint(tmp_path / "ro")
        store = make_store(tmp_path, [tmp_path / "ro"], [proxy.address])
        proxy.inject(Fault.cut(SECOND_LAYER_SIZE // 2, at(second_layer(entry)), times=None))
        with pytest.raises(ArtifactStoreError):
            store.pull(f"{proxy.address}/{repository}:v1")
        proxy.clear_faults()
        store.pull(f"{proxy.address}/{repository}:v1")
        store.remove(f"{proxy.address}/{repository}:v1")
        assert fingerprint(tmp_path / "ro") == before
    finally:
        read_only.make_writable()


# -- credentials --------------------------------------------------------------------
@pytest.fixture(scope="module")
def basic_registry():
    with registry_process(basic_auth=("puller", "s3cret-pass")) as endpoint:
        yield endpoint.address


def push_with_credentials(address: str, repository: str):
    with ArtifactBuilder(address, address, credentials=("puller", "s3cret-pass")) as builder:
        return builder.artifact(repository, "v1")


def test_basic_auth_credentials_come_from_the_global_auth_file(tmp_path: Path, basic_registry: str) -> None:
    repository = unique_repository("basic")
    entry = push_with_credentials(basic_registry, repository)
    auth_file = write_auth_file(tmp_path / "auth.json", basic_registry, "puller", "s3cret-pass")

    store = make_store(tmp_path, [], [basic_registry], auth_file=auth_file)
    record = store.pull(f"{basic_registry}/{repository}:v1").record

    assert record.id == entry.id
    assert blob_file(store.main.directory, entry.digest).read_bytes() == entry.manifest_bytes


def test_basic_auth_with_wrong_or_no_credentials_is_denied_and_changes_nothing(tmp_path: Path, basic_registry: str) -> None:
    repository = unique_repository("basic")
    entry = push_with_credentials(basic_registry, repository)
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


def test_bearer_token_auth_is_negotiated_with_basic_credentials(tmp_path: Path, registry,
                                                               builder: ArtifactBuilder) -> None:
    repository = unique_repository("token")
    entry = builder.artifact(repository, "v1", [Layer(title="a.bin"), Layer(title="b.bin")])
    auth = TokenAuth("robot", "t0ken-pass")
    with TrafficProbe(registry.address, registry.scheme, token_auth=auth) as front:
        auth_file = write_auth_file(tmp_path / "auth.json", front.address, "robot", "t0ken-pass")
        store = make_store(tmp_path, [], [front.address], auth_file=auth_file)

        record = store.pull(f"{front.address}/{repository}:v1").record

        assert record.id == entry.id
        token_requests = [r for r in front.requests if r.path.startswith("/token")]
        assert token_requests and f"repository%3A{repository.replace('/', '%2F')}%3Apull" in token_requests[0].query
        served = [r for r in front.requests if r.kind == "blob" and r.auth_scheme == "Bearer"]
        assert len(served) == 3  # config and both layers, each with the token


def test_bearer_token_auth_with_wrong_credentials_is_denied(tmp_path: Path, registry,
                                                           builder: ArtifactBuilder) -> None:
    repository = unique_repository("token")
    builder.artifact(repository, "v1")
    with TrafficProbe(registry.address, registry.scheme, token_auth=TokenAuth("robot", "t0ken-pass")) as front:
        auth_file = write_auth_file(tmp_path / "auth.json", front.address, "robot", "wrong")
        store = make_store(tmp_path, [], [front.address], auth_file=auth_file)
        before = fingerprint(store.main.directory)
        with pytest.raises(RegistryError, match=f"{repository}.*401"):
            store.pull(f"{front.address}/{repository}:v1")
        assert_contained(store, before)


def test_the_auth_file_is_matched_by_registry_host(tmp_path: Path, basic_registry: str) -> None:
    repository = unique_repository("basic")
    entry = push_with_credentials(basic_registry, repository)
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"auths": {
        "other.example:5000": {"auth": "d3Jvbmc6d3Jvbmc="},
        f"http://{basic_registry}": {"auth": write_auth_file(tmp_path / "x", basic_registry, "puller", "s3cret-pass")
                                     and json.loads((tmp_path / "x").read_text())["auths"][basic_registry]["auth"]},
    }}))
    store = make_store(tmp_path, [], [basic_registry], auth_file=auth_file)
    assert store.pull(f"{basic_registry}/{repository}:v1").record.id == entry.id
