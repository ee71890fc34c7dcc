"""Steps about the node: its configuration, starting it, and what it logs."""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from artifact_conformance.fixtures.scenario_context import ScenarioContext
from artifact_conformance.fixtures.sut import RELOAD, WARNINGS, require

QUOTED = re.compile(r'"([^"]*)"')


@given(parsers.re(r'a node with the read-only stores? (?P<labels>"[^"]+"(?:(?:, | and )"[^"]+")*)'
                  r'(?:, pinning images matching "(?P<pattern>[^"]*)")?'))
def node_with_stores(ctx: ScenarioContext, labels: str, pattern: str | None):
    ctx.configure(store_labels=QUOTED.findall(labels))
    if pattern:
        ctx.pin(pattern)


@given(parsers.re(r'a node without read-only stores(?:, pinning images matching "(?P<pattern>[^"]*)")?'))
def node_without_stores(ctx: ScenarioContext, pattern: str | None):
    ctx.configure()
    if pattern:
        ctx.pin(pattern)


@given(parsers.re(r'a node with a read-only store configured as "(?P<path>[^"]*)"'))
def node_with_raw_store(ctx: ScenarioContext, path: str):
    ctx.configure(raw_paths=[path])


@when("the node starts")
def node_starts(ctx: ScenarioContext):
    ctx.start()


@when(parsers.re(r'the node reloads its configuration, now pinning images matching "(?P<pattern>[^"]*)"'))
def node_reloads(ctx: ScenarioContext, pattern: str):
    require(ctx.sut, RELOAD)
    ctx.reload_pinning(pattern)


@then(parsers.re(r'the node refuses to start, naming the path "(?P<path>[^"]*)"'))
def node_refuses(ctx: ScenarioContext, path: str):
    ctx.assert_refused_naming(ctx.expand(path))


@then("the node is running")
def node_is_running(ctx: ScenarioContext):
    assert ctx.start_error is None, f"the node refused to start: {ctx.start_error}"
    assert ctx.started, "the node was not started"


@then(parsers.re(r'a warning names the read-only store "(?P<label>[^"]+)"'))
def warning_names_store(ctx: ScenarioContext, label: str):
    if ctx.observable(WARNINGS):
        ctx.assert_warning_mentions(str(ctx.store(label).path), f'read-only store "{label}"')


@then(parsers.re(r'the path of the read-only store "(?P<label>[^"]+)" still does not exist'))
def store_path_absent(ctx: ScenarioContext, label: str):
    path = ctx.store(label).path
    assert not path.exists(), f"read-only store path {path} was created by the system under test"


@given(parsers.re(r"the node has (?P<search>no search registries for short names"
                  r"|(?P<registry>[a-z0-9.-]+) as its search registry for short names)"))
def node_searches_short_names(ctx: ScenarioContext, search: str, registry: str | None):
    ctx.search_short_names_in([registry] if registry else [])
