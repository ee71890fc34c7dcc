"""``artifact-conformance run``: run the packaged conformance suite and judge it.

    artifact-conformance run [--sut NAME --sut-option K=V ... | --cri-endpoint ...]
        [--profile required|full|observe] [--tags EXPR] [-k EXPR] [-n N] [--node-name NAME]
        [--junit FILE] [--json FILE] [--results FILE] [--html FILE]
        [--expect FILE] [--strict] [-- PYTEST_ARGS...]

The suite runs in a pytest subprocess over the feature files installed with
the package (so it works the same from a checkout and from a wheel): the
rootdir and conftest search are pinned to the package's ``features``
directory and every plugin is loaded with ``-p``, so whatever conftest.py or
pytest configuration the current directory has is not consulted. pytest's
own output goes to a log (``--pytest-log``); the plugin ``run_progress``
reports each scenario back over a pipe for the progress display. At the
end the recorded results are judged (``reporting.verdict``), the reports are
written atomically, and a summary is printed.

``run`` parses only its own options. Every other option (those of the
suite's pytest plugins: the system under test, the CRI adapter, the registry;
and, after ``--``, pytest's own) is handed to pytest as it was typed, and
pytest says whether it knows it; ``run --help`` lists the suite's from their
declarations (fixtures/options.py). The parsed options become one ``RunConfig``,
built once; the rest of this module reads only that.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifact_conformance.fixtures.options import NODE_NAME
from artifact_conformance.fixtures.plugins.options_listing import text_listing

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BROKEN = 3
EXIT_NOTHING_SELECTED = 5
PYTEST_USAGE_ERROR = 4
PYTEST_NO_TESTS = 5
PYTEST_INTERRUPTED = 2
PLUGINS_MODULE = "artifact_conformance.fixtures.plugins.suite"
# Options of the suite's own plugins that ``run`` sets itself: given to run, they are refused
# (naming run's own option instead); after "--" they go to pytest like any other.
SET_BY_RUN = {
    "--results-json": "--results", "--results-cucumber": "--json", "--results-html": "--html",
    "--observe-only": "--profile observe", "--progress-fd": None,
}
LOG_TAIL_LINES = 40
REPORTS = ("junit", "json", "results", "html")

EPILOG = f"""\
options of the suite (passed to pytest as given; pytest's own go after "--"):
{text_listing({name: f"run sets it{f': use {instead}' if instead else ''}" for name, instead in SET_BY_RUN.items()})}

exit status:
  0  every selected @required scenario passed or was not applicable (with --strict: the
     @optional ones too); with --expect: every outcome was the one the file expects
  1  a required scenario failed or errored (or, with --expect, an unexpected outcome:
     a new failure, or an expected failure that passed)
  2  usage error (an option, the expectations file, the system under test's settings)
  3  the run itself broke (a prerequisite of the system under test is missing, pytest
     crashed, was interrupted, or wrote no results)
  5  no scenario matched the selection (--profile, --tags, -k)

Options after "--" go to pytest unchanged, e.g. -- -x --maxfail 3.
"""


COMMAND = "run"
PROFILES = ("required", "full", "observe")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run the conformance suite against a system under test and report",
        description="Run the conformance scenarios installed with this package against a system under test, "
        "judge the outcomes and write reports.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] [SUITE OPTIONS] [-- PYTEST_ARGS]",
    )
    select = parser.add_argument_group("selection")
    select.add_argument("--profile", choices=PROFILES, default="full",
                        help="required: only @required scenarios; full (default): @optional too; observe: only "
                        "the scenarios that leave a node untouched (list, status, pinning, pulls and removals of "
                        "the suite's own artifacts) and never write the runtime's read-only store paths")
    select.add_argument("--tags", metavar="EXPR", default=None,
                        help="a tag expression (pytest -m), e.g. 'resolution or listing', 'not pinning'")
    select.add_argument("-k", dest="keyword", metavar="EXPR", default=None,
                        help="select scenarios by test-name substring expression (pytest -k)")
    select.add_argument("-n", dest="workers", metavar="N", default=None,
                        help="run scenarios in N worker processes (pytest-xdist; 'auto' for one per CPU)")
    judging = parser.add_argument_group("judging")
    judging.add_argument("--strict", action="store_true", help="optional failures fail the run too")
    judging.add_argument("--expect", metavar="FILE|NAME", default=None,
                         help="expected outcomes (TOML), or the name of one shipped with the suite (cri-o: "
                         "docs/expectations/cri-o.toml): the exit status then reflects only unexpected ones")
    reports = parser.add_argument_group("reports (each written atomically)")
    reports.add_argument("--junit", metavar="FILE", help="JUnit XML (one testcase per scenario)")
    reports.add_argument("--json", metavar="FILE", help="Cucumber JSON")
    reports.add_argument("--results", metavar="FILE",
                         help="the results document: every scenario, its steps and registry requests, the verdict")
    reports.add_argument("--html", metavar="FILE", help="a self-contained HTML report")
    reports.add_argument("--node-name", metavar="NAME", default=None,
                         help=f"the node this run checks, recorded in the results and reports (default: env "
                         f"{NODE_NAME.name}, set from the downward API in a pod; else the host name)")
    reports.add_argument("--pytest-log", metavar="FILE", help="keep pytest's own output in FILE")
    reports.add_argument("--progress", choices=("auto", "rich", "plain", "none"), default="auto",
                         help="auto (default): a progress bar on a terminal, plain lines in CI (no TTY or CI=true)")
    # Options run does not know are handed to the handler (cli.parse_arguments) for pytest.
    parser.set_defaults(handler=lambda args: run(args, parser), passes_unknown_options=True)


# --- the run's configuration ---------------------------------------------------------------
@dataclass(frozen=True)
class RunConfig:
    """Everything ``run`` was asked for, built once from the command line."""

    profile: str = "full"
    tags: str | None = None
    keyword: str | None = None
    workers: str | None = None
    strict: bool = False
    expect: str | None = None
    reports: Mapping[str, Path] = field(default_factory=dict)  # junit, json, results, html: absolute paths
    node_name: str | None = None
    pytest_log: Path | None = None
    progress: str = "auto"
    suite_options: tuple[str, ...] = ()  # the suite plugins' options, as typed
    pytest_args: tuple[str, ...] = ()    # after "--"

    @classmethod
    def from_arguments(cls, args: argparse.Namespace, unknown: Sequence[str] = ()) -> RunConfig:
        """From run's parsed options and the ones it left for pytest (``--`` separates pytest's own)."""
        unknown = list(unknown)
        cut = unknown.index("--") if "--" in unknown else len(unknown)
        return cls(
            profile=args.profile, tags=args.tags, keyword=args.keyword, workers=args.workers,
            strict=args.strict, expect=args.expect,
            reports={name: Path(value).absolute() for name in REPORTS if (value := getattr(args, name))},
            node_name=args.node_name,
            pytest_log=Path(args.pytest_log).absolute() if args.pytest_log else None,
            progress=args.progress,
            suite_options=tuple(unknown[:cut]), pytest_args=tuple(unknown[cut + 1:]),
        )

    def refused_option(self) -> str | None:
        """A usage error when a suite option run sets itself was given to run."""
        for word in self.suite_options:
            name = word.split("=", 1)[0]
            if name in SET_BY_RUN:
                instead = SET_BY_RUN[name]
                return f"{name} is set by run itself" + (f"; use {instead}" if instead else "")
        return None

    @property
    def markexpr(self) -> str | None:
        parts = []
        if self.profile == "required":
            parts.append("required")
        if self.tags:
            parts.append(self.tags)
        if len(parts) == 2:
            return f"({parts[0]}) and ({parts[1]})"
        return parts[0] if parts else None

    def selection_args(self) -> list[str]:
        """The pytest options that select the scenarios."""
        words: list[str] = []
        if self.markexpr:
            words += ["-m", self.markexpr]
        if self.profile == "observe":
            words.append("--observe-only")
        if self.keyword:
            words += ["-k", self.keyword]
        if self.workers is not None:
            words += ["-n", str(self.workers)]
        return words

    def describe_selection(self) -> str:
        parts = [f"--profile {self.profile}"]
        if self.tags:
            parts.append(f"--tags {shlex.quote(self.tags)}")
        if self.keyword:
            parts.append(f"-k {shlex.quote(self.keyword)}")
        return " ".join(parts)

    def user_arguments(self) -> list[str]:
        """The run's selection and system-under-test options, as a person would type them (for the report)."""
        from artifact_conformance.reporting.redaction import redact

        words = ["run", f"--profile={self.profile}"]
        for flag, value in (("--tags", self.tags), ("-k", self.keyword), ("-n", self.workers), ("--expect", self.expect)):
            if value is not None:
                words += [flag, str(value)]
        if self.strict:
            words.append("--strict")
        words += self.suite_options
        if self.pytest_args:
            words += ["--", *self.pytest_args]
        return redact(words)


# --- running ------------------------------------------------------------------------------
def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    config = RunConfig.from_arguments(args, getattr(args, "unknown_options", ()))
    refused = config.refused_option()
    if refused:
        parser.error(refused)
    if config.workers is not None:
        try:
            import xdist  # noqa: F401
        except ImportError:
            parser.error("-n needs pytest-xdist: pip install pytest-xdist")
    return run_suite(config)


def run_suite(config: RunConfig) -> int:
    from artifact_conformance.reporting.console import make_console, make_progress
    from artifact_conformance.reporting.expectations_file import ExpectationsError, load_expectations
    from artifact_conformance.reporting.feature_files import features_dir

    expectations = None
    if config.expect:
        try:
            expectations = load_expectations(config.expect)
        except ExpectationsError as error:
            print(f"artifact-conformance run: error: {error}", file=sys.stderr)
            return EXIT_USAGE
    directory = features_dir()
    console = make_console()
    targets = config.reports
    for path in targets.values():
        path.parent.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="artifact-conformance-run-") as workdir:
        work = Path(workdir)
        ini = work / "pytest.ini"
        ini.write_text("[pytest]\njunit_suite_name = artifact-conformance\njunit_family = xunit2\n", encoding="utf-8")
        results = work / "results.json"
        command = [
            sys.executable, "-m", "pytest", str(directory),
            "-c", str(ini), "--rootdir", str(directory), "--confcutdir", str(directory),
            "-p", "no:cacheprovider", "-p", PLUGINS_MODULE, "--strict-markers", "-rfE",
            f"--results-json={results}",
            *config.selection_args(),
        ]
        if "json" in targets:
            command.append(f"--results-cucumber={targets['json']}")
        junit_tmp = None
        if "junit" in targets:
            junit_tmp = _reserve_temp(targets["junit"])
            command.append(f"--junitxml={junit_tmp}")
        command += [*config.suite_options, *config.pytest_args]
        log_path = config.pytest_log or work / "pytest.log"
        try:
            status = _run_pytest(command, log_path, make_progress(config.progress, console))
        except KeyboardInterrupt:
            _discard(junit_tmp)
            print("artifact-conformance run: interrupted", file=sys.stderr)
            return 130
        if status == PYTEST_USAGE_ERROR:
            _discard(junit_tmp)
            _print_log_tail(log_path, "pytest refused the options")
            return EXIT_USAGE
        if status == PYTEST_NO_TESTS:
            _discard(junit_tmp)
            print(f"artifact-conformance run: no scenario matches the selection ({config.describe_selection()})",
                  file=sys.stderr)
            return EXIT_NOTHING_SELECTED
        # Interrupted by the suite itself (a runtime configured outside it stopped
        # answering): what ran is judged and reported, and the run still fails.
        stopped_early = status == PYTEST_INTERRUPTED and results.exists()
        if (status not in (0, 1) and not stopped_early) or not results.exists():
            _discard(junit_tmp)
            _print_log_tail(log_path, f"the run broke (pytest exit status {status})")
            return EXIT_BROKEN
        document = json.loads(results.read_text(encoding="utf-8"))
        code = _judge_and_report(document, config, junit_tmp, expectations, console, log_path)
        if stopped_early:
            print("artifact-conformance run: the run stopped before every selected scenario ran (see the first "
                  "error above); the reports hold the scenarios that ran", file=sys.stderr)
            return EXIT_BROKEN
        return code


def _judge_and_report(document: dict[str, Any], config: RunConfig, junit_tmp: Path | None, expectations,
                      console, log_path: Path) -> int:
    from artifact_conformance.reporting.atomic_write import write_atomically
    from artifact_conformance.reporting.console import print_summary
    from artifact_conformance.reporting.html_report import render_report
    from artifact_conformance.reporting.model import features_from_results
    from artifact_conformance.reporting.verdict import judge

    targets = config.reports
    verdict = judge(document, expectations, strict=config.strict)
    document.setdefault("run", {})["node"] = node_identity(config.node_name)
    document["conformance"] = {**verdict.to_json(), "profile": config.profile, "tags": config.tags,
                               "keyword": config.keyword, "arguments": config.user_arguments()}
    written: list[tuple[str, str]] = []
    if junit_tmp is not None:
        os.chmod(junit_tmp, 0o644)
        os.replace(junit_tmp, targets["junit"])
        written.append(("JUnit XML", str(targets["junit"])))
    if "json" in targets:
        written.append(("Cucumber JSON", str(targets["json"])))
    if "results" in targets:
        write_atomically(targets["results"], json.dumps(document, indent=2) + "\n")
        written.append(("results", str(targets["results"])))
    features = features_from_results(document)
    if "html" in targets:
        write_atomically(targets["html"], render_report(document, features))
        written.append(("HTML report", str(targets["html"])))
    if config.pytest_log:
        written.append(("pytest log", str(log_path)))
    print_summary(console, features, verdict, written)
    return verdict.exit_code


def node_identity(given: str | None) -> dict[str, str]:
    """The node's name and where it came from: --node-name, env NODE_NAME, or the host name."""
    import socket

    if given:
        return {"name": given, "source": "--node-name"}
    if NODE_NAME.value():
        return {"name": NODE_NAME.value(), "source": f"env {NODE_NAME.name}"}
    return {"name": socket.gethostname(), "source": "host name"}


def _child_env() -> dict[str, str]:
    # Variables that describe a pytest the caller may be running inside, not the suite's own.
    return {k: v for k, v in os.environ.items()
            if not k.startswith("PYTEST_XDIST") and k not in ("PYTEST_CURRENT_TEST",)}


def _run_pytest(command: list[str], log_path: Path, progress) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    read_fd, write_fd = os.pipe()
    command = [*command, f"--progress-fd={write_fd}"]
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + shlex.join(command) + "\n")
        log.flush()
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                       pass_fds=(write_fd,), env=_child_env())
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        with os.fdopen(read_fd, "r", encoding="utf-8") as events, progress, _forward_interrupt(process):
            for line in events:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "collected":
                    progress.collected(int(event.get("count") or 0))
                elif event.get("event") == "scenario":
                    progress.scenario(event)
            return process.wait()


@contextmanager
def _forward_interrupt(process: subprocess.Popen) -> Iterator[None]:
    """On Ctrl-C, give pytest a moment to stop its workers, then make sure it is gone."""
    try:
        yield
    except KeyboardInterrupt:
        try:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


def _reserve_temp(target: Path) -> Path:
    """A temporary name next to ``target``, so the final rename is atomic."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    return Path(name)


def _discard(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _print_log_tail(log_path: Path, what: str) -> None:
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    print(f"artifact-conformance run: {what}; the end of pytest's output:", file=sys.stderr)
    for line in lines[-LOG_TAIL_LINES:]:
        print(f"  {line}", file=sys.stderr)
