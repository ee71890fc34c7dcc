"""An expectations file as a Markdown table, kept inside a document.

docs/real-runtimes.md shows CRI-O's divergences as a table made from
docs/expectations/cri-o.toml, between two marker lines, so the page and the
file that gates CI cannot disagree (tests/test_crio_docs.py checks it)::

    python -m artifact_conformance.reporting.expectations_table cri-o docs/real-runtimes.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from artifact_conformance.reporting.expectations_file import HARMS, Expectations, load_expectations
from artifact_conformance.reporting.marked_section import replace_marked


def begin_marker(name: str) -> str:
    return f"<!-- expectations table {name}: generated from docs/expectations/{name}.toml; do not edit -->"


def end_marker(name: str) -> str:
    return f"<!-- end of expectations table {name} -->"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def markdown_table(expectations: Expectations) -> str:
    """The entries grouped by cause, worst harm first: each cause with its harm, functions and
    reproduction, then its scenarios; entries without a cause last."""
    parts = []
    for cause, entries in expectations.by_cause():
        if cause is not None:
            functions = "; ".join(f"`{f}`" for f in cause.functions)
            parts.append(f"#### {cause.title}\n\n**Harm:** {HARMS[cause.harm]}. **Where:** {functions}."
                         + (f" **Link:** {cause.link}" if cause.link else "")
                         + f"\n\nReproduction:\n\n```sh\n{cause.reproduction}\n```\n")
        elif expectations.causes:
            parts.append("#### Not yet traced to a cause\n")
        parts.append(_rows(entries))
    return "\n".join(parts)


def _rows(entries) -> str:
    rows = ["| scenario | outcome | what the runtime did, and how it was seen | what the contract asks, and why |",
            "|---|---|---|---|"]
    for entry in entries:
        where = entry.scenario or entry.nodeid or f"@{entry.tag}"
        if entry.feature:
            where = f"{entry.feature}: {where}"
        if entry.when:
            where += f" ({entry.when})"
        rows.append(f"| {_cell(where)} | {'/'.join(entry.outcomes)} | {_cell(entry.seen)} | {_cell(entry.reason)} |")
    return "\n".join(rows) + "\n"


def with_table(document: str, name: str, table: str) -> str:
    """``document`` with the text between the markers of the ``name`` table replaced by ``table``."""
    return replace_marked(document, begin_marker(name), end_marker(name), table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write an expectations file's table into a Markdown document")
    parser.add_argument("name", help="the packaged expectations file's name (cri-o) or a path")
    parser.add_argument("document", type=Path)
    args = parser.parse_args(argv)
    name = Path(args.name).stem
    text = args.document.read_text()
    args.document.write_text(with_table(text, name, markdown_table(load_expectations(args.name))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
