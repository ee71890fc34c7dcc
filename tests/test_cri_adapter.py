"""The ``cri`` adapter against serve-cri, in both modes, and against endpoints
that cannot be used (nothing there, not CRI, a command that never serves)."""

from __future__ import annotations

import http.server
import shlex
import socketserver
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from cri_api.v1 import api_pb2

from artifact_conformance.fixtures.adapters.cri import CriAdapter
from artifact_conformance.fixtures.adapters.cri_client import CriClient
from artifact_conformance.fixtures.adapters.cri_errors import CriEndpointError, sut_error_from
from artifact_conformance.fixtures.adapters.cri_launch import launch_config
from artifact_conformance.fixtures.adapters.cri_settings import (
    CALL_TIMEOUT,
    ENDPOINT,
    LAUNCH,
    RUNTIME_CONFIG,
    STORES,
    WARNING_PATTERN,
    CriSettings,
    CriSettingsError,
    FixedRuntime,
)
from artifact_conformance.fixtures.adapters.interface import (
    CONFIGURE,
    MAIN_STORE_LAYOUT,
    KILLABLE,
    MOUNT_PATHS,
    PODS,
    RELOAD,
    WARNINGS,
    NodeConfig,
    NotApplicable,
    SutOptions,
)
from artifact_conformance.fixtures.adapters.selection import available_adapters, create_sut
from artifact_conformance.fixtures.adapters.sut_errors import (
    SutAmbiguous,
    SutConfigError,
    SutCorrupt,
    SutInvalidReference,
    SutNotAnArtifact,
    SutNotFound,
    SutOtherError,
    SutRegistryError,
)
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, PushedArtifact, unique_repository
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.crio_toml import crio_toml
from tests import pytest_runs
from tests.cri_process import LAUNCH_COMMAND, serve_cri, short_tempdir

UNREACHABLE_REGISTRY = "127.0.0.1:1"


# --- fixtures ------------------------------------------------------------------------
def node_for(tmp_path: Path, registry: RegistryEndpoint, stores=(), pinned=()) -> NodeConfig:
    return NodeConfig(root=tmp_path / "root", additional_stores=tuple(stores), pinned_images=tuple(pinned),
                      insecure_registries=(registry.address, UNREACHABLE_REGISTRY))


@pytest.fixture
def launched() -> Iterator[CriAdapter]:
    adapter = CriAdapter(CriSettings(launch=LAUNCH_COMMAND))
    try:
        yield adapter
    finally:
        adapter.stop()


def push(builder: ArtifactBuilder, hint: str = "model", tag: str | None = "v1") -> PushedArtifact:
    return builder.artifact(unique_repository(hint), tag)


# --- launch mode ------------------------------------------------------------------------
@pytest.mark.registry
def test_launch_mode_pull_status_list_remove(launched: CriAdapter, builder: ArtifactBuilder,
                                             registry: RegistryEndpoint, read_only: ReadOnlyStore, tmp_path: Path):
    assert launched.capabilities == {CONFIGURE, MAIN_STORE_LAYOUT, RELOAD, WARNINGS, MOUNT_PATHS, PODS, KILLABLE}
    in_store, pulled = push(builder, "ro"), push(builder, "main")
    read_only.add(in_store)
    launched.start(node_for(tmp_path, registry, stores=[str(read_only.path)]))
    assert launched.main_store_dir() == tmp_path / "root" / "artifacts"

    artifact = launched.pull(pulled.reference)
    assert (artifact.id, artifact.repo_tags, artifact.repo_digests) == (
        pulled.id, (pulled.reference,), (pulled.digest_reference,))
    assert (artifact.size, artifact.pinned, artifact.store) == (pulled.size, False, str(tmp_path / "root" / "artifacts"))

    skipped = launched.pull(in_store.reference)
    assert (skipped.id, skipped.pinned, skipped.store) == (in_store.id, True, str(read_only.layout))

    assert launched.status(pulled.id[:12]) == artifact
    assert [a.id for a in launched.list()] == [in_store.id, pulled.id]
    launched.remove(pulled.reference)
    launched.remove(pulled.reference)  # idempotent
    launched.remove(in_store.id)  # read-only: success, still there
    assert [a.id for a in launched.list()] == [in_store.id]
    with pytest.raises(SutNotFound, match="reported no image"):
        launched.status(pulled.reference)


@pytest.mark.registry
def test_launch_mode_errors_map_onto_kinds(launched: CriAdapter, builder: ArtifactBuilder,
                                           registry: RegistryEndpoint, tmp_path: Path):
    launched.start(node_for(tmp_path, registry))
    name = f"{registry.address}/{unique_repository('x')}"
    with pytest.raises(SutInvalidReference, match="both a tag and a digest"):
        launched.pull(f"{name}:v1@sha256:{'a' * 64}")
    with pytest.raises(SutNotFound, match="404"):
        launched.pull(f"{name}:v1")
    image = builder.container_image(unique_repository("image"), "v1")
    with pytest.raises(SutNotAnArtifact, match="container image"):
        launched.pull(image.reference)
    with pytest.raises(SutRegistryError, match=UNREACHABLE_REGISTRY):  # the runtime's UNAVAILABLE, not ours
        launched.pull(f"{UNREACHABLE_REGISTRY}/conformance/x:v1")


@pytest.mark.registry
def test_launch_mode_refused_configuration_is_a_config_error(launched: CriAdapter, registry: RegistryEndpoint,
                                                             tmp_path: Path):
    with pytest.raises(SutConfigError, match="'relative/store' is not absolute"):
        launched.start(node_for(tmp_path, registry, stores=["relative/store"]))
    with pytest.raises(SutOtherError, match="not been started"):
        launched.list()


@pytest.mark.registry
def test_launch_mode_warnings_reload_and_stop(launched: CriAdapter, builder: ArtifactBuilder,
                                              registry: RegistryEndpoint, tmp_path: Path):
    missing = tmp_path / "missing-store"
    node = node_for(tmp_path, registry, stores=[str(missing)])
    launched.start(node)
    assert any(str(missing) in w for w in launched.warnings())
    artifact = push(builder)
    assert launched.pull(artifact.reference).pinned is False

    repository = artifact.reference.rsplit(":", 1)[0]
    launched.reload(node.with_changes(pinned_images=(f"{repository}:*",)))
    assert launched.status(artifact.reference).pinned is True
    assert sum(str(missing) in w for w in launched.warnings()) == 2  # start-up warning, before and after reload
    with pytest.raises(SutConfigError, match="pinned_images only"):
        launched.reload(node.with_changes(additional_stores=()))

    process = launched._launched.process  # noqa: SLF001 - the test checks the process is gone
    socket_path = launched._launched.socket  # noqa: SLF001
    launched.stop()
    assert not socket_path.exists()  # stopped serving when stop() returns
    assert process.wait(10) == 0  # SIGTERM: a clean exit (its teardown may finish after stop() returned)
    launched.stop()  # twice is fine
    assert launched.main_store_dir() == tmp_path / "root" / "artifacts"  # still known after stop


def test_launch_command_that_exits_or_never_serves(tmp_path: Path):
    node = NodeConfig(root=tmp_path / "root")
    quiet = CriAdapter(CriSettings(launch="true {socket} {config}"))
    with pytest.raises(CriEndpointError, match="exited with status 0 before serving CRI"):
        quiet.start(node)
    sleeper = CriAdapter(CriSettings(launch="sh -c 'sleep 30' {socket} {config}", start_timeout=0.5))
    with pytest.raises(CriEndpointError, match=r"did not serve CRI on unix://.*within 0.5 s"):
        sleeper.start(node)
    failing = CriAdapter(CriSettings(launch="sh -c 'echo bad config >&2; exit 3' {socket} {config}"))
    with pytest.raises(SutConfigError, match="^config: bad config$"):
        failing.start(node)


# --- fixed endpoint ---------------------------------------------------------------------------
@pytest.mark.registry
def test_fixed_endpoint_serves_matching_nodes_only(builder: ArtifactBuilder, registry: RegistryEndpoint,
                                                   read_only: ReadOnlyStore, tmp_path: Path):
    artifact = push(builder, "fixed")
    read_only.add(artifact)
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(read_only.path)], pinned=["example.com/*"],
                                insecure=[registry.address]))
    with short_tempdir() as sockets, serve_cri(config, f"unix://{sockets}/cri.sock", tmp_path / "log") as server:
        for settings in (
            CriSettings(endpoint=server.address, stores=(str(read_only.path),), pinned_images=("example.com/*",),
                            registry_host=registry.address),
            CriSettings(endpoint=server.address, runtime_config=str(config)),
        ):
            adapter = CriAdapter(settings)
            assert adapter.capabilities == frozenset()
            assert "artifact-conformance-reference" in adapter.check_endpoint()
            node = node_for(tmp_path, registry, stores=[str(read_only.path)], pinned=["EXAMPLE.com/*"])
            adapter.start(node)
            assert adapter.pull(artifact.reference).id == artifact.id
            assert [a.id for a in adapter.list()] == [artifact.id]
            adapter.stop()
            with pytest.raises(NotApplicable, match=r"configured outside the suite.*additional_artifact_stores \[\]"):
                adapter.start(node.with_changes(additional_stores=()))
            with pytest.raises(NotApplicable, match="pinned_images"):
                adapter.start(node.with_changes(pinned_images=()))
        rooted = CriAdapter(CriSettings(endpoint=server.address, runtime_config=str(config)))
        with pytest.raises(NotApplicable, match="root"):
            rooted.start(node.with_changes(root=tmp_path / "elsewhere"))
        with pytest.raises(NotApplicable, match="'reload' capability"):
            rooted.reload(node)
        with pytest.raises(NotApplicable, match="'warnings' capability"):
            rooted.warnings()
        hosted = CriAdapter(CriSettings(endpoint=server.address, stores=(str(read_only.path),),
                                                pinned_images=("example.com/*",), registry_host="10.0.0.1:5000"))
        with pytest.raises(NotApplicable, match="reaches it as 10.0.0.1:5000"):
            hosted.start(node)


def test_runtime_config_is_read_like_crio(tmp_path: Path):
    config = tmp_path / "crio.toml"
    config.write_text(textwrap.dedent("""\
        [crio]
        root = "/var/lib/containers/storage"
        [crio.runtime]
        additional_artifact_stores = ["/mnt/models", "/mnt/data"]
        [crio.image]
        pinned_images = ["registry.example/models/*"]
    """))
    fixed = FixedRuntime.from_crio_toml(config)
    assert fixed.additional_stores == ("/mnt/models", "/mnt/data")
    assert fixed.pinned_images == ("registry.example/models/*",)
    assert fixed.root == Path("/var/lib/containers/storage")
    config.write_text("[crio\n")
    with pytest.raises(CriSettingsError, match="not valid TOML"):
        FixedRuntime.from_crio_toml(config)


# --- endpoints that cannot be used ----------------------------------------------------------------
def test_an_unreachable_endpoint_is_one_error_naming_endpoint_and_call(tmp_path: Path):
    endpoint = f"unix://{tmp_path}/nothing.sock"
    adapter = CriAdapter(CriSettings(endpoint=endpoint, call_timeout=5))
    with pytest.raises(CriEndpointError) as caught:
        adapter.check_endpoint()
    message = str(caught.value)
    assert endpoint in message and "runtime.v1." in message and "is the runtime running" in message
    assert "\n" not in message and caught.value.__cause__ is None and caught.value.__suppress_context__

    adapter.start(NodeConfig(root=tmp_path / "root"))
    with pytest.raises(CriEndpointError, match=rf"{endpoint}: runtime.v1.ImageService/PullImage failed"):
        adapter.pull("example.com/a:v1")
    with pytest.raises(CriEndpointError, match=r"tcp://127.0.0.1:1: runtime.v1.ImageService/ListImages"):
        CriClient("tcp://127.0.0.1:1", 5).call("ListImages", api_pb2.ListImagesRequest())


class _UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    do_POST = do_GET

    def address_string(self) -> str:
        return "unix"

    def log_message(self, *args) -> None:
        pass


def test_a_socket_that_is_not_cri_is_one_clear_error():
    with short_tempdir() as directory:
        path = directory / "http.sock"
        server = _UnixHTTPServer(str(path), _Hello)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            adapter = CriAdapter(CriSettings(endpoint=f"unix://{path}", call_timeout=5))
            with pytest.raises(CriEndpointError) as caught:
                adapter.check_endpoint()
        finally:
            server.shutdown()
            server.server_close()
    message = str(caught.value)
    assert f"unix://{path}" in message and "runtime.v1." in message and "CRI socket" in message


def test_a_grpc_server_without_cri_is_not_implemented():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        adapter = CriAdapter(CriSettings(endpoint=f"tcp://127.0.0.1:{port}", call_timeout=5))
        with pytest.raises(CriEndpointError, match=r"ListImages is not implemented there.*CRI v1 runtime"):
            adapter.check_endpoint()
    finally:
        server.stop(0)


# --- error mapping for runtimes other than the reference ----------------------------------------------
@pytest.mark.parametrize("code, message, expected", [
    (grpc.StatusCode.NOT_FOUND, "x", SutNotFound),
    (grpc.StatusCode.INVALID_ARGUMENT, "bad reference", SutInvalidReference),
    (grpc.StatusCode.INVALID_ARGUMENT, "ID 'a' is ambiguous", SutAmbiguous),
    (grpc.StatusCode.FAILED_PRECONDITION, "x:v1 is a container image, not an artifact", SutNotAnArtifact),
    (grpc.StatusCode.FAILED_PRECONDITION, "x:v1: the image is in use by 3f2a", SutOtherError),  # a refusal
    (grpc.StatusCode.UNAVAILABLE, "registry down", SutRegistryError),
    (grpc.StatusCode.PERMISSION_DENIED, "denied", SutRegistryError),
    (grpc.StatusCode.DATA_LOSS, "index.json is not JSON", SutCorrupt),
    # CRI-O answers UNKNOWN with Go error strings: the message decides.
    (grpc.StatusCode.UNKNOWN, "reference is a container image, not an OCI artifact", SutNotAnArtifact),
    (grpc.StatusCode.UNKNOWN, 'initializing source docker://r/x:v1: reading manifest v1 in r/x: manifest unknown',
     SutNotFound),
    (grpc.StatusCode.UNKNOWN, "RegistryUnavailable: pinging container registry r: connection refused", SutRegistryError),
    (grpc.StatusCode.UNKNOWN, 'parsing reference "x:v1@sha256:aa": invalid reference format', SutInvalidReference),
    (grpc.StatusCode.UNKNOWN, "something else entirely", SutOtherError),
])
def test_grpc_errors_of_any_runtime_map_onto_kinds(code, message, expected):
    error = sut_error_from(code, message)
    assert type(error) is expected and error.message == message


def test_the_reference_servers_kind_metadata_wins():
    assert type(sut_error_from(grpc.StatusCode.INVALID_ARGUMENT, "no", "ambiguous")) is SutAmbiguous
    assert type(sut_error_from(grpc.StatusCode.DATA_LOSS, "x", "registry")) is SutRegistryError
    assert type(sut_error_from(grpc.StatusCode.NOT_FOUND, "x", "no-such-kind")) is SutNotFound


# --- configuration and registration -----------------------------------------------------------------
def test_the_written_configuration_is_the_node(tmp_path: Path):
    node = NodeConfig(root=tmp_path / "root", additional_stores=("/mnt/a", "/mnt/with space", 'odd"quote', ""),
                      pinned_images=("*Ünïcode*", "r.example/x:*"), insecure_registries=("127.0.0.1:5000",))
    path = tmp_path / "crio.toml"
    path.write_text(launch_config(node, registry_host="registry.test:5000"))
    import tomllib

    data = tomllib.loads(path.read_text())
    assert data["crio"]["root"] == str(tmp_path / "root")
    assert data["crio"]["runtime"]["additional_artifact_stores"] == list(node.additional_stores)
    assert data["crio"]["image"]["pinned_images"] == list(node.pinned_images)
    assert data["crio"]["image"]["insecure_registries"] == ["127.0.0.1:5000", "registry.test:5000"]
    valid = node.with_changes(additional_stores=("/mnt/a",))
    path.write_text(launch_config(valid))
    assert StoreConfig.from_toml(path).additional_artifact_stores == (Path("/mnt/a"),)


@pytest.mark.parametrize("settings, message", [
    ({}, "exactly one of --cri-endpoint"),
    ({ENDPOINT: "unix:///a", LAUNCH: LAUNCH_COMMAND}, "exactly one of"),
    ({ENDPOINT: "unix://relative"}, "must be absolute"),
    ({ENDPOINT: "http://x"}, "neither unix:///PATH nor tcp://HOST:PORT"),
    ({LAUNCH: "serve --config {config}"}, "must contain {socket}"),
    ({LAUNCH: "serve {socket}"}, "must contain {config}"),
    ({LAUNCH: "no-such-binary-here {socket} {config}"}, "not an executable on PATH"),
    ({LAUNCH: LAUNCH_COMMAND, STORES: "/mnt/a"}, "configured outside the suite"),
    ({ENDPOINT: "unix:///a", RUNTIME_CONFIG: "/c.toml", STORES: "/mnt/a"}, "not both"),
    ({ENDPOINT: "unix:///a", CALL_TIMEOUT: "soon"}, "not a number"),
    ({LAUNCH: LAUNCH_COMMAND, WARNING_PATTERN: "("}, "--cri-warning-pattern"),
])
def test_inconsistent_settings_are_usage_errors(settings, message):
    with pytest.raises(CriSettingsError, match=message.replace("{", r"\{").replace("(", r"\(")):
        CriSettings.from_options(SutOptions("cri", settings))


def test_cri_is_an_entry_point_adapter():
    assert available_adapters()["cri"] == "artifact_conformance.fixtures.adapters.cri:CriAdapter"
    sut = create_sut(SutOptions("cri", {LAUNCH: LAUNCH_COMMAND, STORES: ""}))
    assert isinstance(sut, CriAdapter) and sut.settings.launch == LAUNCH_COMMAND
    vendor_command = f"{shlex.quote(sys.executable)} -m vendor_runtime --config {{config}} --listen {{socket}}"
    vendor = create_sut(SutOptions("cri", {LAUNCH: vendor_command}))
    assert WARNINGS not in vendor.capabilities  # its log format is unknown without --cri-warning-pattern


# --- the pytest plugin ----------------------------------------------------------------------------------
PLUGINS = ["-p", "artifact_conformance.fixtures.plugins.sut_options", "-p", "artifact_conformance.fixtures.plugins.cri_options"]


PROBE_TEST = """\
def test_sut(sut_options, sut_factory):
    sut = sut_factory()
    assert sut.name == sut_options.name
"""


def run_pytest(tmp_path: Path, *args: str, test: str = PROBE_TEST) -> pytest_runs.PytestRun:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_probe.py").write_text(test)
    return pytest_runs.run_pytest(*PLUGINS, "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
                                  str(tmp_path), *args, cwd=tmp_path, timeout=120)


def test_plugin_fails_the_session_once_for_an_unreachable_endpoint(tmp_path: Path):
    endpoint = f"unix://{tmp_path}/nothing.sock"
    result = run_pytest(tmp_path, "--sut", "cri", "--cri-endpoint", endpoint, "--cri-timeout", "5")
    assert result.returncode == 4, result.stdout + result.stderr  # usage error: no test ran
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and endpoint in errors[0] and "runtime.v1." in errors[0], result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_plugin_usage_errors(tmp_path: Path):
    result = run_pytest(tmp_path, "--sut", "cri")
    assert result.returncode == 4 and "exactly one of --cri-endpoint" in result.stderr
    result = run_pytest(tmp_path, "--cri-store", "/mnt/a")
    assert result.returncode == 4 and "--cri-store apply to --sut cri or --sut crio, not --sut reference" in result.stderr


def test_plugin_runs_a_session_with_the_launch_command(tmp_path: Path):
    result = run_pytest(tmp_path, "--sut", "cri", "--cri-launch", LAUNCH_COMMAND)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cri adapter: launch" in result.stdout and "artifact-conformance-reference" in result.stdout
    assert "1 passed" in result.stdout


RUNTIME_DIES_TEST = """\
import os, signal
from artifact_conformance.fixtures.adapters.interface import NodeConfig


def test_runtime_dies(sut, tmp_path):
    sut.start(NodeConfig(root=tmp_path / "root"))
    process = sut._launched.process
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    sut.list()
"""


def test_plugin_reports_a_runtime_that_died_in_one_line(tmp_path: Path):
    result = run_pytest(tmp_path, "--sut", "cri", "--cri-launch", LAUNCH_COMMAND, test=RUNTIME_DIES_TEST)
    assert result.returncode == 1, result.stdout + result.stderr
    # The launched runtime is known to have died: said so, with its status and last words.
    assert "CriEndpointError: the runtime exited with status -9 during ListImages" in result.stdout, result.stdout
    assert "Traceback" not in result.stdout and "_channel.py" not in result.stdout, result.stdout


def test_launch_command_placeholders_are_filled_per_word():
    assert shlex.split(LAUNCH_COMMAND)[-1] == "{config}"
