"""The reference adapter declaring only some of its capabilities (a test helper).

``--sut tests.capability_masked:ReferenceWithCapabilities --sut-option
capabilities=configure,warnings`` runs the reference store in-process as if it
could do only that: a scenario that needs anything else is not applicable,
exactly as it is for an adapter that lacks it. The end-to-end test compares
the run through CRI with this run, so that "not applicable because CRI lacks
X" is measured, not assumed.
"""

from __future__ import annotations

from artifact_conformance.fixtures.adapters.interface import SutOptions
from artifact_conformance.fixtures.adapters.reference import ReferenceAdapter

SETTING = "capabilities"


class ReferenceWithCapabilities(ReferenceAdapter):
    @classmethod
    def from_options(cls, options: SutOptions) -> ReferenceWithCapabilities:
        adapter = super().from_options(options)
        wanted = frozenset(c.strip() for c in (options.setting(SETTING) or "").split(",") if c.strip())
        unknown = wanted - ReferenceAdapter.capabilities
        if unknown:
            raise ValueError(f"{SETTING}={sorted(unknown)}: the reference adapter has only "
                             f"{sorted(ReferenceAdapter.capabilities)}")
        adapter.capabilities = wanted
        adapter.name = "reference"
        return adapter
