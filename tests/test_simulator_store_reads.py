"""simulator/store_reads.py: a read-only store's reads, given up when its file system stops answering."""

from __future__ import annotations

import threading
import time

import pytest

from artifact_conformance.simulator.errors import StoreUnavailableError
from artifact_conformance.simulator.store_reads import RECHECK_S, GuardedReads, in_file_system

STALL_S = 0.3


@pytest.fixture
def release():
    """The event a stalled read waits for, set in the end whatever happened (a thread left blocked
    would keep the interpreter from exiting: concurrent.futures joins its threads at exit)."""
    event = threading.Event()
    yield event
    event.set()


def test_a_read_that_answers_returns_its_value():
    assert GuardedReads("store", STALL_S).run(lambda a, b: a + b, 1, 2) == 3


def test_a_read_errors_are_the_callers():
    def failing():
        raise OSError("EIO")
    with pytest.raises(OSError, match="EIO"):
        GuardedReads("store", STALL_S).run(failing)


def _blocked_in_file_system(event: threading.Event):
    """A read whose file-system call does not return until ``event`` is set."""
    def read():
        with in_file_system():
            event.wait()
        return "answered late"
    return read


def test_a_stalled_read_is_given_up_and_later_calls_skip_the_store_until_it_answers(release):
    guard, released = GuardedReads("store /srv/models", STALL_S), release
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="store /srv/models: does not answer"):
        guard.run(_blocked_in_file_system(released))
    assert STALL_S <= time.monotonic() - started < STALL_S + 0.5
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        guard.run(lambda: "never asked")
    assert time.monotonic() - started < RECHECK_S + 0.2, "a store still stalled is skipped without waiting out a stall"
    released.set()
    assert guard.run(lambda: "answered") == "answered", "the store was not read again once its file system answered"


def test_a_read_blocked_when_the_file_system_answers_again_does_not_make_the_next_call_skip_the_store(release):
    guard, released = GuardedReads("store", STALL_S), release

    def blocked_then_slow_to_wake() -> None:
        with in_file_system():
            released.wait()
            time.sleep(RECHECK_S / 4)  # the thread is scheduled a moment after the file system answered

    with pytest.raises(StoreUnavailableError):
        guard.run(blocked_then_slow_to_wake)
    released.set()
    assert guard.run(lambda: "served") == "served", "the call right after the store answered again skipped it"


def test_a_slow_store_that_keeps_answering_is_not_given_up():
    def slow():
        for _ in range(6):
            with in_file_system():
                time.sleep(STALL_S / 2)
        return "done"
    assert GuardedReads("store", STALL_S).run(slow) == "done"


def test_work_that_does_not_wait_on_the_file_system_is_never_taken_for_a_stall():
    def parse_a_huge_index():
        with in_file_system():
            pass  # the read
        time.sleep(STALL_S * 3)  # the parse: busy, not blocked in the file system
        return "parsed"
    assert GuardedReads("store", STALL_S).run(parse_a_huge_index) == "parsed"


def test_parts_read_in_parallel_are_the_callers_file_system_waits(release):
    guard = GuardedReads("store", STALL_S)

    def part(n: int) -> None:
        if n == 5:
            with in_file_system():
                release.wait()

    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        guard.run(lambda: guard.map(part, range(8)))
    assert time.monotonic() - started < STALL_S + 0.5, "a part blocked in the file system stalls its whole read"
