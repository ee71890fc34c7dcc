"""Configuration: TOML keys, store path rules, start-up with stores that cannot be opened
(docs/contract.md: config.path-absolute, config.path-strict, config.unopenable-store-skipped,
config.main-root-separate, readonly.never-written)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from artifact_conformance.simulator.config import StoreConfig
from artifact_conformance.simulator.errors import ConfigError
from tests.simulator_support import fingerprint, make_config, make_store, offline_artifact, write_layout, write_toml


def test_toml_keys_are_read(tmp_path: Path) -> None:
    toml = tmp_path / "crio.toml"
    toml.write_text(
        '[crio]\nroot = "/var/lib/sim-root"\n'
        '[crio.runtime]\nadditional_artifact_stores = ["/mnt/models", "/mnt/datasets/"]\n'
        '[crio.image]\npinned_images = ["registry.example/models/*", "*dataset*"]\n'
        'insecure_registries = ["127.0.0.1:5000"]\nglobal_auth_file = "/etc/crio/auth.json"\n'
    )
    config = StoreConfig.from_toml(toml)
    assert config.root == Path("/var/lib/sim-root")
    assert config.main_store_dir == Path("/var/lib/sim-root/artifacts")
    assert config.additional_artifact_stores == (Path("/mnt/models"), Path("/mnt/datasets"))
    assert config.store_dir(config.additional_artifact_stores[0]) == Path("/mnt/models/artifacts")
    assert config.pinned_images == ("registry.example/models/*", "*dataset*")
    assert config.insecure_registries == ("127.0.0.1:5000",)
    assert config.global_auth_file == Path("/etc/crio/auth.json")


def test_absent_keys_take_defaults(tmp_path: Path) -> None:
    toml = tmp_path / "crio.toml"
    toml.write_text("")
    config = StoreConfig.from_toml(toml)
    assert config.root == Path("/var/lib/containers/storage")
    assert config.additional_artifact_stores == ()
    assert config.pinned_images == ()
    assert config.global_auth_file is None


@pytest.mark.parametrize("content, named", [
    ("[crio\nroot=", "not valid TOML"),
    ('crio = "x"', "[crio] must be a table"),
    ('[crio.runtime]\nadditional_artifact_stores = "/mnt/models"', "additional_artifact_stores must be a list"),
    ("[crio.runtime]\nadditional_artifact_stores = [5]", "additional_artifact_stores entry 5"),
    ("[crio.image]\ninsecure_registries = [5000]", "insecure_registries entry 5000"),
    ('[crio.image]\npinned_images = [""]', "pinned_images entry ''"),
    ("[crio]\nroot = 7", "root must be a string"),
    ('[crio]\nroot = "relative/root"', "'relative/root' must be a non-empty absolute path"),
])
def test_malformed_configuration_is_refused_naming_the_key(tmp_path: Path, content: str, named: str) -> None:
    toml = tmp_path / "crio.toml"
    toml.write_text(content)
    with pytest.raises(ConfigError) as raised:
        StoreConfig.from_toml(toml)
    assert named in str(raised.value)
    assert str(toml) in str(raised.value)


def test_a_missing_configuration_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="absent.toml"):
        StoreConfig.from_toml(tmp_path / "absent.toml")


@pytest.mark.parametrize("path, reason", [
    ("", "is empty"),
    ("mnt/models", "is not absolute"),
    ("./models", "is not absolute"),
    # Stricter rules (optional level), implemented by the reference too.
    ("/" + "m" * 256, "at most 256"),
    ("/mnt/my models", "characters outside"),
    ("/mnt/modèles", "characters outside"),
    ("/mnt/models\n", "characters outside"),
    ("/mnt//models", "'//'"),
    ("/mnt/../models", "'..' component"),
    ("/mnt/models/..", "'..' component"),
])
def test_invalid_store_paths_are_refused_naming_the_path(tmp_path: Path, path: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        make_config(tmp_path, [path])  # type: ignore[list-item]
    message = str(raised.value)
    assert repr(path) in message
    assert reason in message


def test_a_path_of_exactly_256_characters_is_accepted(tmp_path: Path) -> None:
    path = "/" + "m" * 255
    assert make_config(tmp_path, [path]).additional_artifact_stores == (Path(path),)


def test_an_invalid_path_among_valid_ones_refuses_the_whole_configuration(tmp_path: Path) -> None:
    toml = write_toml(tmp_path / "crio.toml", tmp_path / "root", ["/mnt/models", "relative", "/mnt/data"])
    with pytest.raises(ConfigError, match="'relative'"):
        StoreConfig.from_toml(toml)


@pytest.mark.parametrize("relation, make_path", [
    ("is the main store's root", lambda root: root),
    ("is the main store's root", lambda root: Path(str(root) + "/")),
    ("is inside the main store's root", lambda root: root / "artifacts"),
    ("is inside the main store's root", lambda root: root / "deeper" / "store"),
    ("contains the main store's root", lambda root: root.parent),
    ("contains the main store's root", lambda root: Path("/")),
])
def test_the_main_root_cannot_be_an_additional_store(tmp_path: Path, relation: str, make_path) -> None:
    root = tmp_path / "root"
    path = str(make_path(root))
    with pytest.raises(ConfigError) as raised:
        StoreConfig.build(root=str(root), additional_artifact_stores=[path])
    assert relation in str(raised.value)
    assert repr(path) in str(raised.value)


def test_a_symlink_to_the_main_root_is_the_main_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "alias").symlink_to(root)
    with pytest.raises(ConfigError, match="is the main store's root"):
        StoreConfig.build(root=str(root), additional_artifact_stores=[str(tmp_path / "alias")])


def test_a_sibling_with_a_common_prefix_is_not_inside_the_root(tmp_path: Path) -> None:
    config = StoreConfig.build(root=str(tmp_path / "root"), additional_artifact_stores=[str(tmp_path / "root2")])
    assert config.additional_artifact_stores == (tmp_path / "root2",)


@pytest.mark.parametrize("arrange", ["missing", "empty directory", "a file", "no index.json", "unreadable index.json"])
def test_a_store_that_cannot_be_opened_is_skipped_with_a_warning_and_not_created(tmp_path: Path, arrange: str) -> None:
    bad = tmp_path / "bad-store"
    if arrange == "empty directory":
        bad.mkdir()
    elif arrange == "a file":
        bad.write_text("not a store")
    elif arrange == "no index.json":
        (bad / "artifacts" / "blobs").mkdir(parents=True)
    elif arrange == "unreadable index.json":  # root ignores permission bits; a directory cannot be read
        (bad / "artifacts" / "index.json").mkdir(parents=True)
    good = tmp_path / "good-store"
    entry = offline_artifact()
    write_layout(good, ("registry.example/models/llm:v1", entry))
    before = fingerprint(tmp_path / "bad-store"), os.path.lexists(bad)

    store = make_store(tmp_path, [bad, good])

    assert any(str(bad) in w and "skipped" in w for w in store.warnings.all()), store.warnings.all()
    assert [r.id for r in store.list()] == [entry.id]  # the other store keeps working
    assert store.status("registry.example/models/llm:v1").store == str(good / "artifacts")
    assert (fingerprint(bad), os.path.lexists(bad)) == before  # nothing created, at start-up or later


def test_a_store_created_after_start_up_is_served(tmp_path: Path) -> None:
    late = tmp_path / "late"
    store = make_store(tmp_path, [late])
    assert store.list() == []
    entry = offline_artifact()
    write_layout(late, ("registry.example/models/late:v1", entry))
    assert store.status("registry.example/models/late:v1").id == entry.id


def test_the_main_store_is_created_as_an_empty_layout(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    main = tmp_path / "root" / "artifacts"
    assert (main / "oci-layout").is_file()
    assert (main / "index.json").is_file()
    assert (main / "blobs" / "sha256").is_dir()
    assert store.list() == []
    assert str(main) == str(store.main.directory)
