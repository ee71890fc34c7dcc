"""A simulated fleet: three serve-cri "nodes", each checked as a node of a
cluster is (``run --sut cri --cri-endpoint`` against a runtime configured
outside the suite, with ``--node-name``), merged into one report.

- node-a: two read-only stores, the pause image pinned (conformant);
- node-b: one read-only store, another pinned_images list (conformant; its
  two-store scenarios are not applicable, so it differs from the majority
  without failing);
- node-c: like node-a, but serving a broken store that reports read-only
  artifacts unpinned (``tests.broken_stores:ReadOnlyUnpinned``), so kubelet's
  image GC could delete them: it fails required pinning scenarios.

The merged report must exit 1, name node-c as the one failing node and its
failing scenarios, and show node-b as differing but conformant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import serve_cri, short_tempdir
from tests.test_cri_fixed_endpoint import free_port

TAGS = "pinning or resolution"
RUN_TIMEOUT_S = 300
NODES = {
    "node-a": {"stores": 2, "pinned": ["registry.k8s.io/pause:3.10"], "extra": []},
    "node-b": {"stores": 1, "pinned": ["registry.k8s.io/pause:3.10", "registry.example/infra/*"], "extra": []},
    "node-c": {"stores": 2, "pinned": ["registry.k8s.io/pause:3.10"],
               "extra": ["--store-class", "tests.broken_stores:ReadOnlyUnpinned"]},
}


def child_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parent.parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")  # serve-cri imports tests.broken_stores
    return env


def check_node(name: str, spec: dict, registry: RegistryEndpoint, work: Path) -> Path:
    node = work / name
    node.mkdir()
    listen = f"127.0.0.1:{free_port()}"
    config = node / "crio.toml"
    config.write_text(crio_toml(node / "root", stores=[str(node / f"store-{i}") for i in range(spec["stores"])],
                                pinned=spec["pinned"], insecure=[listen]))
    results = work / f"{name}.json"
    with short_tempdir() as sockets, serve_cri(config, f"unix://{sockets}/cri.sock", node / "serve.log",
                                               spec["extra"]) as server:
        run = subprocess.run(
            [sys.executable, "-m", "artifact_conformance", "run", "--sut", "cri", "--cri-endpoint", server.address,
             "--cri-runtime-config", str(config), "--probe-listen", listen, f"--registry-url={registry.url}",
             "--tags", TAGS, "--results", str(results), "--progress", "none"],
            cwd=node, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env={**child_env(), "NODE_NAME": name})
    assert results.is_file(), f"{name}: run exited {run.returncode} without results:\n{run.stdout[-3000:]}{run.stderr}"
    assert run.returncode == (1 if name == "node-c" else 0), f"{name}:\n{run.stdout[-3000:]}"
    return results


@pytest.mark.registry
def test_the_merged_report_of_three_nodes_names_the_broken_one_and_what_it_fails(registry: RegistryEndpoint,
                                                                                  tmp_path: Path):
    results = [check_node(name, spec, registry, tmp_path) for name, spec in NODES.items()]
    html, data = tmp_path / "fleet.html", tmp_path / "fleet.json"
    merge = subprocess.run([sys.executable, "-m", "artifact_conformance", "merge", *map(str, results),
                            "--html", str(html), "--json", str(data)],
                           capture_output=True, text=True, timeout=120, env=child_env())
    assert merge.returncode == 1, merge.stdout + merge.stderr
    fleet = json.loads(data.read_text())
    nodes = {node["name"]: node for node in fleet["nodes"]}
    assert set(nodes) == set(NODES), "each node is named by NODE_NAME, as the downward API sets it in a pod"
    assert [n for n, node in nodes.items() if not node["conformant"]] == ["node-c"]
    failing = nodes["node-c"]["failing_required"]
    assert failing and all(f["feature"].endswith("pinning.feature") for f in failing), failing
    assert nodes["node-c"]["areas"]["pinning"]["state"] == "fail"
    assert nodes["node-a"]["areas"]["pinning"]["state"] == "pass" == nodes["node-c"]["areas"]["resolution"]["state"]
    serious = {name: [d for d in deviations if d["serious"]] for name, deviations in fleet["differing_nodes"].items()}
    assert sorted(name for name, found in serious.items() if found) == ["node-c"], fleet["differing_nodes"]
    # node-b has one store: its two-store scenarios are not applicable, a difference, not a failure.
    assert "node-b" in fleet["differing_nodes"] and not serious["node-b"]
    assert {d["outcome"] for d in fleet["differing_nodes"]["node-b"]} == {"not_applicable"}
    assert "node-c" in fleet["headline"] and "1 of 3 nodes" in fleet["headline"]
    page = html.read_text()
    assert 'id="fail-node-c"' in page and failing[0]["scenario"].split(" [")[0] in page
    assert "node-c" in merge.stdout and "Fleet not conformant" in merge.stdout
