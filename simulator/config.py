"""Configuration of the reference store, read from a CRI-O style TOML file.

Only the keys the feature uses are read::

    [crio]
    root = "/var/lib/containers/storage"
    [crio.runtime]
    additional_artifact_stores = ["/mnt/models", "/mnt/datasets"]
    [crio.image]
    pinned_images = ["registry.example/models/*"]
    insecure_registries = ["127.0.0.1:5000"]
    global_auth_file = "/etc/crio/auth.json"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

STORE_PATH_MAX = 256
STORE_PATH_CHARS = re.compile(r"/[a-zA-Z0-9/._-]*")  # use fullmatch: "$" accepts a trailing newline
ARTIFACTS_DIR = "artifacts"


@dataclass(frozen=True)
class StoreConfig:
    root: Path
    additional_artifact_stores: tuple[Path, ...] = ()
    pinned_images: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    global_auth_file: Path | None = None
    # Where each store's layout lives under its configured path (CRI-O: "artifacts").
    artifacts_subdir: str = ARTIFACTS_DIR
    source: str = field(default="<in memory>", compare=False)

    @property
    def main_store_dir(self) -> Path:
        return self.root / self.artifacts_subdir

    def store_dir(self, path: Path) -> Path:
        return path / self.artifacts_subdir

    @classmethod
    def build(
        cls,
        root: str | os.PathLike,
        additional_artifact_stores: list[str] | tuple[str, ...] = (),
        pinned_images: list[str] | tuple[str, ...] = (),
        insecure_registries: list[str] | tuple[str, ...] = (),
        global_auth_file: str | None = None,
        source: str = "<in memory>",
    ) -> "StoreConfig":
        """Validate raw values and build a config; raise ConfigError naming what is wrong."""
        root_text = os.fspath(root)
        if not root_text or not os.path.isabs(root_text):
            raise ConfigError(f"{source}: root {root_text!r} must be a non-empty absolute path")
        root_path = Path(os.path.normpath(root_text))
        stores = tuple(validate_store_path(p, root_path, source) for p in additional_artifact_stores)
        for pattern in pinned_images:
            if not isinstance(pattern, str) or not pattern:
                raise ConfigError(f"{source}: pinned_images entry {pattern!r} must be a non-empty string")
        return cls(
            root=root_path,
            additional_artifact_stores=stores,
            pinned_images=tuple(pinned_images),
            insecure_registries=tuple(insecure_registries),
            global_auth_file=Path(global_auth_file) if global_auth_file else None,
            source=source,
        )

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> "StoreConfig":
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except OSError as e:
            raise ConfigError(f"cannot read configuration {os.fspath(path)!r}: {e.strerror}") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"configuration {os.fspath(path)!r} is not valid TOML: {e}") from e
        crio = _table(data, "crio", path)
        runtime = _table(crio, "runtime", path)
        image = _table(crio, "image", path)
        return cls.build(
            root=_string(crio, "root", path, "/var/lib/containers/storage"),
            additional_artifact_stores=_strings(runtime, "additional_artifact_stores", path),
            pinned_images=_strings(image, "pinned_images", path),
            insecure_registries=_strings(image, "insecure_registries", path),
            global_auth_file=_string(image, "global_auth_file", path, "") or None,
            source=os.fspath(path),
        )


def validate_store_path(raw: object, root: Path, source: str = "<in memory>") -> Path:
    """Check one additional store path against every rule of the contract.

    Required: non-empty and absolute; not the main root, inside it or containing it.
    Stricter (optional level, implemented here too): at most 256 characters,
    only ``[a-zA-Z0-9/._-]``, no ``//``, no ``..`` component.
    """
    if not isinstance(raw, str):
        raise ConfigError(f"{source}: additional artifact store {raw!r} must be a string path")
    what = f"{source}: additional artifact store path {raw!r}"
    if not raw:
        raise ConfigError(f"{what} is empty; each store must be an absolute path")
    if not raw.startswith("/"):
        raise ConfigError(f"{what} is not absolute")
    if len(raw) > STORE_PATH_MAX:
        raise ConfigError(f"{what} is {len(raw)} characters long; at most {STORE_PATH_MAX} allowed")
    if not STORE_PATH_CHARS.fullmatch(raw):
        raise ConfigError(f"{what} contains characters outside [a-zA-Z0-9/._-]")
    if "//" in raw:
        raise ConfigError(f"{what} contains '//'")
    if ".." in raw.split("/"):
        raise ConfigError(f"{what} contains a '..' component")
    path = Path(os.path.normpath(raw))
    # Compare both as written and with symlinks resolved: a link to the root is the root.
    for candidate, main in ((path, root), (Path(os.path.realpath(path)), Path(os.path.realpath(root)))):
        if candidate == main:
            raise ConfigError(f"{what} is the main store's root {str(root)!r}; the main store cannot be an additional store")
        if main in candidate.parents:
            raise ConfigError(f"{what} is inside the main store's root {str(root)!r}")
        if candidate in main.parents:
            raise ConfigError(f"{what} contains the main store's root {str(root)!r}")
    return path


def _table(data: dict, key: str, path) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"configuration {os.fspath(path)!r}: [{key}] must be a table")
    return value


def _string(table: dict, key: str, path, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"configuration {os.fspath(path)!r}: {key} must be a string, got {value!r}")
    return value


def _strings(table: dict, key: str, path) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"configuration {os.fspath(path)!r}: {key} must be a list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"configuration {os.fspath(path)!r}: {key} entry {item!r} must be a string")
    return value
