"""An image volume's sub-path (CRI ``Mount.image_sub_path``, KEP-4639).

A volume mount's ``subPath`` selects the part of an artifact below one
directory of its layer names: ``weights`` mounts ``weights/a.bin`` as
``a.bin`` and leaves ``config.json`` out. The reference follows CRI-O f954a17e
(``server/container_create_linux.go``, ``FilterMountPathsBySubPath``): an empty
sub-path or ``.`` selects everything, a sub-path no name lies below is refused.
It also refuses, before looking, a sub-path that is absolute or climbs with
``..`` (kubelet's ``makeMounts`` refuses both before it calls the runtime; the
runtime must not rely on that, docs/contract.md ``mount.sub-path``).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Sequence

from .errors import InvalidReferenceError, NotFoundError
from .records import MountPath


def select(mounts: Sequence[MountPath], sub_path: str, what: str) -> list[MountPath]:
    """The mounts below ``sub_path``, named relative to it."""
    if sub_path in ("", "."):
        return list(mounts)
    if sub_path.startswith("/") or ".." in sub_path.split("/") or "\x00" in sub_path:
        raise InvalidReferenceError(f"{what}: sub path {sub_path!r} leaves the artifact (absolute, '..' or NUL)")
    prefix = posixpath.normpath(sub_path) + "/"
    below = [m for m in mounts if m.name.startswith(prefix)]
    if not below:
        raise NotFoundError(f"{what}: sub path {sub_path!r} does not exist in the artifact "
                            f"(its files: {', '.join(sorted(m.name for m in mounts)) or 'none'})")
    return [dataclasses.replace(m, name=m.name[len(prefix):]) for m in below]
