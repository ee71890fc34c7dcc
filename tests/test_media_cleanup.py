"""Store media leave nothing behind: no mount, no loop device, no FUSE process.

The media scenarios mount squashfs and erofs images through loop devices and
FUSE exports over store paths (``fixtures/scenario/store_media.py``). After
a run, also one whose scenarios failed while an export was stalled, and one
interrupted (SIGINT) while its mounts were up, ``/proc/mounts``, the loop
devices and the process table must hold nothing of the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from artifact_conformance.fixtures.stores.mounting import loop_devices, mounts
from tests.pytest_runs import PYTEST_FAILED, run_pytest, start_pytest

pytestmark = [pytest.mark.registry,
              pytest.mark.skipif(os.geteuid() != 0 or not Path("/dev/fuse").exists(),
                                 reason="the media scenarios need root and /dev/fuse")]

MEDIA = "features/test_media.py"


def _left_behind(run_dir: Path) -> list[str]:
    """The run's own mounts, loop devices and FUSE servers still there (a test beside it, under
    pytest-xdist, may hold its own meanwhile: only what lies under ``run_dir`` counts)."""
    fuse_servers = subprocess.run(["pgrep", "-af", "artifact_conformance.fixtures.stores.network_fs"],
                                  capture_output=True, text=True).stdout.splitlines()
    return ([f"mount {point} ({kind})" for _, point, kind in mounts() if point.startswith(str(run_dir))]
            + [f"loop device {device} on {backing}" for device, backing in loop_devices().items()
               if backing.startswith(str(run_dir))]
            + [f"FUSE server {line}" for line in fuse_servers if str(run_dir) in line])


def _under(path: Path) -> list[str]:
    return [f"{point} ({kind})" for _, point, kind in mounts() if point.startswith(str(path))]


def test_failing_scenarios_on_a_stalled_export_and_on_images_leave_nothing_mounted(registry, tmp_path):
    run = run_pytest(
        MEDIA, "-q", "-k", "stall or squashfs or erofs", f"--registry-url={registry.url}",
        "--reference-store-class=tests.broken_stores:ReadsStoresOnCallerThread", f"--basetemp={tmp_path / 'run'}",
        results=tmp_path / "results.json", timeout=300)
    assert run.returncode == PYTEST_FAILED and run.results is not None, run.output[-3000:]
    outcomes = {s["outcome"] for s in run.results["scenarios"]}
    assert outcomes >= {"passed", "failed"}, "the images pass and the stalls fail: both teardowns are exercised"
    assert not _left_behind(tmp_path), f"left behind: {_left_behind(tmp_path)}"


def test_an_interrupted_run_leaves_nothing_mounted(registry, tmp_path):
    running = start_pytest(
        MEDIA, "-q", "-k", "while_one_stores_export_stalls", f"--registry-url={registry.url}",
        "--reference-store-class=tests.broken_stores:ReadsStoresOnCallerThread", f"--basetemp={tmp_path / 'run'}")
    deadline = time.monotonic() + 120
    while not _under(tmp_path) and time.monotonic() < deadline and running.process.poll() is None:
        time.sleep(0.1)
    assert _under(tmp_path), "the scenario never mounted its export"
    time.sleep(1.0)  # the scenario is in its steps now (the call into the stalled export hangs)
    running.process.send_signal(signal.SIGINT)
    run = running.wait(120)
    assert run.returncode != 0, run.output[-2000:]
    assert not _left_behind(tmp_path), f"left behind: {_left_behind(tmp_path)}\n{run.output[-2000:]}"
