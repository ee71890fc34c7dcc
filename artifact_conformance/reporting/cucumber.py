"""Cucumber JSON from a results document.

The shape cucumber-ruby/-jvm write and report tools (cucumber-html-reporter,
Jenkins' cucumber-reports, Allure's cucumber importer) read: a list of
features, each with ``elements`` (a ``background`` element before each
scenario that has background steps, then the ``scenario``), each step with a
``result`` (status ``passed``, ``failed``, ``skipped``, ``undefined``; a
duration in nanoseconds). Built from the recorded results, so it is complete
under pytest-xdist (pytest-bdd's own ``--cucumberjson`` is written per
process). Not applicable becomes ``skipped`` with the reason as its message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from artifact_conformance.reporting.model import slug

STEP_STATUS = {
    "passed": "passed",
    "failed": "failed",
    "undefined": "undefined",
    "not_applicable": "skipped",
    "skipped": "skipped",
    "not_run": "skipped",
    "running": "failed",
}


def cucumber_features(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    features: dict[str, dict[str, Any]] = {}
    records = sorted(document.get("scenarios", []),
                     key=lambda r: ((r.get("feature") or {}).get("file") or "~", r.get("line") or 0, r.get("nodeid") or ""))
    for record in records:
        feature = record.get("feature") or {}
        uri = feature.get("file") or (record.get("nodeid") or "").partition("::")[0]
        entry = features.get(uri)
        if entry is None:
            entry = features[uri] = {
                "uri": uri,
                "id": slug(feature.get("name") or uri),
                "keyword": feature.get("keyword") or "Feature",
                "name": feature.get("name") or uri,
                "description": feature.get("narrative") or "",
                "line": feature.get("line") or 1,
                "tags": [_tag(t, feature.get("line") or 1) for t in feature.get("tags") or []],
                "elements": [],
            }
        background = [s for s in record.get("steps", []) if s.get("background")]
        if background:
            entry["elements"].append({
                "keyword": "Background", "type": "background", "name": "", "description": "",
                "line": min(s.get("line") or 0 for s in background), "steps": [_step(s, record) for s in background],
            })
        entry["elements"].append(_scenario(entry["id"], record))
    return list(features.values())


def _scenario(feature_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    own = [s for s in record.get("steps", []) if not s.get("background")]
    steps = [_step(s, record) for s in own]
    outcome = record.get("outcome")
    if outcome == "error" and not any(s["result"]["status"] == "failed" for s in steps):
        # The harness failed outside the steps (a fixture): say so where tools look, on a step.
        steps.append({"keyword": "After ", "name": "harness", "line": record.get("line") or 0,
                      "hidden": True, "match": {"location": record.get("nodeid") or ""},
                      "result": {"status": "failed", "duration": 0, "error_message": record.get("message") or "error"}})
    rule = record.get("rule") or {}
    scenario_id = slug(record.get("scenario") or record.get("nodeid") or "")
    if record.get("example"):
        scenario_id += ";" + slug("-".join(str(v) for v in record["example"].values()))
    element: dict[str, Any] = {
        "id": f"{feature_id};{scenario_id}",
        "keyword": "Scenario Outline" if record.get("example") else "Scenario",
        "type": "scenario",
        "name": record.get("scenario") or record.get("nodeid") or "",
        "description": f"Rule: {rule['name']}" if rule.get("name") else "",
        "line": record.get("line") or 0,
        "tags": [_tag(t, record.get("line") or 0) for t in record.get("tags") or []],
        "steps": steps,
    }
    return element


def _step(step: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    status = STEP_STATUS.get(step.get("outcome") or "not_run", "skipped")
    result: dict[str, Any] = {"status": status, "duration": int(round((step.get("duration_s") or 0) * 1e9))}
    message = step.get("message")
    if status == "failed" and step.get("outcome") == "running":
        message = record.get("message") or "the step did not finish"
    if message:
        result["error_message"] = message
    data: dict[str, Any] = {
        "keyword": f"{step.get('keyword', '')} ",
        "name": step.get("text", ""),
        "line": step.get("line") or 0,
        "match": {"location": f"{(record.get('feature') or {}).get('file', '')}:{step.get('line') or 0}"},
        "result": result,
    }
    if step.get("docstring") is not None:
        data["doc_string"] = {"value": step["docstring"], "line": (step.get("line") or 0) + 1}
    if step.get("datatable"):
        data["rows"] = [{"cells": list(row)} for row in step["datatable"]]
    return data


def _tag(name: str, line: int) -> dict[str, Any]:
    return {"name": f"@{name}", "line": line}
