"""Reads of one read-only store, off the caller's thread, given up when they stop making progress.

A store on a network file system can stall: on a dead server with a hard
mount, every stat and read blocks until the server is back, and the blocked
thread cannot be interrupted. A runtime that reads its stores on the thread
of a CRI call then hangs kubelet's calls for every image on the node, not
only the models of that store (docs/contract.md, ``faults.store-stall``).

So each read-only store's reads run on a small pool of threads of its own,
and the caller waits for *progress*, not for the whole read: every file read
or stat of the store, and every chunk of a blob being verified, counts
(``progress_made``). A read that makes none for ``STALL_AFTER_S`` seconds
is given up: the caller gets ``StoreUnavailableError`` (the layered store
skips the store and warns), and while that read is still blocked, later
calls skip the store within ``RECHECK_S`` (0.2 s) instead of queueing
behind it. When the file
system answers again, the blocked read finishes, and the store is read anew
on the next call. A slow store that keeps answering (a remote export with
20 ms per operation) is never given up, however long a cold read takes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from .errors import StoreUnavailableError

T = TypeVar("T")
# No progress for this long: the store is taken as stalled. A local disk answers in microseconds, a
# remote export in milliseconds; NFS itself retries a request after 60 s (timeo=600) on TCP.
STALL_AFTER_S = 2.0
# While a read of the store is stalled, a call waits this long for it to end or move before skipping the store.
RECHECK_S = 0.2
RECHECK_POLL_S = 0.01
# Concurrent reads of one store (calls of several pods at once, a cold read's manifests).
THREADS_PER_STORE = 8

_current = threading.local()


class Progress:
    """When the read it belongs to last got an answer from the file system."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()

    def idle_s(self) -> float:
        return time.monotonic() - self.last


def progress_made() -> None:
    """The file system answered the read running on this thread (a no-op outside a guarded read)."""
    progress = getattr(_current, "progress", None)
    if progress is not None:
        progress.touch()


class WithProgress:
    """A file whose every read counts as progress (a large blob verified over a slow link)."""

    def __init__(self, file) -> None:
        self.file = file

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        progress_made()
        return data


class GuardedReads:
    """The reads of one store, each on the store's own threads, with a stall deadline."""

    def __init__(self, label: str, stall_after_s: float = STALL_AFTER_S) -> None:
        self.label = label
        self.stall_after_s = stall_after_s
        self._pool = ThreadPoolExecutor(THREADS_PER_STORE, thread_name_prefix=f"reads of {label}")
        # A pool of its own: reads waiting for their parts must not hold the threads the parts need.
        self._parts = ThreadPoolExecutor(THREADS_PER_STORE, thread_name_prefix=f"parts of {label}")
        self._lock = threading.Lock()
        self._running: dict[Future, Progress] = {}

    def run(self, read: Callable[..., T], *args) -> T:
        """``read(*args)`` on the store's threads; StoreUnavailableError when it stalls, or when
        an earlier read of the store is still stalled."""
        if self._still_stalled():
            raise self._unavailable()
        with self._lock:
            progress = Progress()
            future = self._pool.submit(self._in_thread, progress, read, *args)
            self._running[future] = progress
        future.add_done_callback(self._forget)
        while True:
            try:
                return future.result(timeout=max(0.0, self.stall_after_s - progress.idle_s()))
            except FutureTimeout:
                if progress.idle_s() >= self.stall_after_s:
                    raise self._unavailable() from None

    def map(self, read: Callable[[T], object], items: Iterable[T]) -> None:
        """``read`` of each item, in parallel on the store's threads, from inside a guarded read
        (a cold store's manifests): their progress is the calling read's."""
        progress = getattr(_current, "progress", None) or Progress()
        for future in [self._parts.submit(self._in_thread, progress, read, item) for item in items]:
            future.exception()  # errors are the caller's to meet again when it reads the item itself

    def _still_stalled(self) -> bool:
        """Whether an earlier read of the store is still stalled, given it ``RECHECK_S`` to show
        otherwise: a file system that has just answered again wakes its blocked read, which then
        makes progress or ends, a moment after the call that follows."""
        deadline = time.monotonic() + RECHECK_S
        while True:
            with self._lock:
                stalled = any(not f.done() and p.idle_s() >= self.stall_after_s for f, p in self._running.items())
            if not stalled or time.monotonic() >= deadline:
                return stalled
            time.sleep(RECHECK_POLL_S)

    def _unavailable(self) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"{self.label}: does not answer (a read made no progress for {self.stall_after_s:g} s; "
            "a stalled file system?)")

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._running.pop(future, None)

    @staticmethod
    def _in_thread(progress: Progress, read: Callable[..., T], *args) -> T:
        _current.progress = progress
        try:
            return read(*args)
        finally:
            _current.progress = None
