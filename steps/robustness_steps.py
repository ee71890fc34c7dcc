"""Steps of robustness.feature: faults, vanishing and hostile stores, races, kills.

One line each; what they mean lives in ``fixtures/robustness.py``.
"""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from artifact_conformance.fixtures.robustness import Robustness, robustness  # noqa: F401 - the fixture
from artifact_conformance.fixtures.scenario_context import ScenarioContext
from artifact_conformance.fixtures.sut import MAIN_STORE_LAYOUT, MOUNT_PATHS

QUOTED = re.compile(r'"([^"]*)"')
ARTIFACT = r"artifact (?P<artifact>[A-Z]\d*)"
STORE = r'the read-only store "(?P<label>[^"]+)"'
LABELS = r'(?P<refs>"[^"]+"(?:(?:, | and )"[^"]+")*)'


# --- the node and the registry ------------------------------------------------------------
# A mid-blob fault either meets every request for the blob at the same byte (ranged
# requests that resume too: no pull gets past it) or only the first one.
HOW_OFTEN = r", on every request| once"

@given(parsers.re(r"the node runs, giving up a pull that makes no progress for (?P<seconds>\d+) seconds?"))
def node_with_progress_timeout(robustness: Robustness, seconds: str):
    robustness.start_node(pull_progress_timeout=float(seconds))


@given(parsers.re(
    r"the registry (?P<fault>"
    r"answers (?P<status>\d{3}) to the layer of " + ARTIFACT
    + r"|cuts the connection in the middle of the layer of artifact (?P<cut_artifact>[A-Z]\d*)(?P<cut_often>"
      + HOW_OFTEN + r")"
    + r"|stalls for (?P<seconds>\d+) seconds? in the middle of the layer of artifact (?P<stall_artifact>[A-Z]\d*)"
      r"(?P<then_cut>, then cuts the connection)?(?P<stall_often>" + HOW_OFTEN + r")"
    + r"|serves the layer of artifact (?P<altered_artifact>[A-Z]\d*) with its bytes altered"
    + r'|serves the manifest of "(?P<ref>[^"]+)" with its bytes altered'
    + r"|refuses connections)"))
def registry_fails(robustness: Robustness, fault: str, status, artifact, cut_artifact, seconds, stall_artifact,
                   then_cut, altered_artifact, ref, cut_often, stall_often):
    robustness.inject(fault, artifact or cut_artifact or stall_artifact or altered_artifact, ref, status, seconds,
                      bool(then_cut), once=(cut_often or stall_often) == " once")


@when("the registry is healthy again")
def registry_healthy(robustness: Robustness):
    robustness.healthy_again()


@given(parsers.re(r'the registry has ' + ARTIFACT + r' tagged "(?P<ref>[^"]+)" with an extra field nested '
                  r"(?P<depth>[\d,]+) arrays deep"))
def registry_has_nested(robustness: Robustness, artifact: str, ref: str, depth: str):
    robustness.push_deeply_nested(artifact, ref, int(depth.replace(",", "")))


# --- bounded calls -------------------------------------------------------------------------
@when(parsers.re(r'the client pulls "(?P<ref>[^"]+)", which must end within (?P<seconds>\d+) seconds'))
def client_pulls_within(ctx: ScenarioContext, robustness: Robustness, ref: str, seconds: str):
    reference = ctx.reference(ref)
    robustness.act_within(float(seconds), "pull", lambda sut: sut.pull(reference), subject=reference)


@when(parsers.re(r"the client lists the artifacts within (?P<seconds>\d+) seconds"))
def client_lists_within(robustness: Robustness, seconds: str):
    robustness.measure_memory_from_now()
    robustness.act_within(float(seconds), "list", lambda sut: sut.list())


@when(parsers.re(r'the client asks for the status of "(?P<ref>[^"]+)" within (?P<seconds>\d+) seconds'))
def client_status_within(ctx: ScenarioContext, robustness: Robustness, ref: str, seconds: str):
    robustness.measure_memory_from_now()
    robustness.act_within(float(seconds), "status", lambda sut: sut.status(ctx.reference(ref)))


@when(parsers.re(r'the client asks for the mount paths of "(?P<ref>[^"]+)" within (?P<seconds>\d+) seconds'))
def client_mounts_within(ctx: ScenarioContext, robustness: Robustness, ref: str, seconds: str):
    if ctx.observable(MOUNT_PATHS):
        robustness.act_within(float(seconds), "mount_paths", lambda sut: sut.mount_paths(ctx.reference(ref)))


# --- outcomes --------------------------------------------------------------------------------
@then(parsers.re(r"it fails, naming the digest of the layer of " + ARTIFACT))
def fails_naming_layer(robustness: Robustness, artifact: str):
    robustness.assert_failure_names_layer(artifact)


@then(parsers.re(r"if the pull succeeded, the main store holds exactly the registry's bytes of " + ARTIFACT))
def recovered_exactly(robustness: Robustness, artifact: str):
    robustness.assert_recovered_exactly(artifact)


@then(parsers.re(r"the pull returns " + ARTIFACT + r", or fails leaving the main store unchanged"))
def pull_returns_or_fails_cleanly(robustness: Robustness, artifact: str):
    robustness.assert_pulled_or_unchanged(artifact)


@then("no temporary files are left under the node's root")
def nothing_left_behind(ctx: ScenarioContext, robustness: Robustness):
    if ctx.observable(MAIN_STORE_LAYOUT):
        robustness.assert_nothing_left_behind()


@then("the main store is consistent")
def main_store_consistent(ctx: ScenarioContext, robustness: Robustness):
    if ctx.observable(MAIN_STORE_LAYOUT):
        robustness.assert_main_store_consistent()


@then("the node took less than 512 MiB of memory for it")
def memory_bounded(robustness: Robustness):
    robustness.assert_memory_growth_below(512)


# --- read-only stores that vanish, are damaged, or hostile ---------------------------------------
@when(parsers.re(STORE + r" is (?P<how>renamed away|deleted|replaced by an empty directory)"))
def store_gone(robustness: Robustness, label: str, how: str):
    robustness.store_gone(label, how)


@when(parsers.re(STORE + r" is back"))
def store_back(robustness: Robustness, label: str):
    robustness.store_back(label)


@then(parsers.re(r'nothing was created at the path of the read-only store "(?P<label>[^"]+)" while it was gone'))
def nothing_made_while_gone(robustness: Robustness, label: str):
    robustness.assert_nothing_made_while_gone(label)


@given(parsers.re(r'in the read-only store "(?P<label>[^"]+)", (?P<damage>.+)'))
def store_damaged(robustness: Robustness, label: str, damage: str):
    robustness.damage(label, damage)


@then("no mount path hands out damaged content, or content from outside the stores")
def only_sound_mounts(ctx: ScenarioContext, robustness: Robustness):
    if ctx.observable(MOUNT_PATHS):
        robustness.assert_only_sound_mounts("A")


@then(parsers.re(r'the damage in the read-only store "(?P<label>[^"]+)" is reported'))
def damage_reported(robustness: Robustness, label: str):
    robustness.assert_damage_reported(label)


@given(parsers.re(STORE + r" also has an entry (?P<hostile>.+)"))
def store_hostile_entry(robustness: Robustness, label: str, hostile: str):
    robustness.add_hostile_entry(label, hostile)


@given(parsers.re(STORE + r" has an index.json (?P<enormous>larger than 64 MiB|nested 100,000 arrays deep|"
                  r"of 100,000 entries whose manifests are missing|of 10 million empty objects)"))
def store_enormous_index(robustness: Robustness, label: str, enormous: str):
    robustness.enormous_index(label, enormous)


@given(parsers.re(STORE + r" holds " + ARTIFACT + r' under (?P<count>[\d,]+) names, "(?P<first>[^"]+)" to "[^"]+"'))
def store_many_names(robustness: Robustness, label: str, artifact: str, count: str, first: str):
    repo_hint, tag = first.split(":", 1)
    robustness.many_names(label, artifact, int(count.replace(",", "")), repo_hint, tag.rstrip("0123456789"))


@then("every listed tag is a well-formed reference")
def tags_well_formed(robustness: Robustness):
    robustness.assert_tags_well_formed()


# --- references at the length limits ----------------------------------------------------------
@given(parsers.re(r"the registry has " + ARTIFACT + r" under the longest reference: a 255-character name "
                  r"with a 128-character tag"))
def registry_has_longest(robustness: Robustness, artifact: str):
    robustness.push_longest(artifact)


@given(parsers.re(STORE + r" holds " + ARTIFACT + r" under the longest reference: a 255-character name "
                  r"with a 128-character tag"))
def store_holds_longest(robustness: Robustness, label: str, artifact: str):
    robustness.store_holds_longest(label, artifact)


@given(parsers.re(STORE + r" holds " + ARTIFACT + r" under a name (?P<which>of 256 characters|"
                  r"with a 129-character tag)"))
def store_holds_too_long(robustness: Robustness, label: str, artifact: str, which: str):
    robustness.store_holds_too_long(label, artifact, name_of_256="256" in which)


@when("the client pulls the longest reference")
def client_pulls_longest(ctx: ScenarioContext, robustness: Robustness):
    ctx.act("pull", lambda sut: sut.pull(robustness.longest_reference))


@when(parsers.re(r"the client pulls a reference (?P<which>whose name has 256 characters|whose tag has 129 characters)"))
def client_pulls_too_long(ctx: ScenarioContext, robustness: Robustness, which: str):
    reference = robustness.too_long_reference(name_of_256="256" in which)
    ctx.act("pull", lambda sut: sut.pull(reference))


@then(parsers.re(r"the list shows " + ARTIFACT + r" tagged with the longest reference"))
def listed_with_longest(robustness: Robustness, artifact: str):
    robustness.assert_listed_with_longest(artifact)


@then(parsers.re(r"the longest reference resolves to " + ARTIFACT))
def longest_resolves(ctx: ScenarioContext, robustness: Robustness, artifact: str):
    ctx.assert_is(ctx.status(robustness.longest_reference), ctx.artifact(artifact).id, "the longest reference")


# --- concurrent and killed pulls -------------------------------------------------------------------
@when(parsers.re(r"(?P<count>\d+) (?P<how>threads|processes) pull " + LABELS
                 + r" at once, within (?P<seconds>\d+) seconds"))
def pull_concurrently(robustness: Robustness, count: str, how: str, refs: str, seconds: str):
    pull = robustness.pull_in_threads if how == "threads" else robustness.pull_in_processes
    pull(int(count), QUOTED.findall(refs), float(seconds))


@then(parsers.re(r"every concurrent pull succeeded with artifacts (?P<labels>[A-Z]\d*(?:, [A-Z]\d*)* and [A-Z]\d*) "
                 r"respectively"))
def concurrent_pulls_succeeded(robustness: Robustness, labels: str):
    robustness.assert_concurrent_pulls_succeeded(labels.replace(" and ", ", ").split(", "))


@when(parsers.re(r'a pull of "(?P<ref>[^"]+)" in a separate process is killed with SIGKILL in the middle of '
                 r"the layer of " + ARTIFACT))
def pull_killed(robustness: Robustness, ref: str, artifact: str):
    robustness.kill_pull_mid_blob(ref, artifact)


@then("the list shows exactly what it showed before that pull")
def listing_as_before(robustness: Robustness):
    robustness.assert_listing_as_before()
