"""The pod and container calls of CRI's RuntimeService that image volumes need, for the reference store.

Pod sandboxes and containers are *records*, not processes: nothing runs. What
is faithful is what a CRI client can observe about an artifact handed to a
workload, in CRI-O's shape:

- ``RunPodSandbox`` / ``StopPodSandbox`` / ``RemovePodSandbox`` and
  ``CreateContainer`` / ``StartContainer`` / ``StopContainer`` /
  ``RemoveContainer`` move records through CRI's states (removing a sandbox
  removes its containers; removing what is gone is a success, as CRI asks).
- A container ``Mount`` whose ``image`` is set is an image volume: the
  artifact is resolved by the reference store's own mount rules
  (``ArtifactStore.mount_paths``): each named layer becomes a read-only bind
  mount of its blob, from the store that resolved it, at
  ``container_path/<name>``; unnamed and unsafe names are skipped with a
  warning; a blob that fails verification refuses the whole ``CreateContainer``
  (DATA_LOSS), so it is never mounted. A ``host_path`` mount is recorded as the
  bind mount it asks for.
- ``ContainerStatus(verbose=True)`` puts in ``info["info"]`` what CRI-O puts
  there: JSON with ``sandboxID``, ``pid`` (0: no process), ``privileged`` and
  ``runtimeSpec``, the OCI spec, whose ``mounts`` name each file's host
  ``source``.
- ``ListContainers`` and ``ListPodSandbox`` answer with the records (filters:
  id, state, sandbox, labels), so ``crictl rmi --prune`` sees what is in use.
- An artifact that a container (in any state, until it is removed) mounts
  from the main store cannot be removed: ``RemoveImage`` fails with
  FAILED_PRECONDITION "the image is in use by <container IDs>". CRI-O does the
  same ("the image is in use by <id>"), and it is what the contract's purpose
  needs: the blobs are bound into the container, and kubelet's GC must not
  take them away under it. An artifact served from a read-only store is never
  removed anyway, so its users do not matter.

``ExecSync`` stays UNIMPLEMENTED: there is no process to run a command in.
"""

from __future__ import annotations

import json
import posixpath
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import grpc
from cri_api.v1 import api_pb2, api_pb2_grpc

from . import cri_call_log as calls
from . import errors as sim
from .store import ArtifactStore

T = TypeVar("T")
#: How a call's handler runs: store errors become gRPC statuses (cri_server's ImageService._serve).
Serve = Callable[[grpc.ServicerContext, str, Callable[[], T]], T]
OCI_VERSION = "1.0.2"


class RuntimeNotFound(sim.NotFoundError):
    """A sandbox or container ID the runtime has no record of."""


@dataclass
class ArtifactUse:
    """One image volume: which artifact, from which store."""

    reference: str
    digest: str
    store: str
    read_only: bool


@dataclass
class SandboxRecord:
    id: str
    config: api_pb2.PodSandboxConfig
    created_at: int
    state: int = api_pb2.SANDBOX_READY


@dataclass
class ContainerRecord:
    id: str
    sandbox_id: str
    config: api_pb2.ContainerConfig
    created_at: int
    mounts: list[dict] = field(default_factory=list)  # OCI spec mounts
    uses: list[ArtifactUse] = field(default_factory=list)
    state: int = api_pb2.CONTAINER_CREATED
    started_at: int = 0
    finished_at: int = 0


def _new_id() -> str:
    return secrets.token_hex(32)


class PodRecords:
    """The records, shared by the RuntimeService and the ImageService (in-use checks)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sandboxes: dict[str, SandboxRecord] = {}
        self.containers: dict[str, ContainerRecord] = {}

    def users_of_main_store_artifact(self, digest: str) -> list[str]:
        """IDs of the containers that mount artifact ``digest`` from the main store."""
        with self.lock:
            return sorted(c.id for c in self.containers.values()
                          if any(u.digest == digest and not u.read_only for u in c.uses))

    def sandbox(self, sandbox_id: str) -> SandboxRecord:
        try:
            return self.sandboxes[sandbox_id]
        except KeyError:
            raise RuntimeNotFound(f"pod sandbox {sandbox_id!r} not found") from None

    def container(self, container_id: str) -> ContainerRecord:
        try:
            return self.containers[container_id]
        except KeyError:
            raise RuntimeNotFound(f"container {container_id!r} not found") from None


def refuse_removal_in_use(store: ArtifactStore, pods: PodRecords, name_or_id: str) -> None:
    """RemoveImage's check: an artifact a container mounts from the main store stays."""
    try:
        record = store.status(name_or_id)
    except sim.NotFoundError:
        return
    if record.read_only:
        return  # the main store's copy, if any, is not the one mounted
    users = pods.users_of_main_store_artifact(record.digest)
    if users:
        raise sim.RefusedError(f"{name_or_id}: the image is in use by {', '.join(users)}")


class PodRuntime(api_pb2_grpc.RuntimeServiceServicer):
    """Sandboxes, containers and image volumes as records over one ArtifactStore."""

    def __init__(self, store: ArtifactStore, pods: PodRecords, serve: Serve) -> None:
        self.store = store
        self.pods = pods
        self._serve = serve

    # -- sandboxes ------------------------------------------------------------------
    def RunPodSandbox(self, request, context):
        def run():
            if not request.HasField("config") or not request.config.metadata.name:
                raise sim.InvalidReferenceError("RunPodSandbox: the sandbox config has no metadata name")
            record = SandboxRecord(_new_id(), request.config, time.time_ns())
            with self.pods.lock:
                self.pods.sandboxes[record.id] = record
            return api_pb2.RunPodSandboxResponse(pod_sandbox_id=record.id)
        return self._serve(context, "RunPodSandbox", run)

    def StopPodSandbox(self, request, context):
        def stop():
            with self.pods.lock:
                sandbox = self.pods.sandbox(request.pod_sandbox_id)
                sandbox.state = api_pb2.SANDBOX_NOTREADY
                for container in self.pods.containers.values():
                    if container.sandbox_id == sandbox.id:
                        _stop(container)
            return api_pb2.StopPodSandboxResponse()
        return self._serve(context, "StopPodSandbox", stop)

    def RemovePodSandbox(self, request, context):
        def remove():
            with self.pods.lock:
                if self.pods.sandboxes.pop(request.pod_sandbox_id, None) is not None:
                    for container_id in [c.id for c in self.pods.containers.values()
                                         if c.sandbox_id == request.pod_sandbox_id]:
                        del self.pods.containers[container_id]
            return api_pb2.RemovePodSandboxResponse()
        return self._serve(context, "RemovePodSandbox", remove)

    def PodSandboxStatus(self, request, context):
        def status():
            with self.pods.lock:
                sandbox = self.pods.sandbox(request.pod_sandbox_id)
                return api_pb2.PodSandboxStatusResponse(status=_sandbox_status(sandbox))
        return self._serve(context, "PodSandboxStatus", status)

    def ListPodSandbox(self, request, context):
        def list_sandboxes():
            wanted = request.filter if request.HasField("filter") else None
            with self.pods.lock:
                items = [_sandbox_entry(s) for s in self.pods.sandboxes.values()
                         if wanted is None or _sandbox_matches(s, wanted)]
            calls.note(outcome=calls.count(len(items), "pod sandbox", "pod sandboxes"))
            return api_pb2.ListPodSandboxResponse(items=items)
        return self._serve(context, "ListPodSandbox", list_sandboxes)

    # -- containers -------------------------------------------------------------------
    def CreateContainer(self, request, context):
        def create():
            config = request.config
            if not config.metadata.name:
                raise sim.InvalidReferenceError("CreateContainer: the container config has no metadata name")
            if not config.image.image:
                raise sim.InvalidReferenceError("CreateContainer: no image specified (config.image.image is empty)")
            with self.pods.lock:
                self.pods.sandbox(request.pod_sandbox_id)
            mounts, uses = self._mounts(config)  # outside the lock: it reads (and verifies) blobs
            record = ContainerRecord(_new_id(), request.pod_sandbox_id, config, time.time_ns(), mounts, uses)
            with self.pods.lock:
                sandbox = self.pods.sandbox(request.pod_sandbox_id)
                if sandbox.state != api_pb2.SANDBOX_READY:
                    raise sim.RefusedError(f"CreateContainer: pod sandbox {sandbox.id} is not ready")
                self.pods.containers[record.id] = record
            return api_pb2.CreateContainerResponse(container_id=record.id)
        return self._serve(context, "CreateContainer", create)

    def _mounts(self, config: api_pb2.ContainerConfig) -> tuple[list[dict], list[ArtifactUse]]:
        mounts: list[dict] = []
        uses: list[ArtifactUse] = []
        for mount in config.mounts:
            target = posixpath.normpath(mount.container_path or "/")
            if not target.startswith("/"):
                raise sim.InvalidReferenceError(f"CreateContainer: mount container_path {mount.container_path!r} "
                                                "is not absolute")
            if mount.HasField("image") and mount.image.image:
                name = mount.image.image
                record = self.store.status(name)
                for path in self.store.mount_paths(name, mount.image_sub_path):
                    mounts.append({"destination": posixpath.join(target, path.name), "type": "bind",
                                   "source": path.path, "options": ["bind", "ro"]})
                uses.append(ArtifactUse(name, record.digest, record.store, record.read_only))
            elif mount.host_path:
                mounts.append({"destination": target, "type": "bind", "source": mount.host_path,
                               "options": ["rbind", "ro" if mount.readonly else "rw"]})
            else:
                raise sim.InvalidReferenceError(f"CreateContainer: mount at {mount.container_path!r} has neither "
                                                "host_path nor image")
        return mounts, uses

    def StartContainer(self, request, context):
        def start():
            with self.pods.lock:
                container = self.pods.container(request.container_id)
                if container.state != api_pb2.CONTAINER_CREATED:
                    raise sim.RefusedError(f"StartContainer: container {container.id} is "
                                         f"{api_pb2.ContainerState.Name(container.state)}, not CONTAINER_CREATED")
                container.state, container.started_at = api_pb2.CONTAINER_RUNNING, time.time_ns()
            return api_pb2.StartContainerResponse()
        return self._serve(context, "StartContainer", start)

    def StopContainer(self, request, context):
        def stop():
            with self.pods.lock:
                _stop(self.pods.container(request.container_id))
            return api_pb2.StopContainerResponse()
        return self._serve(context, "StopContainer", stop)

    def RemoveContainer(self, request, context):
        def remove():
            with self.pods.lock:
                self.pods.containers.pop(request.container_id, None)
            return api_pb2.RemoveContainerResponse()
        return self._serve(context, "RemoveContainer", remove)

    def ContainerStatus(self, request, context):
        def status():
            with self.pods.lock:
                container = self.pods.container(request.container_id)
                info = {"info": json.dumps(_verbose_info(container))} if request.verbose else {}
                return api_pb2.ContainerStatusResponse(status=_container_status(container), info=info)
        return self._serve(context, "ContainerStatus", status)

    def ListContainers(self, request, context):
        def list_containers():
            wanted = request.filter if request.HasField("filter") else None
            with self.pods.lock:
                found = [_container_entry(c) for c in self.pods.containers.values()
                         if wanted is None or _container_matches(c, wanted)]
            calls.note(outcome=calls.count(len(found), "container"))
            return api_pb2.ListContainersResponse(containers=found)
        return self._serve(context, "ListContainers", list_containers)


def _stop(container: ContainerRecord) -> None:
    if container.state in (api_pb2.CONTAINER_CREATED, api_pb2.CONTAINER_RUNNING):
        container.state, container.finished_at = api_pb2.CONTAINER_EXITED, time.time_ns()


def _labels_match(labels, selector) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _sandbox_matches(sandbox: SandboxRecord, wanted: api_pb2.PodSandboxFilter) -> bool:
    if wanted.id and not sandbox.id.startswith(wanted.id):
        return False
    if wanted.HasField("state") and wanted.state.state != sandbox.state:
        return False
    return _labels_match(sandbox.config.labels, wanted.label_selector)


def _container_matches(container: ContainerRecord, wanted: api_pb2.ContainerFilter) -> bool:
    if wanted.id and not container.id.startswith(wanted.id):
        return False
    if wanted.pod_sandbox_id and not container.sandbox_id.startswith(wanted.pod_sandbox_id):
        return False
    if wanted.HasField("state") and wanted.state.state != container.state:
        return False
    return _labels_match(container.config.labels, wanted.label_selector)


def _sandbox_fields(sandbox: SandboxRecord) -> dict:
    """What PodSandbox (ListPodSandbox) and PodSandboxStatus share."""
    config = sandbox.config
    return {"id": sandbox.id, "metadata": config.metadata, "state": sandbox.state, "created_at": sandbox.created_at,
            "labels": config.labels, "annotations": config.annotations}


def _sandbox_entry(sandbox: SandboxRecord) -> api_pb2.PodSandbox:
    return api_pb2.PodSandbox(**_sandbox_fields(sandbox))


def _sandbox_status(sandbox: SandboxRecord) -> api_pb2.PodSandboxStatus:
    return api_pb2.PodSandboxStatus(**_sandbox_fields(sandbox))


def _container_entry(container: ContainerRecord) -> api_pb2.Container:
    config = container.config
    return api_pb2.Container(id=container.id, pod_sandbox_id=container.sandbox_id, metadata=config.metadata,
                             image=config.image, image_ref=config.image.image, state=container.state,
                             created_at=container.created_at, labels=config.labels, annotations=config.annotations)


def _container_status(container: ContainerRecord) -> api_pb2.ContainerStatus:
    config = container.config
    mounts = [api_pb2.Mount(container_path=m.container_path, host_path=m.host_path, readonly=m.readonly,
                            image=m.image) for m in config.mounts]
    return api_pb2.ContainerStatus(
        id=container.id, metadata=config.metadata, state=container.state, created_at=container.created_at,
        started_at=container.started_at, finished_at=container.finished_at, image=config.image,
        image_ref=config.image.image, labels=config.labels, annotations=config.annotations, mounts=mounts,
    )


def _verbose_info(container: ContainerRecord) -> dict:
    """CRI-O's verbose ContainerStatus info, for a container that is a record."""
    config = container.config
    return {
        "sandboxID": container.sandbox_id,
        "pid": 0,
        "privileged": False,
        "runtimeSpec": {
            "ociVersion": OCI_VERSION,
            "process": {"args": list(config.command) + list(config.args), "cwd": config.working_dir or "/"},
            "root": {"path": "", "readonly": False},
            "mounts": container.mounts,
        },
    }
