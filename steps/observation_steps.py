"""Steps that observe: what a call returned, what the registry saw, what is on disk."""

from __future__ import annotations

from pytest_bdd import parsers

from artifact_conformance.fixtures.adapters.interface import MAIN_STORE_LAYOUT, WARNINGS, require
from artifact_conformance.fixtures.scenario.context import Scenario
from artifact_conformance.steps.checks import then
from artifact_conformance.reporting.error_kinds import PHRASES
from artifact_conformance.steps.phrases import ARTIFACT, ARTIFACT_LABELS, HOST_INSTANCE, ID_PART, artifact_labels

# "it fails as <phrase>" -> the error kind
ERROR_KINDS = {phrase: kind for kind, phrase in PHRASES.items()}


# --- outcomes of the last call ----------------------------------------------------
@then(parsers.re(r"the pull returns " + ARTIFACT))
def pull_returns(ctx: Scenario, artifact: str):
    ctx.expect.pull_returned(artifact)


@then(parsers.re(r"the pull returns " + HOST_INSTANCE))
def pull_returns_host_instance(ctx: Scenario, index: str):
    ctx.expect.pull_returned_host_instance(index)


@then(parsers.re(r"the status gives " + ARTIFACT))
def status_gives(ctx: Scenario, artifact: str):
    ctx.expect.status_gave(artifact)


@then("it succeeds")
def it_succeeds(ctx: Scenario):
    ctx.client.succeeded()


@then("it fails")
def it_fails(ctx: Scenario):
    ctx.notes.note(f"error: {ctx.client.failed()}")


@then(parsers.re(r"it fails as (?P<kind>" + "|".join(ERROR_KINDS) + r")"))
def it_fails_as(ctx: Scenario, kind: str):
    ctx.expect.assert_error_kind(ERROR_KINDS[kind])


@then(parsers.re(r'no artifact is returned for (?:"[^"]+"|it): it is not found, or refused naming it'))
def no_artifact_for_short_name(ctx: Scenario):
    ctx.expect.assert_not_expanded()


@then(parsers.re(r"it fails as (?P<kinds>(?:" + "|".join(ERROR_KINDS) + r")(?: or as (?:" + "|".join(ERROR_KINDS) + r"))+)"
                 r"(?:, or gives " + ARTIFACT + r")?"))
def it_fails_as_one_of(ctx: Scenario, kinds: str, artifact: str | None):
    ctx.expect.assert_refused_or_is([ERROR_KINDS[kind] for kind in kinds.split(" or as ")], artifact)


@then(parsers.re(r"it fails as ambiguous, naming artifacts (?P<first>[A-Z]\d*) and (?P<second>[A-Z]\d*)"))
def it_fails_ambiguous(ctx: Scenario, first: str, second: str):
    ctx.expect.assert_ambiguous_naming(first, second)


# --- look-ups made to observe -----------------------------------------------------------
@then(parsers.re(r'"(?P<ref>[^"]+)" resolves to ' + ARTIFACT))
def resolves_to(ctx: Scenario, ref: str, artifact: str):
    ctx.expect.resolves_to(ref, artifact)


@then(parsers.re(r'"(?P<ref>[^"]+)" resolves to ' + HOST_INSTANCE))
def resolves_to_host_instance(ctx: Scenario, ref: str, index: str):
    ctx.expect.resolves_to_host_instance(ref, index)


@then(parsers.re(ID_PART + r" of the ID of artifact (?P<artifact>[A-Z]\d*) resolves to artifact (?P<expected>[A-Z]\d*)"))
def id_part_resolves(ctx: Scenario, which: str, count: str | None, artifact: str, expected: str):
    ctx.expect.id_part_resolves(artifact, which, count, expected)


@then(parsers.re(r"the ID of " + ARTIFACT + r" resolves to artifact (?P<expected>[A-Z]\d*)"))
def id_resolves(ctx: Scenario, artifact: str, expected: str):
    ctx.expect.id_resolves(artifact, expected)


@then(parsers.re(r"the ID of " + ARTIFACT + r" is not found"))
def id_not_found(ctx: Scenario, artifact: str):
    ctx.expect.id_not_found(artifact)


@then(parsers.re(r'"(?P<ref>[^"]+)" is not found'))
def reference_not_found(ctx: Scenario, ref: str):
    ctx.expect.reference_not_found(ref)


@then(parsers.re(r'"(?P<ref>[^"]+)" does not resolve to ' + ARTIFACT))
def does_not_resolve_to(ctx: Scenario, ref: str, artifact: str):
    ctx.expect.assert_does_not_resolve_to(ref, artifact)


@then(parsers.re(r'the status of "(?P<ref>[^"]+)" reports it (?P<pinned>pinned|not pinned)'))
def status_pinned(ctx: Scenario, ref: str, pinned: str):
    ctx.expect.status_pinned(ref, pinned == "pinned")


# --- the list ----------------------------------------------------------------------------
@then(parsers.re(r"the list reports " + ARTIFACT + r" as (?P<pinned>pinned|not pinned)"))
def list_pinned(ctx: Scenario, artifact: str, pinned: str):
    ctx.expect.listed_pinned(artifact, pinned == "pinned")


@then(parsers.re(r'the list reports ' + ARTIFACT + r' as a CRI image named "(?P<ref>[^"]+)"'))
def list_reports_cri_image(ctx: Scenario, artifact: str, ref: str):
    ctx.expect.assert_cri_image(artifact, ref)


@then(parsers.re(r"the list reports " + HOST_INSTANCE + r" with that artifact's size"))
def list_reports_host_instance_size(ctx: Scenario, index: str):
    ctx.expect.assert_host_instance_listed_with_its_size(index)


@then(parsers.re(r'the list shows ' + ARTIFACT + r' tagged "(?P<ref>[^"]+)"'))
def list_shows_tagged(ctx: Scenario, artifact: str, ref: str):
    ctx.expect.assert_listed_with_tag(artifact, ref)


@then(parsers.re(r'the listing fails naming the main store, or it shows ' + ARTIFACT + r' tagged "(?P<ref>[^"]+)" '
                 r'and a warning names the main store'))
def main_store_failure_reported(ctx: Scenario, artifact: str, ref: str):
    ctx.expect.assert_main_store_failure_reported(artifact, ref)


@then(parsers.re(r'the status of "(?P<ref>[^"]+)" answers no artifact'))
def status_answers_nothing(ctx: Scenario, ref: str):
    ctx.expect.assert_no_artifact_answered(ref)


@then(parsers.re(r'the list shows nothing tagged "(?P<ref>[^"]+)"'))
def list_shows_nothing_tagged(ctx: Scenario, ref: str):
    ctx.expect.assert_nothing_listed_tagged(ref)


@then(parsers.re(r"the list shows " + ARTIFACT + r" without tags"))
def list_shows_untagged(ctx: Scenario, artifact: str):
    ctx.expect.assert_listed_without_tags(artifact)


@then(parsers.re(r'the list shows "(?P<ref>[^"]+)" once, as ' + ARTIFACT))
def list_shows_once(ctx: Scenario, ref: str, artifact: str):
    ctx.expect.assert_listed_once(ref, artifact)


@then(parsers.re(r"the list does not show " + ARTIFACT))
def list_does_not_show(ctx: Scenario, artifact: str):
    ctx.expect.assert_not_listed(artifact)


@then(parsers.re(r"the list shows artifacts " + ARTIFACT_LABELS + r"(?P<ordered> in that order)?"))
def list_shows_artifacts(ctx: Scenario, labels: str, ordered: str | None):
    ctx.expect.assert_listed(artifact_labels(labels), ordered=bool(ordered))


@then(parsers.re(r"artifact (?P<artifact>[A-Z]\d*) is listed at most once, and without tags"))
def listed_at_most_once_untagged(ctx: Scenario, artifact: str):
    ctx.expect.assert_left_behind_untagged(artifact)


@then("each listed artifact has the same ID, tags, size and pinning as its status")
def list_agrees_with_status(ctx: Scenario):
    ctx.expect.assert_list_agrees_with_status()


# --- registry traffic -----------------------------------------------------------------------
@then("no blob was downloaded from the registry")
def no_blob_downloaded(ctx: Scenario):
    ctx.expect.assert_no_blob_downloaded()


@then("blobs were downloaded from the registry")
def blobs_downloaded(ctx: Scenario):
    ctx.expect.assert_blobs_downloaded()


@then("no request reached the registry")
def no_request(ctx: Scenario):
    ctx.expect.assert_no_registry_request()


# --- the main store --------------------------------------------------------------------------
@then(parsers.re(r'the main store does not hold "(?P<ref>[^"]+)"'))
def main_store_lacks(ctx: Scenario, ref: str):
    ctx.store_expect.assert_main_store_holds(ref, None)


@then(parsers.re(r'the main store holds "(?P<ref>[^"]+)" as ' + ARTIFACT))
def main_store_has(ctx: Scenario, ref: str, artifact: str):
    ctx.store_expect.assert_main_store_holds(ref, artifact)


@then("the main store is unchanged")
def main_store_unchanged(ctx: Scenario):
    if ctx.notes.observable(MAIN_STORE_LAYOUT):
        ctx.store_expect.assert_main_store_unchanged()


@then(parsers.re(r"the main store still holds every blob of " + ARTIFACT))
def main_store_keeps_blobs(ctx: Scenario, artifact: str):
    require(ctx.sut, MAIN_STORE_LAYOUT)
    ctx.store_expect.assert_main_store_blobs(artifact, present=True)


@then(parsers.re(r"the main store no longer holds the blobs that only " + ARTIFACT + r" used"))
def main_store_drops_blobs(ctx: Scenario, artifact: str):
    require(ctx.sut, MAIN_STORE_LAYOUT)
    ctx.store_expect.assert_main_store_blobs(artifact, present=False)


@then(parsers.re(r"the main store holds the manifest of " + ARTIFACT + r" byte for byte"))
def main_store_manifest_bytes(ctx: Scenario, artifact: str):
    require(ctx.sut, MAIN_STORE_LAYOUT)
    ctx.store_expect.assert_manifest_bytes(artifact)


@then(parsers.re(r'the repo digest reported for "(?P<ref>[^"]+)" resolves at the registry to ' + ARTIFACT))
def repo_digest_resolves(ctx: Scenario, ref: str, artifact: str):
    ctx.store_expect.assert_repo_digest_resolves(ref, artifact)


@then(parsers.re(r'the artifact store does not hold "(?P<ref>[^"]+)"'))
def artifact_store_lacks_image(ctx: Scenario, ref: str):
    ctx.store_expect.assert_image_not_held(ref)


# --- read-only stores ----------------------------------------------------------------------------
@then(parsers.re(r'the read-only store "(?P<label>[^"]+)" is unchanged'))
def store_unchanged(ctx: Scenario, label: str):
    ctx.expect.assert_store_unchanged(label)


@then(parsers.re(r'the (?P<action>removal|pull) left the read-only store "(?P<label>[^"]+)" unchanged'))
def store_unchanged_by(ctx: Scenario, action: str, label: str):
    ctx.expect.assert_store_unchanged(label, during={"removal": "remove", "pull": "pull"}[action])


# --- mounts ----------------------------------------------------------------------------------------
@then(parsers.re(r'the mount paths are served from the read-only store "(?P<label>[^"]+)"'))
def mounts_from_store(ctx: Scenario, label: str):
    ctx.store_expect.assert_mounts_inside_store(label)


@then("the mount paths are served from the main store")
def mounts_from_main(ctx: Scenario):
    ctx.store_expect.assert_mounts_from_main_store()


@then(parsers.re(r"the mount paths hold the files of " + ARTIFACT))
def mounts_hold_files(ctx: Scenario, artifact: str):
    ctx.store_expect.assert_mounts_hold_files(artifact)


@then(parsers.re(r'the mount paths are named (?P<names>"[^"]+"(?:(?:, | and )"[^"]+")*)'))
def mounts_named(ctx: Scenario, names: str):
    ctx.store_expect.assert_mount_names(names)


@then(parsers.re(r'the mount of "(?P<ref>[^"]+)" is refused'))
def mount_refused(ctx: Scenario, ref: str):
    ctx.store_expect.assert_mount_refused(ref)


@then(parsers.re(r"a warning was logged about the unnamed layer of " + ARTIFACT))
def warning_unnamed_layer(ctx: Scenario, artifact: str):
    if ctx.notes.observable(WARNINGS):
        ctx.store_expect.assert_warning_about_unnamed_layer(artifact)


@then(parsers.re(r'the layer named "(?P<name>[^"]+)" of ' + ARTIFACT + r" is not mounted"))
def layer_not_mounted(ctx: Scenario, name: str, artifact: str):
    ctx.store_expect.assert_layer_not_mounted(artifact, name)


@then(parsers.re(r"the altered layer of " + ARTIFACT + r" is not handed out"))
def altered_layer_not_handed_out(ctx: Scenario, artifact: str):
    ctx.store_expect.assert_altered_layer_not_handed_out(artifact)
