"""A missing prerequisite of the chosen system under test stops the run once.

Tried as a new user would: without busybox (the workload image that image
volumes are mounted into is built from it), a run through a CRI adapter used
to report the same error in every scenario. Now the run stops before any
scenario, naming what is missing and the command that installs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from artifact_conformance.fixtures.adapters.cri import CriAdapter
from artifact_conformance.fixtures.adapters.cri_settings import CriSettings
from artifact_conformance.fixtures.options import BUSYBOX
from tests.cri_process import LAUNCH_COMMAND
from tests.pytest_runs import child_env, run_pytest

EXIT_BROKEN = 3  # pytest.ExitCode.INTERNAL_ERROR: the run could not be carried out


def test_a_missing_busybox_stops_the_run_once_naming_its_install_command(tmp_path: Path):
    run = run_pytest("features", "-q", "-p", "no:randomly", "--sut", "cri", "--cri-launch", LAUNCH_COMMAND,
                     env=child_env({BUSYBOX.name: str(tmp_path / "no-busybox")}), results=tmp_path / "results.json")
    assert run.returncode == EXIT_BROKEN, run.output
    # pytest says an exit's reason once on each stream; 176 scenarios would say it 176 times.
    assert run.stdout.count("no statically linked busybox") <= 1, run.stdout
    assert run.stderr.count("no statically linked busybox") <= 1, run.stderr
    assert "no statically linked busybox" in run.output
    assert "apt-get install busybox-static" in run.output
    assert " passed" not in run.output and " failed" not in run.output, "scenarios ran: " + run.output[-2000:]


def test_an_adapter_that_mounts_nothing_needs_no_busybox(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(BUSYBOX.name, str(tmp_path / "no-busybox"))
    mounting = CriAdapter(CriSettings(launch=LAUNCH_COMMAND))
    fixed = CriAdapter(CriSettings(endpoint="unix:///nonexistent.sock"))
    assert [m for m in mounting.missing_prerequisites() if "busybox-static" in m], mounting.capabilities
    assert fixed.missing_prerequisites() == []
