"""Helpers for the simulator's tests: artifacts built byte by byte, pushed to a
real registry, written into hand-made OCI layouts, and a loopback proxy that
can misbehave or demand a token in front of the real registry.

Pushing uses plain HTTP requests rather than oras-py: the simulator pulls with
oras-py, and a second, independent client keeps a bug shared by both from
hiding itself. It also controls the exact manifest bytes and media type
(Docker v2 manifests, indexes), which ``upload_manifest`` re-serialises.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import http.server
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.store import ArtifactStore

ARTIFACT_TYPE = "application/vnd.artifact-conformance.model.v1"
LAYER_TYPE = "application/vnd.artifact-conformance.file.v1"
MODELPACK_CONFIG = "application/vnd.cnai.model.config.v1+json"
EMPTY_CONFIG = b"{}"
LOOPBACK = "127.0.0.1"


# -- artifacts --------------------------------------------------------------------
def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Blob:
    data: bytes
    media_type: str = LAYER_TYPE
    annotations: dict | None = None

    @property
    def digest(self) -> str:
        return sha256(self.data)

    def descriptor(self) -> dict:
        d = {"mediaType": self.media_type, "digest": self.digest, "size": len(self.data)}
        if self.annotations:
            d["annotations"] = dict(self.annotations)
        return d


@dataclass(frozen=True)
class Manifest:
    """A manifest or index exactly as a registry or layout stores it."""

    raw: bytes
    media_type: str
    blobs: tuple[Blob, ...] = ()  # config and layers
    children: tuple["Manifest", ...] = ()  # instances of an index

    @property
    def digest(self) -> str:
        return sha256(self.raw)

    @property
    def id(self) -> str:
        return self.digest.split(":", 1)[1]

    @property
    def document(self) -> dict:
        return json.loads(self.raw)

    @property
    def layer_size(self) -> int:
        return sum(layer["size"] for layer in self.document.get("layers", []))

    def descriptor(self, **extra) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.raw), **extra}

    def all_blobs(self) -> dict[str, bytes]:
        """Every blob a store needs for this manifest, itself included."""
        found = {self.digest: self.raw}
        for blob in self.blobs:
            found[blob.digest] = blob.data
        for child in self.children:
            found.update(child.all_blobs())
        return found


def encode(document: dict) -> bytes:
    # Deliberately not the compact form json.dumps(separators=...) gives: a store that
    # re-serialises the manifest would change its bytes, and the digest with them.
    return json.dumps(document, indent=3).encode() + b"\n"


def layer(data: bytes | str, name: str | None = None, *, modelpack: bool = False, media_type: str = LAYER_TYPE) -> Blob:
    data = data.encode() if isinstance(data, str) else data
    annotations = None
    if name is not None:
        key = mt.ANNOTATION_MODELPACK_FILEPATH if modelpack else mt.ANNOTATION_TITLE
        annotations = {key: name}
    return Blob(data, media_type, annotations)


def artifact(*layers: Blob, artifact_type: str | None = ARTIFACT_TYPE, config: Blob | None = None,
             media_type: str = mt.OCI_MANIFEST, extra: dict | None = None) -> Manifest:
    """An OCI artifact; with no layers given, one unique named file."""
    if not layers:
        layers = (unique_layer(),)
    config = config or Blob(EMPTY_CONFIG, mt.OCI_EMPTY)
    document = {"schemaVersion": 2, "mediaType": media_type}
    if artifact_type:
        document["artifactType"] = artifact_type
    document["config"] = config.descriptor()
    document["layers"] = [b.descriptor() for b in layers]
    document.update(extra or {})
    return Manifest(encode(document), media_type, (config, *layers))


def unique_layer(name: str = "model.bin", size: int = 64, **kwargs) -> Blob:
    return layer(secrets.token_bytes(size), name, **kwargs)


def container_image(docker: bool = False) -> Manifest:
    """A runnable image: image config, tar layer, no artifactType."""
    config_type = mt.DOCKER_IMAGE_CONFIG if docker else mt.OCI_IMAGE_CONFIG
    layer_type = "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker else "application/vnd.oci.image.layer.v1.tar"
    config = Blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                              "nonce": uuid.uuid4().hex}).encode(), config_type)
    tar = Blob(secrets.token_bytes(128), layer_type)
    media_type = mt.DOCKER_MANIFEST if docker else mt.OCI_MANIFEST
    document = {"schemaVersion": 2, "mediaType": media_type, "config": config.descriptor(), "layers": [tar.descriptor()]}
    return Manifest(encode(document), media_type, (config, tar))


def image_index(*children: tuple[Manifest, str | None]) -> Manifest:
    """An OCI index; each child with a platform "os/arch" (or None for none)."""
    manifests = []
    for child, platform in children:
        descriptor = child.descriptor()
        if platform:
            os_, arch = platform.split("/")
            descriptor["platform"] = {"os": os_, "architecture": arch}
        manifests.append(descriptor)
    document = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": manifests}
    return Manifest(encode(document), mt.OCI_INDEX, (), tuple(c for c, _ in children))


def host_platform() -> str:
    return "/".join(mt.host_platform())


def other_platform() -> str:
    return "linux/s390x" if host_platform() != "linux/s390x" else "linux/arm64"


# -- registry ---------------------------------------------------------------------
def unique_repository(prefix: str = "sim") -> str:
    return f"conformance/{prefix}-{uuid.uuid4().hex[:12]}"


class Pusher:
    """Pushes blobs and exact manifest bytes to a registry over plain HTTP."""

    def __init__(self, address: str, auth: tuple[str, str] | None = None):
        self.address = address
        self.session = requests.Session()
        self.session.auth = auth

    def url(self, repository: str, kind: str, reference: str) -> str:
        return f"http://{self.address}/v2/{repository}/{kind}/{reference}"

    def push_blob(self, repository: str, digest: str, data) -> None:
        """``data``: bytes, or a readable binary file (streamed)."""
        head = self.session.head(self.url(repository, "blobs", digest), timeout=30)
        if head.status_code == 200:
            return
        start = self.session.post(f"http://{self.address}/v2/{repository}/blobs/uploads/", timeout=30)
        assert start.status_code == 202, f"upload start for {digest} answered {start.status_code}: {start.text}"
        location = start.headers["Location"]
        if location.startswith("/"):
            location = f"http://{self.address}{location}"
        separator = "&" if "?" in location else "?"
        done = self.session.put(f"{location}{separator}digest={digest}", data=data,
                                headers={"Content-Type": "application/octet-stream"}, timeout=600)
        assert done.status_code == 201, f"upload of {digest} answered {done.status_code}: {done.text}"

    def push(self, repository: str, manifest: Manifest, tag: str | None = None) -> str:
        """Push a manifest (and its blobs and children) by tag, or by digest when ``tag`` is None."""
        for child in manifest.children:
            self.push(repository, child)
        for blob in manifest.blobs:
            self.push_blob(repository, blob.digest, blob.data)
        response = self.session.put(self.url(repository, "manifests", tag or manifest.digest), data=manifest.raw,
                                    headers={"Content-Type": manifest.media_type}, timeout=30)
        assert response.status_code == 201, f"manifest PUT answered {response.status_code}: {response.text}"
        assert response.headers["Docker-Content-Digest"] == manifest.digest
        return manifest.digest

    def fetch_manifest(self, repository: str, reference: str) -> requests.Response:
        return self.session.get(self.url(repository, "manifests", reference), timeout=30,
                                headers={"Accept": ", ".join(mt.ACCEPTED_MANIFEST_TYPES)})


# -- layouts ----------------------------------------------------------------------
def layout_dir(store_path: Path) -> Path:
    """Where a store configured at ``store_path`` keeps its layout."""
    return Path(store_path) / "artifacts"


def write_layout(store_path: Path, entries: Iterable[tuple[str | None, Manifest]], *,
                 missing_blobs: Iterable[str] = (), descriptor_extra: dict | None = None) -> Path:
    """Write an OCI layout at ``store_path/artifacts`` the way skopeo or ORAS would:
    blobs first, then ``index.json`` replaced in one rename. ``None`` names no ref."""
    directory = layout_dir(store_path)
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (directory / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    descriptors = []
    skip = set(missing_blobs)
    for ref_name, manifest in entries:
        for digest, data in manifest.all_blobs().items():
            if digest not in skip:
                (blobs / digest.split(":", 1)[1]).write_bytes(data)
        descriptor = manifest.descriptor(**(descriptor_extra or {}))
        if ref_name is not None:
            descriptor["annotations"] = {mt.ANNOTATION_REF_NAME: ref_name}
        descriptors.append(descriptor)
    write_index(directory, {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": descriptors})
    return directory


def write_index(directory: Path, document: dict | bytes) -> None:
    raw = document if isinstance(document, bytes) else json.dumps(document, indent=1).encode()
    tmp = directory / ".index.json.tmp"
    tmp.write_bytes(raw)
    os.replace(tmp, directory / "index.json")


def blob_file(directory: Path, digest: str) -> Path:
    return Path(directory) / "blobs" / "sha256" / digest.split(":", 1)[1]


# -- configuration ----------------------------------------------------------------
def make_config(tmp_path: Path, stores: Iterable[Path] = (), insecure: Iterable[str] = (), *,
                pinned: Iterable[str] = (), auth_file: Path | None = None) -> StoreConfig:
    return StoreConfig.build(
        root=str(tmp_path / "root"),
        additional_artifact_stores=[str(s) for s in stores],
        pinned_images=list(pinned),
        insecure_registries=list(insecure),
        global_auth_file=str(auth_file) if auth_file else None,
    )


def make_store(tmp_path: Path, stores: Iterable[Path] = (), insecure: Iterable[str] = (), **kwargs) -> ArtifactStore:
    return ArtifactStore(make_config(tmp_path, stores, insecure, **kwargs))


def write_toml(path: Path, root: Path, stores: Iterable[Path] = (), insecure: Iterable[str] = (), *,
               pinned: Iterable[str] = (), auth_file: Path | None = None) -> Path:
    lines = ["[crio]", f"root = {json.dumps(str(root))}", "", "[crio.runtime]",
             f"additional_artifact_stores = {json.dumps([str(s) for s in stores])}", "", "[crio.image]",
             f"pinned_images = {json.dumps(list(pinned))}", f"insecure_registries = {json.dumps(list(insecure))}"]
    if auth_file:
        lines.append(f"global_auth_file = {json.dumps(str(auth_file))}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_auth_file(path: Path, address: str, username: str, password: str) -> Path:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {address: {"auth": token}}}))
    return path


# -- observing the file system ----------------------------------------------------
def fingerprint(root: Path) -> dict[str, tuple]:
    """Everything a write could change: entries, kinds, modes, sizes, mtimes, contents.
    Directory mtimes catch a file created and deleted again."""
    result: dict[str, tuple] = {}
    root = Path(root)
    if not root.exists():
        return result
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, ""]:
            path = Path(dirpath) / name if name else Path(dirpath)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                content = os.readlink(path)
            result[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                                   st.st_size, st.st_mtime_ns, content)
    return result


class FrozenTimestamps:
    """``os`` as seen on a file system with coarse timestamps (FAT: 2 s; ext3, HFS+,
    many NFS servers: 1 s; Linux before 6.13: one clock tick), taken to the
    limit: a file's mtime and ctime never move after it is first seen."""

    def __init__(self) -> None:
        self._first: dict[tuple[int, int], tuple[int, int]] = {}

    def __getattr__(self, name):
        return getattr(os, name)

    def _freeze(self, st: os.stat_result) -> "_FrozenStat":
        mtime, ctime = self._first.setdefault((st.st_dev, st.st_ino), (st.st_mtime_ns, st.st_ctime_ns))
        return _FrozenStat(st, mtime, ctime)

    def stat(self, path, *args, **kwargs):
        return self._freeze(os.stat(path, *args, **kwargs))

    def lstat(self, path, *args, **kwargs):
        return self._freeze(os.lstat(path, *args, **kwargs))


class _FrozenStat:
    """A stat result with its mtime and ctime replaced."""

    def __init__(self, st: os.stat_result, mtime_ns: int, ctime_ns: int):
        self._st, self.st_mtime_ns, self.st_ctime_ns = st, mtime_ns, ctime_ns
        self.st_mtime, self.st_ctime = mtime_ns / 1e9, ctime_ns / 1e9

    def __getattr__(self, name):
        return getattr(self._st, name)


def files_under(directory: Path) -> list[str]:
    """Regular files (not directories) anywhere below ``directory``."""
    if not Path(directory).exists():
        return []
    return sorted(str(p) for p in Path(directory).rglob("*") if not p.is_dir())


def make_read_only(path: Path) -> None:
    """chmod a-w the whole tree (root ignores the bits: pair with ``fingerprint``)."""
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [*filenames, *dirnames]:
            p = Path(dirpath) / name
            os.chmod(p, stat.S_IMODE(os.lstat(p).st_mode) & ~0o222)
    os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) & ~0o222)


def make_writable(path: Path) -> None:
    for dirpath, _, _ in os.walk(path):
        os.chmod(dirpath, 0o755)


# -- a proxy in front of the real registry -----------------------------------------
@dataclass
class Fault:
    """What the proxy does instead of forwarding, for requests whose path matches."""

    path_contains: str
    kind: str  # "status", "corrupt", "cut", "body"
    status: int = 500
    body: bytes = b""
    content_type: str | None = None
    times: int | None = None  # misbehave this many times, then forward (None: always)

    def applies(self, path: str) -> bool:
        return self.path_contains in path and (self.times is None or self.times > 0)


@dataclass
class TokenAuth:
    """A bearer-token front: /token issues a token for the right basic credentials."""

    username: str
    password: str
    service: str = "conformance-registry"
    token: str = field(default_factory=lambda: secrets.token_hex(16))


class RegistryProxy:
    """A loopback HTTP proxy to an upstream registry that records every request
    and can misbehave for chosen paths or demand bearer tokens."""

    def __init__(self, upstream: str, token_auth: TokenAuth | None = None):
        self.upstream = upstream
        self.token_auth = token_auth
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, str | None]] = []  # method, path, Authorization scheme
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self._server.server_address[1]}"

    def __enter__(self) -> "RegistryProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def paths(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [p for m, p, _ in self.requests if method is None or m == method]

    def blob_requests(self) -> list[str]:
        return [p for p in self.paths() if "/blobs/" in p]

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.applies(path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _handler_class(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_HEAD(self) -> None:
                self._handle("HEAD")

            def _handle(self, method: str) -> None:
                authorization = self.headers.get("Authorization")
                with proxy._lock:
                    proxy.requests.append((method, self.path, authorization.split()[0] if authorization else None))
                if proxy.token_auth and not self._authorized(authorization):
                    return
                fault = proxy._fault_for(self.path)
                if fault and fault.kind == "status":
                    return self._send(fault.status, json.dumps({"errors": [
                        {"code": "INJECTED", "message": f"injected {fault.status}"}]}).encode(), "application/json", method)
                if fault and fault.kind == "body":
                    return self._send(200, fault.body, fault.content_type or "application/octet-stream", method)
                status, headers, body = self._forward(method)
                if fault and fault.kind == "corrupt" and body:
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                    headers = {k: v for k, v in headers.items() if k.lower() != "docker-content-digest"}
                if fault and fault.kind == "cut":
                    return self._cut(status, headers, body)
                self._send(status, body, None, method, headers)

            def _authorized(self, authorization: str | None) -> bool:
                auth = proxy.token_auth
                if self.path.startswith("/token"):
                    expected = "Basic " + base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
                    if authorization != expected:
                        self._send(401, b'{"details":"bad credentials"}', "application/json", "GET")
                    else:
                        self._send(200, json.dumps({"token": auth.token, "access_token": auth.token}).encode(),
                                   "application/json", "GET")
                    return False
                if authorization == f"Bearer {auth.token}":
                    return True
                repository = re.match(r"^/v2/(.+)/(?:manifests|blobs)/", urlsplit(self.path).path)
                scope = f',scope="repository:{repository.group(1)}:pull"' if repository else ""
                challenge = f'Bearer realm="http://{proxy.address}/token",service="{auth.service}"{scope}'
                self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                           "application/json", "GET", {"Www-Authenticate": challenge})
                return False

            def _forward(self, method: str) -> tuple[int, dict, bytes]:
                connection = http.client.HTTPConnection(proxy.upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
                    connection.request(method, self.path, headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    kept = {k: v for k, v in response.getheaders()
                            if k.lower() not in ("connection", "transfer-encoding", "keep-alive", "content-length")}
                    return response.status, kept, body
                finally:
                    connection.close()

            def _send(self, status: int, body: bytes, content_type: str | None, method: str,
                      headers: dict | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

            def _cut(self, status: int, headers: dict, body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

        return Handler


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


# -- an extra registry process with htpasswd auth ------------------------------------
def htpasswd_line(username: str, password: str) -> str:
    """A bcrypt htpasswd entry (the only kind distribution accepts)."""
    try:
        import bcrypt
    except ImportError:  # apache2-utils, when present
        tool = shutil.which("htpasswd")
        if not tool:
            raise
        return subprocess.run([tool, "-nbB", username, password], check=True, capture_output=True,
                              text=True).stdout.strip()
    return f"{username}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}"


@contextlib.contextmanager
def basic_auth_registry(username: str, password: str) -> Iterator[str]:
    """Debian's docker-registry as a process, requiring basic auth; yields host:port."""
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if binary is None:
        raise RuntimeError("no distribution binary (docker-registry) on PATH")
    with tempfile.TemporaryDirectory(prefix="sim-auth-registry-") as workdir:
        work = Path(workdir)
        (work / "htpasswd").write_text(htpasswd_line(username, password) + "\n")
        port = unused_port()
        (work / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {work / 'storage'}\n  delete:\n    enabled: true\n"
            f"auth:\n  htpasswd:\n    realm: conformance\n    path: {work / 'htpasswd'}\n"
            f"http:\n  addr: {LOOPBACK}:{port}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        with open(work / "log", "wb") as log:
            process = subprocess.Popen([binary, "serve", str(work / "config.yml")], stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if requests.get(f"http://{LOOPBACK}:{port}/v2/", timeout=1).status_code == 401:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"auth registry did not start: {(work / 'log').read_text()[-2000:]}")
                time.sleep(0.05)
            yield f"{LOOPBACK}:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
