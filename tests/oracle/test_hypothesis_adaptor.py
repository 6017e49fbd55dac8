"""The Hypothesis adaptor (event sequences from a spec, lockstep runs) and the
deterministic Scheduler behind the threaded lockstep runs."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from kspec import ConformanceError, Oracle
from kspec.oracle.hypothesis import Event, event_sequences
from kspec.oracle.sched import Scheduler, SchedulerError
from tidspbridge_dmm.dmm import Dmm, Ret

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

DMM = str(EXAMPLES / "tidspbridge_dmm" / "dmm.kspec")
PROTO = Oracle.from_spec(DMM, variant="refcount")


@settings(max_examples=60, deadline=None)
@given(event_sequences(PROTO, max_events=12))
def test_generated_sequences_are_behaviours_of_the_spec(events):
    oracle = Oracle.from_spec(DMM, variant="refcount", history=0)
    for ev in events:
        assert isinstance(ev, Event) and ev.thread in ("user[0]", "user[1]")
        ev.observe_on(oracle)


@settings(max_examples=40, deadline=None)
@given(event_sequences(DMM, variant="refcount", events=["map", "unmap"], max_events=6))
def test_restricting_events(events):
    assert {e.event for e in events} <= {"map", "unmap"}


def replay_sequentially(events, dmm: Dmm) -> None:
    """Call the implementation for each generated event, one after the other,
    and check what it returns."""
    oracle = PROTO.fresh()
    for ev in events:
        result = getattr(dmm, ev.event)(**ev.args)
        ev.observe_on(oracle, result=result)


@settings(max_examples=60, deadline=None)
@given(event_sequences(PROTO, max_events=12))
def test_sequential_replay_of_the_fixed_driver(events):
    replay_sequentially(events, Dmm(refcount_fix=True))


class ForgetfulDmm(Dmm):
    def unmap(self, o):  # bug: reports success for a range that is not mapped
        r = super().unmap(o)
        return Ret.OK if r == Ret.EFAULT else r


def test_shrinking_finds_the_shortest_failing_sequence():
    seen = []

    @settings(max_examples=300, database=None, derandomize=True, deadline=None,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=[HealthCheck.too_slow])
    @given(event_sequences(PROTO, max_events=10))
    def check(events):
        seen.append(events)
        replay_sequentially(events, ForgetfulDmm())

    with pytest.raises(ConformanceError) as err:
        check()
    assert err.value.rejected.text() == "unmap(o=0) -> OK" and err.value.events == []
    assert len(seen[-1]) == 1  # the last example run is the shrunk one: one unmap


def test_event_repr():
    assert repr(Event("unmap", "user[1]", {"o": 0}, "EBUSY")) == "user[1]: unmap(o=0) -> EBUSY"


# ---- Scheduler ------------------------------------------------------------------------------
def test_scheduler_interleaves_deterministically():
    log = []
    with Scheduler() as s:
        def worker(name, n):
            for k in range(n):
                log.append((name, k))
                s.point()
            return name.upper()
        assert s.start("a", worker, "a", 2) is False  # parked at its first point
        assert s.start("b", worker, "b", 1) is False
        assert s.parked == ["a", "b"]
        assert s.resume("b") is True and s.result("b") == "B"
        assert s.resume("a") is False and s.resume("a") is True and s.result("a") == "A"
    assert log == [("a", 0), ("b", 0), ("a", 1)]


def test_scheduler_errors_and_cleanup():
    s = Scheduler(timeout=0.5)
    s.point()  # not a scheduled thread: a no-op
    assert s.start("x", lambda: 1 / 0) is True
    with pytest.raises(ZeroDivisionError):
        s.result("x")
    s.start("p", lambda: s.point())
    with pytest.raises(SchedulerError):
        s.start("p", print)  # still inside its call
    lock = threading.Lock()
    lock.acquire()
    with pytest.raises(SchedulerError, match="neither returned nor reached a preemption point"):
        s.start("blocked", lock.acquire)
    with pytest.raises(SchedulerError, match="cannot go on"):
        s.resume("p")
    lock.release()
    s.close()  # unwinds the parked thread
    assert s.parked == []
