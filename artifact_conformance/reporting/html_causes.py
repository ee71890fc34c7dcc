"""The report's known divergences by root cause: for a run judged with an expectations
file that names causes, each cause (worst harm first) with the runtime's functions, a
reproduction, and this run's scenarios under it with their judgements."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from artifact_conformance.reporting.model import slug
from artifact_conformance.reporting.vocabulary import FATAL, JUDGEMENT_LABELS


def causes_section(document: Mapping[str, Any]) -> str:
    causes = (document.get("conformance") or {}).get("causes") or []
    if not causes:
        return ""
    items = []
    for cause in causes:
        scenarios = cause.get("scenarios") or []
        rows = "".join(
            f'<li class="{"fatal" if s.get("judgement") in FATAL else ""}">'
            f'<a href="#s-{escape(slug(s.get("nodeid") or ""), quote=True)}">{escape(s.get("scenario") or "?")}</a> '
            f'&mdash; {escape(s.get("outcome") or "?")}, '
            f'{escape(JUDGEMENT_LABELS.get(s.get("judgement") or "", s.get("judgement") or ""))}</li>'
            for s in scenarios)
        functions = ", ".join(f"<code>{escape(f)}</code>" for f in cause.get("functions") or [])
        link = cause.get("link")
        items.append(
            f'<div class="cause"><h3>{escape(cause["title"])}</h3>'
            f'<p><b>Harm:</b> {escape(cause.get("harm_text") or cause.get("harm") or "")}. '
            f'<b>Where:</b> {functions}'
            + (f' (<a href="{escape(link, quote=True)}">{escape(link)}</a>)' if link else "")
            + f'</p><details><summary>Reproduction</summary><pre>{escape(cause.get("reproduction") or "")}</pre>'
            f'</details><p>{len(scenarios)} scenario(s) of this run:</p><ul>{rows}</ul></div>')
    return ('<section class="causes"><h2>Known divergences, by root cause</h2>'
            '<p class="legend">From the expectations file: each cause the runtime\'s maintainers can fix once, worst '
            'harm first, with the scenarios it fails in this run.</p>' + "".join(items) + "</section>")
