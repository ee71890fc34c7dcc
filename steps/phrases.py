"""Regex fragments the steps share, so that a phrase means one thing everywhere."""

from __future__ import annotations

import re

from artifact_conformance.fixtures.scenario.faults import FAULT  # noqa: F401 - how the registry fails, after "the registry "

QUOTED = re.compile(r'"([^"]*)"')
LABEL = r"[A-Z]\d*"  # an artifact label
ARTIFACT = r"artifact (?P<artifact>[A-Z]\d*)"
HOST_INSTANCE = r"the host platform's artifact of index (?P<index>[A-Z]\d*)"
STORE = r'the read-only store "(?P<label>[^"]+)"'
# "llm:v1", "llm:v2" and "other:v1": quoted labels, read with QUOTED.findall
LABELS = r'(?P<refs>"[^"]+"(?:(?:, | and )"[^"]+")*)'
# A, B and C: artifact labels, read with artifact_labels()
ARTIFACT_LABELS = r"(?P<labels>[A-Z]\d*(?:, [A-Z]\d*)* and [A-Z]\d*)"
ID_PART = r"(?P<which>all 64 characters|the first (?P<count>\d+) characters|the first character)"


def quoted(text: str) -> list[str]:
    return QUOTED.findall(text)


def artifact_labels(text: str) -> list[str]:
    return text.replace(" and ", ", ").split(", ")
