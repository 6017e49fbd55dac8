"""The explicit engine as the reference semantics: state counts of small
specs, verdicts under bounds, coverage, evaluation errors, simulation, and the
generated code."""
from __future__ import annotations

import pytest

from kspec.check import check_explicit
from kspec.explicit.compile import compile_model
from kspec.explicit.explore import Limits, explore
from kspec.explicit.simulate import simulate
from kspec_testlib import REPO, check, exploration, model_of, statuses, verdict

COUNTER = """
/// Two threads increment a shared counter under a mutex.
spec counter

const THREADS = 2
sort Thread = 0..THREADS-1

var cnt: 0..4 = 0
lock m: mutex

process worker[t: Thread] context process {
  var seen: 0..4 = 0
  L1: acquire(m);
  L2: seen := cnt;
  L3: cnt := seen + 1; release(m);
}

invariant bounded: cnt <= THREADS
reachable both_done: cnt == THREADS
"""


@pytest.mark.parametrize("threads,states,length", [(1, 4, 3), (2, 13, 6), (3, 46, 9)])
def test_counter_state_counts(threads, states, length):
    r = check(COUNTER, constants={"THREADS": threads})
    assert r.complete and r.states == states
    st = {v.prop: v for v in r.verdicts}
    assert st["bounded"].status == "holds" and st["bounded"].summary() == f"holds (exhaustive, {states} states)"
    assert (st["both_done"].status, st["both_done"].length) == ("reachable", length)
    assert all(v.status == "holds" for v in r.verdicts if v.prop not in ("both_done",))


def _language_md_example() -> str:
    text = (REPO / "docs" / "language.md").read_text(encoding="utf-8")
    start = text.index("```kspec\n") + len("```kspec\n")
    return text[start:text.index("```", start)]


def test_language_reference_example_checks():
    st = statuses(_language_md_example())
    assert st["bounded"] == "holds" and st["both_done"] == "reachable"


ABBA = """
lock a: mutex
lock b: mutex
process p1 { L1: acquire(a); L2: acquire(b); L3: release(b); release(a); }
process p2 { M1: acquire(b); M2: acquire(a); M3: release(a); release(b); }
"""


def test_abba_state_space():
    ex = exploration(ABBA, ["deadlock", "range"])
    assert ex.complete and len(ex.states) == 13
    assert ex.max_depth == 6


def test_states_are_tuples_of_ints_and_the_initial_state_comes_first():
    m = model_of(ABBA)
    ex = exploration(ABBA, ["range"])
    assert ex.states[0] == m.init
    assert all(isinstance(s, tuple) and len(s) == len(m.slots) for s in ex.states)
    states = list(ex.states)
    assert len(set(states)) == len(states)
    # BFS: depths (path lengths) never decrease along the state list
    depths = [len(ex.trace_to(i)) - 1 for i in range(len(states))]
    assert depths == sorted(depths)


def test_trace_to_rebuilds_a_path_of_enabled_transitions():
    ex = exploration(ABBA, ["range"])
    cm = ex.compiled
    for idx in range(len(ex.states)):
        path = ex.trace_to(idx)
        assert path[0] == (None, cm.model.init) and path[-1][1] == ex.states[idx]
        for (_, s), (tid, ns) in zip(path, path[1:]):
            assert cm.enabled(s, tid) and cm.applies[tid](s) == ns


# ---- bounds -----------------------------------------------------------------------------------
BIG = """
sort K = 0..3
var m: map[K, 0..3] = 0
process p[k: K] { L1: while m[k] < 3 { L2: m[k] := m[k] + 1; } }
invariant ok: forall k in K: m[k] <= 3
reachable all3: forall k in K: m[k] == 3
"""


def test_full_run_of_the_bigger_spec():
    r = check(BIG)
    assert r.complete
    assert r.verdict("ok").status == "holds"
    assert r.states == 8 ** 4  # per process: (L1|L2, 0..2), (L1, 3), (done, 3)
    assert r.verdict("all3").status == "reachable" and r.verdict("all3").length == 4 * 6


def test_state_bound_makes_holds_inconclusive():
    r = check(BIG, limits=Limits(max_states=50))
    assert not r.complete and "state bound 50" in r.stop_reason
    ok = r.verdict("ok")
    assert ok.status == "inconclusive" and ok.summary().startswith("inconclusive (state bound 50")
    assert r.verdict("all3").status == "inconclusive"


def test_depth_bound_makes_holds_inconclusive():
    r = check(BIG, limits=Limits(max_depth=3))
    assert not r.complete and "depth bound 3" in r.stop_reason
    assert r.verdict("ok").status == "inconclusive"


def test_violations_found_before_a_bound_are_still_reported():
    src = BIG + "invariant small: m[0] < 1\n"
    r = check(src, limits=Limits(max_states=50))
    assert r.verdict("small").status == "violated" and r.verdict("small").length == 2
    assert r.verdict("ok").status == "inconclusive"


def test_search_stops_early_once_every_property_is_decided():
    r = check(BIG, ["all3"])
    assert r.verdict("all3").status == "reachable"
    full = check(BIG)
    assert r.states <= full.states


def test_holds_requires_an_exhaustive_search():
    r = check(BIG, ["ok"], limits=Limits(max_states=10))
    assert r.verdict("ok").status != "holds"


# ---- coverage ----------------------------------------------------------------------------------
def test_unfired_steps_are_listed():
    src = "var x: 0..1 = 0\nprocess p { L1: x := 1; L2: await x == 0; L3: skip; }\n" \
          "action never when x == 2 { x := 0; }\naction once when x == 0 { x := 1; }"
    r = check(src)
    assert r.unfired == ["never", "p.L2", "p.L3"] or r.unfired == sorted(["never", "p.L2", "p.L3"])


def test_unfired_steps_are_per_process_not_per_instance():
    src = "sort K = 0..1\nvar x: map[K, bool] = false\nprocess p[k: K] { L1: x[k] := true; L2: await k == 0; }"
    assert check(src).unfired == []


# ---- evaluation errors ----------------------------------------------------------------------------
def test_dynamic_index_outside_the_keys_is_a_range_violation():
    src = "sort K = 0..1\nvar m: map[K, bool] = false\nvar i: 0..2 = 0\nvar b: bool = false\n" \
          "process p { L1: i := 2; L2: b := m[i]; }"
    v = verdict(src, "range")
    assert v.status == "violated" and v.length == 2
    assert "index 2" in v.message


def test_evaluation_error_trace_ends_with_the_failing_step():
    src = "sort K = 0..1\nvar m: map[K, bool] = false\nvar i: 0..2 = 0\nvar b: bool = false\n" \
          "process p { L1: i := 2; L2: b := m[i]; }"
    v = verdict(src, "range")
    assert v.trace.length == v.length == 2


def test_evaluation_error_is_not_a_deadlock():
    src = "var x: 0..3 = 0\nvar y: 0..3 = 0\nprocess p { L1: y := 3 / x; }"
    r = check(src)
    assert r.verdict("range").status == "violated"
    assert r.verdict("deadlock").status != "violated"


def test_out_of_range_states_are_not_explored():
    src = "var x: 0..2 = 0\nprocess p { L1: while true { L2: x := x + 1; } }"
    m = model_of(src)
    ex = explore(compile_model(m), {"range"} | {"deadlock"}, Limits(max_states=10_000))
    for s in ex.states:
        for sl, v in zip(m.slots, s):
            if hasattr(sl.sort, "hi"):
                assert sl.sort.lo <= v <= sl.sort.hi, (sl.name, v)
    assert ex.complete


# ---- simulation --------------------------------------------------------------------------------
def test_simulation_is_reproducible_and_follows_transitions():
    m = model_of(ABBA)
    cm = compile_model(m)
    a = simulate(m, steps=20, seed=7)
    b = simulate(m, steps=20, seed=7)
    assert a.steps == b.steps
    assert a.steps[0].state == m.init
    for prev, st in zip(a.steps, a.steps[1:]):
        assert cm.enabled(prev.state, st.transition)
        assert cm.applies[st.transition](prev.state) == st.state


def test_simulation_stops_when_nothing_is_enabled():
    m = model_of("var x: 0..1 = 0\nprocess p { L1: x := 1; }")
    t = simulate(m, steps=10, seed=0)
    assert t.length == 1


def test_different_seeds_explore_different_runs():
    m = model_of(BIG)
    runs = {tuple(s.transition for s in simulate(m, steps=8, seed=k).steps) for k in range(10)}
    assert len(runs) > 1


# ---- generated code ----------------------------------------------------------------------------------
def test_generated_code_contains_no_spec_text():
    src = """
/// __import__('os').system('echo pwned')
spec evil
const os_system = 1
var import_os: 0..1 = 0
process exec_eval { print_: import_os := os_system; }
invariant eval_exec: import_os <= 1
"""
    m = model_of(src)
    cm = compile_model(m)
    for word in ("os_system", "import_os", "exec_eval", "print_", "eval_exec", "pwned", "__import__"):
        assert word not in cm.source
    assert check_explicit(m).verdict("eval_exec").status == "holds"


def test_expand_reports_violations_only_for_active_properties():
    m = model_of("lock a: mutex\nprocess p { L1: release(a); }")
    cm = compile_model(m)
    succs, bad = cm.expand(m.init, {"lock_release_unheld"})
    assert len(succs) == 1 and len(bad) == 1
    succs, bad = cm.expand(m.init, set())
    assert len(succs) == 1 and bad == []


def test_exploration_counts_fired_transitions():
    ex = exploration(ABBA, ["range"])
    assert ex.transitions_fired == sum(ex.coverage) >= len(ex.states) - 1


# ---- symmetry ------------------------------------------------------------------------------------
SYM = """
sort T = 0..2 symmetric
var cnt: 0..3 = 0
lock m: mutex
process w[t: T] { L1: acquire(m); L2: cnt := cnt + 1; release(m); }
invariant b: cnt <= 3
reachable all: cnt == 3
"""


def test_symmetric_sort_explores_one_state_per_orbit_with_the_same_verdicts():
    sym = check(SYM)
    plain = check(SYM.replace(" symmetric", ""))
    assert (sym.states, plain.states) == (7, 20)
    assert [(v.prop, v.status, v.length) for v in sym.verdicts] == \
        [(v.prop, v.status, v.length) for v in plain.verdicts]


def test_symmetric_witness_trace_is_a_concrete_execution():
    m = model_of(SYM)
    cm = compile_model(m)
    v = verdict(SYM, "all")
    steps = v.trace.steps
    assert steps[0].state == m.init
    for prev, st in zip(steps, steps[1:]):
        assert cm.enabled(prev.state, st.transition) and cm.applies[st.transition](prev.state) == st.state


def test_symmetric_values_have_no_literals():
    from kspec_testlib import codes_of
    assert "KS1003" in codes_of("sort T = 0..2 symmetric\nvar x: T = 0\nprocess p { L1: skip; }")


def test_ctrl_c_stops_cleanly_with_partial_results():
    import dataclasses

    from kspec.check import verdict_for
    m = model_of(BIG)
    cm = compile_model(m)
    calls = {"n": 0}
    real = cm.expand

    def interrupted(*a, **kw):
        calls["n"] += 1
        if calls["n"] > 20:
            raise KeyboardInterrupt
        return real(*a, **kw)

    cm2 = dataclasses.replace(cm, expand=interrupted)
    ex = explore(cm2, {p.name for p in m.properties}, Limits())
    assert not ex.complete and ex.stop_reason == "interrupted"
    assert ex.count >= 20
    assert verdict_for(ex, m.property("ok")).status == "inconclusive"
