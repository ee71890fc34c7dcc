"""``artifact-conformance bench``: measure the reference store against peers.

    artifact-conformance bench [--quick] [--json FILE] [--only lookups|pulls|skipped|suite ...]

Prints one table per section (the machine and the date first) and, with
``--json``, writes every raw figure to FILE (atomically). Exit status 1 when a
section could not be measured (e.g. the two look-up implementations disagreed,
a pull failed); targets that are missed are reported, never a failure.
"""

from __future__ import annotations

import argparse
import sys

# Kept in step with bench.run.SECTIONS and fixtures.registry.PROVIDERS (tests/test_bench.py
# checks): importing those here would load the harness (docker, testcontainers) on every
# start of the command line, `store pull` included, which the bench itself measures.
SECTIONS = ("lookups", "pulls", "skipped", "suite")
PROVIDERS = ("auto", "url", "docker", "process")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench", help="benchmark the reference store (look-ups, pulls, skipped pulls, suite time) against peers",
        description="Benchmark the reference store: look-ups at 1,000 and 10,000 artifacts against a store "
        "without a cache, pulls against skopeo, the registry cost of a pull a read-only store satisfies, "
        "and the conformance suite's wall time. Ratios are peer / simulator.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (1,000 artifacts; 64 MiB and 8 x 1 MiB pulls; the suite's "
                        "-k listing scenarios): proves the bench works in well under a minute")
    parser.add_argument("--json", metavar="FILE", help="write every raw figure as JSON to FILE (atomically)")
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section ({', '.join(SECTIONS)}); repeatable")
    parser.add_argument("--scratch", default="/tmp", metavar="DIR",
                        help="where the temporary layouts and pulled artifacts go (removed afterwards; "
                        "a full run needs about 3 GiB free)")
    parser.add_argument("--registry-url", metavar="URL", help="use this running registry instead of starting one")
    parser.add_argument("--registry-image", default="registry:2", metavar="IMAGE",
                        help="registry image for the docker provider (default registry:2)")
    parser.add_argument("--registry-provider", default="auto", choices=PROVIDERS,
                        help="where the registry comes from (default auto: url, else Docker, else the local binary)")
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from rich.console import Console

    from artifact_conformance.bench.report import render, write_json
    from artifact_conformance.bench.run import BenchOptions, failed_sections, run_bench

    options = BenchOptions(
        quick=args.quick,
        only=tuple(args.only or SECTIONS),
        scratch_parent=args.scratch,
        registry_url=args.registry_url,
        registry_image=args.registry_image,
        registry_provider=args.registry_provider,
    )
    progress = Console(stderr=True, highlight=False, log_path=False)
    document = run_bench(options, progress=lambda message: progress.log(message))
    render(document, Console(highlight=False, soft_wrap=False, width=max(Console().width, 160)))
    if args.json:
        write_json(document, args.json)
        progress.print(f"wrote {args.json}")
    failed = failed_sections(document)
    if failed:
        print(f"artifact-conformance: error: section(s) not measured: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
