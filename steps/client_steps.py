"""Steps where the client (kubelet, crictl) calls the system: one call each."""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.scenario_context import ScenarioContext
from artifact_conformance.fixtures.sut import MOUNT_PATHS, require

QUOTED = re.compile(r'"([^"]*)"')
ID_PART = r"(?P<which>all 64 characters|the first (?P<count>\d+) characters|the first character)"


@given(parsers.re(r'the client has pulled (?P<refs>"[^"]+"(?:(?:, | and )"[^"]+")*)'))
def client_has_pulled(ctx: ScenarioContext, refs: str):
    ctx.pull_all(QUOTED.findall(refs))


@when(parsers.re(r'the client pulls "(?P<ref>[^"]+)"'))
def client_pulls(ctx: ScenarioContext, ref: str):
    reference = ctx.reference(ref)
    ctx.act("pull", lambda sut: sut.pull(reference), subject=reference)


@when(parsers.re(r'the client asks for the status of "(?P<ref>[^"]+)"'))
def client_status(ctx: ScenarioContext, ref: str):
    ctx.act("status", lambda sut: sut.status(ctx.reference(ref)))


@when(parsers.re(r'the client asks for the status of "(?P<ref>[^"]+)" without its registry host'))
def client_status_without_host(ctx: ScenarioContext, ref: str):
    text = ctx.reference_without_host(ref)
    ctx.act("status", lambda sut: sut.status(text), subject=text)


@when(parsers.re(r'the client asks for the status of the unqualified name "(?P<name>[^"]+)"'))
def client_status_verbatim(ctx: ScenarioContext, name: str):
    ctx.act("status", lambda sut: sut.status(name), subject=name)


@when(parsers.re(r"the client asks for the status of " + ID_PART + r" of the ID of artifact (?P<artifact>[A-Z]\d*)"))
def client_status_by_id(ctx: ScenarioContext, which: str, count: str | None, artifact: str):
    ctx.act("status", lambda sut: sut.status(ctx.id_part(artifact, which, count)))


@when("the client lists the artifacts")
def client_lists(ctx: ScenarioContext):
    ctx.act("list", lambda sut: sut.list())


@when(parsers.re(r'the client removes "(?P<ref>[^"]+)"'))
def client_removes(ctx: ScenarioContext, ref: str):
    reference = ctx.reference(ref)
    ctx.act("remove", lambda sut: sut.remove(reference), subject=reference)


@when(parsers.re(r"the client removes the ID of artifact (?P<artifact>[A-Z]\d*)"))
def client_removes_id(ctx: ScenarioContext, artifact: str):
    artifact_id = ctx.artifact(artifact).id
    ctx.act("remove", lambda sut: sut.remove(artifact_id), subject=artifact_id)


@when(parsers.re(r'the client asks for the mount paths of "(?P<ref>[^"]+)"'))
def client_mount_paths(ctx: ScenarioContext, ref: str):
    require(ctx.sut, MOUNT_PATHS)
    ctx.act("mount_paths", lambda sut: sut.mount_paths(ctx.reference(ref)))
