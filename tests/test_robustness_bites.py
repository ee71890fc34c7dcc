"""robustness.feature bites: each variant in ``robustness_broken_stores`` fails
the scenarios written for what it gets wrong, named in ``MUST_FAIL`` and
checked by name as ``test_mutation`` checks ``broken_stores`` (run in a
subprocess, sharing this session's registry)."""

from __future__ import annotations

import pytest

from artifact_conformance.simulator.store import ArtifactStore
from tests import robustness_broken_stores as broken
from tests.test_mutation import NamedScenario, check_fails_named_scenarios, mapping_problems

MUST_FAIL: dict[type[ArtifactStore], tuple[NamedScenario, ...]] = {
    # pull.atomic: blobs are verified against their digests; a pull that fails leaves the main store as it was.
    broken.TrustsRegistryBlobs: (
        ("robustness.feature", "When the registry serves the layer of artifact A with its bytes altered, the pull fails, "
                               "the main store keeps what it held, and a retry succeeds"),
        ("robustness.feature", "The error of a pull that failed on a blob names that blob "
                               "(serves the layer of artifact A with its bytes altered)"),
    ),
    # pull.atomic: an interrupted pull leaves nothing behind.
    broken.LeavesStagingBehind: (
        ("robustness.feature", "A pull killed with SIGKILL in the middle of a blob leaves the main store as it was, "
                               "and a later pull succeeds"),
    ),
    # faults.store-contained: a manifest whose fields have the wrong types hides at most its store, never crashes.
    broken.SkipsShapeChecks: (
        ("robustness.feature", "In a read-only store, the manifest of artifact A gives a layer size that is not a number: "
                               "the other stores are still served, and nothing damaged is handed out"),
        ("robustness.feature", "In a read-only store, the manifest of artifact A lists a layer that is not an object: "
                               "the other stores are still served, and nothing damaged is handed out"),
    ),
}


def test_every_robustness_variant_names_existing_scenarios_it_must_fail():
    problems = mapping_problems(broken, broken.VARIANTS, MUST_FAIL)
    assert not problems, "\n".join(problems)


@pytest.mark.registry
@pytest.mark.parametrize("variant", broken.VARIANTS, ids=lambda v: v.__name__)
def test_robustness_scenarios_catch(variant, registry, tmp_path):
    check_fails_named_scenarios(variant, MUST_FAIL.get(variant, ()), registry.url, tmp_path)
