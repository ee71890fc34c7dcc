"""Small pieces of HTML the report's parts share: step text, tables, paragraphs, times, labels."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from artifact_conformance.reporting.model import ScenarioView
from artifact_conformance.reporting.vocabulary import (
    EXPECTED,
    NOT_MET,
    OUTCOME_LABELS,
    TOLERATED,
    UNEXPECTED_FAILURE,
    UNEXPECTED_PASS,
)

QUOTED = re.compile(r'("[^"]*"|&quot;[^&]*?&quot;|&lt;[a-z_ ]+&gt;)')


def judged_label(scenario: ScenarioView) -> str:
    outcome = OUTCOME_LABELS.get(scenario.outcome or "", scenario.outcome or "")
    qualifier = {
        TOLERATED: "optional", EXPECTED: "expected", UNEXPECTED_PASS: "unexpected",
        UNEXPECTED_FAILURE: "unexpected", NOT_MET: "expectation not met",
    }.get(scenario.judgement or "")
    return f"{outcome} ({qualifier})" if qualifier else outcome


def step_text(text: str) -> str:
    """Step text with its quoted values and <placeholders> set apart."""
    return QUOTED.sub(lambda m: f'<span class="q">{m.group(0)}</span>', escape(text, quote=False))


def data_table(rows: Sequence[Sequence[str]], header: bool) -> str:
    if not rows:
        return ""
    html_rows = []
    for i, row in enumerate(rows):
        tag = "th" if header and i == 0 else "td"
        html_rows.append("<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in row) + "</tr>")
    return f'<table class="data">{"".join(html_rows)}</table>'


def paragraphs(text: str) -> str:
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in re.split(r"\n\s*\n", text.strip())]
    return "".join(f"<p>{escape(b)}</p>" for b in blocks if b)


def sut_title(sut: Mapping[str, Any]) -> str:
    name = sut.get("name") or "unknown"
    title = name
    if sut.get("adapter") and sut["adapter"] != name:
        title += f" ({sut['adapter']} adapter)"
    if name == "reference":
        store_class = (sut.get("settings") or {}).get("store_class")
        title = "reference simulator" + (f" with store class {store_class}" if store_class else "")
    if sut.get("runtime"):
        title += f": {sut['runtime']}"
    return title


def readable_time(iso: str) -> str:
    return iso.replace("T", " ").replace("+00:00", " UTC")


def seconds(value: Any) -> str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{seconds:.1f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 240 else line[:237] + "..."
