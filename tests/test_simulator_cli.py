"""``artifact-conformance store``: the reference store from the command line, against the real registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artifact_conformance.cli import main
from artifact_conformance.fixtures.probe.traffic_probe import TokenAuth, TrafficProbe
from artifact_conformance.fixtures.registry.builder import ArtifactBuilder, Layer, unique_repository
from tests.simulator_support import blob_file, offline_artifact, write_auth_file, write_layout, write_toml

pytestmark = pytest.mark.registry

CLI = Path(sys.executable).parent / "artifact-conformance"
RECORD_FIELDS = {"id", "repo_tags", "repo_digests", "size", "pinned", "store", "read_only", "digest", "reference",
                 "ref_name", "media_type", "artifact_type"}


def run(*args: str, check: int | None = 0) -> subprocess.CompletedProcess:
    result = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "400"})
    if check is not None:
        assert result.returncode == check, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


@pytest.fixture
def config(tmp_path: Path, registry) -> Path:
    return write_toml(tmp_path / "crio.toml", tmp_path / "root", [tmp_path / "ro"], [registry.address],
                      pinned=["*pinned-by-config*"])


def test_pull_list_status_mounts_rm_as_a_user_runs_them(tmp_path: Path, registry, config: Path,
                                                         builder: ArtifactBuilder) -> None:
    repository = unique_repository("cli")
    entry = builder.artifact(repository, "v1", [Layer(b"weights", "weights.bin"), Layer(b"tokenizer", "tokenizer.json")])
    reference = f"{registry.address}/{repository}:v1"
    main_dir = tmp_path / "root" / "artifacts"

    pulled = json.loads(run("store", "--config", str(config), "--json", "pull", reference).stdout)
    assert RECORD_FIELDS | {"skipped"} == set(pulled)
    assert (pulled["id"], pulled["skipped"], pulled["store"], pulled["pinned"]) == (entry.id, False, str(main_dir), False)
    assert pulled["repo_tags"] == [reference] and pulled["repo_digests"] == [f"{registry.address}/{repository}@{entry.digest}"]
    assert pulled["size"] == len(b"weights") + len(b"tokenizer")

    listed = json.loads(run("store", "--config", str(config), "list", "--json").stdout)  # --json after the action too
    assert [r["id"] for r in listed] == [entry.id]
    assert {k: v for k, v in listed[0].items()} == {k: v for k, v in pulled.items() if k != "skipped"}

    header, row = run("store", "--config", str(config), "list").stdout.splitlines()[:2]
    assert header.split() == ["ID", "TAGS", "DIGESTS", "SIZE", "PINNED", "STORE"]
    assert row.split()[:2] == [entry.id[:12], reference]  # IDs shortened to 12
    assert str(main_dir) in row and f"{repository}@{entry.digest}" in row

    status = run("store", "--config", str(config), "status", entry.id[:12]).stdout
    assert entry.id in status and reference in status

    mounts = json.loads(run("store", "--config", str(config), "--json", "mounts", reference).stdout)
    assert [(m["name"], Path(m["path"]).read_bytes(), m["size"]) for m in mounts] == [
        ("weights.bin", b"weights", 7), ("tokenizer.json", b"tokenizer", 9)]
    assert all(set(m) == {"name", "path", "digest", "size"} for m in mounts)

    removed = json.loads(run("store", "--config", str(config), "--json", "rm", entry.id).stdout)
    assert removed == {"removed_digests": [entry.digest], "still_visible": None}
    assert json.loads(run("store", "--config", str(config), "--json", "list").stdout) == []
    assert not blob_file(main_dir, entry.digest).exists()


def test_an_error_exits_1_naming_the_reference_on_one_stderr_line(tmp_path: Path, registry, config: Path) -> None:
    reference = f"{registry.address}/{unique_repository('cli')}:absent"
    for action in ("status", "pull", "mounts"):
        result = run("store", "--config", str(config), action, reference, check=1)
        assert result.stdout == ""
        errors = [line for line in result.stderr.splitlines() if not line.startswith("warning: ")]
        assert len(errors) == 1, result.stderr
        assert errors[0].startswith("artifact-conformance: error: ")
        assert repository_of(reference) in errors[0]


def repository_of(reference: str) -> str:
    return reference.split("/", 1)[1].rsplit(":", 1)[0]


def test_a_pull_satisfied_by_a_read_only_store_reports_skipped(tmp_path: Path, registry, config: Path,
                                                                capsys: pytest.CaptureFixture) -> None:
    entry = offline_artifact()
    reference = f"{registry.address}/{unique_repository('cli')}:v1"
    write_layout(tmp_path / "ro", (reference, entry))
    assert main(["store", "--config", str(config), "--json", "pull", reference]) == 0
    pulled = json.loads(capsys.readouterr().out)
    assert pulled["skipped"] is True and pulled["read_only"] is True and pulled["pinned"] is True
    assert pulled["store"] == str(tmp_path / "ro" / "artifacts")

    assert main(["store", "--config", str(config), "rm", reference]) == 0
    out = capsys.readouterr().out
    assert "nothing to remove" in out and "still provided by read-only store" in out
    assert main(["store", "--config", str(config), "--json", "rm", reference]) == 0
    assert json.loads(capsys.readouterr().out)["still_visible"]["id"] == entry.id


def test_store_warnings_go_to_stderr_once_each(tmp_path: Path, registry, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "missing-store"
    broken = tmp_path / "broken"
    write_layout(broken, ("registry.example/a/b:v1", offline_artifact()), ("registry.example/a/b:v2", offline_artifact()))
    (broken / "artifacts" / "blobs" / "sha256").joinpath(
        json.loads((broken / "artifacts" / "index.json").read_text())["manifests"][0]["digest"].split(":")[1]).unlink()
    toml = write_toml(tmp_path / "crio.toml", tmp_path / "root", [missing, broken], [registry.address])

    assert main(["store", "--config", str(toml), "--json", "list"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 1
    warnings = captured.err.splitlines()
    assert all(line.startswith("warning: ") for line in warnings), warnings
    assert sum(str(missing) in line for line in warnings) == 1
    assert sum("entry 0 skipped" in line for line in warnings) == 1
    assert not missing.exists()


def test_configuration_errors_exit_1_naming_the_path(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    toml = write_toml(tmp_path / "crio.toml", tmp_path / "root", ["relative/store"])
    assert main(["store", "--config", str(toml), "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("artifact-conformance: error: ") and "'relative/store'" in err and err.count("\n") == 1
    assert main(["store", "--config", str(tmp_path / "absent.toml"), "list"]) == 1
    assert "absent.toml" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["store", "list"],  # no --config
    ["store", "--config", "x.toml"],  # no action
    ["store", "--config", "x.toml", "pull"],  # no reference
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_an_invalid_reference_is_an_error_not_a_crash(tmp_path: Path, config: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["store", "--config", str(config), "pull", "llm:v2"]) == 1
    assert "'llm:v2' is not a fully qualified reference" in capsys.readouterr().err
    assert main(["store", "--config", str(config), "status", "registry.example/a/b:v1@sha256:" + "a" * 64]) == 1
    assert "both a tag and a digest" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command(tmp_path: Path, config: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "artifact_conformance", "store", "--config", str(config), "--json", "list"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert main(["--version"]) == 0


def test_a_denied_pull_is_one_error_line_without_the_client_library_chatter(tmp_path: Path, registry,
                                                                           builder: ArtifactBuilder) -> None:
    repository = unique_repository("cli")
    builder.artifact(repository, "v1")
    with TrafficProbe(registry.address, registry.scheme, token_auth=TokenAuth("robot", "right")) as front:
        auth = write_auth_file(tmp_path / "auth.json", front.address, "robot", "wrong")
        toml = write_toml(tmp_path / "crio.toml", tmp_path / "root", [], [front.address], auth_file=auth)
        result = run("store", "--config", str(toml), "pull", f"{front.address}/{repository}:v1", check=1)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("artifact-conformance: error: ") and "401" in result.stderr


def test_list_when_piped_is_one_whole_line_per_record_at_any_width(tmp_path: Path, registry, config: Path,
                                                                  builder: ArtifactBuilder) -> None:
    long_name = unique_repository("a-repository-name-long-enough-to-wrap-any-eighty-column-table")
    entries = {}
    for tag in ("v1", "v2"):
        entries[tag] = builder.artifact(long_name, tag, [Layer(tag.encode() * 100, "w.bin")])
        run("store", "--config", str(config), "pull", f"{registry.address}/{long_name}:{tag}")
    result = subprocess.run([str(CLI), "store", "--config", str(config), "list"], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "COLUMNS": "80"})  # stdout is a pipe here
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout  # the header and one line per record, nothing folded
    assert lines[0].split() == ["ID", "TAGS", "DIGESTS", "SIZE", "PINNED", "STORE"]
    for line, tag in zip(lines[1:], ("v1", "v2")):
        entry = entries[tag]
        assert line.split() == [entry.id[:12], f"{registry.address}/{long_name}:{tag}",
                                f"{registry.address}/{long_name}@{entry.digest}", "200", "B", "no",
                                str(tmp_path / "root" / "artifacts")]
    columns = {line.index(str(tmp_path)) for line in lines[1:]} | {lines[0].index("STORE")}
    assert len(columns) == 1  # aligned

    status = run("store", "--config", str(config), "status", entries["v1"].id[:12]).stdout.splitlines()
    assert status[0].split() == ["id", entries["v1"].id] and len(status) == 9


def test_an_operating_system_error_is_words_not_python(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "file").write_text("")
    toml = write_toml(tmp_path / "crio.toml", tmp_path / "file" / "root", [])
    assert main(["store", "--config", str(toml), "list"]) == 1
    err = capsys.readouterr().err
    assert err == f"artifact-conformance: error: {tmp_path / 'file' / 'root' / 'artifacts' / 'blobs' / 'sha256'}: Not a directory\n"
