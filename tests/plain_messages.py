"""What a message a person reads must not contain: the text of a Python exception."""

from __future__ import annotations

import re

# Fragments that only appear when an exception's own text leaks through: urllib3's and
# requests' wrappers, errno tuples, OpenSSL's bracketed reasons, reprs, tracebacks.
EXCEPTION_TEXT = re.compile(
    r"ConnectionPool\(|Max retries exceeded|Caused by|NewConnectionError|\[Errno \d+\]|\[SSL: |_ssl\.c|"
    r"Traceback \(most recent call last\)|object at 0x|\b[A-Z][A-Za-z]*(Error|Exception)\(|read timeout=|"
    r"HTTPConnection|urllib3|requests\.exceptions"
)


def assert_plain(text: str) -> None:
    found = EXCEPTION_TEXT.search(text)
    assert found is None, f"exception text {found.group(0)!r} reaches a person:\n{text}"
