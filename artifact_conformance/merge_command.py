"""``artifact-conformance merge RESULTS...``: one report for a fleet of nodes.

Each RESULTS is a results document (``run --results``, one per node), a
directory holding such documents, or a tarball holding them (what the
sonobuoy plugin of ``deploy/`` returns per node, or ``sonobuoy retrieve``'s
archive). Prints a matrix of nodes x behaviour areas, the nodes that differ
from the majority and each node's failing required scenarios; ``--html``
writes the same as one self-contained page, ``--json`` as data.

Exit status: 0 when every node passed every required scenario it ran, 1 when
any node failed one, 2 when an input is not usable.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.table import Table
from rich.text import Text

COMMAND = "merge"
STATE_STYLE = {"pass": "green", "fail": "bold red", "optional-fail": "yellow", "na": "dim", "absent": "dim"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        COMMAND, help="merge many nodes' results into one fleet report (matrix, differing nodes)",
        description="Merge the results documents of many nodes into one fleet report: per node and behaviour "
        "area (and per rule when the results carry rule ids), the nodes that differ from the majority, and every "
        "failing required scenario. Exit status: 0 every node conformant, 1 a node failed a required scenario, "
        "2 unusable input.",
    )
    parser.add_argument("results", nargs="+", metavar="RESULTS",
                        help="a results document (run --results), a directory of them, or a tarball holding them")
    parser.add_argument("--html", metavar="FILE", help="write the fleet report as a self-contained HTML page")
    parser.add_argument("--json", metavar="FILE", help="write the fleet report as JSON")
    parser.set_defaults(handler=merge)


def merge(args: argparse.Namespace) -> int:
    from artifact_conformance.reporting.atomic_write import write_atomically
    from artifact_conformance.reporting.console import make_console
    from artifact_conformance.reporting.fleet import FleetError, ResultsFileError, load_fleet
    from artifact_conformance.reporting.fleet_html import render_fleet

    try:
        fleet = load_fleet(args.results)
    except (FleetError, ResultsFileError) as error:
        print(f"artifact-conformance merge: error: {error}", file=sys.stderr)
        return 2
    console = make_console()
    _print_matrix(console, fleet)
    _print_differences(console, fleet)
    _print_failures(console, fleet)
    console.print(Text(fleet.headline(), style="green" if fleet.exit_code == 0 else "bold red"), soft_wrap=True)
    if args.html:
        write_atomically(Path(args.html), render_fleet(fleet))
        console.print(f"fleet report: {args.html}", soft_wrap=True)
    if args.json:
        write_atomically(Path(args.json), json.dumps(fleet.to_json(), indent=2) + "\n")
        console.print(f"fleet results: {args.json}", soft_wrap=True)
    return fleet.exit_code


def _print_matrix(console, fleet) -> None:
    areas = fleet.areas()
    table = Table(title=f"{len(fleet.nodes)} nodes x {len(areas)} behaviour areas (passed/ran)", title_justify="left")
    table.add_column("node")
    table.add_column("verdict")
    for area in areas:
        table.add_column(area, justify="center")
    differing = fleet.differing_nodes()
    for node in fleet.nodes:
        verdict = Text("conformant", style="green") if node.conformant else Text(
            f"{len(node.failing_required())} required failing", style="bold red")
        if node.name in differing:
            verdict.append(f" · differs ({len(differing[node.name])})", style="yellow")
        cells = [fleet.area_cell(node, area) for area in areas]
        table.add_row(node.name, verdict, *(Text(c.label(), style=STATE_STYLE[c.state]) for c in cells))
    console.print(table)


def _print_differences(console, fleet) -> None:
    differing = fleet.differing_nodes()
    if not differing:
        console.print("every node had the majority's outcome in every scenario", soft_wrap=True)
        return
    total = len(fleet.nodes)
    table = Table(title="nodes that differ from the majority", title_justify="left")
    for column in ("node", "feature", "scenario", "level", "this node", "majority"):
        table.add_column(column)
    for name, deviations in differing.items():
        for d in sorted(deviations, key=lambda d: (not d.serious, d.feature, d.scenario)):
            table.add_row(name, d.feature, d.scenario, d.level,
                          Text(d.outcome.replace("_", " "), style="bold red" if d.serious else "yellow"),
                          f"{d.majority.replace('_', ' ')} ({d.majority_nodes} of {total})")
    console.print(table)


def _print_failures(console, fleet) -> None:
    for node in fleet.failing_nodes:
        console.print(Text(f"{node.name}: failing required scenarios", style="bold red"), soft_wrap=True)
        for record in node.failing_required():
            feature = (record.get("feature") or {}).get("file") or record.get("nodeid")
            message = (record.get("message") or "").splitlines()
            console.print(f"  {feature}: {record.get('scenario')}" + (f"\n      {message[0]}" if message else ""),
                          soft_wrap=True, markup=False, highlight=False)
