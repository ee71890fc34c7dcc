"""serve-cri as a person meets it: the real crictl against a real serve-cri process,
a real registry (behind the traffic probe for error answers), and serve-cri's log."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from artifact_conformance.fixtures.probe.traffic_probe import Fault, TrafficProbe
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, PushedArtifact, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import ServeCri
from tests.crictl import Crictl
from tests.plain_messages import assert_plain

pytestmark = pytest.mark.registry

UNREACHABLE = "127.0.0.1:1"
PINNED_HINT = "keep-me"


@pytest.fixture
def probe(registry: RegistryEndpoint) -> Iterator[TrafficProbe]:
    with TrafficProbe(registry.address, registry.scheme) as p:
        yield p


@pytest.fixture
def node(tmp_path: Path, registry: RegistryEndpoint, probe: TrafficProbe, read_only: ReadOnlyStore) -> Path:
    """Plain HTTP for the probe and the unreachable address, not for the registry itself."""
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(read_only.path)], pinned=[f"*{PINNED_HINT}*"],
                                insecure=[probe.address, UNREACHABLE]))
    return config


@pytest.fixture
def crictl(crictl_binary: str, server: ServeCri, tmp_path: Path) -> Crictl:
    config = tmp_path / "crictl.yaml"
    config.write_text("")
    return Crictl(crictl_binary, server.address, config)


def via_probe(artifact: PushedArtifact, probe: TrafficProbe, registry: RegistryEndpoint) -> str:
    return artifact.reference.replace(registry.address, probe.address, 1)


def log_lines(server: ServeCri, method: str) -> list[str]:
    return [line for line in server.output_text().splitlines() if re.search(rf"Z {re.escape(method)} ", line)]


def one_line(server: ServeCri, method: str, *needles: str) -> str:
    lines = [line for line in log_lines(server, method) if all(n in line for n in needles)]
    assert len(lines) == 1, f"{method} {needles}: {lines}\n{server.output_text()}"
    assert re.search(r" ms=\d+(\.\d)?$", lines[0]), lines[0]
    return lines[0]


# --- crictl info, ps, pods -------------------------------------------------------
def test_crictl_info_shows_the_configuration_served(crictl: Crictl, server: ServeCri, node: Path,
                                                     read_only: ReadOnlyStore, probe: TrafficProbe, tmp_path: Path):
    info = json.loads(crictl.ok("info"))
    config = info["config"]
    assert config["source"] == str(node)
    assert config["mainStore"] == str(tmp_path / "root" / "artifacts")
    assert config["additionalArtifactStores"] == [str(read_only.layout)]
    assert config["insecureRegistries"] == [probe.address, UNREACHABLE]
    assert config["pinnedImages"] == [f"*{PINNED_HINT}*"]
    conditions = {c["type"]: c for c in info["status"]["conditions"]}
    assert set(conditions) == {"RuntimeReady", "NetworkReady"}
    assert all(c["status"] is False and c["reason"] == "ImageServiceOnly" for c in conditions.values())
    one_line(server, "RuntimeService/Status", "verbose=True")


def test_crictl_ps_and_pods_list_no_containers(crictl: Crictl, server: ServeCri):
    assert crictl.ok("ps", "-a").split()[:2] == ["CONTAINER", "IMAGE"]
    assert len(crictl.ok("ps", "-a").strip().splitlines()) == 1  # the header only
    assert crictl.ok("ps", "-a", "-q").strip() == ""
    assert len(crictl.ok("pods").strip().splitlines()) == 1
    containers = log_lines(server, "RuntimeService/ListContainers")
    assert len(containers) == 3 and all('outcome="0 containers"' in line for line in containers), containers
    assert 'outcome="0 pod sandboxes"' in one_line(server, "RuntimeService/ListPodSandbox")
    assert "runtime=artifact-conformance-reference" in log_lines(server, "RuntimeService/Version")[0]


# --- removal -----------------------------------------------------------------------
def test_crictl_rmi_prune_removes_only_unpinned_main_store_artifacts(
        crictl: Crictl, server: ServeCri, builder: ArtifactBuilder, read_only: ReadOnlyStore,
        probe: TrafficProbe, registry: RegistryEndpoint):
    held = builder.artifact(unique_repository("held"), "v1")
    read_only.add(held)  # read-only: pinned, never removed
    pinned = builder.artifact(unique_repository(PINNED_HINT), "v1")  # main store, pinned by pinned_images
    loose = builder.artifact(unique_repository("loose"), "v1")  # main store, unpinned: prune takes it
    for artifact in (pinned, loose):
        crictl.ok("pull", via_probe(artifact, probe, registry))
    before = set(crictl.ok("images", "-q", "--no-trunc").split())
    assert before == {held.id, pinned.id, loose.id}

    out = crictl.ok("rmi", "--prune")
    assert out.strip() == f"Deleted: {via_probe(loose, probe, registry)}", out
    assert set(crictl.ok("images", "-q", "--no-trunc").split()) == {held.id, pinned.id}
    assert len(log_lines(server, "RuntimeService/ListContainers")) == 1  # prune asked which images are in use
    one_line(server, "RemoveImage", loose.id, "outcome=removed")


def test_crictl_rmi_of_a_read_only_artifact_says_why_in_the_log(crictl: Crictl, server: ServeCri,
                                                                 builder: ArtifactBuilder, read_only: ReadOnlyStore):
    held = builder.artifact(unique_repository("held"), "v1")
    read_only.add(held)
    assert crictl.ok("rmi", held.reference).strip() == f"Deleted: {held.reference}"  # CRI: removal is idempotent
    assert held.id in crictl.ok("images", "-q", "--no-trunc").split()
    line = one_line(server, "RemoveImage", held.reference)
    assert 'outcome="nothing removed"' in line
    assert f'reason="held by read-only store {read_only.layout}' in line


# --- every call, one line -------------------------------------------------------------
def test_each_call_is_one_line_at_the_default_level(crictl: Crictl, server: ServeCri, builder: ArtifactBuilder,
                                                     probe: TrafficProbe, registry: RegistryEndpoint, tmp_path: Path):
    artifact = builder.artifact(unique_repository("logged"), "v1")
    reference = via_probe(artifact, probe, registry)
    crictl.ok("pull", reference)
    crictl.ok("inspecti", reference)
    crictl.ok("images")
    main = tmp_path / "root" / "artifacts"
    line = one_line(server, "PullImage", reference)
    assert f"image={reference} outcome=pulled digest={artifact.digest} store={main} ms=" in line
    assert f"outcome=found store={main}" in one_line(server, "ImageStatus", reference)
    assert f"outcome=\"1 image\" store={main}" in one_line(server, "ListImages", 'outcome="1 image"')
    assert log_lines(server, "ImageFsInfo")  # crictl asks before each image command


# --- registry failures, in plain words ---------------------------------------------------
def pull_error(crictl: Crictl, reference: str) -> str:
    stderr = crictl.fails("pull", reference)
    assert_plain(stderr)
    return stderr


def test_unreachable_registry(crictl: Crictl, server: ServeCri):
    reference = f"{UNREACHABLE}/conformance/x:v1"
    stderr = pull_error(crictl, reference)
    expected = (f"code = Unavailable desc = registry {UNREACHABLE} refused the connection (tried 3 times) for "
                f"manifest {reference}: nothing listens there; check the address and that the registry is running")
    assert expected in stderr, stderr
    line = one_line(server, "PullImage", reference)
    assert "outcome=UNAVAILABLE" in line and 'error="registry 127.0.0.1:1 refused the connection' in line


def test_plain_http_registry_without_an_insecure_entry(crictl: Crictl, builder: ArtifactBuilder,
                                                        registry: RegistryEndpoint):
    artifact = builder.artifact(unique_repository("tls"), "v1")  # named after the registry: not insecure here
    stderr = pull_error(crictl, artifact.reference)
    assert (f"registry {registry.address} answered plain HTTP to an HTTPS request for manifest "
            f"{artifact.reference}: add it to [crio.image] insecure_registries") in stderr, stderr


@pytest.mark.parametrize("status, code, says", [
    (401, "PermissionDenied", "global_auth_file or with the pull"),
    (403, "PermissionDenied", "the credentials have no permission for this repository"),
    (404, "NotFound", "not found at the registry"),
    (500, "Unavailable", "failed to serve"),
    (503, "Unavailable", "it answered 503 UNAVAILABLE (status 503 injected by the traffic probe)"),
])
def test_error_answers_name_the_status_and_the_registry_code(crictl: Crictl, builder: ArtifactBuilder,
                                                             probe: TrafficProbe, registry: RegistryEndpoint,
                                                             status: int, code: str, says: str):
    reference = via_probe(builder.artifact(unique_repository(f"status-{status}"), "v1"), probe, registry)
    probe.inject(Fault.answer(status, path="/manifests/", times=None))
    stderr = pull_error(crictl, reference)
    assert f"code = {code} desc = " in stderr and says in stderr and f"it answered {status} " in stderr, stderr
    assert probe.count("manifest") == 1  # an error answer is never retried
