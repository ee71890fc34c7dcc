"""Steps about the node: its configuration, starting it, and what it logs."""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.adapters.interface import RELOAD, WARNINGS, require
from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.checks import then
from artifact_conformance.steps.phrases import quoted

PINNING = r'(?:, pinning images matching "(?P<pattern>[^"]*)")?'


@given(parsers.re(r'a node with the read-only stores? (?P<labels>"[^"]+"(?:(?:, | and )"[^"]+")*)' + PINNING))
def node_with_stores(ctx: Scenario, labels: str, pattern: str | None):
    ctx.node.configure(store_labels=quoted(labels))
    if pattern:
        ctx.node.pin(pattern)


@given(parsers.re(r"a node without read-only stores" + PINNING))
def node_without_stores(ctx: Scenario, pattern: str | None):
    ctx.node.configure()
    if pattern:
        ctx.node.pin(pattern)


@given(parsers.re(r'a node with a read-only store configured as "(?P<path>[^"]*)"'))
def node_with_raw_store(ctx: Scenario, path: str):
    ctx.node.configure(raw_paths=[path])


@when("the node starts")
def node_starts(ctx: Scenario):
    ctx.node.start()


@when(parsers.re(r'the node reloads its configuration, now pinning images matching "(?P<pattern>[^"]*)"'))
def node_reloads(ctx: Scenario, pattern: str):
    require(ctx.sut, RELOAD)
    ctx.node.reload_pinning(pattern)


@then(parsers.re(r'the node refuses to start, naming the path "(?P<path>[^"]*)"'))
def node_refuses(ctx: Scenario, path: str):
    ctx.expect.assert_refused_naming(path)


@then("the node is running")
def node_is_running(ctx: Scenario):
    assert ctx.node.start_error is None, f"the node refused to start: {ctx.node.start_error}"
    assert ctx.node.started, "the node was not started"


@then(parsers.re(r'a warning names the read-only store "(?P<label>[^"]+)"'))
def warning_names_store(ctx: Scenario, label: str):
    if ctx.notes.observable(WARNINGS):
        ctx.expect.assert_warning_mentions(str(ctx.stores.store(label).path), f'read-only store "{label}"')


@then(parsers.re(r'the path of the read-only store "(?P<label>[^"]+)" still does not exist'))
def store_path_absent(ctx: Scenario, label: str):
    path = ctx.stores.store(label).path
    assert not path.exists(), f"read-only store path {path} was created by the system under test"


@given(parsers.re(r"the node has (?P<search>no search registries for short names"
                  r"|(?P<registry>[a-z0-9.-]+) as its search registry for short names)"))
def node_searches_short_names(ctx: Scenario, search: str, registry: str | None):
    ctx.node.search_short_names_in([registry] if registry else [])
