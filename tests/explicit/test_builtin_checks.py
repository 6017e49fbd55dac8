"""Every built-in check with a tiny spec that violates it and one that
satisfies it, with the shortest counterexample length (counted as in
docs/language.md and architecture.md: a check's counterexample ends with the
failing step, a deadlock's with one blocked attempt per waiting process)."""
from __future__ import annotations

import pytest

from kspec_testlib import check, verdict

ABBA = """
lock a: mutex
lock b: mutex
process p1 { L1: acquire(a); L2: acquire(b); L3: release(b); release(a); }
process p2 { M1: acquire(b); M2: acquire(a); M3: release(a); release(b); }
"""

ORDERED = ABBA.replace("M1: acquire(b); M2: acquire(a); M3: release(a); release(b);",
                       "M1: acquire(a); M2: acquire(b); M3: release(b); release(a);")

# ABBA whose halves never overlap: p2 only starts once p1 is finished.
NON_OVERLAPPING = """
lock a: mutex
lock b: mutex
var phase: 0..1 = 0
process p1 { L1: acquire(a); L2: acquire(b); L3: release(b); release(a); phase := 1; }
process p2 { M1: await phase == 1; acquire(b); M2: acquire(a); M3: release(a); release(b); }
"""

# a process that can always move: `deadlock` never holds of a state with it
SPINNER = "process spinner { S1: while true { S2: skip; } }\n"

OBJ = "sort O = 0..0\nobject ob[o: O] { refcount: %s; }\n"

CASES = [
    # (id, property, spec, expected status, expected length)
    ("deadlock-abba", "deadlock", ABBA, "violated", 4),
    ("deadlock-ordered", "deadlock", ORDERED, "holds", None),
    ("deadlock-self", "deadlock", "lock a: mutex\nprocess p { L1: acquire(a); L2: acquire(a); }", "violated", 2),
    ("deadlock-await", "deadlock", "var x: bool = false\nprocess p { L1: skip; L2: await x; }", "violated", 2),
    ("deadlock-finished-is-fine", "deadlock", "var x: 0..1 = 0\nprocess p { L1: x := 1; }", "holds", None),
    ("deadlock-idle-is-fine", "deadlock", "var x: 0..1 = 0\nprocess p idle { L1: x := 1; }", "holds", None),

    ("wait_cycle-abba-while-another-process-runs", "wait_cycle", ABBA + SPINNER, "violated", 4),
    ("wait_cycle-abba", "wait_cycle", ABBA, "violated", 4),
    ("wait_cycle-ordered", "wait_cycle", ORDERED + SPINNER, "holds", None),

    ("lock_recursion", "lock_recursion",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: acquire(a); L3: release(a); }", "violated", 2),
    ("lock_recursion-ok", "lock_recursion",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: release(a); L3: acquire(a); L4: release(a); }", "holds", None),
    ("lock_recursion-spinlock", "lock_recursion",
     "lock a: spinlock\nprocess p { L1: acquire(a); L2: acquire(a); }", "violated", 2),

    ("lock_release_unheld", "lock_release_unheld", "lock a: mutex\nprocess p { L1: release(a); }", "violated", 1),
    ("lock_release_unheld-other-holder", "lock_release_unheld",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: release(a); }\nprocess q { Q1: skip; Q2: release(a); }",
     "violated", 2),
    ("lock_release_unheld-ok", "lock_release_unheld",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: release(a); }", "holds", None),

    ("sleep_in_atomic-mutex-under-spinlock", "sleep_in_atomic",
     "lock s: spinlock\nlock m: mutex\nprocess p { L1: acquire(s); L2: acquire(m); L3: release(m); release(s); }",
     "violated", 2),
    ("sleep_in_atomic-spinlock-under-mutex-ok", "sleep_in_atomic",
     "lock s: spinlock\nlock m: mutex\nprocess p { L1: acquire(m); L2: acquire(s); L3: release(s); release(m); }",
     "holds", None),
    ("sleep_in_atomic-might_sleep-softirq", "sleep_in_atomic",
     "process p context softirq { L1: might_sleep(); }", "violated", 1),
    ("sleep_in_atomic-might_sleep-hardirq", "sleep_in_atomic",
     "process p context hardirq { L1: skip; L2: might_sleep(); }", "violated", 2),
    ("sleep_in_atomic-might_sleep-process-ok", "sleep_in_atomic", "process p { L1: might_sleep(); }", "holds", None),
    ("sleep_in_atomic-might_sleep-under-spinlock", "sleep_in_atomic",
     "lock s: spinlock\nprocess p { L1: acquire(s); might_sleep(); release(s); }", "violated", 1),
    ("sleep_in_atomic-might_sleep-after-unlock-ok", "sleep_in_atomic",
     "lock s: spinlock\nprocess p { L1: acquire(s); release(s); might_sleep(); }", "holds", None),
    ("sleep_in_atomic-mutex-in-softirq-action", "sleep_in_atomic",
     "lock m: mutex\nvar x: 0..1 = 0\naction a context softirq when x == 0 { acquire(m); x := 1; release(m); }",
     "violated", 1),

    ("lock_held_at_exit", "lock_held_at_exit", "lock a: mutex\nprocess p { L1: acquire(a); }", "violated", 1),
    ("lock_held_at_exit-done", "lock_held_at_exit",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: done; L3: release(a); }", "violated", 2),
    ("lock_held_at_exit-action", "lock_held_at_exit",
     "lock a: spinlock\nvar n: 0..1 = 0\naction act when n == 0 { acquire(a); n := 1; }", "violated", 1),
    ("lock_held_at_exit-ok", "lock_held_at_exit",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: release(a); }", "holds", None),
    ("lock_held_at_exit-ok-still-running", "lock_held_at_exit",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: while true { L3: skip; } }", "holds", None),

    ("assert_held", "assert_held", "lock a: mutex\nprocess p { L1: assert_held(a); }", "violated", 1),
    ("assert_held-held-by-other", "assert_held",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: release(a); }\nprocess q { Q1: assert_held(a); }",
     "violated", 1),
    ("assert_held-ok", "assert_held",
     "lock a: mutex\nprocess p { L1: acquire(a); assert_held(a); L2: assert_held(a); release(a); }", "holds", None),

    ("assert_not_held", "assert_not_held",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: assert_not_held(a); release(a); }", "violated", 2),
    ("assert_not_held-ok", "assert_not_held",
     "lock a: mutex\nprocess p { L1: assert_not_held(a); acquire(a); L2: release(a); assert_not_held(a); }",
     "holds", None),
    ("assert_not_held-held-by-other-ok", "assert_not_held",
     "lock a: mutex\nprocess p { L1: acquire(a); L2: release(a); }\nprocess q { Q1: assert_not_held(a); }",
     "holds", None),

    ("lockdep_cycle-abba", "lockdep_cycle", ABBA, "violated", 2),
    ("lockdep_cycle-ordered", "lockdep_cycle", ORDERED, "holds", None),
    ("lockdep_cycle-non-overlapping", "lockdep_cycle", NON_OVERLAPPING, "violated", 5),
    ("lockdep_cycle-trylock-ok", "lockdep_cycle",
     ABBA.replace("M2: acquire(a); M3: release(a); release(b);",
                  "M2: trylock(a) { release(a); } M3: release(b);"), "holds", None),
    ("lockdep_cycle-three-classes", "lockdep_cycle", """
lock a: mutex
lock b: mutex
lock c: mutex
process p { L1: acquire(a); L2: acquire(b); release(b); release(a); }
process q { M1: acquire(b); M2: acquire(c); release(c); release(b); }
process r { N1: acquire(c); N2: acquire(a); release(a); release(c); }
""", "violated", 2),
    ("lockdep_cycle-class-level", "lockdep_cycle", """
sort K = 0..1
lock l[K]: mutex
lock g: mutex
process p { L1: acquire(l[0]); L2: acquire(g); release(g); release(l[0]); }
process q { M1: acquire(g); M2: acquire(l[1]); release(l[1]); release(g); }
""", "violated", 2),

    ("lockdep_recursion", "lockdep_recursion", """
sort K = 0..1
lock l[K]: mutex
process p { L1: acquire(l[0]); L2: acquire(l[1]); L3: release(l[1]); release(l[0]); }
""", "violated", 2),
    ("lockdep_recursion-shared-class", "lockdep_recursion", """
lock a: spinlock class c
lock b: spinlock class c
process p { L1: acquire(a); acquire(b); release(b); release(a); }
""", "violated", 1),
    ("lockdep_recursion-ww_mutex-exempt", "lockdep_recursion", """
sort K = 0..1
lock l[K]: ww_mutex
process p { L1: acquire(l[0]); L2: acquire(l[1]); L3: release(l[1]); release(l[0]); }
""", "holds", None),
    ("lockdep_recursion-ok", "lockdep_recursion", """
sort K = 0..1
lock l[K]: mutex
process p { L1: acquire(l[0]); L2: release(l[0]); acquire(l[1]); L3: release(l[1]); }
""", "holds", None),

    ("lockdep_irq", "lockdep_irq", """
lock s: spinlock
process t context softirq { L1: acquire(s); release(s); }
process u { M1: acquire(s); release(s); }
""", "violated", 1),
    ("lockdep_irq-bh-ok", "lockdep_irq", """
lock s: spinlock
process t context softirq { L1: acquire(s); release(s); }
process u { M1: acquire_bh(s); release_bh(s); }
""", "holds", None),
    ("lockdep_irq-irqsave-ok", "lockdep_irq", """
lock s: spinlock
process t context hardirq { L1: acquire(s); release(s); }
process u { M1: acquire_irq(s); release_irq(s); }
""", "holds", None),
    ("lockdep_irq-hardirq-bh-not-enough", "lockdep_irq", """
lock s: spinlock
process t context hardirq { L1: acquire(s); release(s); }
process u { M1: acquire_bh(s); release_bh(s); }
""", "violated", 1),
    ("lockdep_irq-process-only-ok", "lockdep_irq", """
lock s: spinlock
process t { L1: acquire(s); release(s); }
process u { M1: acquire(s); release(s); }
""", "holds", None),
    ("lockdep_irq-nested-under-bh-ok", "lockdep_irq", """
lock outer: spinlock
lock s: spinlock
process t context softirq { L1: acquire(s); release(s); }
process u { M1: acquire_bh(outer); acquire(s); release(s); release_bh(outer); }
""", "holds", None),
    ("lockdep_irq-softirq-action", "lockdep_irq", """
lock s: spinlock
var n: 0..1 = 0
action tasklet context softirq when n == 0 { acquire(s); n := 1; release(s); }
process u { M1: skip; M2: acquire(s); release(s); }
""", "violated", 2),

    ("use_after_free", "use_after_free",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: free(ob[0]); L3: use(ob[0]); }", "violated", 3),
    ("use_after_free-get", "use_after_free",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: free(ob[0]); L3: get(ob[0]); }", "violated", 3),
    ("use_after_free-never-allocated", "use_after_free",
     OBJ % "none" + "process p { L1: use(ob[0]); }", "violated", 1),
    ("use_after_free-kref-released", "use_after_free",
     OBJ % "kref" + "process p { L1: alloc(ob[0]); L2: put(ob[0]); L3: use(ob[0]); }", "violated", 3),
    ("use_after_free-racy", "use_after_free",
     OBJ % "none" + "process a { A1: alloc(ob[0]); A2: free(ob[0]); }\nprocess u { U1: await alive(ob[0]); "
                    "U2: use(ob[0]); }", "violated", 4),
    ("use_after_free-ok", "use_after_free",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: use(ob[0]); L3: free(ob[0]); }", "holds", None),

    ("double_free", "double_free",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: free(ob[0]); L3: free(ob[0]); }", "violated", 3),
    ("double_free-never-allocated", "double_free", OBJ % "none" + "process p { L1: free(ob[0]); }", "violated", 1),
    ("double_free-ok", "double_free",
     OBJ % "none" + "process p { L1: alloc(ob[0]); L2: free(ob[0]); L3: alloc(ob[0]); free(ob[0]); }",
     "holds", None),

    ("double_alloc", "double_alloc",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: alloc(ob[0]); L3: free(ob[0]); }", "violated", 2),
    ("double_alloc-initially-live", "double_alloc",
     "sort O = 0..0\nobject ob[o: O] { initial: live; }\nprocess p { L1: alloc(ob[0]); }", "violated", 1),
    ("double_alloc-ok", "double_alloc",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: free(ob[0]); L3: alloc(ob[0]); free(ob[0]); }",
     "holds", None),

    ("ref_underflow", "ref_underflow",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: put(ob[0]); L3: free(ob[0]); }", "violated", 2),
    ("ref_underflow-ok", "ref_underflow",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); L3: put(ob[0]); L4: free(ob[0]); }",
     "holds", None),
    ("ref_underflow-kref-ok", "ref_underflow",
     OBJ % "kref" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); L3: put(ob[0]); L4: put(ob[0]); }",
     "holds", None),

    ("free_while_referenced", "free_while_referenced",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); L3: free(ob[0]); }", "violated", 3),
    ("free_while_referenced-ok", "free_while_referenced",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); L3: put(ob[0]); L4: free(ob[0]); }",
     "holds", None),

    ("leak-counter", "leak", OBJ % "counter" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); }", "violated", 2),
    ("leak-counter-ok", "leak",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); get(ob[0]); L2: put(ob[0]); }", "holds", None),
    ("leak-kref", "leak", OBJ % "kref" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); }", "violated", 2),
    ("leak-kref-ok", "leak",
     OBJ % "kref" + "process p { L1: alloc(ob[0]); L2: get(ob[0]); L3: put(ob[0]); L4: put(ob[0]); }",
     "holds", None),
    ("leak-initial-live", "leak",
     "sort O = 0..1\nobject ob[o: O] { refcount: counter; initial: live; }\nprocess p { L1: get(ob[1]); }",
     "violated", 1),
    ("leak-not-quiescent-ok", "leak",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); get(ob[0]); L2: await false; }", "holds", None),
    ("leak-idle-counts-as-quiescent", "leak",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); get(ob[0]); }\nprocess q idle { Q1: skip; }",
     "violated", 1),
    ("leak-started-process-is-not-quiescent", "leak",
     OBJ % "counter" + "process p { L1: alloc(ob[0]); get(ob[0]); start q; }\nprocess q idle { Q1: skip; }",
     "violated", 2),
    ("leak-reachable-setting", "leak",
     "sort O = 0..0\nvar listed: map[O, bool] = false\nobject ob[o: O] { reachable: listed[o]; }\n"
     "process p { L1: alloc(ob[0]); L2: skip; }", "violated", 2),
    ("leak-reachable-setting-ok", "leak",
     "sort O = 0..0\nvar listed: map[O, bool] = false\nobject ob[o: O] { reachable: listed[o]; }\n"
     "process p { L1: alloc(ob[0]); listed[0] := true; L2: skip; }", "holds", None),
    ("leak-reachable-freed-ok", "leak",
     "sort O = 0..0\nvar listed: map[O, bool] = false\nobject ob[o: O] { reachable: listed[o]; }\n"
     "process p { L1: alloc(ob[0]); L2: free(ob[0]); }", "holds", None),

    ("range", "range", "var x: 0..2 = 0\nprocess p { L1: x := 1; L2: x := x + 2; }", "violated", 2),
    ("range-negative", "range", "var x: 0..2 = 0\nprocess p { L1: x := x - 1; }", "violated", 1),
    ("range-map-index", "range",
     "sort K = 0..1\nvar m: map[K, bool] = false\nvar i: 0..2 = 0\nprocess p { L1: i := 2; L2: m[i] := true; }",
     "violated", 2),
    ("range-max-refs", "range",
     "sort O = 0..0\nobject ob[o: O] { max_refs: 1; }\nprocess p { L1: alloc(ob[0]); get(ob[0]); L2: get(ob[0]); }",
     "violated", 2),
    ("range-ok", "range", "var x: 0..2 = 0\nprocess p { L1: while x < 2 { L2: x := x + 1; } }", "holds", None),

    ("user-assert", "small",
     "var x: 0..3 = 0\nprocess p { L1: x := 1; L2: x := 2; L3: assert small: x < 2; }", "violated", 3),
    ("user-assert-mid-step", "order",
     "var x: 0..3 = 0\nprocess p { L1: x := 2; assert order: x < 2; x := 0; }", "violated", 1),
    ("user-assert-ok", "small", "var x: 0..3 = 0\nprocess p { L1: x := 1; L2: assert small: x < 2; }", "holds", None),
]


@pytest.mark.parametrize("prop,src,status,length", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_builtin_check(prop, src, status, length):
    v = verdict(src, prop)
    assert (v.status, v.length) == (status, length), v.message or v.reason
    if status == "violated":
        assert v.trace is not None and v.trace.length == length
        assert v.message
    else:
        assert v.trace is None


def test_each_builtin_property_has_a_violating_and_a_satisfying_case():
    from kspec.ir.lower import BUILTIN_DOCS
    covered: dict[str, set[str]] = {}
    for _id, prop, _src, status, _len in CASES:
        covered.setdefault(prop, set()).add(status)
    for prop in BUILTIN_DOCS:
        assert covered.get(prop) == {"violated", "holds"}, prop


def test_recursive_acquire_within_one_step():
    r = check("lock a: spinlock\nprocess p { L1: acquire(a); acquire(a); }")
    v = r.verdict("lock_recursion")
    assert (v.status, v.length) == ("violated", 1)


# ---- deadlock vs lockdep ------------------------------------------------------------------
def test_non_overlapping_inversion_is_a_lockdep_cycle_but_no_deadlock():
    r = check(NON_OVERLAPPING)
    assert r.verdict("deadlock").status == "holds"
    v = r.verdict("lockdep_cycle")
    assert v.status == "violated"
    # one witness trace per edge of the cycle, each its own shortest trace
    titles = [t for t, _ in v.extra_traces]
    assert sorted(titles) == ["edge a -> b", "edge b -> a"]
    lengths = sorted(tr.length for _, tr in v.extra_traces)
    assert lengths == [2, 5]


def test_wait_cycle_among_some_processes_is_not_a_global_deadlock():
    r = check(ABBA + SPINNER)
    assert r.verdict("deadlock").status == "holds"
    v = r.verdict("wait_cycle")
    assert v.status == "violated" and "p1 at L2" in v.report and "p2 at M2" in v.report


def test_abba_deadlock_report_says_who_waits_for_whom():
    v = verdict(ABBA, "deadlock")
    assert v.report.startswith("*** DEADLOCK ***")
    lines = v.report.splitlines()[1:]
    assert len(lines) == 2
    assert lines[0].strip().startswith("p1 at L2: waits for") and "held by p2" in lines[0]
    assert lines[1].strip().startswith("p2 at M2: waits for") and "held by p1" in lines[1]
    notes = [st.note for st in v.trace.steps[-2:]]
    assert "b" in notes[0] and "p2" in notes[0] and "a" in notes[1] and "p1" in notes[1]
    assert v.trace.steps[-1].state == v.trace.steps[-3].state  # blocked attempts change nothing


def test_checks_fire_on_the_attempt_even_when_the_step_blocks():
    # p takes the mutex while another process holds it: sleep_in_atomic fires on the blocked attempt
    src = """
lock s: spinlock
lock m: mutex
process holder { H1: acquire(m); H2: skip; H3: release(m); }
process p { L1: acquire(s); L2: acquire(m); release(m); release(s); }
"""
    v = verdict(src, "sleep_in_atomic")
    assert v.length == 2
    src2 = "lock a: mutex\nprocess p { L1: acquire(a); L2: acquire(a); }"
    v2 = verdict(src2, "lock_recursion")
    assert v2.trace.steps[-1].note.endswith("blocks")


def test_lockdep_irq_report_names_both_usages():
    src = dict((c[0], c[2]) for c in CASES)["lockdep_irq"]
    v = verdict(src, "lockdep_irq")
    assert "inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage" in v.report
    assert sorted(t for t, _ in v.extra_traces) == ["{IN-SOFTIRQ} usage", "{SOFTIRQ-ON} usage"]


def test_lockdep_recursion_report():
    src = dict((c[0], c[2]) for c in CASES)["lockdep_recursion"]
    v = verdict(src, "lockdep_recursion")
    assert v.report.startswith("WARNING: possible recursive locking detected")
    assert "(l){l[1]}" in v.report and "(l){l[0]}" in v.report


# ---- invariants and witnesses ----------------------------------------------------------------
def test_invariant_reports_the_failing_conjunct():
    src = "var x: 0..3 = 0\nvar y: 0..3 = 0\nprocess p { L1: x := 1; L2: y := 2; }\n" \
          "invariant inv: x <= 1 and y <= 1 and x + y <= 5"
    v = verdict(src, "inv")
    assert (v.status, v.length) == ("violated", 2)
    assert v.report == "failed conjunct: y <= 1"


def test_invariant_reports_several_failing_conjuncts():
    src = "var x: 0..3 = 0\nvar y: 0..3 = 0\nprocess p { L1: x := 2; y := 2; }\ninvariant inv: x <= 1 and y <= 1"
    v = verdict(src, "inv")
    assert v.report == "failed conjuncts:\n  - x <= 1\n  - y <= 1"


def test_invariant_reports_the_quantifier_instance():
    src = "sort K = 0..2\nvar m: map[K, 0..3] = 0\nprocess p { L1: m[1] := 1; L2: m[2] := 3; }\n" \
          "invariant inv: forall k in K: m[k] <= 2"
    v = verdict(src, "inv")
    assert (v.status, v.length) == ("violated", 2)
    assert v.report == "failed conjunct: m[k] <= 2  [k = 2]"


def test_invariant_reports_nested_quantifier_instances():
    src = "sort K = 0..1\nenum E { A, B }\nvar m: map[K, map[E, bool]] = false\n" \
          "process p { L1: m[1][B] := true; }\ninvariant inv: forall k in K: forall e in E: not m[k][e]"
    v = verdict(src, "inv")
    assert v.report == "failed conjunct: not m[k][e]  [k = 1, e = B]"


def test_invariant_false_initially_has_length_0():
    v = verdict("var x: 0..3 = 3\nprocess p { L1: x := 0; }\ninvariant inv: x < 3", "inv")
    assert (v.status, v.length, v.trace.length) == ("violated", 0, 0)


def test_reachable_and_unreachable_witnesses():
    src = "var x: 0..3 = 0\nprocess p { L1: x := 1; L2: x := 2; }\n" \
          "reachable two: x == 2\nreachable three: x == 3\nreachable zero: x == 0"
    r = check(src)
    two, three, zero = r.verdict("two"), r.verdict("three"), r.verdict("zero")
    assert (two.status, two.length, two.trace.length) == ("reachable", 2, 2)
    assert (three.status, three.trace) == ("unreachable", None)
    assert three.summary() == "unreachable (exhaustive, 3 states)"
    assert (zero.status, zero.length) == ("reachable", 0)


# ---- shortest counterexamples ------------------------------------------------------------------
def test_bfs_finds_the_shortest_counterexample():
    src = """
var x: 0..9 = 0
var y: 0..9 = 0
process slow { S1: x := 1; S2: x := 2; S3: x := 3; S4: x := 4; }
process fast { F1: y := 1; F2: y := 9; }
invariant inv: x < 4 and y < 9
"""
    v = verdict(src, "inv")
    assert v.length == 2 and v.report == "failed conjunct: y < 9"
    assert [s.transition is not None and v.trace.model.transitions[s.transition].actor
            for s in v.trace.steps[1:]] == ["fast", "fast"]


def test_lost_update_race():
    src = """
sort Thread = 0..1
var cnt: 0..2 = 0
process worker[t: Thread] {
  var seen: 0..2 = 0
  L1: seen := cnt;
  L2: cnt := seen + 1;
}
invariant no_lost: (finished(worker[0]) and finished(worker[1])) => cnt == 2
"""
    r = check(src)
    assert r.states == 13
    assert r.verdict("no_lost").length == 4


# ---- determinism -------------------------------------------------------------------------------
def _signature(r):
    out = []
    for v in r.verdicts:
        steps = [(s.transition, s.state, s.note) for s in v.trace.steps] if v.trace else None
        out.append((v.prop, v.status, v.length, v.message, v.report, steps))
    return r.states, r.transitions, out


@pytest.mark.parametrize("src", [ABBA, NON_OVERLAPPING, CASES[-3][2]])
def test_same_input_same_output(src):
    assert _signature(check(src)) == _signature(check(src))
