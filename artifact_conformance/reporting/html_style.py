"""The report's and the documentation's look: the page around the content, and its CSS.

Everything is inline (no scripts, no fonts or images fetched), so a page can be
attached to a CI job and opened anywhere.
"""

from __future__ import annotations

from html import escape

from artifact_conformance import __version__
from artifact_conformance.reporting.html_contract import CSS as CONTRACT_CSS

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


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"artifact-conformance {escape(__version__)}\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}{CONTRACT_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
