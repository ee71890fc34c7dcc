"""The minimal adapter in docs/examples/minimal_adapter works as documented.

It is installed the way a vendor's package would be (pip, from its own
pyproject.toml, into a scratch directory so the project's environment stays
as it is), selected by its entry-point name (``--sut example-json``), and a
few scenarios run through it: look-ups across stores, removal, mount paths,
a refused configuration, a container image refused as not an artifact, and a
scenario that needs a capability the adapter does not declare (reported not
applicable, not failed).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from tests.pytest_runs import child_env, run_pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "minimal_adapter"
SCENARIOS = {
    "features/test_resolution.py::test_the_first_readonly_store_wins_over_the_second_and_over_the_main_store":
        "passed",
    "features/test_removal.py::test_removing_a_tag_held_by_both_stores_removes_the_main_stores_copy_the_readonly_one_stays_visible":
        "passed",
    "features/test_mounts.py::test_the_files_of_a_readonly_artifact_are_served_from_that_readonly_store": "passed",
    "features/test_configuration.py::test_a_store_path_that_is_what_is_refused_and_the_message_names_it[relative-models/llm]":
        "passed",
    "features/test_container_images.py::test_pulling_kind_never_puts_it_into_the_artifact_store[an OCI container image]":
        "passed",
    "features/test_pinning.py::test_pinned_images_is_reread_without_a_restart": "not_applicable",
}


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """``pip install`` the example into a directory of its own (no dependencies:
    the suite is already here); it is put on PYTHONPATH for the runs."""
    target = tmp_path_factory.mktemp("example-adapter")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--target", str(target), str(EXAMPLE)]
    if importlib.util.find_spec("wheel") is not None:
        command.insert(-1, "--no-build-isolation")  # build offline with what is installed
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"pip could not install {EXAMPLE}:\n{done.stdout}{done.stderr}"
    entry_points = next(target.glob("*.dist-info/entry_points.txt")).read_text()
    assert "[artifact_conformance.sut]" in entry_points and "example-json" in entry_points, entry_points
    return target


@pytest.mark.registry
def test_the_example_adapter_runs_scenarios(installed_example: Path, registry: RegistryEndpoint, tmp_path: Path):
    results = tmp_path / "results.json"
    env = child_env({"PYTHONPATH": os.pathsep.join(filter(None, [str(installed_example), os.environ.get("PYTHONPATH")]))})
    run = run_pytest(*SCENARIOS, "-q", "-n", "2", "--sut", "example-json", f"--registry-url={registry.url}",
                     f"--basetemp={tmp_path / 'run'}", env=env, results=results, timeout=600)
    output = run.output[-4000:]
    assert run.results is not None, f"pytest exited {run.returncode} without results:\n{output}"
    outcomes = {s["nodeid"]: (s["outcome"], s.get("message") or "") for s in run.results["scenarios"]}
    assert {n: o for n, (o, _) in outcomes.items()} == SCENARIOS, output
    outcome, reason = outcomes["features/test_pinning.py::test_pinned_images_is_reread_without_a_restart"]
    assert "the 'example-json' system under test does not declare the 'reload' capability" in reason, reason
    assert run.returncode == 0, output


def test_the_documented_adapter_is_the_tested_one():
    """docs/real-runtimes.md shows the example's module; it must be the file that was tested."""
    guide = (ROOT / "docs" / "real-runtimes.md").read_text()
    module = (EXAMPLE / "example_adapter.py").read_text()
    pyproject = (EXAMPLE / "pyproject.toml").read_text()
    assert module.strip() in guide, "docs/real-runtimes.md does not show docs/examples/minimal_adapter/example_adapter.py as it is"
    assert '[project.entry-points."artifact_conformance.sut"]\nexample-json = "example_adapter:JsonCommandAdapter"' in pyproject
    assert '[project.entry-points."artifact_conformance.sut"]\nexample-json = "example_adapter:JsonCommandAdapter"' in guide
