"""The feature files as Markdown: the same content as the HTML documentation,
for a repository's docs folder or a wiki."""

from __future__ import annotations

import re
from collections.abc import Sequence

from artifact_conformance import __version__
from artifact_conformance.reporting.model import FeatureView, ScenarioView, StepView
from artifact_conformance.reporting.rule_verdicts import contract_rules, rule_verdicts
from artifact_conformance.reporting.vocabulary import LEVELS


def render_markdown(features: Sequence[FeatureView]) -> str:
    total = sum(len(f.scenarios) for f in features)
    lines = [
        "# Read-only artifact stores: how they behave",
        "",
        f"The conformance scenarios of artifact-conformance {__version__}: {len(features)} behaviour areas, "
        f"{total} scenarios. `@required`: every conformant runtime passes it; `@optional`: stricter behaviour "
        "a runtime may reasonably lack.",
        "",
        "| Behaviour area | Tag | " + " | ".join(LEVELS) + " |",
        "|---|---|" + "---:|" * len(LEVELS),
    ]
    for feature in features:
        counts = [str(sum(1 for s in feature.scenarios if (s.level or "required") == lv) or "-") for lv in LEVELS]
        lines.append(f"| [{_cell(feature.name)}](#{_anchor(feature.name)}) | `@{feature.area}` | " + " | ".join(counts) + " |")
    lines += _contract(features)
    for feature in features:
        lines += ["", f"## {feature.name}", "", f"`@{feature.area}` \u00b7 `{feature.file}`", ""]
        lines += _paragraphs(feature.narrative)
        if feature.background:
            lines += ["", "**Background** (before every scenario):", ""]
            lines += _steps(feature.background)
        for rule in feature.rules:
            if rule.name:
                lines += ["", f"### Rule: {rule.name}"]
                if rule.description:
                    lines += [""] + _paragraphs(rule.description)
            if rule.background:
                lines += ["", "**Background:**", ""] + _steps(rule.background)
            for scenario in rule.scenarios:
                lines += _scenario(scenario)
    return "\n".join(lines).rstrip() + "\n"


def _contract(features: Sequence[FeatureView]) -> list[str]:
    """Each rule of the contract with its level, its reason and the scenarios that check it."""
    verdicts = rule_verdicts(contract_rules(), features)
    lines = ["", "## The contract, rule by rule", "",
             f"The {len(verdicts)} rules of `docs/contract.md`; each scenario below names the rules it checks "
             "(`@rule:<id>`)."]
    section = None
    for verdict in verdicts:
        rule = verdict.rule
        if rule.section != section:
            section = rule.section
            lines += ["", f"### {section}"]
        headings = list(dict.fromkeys(_heading(s) for _, s in verdict.scenarios))
        links = ", ".join(f"[{_cell(heading)}](#{_anchor(heading)})" for heading in headings) or "none"
        lines += ["", f"- **`{rule.id}`** ({rule.level}): {rule.title}. {rule.statement}",
                  f"  *Why:* {rule.reason}", f"  Scenarios: {links}"]
    return lines


def _heading(scenario: ScenarioView) -> str:
    keyword = "" if scenario.keyword == "Scenario" else f"{scenario.keyword}: "
    return f"{keyword}{scenario.name}"


def _scenario(scenario: ScenarioView) -> list[str]:
    levels = " ".join([f"`@{t}`" for t in scenario.tags if t in LEVELS]
                      + [f"`@rule:{r}`" for r in scenario.contract_rules])
    lines = ["", f"#### {_heading(scenario)}", "", levels, ""] if levels else ["", f"#### {_heading(scenario)}", ""]
    if scenario.description:
        lines += _paragraphs(scenario.description) + [""]
    lines += _steps(scenario.steps)
    for examples in scenario.examples:
        lines += ["", f"Examples{': ' + examples.name if examples.name else ''}:", ""]
        lines.append("| " + " | ".join(_cell(p) for p in examples.params) + " |")
        lines.append("|" + "---|" * len(examples.params))
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in examples.rows]
    return lines


def _steps(steps: Sequence[StepView]) -> list[str]:
    lines = []
    for step in steps:
        lines.append(f"- **{step.keyword}** {_escape(step.text)}")
        if step.datatable:
            lines.append("")
            for i, row in enumerate(step.datatable):
                lines.append("  | " + " | ".join(_cell(c) for c in row) + " |")
                if i == 0:
                    lines.append("  |" + "---|" * len(row))
            lines.append("")
        if step.docstring is not None:
            lines += ["", "  ```", *("  " + line for line in step.docstring.splitlines()), "  ```", ""]
    return lines


def _paragraphs(text: str) -> list[str]:
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in re.split(r"\n\s*\n", text.strip())]
    out: list[str] = []
    for block in blocks:
        if block:
            out += [_escape(block), ""]
    return out[:-1] if out else out


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_<>\[\]])", r"\\\1", text)


def _cell(text: str) -> str:
    return _escape(str(text)).replace("|", "\\|")


def _anchor(title: str) -> str:
    # GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
