"""The files a scratch CRI-O is given (no CRI-O needed), and finding the binary."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from artifact_conformance.fixtures.adapters.crio_node import (
    ENV_CRIO,
    CrioBinaries,
    CrioNodeFiles,
    CrioUnavailable,
    find_crio,
)
from artifact_conformance.fixtures.adapters.interface import NodeConfig


def test_the_node_goes_into_a_drop_in_and_every_state_path_under_the_scratch_directory(tmp_path):
    binaries = CrioBinaries(Path("/opt/crio"), Path("/opt/pinns"), Path("/usr/bin/conmon"), Path("/usr/bin/crun"))
    files = CrioNodeFiles(tmp_path / "s", binaries)
    node = NodeConfig(root=tmp_path / "root", additional_stores=("/models/a", "/models/b"),
                      pinned_images=("registry.example/*",), insecure_registries=("127.0.0.1:5000",),
                      pull_progress_timeout=1.5, unqualified_search_registries=("docker.io",))
    files.write(node, registry_hosts=("127.0.0.1:5050",))

    base = tomllib.loads(files.base_config.read_text())["crio"]
    drop_in = tomllib.loads(files.node_config.read_text())["crio"]
    registries = tomllib.loads(files.registries_conf.read_text())
    assert "root" not in base, "the node's keys come from the drop-in, never from the base file or a flag"
    assert drop_in == {"root": str(tmp_path / "root"),
                       "runtime": {"additional_artifact_stores": ["/models/a", "/models/b"]},
                       "image": {"pinned_images": ["registry.example/*"], "pull_progress_timeout": "1.5s"}}
    state = [base["runroot"], base["log_dir"], base["version_file"], base["api"]["listen"],
             base["runtime"]["namespaces_dir"], base["runtime"]["runtimes"]["crun"]["runtime_root"]]
    assert all(path.startswith(str(tmp_path / "s")) for path in state), state
    assert base["storage_driver"] == "vfs" and base["runtime"]["cgroup_manager"] == "cgroupfs"
    assert registries["unqualified-search-registries"] == ["docker.io"]
    assert registries["registry"] == [{"location": "127.0.0.1:5050", "insecure": True},
                                      {"location": "127.0.0.1:5000", "insecure": True}]
    command = files.command()
    assert command[:1] == ["/opt/crio"] and "--root" not in command
    assert command[command.index("--config-dir") + 1] == str(files.drop_in_dir)


def test_a_named_crio_that_is_not_there_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_CRIO, raising=False)
    with pytest.raises(CrioUnavailable, match=str(tmp_path / "nope")):
        find_crio(tmp_path / "nope")
    monkeypatch.setenv(ENV_CRIO, str(tmp_path / "also-nope"))
    with pytest.raises(CrioUnavailable, match=f"\\${ENV_CRIO}"):
        find_crio()
