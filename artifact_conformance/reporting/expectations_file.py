"""Expected outcomes: what a runtime is known to do, written down.

A release pipeline of a runtime that does not pass everything yet lists its
known failures, with a reason and a link, and gates on *changes*: a new
failure fails the run, and so does an expected failure that now passes (the
file must then be updated, so it stays honest). TOML (YAML too when PyYAML is
installed)::

    [[expected]]
    scenario = "features/resolution.feature: A name without a tag means \\":latest\\""
    outcome = "failed"                       # or a list: ["failed", "error"]
    reason = "tags are resolved in the main store first"
    seen = "what the runtime did, and how it was seen (optional)"
    link = "https://github.com/cri-o/cri-o/issues/1"

    [[expected]]
    scenario = "pinning.feature: Garbage collection spares read-only, pinned and in-use artifacts"
    reason = "RemoveImage by ID answers OK and removes nothing"
    checks = ["the list does not show artifact B"]           # the steps that fail (as written, no keyword)
    # or with a message pattern each (a regular expression searched in the step's failure message):
    # checks = [{step = "the list does not show artifact B", message = "still listed"}]

    [[expected]]
    tag = "optional"                         # every scenario with this tag
    outcome = ["passed", "failed"]
    reason = "optional behaviour is tracked, not gated"

Entries that share a root cause name it (``cause = "id"``), and the cause is
described once, so that a maintainer reads the causes rather than rediscovering
them scenario by scenario; reports list them worst harm first (``HARMS``)::

    [[cause]]
    id = "remove-by-id"
    title = "RemoveImage by a 64-hex ID returns before the artifact store is asked"
    harm = "gc"                              # crash-or-hang, gc, hidden, read-only-written, hostile-input
    functions = ["server/image_remove.go: (*Server).removeImage"]
    reproduction = "crictl pull ...; crictl rmi <ID>; crictl images   # still listed"

A selector is one of ``nodeid`` (the pytest node id; its directory part is
ignored, so checkout and installed runs match), ``scenario`` (the scenario's
name, optionally prefixed with its feature file and ": "; ``feature`` may
name the file or the feature instead), or ``tag``. When several entries
match a scenario, the most specific wins: nodeid, then scenario, then tag.
``outcome`` defaults to ``failed``.

``checks`` pins *why* a scenario fails: every check (Then step) is judged
even after one failed (``steps/checks.py``), and a scenario matched by an
entry with ``checks`` is expected only when exactly those checks fail, each
with a message its pattern finds. Another check failing too, or one failing
with another message, is an unexpected failure: a known divergence must not
hide a new one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifact_conformance.reporting.vocabulary import OUTCOMES

TABLE_NAMES = ("expected", "expect", "expectations")
CAUSE_TABLE = "cause"
CAUSE_KEYS = {"id", "title", "harm", "functions", "reproduction", "link"}
#: What a cause does to a node, worst first: a maintainer fixes in this order.
HARMS = {
    "crash-or-hang": "the runtime crashes or hangs",
    "gc": "garbage collection frees nothing, or what it must not",
    "hidden": "artifacts hidden or unreachable",
    "read-only-written": "read-only media written",
    "hostile-input": "strictness about hostile input",
}
SELECTORS = ("nodeid", "scenario", "tag")
KEYS = {*SELECTORS, "feature", "outcome", "outcomes", "reason", "seen", "link", "when", "checks", "cause"}
# ``when`` narrows an entry to runs whose runtime the suite configured (launch
# mode) or not (a runtime configured outside the suite): some behaviour differs,
# e.g. what a runtime does with a store that is bad at start-up or goes bad later.
WHEN = {"configured by the suite": True, "configured outside the suite": False}


class ExpectationsError(ValueError):
    """The expectations file cannot be used; the message names the file and entry."""


@dataclass(frozen=True)
class Cause:
    """One root cause in the runtime, shared by the scenarios it fails: the runtime's
    functions that make it, a reproduction a maintainer can paste, and its harm."""

    id: str
    title: str
    harm: str  # a key of HARMS
    functions: tuple[str, ...]
    reproduction: str
    link: str | None = None

    @property
    def rank(self) -> int:
        return list(HARMS).index(self.harm)

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.id, "title": self.title, "harm": self.harm, "harm_text": HARMS[self.harm],
                "rank": self.rank, "functions": list(self.functions), "reproduction": self.reproduction}
        if self.link:
            data["link"] = self.link
        return data


@dataclass(frozen=True)
class ExpectedCheck:
    """A check (Then step, as written without its keyword) expected to fail, and
    optionally a pattern its failure message must contain (``re.search``)."""

    step: str
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, **({"message": self.message} if self.message else {})}


@dataclass(frozen=True)
class Expectation:
    index: int
    outcomes: tuple[str, ...]
    reason: str
    link: str | None = None
    seen: str | None = None  # what the runtime did, and how it was seen
    when: str | None = None  # a key of WHEN
    nodeid: str | None = None
    scenario: str | None = None
    feature: str | None = None
    tag: str | None = None
    checks: tuple[ExpectedCheck, ...] = ()
    cause: Cause | None = None

    @property
    def specificity(self) -> int:
        return (3 if self.nodeid else 2 if self.scenario else 1) * 2 + (self.when is not None)

    def describe(self) -> str:
        when = f" ({self.when})" if self.when else ""
        if self.nodeid:
            return f"nodeid {self.nodeid}{when}"
        if self.scenario:
            return f"scenario {self.feature + ': ' if self.feature else ''}{self.scenario}{when}"
        return f"tag @{self.tag}{when}"

    def matches(self, record: Mapping[str, Any]) -> bool:
        if self.when is not None:
            configured = "configure" in ((record.get("sut") or {}).get("capabilities") or [])
            if configured != WHEN[self.when]:
                return False
        if self.nodeid:
            return _node_tail(record.get("nodeid") or "") == _node_tail(self.nodeid)
        if self.scenario:
            if _words(record.get("scenario") or "") != _words(self.scenario):
                return False
            if self.feature:
                feature = record.get("feature") or {}
                names = {_basename(feature.get("file") or ""), _words(feature.get("name") or "")}
                return _basename(self.feature) in names or _words(self.feature) in names
            return True
        return self.tag in (record.get("tags") or [])

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"selector": self.describe(), "outcomes": list(self.outcomes), "reason": self.reason}
        if self.seen:
            data["seen"] = self.seen
        if self.link:
            data["link"] = self.link
        if self.checks:
            data["checks"] = [c.to_json() for c in self.checks]
        if self.cause:
            data["cause"] = {"id": self.cause.id, "title": self.cause.title, "harm": self.cause.harm}
        return data

    def check_mismatch(self, record: Mapping[str, Any]) -> str | None:
        """For a failed scenario: how its failing checks differ from ``checks`` (None: they
        agree, or the entry names none)."""
        if not self.checks:
            return None
        steps = record.get("steps") or []
        failed = {_words(s.get("text") or ""): s.get("message") or "" for s in steps
                  if s.get("outcome") in ("failed", "undefined")}
        passed = {_words(s.get("text") or "") for s in steps if s.get("outcome") == "passed"}
        wanted = {_words(c.step): c for c in self.checks}
        problems = []
        # A check that was not applicable in this run, or did not run, is not judged: only one that passed
        # where it was expected to fail is a difference.
        missing, extra = sorted(set(wanted) & passed), sorted(set(failed) - set(wanted))
        if extra:
            problems.append("also failed: " + "; ".join(f"{step!r} ({_first_line(failed[step])})" for step in extra))
        if missing:
            problems.append("did not fail: " + "; ".join(repr(step) for step in missing))
        for step, check in wanted.items():
            if step in failed and check.message and not re.search(check.message, failed[step]):
                problems.append(f"{step!r} failed with {_first_line(failed[step])!r}, not a message matching "
                                f"{check.message!r}")
        if not problems:
            return None
        expected = "; ".join(repr(c.step) for c in self.checks)
        return f"expected exactly these checks to fail: {expected}. " + ". ".join(problems)


@dataclass
class Expectations:
    source: str
    entries: list[Expectation] = field(default_factory=list)
    causes: dict[str, Cause] = field(default_factory=dict)

    def by_cause(self) -> list[tuple[Cause | None, list[Expectation]]]:
        """The entries grouped by cause, worst harm first (then in the file's order); those
        without a cause last."""
        groups: dict[str | None, list[Expectation]] = {}
        for entry in self.entries:
            groups.setdefault(entry.cause.id if entry.cause else None, []).append(entry)
        order = sorted(self.causes.values(), key=lambda c: (c.rank, list(self.causes).index(c.id)))
        ranked: list[tuple[Cause | None, list[Expectation]]] = [(c, groups[c.id]) for c in order if c.id in groups]
        if None in groups:
            ranked.append((None, groups[None]))
        return ranked

    def alternatives(self, record: Mapping[str, Any]) -> list[Expectation]:
        """The most specific entries for ``record``, in file order: more than one when a runtime is
        known to fail the scenario in more than one way (a race inside it), one entry per way."""
        matching = [e for e in self.entries if e.matches(record)]
        if not matching:
            return []
        top = max(e.specificity for e in matching)
        return [e for e in matching if e.specificity == top]

    def for_record(self, record: Mapping[str, Any]) -> Expectation | None:
        """The entry that judges ``record``: of its alternatives, the first whose checks agree with
        the record's failing checks, else the first (which then reports the mismatch)."""
        alternatives = self.alternatives(record)
        if not alternatives:
            return None
        return next((e for e in alternatives if e.check_mismatch(record) is None), alternatives[0])


def packaged_expectations() -> dict[str, Path]:
    """The expectations files shipped with the suite (docs/expectations/NAME.toml), by NAME."""
    from importlib import resources

    try:
        folder = resources.files("artifact_conformance.docs") / "expectations"
    except ModuleNotFoundError:
        return {}
    if not folder.is_dir():
        return {}
    return {Path(entry.name).stem: Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".toml")}


def resolve_expectations(name_or_path: str | Path) -> Path:
    """A file path, or the NAME of a packaged expectations file (``cri-o``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix or "/" in str(name_or_path):
        return path
    packaged = packaged_expectations()
    if str(name_or_path) in packaged:
        return packaged[str(name_or_path)]
    raise ExpectationsError(f"{name_or_path}: no such expectations file, and no packaged one of that name "
                            f"(packaged: {', '.join(sorted(packaged)) or 'none'})")


def load_expectations(path: str | Path) -> Expectations:
    path = resolve_expectations(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ExpectationsError(f"{path}: cannot read the expectations file: {error.strerror or error}") from None
    data = _parse(path, text)
    causes = _causes(path, data.pop(CAUSE_TABLE, []))
    tables = [name for name in TABLE_NAMES if name in data]
    if len(tables) != 1:
        raise ExpectationsError(f"{path}: expected one list of entries named [[expected]], found "
                                f"{', '.join(repr(k) for k in data) or 'nothing'}")
    raw = data[tables[0]]
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise ExpectationsError(f"{path}: [[{tables[0]}]] must be a list of tables")
    entries = [_entry(path, i, e, causes) for i, e in enumerate(raw)]
    unused = sorted(set(causes) - {e.cause.id for e in entries if e.cause})
    if unused:
        raise ExpectationsError(f"{path}: cause(s) {', '.join(unused)} explain no entry")
    return Expectations(source=str(path), entries=entries, causes=causes)


def _causes(path: Path, raw: Any) -> dict[str, Cause]:
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise ExpectationsError(f"{path}: [[{CAUSE_TABLE}]] must be a list of tables")
    causes: dict[str, Cause] = {}
    for index, item in enumerate(raw):
        where = f"{path}: cause {index + 1}"
        unknown = sorted(set(item) - CAUSE_KEYS)
        if unknown:
            raise ExpectationsError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(CAUSE_KEYS))}")
        missing = [k for k in ("id", "title", "harm", "functions", "reproduction") if not item.get(k)]
        if missing:
            raise ExpectationsError(f"{where} ({item.get('id', '?')}): give {', '.join(missing)}")
        if item["harm"] not in HARMS:
            raise ExpectationsError(f"{where} ({item['id']}): harm {item['harm']!r} is not one of {', '.join(HARMS)}")
        if item["id"] in causes:
            raise ExpectationsError(f"{where}: a second cause with id {item['id']!r}")
        functions = item["functions"]
        if isinstance(functions, str) or not all(isinstance(f, str) for f in functions):
            raise ExpectationsError(f"{where} ({item['id']}): 'functions' is a list of strings")
        causes[item["id"]] = Cause(item["id"], str(item["title"]).strip(), item["harm"], tuple(functions),
                                   str(item["reproduction"]).strip(), str(item["link"]) if item.get("link") else None)
    return causes


def _parse(path: Path, text: str) -> dict[str, Any]:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise ExpectationsError(f"{path}: a YAML expectations file needs PyYAML; write it as TOML instead") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise ExpectationsError(f"{path}: not valid YAML: {error}") from None
        if isinstance(data, list):
            data = {"expected": data}
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ExpectationsError(f"{path}: not valid TOML: {error}") from None
    if not isinstance(data, dict):
        raise ExpectationsError(f"{path}: expected a table of entries")
    return data


def _entry(path: Path, index: int, raw: dict[str, Any], causes: Mapping[str, Cause]) -> Expectation:
    where = f"{path}: entry {index + 1}"
    if raw.get("cause") is not None and raw["cause"] not in causes:
        raise ExpectationsError(f"{where}: cause {raw['cause']!r} is not a [[{CAUSE_TABLE}]] of the file "
                                f"(known: {', '.join(causes) or 'none'})")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ExpectationsError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(KEYS))}")
    selectors = [k for k in SELECTORS if raw.get(k)]
    if len(selectors) != 1:
        raise ExpectationsError(f"{where}: give exactly one of {', '.join(SELECTORS)} (found {', '.join(selectors) or 'none'})")
    if raw.get("when") is not None and raw["when"] not in WHEN:
        raise ExpectationsError(f"{where}: when = {raw['when']!r} is not one of {', '.join(map(repr, WHEN))}")
    if raw.get("feature") and not raw.get("scenario"):
        raise ExpectationsError(f"{where}: 'feature' narrows 'scenario'; use it together with 'scenario'")
    outcomes = raw.get("outcome", raw.get("outcomes", "failed"))
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    bad = [o for o in outcomes if o not in OUTCOMES]
    if not outcomes or bad:
        raise ExpectationsError(f"{where}: outcome {', '.join(map(repr, bad)) or '[]'} is not one of {', '.join(OUTCOMES)}")
    reason = str(raw.get("reason") or "").strip()
    if not reason:
        raise ExpectationsError(f"{where} ({raw.get(selectors[0])}): give a 'reason' (why this outcome is expected)")
    scenario, feature = raw.get("scenario"), raw.get("feature")
    if scenario and not feature:
        head, sep, tail = str(scenario).partition(": ")
        if sep and head.strip().endswith(".feature"):
            feature, scenario = head.strip(), tail
    checks = _checks(where, raw.get("checks"))
    return Expectation(
        checks=checks, cause=causes[raw["cause"]] if raw.get("cause") else None,
        index=index, outcomes=tuple(outcomes), reason=reason, link=str(raw["link"]) if raw.get("link") else None,
        seen=str(raw["seen"]).strip() if raw.get("seen") else None, when=raw.get("when"),
        nodeid=raw.get("nodeid"), scenario=str(scenario).strip() if scenario else None,
        feature=str(feature).strip() if feature else None, tag=str(raw["tag"]).lstrip("@") if raw.get("tag") else None,
    )


def _node_tail(nodeid: str) -> str:
    file, sep, rest = nodeid.partition("::")
    return file.rsplit("/", 1)[-1] + sep + rest


def _basename(file: str) -> str:
    return file.rsplit("/", 1)[-1]


def _words(text: str) -> str:
    return " ".join(text.split())


def _checks(where: str, raw: Any) -> tuple[ExpectedCheck, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ExpectationsError(f"{where}: 'checks' must be a non-empty list of step texts or "
                                "{step = ..., message = ...} tables")
    checks = []
    for item in raw:
        if isinstance(item, str) and item.strip():
            checks.append(ExpectedCheck(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("step"), str) and set(item) <= {"step", "message"}:
            pattern = item.get("message")
            if pattern is not None:
                try:
                    re.compile(pattern)
                except (re.error, TypeError) as error:
                    raise ExpectationsError(f"{where}: check {item['step']!r}: message {pattern!r} is not a "
                                            f"regular expression ({error})") from None
            checks.append(ExpectedCheck(item["step"].strip(), pattern))
        else:
            raise ExpectationsError(f"{where}: a check is a step's text, or a table with 'step' and optionally "
                                    f"'message'; got {item!r}")
    return tuple(checks)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."
