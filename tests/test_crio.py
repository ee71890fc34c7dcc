"""The whole suite against a real CRI-O, in both modes, judged by docs/expectations/cri-o.toml.

Wherever a CRI-O is found (``ARTIFACT_CONFORMANCE_CRIO``, else ``crio`` on
PATH; see
``fixtures/adapters/crio_node.py``) and the test runs as root, ``artifact-conformance
run --sut crio --expect cri-o --strict`` must exit 0: every scenario's outcome
is the one the expectations file lists for it (or passed, where it lists
none). A new failure fails this test, and so does an unexpected pass, so the
file stays honest. Elsewhere the tests are skipped, naming what is missing.

- launch mode: a CRI-O per scenario, configured by the suite;
- fixed endpoint: one CRI-O started here with two read-only store paths and a
  registries.conf naming the traffic probe's fixed address, which the suite
  then drives as a runtime configured outside it. CRI-O crashes when a store
  it already uses becomes read-only or its export goes away (see the
  expectations file), so each of those scenarios runs against a CRI-O of its
  own, after the rest.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from artifact_conformance.fixtures.adapters.crio_node import CrioNodeFiles, CrioProcess, CrioUnavailable, find_crio
from artifact_conformance.fixtures.adapters.interface import NodeConfig

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 1200
# Scenarios after which a CRI-O configured outside the suite is dead (-k selections, one scenario each): a store
# it already uses becomes read-only (a read-only bind mount, a squashfs or erofs image mounted over it) or its
# export goes away (ENOTCONN), or its path becomes a file (ENOTDIR): CRI-O panics on the lock file (cause
# lock-file-panic in the expectations).
CRASHES_CRIO = (
    "readonly_bind_mount",
    "kind_image_is_resolved and squashfs", "kind_image_is_resolved and erofs",
    "kind_image_swapped and squashfs", "kind_image_swapped and erofs",
    "export_fails_hides and goes", "before_the_node_starts and goes", "while_the_node_runs and goes",
    "gone_while_in_use and regular", "problem_is_skipped and regular",
)
LAUNCH_NOT_APPLICABLE_AT_MOST = 2  # pulls in killable processes (mount paths: image volumes)


def _crio_or_skip():
    if os.geteuid() != 0:
        pytest.skip("CRI-O needs root")
    try:
        return find_crio()
    except CrioUnavailable as error:
        pytest.skip(f"no CRI-O to run the suite against: {error}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_suite(tmp_path: Path, name: str, registry, *args: str) -> tuple[int, dict, str]:
    return run_suite_with(tmp_path, name, registry, ["--sut", "crio", *args])


def run_suite_with(tmp_path: Path, name: str, registry, args: list[str]) -> tuple[int, dict, str]:
    results = tmp_path / f"{name}.json"
    command = [sys.executable, "-m", "artifact_conformance", "run", "--expect", "cri-o", "--strict",
               "--registry-url", registry.url, "--results", str(results), *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    assert results.is_file(), f"{name}: run exited {done.returncode} without results:\n{output[-4000:]}"
    return done.returncode, json.loads(results.read_text()), output


def unexpected(document: dict) -> list[str]:
    """Scenarios whose outcome the expectations file does not list (with their messages)."""
    return [f"{s['judgement']}: {s['nodeid']}: {s['outcome']}: {(s.get('message') or '')[:300]}"
            for s in document["scenarios"]
            if s["judgement"] in ("failure", "unexpected_pass", "unexpected_failure", "tolerated")]


@pytest.mark.registry
@pytest.mark.root
def test_every_scenario_on_a_crio_per_scenario_has_the_expected_outcome(registry, tmp_path):
    binaries = _crio_or_skip()
    code, document, output = run_suite(tmp_path, "launch", registry, "--crio-binary", str(binaries.crio))
    surprises = unexpected(document)
    assert code == 0 and not surprises, (
        f"CRI-O (launch) differs from docs/expectations/cri-o.toml (exit {code}):\n  " + "\n  ".join(surprises)
        + f"\n{output[-2000:]}")
    not_applicable = [s["nodeid"] for s in document["scenarios"] if s["outcome"] == "not_applicable"]
    assert len(not_applicable) <= LAUNCH_NOT_APPLICABLE_AT_MOST, not_applicable
    unused = document["conformance"]["unused_expectations"]
    assert not unused, f"entries of docs/expectations/cri-o.toml that no scenario used: {unused}"
    not_met = [s["nodeid"] for s in document["scenarios"] if s["judgement"] == "expectation_not_met"]
    assert not not_met, f"expected to fail, but not applicable in launch mode: {not_met}"


@pytest.mark.registry
@pytest.mark.root
def test_every_scenario_on_a_crio_configured_outside_the_suite_has_the_expected_outcome(registry, tmp_path):
    binaries = _crio_or_skip()
    first = _run_fixed(binaries, registry, tmp_path, "fixed", "-k",
                       "not (" + " or ".join(f"({selection})" for selection in CRASHES_CRIO) + ")")
    # A crash stops its run (exit 3, "stopped before every selected scenario ran", when pytest reports the
    # stop as an interruption; 0 when the crashed scenario was the last one anyway); what ran is judged.
    runs = [("fixed", first, (0,))]
    for number, selection in enumerate(CRASHES_CRIO, 1):
        runs.append((f"fixed-crash-{number} ({selection})",
                     _run_fixed(binaries, registry, tmp_path, f"fixed-crash-{number}", "-k", selection), (0, 3)))
    for name, (code, document, output), exit_codes in runs:
        surprises = unexpected(document)
        assert code in exit_codes and not surprises, (
            f"CRI-O ({name}) differs from docs/expectations/cri-o.toml (exit {code}):\n  " + "\n  ".join(surprises)
            + f"\n{output[-2000:]}")
        ran = [s for s in document["scenarios"] if s["outcome"] in ("passed", "failed")]
        assert ran, f"{name}: no scenario ran against the fixed CRI-O:\n{output[-2000:]}"
    for name, (_, document, _), _ in runs[1:]:
        crashed = document["scenarios"]
        assert [s["outcome"] for s in crashed] == ["failed"], (name, crashed)
        # gRPC words the broken connection variously ("Socket closed", "Connection reset by peer").
        assert crashed[0]["message"].startswith("CriEndpointError:") and "is the runtime running" in \
            crashed[0]["message"], (name, crashed[0]["message"])


def _run_fixed(binaries, registry, tmp_path: Path, name: str, *args: str) -> tuple[int, dict, str]:
    port = _free_port()
    base = tmp_path / name
    stores = [base / "store-1", base / "store-2"]
    for store in stores:
        store.mkdir(parents=True)
    node = NodeConfig(root=base / "root", additional_stores=tuple(map(str, stores)))
    with tempfile.TemporaryDirectory(prefix="crio-") as scratch:  # short: it holds the socket
        files = CrioNodeFiles(Path(scratch), binaries)
        with CrioProcess(files, node, registry_hosts=(f"127.0.0.1:{port}",)) as crio:
            return run_suite(tmp_path, name, registry, "--cri-endpoint", crio.endpoint,
                             "--cri-runtime-config", str(files.node_config), "--probe-listen", f"127.0.0.1:{port}",
                             "--cri-log", str(files.log), *args)


@pytest.mark.registry
@pytest.mark.root
def test_the_documented_launch_wrapper_runs_crio_for_a_vendor(registry, tmp_path):
    """docs/examples/launch-crio.sh is the --cri-launch example of docs/real-runtimes.md:
    through it, the resolution and pulling areas give CRI-O's expected outcomes too."""
    binaries = _crio_or_skip()
    wrapper = ROOT / "docs" / "examples" / "launch-crio.sh"
    os.environ["CRIO"] = str(binaries.crio)
    try:
        code, document, output = run_suite_with(tmp_path, "wrapper", registry, [
            "--sut", "cri", "--cri-launch", f"{wrapper} {{socket}} {{config}}", "--tags", "resolution or pulling"])
    finally:
        os.environ.pop("CRIO", None)
    surprises = unexpected(document)
    assert code == 0 and not surprises, "\n  ".join(surprises) + f"\n{output[-2000:]}"
    assert sum(s["outcome"] == "passed" for s in document["scenarios"]) >= 20, output[-2000:]
