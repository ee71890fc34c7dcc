"""The packaged feature files: where they are, and what they say.

``artifact_conformance.features`` is package data of the installed copy (and
the ``features/`` folder of a checkout, through the editable install), so the
suite can run and be documented from anywhere.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

from pytest_bdd.parser import Feature, FeatureParser

FEATURES_PACKAGE = "artifact_conformance.features"


def features_dir() -> Path:
    """The directory holding the ``.feature`` files and their test modules."""
    location = importlib.resources.files(FEATURES_PACKAGE)
    path = Path(str(location))
    if not (path.is_dir() and any(path.glob("*.feature"))):
        raise FileNotFoundError(
            f"the package {FEATURES_PACKAGE} has no .feature files at {location} "
            "(the suite must be installed as files, not a zip)"
        )
    return path


def parse_features(directory: Path) -> list[Feature]:
    """Every feature file of ``directory``, parsed as pytest-bdd parses it."""
    return [FeatureParser(str(directory), path.name).parse() for path in sorted(directory.glob("*.feature"))]


@lru_cache(maxsize=1)
def _packaged() -> tuple[Feature, ...]:
    return tuple(parse_features(features_dir()))


def packaged_features() -> list[Feature]:
    return list(_packaged())
