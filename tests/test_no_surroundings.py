"""The product knows nothing of this repository's surroundings.

The machine this project is developed on keeps test tools (a real CRI-O,
crictl) in a folder beside the checkout. A user has no such folder: the
project names its tools only by option or environment variable, and `.ci/run`
passes the ones it finds there. So no tracked file may name that folder by
its relative path.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BESIDE = "../" + "shared"  # spelled apart, so this file does not name it either


def test_no_tracked_file_names_the_folder_beside_the_checkout():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    offenders = []
    for name in filter(None, tracked.stdout.split("\0")):
        path = ROOT / name
        if not path.is_file() or path.suffix in (".png", ".whl"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if BESIDE in line:
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == [], "name the tool's option or environment variable instead:\n" + "\n".join(offenders)
