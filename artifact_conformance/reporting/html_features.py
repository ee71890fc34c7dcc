"""Every feature as living documentation: its narrative, its rules, each scenario's steps
(with their outcomes in a report), the message of a failing step, and the registry
requests the scenario caused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from artifact_conformance.reporting.html_contract import rule_chips
from artifact_conformance.reporting.html_pieces import data_table, judged_label, paragraphs, seconds, step_text
from artifact_conformance.reporting.model import FeatureView, RuleView, ScenarioView, StepView
from artifact_conformance.reporting.vocabulary import (
    EXPECTED,
    FATAL,
    JUDGEMENT_LABELS,
    LEVELS,
    OUTCOME_LABELS,
    OUTCOMES,
    TOLERATED,
)

STEP_ICON = {
    "passed": "\u2713", "failed": "\u2717", "undefined": "?", "not_applicable": "\u2298",
    "skipped": "\u21b7", "not_run": "\u00b7", "running": "\u2717",
}


def feature_section(feature: FeatureView, with_outcomes: bool) -> str:
    scenarios = feature.scenarios
    if with_outcomes:
        counted = {o: sum(1 for s in scenarios if s.outcome == o) for o in OUTCOMES}
        tally = ", ".join(f"{n} {OUTCOME_LABELS[o]}" for o, n in counted.items() if n)
        summary = f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''}: {tally}"
    else:
        levels = {lv: sum(1 for s in scenarios if s.level == lv) for lv in LEVELS}
        summary = f"{len(scenarios)} scenarios: " + ", ".join(f"{n} {lv}" for lv, n in levels.items() if n)
    parts = [
        f'<section class="feature" id="{feature.anchor}">',
        f'<h2>{escape(feature.name)} <span class="tag">@{escape(feature.area)}</span></h2>',
        f'<div class="file">{escape(feature.file)} \u00b7 {escape(summary)}</div>',
        f'<div class="narrative">{paragraphs(feature.narrative)}</div>',
    ]
    if feature.background:
        parts.append(f'<div class="background"><h4>Background (before every scenario)</h4>{_steps(feature.background, False)}</div>')
    for rule in feature.rules:
        parts.append(_rule(rule, with_outcomes))
    parts.append("</section>")
    return "\n".join(parts)


def _rule(rule: RuleView, with_outcomes: bool) -> str:
    parts = ['<div class="rule">']
    if rule.name:
        parts.append(f'<h3><span class="kw">Rule:</span> {escape(rule.name)}</h3>')
    if rule.description:
        parts.append(f'<div class="narrative">{paragraphs(rule.description)}</div>')
    if rule.background:
        parts.append(f'<div class="background"><h4>Background</h4>{_steps(rule.background, False)}</div>')
    parts.extend(_scenario(s, with_outcomes) for s in rule.scenarios)
    parts.append("</div>")
    return "\n".join(parts)


def _scenario(scenario: ScenarioView, with_outcomes: bool) -> str:
    outcome = scenario.outcome if with_outcomes else None
    classes = [f"o-{outcome or 'none'}"]
    if scenario.judgement == EXPECTED:
        classes.append("j-expected")
    head = []
    if outcome:
        badge_class = "expected" if scenario.judgement in (EXPECTED, TOLERATED) else outcome
        label = judged_label(scenario)
        head.append(f'<span class="badge {badge_class}">{escape(label)}</span>')
    keyword = "" if scenario.keyword == "Scenario" else f"{escape(scenario.keyword)}: "
    head.append(f"<h4>{keyword}{step_text(scenario.name)}</h4>")
    head.extend(f'<span class="tag {escape(t)}">@{escape(t)}</span>' for t in scenario.tags if t in LEVELS)
    head.append(rule_chips(scenario))
    if with_outcomes and scenario.duration_s is not None:
        head.append(f'<span class="dur">{seconds(scenario.duration_s)}</span>')
    parts = [f'<article class="scenario {" ".join(classes)}" id="{scenario.anchor}">',
             f'<div class="sc-head">{"".join(head)}</div>']
    if scenario.example:
        parts.append('<div class="example">Example: ' + escape(", ".join(f"{k} = {v}" for k, v in scenario.example.items())) + "</div>")
    if scenario.description:
        parts.append(f'<div class="narrative">{paragraphs(scenario.description)}</div>')
    if scenario.expectation:
        fatal = scenario.judgement in FATAL
        link = scenario.expectation.get("link")
        link_html = f' (<a href="{escape(link, quote=True)}">{escape(link)}</a>)' if link else ""
        verdict = f"<b>{escape(JUDGEMENT_LABELS.get(scenario.judgement or '', ''))}</b>: " if scenario.judgement else ""
        parts.append(
            f'<div class="expectation{" fatal" if fatal else ""}">{verdict}expected '
            f'{escape(" or ".join(OUTCOME_LABELS.get(o, o) for o in scenario.expectation.get("outcomes", [])))} \u2014 '
            f'{escape(scenario.expectation.get("reason", ""))}{link_html}</div>'
        )
    if scenario.expectation_mismatch:
        parts.append(f'<div class="expectation fatal">not as expected: {escape(scenario.expectation_mismatch)}</div>')
    parts.append(_steps(scenario.steps, with_outcomes))
    failing_step_shown = any(s.outcome in ("failed", "undefined") and s.message for s in scenario.steps)
    if outcome in ("failed", "error") and scenario.message and not failing_step_shown:
        parts.append(f'<pre class="msg">{escape(scenario.message)}</pre>')
    if outcome in ("not_applicable", "skipped") and scenario.message:
        if not any(s.message == scenario.message for s in scenario.steps):
            parts.append(f'<pre class="reason">{escape(scenario.message)}</pre>')
    for examples in scenario.examples:
        parts.append(f'<div class="example">Examples{": " + escape(examples.name) if examples.name else ""}</div>'
                     + data_table([examples.params, *examples.rows], header=True))
    if with_outcomes and scenario.requests:
        parts.append(_requests(scenario.requests))
    if with_outcomes and scenario.details and outcome in ("failed", "error"):
        parts.append(f'<details class="more"><summary>Failure details (traceback)</summary><pre>{escape(scenario.details)}</pre></details>')
    parts.append("</article>")
    return "\n".join(parts)


def _steps(steps: Iterable[StepView], with_outcomes: bool) -> str:
    items = []
    for step in steps:
        outcome = step.outcome if with_outcomes else None
        classes = [outcome or "doc"] + (["bg"] if step.background and with_outcomes else [])
        icon = STEP_ICON.get(outcome or "", "\u2022" if not with_outcomes else "")
        title = f' title="{escape(OUTCOME_LABELS.get(outcome, outcome))}"' if outcome else ""
        body = [f'<span class="icon"{title}>{icon}</span><span class="kw">{escape(step.keyword)}</span>{step_text(step.text)}']
        if step.datatable:
            body.append(data_table(step.datatable, header=True))
        if step.docstring is not None:
            body.append(f'<pre class="reason">{escape(step.docstring)}</pre>')
        if with_outcomes:
            for note in step.notes:
                body.append(f'<span class="note">\u2192 {escape(note)}</span>')
            if step.message and outcome in ("failed", "undefined", "running"):
                body.append(f'<pre class="msg">{escape(step.message)}</pre>')
            elif step.message and outcome in ("not_applicable", "skipped"):
                body.append(f'<span class="note">{escape(step.message)}</span>')
        items.append(f'<li class="{" ".join(classes)}">{"".join(body)}</li>')
    return f'<ol class="steps">{"".join(items)}</ol>'


def _requests(requests: Sequence[Mapping[str, Any]]) -> str:
    total = sum(int(r.get("bytes") or 0) for r in requests)
    rows = []
    for r in requests:
        extra = " ".join(str(r[k]) for k in ("fault", "error") if r.get(k))
        rows.append(
            f"<tr><td>{escape(str(r.get('method') or ''))}</td><td class=\"path\">{escape(str(r.get('path') or ''))}</td>"
            f"<td class=\"num\">{escape(str(r.get('status') if r.get('status') is not None else ''))}</td>"
            f"<td class=\"num\">{escape(str(r.get('bytes') if r.get('bytes') is not None else ''))}</td>"
            f"<td>{escape(str(r.get('kind') or ''))}{(' ' + escape(extra)) if extra else ''}</td></tr>"
        )
    return (
        f'<details class="more"><summary>Registry requests ({len(requests)}, {total} bytes)</summary>'
        '<table class="data requests"><thead><tr><th>Method</th><th>Path</th><th>Status</th><th>Bytes</th><th>Kind</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></details>'
    )
