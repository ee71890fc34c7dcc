"""The suite against a runtime configured outside it (``--cri-endpoint``).

``serve-cri`` is started here once, by hand as a vendor would start CRI-O,
with a fixed configuration: two read-only stores and a pinned_images list
that cannot match the test registry's names (like the pause image CRI-O
pins). The suite then runs against that one endpoint: it must populate the
scenarios' stores *into* the runtime's store paths, pull through the probe
at the fixed ``--probe-listen`` address, and report every scenario that
needs a configuration of its own as not applicable, never as failed. After
the run, the runtime's stores are empty layouts again and its main store
holds nothing the suite pulled.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import serve_cri, short_tempdir
from tests.pytest_runs import child_env, run_pytest

RUN_TIMEOUT_S = 600
# Why a scenario may be not applicable on a fixed runtime: a capability the
# cri adapter lacks there, or a configuration the scenario needs for itself.
EXPLAINED = re.compile(
    r"^not applicable: the 'cri' system under test (does not declare the '\w+' capability"
    r"|runs with a configuration made outside the suite \(the runtime configuration .*\); this scenario needs "
    r"(\d+ read-only stores|additional_artifact_stores|pinned_images|unqualified-search-registries) )"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_suite(tmp_path: Path, registry: RegistryEndpoint, endpoint: str, config: Path, listen: str,
              *extra: str) -> tuple[dict, str]:
    run = run_pytest(
        "features", "-q", f"--registry-url={registry.url}", f"--basetemp={tmp_path / 'run'}",
        "--sut", "cri", "--cri-endpoint", endpoint, "--cri-runtime-config", str(config),
        "--probe-listen", listen, *extra, results=tmp_path / "results.json", timeout=RUN_TIMEOUT_S,
    )
    output = run.output
    assert run.results is not None, f"pytest exited {run.returncode} without results:\n{output[-3000:]}"
    return run.results, output


def index_entries(layout: Path) -> list:
    return json.loads((layout / "index.json").read_text())["manifests"]


@pytest.mark.registry
def test_the_suite_against_a_runtime_configured_outside_it(registry: RegistryEndpoint, tmp_path: Path):
    listen = f"127.0.0.1:{free_port()}"
    stores = [tmp_path / "ro-1", tmp_path / "ro-2"]
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(s) for s in stores],
                                pinned=["registry.example/pinned/*", "registry.k8s.io/pause:3.10"],
                                insecure=[listen]))
    with short_tempdir() as sockets, serve_cri(config, f"unix://{sockets}/cri.sock", tmp_path / "serve.log") as server:
        document, output = run_suite(tmp_path, registry, server.address, config, listen)
    scenarios = document["scenarios"]
    problems = [f"{s['nodeid']}: {s['outcome']}: {s.get('message')}" for s in scenarios
                if s["outcome"] not in ("passed", "not_applicable")]
    assert not problems, "against the reference server, nothing may fail:\n  " + "\n  ".join(problems) + output[-2000:]
    unexplained = [f"{s['nodeid']}: {s['message']}" for s in scenarios
                   if s["outcome"] == "not_applicable" and not EXPLAINED.match(s["message"])]
    assert not unexplained, "not applicable for no known reason:\n  " + "\n  ".join(unexplained)
    passed = [s for s in scenarios if s["outcome"] == "passed"]
    # Most of the suite runs on a fixed runtime: every scenario with at most two
    # stores and no pinned_images of its own, except what CRI cannot observe.
    assert len(passed) >= len(scenarios) // 2, f"only {len(passed)} of {len(scenarios)} scenarios ran"
    areas = {area for s in passed for area in s["areas"]}
    assert {"resolution", "listing", "pulling", "removal", "configuration", "interoperability"} <= areas, areas
    # What the harness wrote is gone again: empty layouts, nothing of the suite in the main store.
    for store in stores:
        assert index_entries(store / "artifacts") == [], f"{store} was not emptied after the run"
    assert index_entries(tmp_path / "root" / "artifacts") == [], "the suite left artifacts in the main store"
    print(f"\nfixed endpoint: {len(passed)} passed, {len(scenarios) - len(passed)} not applicable, 0 failed")


@pytest.mark.registry
def test_a_scenario_runs_when_the_fixed_configuration_happens_to_match(registry: RegistryEndpoint, tmp_path: Path):
    listen = f"127.0.0.1:{free_port()}"
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(tmp_path / "ro")], pinned=["*nomatch*"],
                                insecure=[listen]))
    with short_tempdir() as sockets, serve_cri(config, f"unix://{sockets}/cri.sock", tmp_path / "serve.log") as server:
        document, output = run_suite(tmp_path, registry, server.address, config, listen, "-k", "nomatch or not_pinned")
    outcomes = {s["nodeid"].split("::")[-1]: (s["outcome"], s.get("message")) for s in document["scenarios"]}
    matching = [name for name in outcomes if "nomatch" in name]
    assert matching and all(outcomes[n][0] == "passed" for n in matching), outcomes
    # A runtime pinning a keyword may pin any name, so a scenario without patterns of its own cannot run on it.
    unpinned = outcomes["test_a_mainstore_artifact_is_not_pinned_when_no_pattern_is_configured"]
    assert unpinned[0] == "not_applicable" and "needs pinned_images []" in unpinned[1], unpinned


def test_the_fixed_endpoint_mode_needs_a_fixed_probe_address(tmp_path: Path):
    config = tmp_path / "crio.toml"
    config.write_text(crio_toml(tmp_path / "root", stores=[str(tmp_path / "ro")]))
    base = ["features", "-q", "--collect-only",
            "--sut", "cri", "--cri-endpoint", f"unix://{tmp_path}/cri.sock", "--cri-runtime-config", str(config)]
    env = child_env(drop_prefixes=("ARTIFACT_CONFORMANCE_PROBE",))

    def usage_error(*extra: str) -> str:
        run = run_pytest(*base, *extra, env=env, timeout=120)
        assert run.returncode == 4, run.stdout + run.stderr
        return run.stderr

    assert "give --probe-listen 127.0.0.1:PORT" in usage_error()
    assert "differs from --probe-listen" in usage_error("--probe-listen", "127.0.0.1:5050",
                                                        "--cri-registry-host", "127.0.0.1:5000")
    assert "not 0.0.0.0" in usage_error("--probe-listen", "0.0.0.0:5050")
    assert "run without pytest-xdist workers" in usage_error("--probe-listen", "127.0.0.1:5050", "-n", "2")
