"""The part of CRI v1 RuntimeService that serve-cri answers.

serve-cri runs no containers, but CRI clients ask the runtime service about
itself and its containers before they act on images: ``crictl info`` calls
``Status`` (verbose), ``crictl ps`` calls ``ListContainers``, ``crictl pods``
calls ``ListPodSandbox``, and ``crictl rmi --prune`` lists containers to keep
the images they use (and keeps pinned images: every artifact of a read-only
store, and those ``pinned_images`` matches).

- ``Version``: who answers (``RUNTIME_NAME``, the package version, CRI v1).
- ``Status``: two conditions, ``RuntimeReady`` and ``NetworkReady``, both false
  with the reason ``ImageServiceOnly`` (honest: nothing here can run a pod);
  with ``verbose``, ``info["config"]`` is the configuration served, as JSON
  (``StoreConfig``: root, main store, read-only stores, pinned_images,
  insecure_registries, the auth file's path (never its content), the
  progress timeout, the configuration file).
- ``ListContainers`` / ``ListPodSandbox``: the records of ``Workloads``, which
  holds none today. Image-volume mounts through CRI will add records there
  (a container per mount); the filters below already apply to them.

Every other RuntimeService call is UNIMPLEMENTED (``cri_call_log`` logs it by
name and says what serve-cri serves).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

import grpc
from cri_api.v1 import api_pb2, api_pb2_grpc

from artifact_conformance import __version__

from . import cri_call_log as calls
from .config import StoreConfig

RUNTIME_NAME = "artifact-conformance-reference"
RUNTIME_API_VERSION = "v1"
NOT_READY_REASON = "ImageServiceOnly"
NOT_READY_MESSAGE = ("serve-cri serves the reference artifact store's ImageService; it runs no pods or containers")


def config_json(config: StoreConfig) -> dict:
    """The configuration serve-cri serves, as ``crictl info`` shows it."""
    return {
        "source": config.source,
        "root": str(config.root),
        "mainStore": str(config.main_store_dir),
        "additionalArtifactStores": [str(config.store_dir(p)) for p in config.additional_artifact_stores],
        "pinnedImages": list(config.pinned_images),
        "insecureRegistries": list(config.insecure_registries),
        "globalAuthFile": str(config.global_auth_file) if config.global_auth_file else None,
        "pullProgressTimeoutSeconds": config.pull_progress_timeout or None,
    }


@dataclass
class Workloads:
    """The pod sandboxes and containers serve-cri has: none until mounts through CRI add them."""

    sandboxes: list[api_pb2.PodSandbox] = field(default_factory=list)
    containers: list[api_pb2.Container] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def list_containers(self, wanted: api_pb2.ContainerFilter | None) -> list[api_pb2.Container]:
        with self.lock:
            return [c for c in self.containers if wanted is None or _container_matches(c, wanted)]

    def list_sandboxes(self, wanted: api_pb2.PodSandboxFilter | None) -> list[api_pb2.PodSandbox]:
        with self.lock:
            return [s for s in self.sandboxes if wanted is None or _sandbox_matches(s, wanted)]


def _labels_match(labels, selector) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _container_matches(container: api_pb2.Container, wanted: api_pb2.ContainerFilter) -> bool:
    return ((not wanted.id or container.id.startswith(wanted.id))
            and (not wanted.HasField("state") or container.state == wanted.state.state)
            and (not wanted.pod_sandbox_id or container.pod_sandbox_id.startswith(wanted.pod_sandbox_id))
            and _labels_match(container.labels, wanted.label_selector))


def _sandbox_matches(sandbox: api_pb2.PodSandbox, wanted: api_pb2.PodSandboxFilter) -> bool:
    return ((not wanted.id or sandbox.id.startswith(wanted.id))
            and (not wanted.HasField("state") or sandbox.state == wanted.state.state)
            and _labels_match(sandbox.labels, wanted.label_selector))


class RuntimeService(api_pb2_grpc.RuntimeServiceServicer):
    """Version, Status, ListContainers and ListPodSandbox over one configuration."""

    def __init__(self, config: StoreConfig, workloads: Workloads | None = None) -> None:
        self.config = config
        self.workloads = workloads or Workloads()

    def Version(self, request: api_pb2.VersionRequest, context: grpc.ServicerContext) -> api_pb2.VersionResponse:
        calls.note(runtime=RUNTIME_NAME)
        return api_pb2.VersionResponse(version="0.1.0", runtime_name=RUNTIME_NAME, runtime_version=__version__,
                                       runtime_api_version=RUNTIME_API_VERSION)

    def Status(self, request: api_pb2.StatusRequest, context: grpc.ServicerContext) -> api_pb2.StatusResponse:
        conditions = [api_pb2.RuntimeCondition(type=kind, status=False, reason=NOT_READY_REASON,
                                               message=NOT_READY_MESSAGE)
                      for kind in ("RuntimeReady", "NetworkReady")]
        info = {"config": json.dumps(config_json(self.config), sort_keys=True)} if request.verbose else {}
        calls.note(outcome="image service only", verbose=request.verbose or None, store=str(self.config.main_store_dir))
        return api_pb2.StatusResponse(status=api_pb2.RuntimeStatus(conditions=conditions), info=info)

    def ListContainers(self, request: api_pb2.ListContainersRequest,
                       context: grpc.ServicerContext) -> api_pb2.ListContainersResponse:
        found = self.workloads.list_containers(request.filter if request.HasField("filter") else None)
        calls.note(outcome=calls.count(len(found), "container"))
        return api_pb2.ListContainersResponse(containers=found)

    def ListPodSandbox(self, request: api_pb2.ListPodSandboxRequest,
                       context: grpc.ServicerContext) -> api_pb2.ListPodSandboxResponse:
        found = self.workloads.list_sandboxes(request.filter if request.HasField("filter") else None)
        calls.note(outcome=calls.count(len(found), "pod sandbox", "pod sandboxes"))
        return api_pb2.ListPodSandboxResponse(items=found)
