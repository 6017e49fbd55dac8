"""The Oracle's semantics on small specs: sets of states across hidden steps,
threads, argument and result checking, the reasons given, property
violations, quiescence, the hidden-step bound, history and construction."""
from __future__ import annotations

import enum
import subprocess
import sys
from pathlib import Path

import pytest

from kspec import ConformanceError, Oracle, SpecError

COIN = """
spec coin
enum Side { HEADS, TAILS }
event toss()
event show() -> Side
var side: Side = HEADS
process coin {
  TOSS: emit toss();
  SPIN: either { side := HEADS; } or { side := TAILS; }
  SHOW: emit show() -> side;
}
"""

PAIR = """
spec pair
sort T = 0..1
event hello(t: T)
process w[t: T] { H: emit hello(t); }
"""

LOCKS = """
spec locks
event take()
event give()
lock m: mutex
process a { A1: acquire(m); emit take(); A2: release(m); emit give(); }
process b { B1: acquire(m); emit take(); B2: release(m); emit give(); }
"""

CHECKED = """
spec checked
event poke(v: 0..2)
var x: 0..2 = 0
action poke_it(v: 0..2) { assert small: v < 2; x := v; emit poke(v); }
invariant not_one: x != 1
"""


@pytest.fixture
def oracle(tmp_spec):
    def make(text: str, **kw) -> Oracle:
        return Oracle.from_spec(str(tmp_spec(text)), **kw)
    return make


def test_hidden_steps_keep_every_consistent_state(oracle):
    for side in ("HEADS", "TAILS"):
        o = oracle(COIN)
        o.observe("toss")
        o.observe("show", result=side)
        assert len(o.candidates) == 1
        o.check_quiescent()


def test_result_not_observed_matches_any(oracle):
    o = oracle(COIN)
    o.observe("toss")
    o.observe("show")
    assert len(o.candidates) == 2  # HEADS or TAILS, finished


def test_event_at_the_wrong_step_is_rejected_with_the_reason(oracle):
    o = oracle(COIN)
    with pytest.raises(ConformanceError) as err:
        o.observe("show", result="HEADS")
    e = err.value
    assert e.code == "KS4001" and e.rejected.index == 1 and e.events == []
    assert "coin is at TOSS, and emits it only at SHOW" in str(e)


def test_python_enum_values_are_accepted(oracle):
    class Side(enum.IntEnum):
        HEADS = 7
        TAILS = 8
    o = oracle(COIN)
    o.observe("toss")
    o.observe("show", result=Side.TAILS)
    assert o.events[-1].result == "TAILS"


def test_bad_values_and_names_are_ks4005(oracle):
    o = oracle(COIN)
    o.observe("toss")
    with pytest.raises(ConformanceError) as err:
        o.observe("show", result="SIDEWAYS")
    assert err.value.code == "KS4005" and "must be one of {HEADS, TAILS}" in str(err.value)
    with pytest.raises(ConformanceError) as err:
        o.observe("toss", result="HEADS")
    assert err.value.code == "KS4005" and "has no result" in str(err.value)
    assert o.count == 1  # failed observations change nothing


def test_unknown_event_has_a_hint(oracle):
    with pytest.raises(ConformanceError) as err:
        oracle(COIN).observe("tos")
    assert err.value.code == "KS4002" and "did you mean `toss`?" in str(err.value)


def test_threads_and_arguments(oracle):
    o = oracle(PAIR)
    o.observe("hello", thread="w[1]", t=1)
    o.observe("hello", thread="w", t=0)  # the process name matches any of its instances
    o.check_quiescent()
    o = oracle(PAIR)
    with pytest.raises(ConformanceError) as err:
        o.observe("hello", thread="w[1]", t=0)
    assert "w[1].H (s.kspec:5): runs here with t=1, observed t=0" in str(err.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"thread": "nobody", "t": 0}, "`nobody` is not a thread of `pair`"),
    ({}, "event `hello` needs argument `t` (it takes t: 0..1)"),
    ({"t": 5}, "argument `t` of `hello` = 5 is outside 0..1"),
    ({"t": "x"}, "must be an integer in 0..1"),
    ({"t": 0, "tt": 1}, "has no argument `tt`"),
    ({"t": True}, "must be an integer"),
])
def test_bad_arguments(oracle, kwargs, message):
    with pytest.raises(ConformanceError) as err:
        oracle(PAIR).observe("hello", **kwargs)
    assert err.value.code == "KS4005" and message in str(err.value)


def test_blocked_on_a_lock_says_who_holds_it(oracle):
    o = oracle(LOCKS)
    o.observe("take", thread="a")
    with pytest.raises(ConformanceError) as err:
        o.observe("take", thread="b")
    assert "b.B1 (s.kspec:7): blocks on lock `m` held by a" in str(err.value)
    o.observe("give", thread="a")
    o.observe("take", thread="b")
    with pytest.raises(ConformanceError) as err:
        o.check_quiescent()
    assert err.value.code == "KS4004"
    assert "b is at B2; lock `m` is held by b" in str(err.value)


def test_a_step_allowed_only_with_a_violation_is_ks4006(oracle):
    o = oracle(CHECKED)
    o.observe("poke", v=0)
    for v, prop in ((2, "small"), (1, "not_one")):
        with pytest.raises(ConformanceError) as err:
            o.observe("poke", v=v)
        assert err.value.code == "KS4006" and f"`{prop}`" in str(err.value)
    relaxed = oracle(CHECKED, properties=["range"])  # neither `small` nor `not_one` enforced
    relaxed.observe("poke", v=2)
    relaxed.observe("poke", v=1)


def test_hidden_step_bound_is_an_error_not_a_guess(oracle):
    o = oracle(COIN, hidden_steps=0)
    o.observe("toss")
    with pytest.raises(ConformanceError) as err:
        o.observe("show")
    e = err.value
    assert e.code == "KS4007" and e.inconclusive and "hidden steps continue beyond 0 steps" in str(e)


def test_enabled_lists_what_may_come_next(oracle):
    o = oracle(COIN)
    assert o.enabled() == [{"event": "toss", "thread": "coin", "args": {}, "results": []}]
    o.observe("toss")
    assert o.enabled() == [{"event": "show", "thread": "coin", "args": {}, "results": ["HEADS", "TAILS"]}]


def test_history_is_bounded_and_the_table_says_so(oracle):
    o = oracle(PAIR, history=1)
    o.observe("hello", t=0)
    o.observe("hello", t=1)
    with pytest.raises(ConformanceError) as err:
        o.observe("hello", t=1)
    assert "(1 earlier event not kept)" in str(err.value)
    assert [e.index for e in err.value.events] == [2]


def test_fresh_reset_repr_and_write_trace(oracle, tmp_path):
    o = oracle(COIN)
    o.observe("toss")
    f = o.fresh()
    assert f.count == 0 and f.engine is o.engine and len(f.candidates) == 1
    o.reset()
    assert o.count == 0
    assert repr(o).startswith("Oracle.from_spec(") and "s.kspec" in repr(o)
    o.observe("toss")
    o.observe("show", result="TAILS")
    path = tmp_path / "t.jsonl"
    o.write_trace(str(path))
    assert path.read_text().splitlines() == ['{"event": "toss"}', '{"event": "show", "result": "TAILS"}']
    assert o.replay_command(str(path)).startswith("kspec conform ")


def test_from_model_and_spec_errors(tmp_path):
    EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
    o = Oracle.from_model(str(EXAMPLES / "tidspbridge_dmm" / "dmm.toml"))
    assert o.model.variant == "refcount" and "dmm.toml" in repr(o)
    bad = tmp_path / "bad.kspec"
    bad.write_text("spec bad\nvar x: 0..1 = y\n")
    with pytest.raises(SpecError) as err:
        Oracle.from_spec(str(bad))
    assert "error[KS1001]" in str(err.value)
    with pytest.raises(ValueError):
        Oracle.from_spec(str(EXAMPLES / "tidspbridge_dmm" / "dmm.kspec"), properties=["no_such"])


def test_import_kspec_is_cheap_and_exports_lazily():
    code = ("import sys, kspec; assert 'kspec.oracle' not in sys.modules; assert 'lark' not in sys.modules; "
            "kspec.Oracle; kspec.ConformanceError; assert 'kspec.oracle.core' in sys.modules; "
            "assert 'lark' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
