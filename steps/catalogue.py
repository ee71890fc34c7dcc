"""The catalogue of the suite's sentences: features/PHRASES.md, made from the steps.

Step patterns are assembled from regex fragments (``STORE + r' holds ' +
ARTIFACT``), so grepping a Gherkin sentence finds no step. This module lists
every registered step the way a reader writes it, with its step module and one
feature line that uses it::

    python -m artifact_conformance.steps.catalogue features/PHRASES.md          # write it
    python -m artifact_conformance.steps.catalogue features/PHRASES.md --check  # exit 1 when stale

How a pattern reads: its literal words as they are; a named group that holds a
free value (``[^"]+``, ``[A-Z]\\d*``) as ``<name>`` (unnamed, as ``…``), one of
fixed words as its words; alternatives as ``(a|b)``; an optional part as
``[part]``; a lone ``.`` as itself. The steps are the ones pytest-bdd
registered while the suite's step modules (``PLUGINS`` of
fixtures/plugins/suite.py) were imported. A feature line is matched the way
pytest-bdd matches it: by its step type (And/But take the type before them) and
the whole text, with a Scenario Outline's lines rendered with each row of its
Examples.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.feature import get_features
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from artifact_conformance.fixtures.plugins.suite import PLUGINS

try:  # Python 3.11+ names the regex parser re._parser; it was sre_parse before
    from re import _constants as sre
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants as sre
    import sre_parse

STEP_MODULES = tuple(name for name in PLUGINS if name.startswith("artifact_conformance.steps."))
FEATURES = Path(__file__).resolve().parent.parent / "features"
COMMAND = "python -m artifact_conformance.steps.catalogue features/PHRASES.md"
KEYWORDS = {"given": "Given", "when": "When", "then": "Then"}
FREE = "…"  # what a free value reads as before its group names it


@dataclass(frozen=True)
class FeatureLine:
    path: str  # relative to features/
    number: int
    keyword: str
    text: str


@dataclass(frozen=True)
class Phrase:
    sentence: str
    keyword: str
    module: str  # steps/<name>.py
    context: StepFunctionContext

    def matches(self, step_type: str, text: str) -> bool:
        return self.context.type in (None, step_type) and self.context.parser.is_matching(text)


# --- reading a pattern ------------------------------------------------------------------------
def readable(pattern: str) -> str:
    """A step's regex as a reader writes the sentence."""
    parsed = sre_parse.parse(pattern)
    names = {number: name for name, number in parsed.state.groupdict.items()}
    return re.sub(r"\s+", " ", _render(parsed, names)).strip()


def _render(items, names: dict[int, str]) -> str:
    text = ""
    for op, value in items:
        if op is sre.BRANCH and text and not text[-1].isspace():
            # The regex parser factors out the alternatives' common start ("an X|a Y"
            # becomes "a" + "(n X| Y)"); give each alternative its whole first word back.
            head, _, word = text.rpartition(" ")
            text = (head + " " if head else "") + _branch(value, names, word)
        else:
            text += _render_item(op, value, names)
    return text


def _branch(value, names: dict[int, str], start: str = "") -> str:
    return "(" + "|".join(start + _render(alternative, names) for alternative in value[1]) + ")"


def _render_item(op, value, names: dict[int, str]) -> str:
    if op is sre.LITERAL:
        return chr(value)
    if op is sre.SUBPATTERN:
        group, _, _, inner = value
        text = _render(inner, names)
        name = names.get(group)
        # A group that holds a value reads as its name; one of fixed words, as its words
        # ("(?P<ordered> in that order)?" is "[in that order]", not "[<ordered>]").
        return f"<{name}>" if name is not None and FREE in text else text
    if op is sre.BRANCH:
        return _branch(value, names)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        low, high, inner = value
        text = _render(inner, names)
        if (low, high) == (0, 1):  # the space before or after optional words stays outside
            lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
            return f"{lead}[{text.strip()}]{trail}"
        return text if any(c.isalnum() for c in text) else FREE  # ".+", "[^"]*": a value
    if op is sre.AT:
        return ""
    if op is sre.ANY:
        return "."  # a lone "." in a sentence stands for itself ("index.json")
    return FREE  # a character class, any character, a category: a value the writer chooses


# --- the steps and the features ---------------------------------------------------------------
def phrases() -> list[Phrase]:
    """Every step the suite's step modules register, in module order, then Given, When,
    Then, then line order."""
    for module in STEP_MODULES:
        importlib.import_module(module)
    found = []
    for context in step_function_context_registry.values():
        module = context.step_func.__module__
        if module in STEP_MODULES:
            keyword = list(KEYWORDS).index(context.type) if context.type in KEYWORDS else len(KEYWORDS)
            found.append((STEP_MODULES.index(module), keyword, context.step_func.__code__.co_firstlineno, context))
    return [Phrase(sentence=readable(context.parser.name), keyword=KEYWORDS.get(context.type, "Step"),
                   module=f"steps/{context.step_func.__module__.rsplit('.', 1)[1]}.py", context=context)
            for *_, context in sorted(found, key=lambda f: f[:3])]


def feature_lines(features: Path = FEATURES) -> list[tuple[str, FeatureLine]]:
    """Every step line of every feature file as pytest-bdd reads it: (step type, line),
    an outline's lines once per row of its Examples."""
    lines = []
    for feature in get_features([str(p) for p in sorted(features.glob("*.feature"))]):
        path = Path(feature.filename).name
        for template in feature.scenarios.values():
            contexts = [c for examples in template.examples for c in examples.as_contexts()] or [{}]
            for context in contexts:
                for step in template.render(context).steps:
                    lines.append((step.type, FeatureLine(path, step.line_number, step.keyword, step.name)))
    return lines


# --- the catalogue ----------------------------------------------------------------------------
def catalogue(features: Path = FEATURES) -> str:
    lines = feature_lines(features)
    sections: dict[str, dict[str, list[str]]] = {}  # module, keyword, rows
    unused = 0
    for phrase in phrases():
        example = next((line for step_type, line in lines if phrase.matches(step_type, line.text)), None)
        if example is None:
            unused += 1
            used = "*no feature uses it*"
        else:
            used = f"[{example.path}:{example.number}]({example.path}#L{example.number}) `{example.text}`"
        sentence = _cell(f"**{phrase.keyword}** {phrase.sentence}")
        sections.setdefault(phrase.module, {}).setdefault(phrase.keyword, []).append(f"| {sentence} | {_cell(used)} |")
    out = [
        "# The suite's sentences",
        "",
        f"<!-- generated from the step definitions by `{COMMAND}`; do not edit -->",
        "",
        f"Every sentence a scenario can say: {sum(len(r) for k in sections.values() for r in k.values())}"
        f" phrases in {len(sections)} step modules ({unused} marked *no feature uses it*), by step module"
        " and keyword. Look a sentence up here"
        " before writing a new step: `<name>` is a value you choose (a store label, artifact A,"
        ' "llm:v1"), `(a|b)` one of the words, `[words]` words you may leave out. See'
        " [README.md](README.md) for what the words mean.",
        "",
    ]
    for module, keywords in sections.items():
        out += [f"## {module}", ""]
        for keyword, rows in keywords.items():
            out += [f"### {keyword}", "", "| sentence | used in |", "|---|---|", *rows, ""]
    return "\n".join(out)


def unmatched_lines(features: Path = FEATURES) -> list[FeatureLine]:
    """Feature lines no catalogued phrase matches (each would be a missing step)."""
    known = phrases()
    return [line for step_type, line in feature_lines(features)
            if not any(phrase.matches(step_type, line.text) for phrase in known)]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m artifact_conformance.steps.catalogue",
                                     description="Write the catalogue of the suite's sentences.")
    parser.add_argument("target", type=Path, help="the Markdown file to write (features/PHRASES.md)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file differs")
    args = parser.parse_args(argv)
    text = catalogue()
    if args.check:
        current = args.target.read_text(encoding="utf-8") if args.target.exists() else ""
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                       str(args.target), "generated"))
            print(f"{args.target} is stale: run {COMMAND}", file=sys.stderr)
            return 1
        return 0
    args.target.write_text(text, encoding="utf-8")
    print(f"{args.target}: {text.count(chr(10) + '| **')} phrases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
