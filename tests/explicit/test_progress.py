"""Progress properties (`progress NAME: P ~> Q` under weak fairness).

Hand-made cases pin the semantics (weak fairness of processes and actions,
stuck states, termination, per-instance parameters); a Hypothesis test
validates every counterexample found on random looping specs against the
definition: a real execution, P at its start, Q never after, and a cycle in
which every process and action either steps or is disabled somewhere (or a
final state where nothing is enabled)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from kspec.check import check_explicit
from kspec.explicit.compile import compile_model
from kspec.explicit.explore import Limits
from kspec.explicit.liveness import fairness_unit, predicate
from kspec.verdict import HOLDS, INCONCLUSIVE, VIOLATED
from kspec_testlib import codes_of, model_of, verdict

WAITER = """
spec w
var x: 0..3 = 0
var flag: bool = false
process a {
  A1: x := 1;
  A2: await flag;
  A3: x := 2;
}
process b {
  B1: %s
}
progress reach2: x == 1 ~> x == 2
"""


def test_a_fair_cycle_where_the_waiter_stays_disabled_violates():
    v = verdict(WAITER % "either { flag := true; } or { skip; goto B1; }", "reach2")
    assert (v.status, v.length) == (VIOLATED, 2)
    assert "repeats forever" in v.trace.steps[-1].note
    assert "obligation arises" in v.trace.steps[1].note


def test_progress_holds_when_every_fair_run_gets_there():
    assert verdict(WAITER % "flag := true;", "reach2").status == HOLDS


def test_a_stuck_state_violates():
    v = verdict(WAITER % "skip;", "reach2")
    assert (v.status, v.length) == (VIOLATED, 2)
    assert "stuck" in v.trace.steps[-1].note and "stuck" in v.report


def test_weak_fairness_forces_a_continuously_enabled_process():
    src = """
spec wf
var x: 0..2 = 0
process a { A1: x := 1; A2: x := 2; }
process spin { S1: skip; goto S1; }
progress p: x == 1 ~> x == 2
"""
    assert verdict(src, "p").status == HOLDS


def test_actions_are_weakly_fair_too():
    src = """
spec act
var x: 0..2 = 0
action tick when x < 2 { x := x + 1; }
process spin { S1: skip; goto S1; }
progress p: x == 0 ~> x == 2
"""
    assert verdict(src, "p").status == HOLDS


def test_termination_without_the_goal_violates():
    src = """
spec term
var x: 0..2 = 0
process a { A1: x := 1; }
progress p: x == 1 ~> x == 2
"""
    v = verdict(src, "p")
    assert (v.status, v.length) == (VIOLATED, 1)


def test_a_lock_wait_cycle_is_stuck():
    src = """
spec abba
lock l1: mutex
lock l2: mutex
var done1: bool = false
process p1 { A: acquire(l1); B: acquire(l2); C: release(l2); release(l1); done1 := true; }
process p2 { A: acquire(l2); B: acquire(l1); C: release(l1); release(l2); }
progress finishes: at(p1, B) ~> done1
"""
    v = verdict(src, "finishes")
    assert v.status == VIOLATED and "stuck" in v.report


def test_parameters_give_one_obligation_per_instance():
    src = """
spec inst
sort T = 0..1
var go: map[T, bool] = false
process w[t: T] { W1: await go[t]; W2: skip; }
action start0 { go[0] := true; }
progress served[t: T]: at(w[t], W1) ~> not at(w[t], W1)
"""
    v = verdict(src, "served")
    assert v.status == VIOLATED and "served[t=1]" in v.report  # nobody ever sets go[1]


def test_bmc_and_prove_leave_progress_to_the_explicit_engine():
    from kspec.symbolic.bmc import check_bmc
    m = model_of(WAITER % "flag := true;")
    assert check_bmc(m, ["reach2"], depth=4).verdict("reach2").status == INCONCLUSIVE


def test_compact_store_and_symmetry_fall_back_to_a_full_search():
    src = """
spec sym
sort T = 0..1 symmetric
var c: map[T, 0..2] = 0
process w[t: T] { W1: c[t] := 1; W2: c[t] := 2; }
progress p[t: T]: c[t] == 1 ~> c[t] == 2
"""
    m = model_of(src)
    for kw in ({"store": "compact"}, {}):
        r = check_explicit(m, ["p"], limits=Limits(**kw))
        assert r.verdict("p").status == HOLDS


def test_bad_progress_declarations_are_errors():
    assert "KS1005" in codes_of("spec e\nvar x: 0..1 = 0\nprogress p[i: set[0..1]]: x == 0 ~> x == 1\n")
    assert "KS1001" in codes_of("spec e\nvar x: 0..1 = 0\nprogress p: y == 0 ~> x == 1\n")


# ---- every counterexample is a fair lasso (random looping specs) ----------------------------
STMTS = ["x := (x + 1) % 3;", "x := 0;", "await x != 1;", "f := not f;", "await f;", "skip;"]


@st.composite
def looping_specs(draw) -> str:
    procs = []
    for p in range(draw(st.integers(1, 2))):
        n = draw(st.integers(1, 3))
        steps = []
        for k in range(n):
            body = " ".join(draw(st.lists(st.sampled_from(STMTS), min_size=1, max_size=2)))
            target = draw(st.integers(0, n))
            jump = f"goto S{target};" if target < n else "done;"
            steps.append(f"S{k}: either {{ {body} }} or {{ {jump} }}")
        procs.append(f"process p{p} {{ " + " ".join(steps) + " }")
    pre = draw(st.sampled_from(["x == 1", "f", "x == 0", "at(p0, S0)"]))
    post = draw(st.sampled_from(["x == 2", "not f", "x == 0", "finished(p0)"]))
    return "\n".join(["spec rnd", "var x: 0..2 = 0", "var f: bool = false", *procs,
                      f"progress goal: {pre} ~> {post}"])


def _assert_fair_lasso(model, v) -> None:
    cm = compile_model(model)
    states = [st.state for st in v.trace.steps]
    tids = [st.transition for st in v.trace.steps]
    for s, tid, ns in zip(states, tids[1:], states[1:]):
        assert cm.enabled(s, tid) and cm.applies[tid](s) == ns
    prog = model.progress[0]
    pre_at = next(k for k, st in enumerate(v.trace.steps) if "obligation" in st.note) \
        if any("obligation" in st.note for st in v.trace.steps) else 0
    holds = [any(predicate(model, i.post)(s) for i in prog.instances) for s in states]
    assert any(predicate(model, i.pre)(states[pre_at]) for i in prog.instances)
    assert not any(holds[pre_at:])
    last = v.trace.steps[-1].note
    units = [fairness_unit(t) for t in model.transitions]
    if "stuck" in last:
        assert not any(cm.enabled(states[-1], t) for t in range(len(model.transitions)))
        return
    loop_at = int(last.split("back to state ")[1].split(":")[0])
    assert states[loop_at] == states[-1]
    taken = {units[t] for t in tids[loop_at + 1:]}
    for u in set(units):
        disabled = any(not any(cm.enabled(s, t) for t in range(len(units)) if units[t] == u)
                       for s in states[loop_at:])
        assert u in taken or disabled, u


@settings(max_examples=80, deadline=None)
@given(looping_specs())
def test_every_progress_counterexample_is_a_fair_lasso(src):
    model = model_of(src)
    v = check_explicit(model, ["goal"]).verdict("goal")
    assert v.status in (HOLDS, VIOLATED)
    if v.status == VIOLATED:
        _assert_fair_lasso(model, v)
