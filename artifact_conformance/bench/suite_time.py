"""Section "suite": wall time of the whole conformance run, serial and with xdist.

Runs ``python -m pytest features -q -p no:cacheprovider`` (and again with
``-n auto``) from the source checkout, each starting its own registry, as a
user or CI would. ``--quick`` runs only the scenarios selected by ``-k``
(``QUICK_SELECTION``), both ways, to prove the measurement works in seconds.
Pass or fail is reported, never asserted: the bench times the suite, the
suite judges the runtime.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .processes import measure

QUICK_SELECTION = "listing"
BASE_COMMAND = ("-m", "pytest", "features", "-q", "-p", "no:cacheprovider")
# A bench run from inside pytest (tests/test_bench.py, maybe under xdist) must
# not hand its own session's settings to the suite it times.
INHERITED_PYTEST_VARIABLES = ("PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                              "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST")
_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")


@dataclass(frozen=True)
class SuiteOptions:
    selection: str | None = None  # a -k expression; None = the whole suite
    workers: str = "auto"


def source_checkout() -> Path | None:
    """The folder holding conftest.py and features/, or None in an installed copy."""
    spec = importlib.util.find_spec("artifact_conformance.features")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))).parent
    return root if (root / "conftest.py").is_file() and (root / "features").is_dir() else None


def run(workdir: Path, options: SuiteOptions) -> dict[str, Any]:
    root = source_checkout()
    if root is None:
        return {"status": "skipped", "reason": "no source checkout (conftest.py and features/) to run the suite from",
                "options": asdict(options)}
    if importlib.util.find_spec("xdist") is None:
        return {"status": "skipped", "reason": "pytest-xdist is not installed (pip install pytest-xdist)",
                "options": asdict(options)}
    env = {k: v for k, v in os.environ.items() if k not in INHERITED_PYTEST_VARIABLES}
    selection = ["-k", options.selection] if options.selection else []
    runs = {}
    for name, extra in (("serial", []), ("parallel", ["-n", options.workers])):
        command = [sys.executable, *BASE_COMMAND, *selection, *extra]
        result = measure(command, workdir / "logs", f"suite-{name}", cwd=root, env=env)
        runs[name] = {
            "command": " ".join(["python", *BASE_COMMAND, *selection, *extra]),
            "exit_code": result["exit_code"],
            "wall_s": result["wall_s"],
            "cpu_s": result["user_s"] + result["sys_s"],
            "counts": _counts(result["stdout"]),
            "summary": _summary_line(result["stdout"]),
        }
        if result["exit_code"] != 0:  # what failed, for whoever reads the JSON
            runs[name]["output_tail"] = result["stdout"][-2000:] + result["stderr"][-1000:]
    serial, parallel = runs["serial"]["wall_s"], runs["parallel"]["wall_s"]
    return {
        "status": "ok",
        "reason": None,
        "options": asdict(options),
        "scope": f"-k {options.selection!r} subset" if options.selection else "whole suite",
        "cwd": str(root),
        "includes": "interpreter start, collection, registry start per session (per worker with xdist), scenarios",
        "serial": runs["serial"],
        "parallel": runs["parallel"],
        "speedup": serial / parallel if parallel > 0 else None,
    }


def _counts(output: str) -> dict[str, int]:
    lines = [line for line in output.splitlines() if line.strip()]
    last = next((line for line in reversed(lines) if _COUNTS.search(line)), "")
    return {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _COUNTS.findall(last)}


def _summary_line(output: str) -> str:
    lines = [line.strip("= ").strip() for line in output.splitlines() if line.strip()]
    return next((line for line in reversed(lines) if _COUNTS.search(line)), lines[-1] if lines else "")
