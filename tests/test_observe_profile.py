"""The read-only ``observe`` profile leaves a production node untouched.

A node "in production": serve-cri (started by hand, as CRI-O would be) with
two read-only stores that already hold an artifact. ``run --profile observe``
against it must pass, must not change one byte of those stores, and must
leave the main store as it found it; the scenarios it selects must not
arrange read-only stores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artifact_conformance.fixtures.plugins.observe_profile import writing_step
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, Layer, random_content
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore, fingerprint_tree
from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import serve_cri, short_tempdir
from tests.pytest_runs import run_pytest
from tests.test_cri_fixed_endpoint import free_port


def test_the_rule_keeps_scenarios_that_only_pull_list_and_pin():
    assert writing_step(["a node without read-only stores", 'the client pulls "x"']) is None
    assert writing_step(['the client asks for the status of "x"', "the list reports artifact A as pinned"]) is None
    assert "read-only store" in writing_step(['the read-only store "first" holds artifact A as "x"'])
    assert "read-only store" in writing_step(['a node with the read-only stores "first" and "second"'])
    assert "main store's files" in writing_step(["the main store's index.json is not valid JSON"])
    assert "reconfigures" in writing_step(['the node reloads its configuration, now pinning images matching "x"'])


def test_the_observe_selection_touches_no_read_only_store():
    run = run_pytest("features", "--collect-only", "-q", "--observe-only", timeout=120)
    selected = [line for line in run.stdout.splitlines() if "::" in line]
    assert run.returncode == 0 and 20 <= len(selected) < 120, run.stdout[-2000:]
    areas = {line.split("::")[0].rsplit("test_", 1)[-1].removesuffix(".py") for line in selected}
    assert {"pinning", "repointing", "robustness", "container_images"} <= areas, areas
    assert not any("read_only_store" in line or "readonly_store" in line for line in selected), selected


@pytest.mark.registry
def test_an_observe_run_leaves_the_production_stores_and_main_store_as_they_were(registry: RegistryEndpoint,
                                                                                  tmp_path: Path):
    listen = f"127.0.0.1:{free_port()}"
    stores = [tmp_path / "models", tmp_path / "datasets"]
    with ArtifactBuilder(registry.address, registry.address, insecure=registry.scheme == "http") as builder:
        production = builder.artifact("production/llm", "v1",
                                      layers=[Layer(content=random_content(4096), title="weights.bin")])
    for store in stores:
        ReadOnlyStore(store).add(production)
    before = {store: fingerprint_tree(store) for store in stores}
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(s) for s in stores],
                                pinned=["registry.k8s.io/pause:3.10"], insecure=[listen]))
    results = tmp_path / "results.json"
    with short_tempdir() as sockets, serve_cri(config, f"unix://{sockets}/cri.sock", tmp_path / "serve.log") as server:
        run = subprocess.run(
            [sys.executable, "-m", "artifact_conformance", "run", "--profile", "observe", "--node-name", "prod-1",
             "--sut", "cri", "--cri-endpoint", server.address, "--cri-runtime-config", str(config),
             "--probe-listen", listen, f"--registry-url={registry.url}", "--results", str(results),
             "--progress", "none"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for store in stores:
        assert fingerprint_tree(store) == before[store], f"the observe run changed the production store {store}"
    main = json.loads((tmp_path / "root" / "artifacts" / "index.json").read_text())["manifests"]
    assert main == [], f"the observe run left artifacts in the main store: {main}"
    document = json.loads(results.read_text())
    assert document["run"]["node"] == {"name": "prod-1", "source": "--node-name"}
    assert document["conformance"]["profile"] == "observe"
    passed = {s["areas"][0] for s in document["scenarios"] if s["outcome"] == "passed"}
    assert {"pinning", "repointing", "container_images"} <= passed, passed
    assert document["run"]["sut"]["settings"].get("cri_store", "") == "", "the harness was told of the stores"
