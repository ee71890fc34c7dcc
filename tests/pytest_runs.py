"""Running pytest in a subprocess: the one way tests/ does it.

A test that needs a separate pytest session (the conformance suite against a
broken store, a plugin's usage errors, a scratch project) calls
``run_pytest``, or ``start_pytest`` and later ``wait`` to run two side by
side. Every run gets the same footing: this interpreter, no cache provider
(runs must not share or leave state), stdin closed, and an environment
without the outer session's pytest-xdist worker variables (the inner run
would think it is a worker) or ``PYTEST_ADDOPTS`` (the outer run's options
are not the inner run's). Output goes to temporary files, not pipes, so a
chatty run never blocks on a full pipe while another is awaited. With
``results=``, the run writes ``--results-json`` there and the document is
read back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_FAILED = 1  # pytest's exit code when tests ran and some failed
PYTEST_USAGE_ERROR = 4
DEFAULT_TIMEOUT_S = 300


@dataclass(frozen=True)
class PytestRun:
    """A finished pytest subprocess."""

    returncode: int
    stdout: str
    stderr: str
    results: dict | None = None  # the --results-json document, when asked for and written

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def child_env(extra: dict[str, str] | None = None, drop_prefixes: tuple[str, ...] = ()) -> dict[str, str]:
    """This process's environment for a child pytest (see the module docstring), plus ``extra``."""
    dropped = ("PYTEST_XDIST", *drop_prefixes)
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped) and k != "PYTEST_ADDOPTS"}
    env.update(extra or {})
    return env


class RunningPytest:
    """A pytest subprocess started by ``start_pytest``; ``wait`` collects it."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], results: Path | None) -> None:
        self.command = command
        self.results = results
        self._stdout = tempfile.TemporaryFile()
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self._stdout, stderr=self._stderr)

    def wait(self, timeout: float = DEFAULT_TIMEOUT_S) -> PytestRun:
        """The finished run. Past ``timeout`` the process is killed and
        ``subprocess.TimeoutExpired`` raised, carrying the output so far."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            stdout, stderr = self._read()
            raise subprocess.TimeoutExpired(self.command, timeout, output=stdout, stderr=stderr) from None
        stdout, stderr = self._read()
        document = None
        if self.results is not None and self.results.is_file():
            document = json.loads(self.results.read_text())
        return PytestRun(code, stdout, stderr, document)

    def _read(self) -> tuple[str, str]:
        texts = []
        for sink in (self._stdout, self._stderr):
            sink.seek(0)
            texts.append(sink.read().decode(errors="replace"))
            sink.close()
        return texts[0], texts[1]


def start_pytest(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None,
                 results: Path | None = None) -> RunningPytest:
    """Start ``python -m pytest -p no:cacheprovider [--results-json=results] *args`` in ``cwd``.

    ``env`` replaces ``child_env()`` (build it with ``child_env`` to add or drop variables)."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    if results is not None:
        command.append(f"--results-json={results}")
    return RunningPytest(command, cwd, child_env() if env is None else env, results)


def run_pytest(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, results: Path | None = None,
               timeout: float = DEFAULT_TIMEOUT_S) -> PytestRun:
    """Run pytest in a subprocess to the end (see ``start_pytest``); ``subprocess.TimeoutExpired`` past ``timeout``."""
    return start_pytest(*args, cwd=cwd, env=env, results=results).wait(timeout)
