"""Results documents made without running the suite: every packaged scenario
with an outcome the test chooses, shaped like ``results_plugin`` writes them."""

from __future__ import annotations

import copy
from typing import Any

from artifact_conformance.contract import is_rule_tag, rule_ids
from artifact_conformance.reporting.feature_files import packaged_features
from artifact_conformance.reporting.results_schema import FORMAT, contract_json
from artifact_conformance.reporting.vocabulary import OUTCOMES


def scenario_records(prefix: str = "features/") -> list[dict[str, Any]]:
    records = []
    for feature in packaged_features():
        module = "test_" + feature.rel_filename.rsplit("/", 1)[-1].removesuffix(".feature") + ".py"
        for template in feature.scenarios.values():
            contexts = [c for examples in template.examples for c in examples.as_contexts()] or [None]
            for example in contexts:
                scenario = template.render(example or {})
                tags = sorted(template.tags | feature.tags | (template.rule.tags if template.rule else set()))
                name = "test_" + "".join(c if c.isalnum() else "_" for c in template.name.lower())
                if example:
                    name += "[" + "-".join(example.values()) + "]"
                background = len(template.all_background_steps)
                records.append({
                    "nodeid": f"{prefix}{module}::{name}",
                    "feature": {"name": feature.name, "keyword": "Feature", "line": feature.line_number,
                                "file": feature.rel_filename, "narrative": feature.description.strip(),
                                "tags": sorted(feature.tags)},
                    "rule": {"name": template.rule.name, "description": ""} if template.rule else None,
                    "scenario": scenario.name, "line": template.line_number, "example": example, "tags": tags,
                    "level": next((t for t in tags if t in ("required", "optional")), None),
                    "areas": [t for t in tags if t not in ("required", "optional") and not is_rule_tag(t)],
                    "contract_rules": rule_ids(tags),
                    "outcome": "passed", "message": None, "failing_step": None, "details": None,
                    "steps": [{"keyword": s.keyword.strip(), "text": s.name, "line": s.line_number,
                               "background": i < background, "outcome": "passed", "duration_s": 0.001}
                              for i, s in enumerate(scenario.steps)],
                    "requests": [], "sut": {"name": "reference", "capabilities": []}, "duration_s": 0.01,
                    "worker": None,
                })
    return records


def document(records: list[dict[str, Any]], sut: str = "reference", settings: dict | None = None) -> dict[str, Any]:
    records = copy.deepcopy(records)
    summary = {o: sum(1 for r in records if r["outcome"] == o) for o in OUTCOMES}
    summary["total"] = len(records)
    return {
        "format": FORMAT,
        "run": {"suite": {"name": "artifact-conformance", "version": "0.1.0"},
                "sut": {"name": sut, "settings": settings or {}, "adapter": sut, "capabilities": ["configure"]},
                "registry": {"provider": "url", "url": "http://127.0.0.1:5000", "image": None},
                "pytest": {"args": ["features"], "rootdir": "/x", "markexpr": None, "keyword": None, "workers": 2},
                "versions": {"python": "3.11"}, "started": "2026-08-01T10:00:00+00:00",
                "finished": "2026-08-01T10:01:00+00:00", "duration_s": 60.0},
        "summary": summary,
        "contract": contract_json(),
        "scenarios": records,
    }


def fail(record: dict[str, Any], message: str = "AssertionError: expected artifact A", outcome: str = "failed") -> dict:
    """Make ``record`` fail at its last step (or error, outside the steps)."""
    record["outcome"], record["message"] = outcome, message
    if outcome == "failed":
        step = record["steps"][-1]
        step["outcome"], step["message"] = "failed", message
        record["failing_step"] = step
    return record


def by_name(records: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(r for r in records if r["scenario"] == name)
