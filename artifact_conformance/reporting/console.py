"""What ``artifact-conformance run`` prints: progress while the suite runs,
and the summary at the end.

On a terminal, progress is a rich progress bar (scenarios done of total, the
feature and scenario that just finished, failures printed above the bar as
they happen). In CI logs (no TTY, or ``CI=true``) it is one plain line per
scenario, which reads well in a log viewer and greps well.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from artifact_conformance.reporting.model import FeatureView, ScenarioView
from artifact_conformance.reporting.verdict import (
    EXPECTED,
    FATAL,
    NOT_MET,
    TOLERATED,
    UNEXPECTED_PASS,
    Verdict,
)
from artifact_conformance.reporting.vocabulary import (
    ERROR,
    FAILED,
    JUDGEMENT_LABELS,
    LEVELS,
    NOT_APPLICABLE,
    OUTCOMES,
    outcome_label,
)

OUTCOME_STYLE = {
    "passed": "green", "failed": "bold red", "error": "bold red", "not_applicable": "dim", "skipped": "dim",
}


def in_ci(stream: TextIO) -> bool:
    ci = os.environ.get("CI", "").strip().lower()
    return not stream.isatty() or ci not in ("", "0", "false", "no")


def make_console(stream: TextIO | None = None) -> Console:
    stream = stream or sys.stdout
    plain = in_ci(stream)
    # In a log there is no terminal width: use a width that keeps the tables on one line each.
    width = None
    if plain:
        try:
            width = int(os.environ.get("COLUMNS", "")) or 120
        except ValueError:
            width = 120
    return Console(file=stream, highlight=False, emoji=False, soft_wrap=False, width=width, force_terminal=False if plain else None,
                   no_color=plain and not os.environ.get("FORCE_COLOR"))


# --- progress ------------------------------------------------------------------------------
class PlainProgress:
    """One line per finished scenario, for CI logs."""

    def __init__(self, console: Console):
        self.console = console
        self.total = 0
        self.done = 0

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def collected(self, count: int) -> None:
        self.total = count
        self.console.print(f"running {count} scenario{'s' if count != 1 else ''}", markup=False)

    def scenario(self, event: Mapping[str, Any]) -> None:
        self.done += 1
        width = len(str(self.total or self.done))
        outcome = outcome_label(event.get("outcome") or "?")
        line = (f"[{self.done:>{width}}/{self.total or '?'}] {outcome:<14} {event.get('level') or '':<8} "
                f"{_title(event)}")
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)
        if event.get("outcome") in ("failed", "error") and event.get("message"):
            self.console.print(f"    {_first_line(event['message'])}", markup=False, soft_wrap=True)


class RichProgress:
    """A progress bar on a terminal; failures are printed above it as they happen."""

    def __init__(self, console: Console):
        self.console = console
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}", style="bold red"), TimeElapsedColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=console, transient=True,
        )
        self.task = self.progress.add_task("collecting", total=None, current="", failed="")
        self.failed = 0

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def collected(self, count: int) -> None:
        self.progress.update(self.task, total=count, description="scenarios")

    def scenario(self, event: Mapping[str, Any]) -> None:
        outcome = event.get("outcome") or "?"
        if outcome in ("failed", "error"):
            self.failed += 1
            line = Text(f"\u2717 {outcome:<6} ", style="bold red")
            line.append(f"{event.get('level') or '':<8} ", style="magenta")
            line.append(_title(event))
            self.console.print(line)
            if event.get("message"):
                self.console.print(Text(f"    {_first_line(event['message'])}", style="red"))
        room = max(20, self.console.width - 75)
        current = _title(event)
        if len(current) > room:
            current = current[: room - 3] + "..."
        failed = f"{self.failed} failed" if self.failed else ""
        self.progress.update(self.task, advance=1, current=current, failed=failed)


class NoProgress(PlainProgress):
    def collected(self, count: int) -> None:
        pass

    def scenario(self, event: Mapping[str, Any]) -> None:
        pass


def make_progress(mode: str, console: Console):
    if mode == "none":
        return NoProgress(console)
    if mode == "rich" or (mode == "auto" and not in_ci(console.file)):
        return RichProgress(console)
    return PlainProgress(console)


def _title(event: Mapping[str, Any]) -> str:
    feature, scenario = event.get("feature"), event.get("scenario")
    if feature and scenario:
        return f"{feature} \u203a {scenario}"
    return str(scenario or event.get("nodeid") or "?")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


# --- summary ---------------------------------------------------------------------------------
def _level_cell(scenarios: Sequence[ScenarioView], level: str) -> Text:
    chosen = [s for s in scenarios if (s.level or "required") == level]
    if not chosen:
        return Text("-", style="dim")
    passed = sum(1 for s in chosen if s.outcome == "passed")
    failing = [s for s in chosen if s.outcome in ("failed", "error")]
    ran = passed + len(failing)
    if not ran:
        return Text("n/a", style="dim")
    if failing:
        known = all(s.judgement in (EXPECTED, TOLERATED) for s in failing)
        style = "yellow" if known else "bold red"
    else:
        style = "green"
    return Text(f"{passed}/{ran}", style=style)


def summary_table(features: Sequence[FeatureView]) -> Table:
    table = Table(title="Conformance by behaviour area (required, optional: passed/ran; n/a: not applicable)",
                  title_justify="left")
    table.add_column("area")
    for level in LEVELS:
        table.add_column(level, justify="right")
    for outcome in OUTCOMES:  # "n/a" keeps the table within 80 columns
        table.add_column("n/a" if outcome == NOT_APPLICABLE else outcome_label(outcome), justify="right")
    everything: list[ScenarioView] = []
    for feature in features:
        scenarios = feature.scenarios
        everything.extend(scenarios)
        table.add_row(feature.area, *(_level_cell(scenarios, level) for level in LEVELS), *_counts(scenarios))
    table.add_section()
    table.add_row(Text("all", style="bold"), *(_level_cell(everything, level) for level in LEVELS), *_counts(everything))
    return table


def _counts(scenarios: Sequence[ScenarioView]) -> list[Text]:
    cells = []
    for outcome in OUTCOMES:
        n = sum(1 for s in scenarios if s.outcome == outcome)
        style = OUTCOME_STYLE[outcome] if n and outcome in (FAILED, ERROR) else ("" if n else "dim")
        cells.append(Text(str(n), style=style))
    return cells


def print_summary(console: Console, features: Sequence[FeatureView], verdict: Verdict,
                  written: Sequence[tuple[str, str]] = ()) -> None:
    console.print()
    console.print(summary_table(features))
    attention = [(f, s) for f in features for s in f.scenarios
                 if s.outcome in ("failed", "error") or s.judgement in (UNEXPECTED_PASS, NOT_MET)]
    if attention:
        console.print()
        console.print(Text(f"Needs attention ({len(attention)})", style="bold"))
    for feature, scenario in attention:
        judgement = scenario.judgement or ""
        style = "bold red" if judgement in FATAL else "yellow"
        line = Text(f"  {JUDGEMENT_LABELS.get(judgement, judgement):<19} ", style=style)
        line.append(f"{scenario.outcome or '?':<6} {(scenario.level or 'required'):<8} ")
        line.append(f"{feature.file}: {scenario.name}")
        console.print(line, soft_wrap=True)
        if scenario.expectation:
            console.print(Text(f"      expected {'/'.join(scenario.expectation.get('outcomes', []))}: "
                               f"{scenario.expectation.get('reason', '')}", style="dim"), soft_wrap=True)
        if scenario.expectation_mismatch:
            console.print(Text(f"      not as expected: {scenario.expectation_mismatch}", style="bold red"),
                          soft_wrap=True)
        failing = [s for s in scenario.steps if s.outcome in ("failed", "undefined")]
        for step in failing:  # every failed check: a check that fails does not stop the scenario
            console.print(Text(f"      step: {step.keyword} {step.text}", style="dim"), soft_wrap=True)
            if step.message:
                console.print(Text(f"      {_first_line(step.message)}"), soft_wrap=True)
        if not failing and scenario.message and scenario.outcome in ("failed", "error"):
            console.print(Text(f"      {_first_line(scenario.message)}"), soft_wrap=True)
    for unused in verdict.unused_expectations:
        console.print(Text(f"  unused expectation: {unused.get('selector')} (matched no selected scenario)",
                           style="dim"), soft_wrap=True)
    console.print()
    for label, path in written:
        console.print(Text(f"{label}: {path}", style="dim"), soft_wrap=True)
    style = "bold green" if verdict.exit_code == 0 else "bold red"
    console.print(Text(verdict.headline(), style=style), soft_wrap=True)
