"""simulator/store_reads.py: a read-only store's reads, given up when they stop making progress."""

from __future__ import annotations

import threading
import time

import pytest

from artifact_conformance.simulator.errors import StoreUnavailableError
from artifact_conformance.simulator.store_reads import RECHECK_S, GuardedReads, progress_made

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


def test_a_stalled_read_is_given_up_and_later_calls_skip_the_store_until_it_answers(release):
    guard, released = GuardedReads("store /srv/models", STALL_S), release
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="store /srv/models: does not answer"):
        guard.run(released.wait)
    assert STALL_S <= time.monotonic() - started < STALL_S + 0.5
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        guard.run(lambda: "never asked")
    assert time.monotonic() - started < RECHECK_S + 0.2, "a store still stalled is skipped without waiting out a stall"
    released.set()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            assert guard.run(lambda: "answered") == "answered"
            return
        except StoreUnavailableError:
            time.sleep(0.05)
    raise AssertionError("the store was not read again once its stalled read ended")


def test_a_read_blocked_when_the_file_system_answers_again_does_not_make_the_next_call_skip_the_store(release):
    guard, released = GuardedReads("store", STALL_S), release

    def blocked_then_slow_to_wake() -> None:
        released.wait()
        time.sleep(RECHECK_S / 4)  # the thread is scheduled a moment after the file system answered
        progress_made()

    with pytest.raises(StoreUnavailableError):
        guard.run(blocked_then_slow_to_wake)
    released.set()
    assert guard.run(lambda: "served") == "served", "the call right after the store answered again skipped it"


def test_a_slow_read_that_keeps_making_progress_is_not_given_up():
    def slow():
        for _ in range(6):
            time.sleep(STALL_S / 2)
            progress_made()
        return "done"
    assert GuardedReads("store", STALL_S).run(slow) == "done"


def test_parts_read_in_parallel_count_as_the_callers_progress():
    guard, seen = GuardedReads("store", STALL_S), []

    def part(n: int) -> None:
        time.sleep(STALL_S / 2)
        progress_made()
        seen.append(n)

    def whole() -> int:
        for batch in range(4):  # each batch takes longer than STALL_S/2, all of them longer than STALL_S
            guard.map(part, range(batch * 8, batch * 8 + 8))
        return len(seen)

    assert guard.run(whole) == 32
