"""Broken variants of the reference store that only robustness.feature can catch.

Like ``broken_stores``, each gets one thing wrong the way a real runtime
plausibly could; ``tests/test_robustness_bites.py`` names the scenarios of
robustness.feature each must fail, runs them against it and requires each
named one to fail.
"""

from __future__ import annotations

from artifact_conformance.simulator import mediatypes as mt
from artifact_conformance.simulator.errors import RegistryError
from artifact_conformance.simulator.store import ArtifactStore


class TrustsRegistryBlobs(ArtifactStore):
    """Stores blobs as the registry sends them, without checking their digests."""

    def _stage_blob(self, staging, ref, blob, credentials):
        digest = blob["digest"]
        if staging.has(digest) or staging.reuse_existing(digest):
            return
        client = self.registry._client(ref.domain, credentials)
        response = client.do_request(f"{client.prefix}://{ref.domain}/v2/{ref.path}/blobs/{digest}", "GET")
        if response.status_code != 200:
            raise RegistryError(f"blob {digest}: {response.status_code}")
        staging.path_for(digest).write_bytes(response.content)
        staging.adopt(digest)


class LeavesStagingBehind(ArtifactStore):
    """Never removes what a killed pull left in the staging area."""

    def __init__(self, config, registry=None):
        super().__init__(config, registry)
        self.main._remove_leftovers = lambda: None


class SkipsShapeChecks(ArtifactStore):
    """Uses manifests from a read-only store without checking the types of their fields."""

    def __init__(self, config, registry=None):
        mt.document_problem = lambda document: None  # this process runs only this variant
        super().__init__(config, registry)


VARIANTS = [TrustsRegistryBlobs, LeavesStagingBehind, SkipsShapeChecks]
