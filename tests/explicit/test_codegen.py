"""The optimising code generator (`kspec.explicit.codegen`) against the plain
translation (`ExprCompiler`): on random well-typed expressions and every
well-typed state, the simplified and emitted code has the same value (value
positions: also the same Python type), the same truthiness (boolean
positions) and raises the same error; under facts (known atom values), on the
states where the facts hold. And whole models: the optimised `expand` against
the unoptimised one, on every reachable state."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from kspec.explicit.codegen import BOOL, VAL, Codegen, Facts, Stmt
from kspec.explicit.compile import RUNTIME, EvalError, ExprCompiler, compile_model
from kspec.ir import nodes as N

SLOTS = (
    N.Slot("b", N.BOOL, "b"),
    N.Slot("x", N.IntSort(-1, 3), "x"),
    N.Slot("y", N.IntSort(0, 2), "y"),
    N.Slot("m", N.SetSort(3), "m"),
    N.Slot("z", N.IntSort(0, 5), "z"),
    N.Slot("c", N.BOOL, "c"),
)
DOMAINS = [(0, 1), range(-1, 4), range(0, 3), range(0, 8), range(0, 6), (False, True)]  # c holds Python bools
STATES = list(itertools.product(*DOMAINS))
SET3 = N.SetSort(3)
MODEL = N.Model("t", None, (), SLOTS, (0, 0, 0, 0, 0, False), (), (), (), (), (), ())


_int_leaf = st.one_of(st.builds(N.Lit, st.integers(-2, 4)), st.sampled_from([N.Var(1), N.Var(2), N.Var(4)]))
_sets = st.one_of(st.just(N.Var(3)),
                  st.builds(lambda es: N.SetLit(tuple(es), SET3),
                            st.lists(st.one_of(st.builds(N.Lit, st.integers(0, 2)), _int_leaf.filter(
                                lambda e: isinstance(e, N.Var))), max_size=2)),
                  st.builds(lambda op, a, b: N.SetOp(op, a, b, SET3), st.sampled_from(["union", "diff", "inter"]),
                            st.just(N.Var(3)), st.builds(lambda es: N.SetLit(tuple(es), SET3),
                                                         st.lists(st.builds(N.Lit, st.integers(0, 2)), max_size=2))))
_bools_leaf = st.one_of(st.builds(lambda v: N.Lit(v, N.BOOL), st.integers(0, 1)),
                        st.sampled_from([N.Var(0), N.Var(5)]),
                        st.builds(N.Cmp, st.sampled_from(["==", "!=", "<", "<="]), _int_leaf, _int_leaf))


def _ints(inner):
    return st.one_of(
        st.builds(N.Arith, st.sampled_from(["+", "-", "*", "/", "%"]), inner, inner),
        st.builds(lambda c, a, b: N.Ite(c, a, b), _bools_leaf, inner, inner),
        st.builds(lambda opts, i, off: N.Select(tuple(opts), i, off), st.lists(inner, min_size=1, max_size=4),
                  inner, st.integers(-1, 1)),
        st.builds(lambda s: N.Size(s, SET3), _sets))


_ints_t = st.recursive(_int_leaf, _ints, max_leaves=6)


def _bools(inner):
    return st.one_of(
        st.builds(N.Not, inner),
        st.builds(lambda a: N.And(tuple(a)), st.lists(inner, min_size=2, max_size=4)),
        st.builds(lambda a: N.Or(tuple(a)), st.lists(inner, min_size=2, max_size=4)),
        st.builds(N.Ite, inner, inner, inner),
        st.builds(N.Cmp, st.sampled_from(["==", "!=", "<", "<="]), _ints_t, _ints_t),
        st.builds(lambda x, s: N.Member(x, s, SET3), _ints_t, _sets),
        st.builds(lambda opts, i: N.Select(tuple(opts), i, 0), st.lists(inner, min_size=1, max_size=3), _int_leaf),
    )


BOOLS = st.recursive(_bools_leaf, _bools, max_leaves=12)
INTS = st.recursive(_int_leaf, _ints, max_leaves=10)
VALUES = st.one_of(BOOLS, INTS, st.just(N.Var(5)), st.builds(lambda c: N.Ite(c, N.Var(5), N.Var(0)), BOOLS))


def _run(f, s):
    try:
        v = f(s)
        return "ok", v, type(v)
    except (EvalError, IndexError, ValueError, ZeroDivisionError) as e:
        return "error", type(e).__name__, str(e)


def _plain(e):
    return eval(f"lambda s: {ExprCompiler(SLOTS).src(e)}", dict(RUNTIME))


def _optimised(e, ctx, facts):
    cg = Codegen(MODEL)
    d = cg.dag
    F = Facts({d.intern(a): bits for a, bits in facts})
    r = cg.simp.simp(d.intern(e), ctx, F)
    out = ["def f(s):"]
    cg.em.emit_block([Stmt("return {0}", (r,))], "    ", out)
    ns = dict(RUNTIME)
    exec("\n".join(out), ns)
    return ns["f"], "\n".join(out)


FACTS = st.lists(st.tuples(st.sampled_from([(N.Var(1), -1, 5), (N.Var(2), 0, 3), (N.Var(0), 0, 2)]),
                           st.integers(1, 31)), max_size=2)


def _holds(facts, s):
    for (var, lo, width), bits in facts:
        if not (bits & ((1 << width) - 1)) >> (s[var.slot] - lo) & 1:
            return False
    return True


def _facts(facts):
    return [(var, bits & ((1 << width) - 1)) for (var, lo, width), bits in facts if bits & ((1 << width) - 1)]


@settings(max_examples=300, deadline=None)
@given(BOOLS, FACTS)
def test_boolean_positions_keep_truthiness_and_errors(e, facts):
    facts = [f for f in facts if f[1] & ((1 << f[0][2]) - 1)]
    plain = _plain(e)
    opt, src = _optimised(e, BOOL, _facts(facts))
    for s in STATES:
        if not _holds(facts, s):
            continue
        a, b = _run(plain, s), _run(opt, s)
        if a[0] == "ok":
            assert b[0] == "ok" and bool(a[1]) == bool(b[1]), (s, src)
        else:
            assert a == b, (s, src)


@settings(max_examples=300, deadline=None)
@given(VALUES, FACTS)
def test_value_positions_keep_value_type_and_errors(e, facts):
    facts = [f for f in facts if f[1] & ((1 << f[0][2]) - 1)]
    plain = _plain(e)
    opt, src = _optimised(e, VAL, _facts(facts))
    for s in STATES:
        if _holds(facts, s):
            assert _run(plain, s) == _run(opt, s), (s, src)


def test_decided_formulas_fold():
    cg = Codegen(MODEL)
    d = cg.dag
    x = N.Var(1)
    # x in -1..3: "not (x == -1) and not (x == 0 or ... or x == 3)" never holds
    never = N.And((N.Not(N.Cmp("==", x, N.Lit(-1))),
                   N.Not(N.Or(tuple(N.Cmp("==", x, N.Lit(v)) for v in range(4))))))
    assert cg.simp.simp(d.intern(never), BOOL, Facts()) == d.FALSE
    # several tests of one slot become one
    r = cg.simp.simp(d.intern(N.Or((N.Cmp("==", x, N.Lit(0)), N.Cmp("==", x, N.Lit(2))))), BOOL, Facts())
    assert cg.em.src(r, {}, {}) == "(s[1] in {0, 2})"
    # an if-chain over one slot: the fewest tests
    chain = N.Ite(N.Cmp("==", x, N.Lit(-1)), N.Var(4),
                  N.Ite(N.Cmp("==", x, N.Lit(0)), N.Var(4), N.Ite(N.Cmp("==", x, N.Lit(1)), N.Lit(0), N.Var(4))))
    assert cg.em.src(cg.simp.simp(d.intern(chain), VAL, Facts()), {}, {}) == "(0 if (s[1] == 1) else s[4])"


def test_repeated_expressions_become_locals():
    cg = Codegen(MODEL)
    d = cg.dag
    a = N.Cmp("==", N.Arith("+", N.Var(1), N.Var(2)), N.Lit(3))
    e = d.intern(N.And((a, N.Var(0))))
    f = d.intern(N.Or((a, N.Var(5))))
    out: list[str] = []
    cg.em.emit_block([Stmt("if {0}: x()", (e,)), Stmt("if {0}: y()", (f,))], "", out)
    assert out[0] == "c0 = ((s[1] + s[2]) == 3)" and "c0" in out[1] and "c0" in out[2]


SPECS = [("spec/dmaengine.kspec", "terminate_sync", {"C": 2, "D": 1, "REISSUE": 0}),
         ("spec/tidspbridge.kspec", "refcount", {"THREADS": 2, "OBJS": 2, "INIT_MAPPED": True, "SG_RACE": False}),
         ("spec/uacce.kspec", "v7", None)]


@pytest.mark.parametrize("path,variant,consts", SPECS)
def test_expand_matches_the_unoptimised_translation(path, variant, consts):
    from kspec.pipeline import build_model
    model = build_model(path, variant=variant, constants=consts).model
    assert model is not None
    cm = compile_model(model)
    ns = dict(RUNTIME)
    exec(Codegen(model, optimise=False).expand_source(), ns)
    plain = ns["expand"]
    names = {p.name for p in model.properties} | {"wait_cycle", "range", "deadlock"}
    actives = [frozenset(), frozenset(names), frozenset(sorted(names)[::2]), frozenset({"wait_cycle"})]
    seen = {tuple(model.init)}
    todo = [tuple(model.init)]
    while todo and len(seen) < 3000:
        s = todo.pop()
        for active in actives:
            for ld in (False, True):
                a_ld, b_ld = ((set(), set(), []), (set(), set(), [])) if ld else (None, None)
                a, b = _run(lambda x: cm.expand(x, active, a_ld), s), _run(lambda x: plain(x, active, b_ld), s)
                assert a == b, (s, sorted(active))
                if a[0] == "ok":
                    assert [tuple(map(type, ns)) for _, ns in a[1][0]] == [tuple(map(type, ns)) for _, ns in b[1][0]]
                if ld:
                    assert a_ld[2] == b_ld[2]
        try:
            succs, _ = cm.expand(s, frozenset())
        except (EvalError, IndexError, ValueError, ZeroDivisionError):
            continue
        for _, n in succs:
            if n not in seen:
                seen.add(n)
                todo.append(n)
