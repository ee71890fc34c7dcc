"""The traffic probe forwards faithfully, records what it forwards, and fails on request."""

from __future__ import annotations

import contextlib
import errno
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import oras.provider
import pytest
import requests

from artifact_conformance.fixtures.probe.traffic_probe import MAX_STALL_S, Fault, TrafficProbe, classify_path
from artifact_conformance.fixtures.registry.builder import MANIFEST_ACCEPT, Layer, sha256_digest, unique_repository
from artifact_conformance.fixtures.registry.endpoint import REGISTRY_BINARIES, RegistryEndpoint, registry_answers

pytestmark = pytest.mark.registry


def manifest_url(probe: TrafficProbe, repository: str, reference: str) -> str:
    return f"{probe.url}/v2/{repository}/manifests/{reference}"


def blob_url(probe: TrafficProbe, repository: str, digest: str) -> str:
    return f"{probe.url}/v2/{repository}/blobs/{digest}"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v2/", ("other", None, None)),
        ("/v2/a/b/manifests/v1", ("manifest", "a/b", "v1")),
        ("/v2/a/manifests/sha256:" + "0" * 64, ("manifest", "a", "sha256:" + "0" * 64)),
        ("/v2/a/b/c/blobs/sha256:" + "1" * 64 + "?x=1", ("blob", "a/b/c", "sha256:" + "1" * 64)),
        ("/v2/a/b/blobs/uploads/", ("upload", "a/b", None)),
        ("/v2/a/b/blobs/uploads/uuid-1?_state=x", ("upload", "a/b", "uuid-1")),
        ("/v2/a/tags/list", ("other", None, None)),
    ],
)
def test_paths_are_classified_by_distribution_api_route(path, expected):
    assert classify_path(path) == expected


def test_counts_manifest_and_blob_requests_and_downloaded_bytes(probe, artifact_builder):
    repository = unique_repository("probe-count")
    layer = Layer(b"x" * 3000, title="weights.bin")
    pushed = artifact_builder.artifact(repository, "v1", layers=[layer])
    assert probe.requests == [], "pushes go straight to the registry, not through the probe"

    manifest = requests.get(manifest_url(probe, repository, "v1"), headers={"Accept": MANIFEST_ACCEPT})
    head = requests.head(blob_url(probe, repository, layer.digest))
    blob = requests.get(blob_url(probe, repository, layer.digest))

    assert manifest.content == pushed.manifest_bytes
    assert manifest.headers["Docker-Content-Digest"] == pushed.digest
    assert head.status_code == 200 and head.headers["Content-Length"] == "3000"
    assert blob.content == layer.content
    assert probe.count(kind="manifest") == 1
    assert probe.count(kind="blob", repository=repository) == 2
    assert probe.count(kind="blob", method="GET") == 1
    assert probe.count(repository="conformance/elsewhere") == 0
    assert probe.blob_bytes(repository) == 3000, "a HEAD downloads nothing"
    recorded = probe.requests
    assert [(r.method, r.kind, r.status) for r in recorded] == [
        ("GET", "manifest", 200), ("HEAD", "blob", 200), ("GET", "blob", 200)]
    assert recorded[0].reference == "v1" and recorded[2].reference == layer.digest
    assert recorded[0].bytes_sent == len(pushed.manifest_bytes)

    probe.clear()
    assert probe.requests == [] and probe.count() == 0


def test_streams_a_large_blob_and_counts_its_bytes(probe, artifact_builder):
    repository = unique_repository("probe-large")
    layer = Layer(bytes(range(256)) * 40_000, title="big.bin")  # ~10 MB
    artifact_builder.artifact(repository, "v1", layers=[layer])

    with requests.get(blob_url(probe, repository, layer.digest), stream=True) as response:
        digest = sha256_digest(b"".join(response.iter_content(1 << 20)))

    assert digest == layer.digest
    assert probe.blob_bytes(repository) == len(layer.content)


def test_uploads_through_the_probe_follow_rewritten_locations(probe, registry):
    """Monolithic (POST+PUT) and chunked (POST+PATCH+PUT) uploads through the
    probe land in the registry: upload Locations are rewritten to the probe."""
    repository = unique_repository("probe-upload")
    client = oras.provider.Registry(hostname=probe.address, insecure=True)
    container = client.get_container(f"{probe.address}/{repository}")
    with tempfile.TemporaryDirectory() as workdir:
        for index, chunked in enumerate((False, True)):
            content = f"uploaded through the probe {index} ".encode() * 5000
            path = Path(workdir) / f"blob-{index}"
            path.write_bytes(content)
            descriptor = {"digest": sha256_digest(content), "size": len(content)}
            response = client.upload_blob(str(path), container, descriptor,
                                          do_chunked=chunked, chunk_size=40_000)
            assert response.status_code == 201, response.text
            direct = requests.get(f"{registry.url}/v2/{repository}/blobs/{descriptor['digest']}")
            assert direct.content == content

    uploads = probe.matching(kind="upload")
    assert {r.method for r in uploads} == {"POST", "PATCH", "PUT"}
    assert all(r.status in (201, 202) for r in uploads)
    post = requests.post(f"{probe.url}/v2/{repository}/blobs/uploads/")
    assert post.headers["Location"].startswith(f"{probe.url}/v2/{repository}/blobs/uploads/")


def test_a_chunked_request_body_is_forwarded(probe, registry):
    """Go clients send bodies of unknown length with chunked transfer coding."""
    repository = unique_repository("probe-chunked")
    content = b"chunked request body " * 4000
    session = requests.post(f"{probe.url}/v2/{repository}/blobs/uploads/").headers["Location"]
    patched = requests.patch(session, data=iter([content[:30_000], content[30_000:]]),
                             headers={"Content-Type": "application/octet-stream"})
    assert patched.status_code == 202, patched.text
    done = requests.put(patched.headers["Location"], params={"digest": sha256_digest(content)})
    assert done.status_code == 201, done.text
    assert requests.get(f"{registry.url}/v2/{repository}/blobs/{sha256_digest(content)}").content == content


def test_injected_status_answers_instead_of_the_registry_and_wears_off(probe, artifact_builder):
    repository = unique_repository("probe-500")
    pushed = artifact_builder.artifact(repository, "v1")
    fault = probe.inject(Fault.answer(500, path=r"/manifests/"))

    failed = requests.get(manifest_url(probe, repository, "v1"))
    healed = requests.get(manifest_url(probe, repository, "v1"), headers={"Accept": MANIFEST_ACCEPT})

    assert failed.status_code == 500 and failed.json()["errors"][0]["code"] == "UNKNOWN"
    assert healed.status_code == 200 and healed.content == pushed.manifest_bytes
    assert fault.applied == 1
    assert [(r.status, r.fault) for r in probe.requests] == [(500, "status"), (200, None)]


def test_injected_404_names_the_missing_thing_and_respects_method_and_times(probe, artifact_builder):
    repository = unique_repository("probe-404")
    pushed = artifact_builder.artifact(repository, "v1")
    layer_digest = pushed.manifest["layers"][0]["digest"]
    probe.inject(Fault.answer(404, path=r"/blobs/sha256:", method="GET", times=2))

    assert requests.head(blob_url(probe, repository, layer_digest)).status_code == 200
    first = requests.get(blob_url(probe, repository, layer_digest))
    second = requests.get(blob_url(probe, repository, layer_digest))
    third = requests.get(blob_url(probe, repository, layer_digest))

    assert (first.status_code, second.status_code, third.status_code) == (404, 404, 200)
    assert first.json()["errors"][0]["code"] == "BLOB_UNKNOWN"


def test_a_fault_without_times_applies_until_cleared(probe, artifact_builder):
    repository = unique_repository("probe-forever")
    artifact_builder.artifact(repository, "v1")
    probe.inject(Fault.answer(503, path=repository, times=None))

    statuses = [requests.get(manifest_url(probe, repository, "v1")).status_code for _ in range(3)]
    probe.clear_faults()

    assert statuses == [503, 503, 503]
    assert requests.get(manifest_url(probe, repository, "v1"),
                        headers={"Accept": MANIFEST_ACCEPT}).status_code == 200


def test_a_stall_delays_the_answer_and_is_bounded(probe, artifact_builder):
    repository = unique_repository("probe-stall")
    artifact_builder.artifact(repository, "v1")
    probe.inject(Fault.stall(0.6, path=r"/manifests/v1$"))

    started = time.monotonic()
    response = requests.get(manifest_url(probe, repository, "v1"), headers={"Accept": MANIFEST_ACCEPT})
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.6
    with pytest.raises(ValueError):
        Fault.stall(MAX_STALL_S + 1)


def test_a_stalled_client_times_out_and_clearing_faults_wakes_the_stall(probe, artifact_builder):
    repository = unique_repository("probe-stall-timeout")
    artifact_builder.artifact(repository, "v1")
    probe.inject(Fault.stall(30, path=r"/manifests/"))

    with pytest.raises(requests.ReadTimeout):
        requests.get(manifest_url(probe, repository, "v1"), headers={"Accept": MANIFEST_ACCEPT}, timeout=0.3)
    started = time.monotonic()
    probe.clear_faults()
    deadline = started + 5
    while probe.requests[0].status is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert probe.requests[0].status == 200, "the stalled request went on once woken"
    assert time.monotonic() - started < 5


def raw_get(address: str, path: str, range_start: int | None = None) -> tuple[bytes, bytes]:
    """(head, body) of a GET read until the server closes: what really arrived,
    without a client library that drops a short read's last bytes; with
    ``range_start``, a ranged GET (``Range: bytes=N-``), as a resuming client sends."""
    host, port = address.rsplit(":", 1)
    ranged = f"Range: bytes={range_start}-\r\n" if range_start is not None else ""
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {address}\r\n{ranged}Connection: close\r\n\r\n".encode())
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    return head, body


def test_a_cut_drops_the_connection_mid_blob(probe, artifact_builder):
    repository = unique_repository("probe-cut")
    layer = Layer(b"y" * 200_000, title="cut.bin")
    artifact_builder.artifact(repository, "v1", layers=[layer])
    probe.inject(Fault.cut(after_bytes=70_000, path=r"/blobs/sha256:", times=2))

    head, body = raw_get(probe.address, f"/v2/{repository}/blobs/{layer.digest}")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(blob_url(probe, repository, layer.digest))

    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: 200000" in head, "the client is promised the whole blob"
    assert body == layer.content[:70_000]
    cut = probe.requests[0]
    assert (cut.status, cut.bytes_sent, cut.fault) == (200, 70_000, "cut")
    assert cut.error
    assert requests.get(blob_url(probe, repository, layer.digest)).content == layer.content


def test_a_cut_on_every_request_stops_a_client_that_resumes_with_a_range_at_the_same_byte(probe, artifact_builder):
    """A runtime that resumes a cut download with Range (CRI-O does) meets the cut
    again at the same byte of the blob: it never gets past it."""
    repository = unique_repository("probe-range")
    layer = Layer(bytes(range(256)) * 400, title="ranged.bin")  # 102,400 bytes
    artifact_builder.artifact(repository, "v1", layers=[layer])
    probe.inject(Fault.cut(after_bytes=50_000, path=r"/blobs/sha256:", times=None))
    path = f"/v2/{repository}/blobs/{layer.digest}"

    _, first = raw_get(probe.address, path)
    head, resumed = raw_get(probe.address, path, 30_000)
    past_head, past = raw_get(probe.address, path, 60_000)

    assert first == layer.content[:50_000]
    assert head.startswith(b"HTTP/1.1 206")
    assert resumed == layer.content[30_000:50_000], "a range from 30,000 is cut at byte 50,000 of the blob"
    assert past_head.startswith(b"HTTP/1.1 206") and past == b"", "a range past the cut gets nothing"
    assert [r.range_start for r in probe.requests] == [0, 30_000, 60_000]
    probe.clear_faults()
    _, healthy = raw_get(probe.address, path, 30_000)
    assert healthy == layer.content[30_000:]


def test_altered_bytes_stay_altered_in_a_ranged_response(probe, artifact_builder):
    repository = unique_repository("probe-range-corrupt")
    layer = Layer(b"z" * 1000, title="corrupt.bin")
    artifact_builder.artifact(repository, "v1", layers=[layer])
    probe.inject(Fault.corrupt(path=r"/blobs/sha256:", times=None, after_bytes=500))
    _, body = raw_get(probe.address, f"/v2/{repository}/blobs/{layer.digest}", 400)
    assert body[:100] == b"z" * 100, "bytes before offset 500 of the blob are served as they are"
    assert body[100:] == bytes(b ^ 0xFF for b in b"z" * 500), "from offset 500 of the blob on, altered"


def connect_errno(address: str) -> int | None:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return None
    except OSError as error:
        return error.errno


def test_unreachable_refuses_connections_then_serves_again_on_the_same_port(probe, artifact_builder):
    repository = unique_repository("probe-down")
    artifact_builder.artifact(repository, "v1")
    address = probe.address
    session = requests.Session()  # a pooled keep-alive connection must not survive either
    session.headers["Accept"] = MANIFEST_ACCEPT
    assert session.get(manifest_url(probe, repository, "v1")).status_code == 200

    with probe.unreachable():
        assert not probe.reachable
        assert connect_errno(address) == errno.ECONNREFUSED
        with pytest.raises(requests.ConnectionError):
            session.get(manifest_url(probe, repository, "v1"), timeout=2)

    assert probe.address == address
    assert connect_errno(address) is None
    assert session.get(manifest_url(probe, repository, "v1")).status_code == 200
    probe.set_reachable(False)
    probe.set_reachable(False)  # idempotent
    assert connect_errno(address) == errno.ECONNREFUSED
    probe.set_reachable(True)
    assert requests.get(f"{probe.url}/v2/").status_code == 200


def test_concurrent_requests_are_all_recorded(probe, artifact_builder):
    repository = unique_repository("probe-threads")
    layer = Layer(b"z" * 50_000, title="z.bin")
    artifact_builder.artifact(repository, "v1", layers=[layer])
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            for _ in range(5):
                assert requests.get(blob_url(probe, repository, layer.digest)).content == layer.content
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert probe.count(kind="blob") == 40
    assert probe.blob_bytes(repository) == 40 * 50_000


def test_reset_restores_a_plain_forwarding_proxy(probe):
    probe.inject(Fault.answer(500))
    probe.set_reachable(False)
    probe.reset()
    assert probe.reachable
    assert requests.get(f"{probe.url}/v2/").status_code == 200
    assert probe.count() == 1


def test_an_unanswering_registry_yields_502(registry):
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        dead_address = f"127.0.0.1:{placeholder.getsockname()[1]}"
    with TrafficProbe(dead_address) as dead:
        response = requests.get(f"{dead.url}/v2/")
        assert response.status_code == 502
        assert dead_address in response.json()["errors"][0]["message"]
        assert dead.requests[0].error


# --- authentication challenges: a real registry with distribution's "silly" auth ---


@pytest.fixture(scope="module")
def challenging_registry() -> Iterator[RegistryEndpoint]:
    """distribution with ``auth: silly``: answers 401 + a Bearer challenge to
    any request without an Authorization header, accepts any that has one."""
    binary = next(filter(None, map(shutil.which, REGISTRY_BINARIES)), None)
    if binary is None:
        pytest.skip(f"no registry binary ({', '.join(REGISTRY_BINARIES)}) to run an auth-challenging registry")
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    endpoint = RegistryEndpoint("127.0.0.1", port)
    with tempfile.TemporaryDirectory() as workdir:
        config = Path(workdir) / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n"
            f"storage:\n  filesystem:\n    rootdirectory: {workdir}/storage\n"
            "auth:\n  silly:\n    realm: http://auth.example/token\n    service: conformance.example\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
        process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not registry_answers(endpoint, timeout=1):
                assert process.poll() is None and time.monotonic() < deadline, "silly-auth registry did not start"
                time.sleep(0.05)
            yield endpoint
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
                process.wait()


def test_auth_challenges_are_forwarded_unchanged(challenging_registry):
    with TrafficProbe(challenging_registry.address) as proxy:
        direct = requests.get(f"{challenging_registry.url}/v2/conformance/x/manifests/v1")
        proxied = requests.get(f"{proxy.url}/v2/conformance/x/manifests/v1")
        authorized = requests.get(f"{proxy.url}/v2/", headers={"Authorization": "Bearer anything"})

    assert direct.status_code == proxied.status_code == 401
    assert proxied.headers["Www-Authenticate"] == direct.headers["Www-Authenticate"]
    assert 'realm="http://auth.example/token"' in proxied.headers["Www-Authenticate"]
    assert authorized.status_code == 200, "the Authorization header reaches the registry"
