"""Steps that arrange the registry: what it holds, tags that move, faults."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.registry.builder import MODELPACK_DRAFT, Layer, random_content
from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.fixtures.scenario.names import HarnessError
from artifact_conformance.fixtures.scenario.registry_arrangement import CONTAINER_IMAGES, SMALL_LAYER
from artifact_conformance.steps.phrases import ARTIFACT, ARTIFACT_LABELS, FAULT, artifact_labels


@given(parsers.re(r'the registry has ' + ARTIFACT + r' tagged "(?P<ref>[^"]+)"'))
def registry_has_artifact(ctx: Scenario, artifact: str, ref: str):
    ctx.registry.tag(artifact, ref)


@given(parsers.re(r'the registry has ' + ARTIFACT + r', a manifest with (?P<kind>.+), tagged "(?P<ref>[^"]+)"'))
def registry_has_artifact_variant(ctx: Scenario, artifact: str, kind: str, ref: str):
    ctx.registry.push_artifact_variant(artifact, kind, ref)


@given(parsers.re(r"the registry has (?P<kind>" + "|".join(CONTAINER_IMAGES) + r') tagged "(?P<ref>[^"]+)"'))
def registry_has_image(ctx: Scenario, kind: str, ref: str):
    ctx.registry.push_container_image(kind, ref)


@given(parsers.re(r'the registry has artifact index (?P<index>[A-Z]\d*) tagged "(?P<ref>[^"]+)", '
                  r'with an artifact for the host platform and for two others'))
def registry_has_index(ctx: Scenario, index: str, ref: str):
    ctx.registry.push_index(index, ref)


@given(parsers.re(r'the tag "(?P<ref>[^"]+)" is moved to ' + ARTIFACT + r" at the registry"))
@when(parsers.re(r'the tag "(?P<ref>[^"]+)" is moved to ' + ARTIFACT + r" at the registry"))
def tag_moved(ctx: Scenario, ref: str, artifact: str):
    ctx.registry.tag(artifact, ref)


@given(parsers.re(r'the tag "(?P<ref>[^"]+)" is deleted at the registry'))
def tag_deleted(ctx: Scenario, ref: str):
    ctx.registry.delete_tag(ref)


@given(parsers.re(r'the registry has ' + ARTIFACT + r' tagged "(?P<ref>[^"]+)" with an extra field nested '
                  r"(?P<depth>[\d,]+) arrays deep"))
def registry_has_nested(ctx: Scenario, artifact: str, ref: str, depth: str):
    ctx.registry.push_deeply_nested(artifact, ref, int(depth.replace(",", "")))


# --- faults ----------------------------------------------------------------------------------
@given("the registry is unreachable")
def registry_unreachable(ctx: Scenario):
    ctx.faults.unreachable()


@given(parsers.re(r"the registry (?P<fault>" + FAULT + r")"))
def registry_fails(ctx: Scenario, fault: str):
    ctx.faults.inject(fault)


@when("the registry is healthy again")
def registry_healthy(ctx: Scenario):
    ctx.faults.healthy_again()


# --- artifacts' layers -------------------------------------------------------------------------
@given(parsers.re(ARTIFACT + r" has the layers:"))
def artifact_layers(ctx: Scenario, artifact: str, datatable):
    header, *rows = datatable
    if header != ["file", "named by"]:
        raise HarnessError(f"the layer table needs the columns | file | named by |, not {header}")
    layers = []
    for file_name, named_by in rows:
        name = ctx.names.expand(file_name)
        content = random_content(SMALL_LAYER)
        if named_by == "title":
            layers.append(Layer(content=content, title=name))
        elif named_by == "ModelPack file path":
            layers.append(Layer(content=content, filepath_annotation=name))
        elif named_by == "draft ModelPack file path":
            layers.append(Layer(content=content, filepath_annotation=name, modelpack=MODELPACK_DRAFT))
        elif named_by == "nothing":
            layers.append(Layer(content=content))
        else:
            raise HarnessError(f"a layer is named by title, ModelPack file path, draft ModelPack file path or nothing, "
                               f"not {named_by!r}")
    ctx.registry.define(artifact, layers)


@given(parsers.re(ARTIFACT + r" shares a layer with artifact (?P<other>[A-Z]\d*)"))
def shares_layer(ctx: Scenario, artifact: str, other: str):
    ctx.registry.share_layer(artifact, other)


@given(parsers.re(r"artifacts " + ARTIFACT_LABELS + r" whose IDs start with the same (?P<count>\d+) characters"))
def artifacts_sharing_id_start(ctx: Scenario, labels: str, count: str):
    ctx.registry.artifacts_with_same_id_start(artifact_labels(labels), int(count))
