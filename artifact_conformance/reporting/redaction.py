"""Keeping secrets out of results and reports.

Settings whose names contain password, token or secret are replaced before
they are written, and so are passwords in URLs and in command-line arguments.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***"
SECRET_NAME = re.compile(r"password|passwd|token|secret", re.IGNORECASE)
URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]*)@", re.IGNORECASE)


def redact(value: Any, key: str | None = None) -> Any:
    """Replace values whose key names a secret; hide passwords in URLs and
    in ``--name=value`` / ``KEY=VALUE`` / ``--name value`` arguments."""
    if key is not None and SECRET_NAME.search(key) and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [redact(v) for v in value]
        for i, item in enumerate(items[:-1]):
            # "--registry-password VALUE": the value is the next argument.
            if isinstance(item, str) and item.startswith("-") and "=" not in item and SECRET_NAME.search(item):
                items[i + 1] = REDACTED
        return items
    if isinstance(value, str):
        text = URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", value)
        name, sep, rest = text.partition("=")
        if sep and SECRET_NAME.search(name):
            return f"{name}={REDACTED}"
        if sep and rest and "=" in rest and SECRET_NAME.search(rest.partition("=")[0]):
            # --sut-option=token=abc
            return f"{name}={rest.partition('=')[0]}={REDACTED}"
        return text
    return value
