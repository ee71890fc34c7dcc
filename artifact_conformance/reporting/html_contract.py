"""The contract view of the HTML report and documentation: rule by rule.

Each rule of docs/contract.md with its level, its reason and links to the
scenarios that check it; in a report also its verdict for this runtime
(kept, broken, not checked), with the broken rules first, each with its
failing scenarios and their messages. ``html_report`` places the section
and adds ``CSS`` to the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from artifact_conformance.contract import Rule, rule_anchor
from artifact_conformance.reporting.model import FeatureView, ScenarioView
from artifact_conformance.reporting.rule_verdicts import (
    BROKEN,
    NOT_CHECKED,
    VERDICT_LABEL,
    RuleVerdict,
    rule_verdicts,
    verdict_counts,
)
from artifact_conformance.reporting.verdict import EXPECTED, TOLERATED
from artifact_conformance.reporting.vocabulary import LEVELS

ANCHOR = "contract"
OUTCOME_MARK = {"passed": "\u2713", "failed": "\u2717", "error": "!", "not_applicable": "\u2298", "skipped": "\u21b7"}

CSS = """
section.contract { margin-top:30px; }
.rule-counts { display:flex; gap:10px; flex-wrap:wrap; margin:8px 0 14px; }
.rule-counts .count { min-width:0; }
.verdict-badge { font-size:11.5px; font-weight:700; text-transform:uppercase; letter-spacing:.03em; padding:1px 8px;
  border-radius:10px; white-space:nowrap; }
.verdict-badge.kept { background:var(--ok-bg); color:#116329; }
.verdict-badge.broken { background:var(--bad-bg); color:#a40e26; }
.verdict-badge.broken.known { background:var(--warn-bg); color:var(--warn); }
.verdict-badge.not_checked { background:var(--na-bg); color:var(--na); }
.broken-rule { border:1px solid #ffcecb; border-left:5px solid var(--bad); border-radius:6px; padding:8px 14px;
  margin:10px 0; background:#fffafa; }
.broken-rule.optional, .broken-rule.known { border-color:#eed888; border-left-color:#d4a72c; background:#fffdf0; }
.broken-rule h4 { margin:0 0 2px; font-size:15px; }
.broken-rule .why, table.rules .why { color:var(--muted); font-size:13px; margin:2px 0 4px; }
.broken-rule ul { margin:4px 0 2px; padding-left:20px; }
.broken-rule li .msg { display:block; color:#82071e; font-family:ui-monospace,"DejaVu Sans Mono",monospace; font-size:12px;
  overflow-wrap:anywhere; }
code.rule-id { font-size:13px; font-weight:600; color:#0550ae; }
table.rules { width:100%; font-size:13.5px; margin-top:8px; }
table.rules th, table.rules td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; }
table.rules th { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
table.rules tr.section td { background:#f6f8fa; font-weight:700; padding-top:9px; }
table.rules tr.v-broken td:first-child { border-left:4px solid var(--bad); }
table.rules { table-layout:fixed; }
table.rules col.c-rule { width:42%; } table.rules col.c-level { width:92px; } table.rules col.c-verdict { width:120px; }
table.rules td.links div { margin:0 0 2px; line-height:1.35; }
table.rules td .note { display:block; }
.broken-rule .area-tag { color:var(--muted); font-size:12.5px; margin-left:4px; }
.broken-summary { margin:0 0 14px; font-size:14px; }
.broken-summary a { margin-right:8px; }
table.rules td.links .marks { color:var(--muted); font-size:12px; margin-left:3px; }
table.rules td.links .marks .bad { color:var(--bad); font-weight:700; }
a.rule-chip { font-size:12px; border:1px solid #b6d4fe; background:#f1f8ff; border-radius:10px; padding:0 7px; }
"""


def contract_section(rules: Sequence[Rule], features: Sequence[FeatureView], with_outcomes: bool) -> str:
    verdicts = rule_verdicts(rules, features)
    parts = [f'<section class="contract" id="{ANCHOR}">',
             "<h2>The contract, rule by rule</h2>"]
    if with_outcomes:
        parts.append('<p class="legend">Each rule of docs/contract.md with its level and its verdict for this '
                     "runtime: <b>kept</b> (a scenario citing it passed and none failed), <b>broken</b> (a scenario "
                     "citing it failed), <b>not checked</b> (none ran to a verdict: not applicable, skipped, a "
                     "harness error, or not selected).</p>")
        parts.append(_counts(verdicts))
        broken = [v for v in verdicts if v.verdict == BROKEN]
        if broken:
            broken.sort(key=lambda v: LEVELS.index(v.rule.level) if v.rule.level in LEVELS else len(LEVELS))
            parts.append(f"<h3>Broken rules ({len(broken)})</h3>")
            parts.extend(_broken_rule(v) for v in broken)
    else:
        parts.append(f'<p class="legend">The {len(verdicts)} rules of docs/contract.md, each with its level, why it '
                     "matters on a node, and the scenarios that check it.</p>")
    parts.append(_table(verdicts, with_outcomes))
    parts.append("</section>")
    return "\n".join(parts)


def broken_rules_summary(rules: Sequence[Rule], features: Sequence[FeatureView]) -> str:
    """One line for the top of a report: the rules this run broke, each linked to its section."""
    broken = [v for v in rule_verdicts(rules, features) if v.verdict == BROKEN]
    if not broken:
        return ""
    links = "".join(f'<a href="#{escape(v.rule.anchor)}"><code class="rule-id">{escape(v.rule.id)}</code></a>'
                    f'<span class="tag {escape(v.rule.level)}">@{escape(v.rule.level)}</span> ' for v in broken)
    return (f'<p class="broken-summary"><b>Rules broken ({len(broken)}):</b> {links}— '
            f'<a href="#{ANCHOR}">the contract, rule by rule</a></p>')


def rule_chips(scenario: ScenarioView) -> str:
    """Links from a scenario to the rules it cites."""
    return "".join(f'<a class="rule-chip" href="#{escape(rule_anchor(rule_id))}">rule {escape(rule_id)}</a>'
                   for rule_id in scenario.contract_rules)


def _counts(verdicts: Sequence[RuleVerdict]) -> str:
    counts = verdict_counts(verdicts)
    items = []
    for level in LEVELS:
        if level not in counts:
            continue
        text = ", ".join(f"{n} {VERDICT_LABEL[v]}" for v, n in counts[level].items())
        bad = " bad" if counts[level][BROKEN] else ""
        items.append(f'<div class="count{bad}"><span>{level.capitalize()} rules: {escape(text)}</span></div>')
    return f'<div class="rule-counts">{"".join(items)}</div>'


def _verdict_badge(verdict: RuleVerdict) -> str:
    known = verdict.verdict == BROKEN and all(s.judgement in (EXPECTED, TOLERATED) for _, s in verdict.failing)
    label = VERDICT_LABEL[verdict.verdict]
    if known:
        label += " (expected)" if any(s.judgement == EXPECTED for _, s in verdict.failing) else " (optional)"
    classes = f"verdict-badge {verdict.verdict}" + (" known" if known else "")
    return f'<span class="{classes}">{escape(label)}</span>'


def _level_tag(level: str) -> str:
    return f'<span class="tag {escape(level)}">@{escape(level)}</span>'


def _broken_rule(verdict: RuleVerdict) -> str:
    rule = verdict.rule
    known = all(s.judgement in (EXPECTED, TOLERATED) for _, s in verdict.failing)
    items = []
    for feature, scenario in verdict.failing:
        example = f" [{', '.join(f'{k} = {v}' for k, v in scenario.example.items())}]" if scenario.example else ""
        items.append(f'<li><a href="#{escape(scenario.anchor)}">{escape(scenario.name)}</a>{escape(example)} '
                     f'<span class="area-tag">{escape(feature.name)}</span>'
                     f'<span class="msg">{escape(_first_line(scenario.message or ""))}</span></li>')
    others = len(verdict.scenarios) - len(verdict.failing)
    more = f'<div class="why">{others} other scenario{"s" if others != 1 else ""} of this rule did not fail.</div>' if others else ""
    classes = "broken-rule" + (f" {rule.level}" if rule.level == "optional" else "") + (" known" if known else "")
    return (f'<div class="{classes}"><h4>{_verdict_badge(verdict)} <a href="#{escape(rule.anchor)}">'
            f'<code class="rule-id">{escape(rule.id)}</code></a> {_inline(rule.title)} {_level_tag(rule.level)}</h4>'
            f'<div class="why">{_inline(rule.statement)}</div>'
            f'<div class="why"><b>Why:</b> {_inline(rule.reason)}</div>'
            f'<ul>{"".join(items)}</ul>{more}</div>')


def _table(verdicts: Sequence[RuleVerdict], with_outcomes: bool) -> str:
    head = "<th>Rule</th><th>Level</th>" + ("<th>Verdict</th>" if with_outcomes else "") + "<th>Scenarios</th>"
    cols = '<col class="c-rule"><col class="c-level">' + ('<col class="c-verdict">' if with_outcomes else "") + "<col>"
    columns = 4 if with_outcomes else 3
    rows = []
    section = None
    for verdict in verdicts:
        rule = verdict.rule
        if rule.section != section:
            section = rule.section
            rows.append(f'<tr class="section"><td colspan="{columns}">{escape(section or "Rules")}</td></tr>')
        cells = [
            f'<td><code class="rule-id">{escape(rule.id)}</code> {_inline(rule.title)}'
            f'<div class="why">{_inline(rule.reason)}</div></td>',
            f"<td>{_level_tag(rule.level)}</td>",
        ]
        if with_outcomes:
            cells.append(f"<td>{_verdict_badge(verdict)}{_tally_note(verdict)}</td>")
        cells.append(f'<td class="links">{_links(verdict, with_outcomes)}</td>')
        row_class = f"v-{verdict.verdict}" if with_outcomes else ""
        rows.append(f'<tr id="{escape(rule.anchor)}" class="{row_class}">{"".join(cells)}</tr>')
    return f'<table class="rules"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _tally_note(verdict: RuleVerdict) -> str:
    tally = verdict.tally
    notes = []
    if verdict.verdict != NOT_CHECKED or tally.total:
        notes.append(f"{tally.passed}/{tally.applicable} passed" if tally.applicable else "")
    for outcome, label in (("not_applicable", "n/a"), ("skipped", "skipped"), ("error", "harness error")):
        if tally.counts.get(outcome):
            notes.append(f"{tally.counts[outcome]} {label}")
    if not verdict.scenarios:
        notes.append("no scenario in this run")
    text = ", ".join(n for n in notes if n)
    return f'<span class="note">{escape(text)}</span>' if text else ""


def _links(verdict: RuleVerdict, with_outcomes: bool) -> str:
    """One link per scenario (an outline's examples share one), with its outcomes as marks."""
    grouped: dict[tuple[str, str], list[ScenarioView]] = {}
    for feature, scenario in verdict.scenarios:
        grouped.setdefault((feature.file, scenario.name), []).append(scenario)
    links = []
    for (_, name), scenarios in grouped.items():
        marks = ""
        if with_outcomes:
            shown = "".join(
                f'<span class="{"bad" if s.outcome in ("failed", "error") else ""}">{OUTCOME_MARK.get(s.outcome or "", "?")}</span>'
                for s in scenarios
            )
            marks = f'<span class="marks">{shown}</span>'
        target = next((s for s in scenarios if s.outcome in ("failed", "error")), scenarios[0])
        links.append(f'<div><a href="#{escape(target.anchor)}">{escape(name)}</a>{marks}</div>')
    return "".join(links) or '<span class="note">\u2014</span>'


def _inline(text: str) -> str:
    """Contract prose: escaped, with `code` spans set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text, quote=False))


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 240 else line[:237] + "..."
