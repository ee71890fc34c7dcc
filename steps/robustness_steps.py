"""Steps of robustness.feature: bounded calls, vanishing and hostile stores, races, kills.

One line each; the registry's faults are registry_steps'. What the steps mean
lives in the collaborators (``fixtures/scenario/context.py`` lists them).
"""

from __future__ import annotations

from pytest_bdd import given, parsers, when

from artifact_conformance.fixtures.adapters.interface import MAIN_STORE_LAYOUT, MOUNT_PATHS
from artifact_conformance.fixtures.scenario.bounded_calls import MEMORY_GROWTH_MAX_MIB
from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.checks import then
from artifact_conformance.fixtures.scenario.store_damage import VANISHING
from artifact_conformance.steps.phrases import ARTIFACT, ARTIFACT_LABELS, LABELS, STORE, artifact_labels, quoted

LONGEST = r"under the longest reference: a 255-character name with a 128-character tag"


# --- the node ---------------------------------------------------------------------------------
@given(parsers.re(r"the node runs, giving up a pull that makes no progress for (?P<seconds>\d+) seconds?"))
def node_with_progress_timeout(ctx: Scenario, seconds: str):
    ctx.node.start_with(pull_progress_timeout=float(seconds))


# --- bounded calls -------------------------------------------------------------------------
@when(parsers.re(r'the client pulls "(?P<ref>[^"]+)", which must end within (?P<seconds>\d+) seconds'))
def client_pulls_within(ctx: Scenario, ref: str, seconds: str):
    ctx.calls.pull_within(float(seconds), ref)


@when(parsers.re(r"the client lists the artifacts within (?P<seconds>\d+) seconds"))
def client_lists_within(ctx: Scenario, seconds: str):
    ctx.calls.act_within(float(seconds), "list", lambda sut: sut.list(), measure_memory=True)


@when(parsers.re(r'the client asks for the status of "(?P<ref>[^"]+)" within (?P<seconds>\d+) seconds'))
def client_status_within(ctx: Scenario, ref: str, seconds: str):
    ctx.calls.status_within(float(seconds), ref)


@when(parsers.re(r'the client asks for the mount paths of "(?P<ref>[^"]+)" within (?P<seconds>\d+) seconds'))
def client_mounts_within(ctx: Scenario, ref: str, seconds: str):
    if ctx.notes.observable(MOUNT_PATHS):
        ctx.calls.mount_paths_within(float(seconds), ref)


# --- outcomes --------------------------------------------------------------------------------
@then(parsers.re(r"it fails, naming the digest of the layer of " + ARTIFACT))
def fails_naming_layer(ctx: Scenario, artifact: str):
    ctx.robustness.assert_failure_names_layer(artifact)


@then(parsers.re(r"if the pull succeeded, the main store holds exactly the registry's bytes of " + ARTIFACT))
def recovered_exactly(ctx: Scenario, artifact: str):
    ctx.robustness.assert_recovered_exactly(artifact)


@then(parsers.re(r"the pull returns " + ARTIFACT + r", or fails leaving the main store unchanged"))
def pull_returns_or_fails_cleanly(ctx: Scenario, artifact: str):
    ctx.robustness.assert_pulled_or_unchanged(artifact)


@then("no temporary files are left under the node's root")
def nothing_left_behind(ctx: Scenario):
    if ctx.notes.observable(MAIN_STORE_LAYOUT):
        ctx.layout.assert_nothing_left_behind()


@then("the main store is consistent")
def main_store_consistent(ctx: Scenario):
    if ctx.notes.observable(MAIN_STORE_LAYOUT):
        ctx.layout.assert_main_store_consistent()


@then(f"the node took less than {MEMORY_GROWTH_MAX_MIB} MiB of memory for it")
def memory_bounded(ctx: Scenario):
    ctx.calls.assert_memory_growth_below(MEMORY_GROWTH_MAX_MIB)


# --- read-only stores that vanish, are damaged, or hostile ---------------------------------------
@when(parsers.re(STORE + r" is (?P<how>" + "|".join(VANISHING) + r")"))
def store_gone(ctx: Scenario, label: str, how: str):
    ctx.damage.vanish(label, how)


@when(parsers.re(STORE + r" is back"))
def store_back(ctx: Scenario, label: str):
    ctx.damage.come_back(label)


@then(parsers.re(r'nothing was created at the path of the read-only store "(?P<label>[^"]+)" while it was gone'))
def nothing_made_while_gone(ctx: Scenario, label: str):
    ctx.damage.assert_nothing_made_while_gone(label)


@given(parsers.re(r'in the read-only store "(?P<label>[^"]+)", (?P<damage>.+)'))
def store_damaged(ctx: Scenario, label: str, damage: str):
    ctx.damage.apply_phrase(label, damage)


@then("no mount path hands out damaged content, or content from outside the stores")
def only_sound_mounts(ctx: Scenario):
    if ctx.notes.observable(MOUNT_PATHS):
        ctx.robustness.assert_only_sound_mounts("A")


@then(parsers.re(r'the damage in the read-only store "(?P<label>[^"]+)" is reported'))
def damage_reported(ctx: Scenario, label: str):
    ctx.robustness.assert_damage_reported(label)


@given(parsers.re(STORE + r" also has an entry (?P<hostile>.+)"))
def store_hostile_entry(ctx: Scenario, label: str, hostile: str):
    ctx.damage.add_hostile_entry(label, hostile)


@given(parsers.re(STORE + r" has an index.json (?P<enormous>larger than 64 MiB|nested 100,000 arrays deep|"
                  r"of 100,000 entries whose manifests are missing|of 10 million empty objects)"))
def store_enormous_index(ctx: Scenario, label: str, enormous: str):
    ctx.damage.enormous_index(label, enormous)


@given(parsers.re(STORE + r" holds (?P<count>[\d,]+) more artifacts like " + ARTIFACT
                  + r', "(?P<first>[^"]+)" to "[^"]+"'))
def store_holds_many_artifacts(ctx: Scenario, label: str, count: str, artifact: str, first: str):
    repo_hint, _, tag = first.partition(":")
    ctx.damage.many_artifacts(label, artifact, int(count.replace(",", "")), repo_hint, tag.rstrip("0123456789"))


@given(parsers.re(STORE + r" holds " + ARTIFACT + r' under (?P<count>[\d,]+) names, "(?P<first>[^"]+)" to "[^"]+"'))
def store_many_names(ctx: Scenario, label: str, artifact: str, count: str, first: str):
    repo_hint, tag = first.split(":", 1)
    ctx.damage.many_names(label, artifact, int(count.replace(",", "")), repo_hint, tag.rstrip("0123456789"))


@then("every listed tag is a well-formed reference")
def tags_well_formed(ctx: Scenario):
    ctx.robustness.assert_tags_well_formed()


# --- references at the length limits ----------------------------------------------------------
@given(parsers.re(r"the registry has " + ARTIFACT + " " + LONGEST))
def registry_has_longest(ctx: Scenario, artifact: str):
    ctx.robustness.push_longest(artifact)


@given(parsers.re(STORE + r" holds " + ARTIFACT + " " + LONGEST))
def store_holds_longest(ctx: Scenario, label: str, artifact: str):
    ctx.robustness.store_holds_longest(label, artifact)


@given(parsers.re(STORE + r" holds " + ARTIFACT + r" under a name (?P<which>of 256 characters|"
                  r"with a 129-character tag)"))
def store_holds_too_long(ctx: Scenario, label: str, artifact: str, which: str):
    ctx.robustness.store_holds_too_long(label, artifact, name_of_256="256" in which)


@when("the client pulls the longest reference")
def client_pulls_longest(ctx: Scenario):
    ctx.client.act("pull", lambda sut: sut.pull(ctx.robustness.longest_reference))


@when(parsers.re(r"the client pulls a reference (?P<which>whose name has 256 characters|whose tag has 129 characters)"))
def client_pulls_too_long(ctx: Scenario, which: str):
    reference = ctx.robustness.too_long_reference(name_of_256="256" in which)
    ctx.client.act("pull", lambda sut: sut.pull(reference))


@then(parsers.re(r"the list shows " + ARTIFACT + r" tagged with the longest reference"))
def listed_with_longest(ctx: Scenario, artifact: str):
    ctx.robustness.assert_listed_with_longest(artifact)


@then(parsers.re(r"the longest reference resolves to " + ARTIFACT))
def longest_resolves(ctx: Scenario, artifact: str):
    ctx.robustness.assert_longest_resolves_to(artifact)


# --- concurrent and killed pulls -------------------------------------------------------------------
@when(parsers.re(r"(?P<count>\d+) (?P<how>threads|processes) pull " + LABELS
                 + r" at once, within (?P<seconds>\d+) seconds"))
def pull_concurrently(ctx: Scenario, count: str, how: str, refs: str, seconds: str):
    pull = ctx.pulls.in_threads if how == "threads" else ctx.pulls.in_processes
    pull(int(count), quoted(refs), float(seconds))


@then(parsers.re(r"every concurrent pull succeeded with artifacts " + ARTIFACT_LABELS + r" respectively"))
def concurrent_pulls_succeeded(ctx: Scenario, labels: str):
    ctx.pulls.assert_all_succeeded(artifact_labels(labels))


@when(parsers.re(r'a pull of "(?P<ref>[^"]+)" in a separate process is killed with SIGKILL in the middle of '
                 r"the layer of " + ARTIFACT))
def pull_killed(ctx: Scenario, ref: str, artifact: str):
    ctx.pulls.kill_mid_blob(ref, artifact)


@when(parsers.re(r'the runtime is killed with SIGKILL in the middle of a pull of "(?P<ref>[^"]+)", in the layer of '
                 + ARTIFACT + r", and started again"))
def runtime_killed(ctx: Scenario, ref: str, artifact: str):
    ctx.pulls.kill_runtime_mid_blob(ref, artifact)


@then("the list shows exactly what it showed before that pull")
def listing_as_before(ctx: Scenario):
    ctx.pulls.assert_listing_as_before()
