"""The results document: one JSON document describing every scenario of a run.

It is written by the harness (``pytest --results-json FILE``,
fixtures/plugins/results.py) and read by every report, ``diff`` and ``merge``;
this module is its one description::

    {"format": "artifact-conformance-results/1",
     "run": {...the suite's version, the configuration: SUT (its settings, adapter, capabilities,
             the runtime that answered), registry, pytest args, start and end...},
     "summary": {"passed": n, "failed": n, "not_applicable": n, "skipped": n, "error": n, "total": n},
     "contract": {"source", "rules": [{"id", "level", "title", "statement", "reason", "section"}]},
     "scenarios": [{"nodeid", "feature": {"name", "keyword", "line", "file", "narrative", "tags"}, "rule",
                    "scenario", "line", "tags", "level", "areas", "contract_rules", "outcome", "message",
                    "failing_step", "steps": [{"keyword", "text", "line", "outcome", ...}],
                    "requests": [{"method", "path", "status", "bytes", "kind"}], ...}]}

``rule`` is the Gherkin ``Rule:`` block a scenario sits in; ``contract_rules``
are the ids of the rules of docs/contract.md it cites (its ``@rule:<id>`` tags).
``contract`` lists every rule with its level, so a report can say which rules
no scenario of the run checked.

Outcomes (reporting/vocabulary.py): ``passed``, ``failed`` (a step's assertion
or the SUT's behaviour), ``not_applicable`` (the SUT or harness lacks a
capability the scenario needs: a skip whose reason starts with "not
applicable:"), ``skipped`` (any other skip, e.g. deselected by a marker's
skipif), ``error`` (the harness failed outside the scenario's steps: a
fixture, a crashed worker).

``artifact-conformance run`` adds ``run.node`` and ``conformance`` (the verdict)
to the same document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from artifact_conformance.contract import load_contract
from artifact_conformance.reporting.vocabulary import ERROR, OUTCOMES

FORMAT = "artifact-conformance-results/1"
MESSAGE_MAX = 4000
DETAILS_MAX = 12000


def results_document(run: dict[str, Any], scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole document, from the run's description and the scenarios' records."""
    return {
        "format": FORMAT,
        "run": run,
        "summary": summary(scenarios),
        "contract": contract_json(),
        "scenarios": scenarios,
    }


def summary(scenarios: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many scenarios had each outcome (every outcome listed, zero or not), and the total."""
    counts = {outcome: 0 for outcome in OUTCOMES}
    total = 0
    for scenario in scenarios:
        counts[scenario["outcome"]] = counts.get(scenario["outcome"], 0) + 1
        total += 1
    counts["total"] = total
    return counts


def crashed_scenario(nodeid: str, message: str) -> dict[str, Any]:
    """The record of a scenario whose worker died running it: no steps were recorded."""
    return {"nodeid": nodeid, "outcome": ERROR, "message": clip(message, MESSAGE_MAX),
            "steps": [], "requests": [], "tags": []}


def contract_json() -> dict[str, Any]:
    """The rules the run was judged by: id, level, title, reason, section."""
    contract = load_contract()
    return {
        "source": contract.source,
        "rules": [{"id": r.id, "level": r.level, "title": r.title, "statement": r.statement,
                   "reason": r.reason, "section": r.section} for r in contract.rules],
    }


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 20] + f"... [{len(text) - limit + 20} more characters]"
