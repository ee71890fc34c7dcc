"""``artifact-conformance bench``: measure the reference store against peers.

    artifact-conformance bench [--quick] [--json FILE] [--only lookups|pulls|skipped|suite|slow_stores ...]
    artifact-conformance bench --sut crio|cri [--crio-binary PATH | --cri-launch CMD] [--bound S] [--quick] [--json FILE]

Prints one table per section (the machine and the date first) and, with
``--json``, writes every raw figure to FILE (atomically). With ``--sut`` the
bench runs section "runtimes": that runtime beside the reference store served
over CRI, with the same client and the same stores; ``--json FILE`` then also
writes the plot (FILE without .json, plus .png and .svg) and an HTML page (.html). Exit status 1 when a
section could not be measured (e.g. the two look-up implementations disagreed,
a pull failed); targets that are missed are reported, never a failure.
"""

from __future__ import annotations

import argparse
import sys

# The options' declarations are plain data, cheap to import (fixtures/options.py).
from artifact_conformance.fixtures.options import CRIO_BINARY, DEFAULT_REGISTRY_IMAGE
from artifact_conformance.fixtures.options import REGISTRY_PROVIDERS as PROVIDERS

# Kept in step with bench.run.SECTIONS (tests/test_bench.py checks): importing it here
# would load the harness (docker, testcontainers) on every start of the command line,
# `store pull` included, which the bench itself measures.
SECTIONS = ("lookups", "pulls", "skipped", "suite", "slow_stores", "runtimes")
DEFAULT_SECTIONS = SECTIONS[:5]  # without --sut
# option dest -> the cri adapter's setting key (fixtures.cri_settings; tests/test_bench.py checks).
CRI_SETTINGS = {
    "cri_launch": "cri_launch",
    "crio_binary": "crio_binary",
    "cri_start_timeout": "cri_start_timeout",
    "cri_warning_pattern": "cri_warning_pattern",
    "cri_artifacts_subdir": "cri_artifacts_subdir",
}
DEFAULT_BOUND_S = 30.0


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
    parser.add_argument("--registry-image", default=DEFAULT_REGISTRY_IMAGE, metavar="IMAGE",
                        help=f"registry image for the docker provider (default {DEFAULT_REGISTRY_IMAGE})")
    parser.add_argument("--registry-provider", default="auto", choices=PROVIDERS,
                        help="where the registry comes from (default auto: url, else Docker, else the local binary)")
    runtime = parser.add_argument_group(
        "a runtime beside the reference store (section runtimes; the adapters and options of run)")
    runtime.add_argument("--sut", metavar="NAME",
                         help="the system under test: crio (a real CRI-O per store size) or cri with --cri-launch; "
                         "runs section runtimes (alone, unless --only adds others)")
    runtime.add_argument("--sut-option", action="append", default=[], metavar="KEY=VALUE",
                         help="a setting for the adapter; repeatable")
    runtime.add_argument("--cri-launch", metavar="COMMAND",
                         help="(--sut cri) start the runtime with this command; {socket} and {config} are replaced, "
                         "e.g. 'artifact-conformance serve-cri --listen unix://{socket} --config {config}'")
    runtime.add_argument("--crio-binary", metavar="PATH",
                         help=f"(--sut crio) the CRI-O binary; default ${CRIO_BINARY.env}, else crio on PATH")
    runtime.add_argument("--cri-start-timeout", metavar="SECONDS", help="how long the runtime may take to serve")
    runtime.add_argument("--cri-warning-pattern", metavar="REGEX", help="a warning line of the runtime's output")
    runtime.add_argument("--cri-artifacts-subdir", metavar="NAME",
                         help="where a store's layout lives under its path (default artifacts)")
    runtime.add_argument("--bound", type=_positive, default=None, metavar="SECONDS",
                         help=f"deadline of one look-up call (default {DEFAULT_BOUND_S:g}): a size whose call takes "
                         "longer is reported as 'over SECONDS s', and larger sizes of that series are not attempted")
    parser.set_defaults(handler=_bench)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _sut_options(args: argparse.Namespace):
    """The system under test as ``run`` would build it (None without --sut); a usage error as ValueError."""
    from artifact_conformance.fixtures.adapters.cri_settings import CriSettingsError
    from artifact_conformance.fixtures.adapters.interface import SutOptions
    from artifact_conformance.fixtures.adapters.selection import create_sut, parse_settings

    given = {key: str(getattr(args, dest)) for dest, key in CRI_SETTINGS.items() if getattr(args, dest) is not None}
    if not args.sut:
        if given or args.sut_option or args.bound is not None:
            raise ValueError("--cri-*, --crio-binary, --sut-option and --bound describe a system under test: give --sut")
        return None
    if args.sut == "crio" and "cri_launch" in given:
        raise ValueError("--sut crio starts CRI-O itself (--crio-binary); --cri-launch is for --sut cri")
    if args.sut != "crio" and "crio_binary" in given:
        raise ValueError("--crio-binary applies to --sut crio")
    settings = {**parse_settings(args.sut_option), **given}
    options = SutOptions(name=args.sut, settings=settings)
    try:
        create_sut(options)
    except (CriSettingsError, LookupError, ImportError, TypeError) as error:
        raise ValueError(f"--sut {args.sut}: {error}") from None
    return options


def _bench(args: argparse.Namespace) -> int:
    from rich.console import Console

    from artifact_conformance.bench.report import render, write_companions, write_json
    from artifact_conformance.bench.run import BenchOptions, failed_sections, run_bench

    try:
        sut = _sut_options(args)
    except ValueError as error:
        print(f"artifact-conformance: error: {error}", file=sys.stderr)
        return 2
    options = BenchOptions(
        quick=args.quick,
        only=tuple(args.only or (("runtimes",) if sut else DEFAULT_SECTIONS)),
        scratch_parent=args.scratch,
        registry_url=args.registry_url,
        registry_image=args.registry_image,
        registry_provider=args.registry_provider,
        sut=sut,
        bound_s=args.bound,
    )
    progress = Console(stderr=True, highlight=False, log_path=False)
    document = run_bench(options, progress=lambda message: progress.log(message))
    render(document, Console(highlight=False, soft_wrap=False, width=max(Console().width, 160)))
    if args.json:
        write_json(document, args.json)
        progress.print(f"wrote {args.json}")
        for kind, path in write_companions(document, args.json).items():
            progress.print(f"{'wrote' if kind != 'plot_missing' else 'no plot:'} {path}")
    failed = failed_sections(document)
    if failed:
        print(f"artifact-conformance: error: section(s) not measured: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
