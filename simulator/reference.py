"""Fully qualified OCI references, after the grammar of distribution/reference.

A string is a *name* only when it is fully qualified: its first path component
is a registry host (it holds a ``.`` or a ``:``, or is ``localhost``). Anything
else (``llm:v2``, ``unknown``, a hex prefix) is not normalised to Docker Hub:
the look-up treats it as an ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .digests import parse_digest
from .errors import InvalidReferenceError

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"  # Go's \w: ASCII only
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

# Used with fullmatch: "$" would also accept a trailing newline.
_REFERENCE = re.compile(
    rf"(?P<domain>{_DOMAIN})/(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
    re.ASCII,
)
NAME_TOTAL_LENGTH_MAX = 255
DEFAULT_TAG = "latest"


@dataclass(frozen=True)
class Reference:
    """A parsed, fully qualified reference: exactly one of tag or digest is set."""

    repository: str  # domain/path
    tag: str | None = None
    digest: str | None = None

    @property
    def domain(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def path(self) -> str:
        return self.repository.split("/", 1)[1]

    def __str__(self) -> str:
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}"


def _looks_like_domain(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost"


def try_parse(text: str) -> Reference | None:
    """Parse a fully qualified reference, or return None if ``text`` is not a name.

    A name carrying both a tag and a digest is an error, not "not a name".
    A name with neither means ``:latest``.
    """
    first, slash, _ = text.partition("/")
    if not slash or not _looks_like_domain(first):
        return None
    match = _REFERENCE.fullmatch(text)
    if not match:
        return None
    repository = f"{match['domain']}/{match['path']}"
    if len(repository) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReferenceError(
            f"reference {text!r}: repository name is {len(repository)} characters, at most {NAME_TOTAL_LENGTH_MAX} allowed"
        )
    tag, digest = match["tag"], match["digest"]
    if tag and digest:
        raise InvalidReferenceError(
            f"reference {text!r} has both a tag and a digest; use either name:tag or name@sha256:<hex>"
        )
    if digest:
        parse_digest(digest)
        return Reference(repository, None, digest)
    return Reference(repository, tag or DEFAULT_TAG, None)


def parse(text: str) -> Reference:
    """Parse a fully qualified reference or raise an error naming ``text``."""
    ref = try_parse(text)
    if ref is None:
        raise InvalidReferenceError(
            f"{text!r} is not a fully qualified reference (expected registry.example[:port]/repository[:tag|@sha256:<hex>])"
        )
    return ref


def parse_ref_name(annotation: str | None) -> Reference | None:
    """Read an ``org.opencontainers.image.ref.name`` annotation from a store.

    Bare tags (``v1``, as skopeo and ORAS write them) and anything malformed give
    None: the artifact is then unnamed, never dropped.
    """
    if not annotation:
        return None
    try:
        ref = try_parse(annotation)
    except Exception:
        return None
    if ref is None or str(ref) != annotation:
        return None  # e.g. a name without tag: not the exact ref name a runtime writes
    return ref
