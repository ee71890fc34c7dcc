"""A generated section of a document, kept between two marker lines.

The Markdown tables that are made from data (CRI-O's divergences in
docs/real-runtimes.md, the options in README.md) live between a begin and an
end marker, so a command can rewrite them and a test can compare them."""

from __future__ import annotations


def replace_marked(document: str, begin: str, end: str, text: str) -> str:
    """``document`` with what lies between ``begin`` and ``end`` replaced by ``text``."""
    if begin not in document or end not in document:
        raise ValueError(f"the document has no markers {begin!r} ... {end!r}")
    head, rest = document.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{text}\n{end}{tail}"
