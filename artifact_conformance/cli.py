"""The ``artifact-conformance`` command.

This module only builds the top-level parser, runs the chosen subcommand and
turns the store's errors and warnings into stderr lines. Each subcommand lives
in its own module that exposes ``register(subparsers)``; registering adds a
parser whose defaults carry ``handler``: a callable ``handler(args) -> int``.
A new subcommand (``run``, ``serve-cri``, ``docs``, ...) is one new module and
one line in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from artifact_conformance import __version__
from artifact_conformance.simulator.errors import ArtifactStoreError, chain_text

PROG = "artifact-conformance"
COMMAND_MODULES = (
    "artifact_conformance.store_command",
    "artifact_conformance.serve_cri_command",
    "artifact_conformance.run_command",
    "artifact_conformance.docs_command",
    "artifact_conformance.diff_command",
    "artifact_conformance.merge_command",
    "artifact_conformance.bench_command",
)
# Everything the package logs lives under this logger.
LOGGER = "artifact_conformance"
# oras-py logs its own complaints (e.g. "This endpoint requires a token") next to the
# error the store raises about the same failure; they are shown only with --verbose.
QUIET_UNLESS_VERBOSE = ("oras",)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Conformance suite and reference simulator for read-only OCI artifact stores.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the simulator does to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def parse_arguments(argv: Sequence[str], parser: argparse.ArgumentParser | None = None) -> argparse.Namespace:
    """The parsed command line. A subcommand whose defaults say ``passes_unknown_options``
    (``run``: they are pytest's) gets the options it does not know as ``unknown_options``,
    in the order given; any other refuses them, as argparse does."""
    parser = parser or build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "passes_unknown_options", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.unknown_options = unknown
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_arguments(argv)
    except SystemExit as exit_:  # usage errors (2) and --help/--version (0), as argparse decides
        return exit_.code if isinstance(exit_.code, int) else 2
    handler = _StderrWarnings(verbose=args.verbose)
    routes = [(logging.getLogger(LOGGER), handler, logging.DEBUG if args.verbose else logging.WARNING)]
    for name in QUIET_UNLESS_VERBOSE:
        routes.append((logging.getLogger(name), handler if args.verbose else logging.NullHandler(), logging.DEBUG))
    previous = [(logger, logger.level, logger.propagate) for logger, _, _ in routes]
    for logger, target, level in routes:
        logger.addHandler(target)
        logger.setLevel(level)
        logger.propagate = False  # our handler is the only place messages go
    try:
        return args.handler(args)
    except SystemExit as exit_:  # a handler's own usage error (parser.error)
        return exit_.code if isinstance(exit_.code, int) else 2
    except (ArtifactStoreError, OSError) as error:
        logging.getLogger(LOGGER).debug("error chain: %s", chain_text(error))
        print(f"{PROG}: error: {_one_line(_plain(error))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    finally:
        for (logger, target, _), (_, level, propagate) in zip(routes, previous):
            logger.removeHandler(target)
            logger.setLevel(level)
            logger.propagate = propagate


def _plain(error: BaseException) -> BaseException | str:
    """An operating system error in words ("cannot write /x: Permission denied"),
    not Python's "[Errno 13] Permission denied: '/x'"; other errors say it themselves."""
    if isinstance(error, OSError) and not isinstance(error, ArtifactStoreError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    return error


def _one_line(error: BaseException | str) -> str:
    text = str(error) or type(error).__name__
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class _StderrWarnings(logging.Handler):
    """Each distinct warning once, as ``warning: <message>``, when it happens.

    The same message can reach the log twice (a layout reader reports a damaged
    entry, and the store repeats it in its warning log); a user reads it once.
    """

    def __init__(self, verbose: bool):
        super().__init__(level=logging.DEBUG if verbose else logging.WARNING)
        self.verbose = verbose
        self._seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = _one_line(Exception(record.getMessage()))
        except Exception:  # noqa: BLE001 - a malformed log call must not break the command
            self.handleError(record)
            return
        if record.levelno >= logging.ERROR:
            prefix = "error"
        elif record.levelno >= logging.WARNING:
            prefix = "warning"
        else:
            prefix = record.levelname.lower()
        if record.levelno >= logging.WARNING:
            if message in self._seen:
                return
            self._seen.add(message)
        if self.verbose and record.levelno < logging.WARNING:
            message = f"{record.name}: {message}"
        print(f"{prefix}: {message}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
