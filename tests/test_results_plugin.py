"""The results JSON is complete and truthful, also when pytest-xdist spreads
scenarios over workers: every collected scenario is there once, with its
feature, steps, outcome and the registry requests it caused; capabilities an
adapter lacks show as not applicable; failures name their step; secrets in the
run's configuration are redacted."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.endpoint import RegistryEndpoint
from artifact_conformance.reporting.redaction import REDACTED, redact
from artifact_conformance.reporting.results_schema import FORMAT
from artifact_conformance.reporting.vocabulary import OUTCOMES
from tests.pytest_runs import child_env, run_pytest

STEP_OUTCOMES = {"passed", "failed", "not_applicable", "skipped", "not_run", "undefined"}

pytestmark = pytest.mark.registry


def collected(args: list[str], registry: RegistryEndpoint) -> set[str]:
    run = run_pytest(*args, "--collect-only", "-q", f"--registry-url={registry.url}", "--registry-provider=url", timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    return {line for line in run.stdout.splitlines() if "::" in line}


def load(path: Path) -> dict:
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT
    return document


def by_scenario(document: dict) -> dict[str, dict]:
    return {s["scenario"]: s for s in document["scenarios"]}


def check_record_shape(record: dict) -> None:
    feature = record["feature"]
    assert feature["name"] and feature["file"].endswith(".feature") and feature["narrative"], feature
    assert record["scenario"] and record["line"] > 0
    assert record["level"] in ("required", "optional"), record["tags"]
    assert record["areas"], record["tags"]
    assert record["contract_rules"] and not any(a.startswith("rule:") for a in record["areas"]), record["tags"]
    assert record["outcome"] in OUTCOMES
    assert record["steps"], record
    for step in record["steps"]:
        assert step["keyword"] in ("Given", "When", "Then", "And", "But"), step
        assert step["text"] and step["line"] > 0
        assert step["outcome"] in STEP_OUTCOMES, step
    for request in record["requests"]:
        assert set(request) >= {"method", "path", "status", "bytes", "kind"}, request


def test_complete_under_xdist(registry: RegistryEndpoint, tmp_path: Path):
    files = ["features/test_pulling.py", "features/test_configuration.py"]
    expected = collected(files, registry)
    out = tmp_path / "results" / "run.json"
    run = run_pytest(
        *files, "-n", "2", f"--registry-url={registry.url}", "--registry-provider=url", f"--results-json={out}",
        "--sut-option", "api_token=s3cret", "--sut-option=registry_password=hunter2",
        f"--basetemp={tmp_path / 'base'}", timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document = load(out)
    assert [p.name for p in out.parent.iterdir()] == ["run.json"], "a temporary file was left behind"

    scenarios = document["scenarios"]
    assert {s["nodeid"] for s in scenarios} == expected
    assert len(scenarios) == len(expected), "a scenario was recorded twice"
    assert {s["worker"] for s in scenarios} == {"gw0", "gw1"}, "the run did not use both workers"
    for record in scenarios:
        check_record_shape(record)
        assert record["outcome"] == "passed", record
        assert all(step["outcome"] in ("passed", "not_applicable") for step in record["steps"]), record
        assert record["sut"]["name"] == "reference"
    assert document["summary"]["total"] == len(expected) == document["summary"]["passed"]

    downloaded = by_scenario(document)[
        "A pull of a reference that no read-only store holds downloads it into the main store"]
    blob_gets = [r for r in downloaded["requests"] if r["kind"] == "blob" and r["method"] == "GET"]
    assert blob_gets and all(r["status"] == 200 and r["bytes"] > 0 for r in blob_gets), downloaded["requests"]
    assert any(r["kind"] == "manifest" for r in downloaded["requests"])
    skipped = by_scenario(document)["A pull satisfied by a read-only store makes no registry request at all"]
    assert skipped["level"] == "optional" and skipped["areas"] == ["pulling"]
    assert not [r for r in skipped["requests"] if r["kind"] == "blob"], skipped["requests"]

    outline = [s for s in scenarios if s["example"] and s["example"].get("path") == "models/llm"]
    assert len(outline) == 1 and '"models/llm"' in outline[0]["steps"][0]["text"], "outline steps are not rendered"
    assert outline[0]["rule"]["name"].startswith("Each store path must be non-empty")

    run_config = document["run"]
    assert run_config["sut"]["name"] == "reference"
    assert run_config["sut"]["settings"] == {"api_token": REDACTED, "registry_password": REDACTED}
    assert "configure" in run_config["sut"]["capabilities"]
    assert run_config["pytest"]["workers"] == 2
    # the registry the workers really used (both: the one given), not the unused --registry-image default
    assert run_config["registry"] == {"provider": "url", "urls": [registry.url], "requested": "url"}
    text = out.read_text()
    assert "s3cret" not in text and "hunter2" not in text


LIMITED_ADAPTER = '''
from artifact_conformance.fixtures.adapters.reference import ReferenceAdapter
from artifact_conformance.fixtures.adapters.interface import CONFIGURE


class LimitedAdapter(ReferenceAdapter):
    """The reference store, declaring neither mount paths nor warnings."""

    capabilities = frozenset({CONFIGURE})

    @classmethod
    def from_options(cls, options):
        adapter = cls()
        adapter.name = "limited"
        return adapter
'''


def install_limited_adapter(directory: Path) -> dict[str, str]:
    """A vendor adapter, registered the way a vendor would: an entry point."""
    directory.mkdir()
    (directory / "limited_sut.py").write_text(LIMITED_ADAPTER)
    dist_info = directory / "limited_sut-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: limited-sut\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[artifact_conformance.sut]\nlimited = limited_sut:LimitedAdapter\n")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))}


def test_not_applicable_scenarios_and_steps(registry: RegistryEndpoint, tmp_path: Path):
    env = install_limited_adapter(tmp_path / "vendor")
    out = tmp_path / "limited.json"
    run = run_pytest(
        "features/test_mounts.py", "features/test_configuration.py", "-n", "2", "--sut", "limited",
        f"--registry-url={registry.url}", "--registry-provider=url", f"--results-json={out}", f"--basetemp={tmp_path / 'base'}",
        env=child_env(env), timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    document = load(out)
    assert document["run"]["sut"]["name"] == "limited"

    mounts = [s for s in document["scenarios"] if s["feature"]["file"].endswith("mounts.feature")]
    assert mounts and all(s["outcome"] == "not_applicable" for s in mounts), [s["outcome"] for s in mounts]
    for record in mounts:
        assert record["message"].startswith("not applicable:")
        assert "mount_paths" in record["message"] or "'pods' capability" in record["message"], record["message"]
        when = next(step for step in record["steps"]
                    if step["text"].startswith(("the client asks for the mount paths", "a pod mounts"))
                    or "pods that mount" in step["text"])
        assert when["outcome"] == "not_applicable"
        assert record["steps"][-1]["outcome"] == "not_run"

    warned = [s for s in document["scenarios"] if s["scenario"].startswith("A store that")]
    assert warned
    for record in warned:
        assert record["outcome"] == "passed", record
        warning_step = next(step for step in record["steps"] if step["text"].startswith("a warning names"))
        assert warning_step["outcome"] == "not_applicable" and "warnings" in warning_step["message"]
    assert document["summary"]["not_applicable"] == len(mounts)
    assert "not applicable" in run.stdout


def test_failures_name_their_step(registry: RegistryEndpoint, tmp_path: Path):
    out = tmp_path / "broken.json"
    run = run_pytest(
        "features/test_pulling.py", "-n", "2", f"--registry-url={registry.url}", "--registry-provider=url", f"--results-json={out}",
        "--reference-store-class=tests.broken_stores:PullsNotSkipped", f"--basetemp={tmp_path / 'base'}", timeout=240,
    )
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    document = load(out)
    failed = [s for s in document["scenarios"] if s["outcome"] == "failed"]
    assert failed and document["summary"]["failed"] == len(failed)
    assert document["run"]["sut"]["settings"]["store_class"] == "tests.broken_stores:PullsNotSkipped"
    for record in failed:
        step = record["failing_step"]
        assert step["outcome"] == "failed" and step["message"] == record["message"]
        index = next(i for i, s in enumerate(record["steps"]) if s["outcome"] == "failed")
        assert all(s["outcome"] in ("passed", "not_applicable") for s in record["steps"][:index])
        # A failed check does not stop the scenario: the steps after it ran, each with its own verdict.
        assert record["steps"][index]["keyword"] in ("Then", "And", "But")
        assert all(s["outcome"] in ("passed", "failed", "not_applicable") for s in record["steps"][index + 1:])
    # Every check judged: "the main store does not hold" after "no blob was downloaded" still ran, and failed too.
    skipped_pull = next(s for s in failed if s["scenario"].startswith("A pull of a reference that a read-only store holds"))
    outcomes = {s["text"]: s["outcome"] for s in skipped_pull["steps"]}
    assert outcomes["no blob was downloaded from the registry"] == "failed"
    assert outcomes['the main store does not hold "llm:v1"'] == "failed", outcomes
    no_blob = [s for s in failed if s["failing_step"]["text"] == "no blob was downloaded from the registry"]
    assert no_blob and "blob request(s) reached the registry" in no_blob[0]["message"]
    assert any(r["kind"] == "blob" for r in no_blob[0]["requests"])


SKIP_AND_UNDEFINED = {
    "conftest.py": textwrap.dedent("""\
        import pytest

        pytest_plugins = ["artifact_conformance.fixtures.plugins.results",
                          "artifact_conformance.fixtures.plugins.sut_options"]


        @pytest.fixture(autouse=True)
        def breaks_in_setup(request):
            if request.node.get_closest_marker("setup_breaks"):
                raise RuntimeError("the harness broke before the scenario")
        """),
    "pytest.ini": "[pytest]\nmarkers =\n    required: r\n    demo: d\n    setup_breaks: s\n",
    "demo.feature": textwrap.dedent("""\
        @demo
        Feature: Demo
          Why it matters.

          @required
          Scenario: Skipped by the harness
            Given a step that skips

          @required
          Scenario: Not applicable
            Given a step that is not applicable
            Then a step that passes

          @required
          Scenario: Undefined step
            Given a step nobody wrote

          @required @setup_breaks
          Scenario: Broken set-up
            Given a step that passes
        """),
    "test_demo.py": textwrap.dedent("""\
        import pytest
        from pytest_bdd import given, then, scenarios

        from artifact_conformance.fixtures.adapters.interface import NotApplicable

        scenarios("demo.feature")


        @given("a step that skips")
        def skips():
            pytest.skip("no reason")


        @given("a step that is not applicable")
        def not_applicable():
            raise NotApplicable("the harness cannot do this here")


        @given("a step that passes")
        @then("a step that passes")
        def passes():
            pass
        """),
}


def test_outcome_kinds(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    for name, text in SKIP_AND_UNDEFINED.items():
        (project / name).write_text(text)
    out = tmp_path / "demo.json"
    run = run_pytest("-n", "2", f"--results-json={out}", "--rootdir", str(project), cwd=project, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    outcomes = {s["scenario"]: s["outcome"] for s in load(out)["scenarios"]}
    assert outcomes == {
        "Skipped by the harness": "skipped",
        "Not applicable": "not_applicable",
        "Undefined step": "error",
        "Broken set-up": "error",
    }, outcomes


def test_redact():
    assert redact({"token": "abc", "name": "x", "nested": {"Password": "p", "ok": 1}}) == {
        "token": REDACTED, "name": "x", "nested": {"Password": REDACTED, "ok": 1}}
    assert redact(["--registry-password", "p", "--sut", "reference"]) == [
        "--registry-password", REDACTED, "--sut", "reference"]
    assert redact(["--sut-option=client_secret=abc", "--sut-option", "token=abc"]) == [
        f"--sut-option=client_secret={REDACTED}", "--sut-option", f"token={REDACTED}"]
    assert redact("https://user:pw@registry.example/v2/") == f"https://user:{REDACTED}@registry.example/v2/"
    assert redact({"url": "http://u:p@h:5000"}) == {"url": f"http://u:{REDACTED}@h:5000"}
