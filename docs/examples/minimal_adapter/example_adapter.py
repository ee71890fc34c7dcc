"""A minimal system-under-test adapter: a command line tool that speaks JSON.

The suite talks to every runtime through one interface,
``artifact_conformance.fixtures.adapters.SystemUnderTest``: start a node with a
configuration, then pull, status, list, remove (and, if the runtime can say,
mount paths), raising ``SutError`` kinds for the errors it reports. An adapter
implements that interface for one runtime and declares the capabilities it
has; a scenario that needs a capability the adapter lacks is reported NOT
APPLICABLE, never failed.

This one drives a runtime through a command line tool that prints JSON: one
process per call, ``TOOL --config FILE --json ACTION ARGUMENT``. The tool here
is the reference store's own command line (``artifact-conformance store``), so
the example runs wherever the suite does. For your runtime, change ``TOOL``,
``write_config`` (your configuration format), ``_artifact`` (your JSON fields)
and ``ERROR_KINDS`` (your error messages).

Register it in your package's pyproject.toml and select it with ``--sut``::

    [project.entry-points."artifact_conformance.sut"]
    example-json = "example_adapter:JsonCommandAdapter"

    pytest features --sut example-json
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from artifact_conformance.fixtures.adapters import (
    CONFIGURE,
    MAIN_STORE_LAYOUT,
    MOUNT_PATHS,
    Artifact,
    Mount,
    NodeConfig,
    SutConfigError,
    SutError,
    SutOptions,
    SystemUnderTest,
)

TOOL = [sys.executable, "-m", "artifact_conformance", "store"]
CALL_TIMEOUT_S = 120

# The tool's error message -> the SutError kind (first match wins; anything else is "other").
ERROR_KINDS = (
    (r"ambiguous", "ambiguous"),
    (r"container image|not an artifact", "not_an_artifact"),
    (r"both a tag and a digest|not a fully qualified|malformed digest|characters, at most", "invalid_reference"),
    (r"not found|no instance for platform", "not_found"),
    (r"registry|GET |connection|answered \d{3}", "registry"),
    (r"does not match its digest|is missing|cannot be read|not valid JSON", "corrupt"),
)


class JsonCommandAdapter(SystemUnderTest):
    name = "example-json"
    # What this tool can do: the harness writes its configuration per node and
    # reads its main store on disk, and the tool reports mount paths. It does not
    # report warnings, re-read pinned_images, or pull in a process the harness controls.
    capabilities = frozenset({CONFIGURE, MAIN_STORE_LAYOUT, MOUNT_PATHS})

    def __init__(self) -> None:
        self._workdir: Path | None = None
        self._config: Path | None = None
        self._main_dir: Path | None = None

    @classmethod
    def from_options(cls, options: SutOptions) -> JsonCommandAdapter:
        return cls()  # options.setting("KEY") reads --sut-option KEY=VALUE

    # --- life cycle --------------------------------------------------------------
    def start(self, node: NodeConfig) -> None:
        self.stop()
        self._workdir = Path(tempfile.mkdtemp(prefix="example-adapter-"))
        self._config = self._workdir / "crio.toml"
        self._config.write_text(write_config(node))
        self._main_dir = Path(node.root) / "artifacts"
        try:
            self._call("list")  # the tool reads its configuration: a refused one fails here
        except SutError as error:
            self.stop()
            raise SutConfigError(error.message) from None

    def stop(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
        self._workdir = self._config = None

    def main_store_dir(self) -> Path | None:
        return self._main_dir

    # --- calls -----------------------------------------------------------------------
    def pull(self, reference: str) -> Artifact:
        return _artifact(self._call("pull", reference))

    def status(self, name_or_id: str) -> Artifact:
        return _artifact(self._call("status", name_or_id))

    def list(self) -> list[Artifact]:
        return [_artifact(record) for record in self._call("list")]

    def remove(self, name_or_id: str) -> None:
        self._call("rm", name_or_id)

    def mount_paths(self, name_or_id: str, *, user_specified_image: str = "", sub_path: str = "") -> list[Mount]:
        # name_or_id is the ID kubelet obtained; the tool resolves it, so the reference the
        # pod names (user_specified_image) is not needed.
        entries = self._call("mounts", name_or_id, "--sub-path", sub_path)
        return [Mount(entry["name"], entry["path"]) for entry in entries]

    def _call(self, action: str, *arguments: str):
        if self._config is None:
            raise SutError.of("other", "the example adapter has not been started")
        command = [*TOOL, "--config", str(self._config), "--json", action, *arguments]
        done = subprocess.run(command, capture_output=True, text=True, timeout=CALL_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            message = " ".join(line for line in done.stderr.splitlines() if not line.startswith("warning: "))
            raise error_for(message.removeprefix("artifact-conformance: error: ") or f"{action} exited {done.returncode}")
        return json.loads(done.stdout)


def write_config(node: NodeConfig) -> str:
    """The node in the tool's configuration format (here: CRI-O's TOML keys)."""
    def strings(values) -> str:
        return json.dumps([str(v) for v in values])  # a JSON string list is a TOML array
    text = (
        f"[crio]\nroot = {json.dumps(str(node.root))}\n"
        f"[crio.runtime]\nadditional_artifact_stores = {strings(node.additional_stores)}\n"
        f"[crio.image]\npinned_images = {strings(node.pinned_images)}\n"
        f"insecure_registries = {strings(node.insecure_registries)}\n"
    )
    if node.pull_progress_timeout:  # seconds without progress before a pull is given up
        text += f'pull_progress_timeout = "{node.pull_progress_timeout:g}s"\n'
    return text


def error_for(message: str) -> SutError:
    for pattern, kind in ERROR_KINDS:
        if re.search(pattern, message, re.IGNORECASE):
            return SutError.of(kind, message)
    return SutError.of("other", message)


def _artifact(record: dict) -> Artifact:
    return Artifact(
        id=record["id"],
        repo_tags=record["repo_tags"],
        repo_digests=record["repo_digests"],
        size=record["size"],
        pinned=record["pinned"],
        store=record.get("store"),
    )
