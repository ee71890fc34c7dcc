"""Warnings the store gives while it keeps working (a store skipped, an entry hidden)."""

from __future__ import annotations

import logging
import threading
from collections import deque

log = logging.getLogger("artifact_conformance.simulator")


class WarningLog:
    """Logged once per distinct message in a row, and kept for callers to read."""

    def __init__(self, keep: int = 1000):
        self._messages: deque[str] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def warn(self, message: str) -> None:
        with self._lock:
            if message in self._messages:
                return
            self._messages.append(message)
        log.warning(message)

    def all(self) -> list[str]:
        with self._lock:
            return list(self._messages)

    def matching(self, text: str) -> list[str]:
        return [m for m in self.all() if text in m]
