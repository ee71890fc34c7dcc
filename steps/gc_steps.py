"""Steps that run a kubelet-style image garbage collector against the system."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.checks import then


@given(parsers.re(r"artifact (?P<artifact>[A-Z]\d*) is in use by a container"))
def in_use(ctx: Scenario, artifact: str):
    ctx.gc.mark_in_use(artifact)


@given(parsers.re(r"a container used artifact (?P<first>[A-Z]\d*), then one used artifact (?P<second>[A-Z]\d*)"))
def used_in_order(ctx: Scenario, first: str, second: str):
    ctx.gc.used_in_order(first, second)


@given(parsers.re(r"a container used artifact (?P<artifact>[A-Z]\d*)"))
def used_once(ctx: Scenario, artifact: str):
    ctx.gc.used_in_order(artifact)


@given(parsers.re(r"(?P<hours>\d+) hours pass"))
def hours_pass(ctx: Scenario, hours: str):
    ctx.gc.pass_time(int(hours) * 3600)


@when(parsers.re(r"the image garbage collector removes images unused for more than (?P<hours>\d+) hours"))
def gc_age_mode(ctx: Scenario, hours: str):
    ctx.gc.collect_old(int(hours) * 3600)


@when("the image garbage collector frees as much space as it can")
def gc_frees_all(ctx: Scenario):
    ctx.gc.collect(None)


@when(parsers.re(r"the image garbage collector frees the size of artifact (?P<artifact>[A-Z]\d*)"))
def gc_frees_size_of(ctx: Scenario, artifact: str):
    ctx.gc.collect_size_of(artifact)


@then(parsers.re(r"the garbage collector removed artifact (?P<artifact>[A-Z]\d*) only"))
def gc_removed_only(ctx: Scenario, artifact: str):
    ctx.gc.assert_removed([artifact])
