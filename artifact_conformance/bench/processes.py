"""Run a command and measure it: wall time, CPU time and peak RSS of the child.

The command is started by a small shim (``python -I -S``, a few MiB) that
forks, execs the command and reaps it with ``os.wait4``, which returns the
resource usage of exactly that child. Why a shim: Linux carries a process's
peak RSS across ``exec`` (fs/exec.c records the old address space's high-water
mark), and a child forked or vforked from the bench itself starts from the
bench's address space, so every command would report at least the bench's
own RSS (about 50 MiB). From the shim, a command's peak RSS is exact whenever
it is above the shim's own (``rss_floor_mib``, measured by running ``true``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

TAIL = 2000
_SHIM = r"""
import os, sys, time
stats, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
with open(stats, "w") as f:
    f.write(f"{code} {wall} {usage.ru_utime} {usage.ru_stime} {usage.ru_maxrss}\n")
sys.exit(code if 0 <= code < 256 else 128 - code)
"""


def measure(command: list[str], log_dir: Path, name: str, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``command`` to completion; its stdout and stderr go to files in ``log_dir``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path, stats_path = (log_dir / f"{name}.{ext}" for ext in ("out", "err", "stats"))
    stats_path.unlink(missing_ok=True)
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        subprocess.run([sys.executable, "-I", "-S", "-c", _SHIM, str(stats_path), *command],
                       stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=cwd, env=env, check=False)
    try:
        code, wall, user, system, max_rss_kib = stats_path.read_text().split()
    except (OSError, ValueError) as error:
        raise RuntimeError(f"measuring {command[0]} failed: no usage recorded ({error}); "
                           f"stderr: {stderr_path.read_text(errors='replace')[-500:]}") from error
    return {
        "command": command,
        "exit_code": int(code),
        "wall_s": float(wall),
        "user_s": float(user),
        "sys_s": float(system),
        "max_rss_mib": int(max_rss_kib) / 1024,  # Linux reports KiB
        "stdout": stdout_path.read_text(errors="replace")[-TAIL:],
        "stderr": stderr_path.read_text(errors="replace")[-TAIL:],
    }


@functools.cache
def rss_floor_mib(log_dir: Path) -> float:
    """The peak RSS ``measure`` reports for a command that uses almost nothing."""
    true = shutil.which("true") or "/bin/true"
    return measure([true], log_dir, "rss-floor")["max_rss_mib"]
