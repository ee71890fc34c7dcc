"""The suite's image (deploy/build-image.sh), run with Docker the way the
DaemonSet and the sonobuoy plugin run it on a node.

The "node" is this machine: ``serve-cri`` on a host unix socket, configured
like a CRI-O node with the drop-in of docs/every-node.md (two store paths
under one directory). The container gets what the pod gets, no more: the
host network, the socket, the drop-in read-only, the store directory (full
profile only), a read-only root filesystem with a writable /tmp, every
capability dropped. Its arguments are the manifests' own, read from deploy/.

Needs root, debootstrap and a Docker engine (CI: .ci/run starts one and
installs debootstrap); skipped with the reason otherwise. The first build
takes a few minutes; later ones reuse the cached base root filesystem.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from artifact_conformance.simulator.crio_toml import crio_toml
from tests.cri_process import serve_cri
from tests.test_cri_fixed_endpoint import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
IMAGE = "local/artifact-conformance:test"
BUILD_TIMEOUT_S = 1200
RUN_TIMEOUT_S = 600
SOCKET = "/var/run/crio/crio.sock"
DROPIN = "/etc/crio/crio.conf.d/99-artifact-conformance.conf"
TAGS = "listing or pulling or pinning"


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "building the image needs root (debootstrap, chroot)"
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (apt-get install debootstrap)"
    if not _docker_answers():
        return f"no Docker engine answers at {os.environ.get('DOCKER_HOST') or 'the default socket'}"
    return None


pytestmark = pytest.mark.skipif(bool(reason := _why_not()), reason=reason or "")


@pytest.fixture(scope="module")
def image() -> str:
    build = subprocess.run([str(DEPLOY / "build-image.sh"), IMAGE], capture_output=True, text=True,
                           timeout=BUILD_TIMEOUT_S, env={**os.environ, "PYTHON": sys.executable})
    assert build.returncode == 0, f"build-image.sh failed:\n{build.stderr[-4000:]}"
    print("\n" + build.stderr.strip())
    return IMAGE


def runner_args(manifest: str) -> tuple[list[str], dict[str, str]]:
    """The artifact-conformance-node container's args and plain env values, from a deploy/ manifest."""
    for document in yaml.safe_load_all((DEPLOY / manifest).read_text()):
        if not document:
            continue
        if "sonobuoy-config" in document:
            candidates = [document["spec"]]
        elif "template" in (document.get("spec") or {}):
            pod = document["spec"]["template"]["spec"]
            candidates = [*pod.get("initContainers", []), *pod["containers"]]
        else:
            continue
        for container in candidates:
            if container.get("command") == ["artifact-conformance-node"]:
                env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
                return list(container["args"]), env
    raise AssertionError(f"{manifest} has no artifact-conformance-node container")


@pytest.fixture
def node(tmp_path: Path):
    """A CRI-O-like node: serve-cri on a socket, the drop-in naming two store paths."""
    # The manifests fix the probe at 127.0.0.1:5050 (the nodes' registries.conf names it); here a free
    # port stands in for it, so that runs side by side do not collide.
    listen = f"127.0.0.1:{free_port()}"
    stores_dir = tmp_path / "var-lib-artifact-conformance"
    stores = [stores_dir / "store-1", stores_dir / "store-2"]
    for store in stores:
        store.mkdir(parents=True)
    dropin = tmp_path / "99-artifact-conformance.conf"
    dropin.write_text(crio_toml(tmp_path / "crio-root", stores=[str(s) for s in stores],
                                pinned=["registry.k8s.io/pause:3.10"], insecure=[listen]))
    socket_dir = Path(f"/tmp/ac-node-{os.getpid()}-{tmp_path.name[-8:]}")
    socket_dir.mkdir()
    try:
        with serve_cri(dropin, f"unix://{socket_dir}/crio.sock", tmp_path / "serve.log") as server:
            yield {"server": server, "dropin": dropin, "stores_dir": stores_dir, "stores": stores,
                   "socket": socket_dir / "crio.sock", "root": tmp_path / "crio-root", "tmp": tmp_path,
                   "listen": listen}
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


def docker_run(image: str, node: dict, args: list[str], env: dict[str, str], mounts: list[str]) -> subprocess.CompletedProcess:
    args = [f"--probe-listen={node['listen']}" if a.startswith("--probe-listen=") else a for a in args]
    command = [
        "docker", "run", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp:exec,mode=1777",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--user", "0:0",
        "--entrypoint", "artifact-conformance-node",
        "-e", "NODE_NAME=ci-node", *(f"-e={k}={v}" for k, v in env.items()),
        "-v", f"{node['socket']}:{SOCKET}", "-v", f"{node['dropin']}:{DROPIN}:ro", *mounts,
        image, *args, "--tags", TAGS,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def index_entries(layout: Path) -> list:
    return json.loads((layout / "index.json").read_text())["manifests"]


def test_the_image_runs_the_daemonset_pods_command_against_the_hosts_cri_socket(image: str, node: dict):
    args, env = runner_args("daemonset.yaml")
    assert "--profile=full" in args
    reports = node["tmp"] / "reports"
    reports.mkdir()
    # The drop-in names the host's store paths, so their directory is mounted at the same path, as the
    # pod's hostPath mount of /var/lib/artifact-conformance is.
    run = docker_run(image, node, args, env, ["-v", f"{node['stores_dir']}:{node['stores_dir']}",
                                              "-v", f"{reports}:/reports"])
    out = reports / "artifact-conformance-ci-node"
    assert (out / "exit-status").is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    assert (out / "exit-status").read_text().strip() == "0", (out / "pytest.log").read_text()[-4000:]
    assert run.returncode == 0, "the DaemonSet's init container sets ALWAYS_SUCCEED"
    suite = ET.parse(out / "junit.xml").getroot()
    cases = suite.findall(".//testcase")
    assert len(cases) >= 15 and not suite.findall(".//failure") and not suite.findall(".//error")
    document = json.loads((out / "results.json").read_text())
    assert document["run"]["node"] == {"name": "ci-node", "source": "--node-name"}
    assert document["run"]["sut"]["runtime"].startswith("artifact-conformance-reference")
    assert document["summary"]["passed"] >= 15 and document["summary"]["failed"] == 0
    assert "ci-node" in (out / "report.html").read_text()
    # As on a node: the stores are empty layouts again, the main store holds nothing the suite pulled.
    for store in node["stores"]:
        assert index_entries(store / "artifacts") == []
    assert index_entries(node["root"] / "artifacts") == []


def test_the_image_answers_sonobuoy_with_a_done_file_and_the_observe_profile_writes_no_store(image: str, node: dict):
    args, env = runner_args("sonobuoy-plugin.yaml")
    assert "--profile=observe" in args and env["RESULTS_MODE"] == "sonobuoy"
    results = node["tmp"] / "sonobuoy-results"
    results.mkdir()
    run = docker_run(image, node, args, env, ["-v", f"{results}:/tmp/sonobuoy/results"])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    done = (results / "done").read_text()
    assert done == "/tmp/sonobuoy/results/artifact-conformance-ci-node.tar.gz"
    tarball = results / Path(done).name
    with tarfile.open(tarball) as archive:
        junit = archive.extractfile("artifact-conformance-ci-node/junit.xml").read()
    assert ET.fromstring(junit).findall(".//testcase"), "sonobuoy (result-format junit) reads this"
    # The observe profile mounted no store and wrote none: the store directories are as created.
    assert all(not any(store.iterdir()) for store in node["stores"])
    merge = subprocess.run([sys.executable, "-m", "artifact_conformance", "merge", str(tarball)],
                           capture_output=True, text=True, timeout=120)
    assert merge.returncode == 0 and "ci-node" in merge.stdout, merge.stdout + merge.stderr
