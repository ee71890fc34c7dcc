"""``artifact-conformance docs``: the features as documentation, without running anything.

    artifact-conformance docs [--format html|markdown] OUT

Parses the feature files installed with the package (pytest-bdd's parser,
the one the suite runs with) and writes one self-contained HTML page (the
report's layout without outcomes) or a Markdown file. OUT ``-`` writes to
standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "docs", help="write the conformance scenarios as documentation (HTML or Markdown)",
        description="Write the feature files of the suite as one readable document, without running anything.",
    )
    parser.add_argument("--format", choices=("html", "markdown"), default=None,
                        help="default: from OUT's suffix (.md: markdown), else html")
    parser.add_argument("out", metavar="OUT", help="the file to write (atomically), or - for standard output")
    parser.set_defaults(handler=docs)


def docs(args: argparse.Namespace) -> int:
    from artifact_conformance.reporting.atomic_write import write_atomically
    from artifact_conformance.reporting.feature_files import packaged_features
    from artifact_conformance.reporting.html_report import render_docs
    from artifact_conformance.reporting.markdown_docs import render_markdown
    from artifact_conformance.reporting.model import features_from_files

    fmt = args.format or ("markdown" if args.out.lower().endswith((".md", ".markdown")) else "html")
    features = features_from_files(packaged_features())
    text = render_markdown(features) if fmt == "markdown" else render_docs(features)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        write_atomically(Path(args.out), text)
        scenarios = sum(len(f.scenarios) for f in features)
        print(f"wrote {args.out} ({fmt}: {len(features)} features, {scenarios} scenarios)", file=sys.stderr)
    return 0
