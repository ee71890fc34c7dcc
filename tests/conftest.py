"""Fixtures shared by the CRI server and CRI adapter tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.builder import ArtifactBuilder
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from tests.cri_process import ServeCri, serve_cri, short_tempdir


@pytest.fixture
def builder(registry: RegistryEndpoint) -> Iterator[ArtifactBuilder]:
    """Pushes straight to the registry and names artifacts after it (no probe)."""
    with ArtifactBuilder(registry.address, registry.address, insecure=registry.scheme == "http") as b:
        yield b


@pytest.fixture
def server(node: Path, tmp_path: Path) -> Iterator[ServeCri]:
    """serve-cri on a unix socket, configured by the module's ``node`` fixture; its output in serve-cri.log."""
    with short_tempdir() as sockets, serve_cri(node, f"unix://{sockets}/cri.sock", tmp_path / "serve-cri.log") as s:
        yield s


@pytest.fixture
def read_only(tmp_path: Path) -> ReadOnlyStore:
    return ReadOnlyStore(tmp_path / "ro")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--crictl", default=None, metavar="PATH",
                     help="the crictl binary for the serve-cri tests (else $ARTIFACT_CONFORMANCE_CRICTL, "
                     "else crictl on PATH)")


@pytest.fixture(scope="session")
def crictl_binary(pytestconfig: pytest.Config) -> str:
    from tests.crictl import MISSING, find_crictl

    found = find_crictl(pytestconfig.getoption("crictl", None))
    if found is None:
        pytest.skip(MISSING)
    return found
