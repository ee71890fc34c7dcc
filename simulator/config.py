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
    pull_progress_timeout = "10s"

``pull_progress_timeout`` is CRI-O's knob (a Go duration): a pull that makes no
progress for that long is given up. CRI-O reads "0s" as "never time out"; the
reference store never waits forever, so 0 (the default) means its built-in
read timeout, 60 s (``registry_client.TIMEOUT``).
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .store_reads import STALL_AFTER_S

STORE_PATH_MAX = 256
# Go's time.ParseDuration units, in seconds.
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
STORE_PATH_CHARS = re.compile(r"/[a-zA-Z0-9/._-]*")  # use fullmatch: "$" accepts a trailing newline
ARTIFACTS_DIR = "artifacts"


@dataclass(frozen=True)
class StoreConfig:
    root: Path
    additional_artifact_stores: tuple[Path, ...] = ()
    pinned_images: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    global_auth_file: Path | None = None
    # Seconds without progress after which a pull is given up; 0: the built-in default.
    pull_progress_timeout: float = 0.0
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
        pull_progress_timeout: float | str = 0.0,
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
            pull_progress_timeout=_timeout(pull_progress_timeout, source),
            source=source,
        )

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> "StoreConfig":
        crio, runtime, image = load_crio_tables(path)
        return cls.build(
            root=_string(crio, "root", path, "/var/lib/containers/storage"),
            additional_artifact_stores=string_list(runtime, "additional_artifact_stores", path),
            pinned_images=string_list(image, "pinned_images", path),
            insecure_registries=string_list(image, "insecure_registries", path),
            global_auth_file=_string(image, "global_auth_file", path, "") or None,
            pull_progress_timeout=_string(image, "pull_progress_timeout", path, "0s"),
            source=os.fspath(path),
        )


def load_crio_tables(path: str | os.PathLike) -> tuple[dict, dict, dict]:
    """The ``[crio]``, ``[crio.runtime]`` and ``[crio.image]`` tables of a CRI-O
    TOML file (empty where absent); ConfigError names the file and what is wrong."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        raise ConfigError(f"cannot read configuration {os.fspath(path)!r}: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"configuration {os.fspath(path)!r} is not valid TOML: {e}") from e
    crio = _table(data, "crio", path)
    return crio, _table(crio, "runtime", path), _table(crio, "image", path)


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
    for candidate, main in ((path, root), (_resolved(path), Path(os.path.realpath(root)))):
        if candidate == main:
            raise ConfigError(f"{what} is the main store's root {str(root)!r}; the main store cannot be an additional store")
        if main in candidate.parents:
            raise ConfigError(f"{what} is inside the main store's root {str(root)!r}")
        if candidate in main.parents:
            raise ConfigError(f"{what} contains the main store's root {str(root)!r}")
    return path


def _resolved(path: Path) -> Path:
    """``path`` with symbolic links resolved, without hanging on a stalled file system mounted at
    ``path`` itself (``realpath`` stats every component; on a dead hard-mounted export the last stat
    blocks): a path whose stat does not answer is a mount point, so no link, and only its parent
    needs resolving."""
    answered = threading.Event()
    threading.Thread(target=lambda: (os.path.lexists(path), answered.set()), daemon=True,
                     name=f"stat {path}").start()
    if answered.wait(STALL_AFTER_S):
        return Path(os.path.realpath(path))
    return Path(os.path.realpath(path.parent)) / path.name


def parse_duration(text: str) -> float:
    """A Go duration ("1m30s", "500ms", "0") in seconds; ValueError when it is not one."""
    if text == "0":
        return 0.0
    position, total = 0, 0.0
    while position < len(text):
        match = _DURATION_PART.match(text, position)
        if not match or match[1] in ("", "."):
            raise ValueError(f"{text!r} is not a duration like \"10s\", \"1m30s\" or \"500ms\"")
        total += float(match[1]) * _DURATION_UNITS[match[2]]
        position = match.end()
    if not text:
        raise ValueError("an empty string is not a duration")
    return total


def _timeout(value: float | str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{source}: pull_progress_timeout {value!r} must be a duration such as \"10s\"")
    try:
        seconds = parse_duration(value) if isinstance(value, str) else float(value)
    except ValueError as e:
        raise ConfigError(f"{source}: pull_progress_timeout: {e}") from e
    if not 0 <= seconds < float("inf"):
        raise ConfigError(f"{source}: pull_progress_timeout {value!r} must not be negative")
    return seconds


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


def string_list(table: dict, key: str, path) -> list[str]:
    """``table[key]`` as a list of strings (empty when absent); ConfigError otherwise."""
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"configuration {os.fspath(path)!r}: {key} must be a list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, str):
            raise ConfigError(f"configuration {os.fspath(path)!r}: {key} entry {item!r} must be a string")
    return value
