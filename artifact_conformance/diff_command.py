"""``artifact-conformance diff A.json B.json``: where two runs disagree.

Compares two results documents (``run --results`` or ``pytest
--results-json``), e.g. the reference simulator against a vendor's runtime,
and prints the scenarios whose outcome differs. Exit status 0 when every
scenario has the same outcome, 1 when some differ, 2 when a file is not a
results document. ``--by-rule`` compares the verdict of each contract rule
(kept, broken, not checked) instead. ``--ignore-not-applicable`` treats not
applicable (by rule: not checked) as matching any outcome: over CRI some observations (mount paths, the main
store's layout) are not available, which is not a difference in behaviour.
"""

from __future__ import annotations

import argparse
import sys

from rich.table import Table
from rich.text import Text

from artifact_conformance.reporting.vocabulary import outcome_label

OUTCOME_STYLE = {"passed": "green", "failed": "bold red", "error": "bold red", "missing": "yellow"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff", help="show the scenarios whose outcome differs between two results files",
        description="Compare two results documents scenario by scenario (matched by feature file, scenario "
        "name and example row). Exit status: 0 identical, 1 different, 2 unusable input.",
    )
    parser.add_argument("a", metavar="A.json", help="a results document (run --results / pytest --results-json)")
    parser.add_argument("b", metavar="B.json", help="the results document to compare with")
    parser.add_argument("--ignore-not-applicable", action="store_true",
                        help="treat 'not applicable' as matching any outcome")
    parser.add_argument("--common-only", action="store_true",
                        help="compare only the scenarios both files hold (runs with different selections)")
    parser.add_argument("--by-rule", action="store_true",
                        help="compare the verdict of each contract rule (kept, broken, not checked) instead of "
                        "each scenario's outcome; with --ignore-not-applicable, 'not checked' matches any verdict")
    parser.set_defaults(handler=diff)


def diff(args: argparse.Namespace) -> int:
    from artifact_conformance.reporting.results_diff import ResultsFileError, diff_results, diff_rules, load_results

    try:
        a, b = load_results(args.a), load_results(args.b)
    except ResultsFileError as error:
        print(f"artifact-conformance diff: error: {error}", file=sys.stderr)
        return 2
    if args.by_rule:
        rule_differences, compared = diff_rules(a, b, ignore_not_checked=args.ignore_not_applicable)
        rows = [[d.rule, d.level, _verdict(d.a, d.failing_a), _verdict(d.b, d.failing_b)] for d in rule_differences]
        return _show(a, b, args, ("rules", "have the same verdict"), compared, ["rule", "level"], rows)
    differences, compared = diff_results(a, b, ignore_not_applicable=args.ignore_not_applicable,
                                         common_only=args.common_only)
    rows = [[d.key[0], d.scenario + (f" [{_example(d.key[2])}]" if d.key[2] else ""), d.level or "",
             Text(outcome_label(d.a), style=OUTCOME_STYLE.get(d.a, "")),
             Text(outcome_label(d.b), style=OUTCOME_STYLE.get(d.b, ""))] for d in differences]
    return _show(a, b, args, ("scenarios", "have the same outcome"), compared, ["feature", "scenario", "level"], rows)


def _show(a, b, args: argparse.Namespace, words: tuple[str, str], compared: int, columns: list[str],
          rows: list[list]) -> int:
    """Print the differences as a table (exit status 1), or that there are none (0)."""
    from artifact_conformance.reporting.console import make_console
    from artifact_conformance.reporting.results_diff import describe_run

    noun, same = words
    console = make_console()
    name_a, name_b = describe_run(a, args.a), describe_run(b, args.b)
    if not rows:
        console.print(Text(f"identical: {compared} {noun} {same} in {name_a} and {name_b}", style="green"),
                      soft_wrap=True)
        return 0
    table = Table(title=f"{len(rows)} of {compared} {noun} differ", title_justify="left")
    for column in [*columns, f"A: {name_a}", f"B: {name_b}"]:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return 1


VERDICT_STYLE = {"kept": "green", "broken": "bold red", "not_checked": "yellow"}


def _verdict(verdict: str, failing: int) -> Text:
    text = verdict.replace("_", " ") + (f" ({failing} failed)" if failing else "")
    return Text(text, style=VERDICT_STYLE.get(verdict, ""))


def _example(encoded: str) -> str:
    import json

    return ", ".join(f"{k}={v}" for k, v in json.loads(encoded).items())
