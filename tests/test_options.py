"""The suite's options and variables are declared once (fixtures/options.py),
and everything that shows or reads them follows the declarations."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from _pytest.config import get_config

from artifact_conformance.cli import main
from artifact_conformance.fixtures import options
from artifact_conformance.fixtures.plugins.options_listing import COMMAND, invocation, markdown_tables, with_tables
from artifact_conformance.run_command import PLUGINS_MODULE

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for folder in ("fixtures", "steps", "features") for p in sorted((ROOT / folder).rglob("*.py"))]
DECLARED = {o.dest: o for o in options.OPTIONS}


def test_the_readme_table_is_the_declarations():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_tables(readme, markdown_tables()), f"README.md's options table is stale: run {COMMAND}"


def test_each_option_and_variable_is_declared_once():
    names = [o.name for o in options.OPTIONS] + [v.name for v in options.VARIABLES]
    variables = [o.env for o in options.OPTIONS if o.env] + [v.name for v in options.VARIABLES]
    assert len(names) == len(set(names))
    assert len(variables) == len(set(variables))


def _names_in_sources(pattern: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        for name in re.findall(pattern, path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_no_plugin_adds_an_option_past_the_declarations():
    added = _names_in_sources(r"\baddoption\(\s*[\"']([^\"']+)")
    assert added == {}, f"register these from fixtures/options.py instead: {added}"


def test_every_option_read_by_name_is_declared():
    read = _names_in_sources(r"\bgetoption\(\s*[\"']([^\"']+)")
    assert {name: where for name, where in read.items() if name.lstrip("-").replace("-", "_") not in DECLARED} == {}


def test_the_plugins_register_exactly_the_declared_options_in_their_groups():
    config = get_config()
    config.pluginmanager.import_plugin(PLUGINS_MODULE)
    registered = {group.name: [name for option in group.options for name in option.names()]
                  for group in config._parser._groups}
    for group, declared in options.groups():
        assert registered.get(group.name) == [o.name for o in declared], group.name


def test_run_help_lists_every_option_with_its_variable_and_the_other_variables(capsys):
    assert main(["run", "--help"]) == 0
    shown = re.sub(r"\s+", " ", capsys.readouterr().out)
    for option in options.OPTIONS:
        assert invocation(option) in shown, option.name
        if option.env:
            assert f"[env {option.env}]" in shown, option.name
    for variable in options.VARIABLES:
        assert variable.name in shown


def test_nothing_declared_or_documented_points_beside_the_checkout():
    texts = [o.shown_help for o in options.OPTIONS] + [v.meaning for v in options.VARIABLES]
    texts.append((ROOT / "README.md").read_text(encoding="utf-8"))
    beside = "../" + "shared"  # spelled apart, as in tests/test_no_surroundings.py
    assert not [t for t in texts if beside in t or "beside the checkout" in t]


def _config(**given) -> SimpleNamespace:
    namespace = SimpleNamespace(**given)
    return SimpleNamespace(option=namespace, getoption=lambda dest, default=None: getattr(namespace, dest, default))


def test_the_command_line_wins_over_the_variable_which_wins_over_the_default(monkeypatch):
    monkeypatch.delenv(options.SUT.env, raising=False)
    assert options.SUT.value(_config(sut=None)) == "reference"
    monkeypatch.setenv(options.SUT.env, "cri")
    assert options.SUT.value(_config(sut=None)) == "cri"
    assert options.SUT.value(_config(sut="my.module:Adapter")) == "my.module:Adapter"
    assert options.SUT.given(_config(sut=None)) is None
    monkeypatch.setenv(options.SUT.env, "")  # empty is unset, as before
    assert options.SUT.value(_config(sut=None)) == "reference"


def test_an_option_not_registered_reads_as_its_default():
    assert options.OBSERVE_ONLY.value(_config()) is False
    assert not options.PROBE_LISTEN.registered(_config())


@pytest.mark.parametrize("option", [o for o in options.OPTIONS if o.env], ids=lambda o: o.name)
def test_an_option_with_a_variable_registers_no_default_so_the_command_line_is_told_apart(option):
    config = get_config()
    config.pluginmanager.import_plugin(PLUGINS_MODULE)
    registered = next(o for g in config._parser._groups for o in g.options if option.name in o.names())
    assert registered.attrs()["default"] is None
