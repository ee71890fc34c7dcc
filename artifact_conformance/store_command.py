"""``artifact-conformance store``: drive the reference store from the command line.

    artifact-conformance store --config crio.toml [--json] pull REF
    artifact-conformance store --config crio.toml [--json] status NAME_OR_ID
    artifact-conformance store --config crio.toml [--json] list
    artifact-conformance store --config crio.toml [--json] rm NAME_OR_ID
    artifact-conformance store --config crio.toml [--json] mounts REF

``--json`` prints the CRI-style record fields, for scripts and for the
command adapter; without it the output is for people: on a terminal, tables
fitted to its width; piped or redirected, plain tables with one record per
line and every value whole (several tags or digests joined by commas), for
grep, awk and narrow logs alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.records import ArtifactRecord
from artifact_conformance.simulator.store import ArtifactStore

ID_SHORT = 12


def register(subparsers: argparse._SubParsersAction) -> None:
    store = subparsers.add_parser(
        "store", help="pull, list, inspect and remove artifacts with the reference store",
        description="Operate the reference artifact store configured by a CRI-O style TOML file.",
    )
    _add_common_options(store, default_config=None, default_json=False)
    actions = store.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, run: Callable, help_: str, argument: tuple[str, str] | None = None) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_, description=help_)
        # Accepted after the action too; SUPPRESS keeps a value given before it.
        _add_common_options(parser, default_config=argparse.SUPPRESS, default_json=argparse.SUPPRESS)
        if argument:
            parser.add_argument(argument[0], help=argument[1])
        parser.set_defaults(handler=_with_store(run, parser))
        return parser

    action("pull", _pull, "pull an artifact into the main store (skipped when a read-only store has it)",
           ("reference", "fully qualified reference: registry[:port]/repository[:tag|@sha256:<hex>]"))
    action("status", _status, "show one artifact, resolved across the read-only stores and the main store",
           ("name_or_id", "a fully qualified reference, or a prefix of the manifest digest's hex"))
    action("list", _list, "list every artifact, read-only stores first, de-duplicated by reference")
    action("rm", _remove, "remove an artifact from the main store (read-only stores are never changed)",
           ("name_or_id", "a fully qualified reference, or a prefix of the manifest digest's hex"))
    mounts = action("mounts", _mounts, "show the (file name, blob path) pairs an artifact would be mounted as",
                    ("name_or_id", "a fully qualified reference, or a prefix of the manifest digest's hex"))
    mounts.add_argument("--sub-path", default="", metavar="DIR",
                        help="mount only the files below DIR, named relative to it (a volume mount's subPath)")


def _add_common_options(parser: argparse.ArgumentParser, default_config, default_json) -> None:
    # Added to each parser separately: argparse shares the action objects of a
    # "parents" parser, so a default set on one would change the others.
    parser.add_argument("--config", metavar="FILE", default=default_config,
                        help="CRI-O style TOML configuration ([crio] root, [crio.runtime] "
                        "additional_artifact_stores, [crio.image] pinned_images, ...)")
    parser.add_argument("--json", action="store_true", default=default_json,
                        help="print machine-readable JSON instead of tables")


def _with_store(run: Callable, parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        if not args.config:
            parser.error("the following arguments are required: --config")
        store = ArtifactStore(StoreConfig.from_toml(args.config))
        return run(store, args, Console(highlight=False, markup=False, emoji=False, soft_wrap=True))
    return handler


# -- actions ------------------------------------------------------------------
def _pull(store: ArtifactStore, args: argparse.Namespace, console: Console) -> int:
    result = store.pull(args.reference)
    record = result.record
    if args.json:
        _print_json({**record.to_json(), "skipped": result.skipped})
    elif result.skipped:
        console.print(f"{args.reference}: found in read-only store {record.store}; pull skipped ({record.digest})")
    else:
        console.print(f"{args.reference}: pulled {record.digest} into {record.store} ({_size(record.size)})")
    return 0


def _status(store: ArtifactStore, args: argparse.Namespace, console: Console) -> int:
    record = store.status(args.name_or_id)
    if args.json:
        _print_json(record.to_json())
    elif not _on_terminal(console):
        rows = _record_rows(record)
        width = max(len(key) for key, _ in rows)
        sys.stdout.write("".join(f"{key:<{width}}  {value.replace(chr(10), ',')}\n" for key, value in rows))
    else:
        console.print(_record_table(record))
    return 0


LIST_COLUMNS = ("ID", "TAGS", "DIGESTS", "SIZE", "PINNED", "STORE")


def _list(store: ArtifactStore, args: argparse.Namespace, console: Console) -> int:
    records = store.list()
    if args.json:
        _print_json([record.to_json() for record in records])
        return 0
    rows = [(record.id[:ID_SHORT], record.repo_tags or ["<none>"], record.repo_digests or ["<none>"],
             _size(record.size), "yes" if record.pinned else "no", record.store) for record in records]
    if not _on_terminal(console):
        _print_plain(LIST_COLUMNS, rows, right=("SIZE",))
        return 0
    table = Table(box=None, pad_edge=False)
    for column in LIST_COLUMNS:
        table.add_column(column, justify="right" if column == "SIZE" else "left",
                         no_wrap=column in ("ID", "SIZE", "PINNED"), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value, "\n") for value in row))
    console.print(table)
    return 0


def _remove(store: ArtifactStore, args: argparse.Namespace, console: Console) -> int:
    result = store.remove(args.name_or_id)
    if args.json:
        _print_json(result.to_json())
        return 0
    if result.removed_digests:
        for digest in result.removed_digests:
            console.print(f"removed {digest} from the main store")
    else:
        console.print(f"{args.name_or_id}: nothing to remove from the main store")
    if result.still_visible is not None:
        console.print(f"{args.name_or_id}: still provided by read-only store {result.still_visible.store}")
    return 0


def _mounts(store: ArtifactStore, args: argparse.Namespace, console: Console) -> int:
    mounts = store.mount_paths(args.name_or_id, args.sub_path)
    if args.json:
        _print_json([mount.to_json() for mount in mounts])
        return 0
    rows = [(mount.name, _size(mount.size), mount.path) for mount in mounts]
    if not _on_terminal(console):
        _print_plain(("NAME", "SIZE", "PATH"), rows, right=("SIZE",))
        return 0
    table = Table(box=None, pad_edge=False)
    table.add_column("NAME", overflow="fold")
    table.add_column("SIZE", justify="right", no_wrap=True)
    table.add_column("PATH", overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return 0


# -- output -------------------------------------------------------------------
def _print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def _on_terminal(console: Console) -> bool:
    """Whether stdout is a terminal (rich's own test also says yes when FORCE_COLOR is set)."""
    isatty = getattr(console.file, "isatty", None)
    return bool(isatty and isatty())


def _print_plain(columns: tuple[str, ...], rows: list[tuple], right: tuple[str, ...] = ()) -> None:
    """A table for pipes and files: one record per line, nothing wrapped or cut;
    columns two spaces apart, the last one unpadded."""
    lines = [list(columns), *([_cell(value, ",") for value in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    out = []
    for line in lines:
        cells = [cell.rjust(width) if name in right else cell.ljust(width)
                 for name, cell, width in zip(columns, line, widths)]
        cells[-1] = line[-1]
        out.append("  ".join(cells).rstrip() + "\n")
    sys.stdout.write("".join(out))
    sys.stdout.flush()


def _cell(value: str | list[str], separator: str) -> str:
    return separator.join(value) if isinstance(value, list) else value


def _record_table(record: ArtifactRecord) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in _record_rows(record):
        table.add_row(key, value)
    return table


def _record_rows(record: ArtifactRecord) -> list[tuple[str, str]]:
    return [
        ("id", record.id),
        ("repo_tags", "\n".join(record.repo_tags) or "<none>"),
        ("repo_digests", "\n".join(record.repo_digests) or "<none>"),
        ("size", f"{record.size} ({_size(record.size)})"),
        ("pinned", "yes" if record.pinned else "no"),
        ("store", f"{record.store} ({'read-only' if record.read_only else 'main'})"),
        ("ref_name", record.ref_name or "<none>"),
        ("media_type", record.media_type),
        ("artifact_type", record.artifact_type or "<none>"),
    ]


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
