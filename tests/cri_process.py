"""Run ``artifact-conformance serve-cri`` as a real process for the CRI tests."""

from __future__ import annotations

import contextlib
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from cri_api.v1 import api_pb2_grpc

READY_PREFIX = "serving CRI ImageService on "
START_TIMEOUT_S = 20.0
SERVE_CRI = [sys.executable, "-m", "artifact_conformance", "serve-cri"]
LAUNCH_COMMAND = shlex.join(SERVE_CRI) + " --listen unix://{socket} --config {config}"


@contextlib.contextmanager
def short_tempdir() -> Iterator[Path]:
    """A directory with a short path: a unix socket path holds at most 107 bytes,
    and pytest's tmp_path can be longer."""
    directory = Path(tempfile.mkdtemp(prefix="cri-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class ServeCri:
    process: subprocess.Popen
    address: str
    output: Path
    socket: Path | None

    def output_text(self) -> str:
        return self.output.read_text(errors="replace")

    def channel(self) -> grpc.Channel:
        target = self.address.removeprefix("tcp://")
        return grpc.insecure_channel(target)

    def images(self, channel: grpc.Channel) -> api_pb2_grpc.ImageServiceStub:
        return api_pb2_grpc.ImageServiceStub(channel)

    def terminate(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def start_serve_cri(config: Path, listen: str, output: Path, extra: Sequence[str] = ()) -> ServeCri:
    """Start serve-cri (with ``extra`` options, e.g. ``--store-class``) and wait for its ready line (or its exit)."""
    with open(output, "ab") as sink:
        process = subprocess.Popen([*SERVE_CRI, "--listen", listen, "--config", str(config), *extra],
                                   stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = output.read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith(READY_PREFIX):
                address = line[len(READY_PREFIX):].strip()
                socket = Path(address[len("unix://"):]) if address.startswith("unix://") else None
                return ServeCri(process, address, output, socket)
        if process.poll() is not None:
            raise AssertionError(f"serve-cri exited with {process.returncode} before serving:\n{text}")
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise AssertionError(f"serve-cri did not become ready within {START_TIMEOUT_S} s:\n{output.read_text()}")


@contextlib.contextmanager
def serve_cri(config: Path, listen: str, output: Path, extra: Sequence[str] = ()) -> Iterator[ServeCri]:
    server = start_serve_cri(config, listen, output, extra)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            try:
                server.terminate()
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
