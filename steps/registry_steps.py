"""Steps that arrange the registry: what it holds, tags that move, faults."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.artifacts import Layer, random_content
from artifact_conformance.fixtures.scenario_context import SMALL_LAYER, HarnessError, ScenarioContext
from artifact_conformance.fixtures.traffic_probe import Fault

BLOB_GET = r"/v2/.+/blobs/sha256:"


@given(parsers.re(r'the registry has artifact (?P<artifact>[A-Z]\d*) tagged "(?P<ref>[^"]+)"'))
def registry_has_artifact(ctx: ScenarioContext, artifact: str, ref: str):
    ctx.tag_at_registry(artifact, ref)


@given(parsers.re(r'the registry has artifact (?P<artifact>[A-Z]\d*), a manifest with (?P<kind>.+), tagged "(?P<ref>[^"]+)"'))
def registry_has_artifact_variant(ctx: ScenarioContext, artifact: str, kind: str, ref: str):
    ctx.push_artifact_variant(artifact, kind, ref)


@given(parsers.re(r'the registry has (?P<kind>an OCI container image|a Docker v2 container image|'
                  r'an image index whose host-platform instance is a container image|'
                  r'a manifest with an OCI image config and no artifactType) tagged "(?P<ref>[^"]+)"'))
def registry_has_image(ctx: ScenarioContext, kind: str, ref: str):
    ctx.push_container_image(kind, ref)


@given(parsers.re(r'the registry has artifact index (?P<index>[A-Z]\d*) tagged "(?P<ref>[^"]+)", '
                  r'with an artifact for the host platform and for two others'))
def registry_has_index(ctx: ScenarioContext, index: str, ref: str):
    ctx.push_index(index, ref)


@given(parsers.re(r'the tag "(?P<ref>[^"]+)" is moved to artifact (?P<artifact>[A-Z]\d*) at the registry'))
@when(parsers.re(r'the tag "(?P<ref>[^"]+)" is moved to artifact (?P<artifact>[A-Z]\d*) at the registry'))
def tag_moved(ctx: ScenarioContext, ref: str, artifact: str):
    ctx.tag_at_registry(artifact, ref)


@given(parsers.re(r'the tag "(?P<ref>[^"]+)" is deleted at the registry'))
def tag_deleted(ctx: ScenarioContext, ref: str):
    ctx.delete_tag_at_registry(ref)


@given("the registry is unreachable")
def registry_unreachable(ctx: ScenarioContext):
    ctx.probe.set_reachable(False)  # the probe fixture makes it reachable again after the scenario


@given(parsers.re(r"the registry (?P<fault>cuts the connection in the middle of a blob, on every request|"
                  r"answers (?P<status>\d{3}) to every blob request)"))
def registry_fault(ctx: ScenarioContext, fault: str, status: str | None):
    if status:
        ctx.probe.inject(Fault.answer(int(status), path=BLOB_GET, method="GET", times=None))
    else:
        ctx.probe.inject(Fault.cut(SMALL_LAYER // 2, path=BLOB_GET, method="GET", times=None))


@given(parsers.re(r"artifact (?P<artifact>[A-Z]\d*) has the layers:"))
def artifact_layers(ctx: ScenarioContext, artifact: str, datatable):
    header, *rows = datatable
    if header != ["file", "named by"]:
        raise HarnessError(f"the layer table needs the columns | file | named by |, not {header}")
    layers = []
    for file_name, named_by in rows:
        name = ctx.expand(file_name)
        content = random_content(SMALL_LAYER)
        if named_by == "title":
            layers.append(Layer(content=content, title=name))
        elif named_by == "ModelPack file path":
            layers.append(Layer(content=content, filepath_annotation=name))
        elif named_by == "nothing":
            layers.append(Layer(content=content))
        else:
            raise HarnessError(f"a layer is named by title, ModelPack file path or nothing, not {named_by!r}")
    ctx.define(artifact, layers)


@given(parsers.re(r"artifact (?P<artifact>[A-Z]\d*) shares a layer with artifact (?P<other>[A-Z]\d*)"))
def shares_layer(ctx: ScenarioContext, artifact: str, other: str):
    ctx.share_layer(artifact, other)


@given(parsers.re(r"artifacts (?P<first>[A-Z]\d*) and (?P<second>[A-Z]\d*) whose IDs start with the same "
                  r"(?P<count>\d+) characters"))
def artifacts_sharing_id_start(ctx: ScenarioContext, first: str, second: str, count: str):
    ctx.artifacts_with_same_id_start(first, second, int(count))
