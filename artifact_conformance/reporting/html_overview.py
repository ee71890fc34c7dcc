"""The top of the report: the verdict, the conformance matrix, the counts, what needs
attention, and the runtime and configuration that were tested."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from artifact_conformance.reporting.html_pieces import first_line, judged_label, readable_time, step_text, sut_title
from artifact_conformance.reporting.model import FeatureView, ScenarioView
from artifact_conformance.reporting.vocabulary import (
    EXPECTED,
    FATAL,
    LEVELS,
    NOT_MET,
    OUTCOME_LABELS,
    OUTCOMES,
    TOLERATED,
    UNEXPECTED_PASS,
)


def verdict_banner(document: Mapping[str, Any], features: Sequence[FeatureView]) -> str:
    conformance = document.get("conformance")
    if conformance:
        ok = conformance.get("exit_code") == 0
        headline = conformance.get("headline") or ("Passed" if ok else "Failed")
        detail = []
        if conformance.get("expectations"):
            detail.append(f"Judged against the expectations in {conformance['expectations']}.")
            detail.append("Conformant on required scenarios." if conformance.get("conformant")
                          else f"{conformance.get('required_failing')} required scenario(s) failed (see below).")
        if conformance.get("strict"):
            detail.append("--strict: optional failures fail the run.")
        detail.append(_level_split(features))
    else:
        scenarios = [s for f in features for s in f.scenarios]
        failing = [s for s in scenarios if s.outcome in ("failed", "error") and (s.level or "required") == "required"]
        ok = not failing
        required = sum(1 for s in scenarios if (s.level or "required") == "required")
        headline = (f"Conformant: all {required} required scenarios passed or were not applicable" if ok
                    else f"Not conformant: {len(failing)} of {required} required scenarios failed")
        detail = [_level_split(features)]
    small = f"<small>{escape(' '.join(detail))}</small>" if detail else ""
    return f'<div class="verdict {"pass" if ok else "fail"}">{escape(headline)}{small}</div>'


def _level_split(features: Sequence[FeatureView]) -> str:
    parts = []
    for level in LEVELS:
        chosen = [s for f in features for s in f.scenarios if (s.level or "required") == level]
        if not chosen:
            continue
        passed = sum(1 for s in chosen if s.outcome == "passed")
        not_applicable = sum(1 for s in chosen if s.outcome in ("not_applicable", "skipped"))
        text = f"{level.capitalize()}: {passed} of {len(chosen)} passed"
        if not_applicable:
            text += f" ({not_applicable} not applicable)"
        parts.append(text)
    return "; ".join(parts) + "." if parts else ""


def _cell(scenarios: list[ScenarioView], level: str, with_outcomes: bool) -> str:
    if not scenarios:
        return '<td class="cell none">\u2014</td>'
    if not with_outcomes:
        return f'<td class="cell">{len(scenarios)}</td>'
    passed = sum(1 for s in scenarios if s.outcome == "passed")
    failing = [s for s in scenarios if s.outcome in ("failed", "error")]
    not_applicable = sum(1 for s in scenarios if s.outcome in ("not_applicable", "skipped"))
    ran = passed + len(failing)
    notes = []
    if not_applicable:
        notes.append(f"{not_applicable} n/a")
    expected = [s for s in failing if s.judgement == EXPECTED]
    if expected:
        notes.append(f"{len(expected)} expected")
    if failing and len(expected) < len(failing):
        kind = "bad" if level == "required" or any(s.judgement in FATAL for s in failing) else "warn"
    elif failing:
        kind = "warn"
    elif ran == 0:
        kind = "na"
    else:
        kind = "good"
    text = f"{passed}/{ran}" if ran else "n/a"
    note = f'<span class="note">{escape(", ".join(notes))}</span>' if notes and ran else ""
    return f'<td class="cell {kind}">{text}{note}</td>'


def matrix(features: Sequence[FeatureView], with_outcomes: bool) -> str:
    head = "".join(f"<th>{level}</th>" for level in LEVELS)
    rows = []
    everything: dict[str, list[ScenarioView]] = {level: [] for level in LEVELS}
    for feature in features:
        cells = []
        for level in LEVELS:
            chosen = [s for s in feature.scenarios if (s.level or "required") == level]
            everything[level].extend(chosen)
            cells.append(_cell(chosen, level, with_outcomes))
        rows.append(
            f'<tr><td><a href="#{feature.anchor}">{escape(feature.name)}</a>'
            f'<span class="area-tag">@{escape(feature.area)}</span></td>{"".join(cells)}</tr>'
        )
    total = "".join(_cell(everything[level], level, with_outcomes) for level in LEVELS)
    rows.append(f'<tr class="total"><td>All areas</td>{total}</tr>')
    label = "Behaviour area" if with_outcomes else "Behaviour area (scenarios per level)"
    return f'<table class="matrix"><thead><tr><th>{label}</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def counts(document: Mapping[str, Any]) -> str:
    summary = document.get("summary") or {}
    items = [f'<div class="count{" bad" if o in ("failed", "error") and summary.get(o) else ""}">'
             f'<span>{escape(OUTCOME_LABELS[o])}</span><b>{summary.get(o, 0)}</b></div>' for o in OUTCOMES]
    items.append(f'<div class="count"><span>scenarios</span><b>{summary.get("total", 0)}</b></div>')
    return f'<div class="counts">{"".join(items)}</div>'


def attention(features: Sequence[FeatureView]) -> str:
    items = []
    for feature in features:
        for scenario in feature.scenarios:
            judgement = scenario.judgement
            if scenario.outcome not in ("failed", "error") and judgement not in (UNEXPECTED_PASS, NOT_MET):
                continue
            known = judgement in (EXPECTED, TOLERATED, NOT_MET)
            label = judged_label(scenario)
            why = scenario.message or ""
            if scenario.expectation:
                why = f"expected {'/'.join(scenario.expectation.get('outcomes', []))}: {scenario.expectation.get('reason', '')}"
            badge = "expected" if known else (scenario.outcome or "")
            items.append(
                f'<li class="{"known" if known else ""}"><span class="badge {escape(badge)}">{escape(label)}</span> '
                f'<span class="tag {escape(scenario.level or "")}">@{escape(scenario.level or "?")}</span> '
                f'<a href="#{scenario.anchor}">{step_text(scenario.name)}</a> '
                f'<span class="area-tag">{escape(feature.name)}</span>'
                f'<span class="why">{escape(first_line(why))}</span></li>'
            )
    if not items:
        return ""
    return f'<h3>Needs attention ({len(items)})</h3><ul class="attention">{"".join(items)}</ul>'


def registry_title(registry: Mapping[str, Any]) -> str:
    """"process: /usr/bin/docker-registry at http://127.0.0.1:41234", from the results
    document's ``run.registry`` (older documents: whatever keys they have)."""
    if "urls" not in registry:
        return ", ".join(f"{k} {v}" for k, v in registry.items() if v)
    urls = list(registry.get("urls") or [])
    if not urls:
        return f"none started: no selected scenario needed one (provider {registry.get('requested') or 'auto'})"
    runs = registry.get("image") or registry.get("binary")
    title = f"{registry.get('provider')}: {runs} at " if runs else f"{registry.get('provider')}: "
    title += urls[0] if len(urls) == 1 else f"{', '.join(urls)} (one per worker)"
    if registry.get("requested") and registry.get("requested") != registry.get("provider"):
        title += f" (provider {registry['requested']} chose it)"
    return title


def run_config(document: Mapping[str, Any]) -> str:
    run = document.get("run") or {}
    sut = run.get("sut") or {}
    facts: list[tuple[str, str]] = [("System under test", escape(sut_title(sut)))]
    if sut.get("runtime"):
        facts.append(("Runtime answered", escape(str(sut["runtime"]))))
    if sut.get("capabilities") is not None:
        facts.append(("Capabilities", escape(", ".join(sut["capabilities"]) or "none")))
    settings = sut.get("settings") or {}
    if settings:
        rows = "".join(f"<tr><td>{escape(str(k))}</td><td class=\"mono\">{escape(str(v))}</td></tr>"
                       for k, v in sorted(settings.items()))
        facts.append(("Configuration", f'<table class="data">{rows}</table>'))
    registry = run.get("registry") or {}
    if registry:
        facts.append(("Registry", escape(registry_title(registry))))
    conformance = document.get("conformance") or {}
    pytest_run = run.get("pytest") or {}
    selection = [f"profile {conformance['profile']}"] if conformance.get("profile") else []
    if pytest_run.get("markexpr"):
        selection.append(f"-m {pytest_run['markexpr']}")
    if pytest_run.get("keyword"):
        selection.append(f"-k {pytest_run['keyword']}")
    facts.append(("Selection", escape(", ".join(selection) or "all scenarios")))
    if pytest_run.get("workers"):
        facts.append(("Workers", escape(str(pytest_run["workers"]))))
    if conformance.get("expectations"):
        facts.append(("Expectations", escape(str(conformance["expectations"]))))
        unused = conformance.get("unused_expectations") or []
        if unused:
            facts.append(("Unused expectations", "<br>".join(escape(u.get("selector", "")) for u in unused)))
    if conformance.get("arguments"):
        command = "artifact-conformance " + shlex.join(map(str, conformance["arguments"]))
        facts.append(("Command", f'<span class="mono">{escape(command)}</span>'))
    elif pytest_run.get("args"):
        facts.append(("pytest arguments", f'<span class="mono">{escape(shlex.join(map(str, pytest_run["args"])))}</span>'))
    for key, label in (("started", "Started"), ("finished", "Finished")):
        if run.get(key):
            facts.append((label, escape(readable_time(run[key]))))
    versions = run.get("versions") or {}
    if versions:
        facts.append(("Versions", escape(", ".join(f"{k} {v}" for k, v in versions.items() if v))))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
    return (f'<details class="run-config" open><summary>Runtime under test and run configuration</summary>'
            f'<dl class="facts">{body}</dl></details>')
