"""The worked tidspbridge example: map/unmap/begin_dma of a Python DMM
(examples/tidspbridge_dmm/dmm.py) against examples/tidspbridge_dmm/dmm.kspec.
With the refcount fix it conforms to the `refcount` contract; without it, an
un_map during begin_dma is caught: as a wrong result against the contract, and
as a use after free against the `original` variant of the spec."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kspec import ConformanceError, Oracle
from kspec.oracle.hypothesis import lockstep
from kspec.oracle.sched import Scheduler
from tidspbridge_dmm.dmm import Dmm

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SPEC = str(EXAMPLES / "tidspbridge_dmm" / "dmm.kspec")


def unmap_during_dma(oracle: Oracle, dmm: Dmm) -> None:
    """user[0] maps range 0 and starts begin_dma; preempted after the lookup,
    user[1] unmaps the range."""
    oracle.observe("map", thread="user[0]", o=0, result=dmm.map(0))
    dmm.preempt = lambda: oracle.observe("unmap", thread="user[1]", o=0, result=dmm.unmap(0))
    oracle.observe("begin_dma", thread="user[0]", o=0, result=dmm.begin_dma(0))
    dmm.preempt = lambda: None


@pytest.mark.kspec(SPEC, variant="refcount", quiescent=True)
def test_refcount_fix_conforms(kspec_oracle):
    oracle = kspec_oracle()
    dmm = Dmm(refcount_fix=True)
    unmap_during_dma(oracle, dmm)  # un_map says -EBUSY
    oracle.observe("unmap", thread="user[1]", o=0, result=dmm.unmap(0))
    assert [o.result for o in oracle.events] == ["OK", "EBUSY", "OK", "OK"]


def test_original_driver_breaks_the_contract(kspec_oracle):
    oracle = kspec_oracle(SPEC, variant="refcount")
    with pytest.raises(ConformanceError) as err:
        unmap_during_dma(oracle, Dmm(refcount_fix=False))
    e = err.value
    assert e.code == "KS4001"
    text = str(e)
    assert "event #3 `begin_dma(o=0) -> OK` in thread `user[0]` is not allowed by `dmm`" in text
    assert "user[0].SYNC_SG (dmm.kspec:" in text and "returns EFAULT here, observed OK" in text
    assert "unmap(o=0) -> OK" in text


def test_original_driver_is_a_use_after_free_of_the_original_design(kspec_oracle):
    oracle = kspec_oracle(SPEC, variant="original")
    with pytest.raises(ConformanceError) as err:
        unmap_during_dma(oracle, Dmm(refcount_fix=False))
    assert err.value.code == "KS4006"
    assert "violates `use_after_free`" in str(err.value) or "`use_after_free`: user[0] uses `map_obj[0]` after " \
        "it was freed" in str(err.value)


PROTO = Oracle.from_spec(SPEC, variant="refcount")


def _drive(data, fix: bool) -> None:
    oracle = PROTO.fresh()
    sched = Scheduler()
    dmm = Dmm(refcount_fix=fix, preempt=sched.point)
    lockstep(data, oracle, {"map": dmm.map, "unmap": dmm.unmap, "begin_dma": dmm.begin_dma},
             scheduler=sched, max_steps=12, quiescent=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_lockstep_fixed_driver_conforms(data):
    _drive(data, fix=True)


def test_lockstep_finds_the_unmap_race_and_shrinks_it():
    @settings(max_examples=2000, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        _drive(data, fix=False)

    with pytest.raises(ConformanceError) as err:
        check()
    e = err.value
    # map; begin_dma parks after its lookup; unmap frees; begin_dma resumes and returns 0
    assert [(o.event, o.result) for o in e.events] == [("map", "OK"), ("unmap", "OK")], str(e)
    assert (e.rejected.event, e.rejected.result) == ("begin_dma", "OK")
    assert e.rejected.thread != e.events[1].thread  # begin_dma was preempted by the other thread's unmap
    notes = "\n".join(getattr(e, "__notes__", []))
    assert "begin_dma(o=0) ... preempted" in notes and "... resumes" in notes, notes
