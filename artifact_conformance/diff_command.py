"""``artifact-conformance diff A.json B.json``: where two runs disagree.

Compares two results documents (``run --results`` or ``pytest
--results-json``), e.g. the reference simulator against a vendor's runtime,
and prints the scenarios whose outcome differs. Exit status 0 when every
scenario has the same outcome, 1 when some differ, 2 when a file is not a
results document. ``--ignore-not-applicable`` treats not applicable as
matching any outcome: over CRI some observations (mount paths, the main
store's layout) are not available, which is not a difference in behaviour.
"""

from __future__ import annotations

import argparse
import sys

from rich.table import Table
from rich.text import Text

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
    parser.set_defaults(handler=diff)


def diff(args: argparse.Namespace) -> int:
    from artifact_conformance.reporting.console import make_console
    from artifact_conformance.reporting.results_diff import ResultsFileError, describe_run, diff_results, load_results

    try:
        a, b = load_results(args.a), load_results(args.b)
    except ResultsFileError as error:
        print(f"artifact-conformance diff: error: {error}", file=sys.stderr)
        return 2
    differences, compared = diff_results(a, b, ignore_not_applicable=args.ignore_not_applicable,
                                         common_only=args.common_only)
    console = make_console()
    name_a, name_b = describe_run(a, args.a), describe_run(b, args.b)
    if not differences:
        console.print(Text(f"identical: {compared} scenarios have the same outcome in {name_a} and {name_b}",
                           style="green"), soft_wrap=True)
        return 0
    table = Table(title=f"{len(differences)} of {compared} scenarios differ", title_justify="left")
    table.add_column("feature")
    table.add_column("scenario")
    table.add_column("level")
    table.add_column(f"A: {name_a}")
    table.add_column(f"B: {name_b}")
    for d in differences:
        table.add_row(d.key[0], d.scenario + (f" [{_example(d.key[2])}]" if d.key[2] else ""), d.level or "",
                      Text(d.a.replace("_", " "), style=OUTCOME_STYLE.get(d.a, "")),
                      Text(d.b.replace("_", " "), style=OUTCOME_STYLE.get(d.b, "")))
    console.print(table)
    return 1


def _example(encoded: str) -> str:
    import json

    return ", ".join(f"{k}={v}" for k, v in json.loads(encoded).items())
