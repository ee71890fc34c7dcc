"""End to end: the whole suite through the CRI adapter agrees with the in-process run.

The conformance suite runs twice, side by side in subprocesses, against the
same registry (this session's): once against the reference store in-process, once through
the ``cri`` adapter in launch mode, which starts ``artifact-conformance
serve-cri`` per node and talks to it over a real CRI v1 socket. Both runs
write ``--results-json``; the outcomes must be the same scenario for
scenario.

The CRI adapter lacks a capability by design (a pull is a call to the
runtime, not a process the harness could kill), and a scenario that needs it
is not applicable through CRI. Mount paths are read through image volumes (a
pod and a container per request, ``fixtures/adapters/cri_mounts.py``), so the mount
scenarios run through CRI too. So that this is measured rather than assumed, the in-process run
declares exactly the CRI adapter's capabilities (``tests.capability_masked``):
its not-applicable scenarios are, by construction, the ones those missing
capabilities explain, and the run through CRI must match it exactly: not one
not-applicable scenario more or less. The assertion message lists them.

Pods (capability ``pods``: image volumes of running containers) go the other
way: only the run through CRI has them, so those scenarios are not applicable
in-process and must pass through CRI.

A difference is a bug in the CRI adapter, in the server, or in how errors
and fields cross the socket, which the in-process run cannot see.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from artifact_conformance.fixtures.adapters.cri import CriAdapter
from artifact_conformance.fixtures.adapters.cri_settings import CriSettings
from artifact_conformance.fixtures.adapters.interface import (
    KILLABLE,
    MOUNT_PATHS,
    NOT_APPLICABLE_PREFIX,
    PODS,
    PULL_PROCESS,
    SUT_CAPABILITIES,
)
from artifact_conformance.fixtures.adapters.reference import ReferenceAdapter
from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from tests.capability_masked import SETTING as CAPABILITIES_SETTING
from tests.cri_process import LAUNCH_COMMAND
from tests.pytest_runs import RunningPytest, start_pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 600
# What CRI cannot offer: a pull is a call, not a process to kill.
LACKED_BY_DESIGN = frozenset({PULL_PROCESS})
# What only the run through CRI can do: the reference store in-process runs no pods, and is
# the harness's own process, which it cannot kill. Those
# scenarios are not applicable in-process, and must pass through CRI.
ONLY_THROUGH_CRI = frozenset({PODS, KILLABLE})
# At most this many scenarios are not applicable through CRI (the issue "Mounts through CRI").
MOST_NOT_APPLICABLE = 2
PROBLEMS = ("failed", "error")


def start_suite(name: str, tmp_path: Path, registry: RegistryEndpoint, *extra: str,
                workers: int = 2) -> RunningPytest:
    return start_pytest("features", "-q", "-n", str(workers), f"--registry-url={registry.url}",
                        f"--basetemp={tmp_path / name}", *extra, results=tmp_path / f"{name}.json")


def finish_suite(suite: RunningPytest) -> dict:
    try:
        run = suite.wait(RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as timeout:
        output = (timeout.output or "") + (timeout.stderr or "")
        raise AssertionError(f"the suite did not finish in {RUN_TIMEOUT_S} s:\n{output[-3000:]}") from None
    text = run.output
    assert run.results is not None, f"pytest exited {run.returncode} without writing {suite.results.name}:\n{text[-3000:]}"
    document = run.results
    document["exit_code"] = run.returncode
    document["output_tail"] = text[-3000:]
    return document


def by_nodeid(document: dict) -> dict[str, dict]:
    return {scenario["nodeid"]: scenario for scenario in document["scenarios"]}


def lacked_capability(scenario: dict) -> str | None:
    """The capability a not-applicable scenario names (None for any other outcome)."""
    message = scenario.get("message") or ""
    if scenario["outcome"] != "not_applicable" or not message.startswith(NOT_APPLICABLE_PREFIX):
        return None
    for capability in SUT_CAPABILITIES:
        if f"'{capability}' capability" in message:
            return capability
    return None


@pytest.mark.registry
def test_the_suite_through_cri_matches_the_in_process_run(registry: RegistryEndpoint, tmp_path: Path):
    through_cri_capabilities = CriAdapter(CriSettings(launch=LAUNCH_COMMAND)).capabilities
    assert MOUNT_PATHS in through_cri_capabilities, "the CRI adapter (launch mode) no longer reads mount paths"
    lacked = ReferenceAdapter.capabilities - through_cri_capabilities
    assert lacked <= LACKED_BY_DESIGN, (
        f"the CRI adapter (launch mode) lacks {sorted(lacked - LACKED_BY_DESIGN)}, which it could offer"
    )
    started = time.monotonic()
    # At the same time: the run through CRI (two workers) often waits, on runtimes
    # starting and stopping, and the in-process run (one worker, several times
    # faster) fits in beside it and is done long before it.
    cri_run = start_suite("cri", tmp_path, registry, "--sut", "cri", "--cri-launch", LAUNCH_COMMAND)
    try:
        in_process = finish_suite(start_suite(
            "in-process", tmp_path, registry, "--sut", "tests.capability_masked:ReferenceWithCapabilities",
            "--sut-option",
            f"{CAPABILITIES_SETTING}={','.join(sorted(through_cri_capabilities & ReferenceAdapter.capabilities))}",
            workers=1))
    finally:
        in_process_s = time.monotonic() - started
        through_cri = finish_suite(cri_run)
    elapsed = time.monotonic() - started

    expected, actual = by_nodeid(in_process), by_nodeid(through_cri)
    assert expected, f"the in-process run reported no scenario:\n{in_process['output_tail']}"
    assert set(expected) == set(actual), (
        f"the runs collected different scenarios: only in-process {sorted(set(expected) - set(actual))}, "
        f"only through CRI {sorted(set(actual) - set(expected))}"
    )
    broken = [f"{n}: {s['outcome']}: {s.get('message')}" for n, s in expected.items() if s["outcome"] in PROBLEMS]
    assert not broken, "the in-process run itself did not pass (fix that first):\n  " + "\n  ".join(broken)

    # What the missing capabilities explain: the in-process run's not-applicable
    # scenarios that name one of them.
    explained = {n: lacked_capability(s) for n, s in expected.items() if s["outcome"] == "not_applicable"}
    only_cri = {n for n, capability in explained.items() if capability in ONLY_THROUGH_CRI}
    assert only_cri, f"no scenario needs {sorted(ONLY_THROUGH_CRI)}: the pod scenarios are gone or never asked for it"
    cri_failed = [f"{n}: {actual[n]['outcome']}: {actual[n].get('message')}" for n in sorted(only_cri)
                  if actual[n]["outcome"] != "passed"]
    assert not cri_failed, "scenarios only the run through CRI can run did not pass:\n  " + "\n  ".join(cri_failed)
    explained = {n: c for n, c in explained.items() if n not in only_cri}
    other = {n: expected[n]["message"] for n, capability in explained.items() if capability not in lacked}
    differences = [
        f"{nodeid}: in-process {expected[nodeid]['outcome']}, through CRI {actual[nodeid]['outcome']}: "
        f"{(actual[nodeid].get('message') or '')[:500]}"
        for nodeid in sorted(expected)
        if nodeid not in only_cri and expected[nodeid]["outcome"] != actual[nodeid]["outcome"]
    ]
    by_design = "\n  ".join(f"{n.split('::')[-1]} (no {c})" for n, c in sorted(explained.items()) if n not in other)
    assert not differences, (
        f"{len(differences)} scenario(s) differ between the in-process run and the run through CRI:\n  "
        + "\n  ".join(differences)
        + f"\n(expected not applicable by design, {len(explained) - len(other)}:\n  {by_design})"
    )
    # Not applicable in both for a reason on the harness's side (no root for a
    # read-only bind mount, no skopeo): the same either way, so no difference;
    # but never because of a capability the CRI adapter has.
    unexplained = {n: m for n, m in other.items() if explained[n] is not None}
    assert not unexplained, f"not applicable in-process for a capability the CRI adapter has: {unexplained}"
    not_applicable = sorted(n for n, s in actual.items() if s["outcome"] == "not_applicable")
    assert len(not_applicable) <= MOST_NOT_APPLICABLE, (
        f"{len(not_applicable)} scenarios are not applicable through CRI (at most {MOST_NOT_APPLICABLE}):\n  "
        + "\n  ".join(not_applicable))
    assert in_process["exit_code"] == through_cri["exit_code"] == 0, (
        f"pytest exited {in_process['exit_code']} in-process and {through_cri['exit_code']} through CRI:\n"
        f"{through_cri['output_tail']}"
    )
    print(f"\n{len(expected)} scenarios with identical outcomes in-process and through CRI, in {elapsed:.1f} s "
          f"(side by side; the in-process run took {in_process_s:.1f} s); "
          f"{len(explained) - len(other)} not applicable in both because CRI lacks {sorted(lacked)}:\n  {by_design}"
          + (f"\nnot applicable in both on the harness's side here: {sorted(other)}" if other else ""))
