"""One self-contained HTML page for the runtimes section: the plot (inline SVG)
and the tables the terminal shows."""

from __future__ import annotations

import html
from typing import Any

from .runtime_tables import TextTable, all_tables, system_label

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 0.5em 0 2em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.8em; text-align: right; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: 0.85em; padding-top: 0.4em; }
h2 { font-size: 1.05em; margin-top: 1.5em; }
.plot svg { max-width: 100%; height: auto; }
"""


def _table(table: TextTable) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows)
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return (f"<h2>{html.escape(table.title)}</h2>\n<table>{caption}<thead><tr>{head}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody></table>")


def page(document: dict[str, Any], section: dict[str, Any], svg_text: str | None, plot_problem: str | None) -> str:
    label = system_label(section, "sut")
    machine = document["machine"]
    svg = svg_text[svg_text.find("<svg"):] if svg_text else ""
    plot = f'<div class="plot">{svg}</div>' if svg else f"<p>No plot: {html.escape(plot_problem or 'not drawn')}</p>"
    systems = "".join(f"<li>{html.escape(system_label(section, name))}: {html.escape(info['launch'])} "
                      f"(answered Version as {html.escape(str(info.get('who')))})</li>"
                      for name, info in section["systems"].items())
    tables = "\n".join(_table(t) for t in all_tables(section, label))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>artifact-conformance bench: {html.escape(label)} vs the reference store</title>
<style>{STYLE}</style></head>
<body>
<h1>How a runtime's look-ups grow with its read-only stores: {html.escape(label)} vs the reference store</h1>
<p>{html.escape(machine['date'])}; {machine['nproc']} CPUs, {html.escape(machine['cpu_model'])},
{html.escape(machine['kernel'])}; {'quick configuration' if document['quick'] else 'full configuration'};
bench wall time {document.get('wall_s', 0):.0f} s.</p>
<ul>{systems}</ul>
{plot}
{tables}
</body></html>
"""
