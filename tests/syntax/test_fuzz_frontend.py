"""Hypothesis: the front end (parse -> build -> lower) and the explicit engine
never raise a Python exception on any input; bad input yields diagnostics.

Three generators: arbitrary text, soups of kspec tokens, and random small
specs from a grammar of our own (mostly well-formed, sometimes ill-typed)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kspec.check import check_explicit
from kspec.explicit.explore import Limits
from kspec.pipeline import instantiate, parse_source
from kspec.report.diagnostics import REGISTRY, has_errors
from kspec.report.render import render_all

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frontend(text: str):
    sr = parse_source(text, "fuzz.kspec")
    for d in sr.diagnostics:
        assert d.code in REGISTRY
        assert d.code.startswith("KS0"), d
    mr = instantiate(sr)
    for d in mr.diagnostics:
        assert d.code in REGISTRY, d
        assert d.code != "KS9001", d  # an internal error is a kspec bug
    render_all(mr.diagnostics, {"fuzz.kspec": text})  # rendering never fails either
    return mr


@FAST
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text):
    _frontend(text)


TOKENS = ["spec", "const", "var", "sort", "enum", "record", "lock", "object", "define", "process", "action",
          "invariant", "reachable", "variant", "context", "idle", "while", "if", "else", "either", "or",
          "await", "choose", "in", "where", "acquire", "release", "trylock", "goto", "done", "skip", "assert",
          "start", "forall", "exists", "then", "and", "not", "true", "false", "none", "self", "map", "set",
          "bool", "x", "y", "S", "N", "L1:", "L2:", "0", "1", "2", "..", ":=", "=", "==", "!=", "<", "<=",
          "+", "-", "*", "/", "%", "&", "(", ")", "[", "]", "{", "}", ",", ";", ":", "?", "@a", "|", "=>",
          "///doc\n", "//c\n", "\n", ".", "->", "emit", "event"]


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup_never_raises(tokens):
    _frontend(" ".join(tokens))


# ---- random small specs from our own grammar ---------------------------------------------
NAMES_INT = ["n", "m[0]", "m[1]", "c"]


@st.composite
def int_expr(draw, depth=0):
    leaves = st.sampled_from(["0", "1", "2", "N", "n", "m[0]", "m[1]", "c", "size(s)"])
    if depth > 1:
        return draw(leaves)
    return draw(st.one_of(leaves, st.builds(lambda a, op, b: f"({a} {op} {b})", int_expr(depth + 1),
                                            st.sampled_from(["+", "-", "*"]), int_expr(depth + 1))))


@st.composite
def bool_expr(draw, depth=0):
    leaves = st.sampled_from(["true", "false", "b", "0 in s", "o == none", "o != none", "held(l)",
                              "locked(l)", "finished(p)", "at(q, Q1)"])
    if depth > 1:
        return draw(leaves)
    cmp = st.builds(lambda a, op, b: f"{a} {op} {b}", int_expr(depth + 1), st.sampled_from(["==", "<", ">=", "!="]),
                    int_expr(depth + 1))
    comb = st.builds(lambda a, op, b: f"({a} {op} {b})", bool_expr(depth + 1), st.sampled_from(["and", "or", "=>"]),
                     bool_expr(depth + 1))
    quant = st.builds(lambda k, e: f"({k} k in S: m[k] <= {e})", st.sampled_from(["forall", "exists"]),
                      int_expr(depth + 1))
    return draw(st.one_of(leaves, cmp, comb, quant, st.builds(lambda a: f"not {a}", bool_expr(depth + 1))))


@st.composite
def stmt(draw, labels, depth=0):
    simple = st.one_of(
        st.builds(lambda t, e: f"{t} := {e};", st.sampled_from(NAMES_INT), int_expr()),
        st.builds(lambda e: f"b := {e};", bool_expr()),
        st.builds(lambda e: f"await {e};", bool_expr()),
        st.sampled_from(["acquire(l);", "release(l);", "acquire(s2);", "release(s2);", "skip;", "might_sleep();",
                         "s := s + {1};", "s := s - {0};", "o := 1;", "o := none;", "done;",
                         "choose k in S where k != 0; c := k;", "assert_held(l);", "assert_not_held(l);"]),
        st.builds(lambda lab: f"goto {lab};", st.sampled_from(labels)),
        st.builds(lambda e: f"assert a1: {e};", bool_expr()),
    )
    if depth > 0:
        return draw(simple)
    block = st.lists(stmt(labels, depth + 1), min_size=0, max_size=2).map(" ".join)
    compound = st.one_of(
        st.builds(lambda c, a, b: f"if {c} {{ {a} }} else {{ {b} }}", bool_expr(), block, block),
        st.builds(lambda a, b: f"either {{ {a} }} or {{ {b} }}", block, block),
        st.builds(lambda a, b: f"trylock(l) {{ {a} }} else {{ {b} }}", block, block),
    )
    return draw(st.one_of(simple, compound))


@st.composite
def spec_text(draw):
    nconst = draw(st.integers(1, 2))
    plabels = [f"P{k}" for k in range(1, draw(st.integers(1, 3)) + 1)]
    steps = " ".join(f"{lab}: " + " ".join(draw(st.lists(stmt(plabels), max_size=3))) for lab in plabels)
    qsteps = " ".join(draw(st.lists(stmt(["Q1"]), max_size=2)))
    ctx = draw(st.sampled_from(["", "context softirq"]))
    inv = draw(bool_expr())
    wit = draw(bool_expr())
    loop = draw(st.booleans())
    qbody = f"Q1: while n < 2 {{ Q2: n := n + 1; {qsteps} }}" if loop else f"Q1: {qsteps}"
    return f"""
const N = {nconst}
sort S = 0..N
var n: 0..3 = 0
var m: map[S, 0..3] = 0
var c: S = 0
var b: bool = false
var s: set[S] = {{}}
var o: S? = none
lock l: mutex
lock s2: spinlock
process p {{ {steps} }}
process q {ctx} {{ {qbody} }}
invariant inv: {inv}
reachable wit: {wit}
"""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec_text())
def test_random_specs_lower_and_check_without_exceptions(text):
    sr = parse_source(text, "fuzz.kspec")
    assert sr.diagnostics == [], render_all(sr.diagnostics, {"fuzz.kspec": text}) + "\n" + text
    mr = _frontend(text)
    if mr.model is None or has_errors(mr.diagnostics):
        return
    r1 = check_explicit(mr.model, limits=Limits(max_states=2000))
    r2 = check_explicit(mr.model, limits=Limits(max_states=2000))
    assert [(v.prop, v.status, v.length) for v in r1.verdicts] == [(v.prop, v.status, v.length) for v in r2.verdicts]
    for v in r1.verdicts:
        if v.status in ("violated", "reachable"):
            assert v.trace is not None and v.trace.length == v.length


# ---- round trips ------------------------------------------------------------------------------
@st.composite
def reformatted(draw):
    """A random spec and the same spec with comments, doc-free blank lines and
    extra whitespace inserted at statement and block boundaries."""
    text = draw(spec_text())
    fillers = st.sampled_from([" ", "\n", "  \n\t", " /* c */ ", " // c\n", "\n\n"])
    out = []
    for ch in text:
        out.append(ch)
        if ch in ";{}" and draw(st.booleans()):
            out.append(draw(fillers))
    return text, "".join(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reformatted())
def test_layout_and_comments_do_not_change_the_ast(pair):
    a, b = pair
    ra, rb = parse_source(a, "a.kspec"), parse_source(b, "b.kspec")
    assert ra.diagnostics == [] and rb.diagnostics == []
    assert ra.spec.decls == rb.spec.decls


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec_text(), st.integers(0, 1000))
def test_random_runs_replay_through_itf(text, seed):
    """simulate -> ITF -> replay gives back the same states, for random specs."""
    import json

    from kspec.explicit.simulate import simulate
    from kspec.replay import replay_itf
    from kspec.report.itf import dump_itf
    mr = _frontend(text)
    if mr.model is None or has_errors(mr.diagnostics):
        return
    try:
        trace = simulate(mr.model, steps=12, seed=seed)
    except Exception as e:  # an evaluation error in a random run is a `range` finding, not a crash
        from kspec.explicit.compile import EvalError
        assert isinstance(e, (EvalError, IndexError, ZeroDivisionError)), repr(e)
        return
    res = replay_itf(mr.model, json.loads(dump_itf(trace)))
    assert res.diagnostics == [], (res.diagnostics, text)
    assert [s.state for s in res.trace.steps] == [s.state for s in trace.steps]
