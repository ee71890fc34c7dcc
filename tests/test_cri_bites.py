"""The scenarios only a runtime of its own can answer bite: served over CRI by broken reference stores.

The in-process reference runs no pods and cannot be killed (it is the
harness's own process), so ``tests/test_mutation.py`` cannot reach the pod
scenarios or the killed-runtime one (they are not applicable there). serve-cri runs the
same reference store behind a real CRI socket and answers the pod calls
(``simulator/cri_pods.py``), and ``--store-class`` puts a broken variant
behind it. Each variant below gets one pod rule wrong, as a runtime plausibly
could, and the scenarios of that rule must fail through CRI:

- ``OneMountForAll`` remembers the first artifact it mounted and hands its
  files to every later mount of the process (a cache keyed on nothing):
  ``mount.several-volumes`` must catch it;
- ``OneMountAtATime`` refuses a mount while another one is being prepared
  (a lock taken without waiting): ``mount.concurrent-pods`` must catch it;
- ``NeverSweepsStaging`` keeps, also across restarts, what a pull killed with
  its runtime left in the staging area: ``pull.atomic``'s killed-runtime
  scenario must catch it.
"""

from __future__ import annotations

import threading
import time

import pytest

from artifact_conformance.simulator.errors import ArtifactStoreError
from artifact_conformance.simulator.main_layout import MainLayout
from artifact_conformance.simulator.store import ArtifactStore
from tests.cri_process import LAUNCH_COMMAND
from tests.pytest_runs import PYTEST_FAILED, run_pytest


class OneMountForAll(ArtifactStore):
    """Hands every mount the files of the first artifact it mounted."""

    _first = None

    def mount_paths(self, name_or_id, sub_path=""):
        if OneMountForAll._first is None:
            OneMountForAll._first = super().mount_paths(name_or_id, sub_path)
        return OneMountForAll._first


class OneMountAtATime(ArtifactStore):
    """Refuses a mount while another is being prepared."""

    _busy = threading.Lock()

    def mount_paths(self, name_or_id, sub_path=""):
        if not OneMountAtATime._busy.acquire(blocking=False):
            raise ArtifactStoreError(f"{name_or_id}: the artifact store is busy with another mount")
        try:
            time.sleep(0.05)  # preparing the mount takes a moment
            return super().mount_paths(name_or_id, sub_path)
        finally:
            OneMountAtATime._busy.release()


KILLED = "A runtime killed with SIGKILL in the middle of a pull leaves its main store as it was, and pulls again once restarted"


class NeverSweepsStaging(ArtifactStore):
    """Never removes what an interrupted pull left in the staging area, not even when it
    starts (the serve-cri process it runs in is its own, so the class is changed there)."""

    def __init__(self, config, registry=None):
        MainLayout._remove_leftovers = lambda self: None
        super().__init__(config, registry)


@pytest.mark.registry
@pytest.mark.parametrize("variant, feature, selection, scenario", [
    (OneMountForAll, "mounts", "two_image_volumes or eight_pods",
     "Two image volumes of one pod each show their own artifact's files"),
    (OneMountAtATime, "mounts", "two_image_volumes or eight_pods",
     "Eight pods started at once that mount one artifact each get its files"),
    (NeverSweepsStaging, "robustness", "runtime_killed", KILLED),
])
def test_a_broken_store_behind_cri_fails_its_scenario(variant, feature, selection, scenario, registry, tmp_path):
    launch = f"{LAUNCH_COMMAND} --store-class {variant.__module__}:{variant.__name__}"
    run = run_pytest(
        f"features/test_{feature}.py", "-q", "-k", selection, "--sut", "cri",
        "--cri-launch", launch, f"--registry-url={registry.url}", f"--basetemp={tmp_path / 'run'}",
        results=tmp_path / "results.json", timeout=300)
    assert run.results is not None, run.output[-3000:]
    outcomes = {r["scenario"]: (r["outcome"], r.get("message")) for r in run.results["scenarios"]}
    assert outcomes[scenario][0] == "failed", (variant.__name__, outcomes)
    assert run.returncode == PYTEST_FAILED, run.output[-3000:]


@pytest.mark.registry
def test_the_reference_behind_cri_passes_them(registry, tmp_path):
    run = run_pytest(
        "features/test_mounts.py", "features/test_robustness.py", "-q", "-k",
        "two_image_volumes or eight_pods or runtime_killed", "--sut", "cri",
        "--cri-launch", LAUNCH_COMMAND, f"--registry-url={registry.url}", f"--basetemp={tmp_path / 'run'}",
        results=tmp_path / "results.json", timeout=300)
    assert run.returncode == 0 and run.results is not None, run.output[-3000:]
    assert sorted(r["outcome"] for r in run.results["scenarios"]) == ["passed", "passed", "passed"]
