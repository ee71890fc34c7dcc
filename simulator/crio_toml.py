"""CRI-O style TOML: the one writer of the keys the suite configures.

``config.py`` reads these keys; this writes them, so that what the suite hands
to a runtime (a launched ``--cri-launch`` command, a scratch CRI-O's drop-in,
the reference store's command line, a test's serve-cri) is produced in one
way, by tomli-w (every string escaped as TOML wants it)::

    [crio]
    root = "..."                              # root
    [crio.runtime]
    additional_artifact_stores = ["..."]      # stores
    [crio.image]
    pinned_images = ["..."]                   # pinned
    insecure_registries = ["..."]             # insecure
    global_auth_file = "..."                  # auth_file
    pull_progress_timeout = "1.5s"            # pull_progress_timeout (seconds, or a Go duration)

A key whose argument is None is left out (the runtime's default applies); a
list that is given is written, empty or not. A table with no key is left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import tomli_w

Path = str | os.PathLike


def crio_toml(root: Path | None = None, *, stores: Iterable[Path] | None = None, pinned: Iterable[str] | None = None,
              insecure: Iterable[str] | None = None, auth_file: Path | None = None,
              pull_progress_timeout: float | str | None = None, comments: Sequence[str] = ()) -> str:
    """The given keys as a CRI-O configuration (``comments`` become ``#`` lines at its top).

    ``pull_progress_timeout`` in seconds is written as a Go duration ("1.5s");
    0 leaves the runtime's default, as None does; a string is written as given."""
    crio: dict = {}
    if root is not None:
        crio["root"] = os.fspath(root)
    runtime = {"additional_artifact_stores": [os.fspath(p) for p in stores]} if stores is not None else {}
    image: dict = {}
    if pinned is not None:
        image["pinned_images"] = list(pinned)
    if insecure is not None:
        image["insecure_registries"] = list(insecure)
    if auth_file is not None:
        image["global_auth_file"] = os.fspath(auth_file)
    if isinstance(pull_progress_timeout, str):
        image["pull_progress_timeout"] = pull_progress_timeout
    elif pull_progress_timeout:
        image["pull_progress_timeout"] = f"{pull_progress_timeout:g}s"  # a Go duration, as CRI-O parses it
    if runtime:
        crio["runtime"] = runtime
    if image:
        crio["image"] = image
    header = "".join(f"# {line}\n" for line in comments)
    return header + tomli_w.dumps({"crio": crio})
