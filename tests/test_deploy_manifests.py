"""The manifests in deploy/ against the Kubernetes API schema, and what the
schema cannot see.

Validated here, without a cluster:
- every Kubernetes object (Namespace, ServiceAccount, DaemonSet, Job) against
  the OpenAPI-derived JSON schemas of kubernetes-validate, strict (an unknown
  or misspelt field is an error), for the oldest and newest Kubernetes
  versions it ships;
- the sonobuoy plugin's ``spec`` as a core/v1 Container and its ``podSpec``
  as a core/v1 PodSpec, with the same schemas, and its ``sonobuoy-config``
  against the fields sonobuoy's manifest type has;
- what the schema allows but the run needs: every volume mount names a
  volume, the hostPath mounts are exactly the stated ones, no container is
  privileged or keeps a capability, NODE_NAME comes from spec.nodeName, and
  the arguments are ones ``artifact-conformance run`` accepts.

Not validated without a cluster: admission (Pod Security levels, quotas),
scheduling (tolerations, the node selector), that the image can be pulled,
that hostPath types match what is on a node, and sonobuoy's own handling.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import jsonschema
import pytest
import referencing
import yaml

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")
from kubernetes_validate import utils as kv_utils  # noqa: E402

from artifact_conformance.cli import parse_arguments  # noqa: E402
from tests.pytest_runs import run_pytest  # noqa: E402

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
KUBERNETES_MANIFESTS = ("daemonset.yaml", "job.yaml")
SONOBUOY_FIELDS = {"driver", "plugin-name", "result-format", "result-files", "skip-cleanup", "description",
                   "source-url"}
SONOBUOY_VOLUME = "results"  # added to the pod by sonobuoy itself
ALLOWED_HOST_PATHS = {"/var/run/crio/crio.sock", "/etc/crio/crio.conf.d", "/var/lib/artifact-conformance"}


def versions() -> list[str]:
    every = kv_utils.all_versions()
    return sorted({every[0], every[-1]})


def documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def pod_specs() -> list[tuple[str, dict]]:
    specs = []
    for name in KUBERNETES_MANIFESTS:
        for resource in documents(name):
            template = (resource.get("spec") or {}).get("template")
            if template:
                specs.append((f"{name}:{resource['kind']}", template["spec"]))
    plugin = documents("sonobuoy-plugin.yaml")[0]
    specs.append(("sonobuoy-plugin.yaml", {**plugin["podSpec"], "containers": [plugin["spec"]]}))
    return specs


def containers(spec: dict) -> list[dict]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def validate_definition(instance: dict, schema_file: str, version: str) -> None:
    """One core/v1 definition (Container, PodSpec), strict, as kubernetes-validate does for a resource."""
    directory = f"kubernetes-json-schema/v{version}-local-strict"
    schema = kv_utils.schema_contents(f"{directory}/{schema_file}", version)
    definitions = kv_utils.schema_contents(f"{directory}/_definitions.json", version)
    registry = referencing.Resource.from_contents(schema) @ referencing.Registry()
    registry = referencing.Resource.from_contents(definitions) @ registry
    jsonschema.validators.Draft202012Validator(schema, registry=registry).validate(instance)


@pytest.mark.parametrize("version", versions())
@pytest.mark.parametrize("name", KUBERNETES_MANIFESTS)
def test_each_object_is_valid_for_the_kubernetes_api(name: str, version: str):
    kinds = []
    for resource in documents(name):
        kubernetes_validate.validate(resource, version, strict=True)
        kinds.append(resource["kind"])
    assert {"DaemonSet", "Job"} & set(kinds), kinds


@pytest.mark.parametrize("version", versions())
def test_the_sonobuoy_plugin_holds_a_valid_container_and_pod_spec(version: str):
    [plugin] = documents("sonobuoy-plugin.yaml")
    assert set(plugin) == {"sonobuoy-config", "podSpec", "spec"}
    config = plugin["sonobuoy-config"]
    assert set(config) <= SONOBUOY_FIELDS, set(config) - SONOBUOY_FIELDS
    assert (config["driver"], config["result-format"]) == ("DaemonSet", "junit")
    validate_definition(plugin["spec"], "container-v1.json", version)
    validate_definition(plugin["podSpec"], "podspec-v1.json", version)
    mounts = {m["mountPath"]: m["name"] for m in plugin["spec"]["volumeMounts"]}
    assert mounts["/tmp/sonobuoy/results"] == SONOBUOY_VOLUME, "sonobuoy's worker reads the results from there"
    env = {e["name"]: e.get("value") for e in plugin["spec"]["env"]}
    assert env["RESULTS_MODE"] == "sonobuoy"


def test_the_schema_rejects_what_it_should():
    """The validation bites: a misspelt field and a wrong type are errors."""
    daemonset = next(r for r in documents("daemonset.yaml") if r["kind"] == "DaemonSet")
    daemonset["spec"]["template"]["spec"]["hostNetwrok"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(daemonset, versions()[-1], strict=True)
    [plugin] = documents("sonobuoy-plugin.yaml")
    plugin["spec"]["volumeMounts"][0]["readOnly"] = "yes"
    with pytest.raises(jsonschema.ValidationError):
        validate_definition(plugin["spec"], "container-v1.json", versions()[-1])


@pytest.mark.parametrize("where,spec", pod_specs(), ids=[w for w, _ in pod_specs()])
def test_mounts_privileges_and_node_name(where: str, spec: dict):
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    host_paths = {v["hostPath"]["path"] for v in volumes.values() if "hostPath" in v}
    assert host_paths <= ALLOWED_HOST_PATHS, host_paths - ALLOWED_HOST_PATHS
    assert "/var/run/crio/crio.sock" in host_paths
    assert spec.get("automountServiceAccountToken") is False, "the suite never talks to the Kubernetes API"
    assert spec["hostNetwork"] is True and spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    for container in containers(spec):
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes or (where.startswith("sonobuoy") and mount["name"] == SONOBUOY_VOLUME), \
                f"{container['name']} mounts undeclared volume {mount['name']}"
            if mount["name"] == "crio-dropins":
                assert mount.get("readOnly") is True
        security = container["securityContext"]
        assert security.get("privileged", False) is False and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"] == {"drop": ["ALL"]}
    runner = next(c for c in containers(spec) if c.get("command") == ["artifact-conformance-node"])
    node = next(e for e in runner["env"] if e["name"] == "NODE_NAME")
    assert node["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"


@functools.cache
def suite_option_names() -> frozenset[str]:
    """The options pytest knows with the suite's plugins loaded (what run passes them to)."""
    from artifact_conformance.run_command import PLUGINS_MODULE

    shown = run_pytest("-p", PLUGINS_MODULE, "--help", cwd=DEPLOY, timeout=120).stdout
    return frozenset(word.split("=", 1)[0].rstrip(",") for word in shown.split() if word.startswith("--"))


@pytest.mark.parametrize("where,spec", pod_specs(), ids=[w for w, _ in pod_specs()])
def test_the_arguments_are_ones_run_accepts(where: str, spec: dict):
    runner = next(c for c in containers(spec) if c.get("command") == ["artifact-conformance-node"])
    args = parse_arguments(["run", *runner["args"]])
    assert args.profile in ("full", "observe")
    assert "--probe-listen=127.0.0.1:5050" in args.unknown_options
    # run hands the options it does not own to pytest: each must be one of the suite's plugins.
    unknown = [a.split("=", 1)[0] for a in args.unknown_options if a.startswith("-")]
    assert [a for a in unknown if a not in suite_option_names()] == [], where
    stores_mounted = any(m["name"] == "stores" for m in runner.get("volumeMounts", []))
    # The observe profile never writes a store path; the full one needs the stores mounted.
    assert stores_mounted == (args.profile == "full"), (where, args.profile)


def test_node_run_hands_sonobuoy_a_done_file_naming_a_tarball_with_the_junit(tmp_path: Path):
    """deploy/node-run.sh (the image's artifact-conformance-node) in sonobuoy mode, on the reference store."""
    import os
    import sys
    import tarfile

    results = tmp_path / "sonobuoy-results"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(RESULTS_MODE="sonobuoy", SONOBUOY_RESULTS_DIR=str(results), NODE_NAME="worker-1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    run = subprocess.run(["sh", str(DEPLOY / "node-run.sh"), "-k", "first_readonly_store_wins"],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    tarball = Path((results / "done").read_text())
    assert tarball == results / "artifact-conformance-worker-1.tar.gz" and tarball.is_file()
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        junit = archive.extractfile("artifact-conformance-worker-1/junit.xml").read().decode()
    assert {"artifact-conformance-worker-1/results.json", "artifact-conformance-worker-1/exit-status"} <= names
    assert "<testcase" in junit
