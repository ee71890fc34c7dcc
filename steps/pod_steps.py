"""Steps that start pods with image volumes, as kubelet does, and look inside them."""

from __future__ import annotations

from pytest_bdd import parsers, when

from artifact_conformance.fixtures.adapters.interface import PODS, require
from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.checks import then

MOUNTED_AT = r'"(?P<{0}>[^"]+)" at "(?P<{0}_path>/[^"]*)"'


@when(parsers.re(r'a pod mounts "(?P<ref>[^"]+)"'))
def pod_mounts(ctx: Scenario, ref: str):
    require(ctx.sut, PODS)
    ctx.pods.start([(ref, "/volume")])


@when(parsers.re(r"a pod mounts " + MOUNTED_AT.format("first") + r" and " + MOUNTED_AT.format("second")))
def pod_mounts_two(ctx: Scenario, first: str, first_path: str, second: str, second_path: str):
    require(ctx.sut, PODS)
    ctx.pods.start([(first, first_path), (second, second_path)])


@when(parsers.re(r'(?P<count>\d+) pods that mount "(?P<ref>[^"]+)" start at once'))
def pods_at_once(ctx: Scenario, count: str, ref: str):
    require(ctx.sut, PODS)
    ctx.pods.start_at_once(int(count), ref)


@then("the volume is read-only inside the container: writing, removing and creating files there fails")
def volume_read_only(ctx: Scenario):
    ctx.pods.assert_read_only()


@then(parsers.re(r'the volume at "(?P<path>/[^"]*)" holds the files of artifact (?P<artifact>[A-Z]\d*)'))
def volume_holds(ctx: Scenario, path: str, artifact: str):
    ctx.pods.assert_volume_holds(path, artifact)


@then(parsers.re(r"each pod's volume holds the files of artifact (?P<artifact>[A-Z]\d*)"))
def each_pod_holds(ctx: Scenario, artifact: str):
    ctx.pods.assert_each_pod_holds(artifact)
