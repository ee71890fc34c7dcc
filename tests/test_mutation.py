"""The suite bites where it should: each deliberately broken store fails the scenarios named for it.

Each variant in ``broken_stores`` gets one rule of the contract wrong.
``MUST_FAIL`` names, for each, the scenarios (feature file, scenario name as
written there) that check that rule and fail *because of* what the variant
breaks: not merely whatever scenario happens to fail first. The named
scenarios run against the variant in a subprocess (sharing this session's
registry) and each must be reported failed in the results JSON; other
scenarios may fail too, but are not run here.

The mapping is checked for completeness without a registry: every broken
store has a named scenario, and every named scenario exists, so a new
variant without a mapping, or a renamed scenario, fails a test instead of
dropping a check. ``tests/test_robustness_bites.py`` does the same for
``robustness_broken_stores`` with these helpers.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from pytest_bdd.scenario import make_python_name

from artifact_conformance.reporting.feature_files import parse_features
from artifact_conformance.simulator.store import ArtifactStore
from tests import broken_stores as broken
from tests.pytest_runs import PYTEST_FAILED, ROOT, run_pytest

FEATURES = ROOT / "features"
# (feature file in features/, scenario name): as written there, or for one example of an
# outline as rendered (as reports show it). An outline named by its template must fail in every example.
NamedScenario = tuple[str, str]

MUST_FAIL: dict[type[ArtifactStore], tuple[NamedScenario, ...]] = {
    # resolve.order / list.order: a read-only store's copy wins over the main store's.
    broken.MainStoreFirst: (
        ("resolution.feature", "The first read-only store wins over the second and over the main store"),
        ("resolution.feature", "A later read-only store still wins over the main store"),
        ("listing.feature", "Read-only stores are listed first, in configured order, then the main store"),
    ),
    # list.dedup-by-reference: a tag two stores hold is listed once.
    broken.NoDeduplication: (
        ("listing.feature", "A tag in two read-only stores is listed once, from the first store"),
        ("listing.feature", "A tag in a read-only store and in the main store is listed once, from the read-only store"),
    ),
    # pull.follow-moved-tag: the main store is not a cache.
    broken.MainStoreAsCache: (
        ("repointing.feature", "Pulling a moved tag again follows it to the new digest"),
        ("repointing.feature", "The previously tagged artifact keeps no tag"),
    ),
    # pin.read-only: what a read-only store holds is always pinned.
    broken.ReadOnlyUnpinned: (
        ("pinning.feature", "A read-only artifact is pinned although no pattern names it"),
        ("pinning.feature", "A read-only artifact without a name is pinned too"),
        ("pinning.feature",
         "Garbage collection by age removes what no container used for longer than the maximum age, never a read-only artifact"),
    ),
    # remove.main-only / readonly.never-written: removal touches the main store only.
    broken.RemovesFromReadOnlyStores: (
        ("removal.feature", "Removing an artifact that only a read-only store holds succeeds and it stays listed"),
        ("removal.feature", "Removing a tag held by both stores removes the main store's copy; the read-only one stays visible"),
        ("purpose.feature", "Starting, pulling, listing and removing leave a read-only store exactly as it was"),
    ),
    # pull.skip-read-only: a reference a read-only store holds is not downloaded.
    broken.PullsNotSkipped: (
        ("pulling.feature", "A pull of a reference that a read-only store holds downloads no blob and leaves the main store alone"),
        ("pulling.feature", "A pull by digest that a read-only store holds downloads nothing"),
    ),
    # resolve.exact-names: nothing is expanded to Docker Hub.
    # resolve.id-several-names: an ID that two names share names one artifact.
    broken.OneIdOneName: (
        ("resolution.feature", "An artifact the main store holds under two tags answers to its ID"),
        ("resolution.feature", "An artifact the main store holds under two repositories answers to its ID"),
        ("resolution.feature", "An artifact a read-only store holds under two tags answers to its ID"),
        ("resolution.feature", "An artifact a read-only store holds under two repositories answers to its ID"),
        ("removal.feature", "Removing the ID of an artifact the main store holds under two tags removes it under both"),
        ("pinning.feature", "Garbage collection reclaims an artifact the main store holds under two repositories"),
        ("mounts.feature",
         'An artifact held as "llm:v1" and "llm:latest" (two tags in the main store) is mounted by its ID'),
        ("mounts.feature",
         'An artifact held as "llm:v1" and "other:v1" (two repositories in a read-only store) is mounted by its ID'),
    ),
    broken.NormalisesShortNames: (
        ("resolution.feature", 'A short name such as "<name>" is not expanded to a Docker Hub name (<search>)'),
    ),
    # mount.unsafe-names: a name that could escape the target directory is never mounted.
    broken.MountsUnsafeTitles: (
        ("mounts.feature", 'A layer named "<name>" (<why>) is never mounted'),
    ),
    # mount.from-resolving-store: kubelet mounts by the ID ImageStatus gave, not by the reference.
    broken.MountsByNameOnly: (
        ("mounts.feature", "The files of a read-only artifact are served from that read-only store"),
        ("mounts.feature", "The files of a pulled artifact are served from the main store"),
        ("mounts.feature", "An image volume with pull policy Always is mounted from the read-only store without downloading it"),
        ("mounts.feature", 'An artifact held as "<first>" and "<second>" (<where>) is mounted by its ID'),
    ),
    # mount.sub-path: only the files below the sub-path, and only an existing one.
    broken.IgnoresSubPath: (
        ("mounts.feature", "A sub-path mounts the files below it, named relative to it"),
        ("mounts.feature", 'A sub-path "<sub-path>" (<why>) is refused'),
    ),
    # mount.nested-names: a relative path is mounted at that path.
    broken.RefusesNestedNames: (
        ("mounts.feature", "A layer named by a relative path is mounted at that path"),
        ("mounts.feature", "A sub-path mounts the files below it, named relative to it"),
    ),
    # faults.manifest-verified: a manifest that does not match its digest is not served.
    broken.TrustsManifestBytes: (
        ("robustness.feature",
         "In a read-only store, a manifest rewritten into other valid JSON is not served, under its digest or another"),
    ),
    # mount.named-layers: a ModelPack layer is named by model-spec's published key, org.cncf.model.filepath.
    broken.ModelPackDraftKeyOnly: (
        ("mounts.feature", "The files of a read-only artifact are served from that read-only store"),
        ("mounts.feature", "The files of a pulled artifact are served from the main store"),
        ("mounts.feature", "When both stores hold the tag, the read-only copy is the one mounted"),
        ("mounts.feature",
         "Layers are named by their title or ModelPack file path; a layer without a name is skipped with a warning"),
    ),
    # mount.modelpack-draft-path: a layer named only by the early drafts' key is mounted under it.
    broken.ModelPackPublishedKeyOnly: (
        ("mounts.feature", "A layer named by an early ModelPack draft's file path is mounted under that name"),
    ),
    # list.unnamed-visible: every artifact stays visible, with or without a name.
    broken.HidesUnnamedArtifacts: (
        ("purpose.feature", "Artifacts without a name in a read-only store are each listed, and found by ID"),
        ("interoperability.feature",
         "A layout written by skopeo is served; its bare-tag entry is listed without tags and found by ID"),
        ("interoperability.feature",
         "An ORAS-style layout with the same bare tag for two artifacts lists both, distinguishable by ID"),
    ),
    # pull.refuse-container-images: a container image never enters the artifact store.
    broken.AcceptsContainerImages: (
        ("container_images.feature", "Pulling <kind> never puts it into the artifact store"),
    ),
    # readonly.never-written / config.unopenable-store-skipped: a missing store is skipped, not created.
    broken.CreatesMissingStores: (
        ("configuration.feature", "A store path that does not exist is not created"),
    ),
    # faults.store-contained / config.unopenable-store-skipped: a damaged store is skipped, not fatal.
    broken.OneBadStoreFailsAll: (
        ("purpose.feature", "A read-only store whose index.json is corrupt hides that store only"),
        ("configuration.feature", "A store that has an index.json that is not valid JSON is skipped, and the other store still serves"),
        ("configuration.feature", "A store that is a directory that is not an OCI layout is skipped, and the other store still serves"),
    ),
    # remove.by-id / gc.kubelet-collector: kubelet removes by ID.
    broken.NoRemovalByID: (
        ("purpose.feature", "A main-store artifact is removed by its 64-character ID"),
        ("pinning.feature", "Garbage collection spares read-only, pinned and in-use artifacts"),
    ),
    # mount.verified-content: a layer that does not match its digest is never handed out.
    broken.TrustsBlobContent: (
        ("mounts.feature", "A layer whose content no longer matches its digest is never handed out for mounting"),
    ),
    # resolve.tag-and-digest: name:tag@digest is refused or resolved by its digest, never by its tag.
    broken.ResolvesTagAndDigestByTag: (
        ("resolution.feature", "A reference with a tag and a digest is refused, or resolved by its digest, never by its tag"),
        ("resolution.feature", "A reference with a tag and a digest that no store holds is refused, not answered by its tag"),
    ),
    # pin.per-id: all entries of one ID agree on pinning.
    broken.PinnedPerEntry: (
        ("pinning.feature", "A pattern that names one tag of an artifact pins each of its entries"),
        ("listing.feature", "Two entries of one ID agree on pinning: a read-only copy pins the main store's entry too"),
        ("pinning.feature",
         "Garbage collection keeps an artifact one of whose tags is pinned, whichever of its entries is listed last"),
    ),
    # faults.store-stall: a stalled export never hangs calls about other stores.
    broken.ReadsStoresOnCallerThread: (
        ("media.feature", "While one store's export stalls, the other store and the main store answer within 5 seconds, "
                          "and the stalled store is served again once it answers"),
        ("media.feature", "A store whose network export stalls while the node runs is named in a warning"),
    ),
    # faults.unavailable-store-named: a store that cannot be read is named in a warning.
    broken.SilentlySkipsStores: (
        ("media.feature", "A store whose network export <fails> before the node starts is named in a warning"),
        ("media.feature", "A store whose network export <fails> while the node runs is named in a warning"),
    ),
    # readonly.never-written: not even a lock file.
    broken.WritesLockFiles: (
        ("media.feature", "Starting, pulling, listing and mounting ask no write of a store on a network export"),
        ("purpose.feature", "Starting, pulling, listing and removing leave a read-only store exactly as it was"),
    ),
    # media.file-system-images: a swapped image is read anew.
    broken.ReadsStoresOnce: (
        ("media.feature", "A store's read-only <kind> image swapped for a new one while the node runs is served with its new content"),
    ),
    # faults.slow-store: look-ups on a slow export stay within bounds.
    broken.ReReadsEveryCall: (
        ("media.feature", "On an export answering every operation after 20 ms, a store of 201 artifacts answers within "
                          "10 seconds, and a pull it satisfies makes no registry request"),
    ),
}


def broken_stores_of(module: ModuleType) -> set[type[ArtifactStore]]:
    """The ArtifactStore subclasses ``module`` defines (not those it imports)."""
    return {cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, ArtifactStore) and cls is not ArtifactStore and cls.__module__ == module.__name__}


@dataclass(frozen=True)
class Written:
    """A scenario as features/ writes it: its outline's name and line, and for one example its rendered name."""

    template: str
    line: int
    example: str | None = None

    def runs_of(self, feature: str, records: list[dict]) -> list[dict]:
        """The results records of this scenario (all examples of an outline named by its template)."""
        return [r for r in records if Path(r["feature"]["file"]).name == feature and r["line"] == self.line
                and (self.example is None or r["scenario"] == self.example)]


def feature_scenarios() -> dict[NamedScenario, Written]:
    """Every scenario of features/ by (feature file, name): a scenario's or outline's name, or an example's as rendered."""
    known = {}
    for feature in parse_features(FEATURES):
        file = Path(feature.rel_filename).name
        for name, template in feature.scenarios.items():
            known[(file, name)] = Written(name, template.line_number)
            for examples in template.examples:
                for context in examples.as_contexts():
                    rendered = template.render(context).name
                    known[(file, rendered)] = Written(name, template.line_number, rendered)
    return known


def mapping_problems(module: ModuleType, variants: list[type[ArtifactStore]],
                     must_fail: dict[type[ArtifactStore], tuple[NamedScenario, ...]]) -> list[str]:
    """What keeps ``must_fail`` from naming, for every broken store of ``module``, scenarios that exist."""
    problems = []
    defined = broken_stores_of(module)
    for cls in sorted(defined - set(variants), key=lambda c: c.__name__):
        problems.append(f"{cls.__name__} is defined in {module.__name__} but not in its VARIANTS")
    known = feature_scenarios()
    for cls in sorted(defined | set(variants), key=lambda c: c.__name__):
        named = must_fail.get(cls, ())
        if not named:
            problems.append(f"{cls.__name__} names no scenario it must fail")
        for feature, name in named:
            if (feature, name) not in known:
                problems.append(f"{cls.__name__} names ({feature!r}, {name!r}), which features/ does not have")
    for cls in sorted(set(must_fail) - defined, key=lambda c: c.__name__):
        problems.append(f"{cls.__name__} is named but is not a broken store of {module.__name__}")
    return problems


def check_fails_named_scenarios(variant: type[ArtifactStore], named: tuple[NamedScenario, ...],
                                registry_url: str, tmp_path: Path) -> None:
    """Run the named scenarios against ``variant``; each must be reported failed (an outline: every example)."""
    assert named, f"{variant.__name__} names no scenario it must fail"
    known = feature_scenarios()
    written = {key: known[key] for key in named}
    modules = sorted({f"features/test_{Path(feature).stem}.py" for feature, _ in named})
    selection = " or ".join(sorted({f"test_{make_python_name(w.template)}" for w in written.values()}))
    run = run_pytest(
        *modules, "-q", "-k", selection, f"--registry-url={registry_url}",
        f"--reference-store-class={variant.__module__}:{variant.__name__}", f"--basetemp={tmp_path / 'run'}",
        results=tmp_path / "results.json", timeout=300,
    )
    what = f"{variant.__name__} ({variant.__doc__.strip()})"
    assert run.returncode == PYTEST_FAILED and run.results is not None, (
        f"{what}: pytest exited {run.returncode} (expected {PYTEST_FAILED}: scenarios failed)\n{run.output[-3000:]}"
    )
    not_caught = []
    for (feature, name), scenario in written.items():
        runs = scenario.runs_of(feature, run.results["scenarios"])
        if not runs:
            not_caught.append(f"({feature!r}, {name!r}) did not run")
        for record in runs:
            if record["outcome"] != "failed":
                message = (record.get("message") or "").splitlines()[0][:200] if record.get("message") else ""
                not_caught.append(f"({feature!r}, {record['scenario']!r}) {record['outcome']} {message}".rstrip())
    assert not not_caught, f"{what} was not caught where it must be:\n  " + "\n  ".join(not_caught)


def test_every_broken_store_names_existing_scenarios_it_must_fail():
    problems = mapping_problems(broken, broken.VARIANTS, MUST_FAIL)
    assert not problems, "\n".join(problems)


@pytest.mark.registry
@pytest.mark.parametrize("variant", broken.VARIANTS, ids=lambda v: v.__name__)
def test_broken_store_fails_its_named_scenarios(variant, registry, tmp_path):
    check_fails_named_scenarios(variant, MUST_FAIL.get(variant, ()), registry.url, tmp_path)
