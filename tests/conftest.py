"""Fixtures shared by the CRI server and CRI adapter tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from artifact_conformance.fixtures.artifacts import ArtifactBuilder
from artifact_conformance.fixtures.registry import RegistryEndpoint
from artifact_conformance.fixtures.store_populators import ReadOnlyStore


@pytest.fixture
def builder(registry: RegistryEndpoint) -> Iterator[ArtifactBuilder]:
    """Pushes straight to the registry and names artifacts after it (no probe)."""
    with ArtifactBuilder(registry.address, registry.address, insecure=registry.scheme == "http") as b:
        yield b


@pytest.fixture
def read_only(tmp_path: Path) -> ReadOnlyStore:
    return ReadOnlyStore(tmp_path / "ro")
