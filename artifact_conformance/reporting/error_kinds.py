"""The contract's error kinds: the one vocabulary every layer names errors in.

An error a runtime reports is one of a few kinds. The reference store's
exceptions carry their kind (``errors.ArtifactStoreError.kind``); serve-cri
derives each gRPC status code from it and names it in trailing metadata; the
harness's ``SutError`` classes are one per kind; the ``cri`` adapter maps what
another runtime says (gRPC code, message) onto a kind; and a scenario says a
kind in words (``PHRASES``: "it fails as not found").

Plain data in the lowest layer, beside the outcomes and levels of
``vocabulary.py``: the simulator, the fixtures and the steps all import it,
and it imports nothing of the project.
"""

from __future__ import annotations

NOT_FOUND = "not_found"
INVALID_REFERENCE = "invalid_reference"
AMBIGUOUS = "ambiguous"
NOT_AN_ARTIFACT = "not_an_artifact"
CONFIG = "config"
REGISTRY = "registry"
CORRUPT = "corrupt"
OTHER = "other"

#: Every kind, a closed set.
ERROR_KINDS = (NOT_FOUND, INVALID_REFERENCE, AMBIGUOUS, NOT_AN_ARTIFACT, CONFIG, REGISTRY, CORRUPT, OTHER)

#: How a scenario names a kind ("it fails as <phrase>"). Corrupt and other
#: have no phrase: no scenario asks for them in words.
PHRASES = {
    NOT_FOUND: "not found",
    INVALID_REFERENCE: "an invalid reference",
    AMBIGUOUS: "ambiguous",
    NOT_AN_ARTIFACT: "not an artifact",
    CONFIG: "a configuration error",
    REGISTRY: "a registry error",
}
