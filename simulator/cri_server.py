"""The reference store behind a CRI v1 ImageService (gRPC).

A CRI client (kubelet, crictl, the suite's ``cri`` adapter) talks to the
reference store exactly as it would talk to a runtime. One store per server
process. ``RuntimeService`` answers ``Version``, ``Status`` (``crictl info``),
and, as records, the pod and container calls image volumes need
(``cri_pods``: RunPodSandbox ... RemovePodSandbox, CreateContainer ...
RemoveContainer, ContainerStatus, ListContainers, ListPodSandbox); every other
runtime call (ExecSync among them) is UNIMPLEMENTED. Every call is logged, one line when
it ends (``cri_call_log``): method, reference, outcome, the store that
answered, milliseconds.

What each call does, and how the store's errors become gRPC status codes
(each error's ``kind`` decides, ``STATUS_CODES``; a few errors have a code of
their own; the message is always the store's own message, which names the
reference, ID or path):

======================================  =====================  ================
store error                             gRPC code              error kind
======================================  =====================  ================
InvalidReferenceError (bad reference,   INVALID_ARGUMENT       invalid_reference
tag and digest, empty image spec)
AmbiguousIDError (ID prefix matches     INVALID_ARGUMENT       ambiguous
two artifacts of one store)
NotFoundError (registry 404 on pull)    NOT_FOUND              not_found
NoMatchingPlatformError                 NOT_FOUND              not_found
NotAnArtifactError (container image)    FAILED_PRECONDITION    not_an_artifact
ConfigError (e.g. unreadable auth file) FAILED_PRECONDITION    config
RegistryAccessError (401/403)           PERMISSION_DENIED      registry
RegistryError: unreachable, 5xx, ...    UNAVAILABLE            registry
DigestMismatchError (registry content)  DATA_LOSS              registry
CorruptStoreError, UnsafeLayerNameError DATA_LOSS              corrupt
RefusedError (artifact in use by a      FAILED_PRECONDITION    other
container, container not created)
OSError, anything unexpected            INTERNAL               other
                                        (the message says what failed,
                                        never the exception's text; the
                                        log has that, with ``-v``)
======================================  =====================  ================

An ambiguous ID is INVALID_ARGUMENT rather than FAILED_PRECONDITION: the
client's argument is not specific enough (a longer prefix resolves it), which
is what Docker and containers/storage report too; FAILED_PRECONDITION stays
unambiguous for "this is a container image". Because two kinds share a code,
every error also carries the kind in the trailing metadata key
``artifact-conformance-error-kind``; clients of other runtimes fall back to
the code and message.

Calls (CRI semantics, as CRI-O implements them for artifacts):

- ``PullImage``: ``image.image`` is the reference; ``auth`` username/password
  (or the base64 ``auth`` field) are the pull's credentials. ``image_ref`` is
  the artifact's image ID (the manifest digest's hex).
- ``ImageStatus``: an unknown image gives an empty response (``image`` unset),
  not an error. ``verbose`` adds ``info["info"]``: JSON with the resolving
  store (``store``), whether it is read-only (``readOnly``), digest, ref name,
  media type and artifact type.
- ``ListImages``: every artifact. With a filter, the filter's image is looked
  up like ``ImageStatus`` (by name, name:tag, name@digest or ID prefix) and the
  response holds that one artifact or nothing: CRI-O treats the filter so.
  A filter that is not a valid reference is INVALID_ARGUMENT, as for
  ImageStatus.
- ``RemoveImage``: idempotent; an image that is not there (or only in a
  read-only store) is a success. The log line says why nothing was removed
  (``reason="held by read-only store ..."``); a CRI response has no room for it.
- ``ImageFsInfo``: the main store's directory (``<root>/artifacts``): bytes
  used (allocated blocks, hard links counted once) and inodes used.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import grpc
from cri_api.v1 import api_pb2, api_pb2_grpc

from artifact_conformance.reporting import error_kinds as kinds

from . import cri_call_log as calls
from . import errors as sim
from .cri_pods import PodRecords, PodRuntime, refuse_removal_in_use
from .cri_runtime import RUNTIME_API_VERSION, RUNTIME_NAME, RuntimeService
from .records import ArtifactRecord
from .registry_client import Credentials
from .store import ArtifactStore

log = logging.getLogger(__name__)

__all__ = ["RUNTIME_API_VERSION", "RUNTIME_NAME", "CriServer", "ImageService", "ListenAddress", "status_for"]
ERROR_KIND_METADATA = "artifact-conformance-error-kind"
DEFAULT_GRACE_S = 5.0
DEFAULT_WORKERS = 8

T = TypeVar("T")

# The gRPC code of each error kind (the kind is the store error's ``kind``) ...
STATUS_CODES: dict[str, grpc.StatusCode] = {
    kinds.INVALID_REFERENCE: grpc.StatusCode.INVALID_ARGUMENT,
    kinds.AMBIGUOUS: grpc.StatusCode.INVALID_ARGUMENT,
    kinds.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    kinds.NOT_AN_ARTIFACT: grpc.StatusCode.FAILED_PRECONDITION,
    kinds.CONFIG: grpc.StatusCode.FAILED_PRECONDITION,
    kinds.REGISTRY: grpc.StatusCode.UNAVAILABLE,
    kinds.CORRUPT: grpc.StatusCode.DATA_LOSS,
    kinds.OTHER: grpc.StatusCode.INTERNAL,
}
# ... except for these store errors, whose code says more than their kind's
# (the first isinstance match decides).
_SPECIFIC_CODES: tuple[tuple[type[sim.ArtifactStoreError], grpc.StatusCode], ...] = (
    (sim.RegistryAccessError, grpc.StatusCode.PERMISSION_DENIED),
    (sim.DigestMismatchError, grpc.StatusCode.DATA_LOSS),  # the registry's content was damaged
    (sim.RefusedError, grpc.StatusCode.FAILED_PRECONDITION),  # the state does not allow the call
)


def status_for(error: BaseException) -> tuple[grpc.StatusCode, str, str]:
    """(gRPC code, error kind, message) for an exception raised by the store."""
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, sim.ArtifactStoreError):
        kind = error.kind
        code = next((c for t, c in _SPECIFIC_CODES if isinstance(error, t)), STATUS_CODES[kind])
        if kind == kinds.REGISTRY and code is grpc.StatusCode.UNAVAILABLE and "access denied" in message:
            code = grpc.StatusCode.PERMISSION_DENIED
        return code, kind, message
    if isinstance(error, OSError):
        where = f" on {error.filename}" if error.filename else ""
        return grpc.StatusCode.INTERNAL, kinds.OTHER, (
            f"the reference store failed{where}: {error.strerror or 'an operating system call failed'}")
    return grpc.StatusCode.INTERNAL, kinds.OTHER, (
        "the reference store failed unexpectedly; serve-cri's log (with -v) has the details")


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, kind: str, message: str) -> None:
    context.set_trailing_metadata(((ERROR_KIND_METADATA, kind),))
    context.abort(code, message)  # raises


def cri_image(record: ArtifactRecord) -> api_pb2.Image:
    return api_pb2.Image(
        id=record.id,
        repo_tags=list(record.repo_tags),
        repo_digests=list(record.repo_digests),
        size=record.size,
        pinned=record.pinned,
    )


def verbose_info(record: ArtifactRecord) -> dict[str, str]:
    return {"info": json.dumps({
        "store": record.store,
        "readOnly": record.read_only,
        "digest": record.digest,
        "refName": record.ref_name,
        "mediaType": record.media_type,
        "artifactType": record.artifact_type,
    }, sort_keys=True)}


def credentials_from(auth: api_pb2.AuthConfig | None) -> Credentials | None:
    """CRI-O's reading of AuthConfig: ``auth`` (base64 user:password) wins over
    username/password; no username means no credentials."""
    if auth is None:
        return None
    username, password = auth.username, auth.password
    if auth.auth:
        try:
            decoded = base64.b64decode(auth.auth, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as e:
            raise sim.InvalidReferenceError("AuthConfig.auth is not base64 of user:password") from e
        user, sep, secret = decoded.partition(":")
        username, password = (user, secret.strip("\x00")) if sep else ("", "")
    return Credentials(username, password) if username else None


class ImageService(api_pb2_grpc.ImageServiceServicer):
    """CRI v1 ImageService over one ArtifactStore."""

    def __init__(self, store: ArtifactStore, pods: PodRecords | None = None) -> None:
        self.store = store
        self.pods = pods  # containers whose image volumes keep artifacts in use
        # Reads run in parallel; pulls and removals one at a time. The store's
        # lock file already orders writes; this also keeps two pulls of one
        # reference from downloading the same blobs twice.
        self._writes = threading.Lock()

    # -- calls ------------------------------------------------------------------
    def PullImage(self, request: api_pb2.PullImageRequest, context: grpc.ServicerContext) -> api_pb2.PullImageResponse:
        def pull() -> api_pb2.PullImageResponse:
            reference = _image_name(request.image if request.HasField("image") else None, "PullImage")
            calls.note(image=reference)
            credentials = credentials_from(request.auth if request.HasField("auth") else None)
            with self._writes:
                result = self.store.pull(reference, credentials=credentials)
            calls.note(outcome="found in read-only store, not pulled" if result.skipped else "pulled",
                       digest=result.record.digest, store=result.record.store)
            return api_pb2.PullImageResponse(image_ref=result.record.id)
        return self._serve(context, "PullImage", pull)

    def ImageStatus(self, request: api_pb2.ImageStatusRequest, context: grpc.ServicerContext) -> api_pb2.ImageStatusResponse:
        def status() -> api_pb2.ImageStatusResponse:
            name = _image_name(request.image if request.HasField("image") else None, "ImageStatus")
            calls.note(image=name)
            try:
                record = self.store.status(name)
            except sim.NotFoundError:
                calls.note(outcome="not found")
                return api_pb2.ImageStatusResponse()
            calls.note(outcome="found", store=record.store)
            info = verbose_info(record) if request.verbose else {}
            return api_pb2.ImageStatusResponse(image=cri_image(record), info=info)
        return self._serve(context, "ImageStatus", status)

    def ListImages(self, request: api_pb2.ListImagesRequest, context: grpc.ServicerContext) -> api_pb2.ListImagesResponse:
        def list_images() -> api_pb2.ListImagesResponse:
            wanted = request.filter.image.image if request.HasField("filter") and request.filter.HasField("image") else ""
            if wanted:
                calls.note(filter=wanted)
                try:
                    record = self.store.status(wanted)
                except sim.NotFoundError:
                    calls.note(outcome=calls.count(0, "image"))
                    return api_pb2.ListImagesResponse()
                calls.note(outcome=calls.count(1, "image"), store=record.store)
                return api_pb2.ListImagesResponse(images=[cri_image(record)])
            records = self.store.list()
            stores = sorted({r.store for r in records}, key=[r.store for r in records].index)
            calls.note(outcome=calls.count(len(records), "image"), store=",".join(stores) or None)
            return api_pb2.ListImagesResponse(images=[cri_image(r) for r in records])
        return self._serve(context, "ListImages", list_images)

    def RemoveImage(self, request: api_pb2.RemoveImageRequest, context: grpc.ServicerContext) -> api_pb2.RemoveImageResponse:
        def remove() -> api_pb2.RemoveImageResponse:
            name = _image_name(request.image if request.HasField("image") else None, "RemoveImage")
            calls.note(image=name)
            with self._writes:
                if self.pods is not None:
                    refuse_removal_in_use(self.store, self.pods, name)
                result = self.store.remove(name)
            main = str(self.store.config.main_store_dir)
            if result.removed_digests:
                calls.note(outcome="removed", digest=",".join(result.removed_digests), store=main)
            elif result.still_visible is not None:
                calls.note(outcome="nothing removed", store=result.still_visible.store,
                           reason=f"held by read-only store {result.still_visible.store}, which is never changed; "
                                  "it stays listed and pinned")
            else:
                calls.note(outcome="nothing removed", store=main, reason="not in the main store or any read-only store")
            return api_pb2.RemoveImageResponse()
        return self._serve(context, "RemoveImage", remove)

    def ImageFsInfo(self, request: api_pb2.ImageFsInfoRequest, context: grpc.ServicerContext) -> api_pb2.ImageFsInfoResponse:
        def fs_info() -> api_pb2.ImageFsInfoResponse:
            directory = self.store.config.main_store_dir
            calls.note(store=str(directory))
            used_bytes, inodes = disk_usage(directory)
            usage = api_pb2.FilesystemUsage(
                timestamp=time.time_ns(),
                fs_id=api_pb2.FilesystemIdentifier(mountpoint=str(directory)),
                used_bytes=api_pb2.UInt64Value(value=used_bytes),
                inodes_used=api_pb2.UInt64Value(value=inodes),
            )
            return api_pb2.ImageFsInfoResponse(image_filesystems=[usage])
        return self._serve(context, "ImageFsInfo", fs_info)

    # -- errors -------------------------------------------------------------------
    @staticmethod
    def _serve(context: grpc.ServicerContext, call: str, handler: Callable[[], T]) -> T:
        try:
            return handler()
        except Exception as error:  # noqa: BLE001 - every error leaves as a gRPC status
            code, kind, message = status_for(error)
            log.debug("%s: %s: %s", call, code.name, sim.chain_text(error))
            if kind == kinds.OTHER and not isinstance(error, sim.ArtifactStoreError):
                log.debug("%s failed", call, exc_info=True)
            _abort(context, code, kind, message)
            raise  # unreachable: abort raises


def _image_name(spec: api_pb2.ImageSpec | None, call: str) -> str:
    name = spec.image.strip() if spec is not None else ""
    if not name:
        raise sim.InvalidReferenceError(f"{call}: no image specified (ImageSpec.image is empty)")
    return name


def disk_usage(directory: Path) -> tuple[int, int]:
    """(bytes allocated, inodes) under ``directory``, each inode counted once."""
    seen: set[tuple[int, int]] = set()
    used = 0
    for path in _walk(directory):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue  # removed while we walked
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue
        seen.add(key)
        used += st.st_blocks * 512 if st.st_blocks else (st.st_size if stat.S_ISREG(st.st_mode) else 0)
    return used, len(seen)


def _walk(directory: Path) -> Iterator[str]:
    yield str(directory)
    for parent, dirs, files in os.walk(directory):
        for name in (*dirs, *files):
            yield os.path.join(parent, name)


# -- the server ---------------------------------------------------------------------
@dataclass(frozen=True)
class ListenAddress:
    """``unix:///abs/path`` or ``tcp://host:port`` (port 0: any free port)."""

    text: str
    socket_path: Path | None = None  # unix sockets
    host_port: str | None = None  # tcp

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        if text.startswith("unix://"):
            path = text[len("unix://"):]
            if not path.startswith("/"):
                raise ValueError(f"listen address {text!r}: a unix socket path must be absolute (unix:///path)")
            return cls(text, socket_path=Path(path))
        if text.startswith("tcp://"):
            host_port = text[len("tcp://"):]
            host, sep, port = host_port.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"listen address {text!r} is not tcp://HOST:PORT")
            return cls(text, host_port=host_port)
        raise ValueError(f"listen address {text!r} is neither unix:///PATH nor tcp://HOST:PORT")

    @property
    def grpc_target(self) -> str:
        return f"unix://{self.socket_path}" if self.socket_path else str(self.host_port)


class ServedRuntime(PodRuntime, RuntimeService):
    """RuntimeService: Version and Status (``cri_runtime``), pods and containers as records (``cri_pods``)."""

    def __init__(self, store: ArtifactStore, pods: PodRecords) -> None:
        RuntimeService.__init__(self, store.config)
        PodRuntime.__init__(self, store, pods, ImageService._serve)


class CriServer:
    """A gRPC server with the ImageService (and part of the RuntimeService) for one store."""

    def __init__(self, store: ArtifactStore, listen: str | ListenAddress, workers: int = DEFAULT_WORKERS) -> None:
        self.store = store
        self.listen = listen if isinstance(listen, ListenAddress) else ListenAddress.parse(listen)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cri"),
                                   interceptors=[calls.CallLog()])
        pods = PodRecords()
        api_pb2_grpc.add_ImageServiceServicer_to_server(ImageService(store, pods), self._server)
        self.runtime = ServedRuntime(store, pods)
        api_pb2_grpc.add_RuntimeServiceServicer_to_server(self.runtime, self._server)
        self.address: str | None = None  # where it listens, with the real port
        self._started = False

    def start(self) -> str:
        path = self.listen.socket_path
        if path is not None:
            _clear_stale_socket(path)
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            port = self._server.add_insecure_port(self.listen.grpc_target)
        except RuntimeError as e:  # grpc reports a failed bind this way
            raise OSError(f"cannot listen on {self.listen.text}: {e}") from None
        if path is None:
            host = self.listen.host_port.rpartition(":")[0]  # type: ignore[union-attr]
            self.address = f"tcp://{host}:{port}"
        else:
            self.address = self.listen.text
        self._server.start()
        self._started = True
        return self.address

    def stop(self, grace: float = DEFAULT_GRACE_S) -> None:
        """Refuse new calls, give running ones ``grace`` seconds, remove the socket."""
        if self._started:
            self._server.stop(grace).wait(grace + 5)
            self._started = False
        path = self.listen.socket_path
        if path is not None:
            try:
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    path.unlink()
            except FileNotFoundError:
                pass

    def __enter__(self) -> CriServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket file no server listens on (left by a killed server);
    refuse to touch anything else, or a socket in use."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise OSError(f"cannot listen on unix://{path}: the path exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    except OSError:
        return  # let the bind report it
    finally:
        probe.close()
    raise OSError(f"cannot listen on unix://{path}: another server is listening there")


@contextmanager
def serving(store: ArtifactStore, listen: str, grace: float = DEFAULT_GRACE_S) -> Iterator[CriServer]:
    server = CriServer(store, listen)
    server.start()
    try:
        yield server
    finally:
        server.stop(grace)
