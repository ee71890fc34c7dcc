"""The import rule of pyproject.toml's ``[tool.importlinter]`` holds: imports run one
way, from the CLI down to the primitives (reporting/, contract.py).

A checkout keeps simulator/, fixtures/, steps/ beside artifact_conformance/ and
maps them under it only when installed, so import-linter (which walks a
package's directory) is given the package as the wheel lays it out: the
folders of ``[tool.setuptools] package-dir``, copied under one root in a
scratch directory. ``lint-imports`` then reads the contracts from the
checkout's pyproject.toml.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def wheel_layout(target: Path) -> Path:
    """Copy each package's modules to where the wheel installs them; return the import root."""
    setuptools = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapped = setuptools.get("package-dir", {})
    for package in setuptools["packages"]:
        parent = next((p for p in sorted(mapped, key=len, reverse=True) if package == p or package.startswith(p + ".")), None)
        source = ROOT / (mapped[parent] + package[len(parent):].replace(".", "/") if parent else package.replace(".", "/"))
        destination = target.joinpath(*package.split("."))
        destination.mkdir(parents=True, exist_ok=True)
        for module in source.glob("*.py"):
            shutil.copy2(module, destination / module.name)
    return target


def test_imports_follow_the_layers(tmp_path: Path):
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint_imports is None:
        pytest.fail("lint-imports is missing: pip install import-linter (the 'test' extra of pyproject.toml)")
    root = wheel_layout(tmp_path / "layout")
    env = {**os.environ, "PYTHONPATH": str(root)}
    checked = subprocess.run([lint_imports, "--no-cache", str(PYPROJECT)], cwd=root, env=env,
                             capture_output=True, text=True, timeout=300)
    report = checked.stdout + checked.stderr
    assert checked.returncode == 0, report
    assert "Contracts: 3 kept, 0 broken." in report, report


def test_the_layout_is_the_one_checked(tmp_path: Path):
    """The staged copy is what import-linter sees: every layer's package is there, from its folder."""
    root = wheel_layout(tmp_path / "layout")
    for package, folder in (("fixtures", "fixtures"), ("simulator", "simulator"), ("steps", "steps"),
                            ("reporting", "artifact_conformance/reporting")):
        copied = {p.name for p in (root / "artifact_conformance" / package).glob("*.py")}
        assert copied == {p.name for p in (ROOT / folder).glob("*.py")}, package
