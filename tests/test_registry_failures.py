"""Registry failures as a person reads them: one plain sentence naming the registry,
what happened and what to do; the exception chain only in the -v log. Against the
real registry, behind the traffic probe where an answer or a stall is arranged."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from artifact_conformance.fixtures.probe.traffic_probe import Fault, TokenAuth, TrafficProbe
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, PushedArtifact, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.errors import ConfigError, NotFoundError, RegistryAccessError, RegistryError
from artifact_conformance.simulator.registry_client import CONNECT_RETRY_DELAYS
from artifact_conformance.simulator.store import ArtifactStore
from tests.plain_messages import assert_plain
from tests.simulator_support import write_auth_file, write_toml

pytestmark = pytest.mark.registry

UNREACHABLE = "127.0.0.1:1"


@pytest.fixture
def probe(registry: RegistryEndpoint) -> Iterator[TrafficProbe]:
    with TrafficProbe(registry.address, registry.scheme) as p:
        yield p


def store_for(tmp_path: Path, *insecure: str, **options) -> ArtifactStore:
    return ArtifactStore(StoreConfig.build(root=tmp_path / "root", insecure_registries=list(insecure), **options))


def through(probe: TrafficProbe, artifact: PushedArtifact, registry: RegistryEndpoint) -> str:
    return artifact.reference.replace(registry.address, probe.address, 1)


def failure(store: ArtifactStore, reference: str, kind: type[Exception] = RegistryError) -> str:
    with pytest.raises(kind) as caught:
        store.pull(reference)
    message = str(caught.value)
    assert_plain(message)
    assert "\n" not in message
    return message


def test_a_refused_connection_is_tried_three_times_then_named(tmp_path: Path):
    reference = f"{UNREACHABLE}/conformance/x:v1"
    started = time.monotonic()
    message = failure(store_for(tmp_path, UNREACHABLE), reference)
    assert time.monotonic() - started >= sum(CONNECT_RETRY_DELAYS)
    assert message == (f"registry {UNREACHABLE} refused the connection (tried 3 times) for manifest {reference}: "
                       "nothing listens there; check the address and that the registry is running")


def test_a_registry_back_within_the_retries_serves_the_pull(tmp_path: Path, probe: TrafficProbe,
                                                            builder: ArtifactBuilder, registry: RegistryEndpoint):
    reference = through(probe, builder.artifact(unique_repository("back"), "v1"), registry)
    store = store_for(tmp_path, probe.address)
    probe.set_reachable(False)
    threading.Timer(CONNECT_RETRY_DELAYS[0] / 2, probe.set_reachable, (True,)).start()
    assert store.pull(reference).skipped is False


def test_plain_http_without_an_insecure_entry_says_to_add_one(tmp_path: Path, builder: ArtifactBuilder,
                                                              registry: RegistryEndpoint):
    artifact = builder.artifact(unique_repository("tls"), "v1")
    message = failure(store_for(tmp_path), artifact.reference)
    assert message == (f"registry {registry.address} answered plain HTTP to an HTTPS request for manifest "
                       f"{artifact.reference}: add it to [crio.image] insecure_registries")


@pytest.mark.parametrize("status, kind, expected", [
    (401, RegistryAccessError, "denied access to manifest {ref}: it answered 401 UNKNOWN (status 401 injected by "
                               "the traffic probe); give credentials for it in [crio.image] global_auth_file or "
                               "with the pull"),
    (403, RegistryAccessError, "denied access to manifest {ref}: it answered 403 UNKNOWN (status 403 injected by "
                               "the traffic probe); the credentials have no permission for this repository"),
    (429, RegistryError, "is limiting requests and refused manifest {ref}: it answered 429 UNKNOWN"),
    (500, RegistryError, "failed to serve manifest {ref}: it answered 500 UNKNOWN (status 500 injected by the "
                         "traffic probe); the registry has a problem: try again later, or check its logs"),
    (503, RegistryError, "failed to serve manifest {ref}: it answered 503 UNAVAILABLE (status 503 injected by the "
                         "traffic probe)"),
])
def test_an_error_answer_names_the_status_and_the_registry_code(tmp_path: Path, probe: TrafficProbe,
                                                                builder: ArtifactBuilder, registry: RegistryEndpoint,
                                                                status: int, kind: type[Exception], expected: str):
    reference = through(probe, builder.artifact(unique_repository(f"s{status}"), "v1"), registry)
    probe.inject(Fault.answer(status, path="/manifests/", times=None))
    message = failure(store_for(tmp_path, probe.address), reference, kind)
    assert message.startswith(f"registry {probe.address} ") and expected.format(ref=reference) in message, message
    assert probe.count("manifest") == 1  # an answer is never retried


def test_a_missing_tag_is_not_found_with_the_registry_code(tmp_path: Path, probe: TrafficProbe):
    reference = f"{probe.address}/{unique_repository('missing')}:v1"
    message = failure(store_for(tmp_path, probe.address), reference, NotFoundError)
    # distribution answers NAME_UNKNOWN or MANIFEST_UNKNOWN, depending on its version
    assert re.fullmatch(rf"manifest {re.escape(reference)} not found at the registry {probe.address}: it answered "
                        r"404 (NAME|MANIFEST)_UNKNOWN \([a-z ]+\); check the repository name and the tag or digest",
                        message), message


def test_wrong_credentials_at_a_token_registry(tmp_path: Path, registry: RegistryEndpoint, builder: ArtifactBuilder):
    artifact = builder.artifact(unique_repository("token"), "v1")
    with TrafficProbe(registry.address, registry.scheme, token_auth=TokenAuth("robot", "right")) as front:
        auth = write_auth_file(tmp_path / "auth.json", front.address, "robot", "wrong")
        store = store_for(tmp_path, front.address, global_auth_file=str(auth))
        reference = artifact.reference.replace(registry.address, front.address, 1)
        message = failure(store, reference, RegistryAccessError)
    assert message.startswith(f"registry {front.address} denied access to manifest {reference}: it answered 401")


def test_a_stall_names_the_progress_timeout(tmp_path: Path, probe: TrafficProbe, builder: ArtifactBuilder,
                                            registry: RegistryEndpoint):
    reference = through(probe, builder.artifact(unique_repository("stall"), "v1"), registry)
    probe.inject(Fault.stall(10, path="/manifests/"))
    message = failure(store_for(tmp_path, probe.address, pull_progress_timeout="500ms"), reference)
    assert message == (f"registry {probe.address} made no progress for 0.5 s on manifest {reference}: the pull was "
                       "given up; check the registry, or raise [crio.image] pull_progress_timeout")


def test_a_connection_cut_mid_blob_says_so(tmp_path: Path, probe: TrafficProbe, builder: ArtifactBuilder,
                                           registry: RegistryEndpoint):
    from artifact_conformance.fixtures.registry.builder import Layer, random_content

    artifact = builder.artifact(unique_repository("cut"), "v1", layers=[Layer(random_content(300_000), title="w")])
    layer = artifact.manifest["layers"][0]["digest"]
    probe.inject(Fault.cut(100_000, path=f"/blobs/{layer}"))
    message = failure(store_for(tmp_path, probe.address), through(probe, artifact, registry))
    assert message.startswith(f"registry {probe.address} cut the connection in the middle of blob {layer} of ")
    assert message.endswith("nothing was kept; try the pull again")


def test_a_registry_that_closes_without_answering(tmp_path: Path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"

        def close_each() -> None:
            for _ in range(3):
                connection, _ = listener.accept()
                connection.recv(65536)
                connection.close()
        threading.Thread(target=close_each, daemon=True).start()
        message = failure(store_for(tmp_path, address), f"{address}/conformance/x:v1")
    assert message.startswith(f"registry {address} closed the connection before answering for manifest ")


def test_an_unreadable_auth_file_is_a_plain_configuration_error(tmp_path: Path, probe: TrafficProbe):
    (tmp_path / "auth.json").write_text("{ not json")
    store = store_for(tmp_path, probe.address, global_auth_file=str(tmp_path / "auth.json"))
    message = failure(store, f"{probe.address}/conformance/x:v1", ConfigError)
    assert message == (f"global_auth_file '{tmp_path / 'auth.json'}' is not a JSON object like docker's "
                       'config.json ({"auths": ...})')
    write_auth_file(tmp_path / "auth.json", probe.address, "u", "p")
    (tmp_path / "auth.json").write_text((tmp_path / "auth.json").read_text().replace('"auth": "', '"auth": "%'))
    assert "is not base64 of user:password" in failure(store_for(tmp_path / "b", probe.address,
                                                                 global_auth_file=str(tmp_path / "auth.json")),
                                                       f"{probe.address}/conformance/x:v1", ConfigError)


# --- the command line -----------------------------------------------------------------------
def test_the_store_command_prints_the_sentence_and_keeps_the_chain_for_verbose(tmp_path: Path):
    config = write_toml(tmp_path / "crio.toml", tmp_path / "root", [], [UNREACHABLE])
    reference = f"{UNREACHABLE}/conformance/x:v1"
    command = [sys.executable, "-m", "artifact_conformance"]
    plain = subprocess.run([*command, "store", "--config", str(config), "pull", reference],
                           capture_output=True, text=True, timeout=60)
    assert plain.returncode == 1
    assert plain.stderr == (f"artifact-conformance: error: registry {UNREACHABLE} refused the connection (tried 3 "
                            f"times) for manifest {reference}: nothing listens there; check the address and that "
                            "the registry is running\n")
    verbose = subprocess.run([*command, "-v", "store", "--config", str(config), "pull", reference],
                             capture_output=True, text=True, timeout=60)
    assert verbose.returncode == 1
    assert "ConnectionRefusedError" in verbose.stderr and "attempt 3 failed" in verbose.stderr
    assert verbose.stderr.splitlines()[-1] == plain.stderr.strip()
