"""Reads of one read-only store, off the caller's thread, given up when the file system stops answering.

A store on a network file system can stall: on a dead server with a hard
mount, every stat and read blocks until the server is back, and the blocked
thread cannot be interrupted. A runtime that reads its stores on the thread
of a CRI call then hangs kubelet's calls for every image on the node, not
only the models of that store (docs/contract.md, ``faults.store-stall``).

So each read-only store's reads run on a small pool of threads of its own,
and every call into the store's file system (a stat, an open and read, a
chunk of a blob being hashed) is marked (``in_file_system``). A call that
has waited on the file system for ``STALL_AFTER_S`` seconds means the store
is stalled: the reads waiting for it are given up (``StoreUnavailableError``;
the layered store skips the store and warns), and while that call is still
blocked, later calls skip the store within ``RECHECK_S`` instead of queueing
behind it. When the file system answers, the blocked read finishes, and the
store is read anew on the next call. Work that does not wait on the file
system (parsing an index of 100,000 names) is never taken for a stall, and
neither is a slow store that keeps answering (a remote export with 20 ms per
operation), however long a cold read takes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from .errors import StoreUnavailableError

T = TypeVar("T")
# Blocked in one file-system call this long: the store is taken as stalled. A local disk answers in
# microseconds, a remote export in milliseconds; NFS itself retries a request after 60 s (timeo=600) on TCP.
STALL_AFTER_S = 2.0
# While a read of the store is stalled, a call waits this long for it to end or move before skipping the store.
RECHECK_S = 0.2
POLL_S = 0.01
# Concurrent reads of one store (calls of several pods at once, a cold read's manifests).
THREADS_PER_STORE = 8

_current = threading.local()


class Waits:
    """The file-system calls one read (and its parts, on other threads) is blocked in, and since when."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: dict[int, float] = {}  # thread -> when its current file-system call began

    def enter(self) -> None:
        with self._lock:
            self._since[threading.get_ident()] = time.monotonic()

    def leave(self) -> None:
        with self._lock:
            self._since.pop(threading.get_ident(), None)

    def blocked_s(self) -> float:
        """How long the oldest file-system call in progress has waited (0 when none is)."""
        with self._lock:
            oldest = min(self._since.values(), default=None)
        return 0.0 if oldest is None else time.monotonic() - oldest


@contextlib.contextmanager
def in_file_system() -> Iterator[None]:
    """Marks a call into the store's file system on this thread (a no-op outside a guarded read)."""
    waits = getattr(_current, "waits", None)
    if waits is None:
        yield
        return
    waits.enter()
    try:
        yield
    finally:
        waits.leave()


class WithFileSystemWaits:
    """A file whose every read is a marked file-system call (a large blob verified over a slow link)."""

    def __init__(self, file) -> None:
        self.file = file

    def read(self, size: int = -1) -> bytes:
        with in_file_system():
            return self.file.read(size)


class GuardedReads:
    """The reads of one store, each on the store's own threads, given up when the store stalls."""

    def __init__(self, label: str, stall_after_s: float = STALL_AFTER_S) -> None:
        self.label = label
        self.stall_after_s = stall_after_s
        self._pool = ThreadPoolExecutor(THREADS_PER_STORE, thread_name_prefix=f"reads of {label}")
        # A pool of its own: reads waiting for their parts must not hold the threads the parts need.
        self._parts = ThreadPoolExecutor(THREADS_PER_STORE, thread_name_prefix=f"parts of {label}")
        self._lock = threading.Lock()
        self._running: dict[Future, Waits] = {}

    def run(self, read: Callable[..., T], *args) -> T:
        """``read(*args)`` on the store's threads; StoreUnavailableError when the store stalls (this
        read, or another one of the store, blocked in its file system for ``stall_after_s``)."""
        if self._still_stalled():
            raise self._unavailable()
        waits = Waits()
        with self._lock:
            future = self._pool.submit(self._in_thread, waits, read, *args)
            self._running[future] = waits
        future.add_done_callback(self._forget)
        while True:
            try:
                return future.result(timeout=POLL_S * 10)
            except FutureTimeout:
                if self._stalled():
                    raise self._unavailable() from None

    def map(self, read: Callable[[T], object], items: Iterable[T]) -> None:
        """``read`` of each item, in parallel on the store's threads, from inside a guarded read
        (a cold store's manifests): their file-system waits are the calling read's."""
        waits = getattr(_current, "waits", None) or Waits()
        for future in [self._parts.submit(self._in_thread, waits, read, item) for item in items]:
            future.exception()  # errors are the caller's to meet again when it reads the item itself

    def _stalled(self) -> bool:
        with self._lock:
            return any(not f.done() and w.blocked_s() >= self.stall_after_s for f, w in self._running.items())

    def _still_stalled(self) -> bool:
        """Whether a read of the store is still stalled, given it ``RECHECK_S`` to show otherwise: a
        file system that has just answered again wakes its blocked read a moment after the next call."""
        deadline = time.monotonic() + RECHECK_S
        while self._stalled():
            if time.monotonic() >= deadline:
                return True
            time.sleep(POLL_S)
        return False

    def _unavailable(self) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"{self.label}: does not answer (a file-system call blocked for {self.stall_after_s:g} s; "
            "a stalled file system?)")

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._running.pop(future, None)

    @staticmethod
    def _in_thread(waits: Waits, read: Callable[..., T], *args) -> T:
        _current.waits = waits
        try:
            return read(*args)
        finally:
            _current.waits = None
