"""robustness.feature bites: each variant in ``robustness_broken_stores`` fails
the scenarios written for what it gets wrong (run in a subprocess, sharing
this session's registry, like ``test_mutation``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTEST_FAILED = 1

VARIANTS = {
    "TrustsRegistryBlobs": "altered",
    "LeavesStagingBehind": "sigkill",
    "SkipsShapeChecks": "gives or lists",
}


@pytest.mark.registry
@pytest.mark.parametrize("variant", VARIANTS)
def test_robustness_scenarios_catch(variant, registry, tmp_path):
    command = [
        sys.executable, "-m", "pytest", "features/test_robustness.py", "-x", "-q", "-p", "no:cacheprovider",
        "-k", VARIANTS[variant], f"--registry-url={registry.url}",
        f"--reference-store-class=tests.robustness_broken_stores:{variant}", f"--basetemp={tmp_path / 'run'}",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    output = run.stdout + run.stderr
    assert run.returncode == PYTEST_FAILED and re.search(r"^FAILED ", output, re.MULTILINE), (
        f"{variant} was not caught: pytest exited {run.returncode}\n{output[-3000:]}"
    )
