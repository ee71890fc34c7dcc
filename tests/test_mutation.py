"""The suite bites: every deliberately broken store fails at least one scenario.

Each variant in ``broken_stores`` gets one rule of the contract wrong. The
conformance suite runs against it in a subprocess (stopping at the first
failure, sharing this session's registry) and must report a failed scenario,
not pass, and not break in some other way (collection or usage errors).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.broken_stores import VARIANTS

ROOT = Path(__file__).resolve().parent.parent
PYTEST_FAILED = 1


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_broken_store_fails_a_scenario(variant, registry, tmp_path):
    command = [
        sys.executable, "-m", "pytest", "features", "-x", "-q", "-p", "no:cacheprovider",
        f"--registry-url={registry.url}",
        f"--reference-store-class=tests.broken_stores:{variant.__name__}",
        f"--basetemp={tmp_path / 'run'}",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    output = run.stdout + run.stderr
    caught = re.findall(r"^FAILED (\S+)", output, re.MULTILINE)
    assert run.returncode == PYTEST_FAILED and caught, (
        f"{variant.__name__} ({variant.__doc__.strip()}) was not caught: pytest exited {run.returncode}\n{output[-3000:]}"
    )
