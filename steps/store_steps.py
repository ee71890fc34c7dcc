"""Steps that arrange the read-only stores and the main store, before the node starts."""

from __future__ import annotations

from pytest_bdd import given, parsers

from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.phrases import ARTIFACT, STORE


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' as "(?P<ref>[^"]+)"'))
def store_holds(ctx: Scenario, label: str, artifact: str, ref: str):
    ctx.stores.holds(label, artifact, ref)


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' named "(?P<name>[^"]+)"'))
def store_holds_verbatim(ctx: Scenario, label: str, artifact: str, name: str):
    ctx.stores.holds_named(label, artifact, name=name)


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' without a name'))
def store_holds_unnamed(ctx: Scenario, label: str, artifact: str):
    ctx.stores.holds_named(label, artifact, name=None)


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' under the bare tag "(?P<tag>[^"]+)"'))
def store_holds_bare_tag(ctx: Scenario, label: str, artifact: str, tag: str):
    ctx.stores.holds_named(label, artifact, name=None, bare_tag=tag)


@given(parsers.re(STORE + r' holds index (?P<index>[A-Z]\d*) as "(?P<ref>[^"]+)"'))
def store_holds_index(ctx: Scenario, label: str, index: str, ref: str):
    ctx.stores.holds_index(label, index, ref)


@given(parsers.re(STORE + r" (?P<how>is missing|is a regular file, not a directory|is a directory that is not an OCI layout)"))
def store_damaged(ctx: Scenario, label: str, how: str):
    ctx.damage.apply(label, "store", how)


@given(parsers.re(STORE + r" has an index.json that (?P<how>is not valid JSON)"))
def store_index_damaged(ctx: Scenario, label: str, how: str):
    ctx.damage.apply(label, "index.json", how)


@given(parsers.re(r"the (?P<what>manifest|layer) of " + ARTIFACT + r" (?P<how>is missing|is altered) in " + STORE))
def blob_damaged(ctx: Scenario, what: str, artifact: str, how: str, label: str):
    ctx.damage.apply(label, what, how, artifact)


@given(parsers.re(r"a layer of " + ARTIFACT + r" is altered in " + STORE))
def layer_altered(ctx: Scenario, artifact: str, label: str):
    ctx.damage.apply(label, "layer", "is altered", artifact)


@given(parsers.re(STORE + r' is on a read-only bind mount'))
def store_on_read_only_mount(ctx: Scenario, label: str):
    ctx.stores.read_only_bind_mount(label)


@given(parsers.re(STORE + r' is a copy of the main store of another node that pulled "(?P<ref>[^"]+)"'))
def store_copied_from_main(ctx: Scenario, label: str, ref: str):
    ctx.node.copy_of_other_main_store(label, [ref])


@given(parsers.re(r'skopeo has copied "(?P<ref>[^"]+)" into ' + STORE))
def store_from_skopeo(ctx: Scenario, ref: str, label: str):
    ctx.stores.skopeo_copy(ref, label)


@given(parsers.re(r'the main store holds ' + ARTIFACT + r' as "(?P<ref>[^"]+)"'))
def main_store_holds(ctx: Scenario, artifact: str, ref: str):
    ctx.node.main_store_holds(artifact, ref)


@given("the main store's index.json is not valid JSON")
def main_store_index_damaged(ctx: Scenario):
    ctx.node.damage_main_store_index()
