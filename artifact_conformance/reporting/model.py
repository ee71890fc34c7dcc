"""Features, rules, scenarios and steps as a reader sees them.

Built either from a results document (every scenario with its outcome, steps
and registry requests) or from the feature files alone (the ``docs``
command: no outcomes). The HTML and Markdown renderers only read this model,
so the report and the documentation share one layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_bdd.parser import Feature, ScenarioTemplate, Step

from artifact_conformance.contract import is_rule_tag, rule_ids
from artifact_conformance.reporting.vocabulary import LEVELS, OUTCOMES

UNREPORTED_FILE = "(not reported)"


@dataclass
class StepView:
    keyword: str
    text: str
    line: int
    background: bool = False
    outcome: str | None = None
    message: str | None = None
    notes: list[str] = field(default_factory=list)
    datatable: list[list[str]] | None = None
    docstring: str | None = None


@dataclass
class ExamplesView:
    name: str
    params: list[str]
    rows: list[list[str]]


@dataclass
class ScenarioView:
    name: str
    line: int
    tags: list[str]
    steps: list[StepView]
    keyword: str = "Scenario"
    description: str = ""
    examples: list[ExamplesView] = field(default_factory=list)
    # From a run only:
    nodeid: str | None = None
    example: dict[str, str] | None = None
    outcome: str | None = None
    message: str | None = None
    details: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    judgement: str | None = None
    expectation: dict[str, Any] | None = None
    expectation_mismatch: str | None = None  # how its failing checks differ from the expectation's
    duration_s: float | None = None

    @property
    def level(self) -> str | None:
        levels = [t for t in self.tags if t in LEVELS]
        return levels[0] if len(levels) == 1 else None

    @property
    def contract_rules(self) -> list[str]:
        """The ids of the contract rules this scenario cites (its @rule:<id> tags)."""
        return rule_ids(self.tags)

    @property
    def anchor(self) -> str:
        base = self.nodeid or f"{self.line}-{self.name}"
        return "s-" + slug(base)


@dataclass
class RuleView:
    name: str | None
    description: str = ""
    background: list[StepView] = field(default_factory=list)
    scenarios: list[ScenarioView] = field(default_factory=list)


@dataclass
class FeatureView:
    name: str
    file: str
    narrative: str
    tags: list[str]
    background: list[StepView] = field(default_factory=list)
    rules: list[RuleView] = field(default_factory=list)

    @property
    def area(self) -> str:
        areas = [t for t in self.tags if t not in LEVELS and not is_rule_tag(t)]
        return areas[0] if areas else self.file.rsplit("/", 1)[-1].removesuffix(".feature")

    @property
    def anchor(self) -> str:
        return "f-" + slug(self.area)

    @property
    def scenarios(self) -> list[ScenarioView]:
        return [s for rule in self.rules for s in rule.scenarios]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120] or "x"


# --- from a run --------------------------------------------------------------------
def features_from_results(document: Mapping[str, Any]) -> list[FeatureView]:
    """Group a results document's scenarios by feature and rule, in file order."""
    by_file: dict[str, FeatureView] = {}
    rules: dict[tuple[str, str | None], RuleView] = {}
    records = sorted(document.get("scenarios", []), key=_record_order)
    for record in records:
        feature = record.get("feature") or {}
        file = feature.get("file") or UNREPORTED_FILE
        view = by_file.get(file)
        if view is None:
            view = by_file[file] = FeatureView(
                name=feature.get("name") or "Scenarios that did not report",
                file=file,
                narrative=feature.get("narrative") or "",
                tags=list(feature.get("tags") or []),
                background=[_step_text_only(s) for s in record.get("steps", []) if s.get("background")],
            )
        rule = record.get("rule") or None
        rule_name = rule.get("name") if rule else None
        key = (file, rule_name)
        if key not in rules:
            rules[key] = RuleView(name=rule_name, description=(rule or {}).get("description") or "")
            view.rules.append(rules[key])
        rules[key].scenarios.append(scenario_from_record(record))
    return sorted(by_file.values(), key=lambda f: (f.file == UNREPORTED_FILE, f.file))


def _record_order(record: Mapping[str, Any]) -> tuple:
    feature = record.get("feature") or {}
    return (feature.get("file") or "~", record.get("line") or 0, record.get("nodeid") or "")


def _step_text_only(step: Mapping[str, Any]) -> StepView:
    return StepView(keyword=step["keyword"], text=step["text"], line=step.get("line") or 0, background=True,
                    datatable=step.get("datatable"), docstring=step.get("docstring"))


def scenario_from_record(record: Mapping[str, Any]) -> ScenarioView:
    steps = [
        StepView(
            keyword=s["keyword"], text=s["text"], line=s.get("line") or 0, background=bool(s.get("background")),
            outcome=s.get("outcome"), message=s.get("message"), notes=list(s.get("notes") or []),
            datatable=s.get("datatable"), docstring=s.get("docstring"),
        )
        for s in record.get("steps", [])
    ]
    # The feature shows its background once; a scenario repeats it only when it did not pass there.
    if all(s.outcome == "passed" for s in steps if s.background):
        steps = [s for s in steps if not s.background]
    return ScenarioView(
        name=record.get("scenario") or record.get("nodeid") or "?",
        line=record.get("line") or 0,
        tags=list(record.get("tags") or []),
        steps=steps,
        nodeid=record.get("nodeid"),
        example=record.get("example"),
        outcome=record.get("outcome"),
        message=record.get("message"),
        details=record.get("details"),
        requests=list(record.get("requests") or []),
        judgement=record.get("judgement"),
        expectation=record.get("expectation"),
        expectation_mismatch=record.get("expectation_mismatch"),
        duration_s=record.get("duration_s"),
    )


# --- from the feature files ----------------------------------------------------------
def features_from_files(features: Iterable[Feature]) -> list[FeatureView]:
    views = []
    for feature in features:
        view = FeatureView(
            name=feature.name, file=feature.rel_filename, narrative=feature.description.strip(),
            tags=sorted(feature.tags),
            background=[_step_view(s, background=True) for s in (feature.background.steps if feature.background else [])],
        )
        rules: dict[int, RuleView] = {}
        for template in sorted(feature.scenarios.values(), key=lambda t: t.line_number):
            rule = template.rule
            key = id(rule) if rule is not None else 0
            if key not in rules:
                rules[key] = RuleView(
                    name=rule.name if rule else None,
                    description=(rule.description or "").strip() if rule else "",
                    background=[_step_view(s, background=True) for s in (rule.background.steps if rule and rule.background else [])],
                )
                view.rules.append(rules[key])
            rules[key].scenarios.append(_scenario_view(template, feature))
        views.append(view)
    return views


def _scenario_view(template: ScenarioTemplate, feature: Feature) -> ScenarioView:
    tags = set(template.tags) | set(feature.tags) | (set(template.rule.tags) if template.rule else set())
    examples = []
    for examples_data in template.examples:
        tags |= set(examples_data.tags)
        examples.append(ExamplesView(name=examples_data.name or "", params=list(examples_data.example_params),
                                     rows=[list(row) for row in examples_data.examples]))
    own_steps = template.steps[len(template.all_background_steps):]
    return ScenarioView(
        name=template.name, line=template.line_number, tags=sorted(tags), keyword=template.keyword.strip(),
        description=(template.description or "").strip(), steps=[_step_view(s) for s in own_steps], examples=examples,
    )


def _step_view(step: Step, background: bool = False) -> StepView:
    return StepView(keyword=step.keyword.strip(), text=step.name, line=step.line_number, background=background,
                    datatable=step.datatable.raw() if step.datatable is not None else None, docstring=step.docstring)


# --- counting ------------------------------------------------------------------------
@dataclass
class Tally:
    """Outcome counts of a set of scenarios."""

    counts: dict[str, int] = field(default_factory=lambda: {o: 0 for o in OUTCOMES})

    def add(self, outcome: str | None) -> None:
        if outcome:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def passed(self) -> int:
        return self.counts.get("passed", 0)

    @property
    def failing(self) -> int:
        return self.counts.get("failed", 0) + self.counts.get("error", 0)

    @property
    def applicable(self) -> int:
        """Scenarios that ran to a verdict (neither not applicable nor skipped)."""
        return self.passed + self.failing
