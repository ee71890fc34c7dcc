"""Model-based testing: random sequences of operations against the system under
test, every result checked against ``tests/contract_model.py``.

The system is the one ``--sut`` selects (default: the reference simulator;
``--reference-store-class`` swaps in a broken variant), created and started
through the same SUT interface and options as the features. Each example is a
fresh node (its own root and two read-only stores) over a few fixed
repositories, tags and artifacts, so that collisions (the same tag in two
stores, a tag moved under a pulled artifact, two IDs sharing a prefix) are
likely. Steps: move a tag at the registry, populate or empty a read-only store
(the node restarts, as on a real node), pull by tag or digest, remove by name
or ID, look up by name or ID (prefix), restart. After every step the list is
compared with the model.

Budget: small by default (CI); ``ARTIFACT_CONFORMANCE_SOAK=N`` runs N examples
of longer sequences. ``ARTIFACT_CONFORMANCE_MODEL_SHRINK=0`` reports the first
divergence without shrinking it (the proof below uses it to stay fast).

The proof that it bites: ``test_the_model_catches_broken_stores`` runs this
test against broken variants from ``tests/broken_stores.py`` and requires it
to fail.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from artifact_conformance.fixtures.adapters.interface import CONFIGURE, Artifact, NodeConfig, require
from artifact_conformance.fixtures.adapters.sut_errors import SutError
from artifact_conformance.fixtures.registry.builder import Layer, PushedArtifact, random_content, unique_repository
from artifact_conformance.fixtures.stores.populators import ReadOnlyStore
from tests.contract_model import MAIN, Ambiguous, ContractModel
from tests.pytest_runs import child_env, run_pytest

pytestmark = pytest.mark.registry

ROOT = Path(__file__).resolve().parent.parent
ENV_SOAK = "ARTIFACT_CONFORMANCE_SOAK"
ENV_SHRINK = "ARTIFACT_CONFORMANCE_MODEL_SHRINK"
ARTIFACTS = ("A", "B", "C")
TAGS = ("v1", "v2")
# (repository index, tag): few, so that the same name meets itself often.
NAMES = ((0, "v1"), (0, "v2"), (1, "v1"))
names = st.sampled_from(NAMES)
labels = st.sampled_from(ARTIFACTS)
digest_names = st.tuples(st.integers(0, 1), labels)
READ_ONLY_STORES = 2
PULL_TIMEOUT_S = 30


class ContractViolation(AssertionError):
    """The system under test and the contract model disagree."""


def budget() -> settings:
    soak = int(os.environ.get(ENV_SOAK) or 0)
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    if os.environ.get(ENV_SHRINK, "1") != "0":
        phases.append(Phase.shrink)
    return settings(
        max_examples=soak or 15,
        stateful_step_count=30 if soak else 12,
        deadline=None,
        database=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


class World:
    """What every example shares: repositories and artifacts pushed once."""

    def __init__(self, builder, probe, registry, sut_factory, workdir: Path):
        self.builder, self.probe, self.registry = builder, probe, registry
        self.sut = sut_factory()
        require(self.sut, CONFIGURE)
        self.workdir = workdir
        self.examples = itertools.count()
        self.repositories = [unique_repository("mbt-a"), unique_repository("mbt-b")]
        self.pushed = self._artifacts_sharing_an_id_start()

    def _artifacts_sharing_an_id_start(self) -> dict[str, dict[str, PushedArtifact]]:
        """A, B, C pushed by digest into every repository; A and B share the first
        hex character of their IDs, so a one-character ID can be ambiguous."""
        first: dict[str, list[Layer]] = {}
        for _ in range(17):
            layers = [Layer(content=random_content(64), title="model.bin")]
            artifact = self.builder.artifact(self.repositories[0], None, layers=layers)
            first.setdefault(artifact.id[0], []).append(layers)
            if len(first[artifact.id[0]]) == 2:
                break
        pair = first[artifact.id[0]]
        layer_sets = {"A": pair[0], "B": pair[1], "C": [Layer(content=random_content(64), title="model.bin")]}
        return {repo: {label: self.builder.artifact(repo, None, layers=layers) for label, layers in layer_sets.items()}
                for repo in self.repositories}

    def name(self, repo_index: int, tag: str, example: int) -> str:
        return f"{self.probe.address}/{self.repositories[repo_index]}:{tag}-e{example}"


class ContractMachine(RuleBasedStateMachine):
    world: World  # set on the subclass made per test
    # Tags the node pulled: moving one at the registry and pulling it again is
    # where re-pointing (and what it leaves behind) is decided.
    pulled = Bundle("pulled")

    def __init__(self) -> None:
        super().__init__()
        world = self.world
        self.example = next(world.examples)
        directory = world.workdir / f"example-{self.example}"
        self.stores = [ReadOnlyStore(directory / f"ro-{n}") for n in range(READ_ONLY_STORES)]
        self.pinned = world.name(0, "v1", self.example)
        self.node = NodeConfig(
            root=directory / "node", additional_stores=tuple(str(s.path) for s in self.stores),
            pinned_images=(self.pinned,), insecure_registries=(world.probe.address, world.registry.address),
        )
        self.model = ContractModel(READ_ONLY_STORES, pinned_images=(self.pinned,))
        for repository in world.repositories:
            for label in ARTIFACTS:
                self.model.push_by_digest(f"{world.probe.address}/{repository}", world.pushed[repository][label].id)
        self.log: list[str] = []

    # --- helpers ----------------------------------------------------------------------------------
    @property
    def sut(self):
        return self.world.sut

    def tag_name(self, repo: int, tag: str) -> str:
        return self.world.name(repo, tag, self.example)

    def digest_name(self, repo: int, label: str) -> str:
        return f"{self.world.probe.address}/{self.world.repositories[repo]}@{self.artifact(label).digest}"

    def artifact(self, label: str, repo: int = 0) -> PushedArtifact:
        return self.world.pushed[self.world.repositories[repo]][label]

    def label_of(self, artifact_id: str) -> str:
        for label in ARTIFACTS:
            if self.artifact(label).id == artifact_id:
                return label
        return artifact_id[:12]

    def short(self, name: str) -> str:
        """A name as the log shows it: r0:v1, r1@B."""
        for repo, repository in enumerate(self.world.repositories):
            prefix = f"{self.world.probe.address}/{repository}"
            if name.startswith(prefix + "@"):
                return f"r{repo}@{self.label_of(name.split('@sha256:', 1)[1])}"
            if name.startswith(prefix + ":"):
                return f"r{repo}:{name[len(prefix) + 1:].rsplit('-e', 1)[0]}"
        return name

    def violation(self, what: str) -> ContractViolation:
        steps = "\n  ".join(self.log[-40:])
        return ContractViolation(f"{what}\nafter these steps (example {self.example}):\n  {steps}")

    def call(self, what: str, operation):
        self.log.append(what)
        try:
            return operation()
        except SutError as error:
            return error

    def restart(self) -> None:
        self.sut.stop()
        self.sut.start(self.node)

    def describe(self, result) -> str:
        if isinstance(result, SutError):
            return f"error {result}"
        if isinstance(result, Artifact):
            return f"artifact {self.label_of(result.id)} (tags {[self.short(t) for t in result.repo_tags]}, " \
                   f"pinned {result.pinned})"
        return repr(result)

    # --- set-up and tear-down --------------------------------------------------------------------------
    @initialize()
    def start(self) -> None:
        for repo, repository in enumerate(self.world.repositories):
            for label in ARTIFACTS:  # an earlier example may have deleted it at the registry
                self.world.builder.repoint(repository, f"keep-e{self.example}", self.artifact(label, repo))
        for repo in range(len(self.world.repositories)):
            for tag, label in zip(TAGS, ("A", "B")):
                self.world.builder.repoint(self.world.repositories[repo], f"{tag}-e{self.example}",
                                           self.artifact(label, repo))
                self.model.tag_at_registry(self.tag_name(repo, tag), self.artifact(label).id)
        self.sut.start(self.node)
        self.log.append("start: registry r0:v1=A r0:v2=B r1:v1=A r1:v2=B; pinned r0:v1")

    def teardown(self) -> None:
        self.sut.stop()

    # --- the registry and the read-only stores ------------------------------------------------------------
    @rule(name=st.one_of(names, pulled), label=labels)
    def move_tag(self, name: tuple[int, str], label: str) -> None:
        repo, tag = name
        self.log.append(f"registry: r{repo}:{tag} -> {label}")
        self.world.builder.repoint(self.world.repositories[repo], f"{tag}-e{self.example}", self.artifact(label, repo))
        self.model.tag_at_registry(self.tag_name(repo, tag), self.artifact(label).id)

    @rule(name=st.one_of(names, pulled))
    def delete_at_registry(self, name: tuple[int, str]) -> None:
        """distribution deletes a manifest, not a tag: every tag naming it goes too."""
        repo, tag = name
        artifact_id = self.model.registry_tags.get(self.tag_name(repo, tag))
        self.log.append(f"registry: manifest of r{repo}:{tag} deleted"
                        + (f" ({self.label_of(artifact_id)})" if artifact_id else " (no such tag)"))
        if artifact_id is None:
            return
        self.world.builder.delete_tag(self.world.repositories[repo], f"{tag}-e{self.example}")
        self.model.delete_at_registry(f"{self.world.probe.address}/{self.world.repositories[repo]}", artifact_id)

    @rule(store=st.integers(0, READ_ONLY_STORES - 1), name=names, label=labels)
    def populate(self, store: int, name: tuple[int, str], label: str) -> None:
        repo, tag = name
        self.log.append(f"read-only store {store}: r{repo}:{tag} -> {label} (node restarted)")
        self.sut.stop()
        self.stores[store].add(self.artifact(label, repo), name=self.tag_name(repo, tag))
        self.model.populate(store, self.tag_name(repo, tag), self.artifact(label).id)
        self.sut.start(self.node)

    @rule(store=st.integers(0, READ_ONLY_STORES - 1))
    def empty(self, store: int) -> None:
        self.log.append(f"read-only store {store}: removed (node restarted)")
        self.sut.stop()
        self.stores[store].remove()
        self.model.empty(store)
        self.sut.start(self.node)

    @rule()
    def restart_node(self) -> None:
        self.log.append("node restarted")
        self.restart()

    # --- pulls -------------------------------------------------------------------------------------------------
    @rule(target=pulled, what=st.one_of(names, digest_names))
    def pull(self, what: tuple[int, str]):
        repo, tag_or_label = what
        if tag_or_label in ARTIFACTS:
            self.check_pull(self.digest_name(repo, tag_or_label))
            return multiple()
        self.check_pull(self.tag_name(repo, tag_or_label))
        return what

    @rule(name=pulled)
    def pull_again(self, name: tuple[int, str]) -> None:
        self.check_pull(self.tag_name(*name))

    def check_pull(self, name: str) -> None:
        mark = len(self.world.probe.requests)
        result = self.call(f"pull {self.short(name)}", lambda: self.sut.pull(name))
        traffic = self.world.probe.requests[mark:]
        expected, skipped = self.model.pull(name)
        if expected is None:
            if not isinstance(result, SutError):
                raise self.violation(f"pull {self.short(name)} returned {self.describe(result)}; the registry has "
                                     "no such tag and no read-only store holds it, so it must fail")
            return
        if isinstance(result, SutError):
            raise self.violation(f"pull {self.short(name)} failed ({result}); expected "
                                 f"artifact {self.label_of(expected.id)}")
        if result.id != expected.id:
            raise self.violation(f"pull {self.short(name)} returned {self.describe(result)}, expected artifact "
                                 f"{self.label_of(expected.id)} from "
                                 f"{'read-only store ' + str(expected.store) if skipped else 'the registry'}")
        blobs = [r for r in traffic if r.kind == "blob" and r.method == "GET"]
        manifests = [r for r in traffic if r.kind == "manifest" and r.method == "GET"]
        if skipped and blobs:
            raise self.violation(f"pull {self.short(name)} is held by read-only store {expected.store}, "
                                 f"yet {len(blobs)} blob(s) were downloaded")
        if not skipped and not manifests:
            raise self.violation(f"pull {self.short(name)} asked the registry nothing: the main store was "
                                 "trusted as a cache, so a moved tag would not be followed")

    # --- removal ------------------------------------------------------------------------------------------------
    @rule(what=st.one_of(names, labels))
    def remove(self, what: tuple[int, str] | str) -> None:
        if isinstance(what, str):
            self.remove_id(what)
        else:
            self.remove_name(*what)

    def remove_name(self, repo: int, tag: str) -> None:
        name = self.tag_name(repo, tag)
        result = self.call(f"remove {self.short(name)}", lambda: self.sut.remove(name))
        if isinstance(result, SutError):
            raise self.violation(f"remove {self.short(name)} failed: {result} (removal is idempotent)")
        self.model.remove_name(name)

    def remove_id(self, label: str) -> None:
        artifact_id = self.artifact(label).id
        result = self.call(f"remove ID of {label}", lambda: self.sut.remove(artifact_id))
        if isinstance(result, SutError):
            raise self.violation(f"remove ID of {label} failed: {result} (removal is idempotent)")
        self.model.remove_id(artifact_id)
        found = self.call(f"status ID of {label}", lambda: self.sut.status(artifact_id))
        self.check_resolution(f"after removing the ID of {label}, its status", found,
                              self.model.resolve_id(artifact_id), None)

    # --- look-ups ---------------------------------------------------------------------------------------------
    @rule(what=st.one_of(names, digest_names, st.tuples(labels, st.sampled_from([1, 64]))))
    def status(self, what: tuple) -> None:
        if isinstance(what[0], str):
            self.status_id(*what)
        elif what[1] in ARTIFACTS:
            self.status_digest(*what)
        else:
            self.status_name(*what)

    def status_name(self, repo: int, tag: str) -> None:
        name = self.tag_name(repo, tag)
        result = self.call(f"status {self.short(name)}", lambda: self.sut.status(name))
        self.check_resolution(f"status {self.short(name)}", result, self.model.resolve_name(name), name)

    def status_digest(self, repo: int, label: str) -> None:
        name = self.digest_name(repo, label)
        result = self.call(f"status {self.short(name)}", lambda: self.sut.status(name))
        self.check_resolution(f"status {self.short(name)}", result, self.model.resolve_name(name), None)

    def status_id(self, label: str, length: int) -> None:
        prefix = self.artifact(label).id[:length]
        result = self.call(f"status of {length} ID characters of {label}", lambda: self.sut.status(prefix))
        expected = self.model.resolve_id(prefix)
        what = f"status of {length} ID characters of {label}"
        if isinstance(expected, Ambiguous):
            if not (isinstance(result, SutError) and result.kind == "ambiguous"):
                raise self.violation(f"{what} gave {self.describe(result)}; {prefix!r} matches "
                                     f"{', '.join(map(self.label_of, expected.ids))} in store {expected.store}, "
                                     "so it is ambiguous")
            return
        self.check_resolution(what, result, expected, None)

    def check_resolution(self, what: str, result, expected, tag_name: str | None) -> None:
        if expected is None:
            if not (isinstance(result, SutError) and result.kind == "not_found"):
                raise self.violation(f"{what} gave {self.describe(result)}; no store holds it, expected not found")
            return
        if isinstance(result, SutError):
            raise self.violation(f"{what} failed ({result}); expected artifact {self.label_of(expected.id)} "
                                 f"from store {expected.store}")
        problems = []
        if result.id != expected.id:
            problems.append(f"artifact {self.label_of(result.id)}, expected {self.label_of(expected.id)} "
                            f"(from store {expected.store})")
        if result.id == expected.id and result.pinned != expected.pinned:  # per ID, so by ID too
            problems.append(f"pinned {result.pinned}, expected {expected.pinned}")
        if tag_name is not None and result.id == expected.id:
            if tag_name not in result.repo_tags:
                problems.append(f"tags {[self.short(t) for t in result.repo_tags]} lack {self.short(tag_name)}")
        if expected.store != MAIN and not result.pinned:
            problems.append("a read-only artifact reported unpinned")
        if problems:
            raise self.violation(f"{what}: " + "; ".join(problems))

    # --- the list, after every step --------------------------------------------------------------------------
    @invariant()
    def listing_matches_the_model(self) -> None:
        if not self.log:
            return  # before initialize
        try:
            listed = self.sut.list()
        except SutError as error:
            raise self.violation(f"list failed: {error}") from error
        actual: dict[tuple[str, str], list[Artifact]] = {}
        for position, artifact in enumerate(listed):
            if artifact.repo_tags:
                keys = [("tag", t) for t in artifact.repo_tags]
            elif artifact.repo_digests:
                keys = [("digest", d) for d in artifact.repo_digests]
            else:
                keys = [("unnamed", artifact.id)]
            for key in keys:
                actual.setdefault(key, []).append(artifact)
        digests_anywhere = {d for a in listed for d in a.repo_digests}
        listed_unnamed = {key[1] for key in actual if key[0] == "unnamed"}
        for artifact_id in sorted(self.model.maybe_unnamed - listed_unnamed):
            # The artifact that lost its name may be gone ("at most"), but if it is
            # still there, it must be listed: every artifact stays visible.
            found = self.call(f"status ID of {self.label_of(artifact_id)} (it lost its name)",
                              lambda: self.sut.status(artifact_id))
            self.model.maybe_unnamed.discard(artifact_id)
            if not isinstance(found, SutError) and self.model.resolve_id(artifact_id) is None:
                raise self.violation(f"artifact {self.label_of(artifact_id)} lost its name and is not listed, "
                                     f"yet its ID resolves to {self.describe(found)}: every artifact stays visible")
        unexplained = self.model.observe_unnamed(listed_unnamed)
        problems = [f"unnamed artifact {self.label_of(i)} is listed, but no store should hold it" for i in unexplained]
        expected = self.model.listing()
        expected_keys = {entry.key for entry in expected}
        for entry in expected:
            found = actual.get(entry.key, [])
            if entry.key[0] == "digest" and not found and entry.key[1] in digests_anywhere:
                continue  # merged into a tagged image of the same artifact, as a CRI runtime may list it
            if len(found) != 1:
                problems.append(f"{self.key_text(entry.key)} is listed {len(found)} times, expected once "
                                f"(artifact {self.label_of(entry.id)})")
                continue
            artifact = found[0]
            if artifact.id != entry.id:
                problems.append(f"{self.key_text(entry.key)} is listed as artifact {self.label_of(artifact.id)}, "
                                f"expected {self.label_of(entry.id)} (from store {entry.store})")
            elif entry.key[0] == "tag" and artifact.pinned != entry.pinned:
                problems.append(f"{self.key_text(entry.key)} is listed pinned={artifact.pinned}, "
                                f"expected pinned={entry.pinned} (from store {entry.store})")
            elif entry.key[0] == "tag" and artifact.size != self.artifact(self.label_of(entry.id)).size:
                problems.append(f"{self.key_text(entry.key)} is listed with size {artifact.size}")
        for key, artifacts in actual.items():
            if key not in expected_keys and key[0] != "unnamed":
                problems.append(f"{self.key_text(key)} is listed (as artifact {self.label_of(artifacts[0].id)}), "
                                "but no store should hold it")
        if problems:
            raise self.violation("the list disagrees with the model:\n    " + "\n    ".join(problems)
                                 + "\n  listed: " + "; ".join(map(self.describe, listed)))

    def key_text(self, key: tuple[str, str]) -> str:
        return self.short(key[1]) if key[0] != "unnamed" else f"unnamed {self.label_of(key[1])}"


def test_the_system_follows_the_contract_model(sut_factory, probe, artifact_builder, registry, tmp_path):
    world = World(artifact_builder, probe, registry, sut_factory, tmp_path)
    machine = type("ContractMachineForThisRun", (ContractMachine,), {"world": world})
    started = time.monotonic()
    try:
        run_state_machine_as_test(machine, settings=budget())
    finally:
        world.sut.stop()
    print(f"model-based test: {next(world.examples)} examples in {time.monotonic() - started:.1f} s")


def test_a_known_sequence_agrees_with_the_model(sut_factory, probe, artifact_builder, registry, tmp_path):
    """The paths random sequences reach rarely, in one fixed sequence: an ambiguous
    ID prefix, a re-pointed tag and what it leaves behind, a read-only store
    shadowing the main store, removal by name and by ID, a deleted manifest."""
    world = World(artifact_builder, probe, registry, sut_factory, tmp_path)
    machine = type("ContractMachineForThisRun", (ContractMachine,), {"world": world})()
    check = machine.listing_matches_the_model
    try:
        machine.start()
        check()
        machine.pull((0, "v1")), check()  # A
        machine.pull((0, "v2")), check()  # B, whose ID starts like A's
        machine.status(("A", 1))  # ambiguous within the main store
        machine.move_tag((0, "v1"), "C"), machine.pull_again((0, "v1")), check()  # A loses its name
        machine.status(("A", 64))
        machine.populate(0, (0, "v2"), "C"), check()  # the read-only store shadows the main store's r0:v2
        machine.status((0, "v2")), machine.pull((0, "v2")), check()
        machine.remove((0, "v2")), check()  # the main store's copy goes, the read-only one stays
        machine.remove("A"), check()
        machine.delete_at_registry((1, "v1")), machine.pull((1, "v1")), machine.pull((1, "A")), check()
        machine.empty(0), machine.status((0, "v2")), check()
    finally:
        machine.teardown()
    outcomes = "\n".join(machine.log)
    assert "status of 1 ID characters of A" in outcomes


# --- the proof that it bites ----------------------------------------------------------------------------------
# Variants the random search catches within its CI budget on every run. Others
# (NoRemovalByID, HidesUnnamedArtifacts) need a rarer sequence: the random
# search finds them with some seeds and soaks, not reliably in 40 examples,
# so they are not claimed here; tests/test_mutation.py catches every variant.
CAUGHT_VARIANTS = ["MainStoreAsCache", "PullsNotSkipped"]


@pytest.mark.parametrize("variant", CAUGHT_VARIANTS)
def test_the_model_catches_broken_stores(variant, registry, tmp_path):
    run = run_pytest(
        f"{Path(__file__).relative_to(ROOT)}::test_the_system_follows_the_contract_model",
        "-q", f"--registry-url={registry.url}",
        f"--reference-store-class=tests.broken_stores:{variant}", f"--basetemp={tmp_path / 'run'}",
        "--hypothesis-seed=0", env=child_env({ENV_SOAK: "40", ENV_SHRINK: "0"}), timeout=300,
    )
    output = run.output
    assert run.returncode == 1 and re.search(r"ContractViolation", output), (
        f"the model-based test did not catch {variant}: pytest exited {run.returncode}\n{output[-3000:]}"
    )
