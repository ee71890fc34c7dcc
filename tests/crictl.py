"""The real crictl, for the tests that drive serve-cri as kubelet's tools do.

Found, in this order: ``--crictl PATH``, ``$ARTIFACT_CONFORMANCE_CRICTL``
(.ci/run sets it to the crictl it is given), then ``crictl`` on PATH. Where
none is found the tests that need it are skipped, saying which to set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENV_CRICTL = "ARTIFACT_CONFORMANCE_CRICTL"
MISSING = (
    f"crictl not found: set {ENV_CRICTL} to cri-tools' crictl, give --crictl PATH, or put crictl on PATH "
    "(Debian bookworm has no cri-tools package)"
)


def find_crictl(option: str | None = None) -> str | None:
    for candidate in (option, os.environ.get(ENV_CRICTL)):
        if candidate:
            if not os.access(candidate, os.X_OK):
                raise FileNotFoundError(f"crictl {candidate!r} (from --crictl or {ENV_CRICTL}) is not an executable")
            return candidate
    return shutil.which("crictl")


@dataclass(frozen=True)
class Crictl:
    """crictl pointed at one CRI endpoint, both as runtime and image service."""

    binary: str
    endpoint: str
    config: Path  # an empty crictl.yaml: no warning about a missing /etc/crictl.yaml, no user settings

    def run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, "--config", str(self.config), "--runtime-endpoint", self.endpoint,
                               "--image-endpoint", self.endpoint, "--timeout", "30s", *args],
                              capture_output=True, text=True, timeout=timeout)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"crictl {' '.join(args)} exited {result.returncode}: {result.stderr}"
        return result.stdout

    def fails(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode != 0, f"crictl {' '.join(args)} succeeded: {result.stdout}"
        return result.stderr
