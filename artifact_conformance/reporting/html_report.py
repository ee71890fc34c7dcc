"""One self-contained HTML page: the report of a run, or the documentation.

Everything is inline (CSS, no scripts, no fonts or images fetched), so the
file can be attached to a CI job and opened anywhere. The report starts with
the conformance matrix (behaviour area x level), the verdict and what was
tested, then shows every feature as living documentation: its narrative, its
rules, each scenario's steps with their outcomes, the message of a failing
step, and the registry requests the scenario caused. Between the two, the
contract view (``html_contract``): each rule of docs/contract.md with its
level, its verdict for this runtime and links to its scenarios. ``render_docs`` uses the
same layout without outcomes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from artifact_conformance import __version__
from artifact_conformance.reporting.html_contract import CSS as CONTRACT_CSS
from artifact_conformance.reporting.html_contract import broken_rules_summary, contract_section, rule_chips
from artifact_conformance.reporting.model import (
    LEVELS,
    OUTCOMES,
    FeatureView,
    RuleView,
    ScenarioView,
    StepView,
)
from artifact_conformance.reporting.rule_verdicts import contract_rules
from artifact_conformance.reporting.verdict import (
    EXPECTED,
    FATAL,
    LABELS,
    NOT_MET,
    TOLERATED,
    UNEXPECTED_FAILURE,
    UNEXPECTED_PASS,
)

OUTCOME_LABEL = {
    "passed": "passed", "failed": "failed", "not_applicable": "not applicable", "skipped": "skipped",
    "error": "error", "not_run": "not run", "undefined": "undefined", "running": "interrupted",
}
STEP_ICON = {
    "passed": "\u2713", "failed": "\u2717", "undefined": "?", "not_applicable": "\u2298",
    "skipped": "\u21b7", "not_run": "\u00b7", "running": "\u2717",
}
QUOTED = re.compile(r'("[^"]*"|&quot;[^&]*?&quot;|&lt;[a-z_ ]+&gt;)')

CSS = """
:root { --ok:#1a7f37; --ok-bg:#dafbe1; --bad:#cf222e; --bad-bg:#ffebe9; --warn:#9a6700; --warn-bg:#fff8c5;
  --na:#57606a; --na-bg:#eaeef2; --line:#d0d7de; --ink:#1f2328; --muted:#59636e; --accent:#0969da; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
  color:var(--ink); background:#f6f8fa; }
main { max-width:1120px; margin:0 auto; padding:24px 28px 64px; background:#fff; min-height:100vh;
  box-shadow:0 0 0 1px var(--line); }
h1 { font-size:26px; margin:0 0 4px; }
h2 { font-size:21px; margin:0 0 6px; }
h3 { font-size:16px; margin:22px 0 6px; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
code, pre, .mono { font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace; font-size:12.5px; }
.subtitle { color:var(--muted); margin-bottom:16px; }
.verdict { border-radius:8px; padding:12px 16px; font-weight:600; font-size:17px; margin:8px 0 20px; border:1px solid; }
.verdict.pass { background:var(--ok-bg); color:#116329; border-color:#aceebb; }
.verdict.fail { background:var(--bad-bg); color:#a40e26; border-color:#ffcecb; }
.verdict small { display:block; font-weight:400; font-size:13.5px; color:var(--ink); margin-top:2px; }
.panel { display:flex; gap:28px; align-items:flex-start; flex-wrap:wrap; }
table { border-collapse:collapse; }
table.matrix { min-width:620px; }
table.matrix th, table.matrix td { border-bottom:1px solid var(--line); padding:5px 12px; text-align:left; }
table.matrix th { font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
table.matrix td.cell { text-align:center; font-weight:600; font-variant-numeric:tabular-nums; min-width:118px; }
table.matrix tr.total td { border-top:2px solid var(--ink); border-bottom:none; font-weight:700; }
table.matrix .area-tag { color:var(--muted); font-size:12px; margin-left:6px; }
.cell.good { background:var(--ok-bg); color:#116329; }
.cell.bad { background:var(--bad-bg); color:#a40e26; }
.cell.warn { background:var(--warn-bg); color:var(--warn); }
.cell.na { background:var(--na-bg); color:var(--na); font-weight:400; }
.cell.none { color:#afb8c1; font-weight:400; }
.cell .note { display:block; font-weight:400; font-size:11.5px; }
.counts { display:flex; flex-direction:column; gap:6px; min-width:200px; }
.count { display:flex; justify-content:space-between; gap:16px; padding:4px 10px; border-radius:6px; background:#f6f8fa; }
.count b { font-variant-numeric:tabular-nums; }
.count.bad { background:var(--bad-bg); color:#a40e26; }
.legend { color:var(--muted); font-size:12.5px; margin-top:6px; max-width:640px; }
.attention { margin:22px 0; padding:0; list-style:none; }
.attention li { padding:6px 10px; border-left:4px solid var(--bad); background:#fffafa; margin-bottom:6px; }
.attention li.known { border-color:#d4a72c; background:#fffdf0; }
.attention li .why { color:var(--muted); font-size:13.5px; display:block; }
.attention li .area-tag { color:var(--muted); font-size:12.5px; margin-left:4px; }
dl.facts { display:grid; grid-template-columns:180px 1fr; gap:4px 16px; margin:8px 0 0; font-size:14px; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; overflow-wrap:anywhere; }
details.run-config { margin:18px 0 8px; border:1px solid var(--line); border-radius:8px; padding:10px 14px; }
details.run-config > summary { cursor:pointer; font-weight:600; }
section.feature { border-top:3px solid var(--ink); margin-top:36px; padding-top:14px; }
.feature .file { color:var(--muted); font-size:13px; margin-bottom:8px; }
.narrative { max-width:820px; color:#32383f; }
.narrative p { margin:0 0 8px; }
.background { margin:10px 0; padding:6px 12px; background:#f6f8fa; border-radius:6px; }
.background h4, .rule-desc { margin:0; color:var(--muted); font-size:13px; font-weight:600; }
.rule { margin-top:18px; }
.rule > h3 { border-left:4px solid var(--accent); padding-left:10px; }
.rule > h3 .kw { color:var(--accent); }
article.scenario { border:1px solid var(--line); border-left-width:5px; border-radius:6px; padding:8px 14px 8px;
  margin:10px 0 10px 14px; }
article.scenario.o-passed { border-left-color:var(--ok); }
article.scenario.o-failed, article.scenario.o-error { border-left-color:var(--bad); background:#fffafa; }
article.scenario.j-expected { border-left-color:#d4a72c; background:#fffdf0; }
article.scenario.o-not_applicable, article.scenario.o-skipped { border-left-color:#8c959f; }
article.scenario.o-none { border-left-color:var(--accent); }
.sc-head { display:flex; align-items:baseline; gap:8px; flex-wrap:wrap; }
.sc-head h4 { margin:0; font-size:15px; flex:1 1 420px; }
.sc-head .dur { color:var(--muted); font-size:12px; }
.example { color:var(--muted); font-size:13px; }
.badge { font-size:11.5px; font-weight:700; text-transform:uppercase; letter-spacing:.03em; padding:1px 7px;
  border-radius:10px; white-space:nowrap; }
.badge.passed { background:var(--ok-bg); color:#116329; }
.badge.failed, .badge.error { background:var(--bad-bg); color:#a40e26; }
.badge.not_applicable, .badge.skipped { background:var(--na-bg); color:var(--na); }
.badge.expected { background:var(--warn-bg); color:var(--warn); }
.tag { font-size:12px; color:var(--muted); background:#f6f8fa; border:1px solid var(--line); border-radius:10px; padding:0 7px; }
.tag.required { color:#8250df; border-color:#d8b9ff; background:#fbefff; }
.tag.optional { color:var(--na); }
ol.steps { list-style:none; margin:6px 0 4px; padding:0; }
ol.steps li { padding:1px 0 1px 26px; position:relative; }
ol.steps li .icon { position:absolute; left:4px; width:18px; text-align:center; font-weight:700; }
ol.steps li.passed .icon { color:var(--ok); }
ol.steps li.failed .icon, ol.steps li.undefined .icon, ol.steps li.running .icon { color:var(--bad); }
ol.steps li.not_applicable, ol.steps li.skipped, ol.steps li.not_run { color:var(--muted); }
ol.steps li.bg { color:var(--muted); font-style:italic; }
ol.steps .kw { font-weight:700; color:#0550ae; margin-right:4px; }
.q { font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,monospace; font-size:13px; color:#0a3069;
  background:#f3f6fa; padding:0 3px; border-radius:3px; }
.note { color:var(--muted); font-size:13px; display:block; }
pre.msg { white-space:pre-wrap; overflow-wrap:anywhere; margin:4px 0 6px; padding:7px 10px; background:var(--bad-bg);
  border-left:3px solid var(--bad); border-radius:3px; color:#82071e; }
pre.reason { white-space:pre-wrap; margin:4px 0 6px; padding:6px 10px; background:var(--na-bg); border-radius:3px; color:var(--na); }
.expectation { font-size:13.5px; margin:4px 0; padding:4px 10px; background:var(--warn-bg); border-radius:4px; }
.expectation.fatal { background:var(--bad-bg); }
table.data { font-size:12.5px; margin:6px 0; }
table.data th, table.data td { border:1px solid var(--line); padding:2px 8px; text-align:left; vertical-align:top; }
table.data th { background:#f6f8fa; }
table.requests td.path { font-family:ui-monospace,"DejaVu Sans Mono",monospace; word-break:break-all; }
table.requests td.num { text-align:right; font-variant-numeric:tabular-nums; }
details.more { margin:4px 0; font-size:13.5px; }
details.more > summary { cursor:pointer; color:var(--accent); }
details.more pre { white-space:pre-wrap; overflow-wrap:anywhere; background:#f6f8fa; padding:8px; border-radius:4px;
  max-height:420px; overflow:auto; }
footer { margin-top:40px; color:var(--muted); font-size:12.5px; }
@media print { details.more { display:none; } body { background:#fff; } main { box-shadow:none; } }
"""


# --- pages --------------------------------------------------------------------------
def render_report(document: Mapping[str, Any], features: Sequence[FeatureView]) -> str:
    run = document.get("run") or {}
    sut = run.get("sut") or {}
    runtime = _sut_title(sut)
    suite = (run.get("suite") or {}).get("version") or (run.get("versions") or {}).get("artifact-conformance") or __version__
    when = run.get("finished") or run.get("started") or ""
    node = (run.get("node") or {}).get("name")
    subtitle = " \u00b7 ".join(x for x in (
        f"Node: <b>{escape(str(node))}</b>" if node else "",
        f"System under test: <b>{escape(runtime)}</b>",
        f"suite artifact-conformance {escape(str(suite))}",
        escape(_when(when)) + (f" ({_seconds(run.get('duration_s'))})" if run.get("duration_s") is not None else ""),
    ) if x)
    parts = [
        "<header>",
        "<h1>Read-only artifact store conformance</h1>",
        f'<div class="subtitle">{subtitle}</div>',
        _verdict_banner(document, features),
        broken_rules_summary(contract_rules(document), features),
        "</header>",
        '<section class="summary"><h2>Conformance matrix</h2>',
        '<div class="panel">',
        _matrix(features, with_outcomes=True),
        _counts(document),
        "</div>",
        '<p class="legend">Each cell: scenarios passed / scenarios that ran to a verdict, per behaviour area and level. '
        "Green: all passed; red: a failure; yellow: only failures the expectations file lists, or optional "
        "failures; grey: not applicable to this system (it lacks a capability the scenario needs).</p>",
        _attention(features),
        _run_config(document),
        "</section>",
        contract_section(contract_rules(document), features, with_outcomes=True),
        *(_feature(f, with_outcomes=True) for f in features),
        f"<footer>Generated by artifact-conformance {escape(__version__)} from the run's results. "
        "The feature files are the executable form of the contract, docs/contract.md, which states each rule and its reason.</footer>",
    ]
    return _page(f"Conformance report: {runtime}", "\n".join(parts))


def render_docs(features: Sequence[FeatureView]) -> str:
    total = sum(len(f.scenarios) for f in features)
    cases = sum(max(1, sum(len(e.rows) for e in s.examples)) for f in features for s in f.scenarios)
    parts = [
        "<header>",
        "<h1>Read-only artifact stores: how they behave</h1>",
        f'<div class="subtitle">The conformance scenarios of artifact-conformance {escape(__version__)}: '
        f"{len(features)} behaviour areas, {total} scenarios ({cases} cases with their examples). <span class=\"tag required\">@required</span> "
        "every conformant runtime passes; <span class=\"tag optional\">@optional</span> is stricter behaviour a "
        "runtime may reasonably lack.</div>",
        "</header>",
        '<section class="summary"><h2>Behaviour areas</h2>',
        _matrix(features, with_outcomes=False),
        "</section>",
        contract_section(contract_rules(), features, with_outcomes=False),
        *(_feature(f, with_outcomes=False) for f in features),
        f"<footer>Generated by artifact-conformance {escape(__version__)} from its feature files.</footer>",
    ]
    return _page("Read-only artifact stores: behaviour", "\n".join(parts))


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"artifact-conformance {escape(__version__)}\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}{CONTRACT_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# --- the top of the report ---------------------------------------------------------------
def _verdict_banner(document: Mapping[str, Any], features: Sequence[FeatureView]) -> str:
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


def _matrix(features: Sequence[FeatureView], with_outcomes: bool) -> str:
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


def _counts(document: Mapping[str, Any]) -> str:
    summary = document.get("summary") or {}
    items = [f'<div class="count{" bad" if o in ("failed", "error") and summary.get(o) else ""}">'
             f'<span>{escape(OUTCOME_LABEL[o])}</span><b>{summary.get(o, 0)}</b></div>' for o in OUTCOMES]
    items.append(f'<div class="count"><span>scenarios</span><b>{summary.get("total", 0)}</b></div>')
    return f'<div class="counts">{"".join(items)}</div>'


def _attention(features: Sequence[FeatureView]) -> str:
    items = []
    for feature in features:
        for scenario in feature.scenarios:
            judgement = scenario.judgement
            if scenario.outcome not in ("failed", "error") and judgement not in (UNEXPECTED_PASS, NOT_MET):
                continue
            known = judgement in (EXPECTED, TOLERATED, NOT_MET)
            label = _judged_label(scenario)
            why = scenario.message or ""
            if scenario.expectation:
                why = f"expected {'/'.join(scenario.expectation.get('outcomes', []))}: {scenario.expectation.get('reason', '')}"
            badge = "expected" if known else (scenario.outcome or "")
            items.append(
                f'<li class="{"known" if known else ""}"><span class="badge {escape(badge)}">{escape(label)}</span> '
                f'<span class="tag {escape(scenario.level or "")}">@{escape(scenario.level or "?")}</span> '
                f'<a href="#{scenario.anchor}">{_text(scenario.name)}</a> '
                f'<span class="area-tag">{escape(feature.name)}</span>'
                f'<span class="why">{escape(_first_line(why))}</span></li>'
            )
    if not items:
        return ""
    return f'<h3>Needs attention ({len(items)})</h3><ul class="attention">{"".join(items)}</ul>'


def _judged_label(scenario: ScenarioView) -> str:
    outcome = OUTCOME_LABEL.get(scenario.outcome or "", scenario.outcome or "")
    qualifier = {
        TOLERATED: "optional", EXPECTED: "expected", UNEXPECTED_PASS: "unexpected",
        UNEXPECTED_FAILURE: "unexpected", NOT_MET: "expectation not met",
    }.get(scenario.judgement or "")
    return f"{outcome} ({qualifier})" if qualifier else outcome


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


def _run_config(document: Mapping[str, Any]) -> str:
    run = document.get("run") or {}
    sut = run.get("sut") or {}
    facts: list[tuple[str, str]] = [("System under test", escape(_sut_title(sut)))]
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
            facts.append((label, escape(_when(run[key]))))
    versions = run.get("versions") or {}
    if versions:
        facts.append(("Versions", escape(", ".join(f"{k} {v}" for k, v in versions.items() if v))))
    body = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
    return (f'<details class="run-config" open><summary>Runtime under test and run configuration</summary>'
            f'<dl class="facts">{body}</dl></details>')



# --- features ------------------------------------------------------------------------
def _feature(feature: FeatureView, with_outcomes: bool) -> str:
    scenarios = feature.scenarios
    if with_outcomes:
        counted = {o: sum(1 for s in scenarios if s.outcome == o) for o in OUTCOMES}
        tally = ", ".join(f"{n} {OUTCOME_LABEL[o]}" for o, n in counted.items() if n)
        summary = f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''}: {tally}"
    else:
        levels = {lv: sum(1 for s in scenarios if s.level == lv) for lv in LEVELS}
        summary = f"{len(scenarios)} scenarios: " + ", ".join(f"{n} {lv}" for lv, n in levels.items() if n)
    parts = [
        f'<section class="feature" id="{feature.anchor}">',
        f'<h2>{escape(feature.name)} <span class="tag">@{escape(feature.area)}</span></h2>',
        f'<div class="file">{escape(feature.file)} \u00b7 {escape(summary)}</div>',
        f'<div class="narrative">{_paragraphs(feature.narrative)}</div>',
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
        parts.append(f'<div class="narrative">{_paragraphs(rule.description)}</div>')
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
        label = _judged_label(scenario)
        head.append(f'<span class="badge {badge_class}">{escape(label)}</span>')
    keyword = "" if scenario.keyword == "Scenario" else f"{escape(scenario.keyword)}: "
    head.append(f"<h4>{keyword}{_text(scenario.name)}</h4>")
    head.extend(f'<span class="tag {escape(t)}">@{escape(t)}</span>' for t in scenario.tags if t in LEVELS)
    head.append(rule_chips(scenario))
    if with_outcomes and scenario.duration_s is not None:
        head.append(f'<span class="dur">{_seconds(scenario.duration_s)}</span>')
    parts = [f'<article class="scenario {" ".join(classes)}" id="{scenario.anchor}">',
             f'<div class="sc-head">{"".join(head)}</div>']
    if scenario.example:
        parts.append('<div class="example">Example: ' + escape(", ".join(f"{k} = {v}" for k, v in scenario.example.items())) + "</div>")
    if scenario.description:
        parts.append(f'<div class="narrative">{_paragraphs(scenario.description)}</div>')
    if scenario.expectation:
        fatal = scenario.judgement in FATAL
        link = scenario.expectation.get("link")
        link_html = f' (<a href="{escape(link, quote=True)}">{escape(link)}</a>)' if link else ""
        verdict = f"<b>{escape(LABELS.get(scenario.judgement or '', ''))}</b>: " if scenario.judgement else ""
        parts.append(
            f'<div class="expectation{" fatal" if fatal else ""}">{verdict}expected '
            f'{escape(" or ".join(OUTCOME_LABEL.get(o, o) for o in scenario.expectation.get("outcomes", [])))} \u2014 '
            f'{escape(scenario.expectation.get("reason", ""))}{link_html}</div>'
        )
    parts.append(_steps(scenario.steps, with_outcomes))
    failing_step_shown = any(s.outcome in ("failed", "undefined") and s.message for s in scenario.steps)
    if outcome in ("failed", "error") and scenario.message and not failing_step_shown:
        parts.append(f'<pre class="msg">{escape(scenario.message)}</pre>')
    if outcome in ("not_applicable", "skipped") and scenario.message:
        if not any(s.message == scenario.message for s in scenario.steps):
            parts.append(f'<pre class="reason">{escape(scenario.message)}</pre>')
    for examples in scenario.examples:
        parts.append(f'<div class="example">Examples{": " + escape(examples.name) if examples.name else ""}</div>'
                     + _table([examples.params, *examples.rows], header=True))
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
        title = f' title="{escape(OUTCOME_LABEL.get(outcome, outcome))}"' if outcome else ""
        body = [f'<span class="icon"{title}>{icon}</span><span class="kw">{escape(step.keyword)}</span>{_text(step.text)}']
        if step.datatable:
            body.append(_table(step.datatable, header=True))
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


# --- small pieces ------------------------------------------------------------------------
def _text(text: str) -> str:
    """Step text with its quoted values and <placeholders> set apart."""
    return QUOTED.sub(lambda m: f'<span class="q">{m.group(0)}</span>', escape(text, quote=False))


def _table(rows: Sequence[Sequence[str]], header: bool) -> str:
    if not rows:
        return ""
    html_rows = []
    for i, row in enumerate(rows):
        tag = "th" if header and i == 0 else "td"
        html_rows.append("<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in row) + "</tr>")
    return f'<table class="data">{"".join(html_rows)}</table>'


def _paragraphs(text: str) -> str:
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in re.split(r"\n\s*\n", text.strip())]
    return "".join(f"<p>{escape(b)}</p>" for b in blocks if b)


def _sut_title(sut: Mapping[str, Any]) -> str:
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


def _when(iso: str) -> str:
    return iso.replace("T", " ").replace("+00:00", " UTC")


def _seconds(value: Any) -> str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return ""
    return f"{seconds:.1f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 240 else line[:237] + "..."
