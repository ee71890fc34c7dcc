"""Steps that arrange the read-only stores and the main store, before the node starts."""

from __future__ import annotations

from pytest_bdd import given, parsers

from artifact_conformance.fixtures.scenario_context import ScenarioContext

STORE = r'the read-only store "(?P<label>[^"]+)"'
ARTIFACT = r"artifact (?P<artifact>[A-Z]\d*)"


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' as "(?P<ref>[^"]+)"'))
def store_holds(ctx: ScenarioContext, label: str, artifact: str, ref: str):
    ctx.store_holds(label, artifact, ref)


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' named "(?P<name>[^"]+)"'))
def store_holds_verbatim(ctx: ScenarioContext, label: str, artifact: str, name: str):
    ctx.store_holds_named(label, artifact, name=name)


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' without a name'))
def store_holds_unnamed(ctx: ScenarioContext, label: str, artifact: str):
    ctx.store_holds_named(label, artifact, name=None)


@given(parsers.re(STORE + r' holds ' + ARTIFACT + r' under the bare tag "(?P<tag>[^"]+)"'))
def store_holds_bare_tag(ctx: ScenarioContext, label: str, artifact: str, tag: str):
    ctx.store_holds_named(label, artifact, name=None, bare_tag=tag)


@given(parsers.re(STORE + r' holds index (?P<index>[A-Z]\d*) as "(?P<ref>[^"]+)"'))
def store_holds_index(ctx: ScenarioContext, label: str, index: str, ref: str):
    ctx.store_holds_index(label, index, ref)


@given(parsers.re(STORE + r' (?P<problem>is missing|is a directory that is not an OCI layout|'
                  r'has an index.json that is not valid JSON)'))
def store_problem(ctx: ScenarioContext, label: str, problem: str):
    ctx.damage(label, problem)


@given(parsers.re(r'the manifest of ' + ARTIFACT + r' (?P<damage>is missing|is altered) in ' + STORE))
def manifest_damaged(ctx: ScenarioContext, artifact: str, damage: str, label: str):
    ctx.damage(label, f"manifest {damage}", artifact)


@given(parsers.re(r'a layer of ' + ARTIFACT + r' is altered in ' + STORE))
def layer_altered(ctx: ScenarioContext, artifact: str, label: str):
    ctx.damage(label, "layer is altered", artifact)


@given(parsers.re(STORE + r' is on a read-only bind mount'))
def store_on_read_only_mount(ctx: ScenarioContext, label: str):
    ctx.read_only_bind_mount(label)


@given(parsers.re(STORE + r' is a copy of the main store of another node that pulled "(?P<ref>[^"]+)"'))
def store_copied_from_main(ctx: ScenarioContext, label: str, ref: str):
    ctx.copy_of_other_main_store(label, [ref])


@given(parsers.re(r'skopeo has copied "(?P<ref>[^"]+)" into ' + STORE))
def store_from_skopeo(ctx: ScenarioContext, ref: str, label: str):
    ctx.skopeo_copy(ref, label)


@given(parsers.re(r'the main store holds ' + ARTIFACT + r' as "(?P<ref>[^"]+)"'))
def main_store_holds(ctx: ScenarioContext, artifact: str, ref: str):
    ctx.main_store_holds(artifact, ref)


@given("the main store's index.json is not valid JSON")
def main_store_index_damaged(ctx: ScenarioContext):
    ctx.damage_main_store_index()
