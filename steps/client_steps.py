"""Steps where the client (kubelet, crictl) calls the system: one call each."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.adapters.interface import MOUNT_PATHS, require
from artifact_conformance.fixtures.kubelet.pod_start import IF_NOT_PRESENT
from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.phrases import ID_PART, LABELS, quoted


@given(parsers.re(r"the client has pulled " + LABELS))
def client_has_pulled(ctx: Scenario, refs: str):
    ctx.client.pull_all(quoted(refs))


@when(parsers.re(r'the client pulls "(?P<ref>[^"]+)"'))
def client_pulls(ctx: Scenario, ref: str):
    ctx.client.pull(ref)


@when(parsers.re(r'the client asks for the status of "(?P<ref>[^"]+)"'))
def client_status(ctx: Scenario, ref: str):
    ctx.client.ask_status(ref)


@when(parsers.re(r'the client asks for the status of "(?P<ref>[^"]+)" without its registry host'))
def client_status_without_host(ctx: Scenario, ref: str):
    ctx.client.ask_status_without_host(ref)


@when(parsers.re(r'the client asks for the status of the unqualified name "(?P<name>[^"]+)"'))
def client_status_verbatim(ctx: Scenario, name: str):
    ctx.client.act("status", lambda sut: sut.status(name), subject=name)


@when(parsers.re(r"the client asks for the status of " + ID_PART + r" of the ID of artifact (?P<artifact>[A-Z]\d*)"))
def client_status_by_id(ctx: Scenario, which: str, count: str | None, artifact: str):
    ctx.client.status_of_id(artifact, which, count)


@when("the client lists the artifacts")
def client_lists(ctx: Scenario):
    ctx.client.act("list", lambda sut: sut.list())


@when(parsers.re(r'the client removes "(?P<ref>[^"]+)"'))
def client_removes(ctx: Scenario, ref: str):
    ctx.client.remove(ref)


@when(parsers.re(r"the client removes the ID of artifact (?P<artifact>[A-Z]\d*)"))
def client_removes_id(ctx: Scenario, artifact: str):
    ctx.client.remove_id(artifact)


@when(parsers.re(r'the client asks for the mount paths of "(?P<ref>[^"]+)"'
                 r'(?: with pull policy (?P<policy>Always|IfNotPresent|Never))?'
                 r'(?: with the sub-path "(?P<sub_path>[^"]*)")?'))
def client_mount_paths(ctx: Scenario, ref: str, policy: str | None, sub_path: str | None):
    require(ctx.sut, MOUNT_PATHS)
    ctx.client.ask_mount_paths(ref, policy or IF_NOT_PRESENT, sub_path or "")
