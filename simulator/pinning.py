"""``pinned_images`` patterns, as CRI-O matches them (case-insensitive).

``*word*`` matches anywhere, ``prefix*`` matches a prefix, anything else must
equal the whole string.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PinPattern:
    pattern: str

    def matches(self, text: str) -> bool:
        pattern, text = self.pattern.lower(), text.lower()
        if len(pattern) >= 2 and pattern.startswith("*") and pattern.endswith("*"):
            return pattern[1:-1] in text
        if pattern == "*":
            return True
        if pattern.endswith("*"):
            return text.startswith(pattern[:-1])
        return text == pattern


class PinnedImages:
    def __init__(self, patterns: list[str] | tuple[str, ...] = ()):
        self.patterns = tuple(PinPattern(p) for p in patterns)

    def matches_any(self, *candidates: str | None) -> bool:
        return any(p.matches(c) for p in self.patterns for c in candidates if c)
