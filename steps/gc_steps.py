"""Steps that run a kubelet-style image garbage collector against the system."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from artifact_conformance.fixtures.scenario_context import ScenarioContext


@given(parsers.re(r"artifact (?P<artifact>[A-Z]\d*) is in use by a container"))
def in_use(ctx: ScenarioContext, artifact: str):
    ctx.image_gc().mark_in_use([ctx.artifact(artifact).id])


@given(parsers.re(r"a container used artifact (?P<first>[A-Z]\d*), then one used artifact (?P<second>[A-Z]\d*)"))
def used_in_order(ctx: ScenarioContext, first: str, second: str):
    gc = ctx.image_gc()
    gc.used(ctx.artifact(first).id)
    gc.used(ctx.artifact(second).id)


@when("the image garbage collector frees as much space as it can")
def gc_frees_all(ctx: ScenarioContext):
    ctx.collect_garbage(None)


@when(parsers.re(r"the image garbage collector frees the size of artifact (?P<artifact>[A-Z]\d*)"))
def gc_frees_size_of(ctx: ScenarioContext, artifact: str):
    ctx.collect_garbage(ctx.artifact(artifact).size)


@then(parsers.re(r"the garbage collector removed artifact (?P<artifact>[A-Z]\d*) only"))
def gc_removed_only(ctx: ScenarioContext, artifact: str):
    ctx.assert_gc_removed([artifact])
