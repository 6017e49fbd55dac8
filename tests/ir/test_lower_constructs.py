"""Lowering, construct by construct: the state layout (slots, sorts, initial
values), the ground transitions, the properties, and -- through the explicit
engine -- the meaning of each construct on tiny specs."""
from __future__ import annotations

import pytest

from kspec.ir import nodes as N
from kspec_testlib import build, check, codes_of, errors_of, model_of, statuses, verdict


def slots(m):
    return {s.name: (s, m.init[i]) for i, s in enumerate(m.slots)}


def slot_names(m):
    return [s.name for s in m.slots]


def reach(src, prop, **kw):
    return verdict(src, prop, **kw).status


def tnames(m):
    return [t.name for t in m.transitions]


# ---- constants and overrides -----------------------------------------------------------
CONSTS = """
const A = 2
const B = A * 3 + 1
const FLAG = true
const NEG = 0 - 1
var x: 0..10 = B
var f: bool = FLAG
process p { L1: x := A; f := not FLAG; }
"""


def test_constants_evaluate_and_fold():
    m = model_of(CONSTS)
    assert dict(m.constants) == {"A": 2, "B": 7, "FLAG": 1, "NEG": -1}
    s = slots(m)
    assert s["x"][1] == 7 and s["f"][1] == 1
    (t,) = m.transitions
    ups = dict(t.updates)
    x_slot = slot_names(m).index("x")
    assert ups[x_slot] == N.Lit(2)


def test_constant_overrides():
    m = model_of(CONSTS, constants={"A": 1})
    assert dict(m.constants)["A"] == 1
    assert dict(m.constants)["B"] == 4  # later constants see the override
    assert slots(m)["x"][1] == 4


def test_boolean_constant_override_through_the_api():
    m = model_of(CONSTS, constants={"FLAG": False})
    assert slots(m)["f"][1] == 0


def test_override_of_undeclared_constant_is_KS1013():
    assert [d.code for d in errors_of(CONSTS, constants={"NOPE": 1})] == ["KS1013"]


def test_override_with_wrong_kind_is_an_error():
    assert errors_of(CONSTS, constants={"FLAG": 3}) or errors_of(CONSTS, constants={"A": True})


def test_constant_must_not_read_state():
    assert "KS2002" in codes_of("var n: 0..3 = 0\nvar m: 0..n = 0\nprocess p { L1: m := 0; n := 1; }")


@pytest.mark.parametrize("src", ["var x: 0..3 = 0\nconst N = x + 1\nprocess p { L1: x := N; }",
                                 "var x: 0..1 = 0\n@when(x == 0) process p { L1: x := 1; }"])
def test_constant_reading_state_is_KS2002(src):
    assert codes_of(src) == ["KS2002"]


def test_constant_folding_of_arithmetic():
    m = model_of("const N = 7\nvar a: 0..9 = N / 2\nvar b: 0..9 = N % 4\nvar c: -9..9 = -N + 1\n"
                 "process p { L1: a := 0; b := 0; c := 0; }")
    s = slots(m)
    assert (s["a"][1], s["b"][1], s["c"][1]) == (3, 3, -6)


# ---- sorts, enums, records, maps, sets, options ------------------------------------------
def test_sort_and_range_slots():
    m = model_of("const N = 3\nsort S = 0..N-1\nvar x: S = 2\nvar y: 1..5 = 1\nprocess p { L1: x := 0; y := 5; }")
    s = slots(m)
    assert s["x"][0].sort == N.IntSort(0, 2) and s["x"][1] == 2
    assert s["y"][0].sort == N.IntSort(1, 5) and s["y"][1] == 1


def test_enum_slot_and_constants():
    m = model_of("enum E { RED, GREEN, BLUE }\nvar c: E = GREEN\nprocess p { L1: c := BLUE; }\n"
                 "reachable blue: c == BLUE")
    sl, init = slots(m)["c"]
    assert sl.sort == N.IntSort(0, 2, ("RED", "GREEN", "BLUE")) and init == 1


def test_enum_constants_are_global_and_unique():
    assert "KS1002" in codes_of("enum A { X, Y }\nenum B { Y, Z }\nvar a: A = X\nprocess p { L1: a := Y; }")
    assert "KS1002" in codes_of("enum A { X, X }\nvar a: A = X\nprocess p { L1: a := X; }")


def test_bool_slot():
    sl, init = slots(model_of("var b: bool = true\nprocess p { L1: b := false; }"))["b"]
    assert sl.sort == N.BOOL and init == 1


RECORD = """
record R { a: 0..3, b: bool }
var r: R = { a: 2, b: true }
var q: R = { b: false, a: 0 }
process p { L1: r.a := 3; L2: r := q; L3: q := { a: 1, b: true }; }
reachable a3: r.a == 3 and r.b
reachable copied: r == q and not r.b
reachable lit: q.a == 1 and q.b
invariant fields: r.a <= 3
"""


def test_record_is_flattened_into_field_slots():
    m = model_of(RECORD)
    s = slots(m)
    assert [n for n in slot_names(m) if n.startswith(("r.", "q."))] == ["r.a", "r.b", "q.a", "q.b"]
    assert (s["r.a"][1], s["r.b"][1], s["q.a"][1], s["q.b"][1]) == (2, 1, 0, 0)


def test_record_semantics():
    st = statuses(RECORD)
    assert st["a3"] == st["copied"] == st["lit"] == "reachable"
    assert st["fields"] == "holds"


def test_record_literal_errors():
    assert "KS1003" in codes_of("record R { a: 0..3, b: bool }\nvar r: R = { a: 1 }\nprocess p { L1: skip; }")
    assert "KS1007" in codes_of("record R { a: 0..3 }\nvar r: R = { a: 1, c: 2 }\nprocess p { L1: skip; }")


MAPS = """
sort K = 0..2
var m: map[K, 0..3] = 1
var k: K = 0
var grid: map[K, map[bool, bool]] = false
process p { L1: k := 2; L2: m[k] := 3; grid[k][true] := true; }
reachable written: m[2] == 3 and m[0] == 1 and grid[2][true] and not grid[2][false]
reachable dyn_read: m[k] == 3
invariant others: m[0] == 1 and m[1] == 1
"""


def test_map_slots_one_per_key_with_broadcast_initial_value():
    m = model_of(MAPS)
    s = slots(m)
    assert [n for n in slot_names(m) if n.startswith("m[")] == ["m[0]", "m[1]", "m[2]"]
    assert all(s[f"m[{k}]"][1] == 1 for k in range(3))
    assert "grid[2][true]" in s and s["grid[2][true]"][1] == 0


def test_map_dynamic_read_and_write():
    st = statuses(MAPS)
    assert st["written"] == "reachable" and st["dyn_read"] == "reachable" and st["others"] == "holds"


def test_map_index_out_of_sort_is_an_error():
    assert "KS1003" in codes_of("sort K = 0..1\nvar m: map[K, bool] = false\nprocess p { L1: m[5] := true; }")


SETS = """
sort K = 0..3
var s: set[K] = {0, 2}
var e: set[K] = {}
process p { L1: s := s + {3}; L2: s := s - {0}; L3: e := s & {2, 3}; }
reachable added: 3 in s and size(s) == 3
reachable removed: s == {2, 3}
reachable inter: e == {2, 3} and size(e) == 2
invariant never1: 1 notin s
"""


def test_set_slot_is_a_bitmask():
    sl, init = slots(model_of(SETS))["s"]
    assert sl.sort == N.SetSort(4, 0, ("0", "1", "2", "3"))
    assert init == 0b0101
    assert slots(model_of(SETS))["e"][1] == 0


def test_set_operations():
    st = statuses(SETS)
    assert st == {**st, "added": "reachable", "removed": "reachable", "inter": "reachable", "never1": "holds"}


SET_OFFSET = """
sort K = 0..3
var s: set[K] = {}
var t: set[K] = {1, 2}
process p { L1: s := s + {1, 2}; L2: t := t - {1}; }
reachable union_right: s == {1, 2}
reachable union_wrong: 0 in s
reachable diff_right: t == {2}
"""


def test_set_operation_with_literal_not_starting_at_the_sort_minimum():
    st = statuses(SET_OFFSET)
    assert (st["union_right"], st["union_wrong"], st["diff_right"]) == ("reachable", "unreachable", "reachable")


OPTIONS = """
sort K = 0..2
enum E { A, B }
var o: K? = none
var e: E? = B
process p { L1: o := 2; e := none; L2: o := none; }
reachable some: o != none and o == 2 and e == none
reachable back: o == none and finished(p)
invariant init_ok: o == none => (e == B or finished(p) or at(p, L2))
"""


def test_option_slots_encode_none_below_the_domain():
    s = slots(model_of(OPTIONS))
    assert s["o"][0].sort == N.IntSort(-1, 2, ("none", "0", "1", "2")) and s["o"][1] == -1
    assert s["e"][0].sort.names == ("none", "A", "B") and s["e"][1] == 1


def test_option_semantics():
    st = statuses(OPTIONS)
    assert st["some"] == "reachable" and st["back"] == "reachable" and st["init_ok"] == "holds"


def test_none_compared_with_non_option_is_an_error():
    assert "KS1003" in codes_of("var x: 0..2 = 0\nprocess p { L1: await x != none; }")


# ---- variants and tags -------------------------------------------------------------------------
VARIANTS = """
variant original | fixed | other
var x: 0..3 = 0
@fixed var extra: bool = false
@original process po { L1: x := 1; }
@fixed process pf { L1: x := 2; extra := true; }
process both {
  B1: skip;
  @fixed @other B2: x := 3;
  B3: if variant == original { x := 0; } else if variant in {fixed, other} { skip; }
}
@fixed reachable two: x == 2
reachable three: x == 3
"""


def test_first_variant_is_the_default():
    m = model_of(VARIANTS)
    assert m.variant == "original"
    assert {p.process for p in m.processes} == {"po", "both"}
    assert "extra" not in slot_names(m)
    assert [p.name for p in m.properties if p.kind == "reachable"] == ["three"]
    assert m.processes[-1].labels == ("B1", "B3")  # B2 exists only in fixed/other


def test_selected_variant_keeps_its_tagged_items():
    m = model_of(VARIANTS, variant="fixed")
    assert {p.process for p in m.processes} == {"pf", "both"}
    assert "extra" in slot_names(m)
    assert [p.name for p in m.properties if p.kind == "reachable"] == ["two", "three"]
    assert m.processes[-1].labels == ("B1", "B2", "B3")


def test_variant_tests_fold_away():
    m = model_of(VARIANTS, variant="other")
    b3 = [t for t in m.transitions if t.name == "both.B3"]
    assert len(b3) == 1 and b3[0].guard == N.TRUE


def test_variant_semantics():
    assert reach(VARIANTS, "three") == "unreachable"
    assert reach(VARIANTS, "three", variant="fixed") == "reachable"
    assert reach(VARIANTS, "two", variant="fixed") == "reachable"


def test_unknown_variant():
    assert codes_of(VARIANTS, variant="nope") == ["KS1008"]
    assert codes_of("var x: 0..1 = 0\nprocess p { L1: x := 1; }", variant="a") == ["KS1008"]


WHEN = """
const EXTRA = 0
var x: 0..3 = 0
@when(EXTRA == 1) var y: bool = false
process p { @when(EXTRA == 1) L0: y := true; L1: x := 1; }
@when(EXTRA == 0) reachable r: x == 1
"""


def test_when_tags_select_by_constant():
    m = model_of(WHEN)
    assert "y" not in slot_names(m) and m.processes[0].labels == ("L1",)
    assert [p.name for p in m.properties if p.kind == "reachable"] == ["r"]
    m = model_of(WHEN, constants={"EXTRA": 1})
    assert "y" in slot_names(m) and m.processes[0].labels == ("L0", "L1")
    assert not [p for p in m.properties if p.kind == "reachable"]


def test_when_tag_not_allowed_on_constants():
    assert codes_of("@when(true) const N = 1\nvar x: 0..1 = 0\nprocess p { L1: x := N; }") == ["KS2007"]


def test_when_tag_needs_a_boolean():
    assert "KS1013" in codes_of("const N = 1\nvar x: 0..1 = 0\n@when(N) process p { L1: x := 1; }")


def test_variants_declared_twice():
    assert "KS1002" in codes_of("variant a | b\nvariant c\nprocess p { L1: skip; }")


# ---- defines and quantifiers ---------------------------------------------------------------
DEFINES = """
sort K = 0..2
var m: map[K, 0..3] = 0
define big(v: 0..3) = v >= 2
define total = m[0] + m[1] + m[2]
define any_big = exists k in K: big(m[k])
process p[k: K] { L1: m[k] := k + 1; }
invariant sum: total <= 6
reachable bigs: any_big and total == 6
invariant not_all: not (forall k in K: big(m[k]))
"""


def test_defines_inline():
    st = statuses(DEFINES)
    assert st["sum"] == "holds" and st["bigs"] == "reachable" and st["not_all"] == "holds"


def test_define_errors():
    assert "KS2011" in codes_of("define f = f\nvar x: bool = false\nprocess p { L1: x := f; }")
    assert "KS1006" in codes_of("define f(a: 0..1) = a\nvar x: 0..1 = 0\nprocess p { L1: x := f(1, 1); }")
    assert "KS1003" in codes_of("define f(a: bool) = a\nvar x: 0..1 = 0\nprocess p { L1: await f(x); }")


QUANT = """
sort K = 0..2
var s: set[K] = {}
var m: map[K, bool] = false
process p[k: K] { L1: m[k] := true; s := s + {k}; }
reachable one: exists k in K: m[k]
reachable all: forall k in K: m[k]
invariant pairs: forall i, j in K: (m[i] and m[j]) => (i in s and j in s)
invariant over_set: forall k in s: m[k]
invariant nested: forall i in K: exists j in K: i == j
invariant bool_dom: forall b in bool: b or not b
"""


def test_quantifiers():
    st = statuses(QUANT)
    assert st["one"] == st["all"] == "reachable"
    assert st["pairs"] == st["over_set"] == st["nested"] == st["bool_dom"] == "holds"


def test_count_quantifier():
    src = """
sort K = 0..2
var m: map[K, bool] = false
process p[k: K] { L1: m[k] := true; }
reachable two: (count k in K: m[k]) == 2
invariant le: (count k in K: m[k]) <= 3 and (count k in K: false) == 0
"""
    st = statuses(src)
    assert st["two"] == "reachable" and st["le"] == "holds"
    assert verdict(src, "two").length == 2


def test_forall_conjuncts_are_split_per_instance():
    m = model_of(QUANT)
    prop = next(p for p in m.state_properties if p.name == "over_set")
    assert [c.description for c in prop.conjuncts] == [f"m[k]  [k = {k}]" for k in range(3)]


# ---- processes ---------------------------------------------------------------------------------
PROCS = """
sort T = 0..1
var hits: map[T, 0..2] = 0
process w[t: T] {
  var mine: 0..3 = 0
  L1: mine := t + 1;
  L2: hits[self] := hits[self] + 1; mine := mine + 1;
}
process solo { S1: skip; }
reachable both: hits[0] == 1 and hits[1] == 1
"""


def test_process_instances_pcs_and_locals():
    m = model_of(PROCS)
    assert [p.name for p in m.processes] == ["w[0]", "w[1]", "solo"]
    assert m.pids == ("w[0]", "w[1]", "solo")
    s = slots(m)
    pc = s["pc(w[0])"][0]
    assert pc.sort == N.IntSort(0, 3, ("L1", "L2", "done", "idle")) and pc.kind == "pc"
    assert s["pc(w[0])"][1] == 0
    assert s["w[0].mine"][0].kind == "local" and s["w[1].mine"][1] == 0
    assert m.processes[0].done_value == 2 and m.processes[0].idle_value == 3


def test_process_transitions_are_named_by_instance_and_label():
    m = model_of(PROCS)
    assert tnames(m) == ["w[0].L1", "w[0].L2", "w[1].L1", "w[1].L2", "solo.S1"]
    t = m.transitions[0]
    assert t.actor == "w[0]" and t.label == "L1" and t.pc == (slots(m)["pc(w[0])"][0] and
                                                               slot_names(m).index("pc(w[0])"), 0)


def test_locals_and_self():
    assert reach(PROCS, "both") == "reachable"
    src = PROCS + "reachable mine3: exists t in T: hits[t] == 1\ninvariant cnt: forall t in T: hits[t] <= 1\n"
    st = statuses(src)
    assert st["cnt"] == "holds"


def test_local_shadows_nothing_and_is_per_instance():
    src = """
sort T = 0..1
var sum: 0..4 = 0
process w[t: T] { var c: 0..2 = 0  L1: c := c + 1; L2: c := c + 1; sum := sum + c; }
invariant max: sum <= 4
reachable four: sum == 4
"""
    st = statuses(src)
    assert st["max"] == "holds" and st["four"] == "reachable"


def test_reading_the_local_of_another_instance():
    src = """
sort K = 0..1
process p[k: K] { var c: 0..2 = 0  L1: c := k + 1; }
reachable r: p[0].c == 1 and p[1].c == 2
invariant other: forall k in K: p[k].c <= 2
"""
    st = statuses(src)
    assert st["r"] == "reachable" and st["other"] == "holds"


def test_assigning_the_local_of_another_instance_is_KS2001():
    src = "sort K = 0..1\nprocess p[k: K] { var c: 0..2 = 0  L1: c := k + 1; }\nprocess q { Q1: p[0].c := 2; }"
    assert codes_of(src) == ["KS2001"]


def test_self_outside_an_indexed_process_is_an_error():
    assert "KS1001" in codes_of("var x: 0..1 = 0\nprocess p { L1: x := self; }")


WHILE = """
var n: 0..3 = 0
process p {
  L1: while n < 2 {
    L2: n := n + 1;
  }
  L3: skip;
}
reachable done2: finished(p) and n == 2
"""


def test_while_loop_transitions():
    m = model_of(WHILE)
    assert m.processes[0].labels == ("L1", "L2", "L3")
    l1 = [t for t in m.transitions if t.label == "L1"]
    assert len(l1) == 2  # test true -> L2, test false -> L3
    pc = slot_names(m).index("pc(p)")
    targets = sorted(dict(t.updates)[pc].value for t in l1)
    assert targets == [1, 2]
    (l2,) = [t for t in m.transitions if t.label == "L2"]
    assert dict(l2.updates)[pc] == N.Lit(0)  # back to the loop head


def test_while_loop_semantics():
    v = verdict(WHILE, "done2")
    assert v.status == "reachable" and v.length == 6  # L1 L2 L1 L2 L1(exit) L3
    r = check(WHILE)
    assert r.states == 7


def test_nested_while_and_empty_while_body():
    src = """
var i: 0..2 = 0
var j: 0..2 = 0
process p {
  O: while i < 2 {
    I: while j < 2 { B: j := j + 1; }
    C: i := i + 1; j := 0;
  }
  E: while false { }
}
reachable out: finished(p) and i == 2 and j == 0
"""
    assert reach(src, "out") == "reachable"


GOTO = """
var n: 0..3 = 0
process p {
  L1: n := n + 1;
  L2: if n < 3 { goto L1; } else { done; }
  L3: n := 0;
}
"""


def test_goto_and_done():
    m = model_of(GOTO)
    pc = slot_names(m).index("pc(p)")
    l2 = [t for t in m.transitions if t.label == "L2"]
    assert sorted(dict(t.updates)[pc].value for t in l2) == [0, 3]  # L1 or done
    assert [d.code for d in build(GOTO).diagnostics] == ["KS2003"]  # L3 is unreachable
    assert verdict(GOTO + "reachable three: n == 3 and finished(p)", "three").length == 6


IDLE = """
sort K = 0..1
var ran: map[K, 0..2] = 0
process t[k: K] idle { T1: ran[k] := ran[k] + 1; }
process m {
  M1: start t[1];
  M2: await finished(t[1]); start t[1];
  M3: start t[1];
}
reachable twice: ran[1] == 2
invariant zero_never_runs: ran[0] == 0 and idle(t[0])
reachable running1: running(t[1])
"""


def test_idle_instances_start_in_the_idle_pc():
    m = model_of(IDLE)
    s = slots(m)
    assert s["pc(t[0])"][1] == m.processes[0].idle_value == 2
    assert s["pc(m)"][1] == 0


def test_start_semantics():
    st = statuses(IDLE)
    assert st["twice"] == "reachable"  # restarting a finished instance
    assert st["zero_never_runs"] == "holds"
    assert st["running1"] == "reachable"
    # starting an instance that is already running does nothing: at most two runs
    assert verdict(IDLE + "reachable thrice: ran[1] == 2 and finished(m) and finished(t[1])\n",
                   "thrice").status == "reachable"


def test_start_of_unindexed_idle_process():
    src = "var x: 0..1 = 0\nprocess t idle { T1: x := 1; }\nprocess m { M1: start t; }\nreachable one: x == 1"
    assert verdict(src, "one").length == 2


# ---- actions -------------------------------------------------------------------------------------
ACTIONS = """
sort K = 0..1
enum E { OFF, ON }
var st: map[K, E] = OFF
action on(k: K, e: E) context hardirq when st[k] == OFF and e == ON { st[k] := e; }
action reset { st[0] := OFF; st[1] := OFF; }
reachable both: st[0] == ON and st[1] == ON
"""


def test_actions_ground_per_parameter_value():
    m = model_of(ACTIONS)
    assert tnames(m) == ["on(k=0, e=ON)", "on(k=1, e=ON)", "reset"]  # e == OFF folds to false
    assert all(t.pc is None and t.label is None for t in m.transitions)
    assert m.pids == ("on", "reset")


def test_action_semantics():
    v = verdict(ACTIONS, "both")
    assert v.status == "reachable" and v.length == 2


# ---- statements ------------------------------------------------------------------------------------
def test_await_blocks_until_true():
    src = "var a: bool = false\nvar b: bool = false\nprocess p { L1: await a; b := true; }\n" \
          "process q { Q1: a := true; }\ninvariant order: b => a"
    st = statuses(src)
    assert st["order"] == "holds" and st["deadlock"] == "holds"


def test_statements_in_a_step_see_earlier_ones():
    src = "var x: 0..5 = 0\nvar y: 0..5 = 0\nprocess p { L1: x := 2; y := x + 1; x := y + 1; }\n" \
          "reachable r: x == 4 and y == 3"
    assert verdict(src, "r").length == 1


def test_parallel_semantics_of_a_step_is_atomic():
    src = "var x: 0..2 = 0\nprocess p { L1: x := 1; x := 2; }\nprocess q { Q1: skip; }\n" \
          "invariant never1: x != 1"
    assert verdict(src, "never1").status == "holds"


def test_choose_binds_and_forks():
    src = "sort K = 0..3\nvar x: 0..3 = 0\nprocess p { L1: choose k in K where k % 2 == 1; x := k; }\n"
    m = model_of(src)
    assert [t.bindings for t in m.transitions] == [(("k", "1"),), (("k", "3"),)]
    assert tnames(m) == ["p.L1 [k=1]", "p.L1 [k=3]"]


def test_choose_over_a_set_variable():
    src = "sort K = 0..2\nvar s: set[K] = {0, 2}\nvar x: 0..2 = 1\nprocess p { L1: choose k in s; x := k; }\n" \
          "reachable zero: x == 0\nreachable two: x == 2\ninvariant never1: finished(p) => x != 1"
    st = statuses(src)
    assert st["zero"] == st["two"] == "reachable" and st["never1"] == "holds"


def test_choose_without_candidates_blocks():
    src = "sort K = 0..3\nvar x: 0..3 = 0\nprocess p { L1: choose k in K where k > 5; x := k; }"
    v = verdict(src, "deadlock")
    # the stuck state is the initial one; the waiting process adds one blocked attempt
    assert v.status == "violated" and v.length == 1


def test_either_or_is_one_transition_per_branch():
    src = "var x: 0..3 = 0\nprocess p { L1: either { x := 1; } or { x := 2; } or { await false; } }\n" \
          "reachable one: x == 1\nreachable two: x == 2"
    m = model_of(src)
    assert len(m.transitions) == 2  # the `await false` branch is dead
    st = statuses(src)
    assert st["one"] == st["two"] == "reachable"


def test_if_else_forks_on_state():
    src = "var x: 0..3 = 0\nvar y: 0..3 = 0\nprocess p { L1: either { x := 1; } or { skip; } " \
          "L2: if x == 1 { y := 1; } else if x == 0 { y := 2; } else { y := 3; } }\n" \
          "invariant never3: y != 3\nreachable y1: y == 1\nreachable y2: y == 2"
    st = statuses(src)
    assert st["never3"] == "holds" and st["y1"] == st["y2"] == "reachable"


def test_skip_does_nothing():
    m = model_of("process p { L1: skip; }")
    (t,) = m.transitions
    assert len(t.updates) == 1  # only the program counter


def test_trylock_takes_the_free_lock_or_runs_the_else_branch():
    src = """
lock a: mutex
var got: 0..2 = 0
process p { L1: acquire(a); L2: release(a); }
process q { M1: trylock(a) { got := 1; release(a); } else { got := 2; } }
reachable gotit: got == 1
reachable busy: got == 2
"""
    m = model_of(src)
    m1 = [t for t in m.transitions if t.actor == "q"]
    assert len(m1) == 2
    assert [a.trylock for t in m1 for a in t.lock_attempts] == [True]
    st = statuses(src)
    assert st["gotit"] == st["busy"] == "reachable"
    assert st["deadlock"] == "holds" and st["lockdep_cycle"] == "holds"


# ---- locks ---------------------------------------------------------------------------------------
LOCKS = """
sort K = 0..1
lock big: mutex
lock l[K]: spinlock class shared
lock w: ww_mutex class shared
process p { L1: acquire(big); L2: release(big); }
process q[k: K] { Q1: acquire(l[k]); release(l[k]); acquire(w); release(w); }
"""


def test_lock_instances_and_classes():
    m = model_of(LOCKS)
    assert [(li.name, li.lock_class, li.kind) for li in m.locks] == [
        ("big", "big", "mutex"), ("l[0]", "shared", "spinlock"), ("l[1]", "shared", "spinlock"),
        ("w", "shared", "ww_mutex")]
    s = slots(m)
    owner = s["big"][0]
    assert owner.kind == "lock" and s["big"][1] == -1
    assert owner.sort == N.IntSort(-1, 2, ("free", "p", "q[0]", "q[1]"))


def test_acquire_blocks_and_release_frees():
    src = "lock a: mutex\nvar in_cs: 0..2 = 0\n" \
          "process p[k: 0..1] { L1: acquire(a); in_cs := in_cs + 1; L2: in_cs := in_cs - 1; release(a); }\n" \
          "invariant mutual_exclusion: in_cs <= 1"
    st = statuses(src)
    assert st["mutual_exclusion"] == "holds" and st["deadlock"] == "holds"


def test_held_locked_holds_predicates():
    src = """
lock a: mutex
var seen: bool = false
process p { L1: acquire(a); L2: seen := held(a); release(a); }
invariant lk: locked(a) <=> at(p, L2)
"""
    # `<=>` is not in the grammar: use two implications instead
    src = src.replace("locked(a) <=> at(p, L2)", "(locked(a) => at(p, L2)) and (at(p, L2) => holds(p, a))")
    src += "reachable seen_it: seen\n"
    st = statuses(src)
    assert st["lk"] == "holds" and st["seen_it"] == "reachable"


def test_irq_mode_slot_only_for_locks_taken_with_bh():
    m = model_of("lock s: spinlock\nlock t: spinlock\n"
                 "process p { L1: acquire_bh(s); release_bh(s); acquire(t); release(t); }")
    assert [sl.name for sl in m.slots if sl.kind == "lockmode"] == ["irqmode(s)"]


# ---- objects --------------------------------------------------------------------------------------
OBJECTS = """
sort O = 0..1
object c[o: O] { refcount: counter; }
object k[o: O] { refcount: kref; initial: live; max_refs: 2 }
process p { L1: alloc(c[0]); get(c[0]); L2: put(c[0]); free(c[0]); get(k[1]); put(k[1]); }
"""


def test_object_slots():
    m = model_of(OBJECTS)
    s = slots(m)
    assert s["alive(c[0])"][0].sort == N.BOOL and s["alive(c[0])"][1] == 0
    assert s["refs(c[0])"][0].sort == N.IntSort(0, 4) and s["refs(c[0])"][1] == 0  # default max_refs 4
    assert s["alive(k[1])"][1] == 1 and s["refs(k[1])"][1] == 1  # a live kref starts at 1
    assert s["refs(k[1])"][0].sort == N.IntSort(0, 2)


def test_counter_and_kref_semantics():
    src = """
sort O = 0..0
object c[o: O] { refcount: counter; }
object k[o: O] { refcount: kref; }
process p {
  L1: alloc(c[0]); alloc(k[0]);
  L2: get(c[0]); get(k[0]);
  L3: put(c[0]); put(k[0]);
  L4: free(c[0]); put(k[0]);
}
reachable c1: refs(c[0]) == 1 and refs(k[0]) == 2
reachable gone: finished(p) and not alive(c[0]) and not alive(k[0])
"""
    st = statuses(src)
    assert st["c1"] == st["gone"] == "reachable"
    assert all(st[p] == "holds" for p in ("use_after_free", "double_free", "ref_underflow", "leak",
                                          "free_while_referenced", "double_alloc"))


def test_object_without_refcount():
    src = "sort O = 0..0\nobject b[o: O] { refcount: none; }\nprocess p { L1: alloc(b[0]); use(b[0]); free(b[0]); }"
    m = model_of(src)
    assert not any(s.kind == "refs" for s in m.slots)


def test_get_on_object_without_refcount_is_an_error():
    assert "KS1006" in codes_of("sort O = 0..0\nobject b[o: O] { refcount: none; }\nprocess p { L1: alloc(b[0]); get(b[0]); }")
    assert "KS1006" in codes_of("sort O = 0..0\nobject b[o: O] { refcount: none; }\nvar x: 0..4 = 0\n"
                                "process p { L1: x := refs(b[0]); }")


def test_object_initial_expression():
    m = model_of("const N = 2\nsort O = 0..3\nobject c[o: O] { refcount: kref; initial: o < N; }\n"
                 "process p { L1: put(c[0]); put(c[1]); }")
    s = slots(m)
    assert [s[f"alive(c[{k}])"][1] for k in range(4)] == [1, 1, 0, 0]
    assert [s[f"refs(c[{k}])"][1] for k in range(4)] == [1, 1, 0, 0]


def test_alive_and_refs_with_dynamic_index():
    src = """
sort O = 0..1
var which: O = 0
object c[o: O] { refcount: counter; }
process p { L1: which := 1; L2: alloc(c[which]); get(c[which]); }
reachable r: alive(c[which]) and refs(c[which]) == 1 and not alive(c[0])
"""
    assert verdict(src, "r").status == "reachable"


# ---- built-in property list -----------------------------------------------------------------------
def test_builtin_properties_depend_on_what_the_spec_uses():
    plain = [p.name for p in model_of("var x: 0..1 = 0\nprocess p { L1: x := 1; }").properties]
    assert plain == ["deadlock", "range"]
    with_locks = {p.name: p.kind for p in model_of("lock a: mutex\nprocess p { L1: acquire(a); release(a); }")
                  .properties}
    assert with_locks["lockdep_cycle"] == "lockdep" and with_locks["lock_recursion"] == "check"
    assert "use_after_free" not in with_locks and "leak" not in with_locks
    with_obj = [p.name for p in model_of(OBJECTS).properties]
    assert "leak" in with_obj and "use_after_free" in with_obj and "free_while_referenced" in with_obj
    sleeper = [p.name for p in model_of("process p { L1: might_sleep(); }").properties]
    assert "sleep_in_atomic" in sleeper


def test_user_assert_is_a_property():
    m = model_of("var x: 0..1 = 0\nprocess p { L1: assert mine: x == 0; x := 1; }")
    info = m.property("mine")
    assert info is not None and info.kind == "check" and not info.builtin


def test_user_properties_come_first_in_declaration_order():
    m = model_of("var x: 0..1 = 0\nprocess p { L1: x := 1; }\nreachable r: x == 1\ninvariant i: x <= 1")
    assert [p.name for p in m.properties][:2] == ["r", "i"]


def test_duplicate_property_name():
    assert "KS1002" in codes_of("var x: 0..1 = 0\nprocess p { L1: x := 1; }\ninvariant i: true\ninvariant i: true")


# ---- warnings ---------------------------------------------------------------------------------------
def test_unused_declarations_warn_but_do_not_fail():
    mr = build("const C = 1\nsort S = 0..1\nvar v: bool = false\nlock l: mutex\ndefine d = 1\n"
               "var x: 0..1 = 0\nprocess p { L1: x := 1; }")
    assert mr.model is not None
    warned = [(d.code, d.severity.value) for d in mr.diagnostics]
    assert warned == [("KS2004", "warning")] * 5


def test_constant_used_only_through_an_override_is_not_unused():
    mr = build("const C = 1\nvar x: 0..1 = 0\nprocess p { L1: x := 1; }", constants={"C": 0})
    assert [d.code for d in mr.diagnostics] == []


def test_diagnostics_are_reported_for_every_bad_declaration():
    codes = codes_of("var a: 0..1 = undefined_one\nvar b: 0..1 = undefined_two\nprocess p { L1: skip; }")
    assert codes == ["KS1001", "KS1001"]


# ---- more expression forms ----------------------------------------------------------------------
def test_optional_index_outside_the_keys_is_a_range_violation():
    src = "sort K = 0..1\nvar m: map[K, bool] = false\nvar o: K? = none\nprocess p { L1: m[o] := true; }"
    v = verdict(src, "range")
    assert (v.status, v.length) == ("violated", 1)
    guarded = "sort K = 0..1\nvar m: map[K, bool] = false\nvar o: K? = none\n" \
              "process p { L1: o := 1; L2: if o != none { m[o] := true; } }\nreachable r: m[1]"
    st = statuses(guarded)
    assert st["r"] == "reachable" and st["range"] == "holds"


def test_record_with_a_map_field():
    src = "sort K = 0..1\nrecord R { m: map[K, bool], n: 0..2 }\nvar r: R = { m: false, n: 0 }\n" \
          "process p { L1: r.m[1] := true; r.n := 2; }\nreachable x: r.m[1] and r.n == 2 and not r.m[0]"
    assert reach(src, "x") == "reachable"


def test_equality_of_maps():
    src = "sort K = 0..1\nvar a: map[K, 0..2] = 0\nvar b: map[K, 0..2] = 0\n" \
          "process p { L1: a[0] := 1; L2: b[0] := 1; }\ninvariant eq_at_end: finished(p) => a == b\n" \
          "reachable ne: a != b"
    st = statuses(src)
    assert st["eq_at_end"] == "holds" and st["ne"] == "reachable"


def test_negative_ranges_and_truncating_division():
    src = "var a: -3..3 = 0\nvar b: -3..3 = 0\nprocess p { L1: a := 7 / 2; b := 7 % 2; L2: a := -a; b := -b; }\n" \
          "reachable r1: a == 3 and b == 1\nreachable r2: a == -3 and b == -1"
    st = statuses(src)
    assert st["r1"] == st["r2"] == "reachable"


def test_done_inside_a_loop_and_goto_the_loop_head():
    src = "var n: 0..3 = 0\nprocess p { L1: while true { L2: n := n + 1; if n == 2 { done; } } }\n" \
          "reachable r: finished(p) and n == 2\ninvariant le2: n <= 2"
    st = statuses(src)
    assert st["r"] == "reachable" and st["le2"] == "holds"
    src = "var n: 0..3 = 0\nprocess p { L1: while n < 3 { L2: n := n + 1; goto L1; } L3: skip; }\n" \
          "reachable r: finished(p) and n == 3"
    assert verdict(src, "r").length == 8


def test_quantifiers_over_the_empty_set():
    src = "var s: set[0..2] = {}\ninvariant a: forall x in s: x > 5\ninvariant b: not (exists x in s: true)\n" \
          "process p { L1: skip; }"
    st = statuses(src)
    assert st["a"] == st["b"] == "holds"


def test_sets_of_enums():
    src = "enum E { A, B, C }\nvar s: set[E] = {A}\nprocess p { L1: s := s + {C}; L2: s := s - {A}; }\n" \
          "reachable r: s == {C}"
    assert verdict(src, "r").length == 2


def test_held_inside_an_action():
    src = "lock a: spinlock\nvar ok: bool = false\naction act when not ok { acquire(a); ok := held(a); release(a); }\n" \
          "reachable r: ok"
    assert reach(src, "r") == "reachable"


def test_conditional_expression_with_none_branch():
    src = "sort K = 0..2\nvar o: K? = none\nvar b: bool = false\nprocess p { L1: o := if b then none else 2; }\n" \
          "reachable r: o == 2"
    assert reach(src, "r") == "reachable"


# ---- foreach and set comprehensions ---------------------------------------------------------------
FOREACH = """
sort K = 0..2
var m: map[K, 0..3] = 1
var s: set[K] = {0, 2}
var n: 0..9 = 0
process p {
  L1: foreach k in K where k != 1 { m[k] := 0; }
  L2: s := {k for k in K if m[k] == 0}; foreach k in K { n := n + k; }
}
reachable r: m[0] == 0 and m[1] == 1 and m[2] == 0 and finished(p) and s == {0, 2} and n == 3
invariant comp: s == {x for x in {0, 2}}
"""


def test_foreach_and_set_comprehension():
    st = statuses(FOREACH)
    assert st["r"] == "reachable" and st["comp"] == "holds"
    assert verdict(FOREACH, "r").length == 2  # each foreach is within its step


def test_foreach_releases_and_objects():
    src = """
sort K = 0..2
lock l[K]: spinlock class per_chan
object o[k: K] { refcount: counter; }
process p { L1: foreach k in K { alloc(o[k]); } L2: foreach k in K where k > 0 { free(o[k]); } L3: free(o[0]); }
reachable some: alive(o[0]) and not alive(o[1]) and not alive(o[2])
"""
    st = statuses(src)
    assert st["some"] == "reachable" and st["double_free"] == "holds" and st["leak"] == "holds"


@pytest.mark.parametrize("body", ["acquire(l[k]);", "await true;", "choose j in K; skip;",
                                  "either { skip; } or { skip; }", "goto L1;", "done;"])
def test_foreach_body_restrictions(body):
    src = f"sort K = 0..1\nlock l[K]: mutex\nprocess p {{ L1: foreach k in K {{ {body} }} }}"
    assert "KS2007" in codes_of(src)


def test_foreach_variable_cannot_be_assigned():
    assert "KS2001" in codes_of("sort K = 0..1\nprocess p { L1: foreach k in K { k := 1; } }")


def test_set_comprehension_element_outside_the_sort_is_a_range_violation():
    src = "sort K = 0..2\nvar s: set[K] = {}\nprocess p { L1: s := {k + 1 for k in K}; }\nreachable r: size(s) == 3"
    st = statuses(src)
    assert st["range"] == "violated" and st["r"] == "unreachable"


# ---- events ---------------------------------------------------------------------------------------
EVENTS = """
enum Ret { OK, EBUSY }
sort K = 0..1
event op(k: K) -> Ret
event tick()
var busy: bool = false
process p[k: K] { L1: if busy { emit op(k) -> EBUSY; } else { busy := true; emit op(k) -> OK; } L2: emit tick(); }
"""


def test_emit_marks_the_transition_with_its_event():
    m = model_of(EVENTS)
    assert [e.name for e in m.events] == ["op", "tick"]
    l1 = [t.event for t in m.transitions if t.name == "p[1].L1"]
    assert {e.name for e in l1} == {"op"} and len(l1) == 2
    assert all(e.args == (N.Lit(1),) for e in l1)
    assert sorted(e.result.value for e in l1) == [0, 1]  # OK, EBUSY
    (l2,) = [t.event for t in m.transitions if t.name == "p[0].L2"]
    assert l2.name == "tick" and l2.result is None


@pytest.mark.parametrize("body,code", [
    ("emit nope(1);", "KS1001"),
    ("emit tick(1);", "KS1006"),
    ("emit op(0);", "KS1006"),
    ("emit tick(); emit tick();", "KS2007"),
])
def test_emit_errors(body, code):
    src = "enum Ret { OK }\nevent op(k: 0..1) -> Ret\nevent tick()\nprocess p { L1: " + body + " }"
    assert code in codes_of(src)
