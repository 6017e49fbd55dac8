"""The worked dmaengine example: a Python channel checked against its contract
(examples/dmaengine_channel/channel.kspec) with the pytest fixture and with the
Hypothesis lockstep adaptor. The correct channel passes; with `race_2015` (the
bug fixed by dmaengine_synchronize in 2015) it fails with a readable report."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dmaengine_channel.channel import Channel
from kspec import ConformanceError, Oracle
from kspec.oracle.hypothesis import lockstep

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SPEC = str(EXAMPLES / "dmaengine_channel" / "channel.kspec")


class Client:
    """The client side: its callback dereferences memory the client frees."""

    def __init__(self):
        self.param = {"done": 0}

    def callback(self, param):
        param["done"] += 1  # a use after free once free() ran

    def free(self):
        self.param.clear()


def scenario(oracle: Oracle, chan: Channel, client: Client) -> None:
    """A callback grabbed by the tasklet before terminate_async."""
    chan.submit(client.callback, client.param)
    oracle.observe("submit", thread="client")
    chan.issue_pending()
    oracle.observe("issue_pending", thread="client")
    chan.irq()
    chan.tasklet_step()  # the tasklet grabs the completed descriptor (not observable)
    chan.terminate_async()
    oracle.observe("terminate_async", thread="client")
    chan.synchronize()
    oracle.observe("synchronize", thread="client")
    client.free()
    oracle.observe("free_param", thread="client")
    chan.tasklet_step()  # the other CPU goes on: would invoke the grabbed callback


@pytest.mark.kspec(SPEC, quiescent=True)
def test_terminate_synchronize_free_conforms(kspec_oracle):
    oracle = kspec_oracle()
    client = Client()
    scenario(oracle, Channel(trace=oracle.observe), client)
    assert client.param == {}  # the callback ran inside synchronize, before free


def test_race_2015_callback_after_synchronize_is_reported(kspec_oracle):
    oracle = kspec_oracle(SPEC)
    with pytest.raises(ConformanceError) as err:
        scenario(oracle, Channel(race_2015=True, trace=oracle.observe), Client())
    e = err.value
    assert e.code == "KS4001"
    assert e.rejected.event == "callback" and e.rejected.index == 6
    text = str(e)
    assert "event #6 `callback()` in thread `tasklet` is not allowed by `channel`" in text
    assert "tasklet is finished or idle (not started), and emits it only at K_INVOKE" in text
    assert "synchronize()" in text and "<-- not allowed" in text


PROTO = Oracle.from_spec(SPEC)


def _drive(data, race: bool) -> None:
    oracle = PROTO.fresh()
    client = Client()
    chan = Channel(race_2015=race, trace=oracle.observe)
    drivers = {"submit": lambda: chan.submit(client.callback, client.param),
               "issue_pending": chan.issue_pending, "terminate_async": chan.terminate_async,
               "synchronize": chan.synchronize, "free_param": client.free}
    lockstep(data, oracle, drivers, stimuli={"irq": chan.irq, "cpu1": chan.tasklet_step}, max_steps=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_lockstep_correct_channel_conforms(data):
    _drive(data, race=False)


def test_lockstep_finds_the_2015_race_and_shrinks_it():
    @settings(max_examples=2000, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        _drive(data, race=True)

    with pytest.raises(ConformanceError) as err:
        check()
    e = err.value
    assert e.rejected.event == "callback"
    # shortest: submit, issue_pending, [irq], [cpu1] grabs, terminate_async, synchronize, [cpu1]
    assert len(e.events) == 4, str(e)
    assert [o.event for o in e.events] == ["submit", "issue_pending", "terminate_async", "synchronize"]
    notes = "\n".join(getattr(e, "__notes__", []))
    assert "  7. [cpu1]" in notes and "  8." not in notes, notes  # the readable failing sequence
