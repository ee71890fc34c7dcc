"""Reading CRI-O's goroutine dumps: where each CRI call in flight waits, and where start-up is stuck.

The two dumps in tests/data/crio-goroutines/ are CRI-O f954a17e's own, taken by
the harness while a read-only store's FUSE export stalled: one by SIGUSR1 while
ImageStatus hung (``writeCrioGoroutineStacks``), one by SIGQUIT while CRI-O was
still starting (the Go runtime's crash dump, whose headers carry gp=/m= fields).
"""

from __future__ import annotations

from pathlib import Path

from artifact_conformance.fixtures.adapters.crio_stacks import calls_in_flight, main_goroutine

DUMPS = Path(__file__).parent / "data" / "crio-goroutines"


def test_a_call_in_flight_is_named_with_the_frames_it_waits_in():
    calls = calls_in_flight(DUMPS / "sigusr1-image-status-stalled.log")
    assert calls == ["ImageStatus [syscall] in rawfilelock.openHandle <- rawfilelock.OpenLock <- lockfile.openLock "
                     "<- lockfile.(*LockFile).lock <- lockfile.(*LockFile).RLock <- libartifact.ArtifactStore.Inspect "
                     "<- ociartifact.(*Store).Status"], "only CRI handlers count, not CRI-O's own goroutines"


def test_start_up_stuck_is_read_from_the_main_goroutine_of_a_sigquit_dump():
    where = main_goroutine(DUMPS / "sigquit-stalled-at-start-up.log")
    assert where.startswith("main [syscall] in ")
    assert "libartifact.NewArtifactStore <- ociartifact.NewStore" in where
    assert calls_in_flight(DUMPS / "sigquit-stalled-at-start-up.log") == [], "nothing serves yet"
