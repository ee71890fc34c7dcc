"""``artifact-conformance serve-cri``: the reference store as a CRI v1 ImageService.

    artifact-conformance serve-cri --listen unix:///run/ref.sock --config crio.toml
    artifact-conformance serve-cri --listen tcp://127.0.0.1:0 --config crio.toml

Serves until SIGTERM or SIGINT, then stops taking calls, gives running ones a
grace period, removes the unix socket and exits 0. When it is ready it writes
one line to stderr: ``serving CRI ImageService on ADDRESS`` (with the real
port for ``tcp://HOST:0``). A configuration the store refuses is one
``artifact-conformance: error: ...`` line and exit status 1, as CRI-O refuses
to start. Warnings (a store skipped, an entry hidden) go to stderr as
``warning: ...`` lines, each once.

Every call is one line on stderr, with or without ``-v``, when it ends::

    2026-12-01T12:00:00.123Z PullImage image=127.0.0.1:5000/models/llm:v1 outcome=pulled digest=sha256:... store=/var/lib/x/artifacts ms=42

``-v`` adds the store's own debug lines, and for a failed call the whole
exception chain behind its (plain) message.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

# grpc and the store are imported by the handler: other subcommands need neither.
# The defaults of --grace and --workers are CriServer's own (None: not given).

READY_LINE = "serving CRI ImageService on {address}"
CALL_LINE_FORMAT = "%(asctime)s.%(msecs)03dZ %(message)s"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve-cri", help="serve the reference store as a CRI v1 ImageService (gRPC) until SIGTERM",
        description="Serve the reference artifact store over CRI v1 (ImageService; RuntimeService's Version, "
        "Status, ListContainers and ListPodSandbox) on a unix socket or TCP port, configured by a CRI-O style TOML file.",
    )
    parser.add_argument("--listen", required=True, metavar="ADDRESS",
                        help="unix:///ABSOLUTE/PATH or tcp://HOST:PORT (port 0 picks a free port)")
    parser.add_argument("--config", required=True, metavar="FILE",
                        help="CRI-O style TOML configuration ([crio] root, [crio.runtime] "
                        "additional_artifact_stores, [crio.image] pinned_images, insecure_registries)")
    parser.add_argument("--store-class", default=None, metavar="MODULE:CLASS",
                        help="serve this ArtifactStore subclass instead of the reference store (e.g. a "
                        "deliberately broken one, tests.broken_stores:MainStoreFirst, to see the suite fail a node)")
    parser.add_argument("--grace", type=float, default=None, metavar="SECONDS",
                        help="how long running calls may finish after SIGTERM (default 5)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="calls served at once (default 8)")
    parser.set_defaults(handler=lambda args: _serve(args, parser))


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from artifact_conformance.simulator.config import StoreConfig
    from artifact_conformance.simulator.cri_server import CriServer, ListenAddress
    from artifact_conformance.simulator.store import ArtifactStore

    try:
        listen = ListenAddress.parse(args.listen)
    except ValueError as error:
        parser.error(str(error))
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    store_class = ArtifactStore
    if args.store_class:  # the harness's loader (and pytest, which it imports) only when asked for
        from artifact_conformance.fixtures.adapters.reference import load_store_class

        try:
            store_class = load_store_class(args.store_class)
        except (ImportError, AttributeError, TypeError, ValueError) as error:
            parser.error(f"--store-class {args.store_class}: {error}")
    # Signals first: a SIGTERM that arrives while the store opens still stops us cleanly.
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    call_log = _route_call_log()
    try:
        store = store_class(StoreConfig.from_toml(args.config))  # ConfigError: one line, exit 1 (cli)
        server = CriServer(store, listen, **({"workers": args.workers} if args.workers else {}))
        address = server.start()
        try:
            print(READY_LINE.format(address=address), file=sys.stderr, flush=True)
            while not stop.wait(3600):
                pass
        finally:
            server.stop(*([args.grace] if args.grace is not None else []))
    finally:
        call_log()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _route_call_log():
    """Send the per-call lines to stderr at INFO, whatever the package's log level;
    return the function that undoes it."""
    import time

    from artifact_conformance.simulator.cri_call_log import CALL_LOGGER

    logger = logging.getLogger(CALL_LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter(CALL_LINE_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
    return undo
