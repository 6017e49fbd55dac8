"""ITF export round-trips through kspec.replay: every counterexample and
witness the explicit engine produces is a behaviour of the model, replays to
the same states, and violates the property it was produced for. Tampered or
malformed traces are rejected with diagnostics."""
from __future__ import annotations

import copy
import json

import pytest

from kspec.replay import replay_itf
from kspec.report.itf import dump_itf
from kspec_testlib import check, model_of

SPECS = {
    "objects": """
sort O = 0..1
object ob[o: O] { refcount: counter; }
var listed: set[O] = {}
process mapper[o: O] { M1: alloc(ob[o]); listed := listed + {o}; M2: get(ob[o]); }
process unmapper { U1: choose o in listed; listed := listed - {o}; free(ob[o]); }
invariant small: size(listed) <= 1
reachable both: listed == {0, 1}
""",
    "locks": """
lock a: mutex
lock s: spinlock
var x: 0..3 = 0
process p { L1: acquire(s); x := 1; L2: acquire(a); L3: release(a); release(s); }
process q { Q1: acquire(a); x := 2; Q2: release(a); release(a); }
process r context softirq { R1: acquire(s); release(s); }
reachable two: x == 2
""",
    "asserts": """
sort K = 0..2
var m: map[K, 0..3] = 0
action bump(k: K) when m[k] < 3 { m[k] := m[k] + 1; }
process checker { C1: await m[1] == 2; assert not_two: m[1] != 2; }
invariant inv: forall k in K: m[k] <= 2
""",
}


def _cases():
    for name, src in SPECS.items():
        for v in check(src).verdicts:
            if v.trace is not None and v.prop != "deadlock":
                yield pytest.param(name, v.prop, id=f"{name}-{v.prop}")


CASES = list(_cases())


def test_there_are_enough_traces():
    assert len(CASES) >= 10


@pytest.mark.parametrize("name,prop", CASES)
def test_exported_trace_replays(name, prop):
    src = SPECS[name]
    model = model_of(src)
    v = check(src).verdict(prop)
    data = json.loads(dump_itf(v.trace))
    res = replay_itf(model, data)
    assert res.diagnostics == [] and res.trace is not None
    assert [s.state for s in res.trace.steps] == [s.state for s in v.trace.steps]
    assert [s.transition for s in res.trace.steps] == [s.transition for s in v.trace.steps] or \
        [model.transitions[s.transition].name for s in res.trace.steps[1:]] == \
        [model.transitions[s.transition].name for s in v.trace.steps[1:]]
    if v.status == "violated" and v.kind in ("invariant", "check"):
        assert prop in {p for p, _, _ in res.violations}


ABBA = """
lock a: mutex
lock b: mutex
process p1 { L1: acquire(a); L2: acquire(b); L3: release(b); release(a); }
process p2 { M1: acquire(b); M2: acquire(a); M3: release(a); release(b); }
"""


def test_deadlock_trace_replays():
    model = model_of(ABBA)
    v = check(ABBA).verdict("deadlock")
    res = replay_itf(model, json.loads(dump_itf(v.trace)))
    assert res.diagnostics == [] and res.trace.length == 4


def test_single_waiter_deadlock_trace_replays():
    src = "lock a: mutex\nprocess p { L1: acquire(a); L2: acquire(a); }"
    v = check(src).verdict("deadlock")
    res = replay_itf(model_of(src), json.loads(dump_itf(v.trace)))
    assert res.diagnostics == [] and res.trace.length == v.length


def _trace(src, prop):
    return json.loads(dump_itf(check(src).verdict(prop).trace))


def test_tampered_state_is_rejected():
    src = SPECS["asserts"]
    data = _trace(src, "inv")
    bad = copy.deepcopy(data)
    bad["states"][1]["m"]["#map"][0][1] = {"#bigint": "3"}  # a jump no action makes
    res = replay_itf(model_of(src), bad)
    assert [d.code for d in res.diagnostics] == ["KS4001"] and not res.malformed


def test_wrong_initial_state_is_rejected():
    src = SPECS["asserts"]
    data = _trace(src, "inv")
    data["states"] = data["states"][1:]
    res = replay_itf(model_of(src), data)
    assert [d.code for d in res.diagnostics] == ["KS4001"]


@pytest.mark.parametrize("data", [[], {}, {"states": []}, {"states": [{}]}, {"states": "x"},
                                  {"states": [{"m": {"#map": []}}]}])
def test_malformed_traces_are_diagnostics(data):
    res = replay_itf(model_of(SPECS["asserts"]), data)
    assert res.malformed and [d.code for d in res.diagnostics] == ["KS4003"]


def test_value_of_the_wrong_kind_is_a_diagnostic():
    src = SPECS["asserts"]
    data = _trace(src, "inv")
    data["states"][0]["pc(checker)"] = "NOT_A_LABEL"
    res = replay_itf(model_of(src), data)
    assert res.malformed and res.diagnostics[0].code == "KS4003"


def test_replay_command(cli, tmp_path):
    spec = tmp_path / "s.kspec"
    spec.write_text(SPECS["asserts"], encoding="utf-8")
    itf = tmp_path / "t.itf.json"
    itf.write_text(json.dumps(_trace(SPECS["asserts"], "inv")), encoding="utf-8")
    r = cli("replay", str(spec), str(itf))
    assert r.code == 0 and "a behaviour of" in r.out and "violates `inv`" in r.out
    r = cli("replay", str(spec), str(itf), "--format", "json")
    data = json.loads(r.out)
    assert data["allowed"] is True and data["exit_code"] == 0
    assert any(v["property"] == "inv" for v in data["violations"])
    bad = json.loads(itf.read_text())
    bad["states"][1]["m"]["#map"][0][1] = {"#bigint": "3"}
    itf.write_text(json.dumps(bad), encoding="utf-8")
    r = cli("replay", str(spec), str(itf))
    assert r.code == 1 and "KS4001" in r.err
    itf.write_text("{ not json", encoding="utf-8")
    r = cli("replay", str(spec), str(itf))
    assert r.code == 2 and "KS4003" in r.err and "Traceback" not in r.both
