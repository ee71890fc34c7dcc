"""Steps that put read-only stores on the media nodes keep them on, and make those media fail."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.checks import then
from artifact_conformance.steps.phrases import ARTIFACT, STORE

EXPORT = r'the network export of the read-only store "(?P<label>[^"]+)"'
# How an export fails: "answers EIO for index.json", "answers EIO for the manifest of artifact A",
# "goes away" (its server dies: ENOTCONN), "stalls" (every operation blocks, as on a dead server).
EXPORT_FAILURE = (r"(?P<failure>answers EIO for (?:index\.json|the (?:manifest|layer) of artifact [A-Z]\d*)"
                  r"|goes away|stalls)")


def _fail(ctx: Scenario, label: str, failure: str) -> None:
    if failure == "stalls":
        ctx.media.stall(label)
    elif failure == "goes away":
        ctx.media.go_away(label)
    else:
        ctx.media.eio(label, failure.removeprefix("answers EIO for "))


@given(parsers.re(STORE + r" is on a read-only (?P<kind>squashfs|erofs) image"))
def store_on_image(ctx: Scenario, label: str, kind: str):
    ctx.media.image(label, kind)


@given(parsers.re(STORE + r" is on a network export"))
def store_on_export(ctx: Scenario, label: str):
    ctx.media.export(label)


@given(parsers.re(EXPORT + r" answers every operation after (?P<ms>\d+) ms"))
def export_latency(ctx: Scenario, label: str, ms: str):
    ctx.media.latency(label, int(ms))


@given(parsers.re(EXPORT + r" " + EXPORT_FAILURE + r" before the node starts"))
def export_fails_before_start(ctx: Scenario, label: str, failure: str):
    _fail(ctx, label, failure)


@when(parsers.re(EXPORT + r" " + EXPORT_FAILURE))
def export_fails(ctx: Scenario, label: str, failure: str):
    _fail(ctx, label, failure)


@when(parsers.re(EXPORT + r" answers again"))
def export_recovers(ctx: Scenario, label: str):
    ctx.media.resume(label)


@when(parsers.re(r'the image of the read-only store "(?P<label>[^"]+)" is swapped for one that also holds '
                 + ARTIFACT + r' as "(?P<ref>[^"]+)"'))
def image_swapped(ctx: Scenario, label: str, artifact: str, ref: str):
    ctx.media.swap_image(label, artifact, ref)


@then(parsers.re(EXPORT + r" was asked for no write"))
def export_not_written(ctx: Scenario, label: str):
    ctx.media.assert_no_writes(label)
