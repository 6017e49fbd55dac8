"""Every IR expression node is implemented by both engines, and ground
expressions evaluate identically in Python (the explicit engine's compiled
code) and in Z3 (the symbolic encoding), including where evaluation fails."""
from __future__ import annotations

import functools
import typing

import pytest
import z3
from hypothesis import given, settings, strategies as st

from kspec.explicit.compile import RUNTIME, EvalError, ExprCompiler
from kspec.ir import nodes as N
from kspec.symbolic.encode import ExprEncoder, Num, num_width

SLOTS = (
    N.Slot("b0", N.BOOL, "b0"),
    N.Slot("i0", N.IntSort(-2, 5), "i0"),
    N.Slot("i1", N.IntSort(0, 3), "i1"),
    N.Slot("s0", N.SetSort(4, 0), "s0"),
    N.Slot("s1", N.SetSort(3, 1), "s1"),
)
S4, S3 = SLOTS[3].sort, SLOTS[4].sort
I0, I1, B0, V0, V1 = N.Var(1), N.Var(2), N.Var(0), N.Var(3), N.Var(4)

SAMPLES: dict[type, N.Expr] = {
    N.Lit: N.Lit(3, N.IntSort(0, 5)),
    N.Var: I0,
    N.Select: N.Select((N.Lit(7), I1, N.Lit(2)), I0, 0),
    N.Not: N.Not(B0),
    N.And: N.And((B0, N.Cmp("<", I0, I1))),
    N.Or: N.Or((B0, N.Cmp("==", I0, N.Lit(1)))),
    N.Ite: N.Ite(B0, I0, I1),
    N.Cmp: N.Cmp("<=", I0, I1),
    N.Arith: N.Arith("/", I0, I1),
    N.SetLit: N.SetLit((I1, N.Lit(0)), S4),
    N.Member: N.Member(I0, V0, S4),
    N.SetOp: N.SetOp("diff", V0, N.SetLit((N.Lit(1),), S4), S4),
    N.Size: N.Size(V0, S4),
}


def expr_classes() -> set[type]:
    return set(typing.get_args(N.Expr))


def python_eval(e: N.Expr, s: tuple):
    src = ExprCompiler(SLOTS).src(e)
    try:
        return ("ok", int(eval(f"lambda s: {src}", dict(RUNTIME))(s)))  # generated from the IR only
    except (EvalError, IndexError, ValueError, ZeroDivisionError):
        return ("error", None)


def z3_eval(e: N.Expr, s: tuple):
    num = Num(num_width(SLOTS, {v for v in s} | {7}))
    state = [num.lit(v, sl.sort) for v, sl in zip(s, SLOTS)]
    enc = ExprEncoder(SLOTS, state, num)
    d = enc.defined(e)
    if not z3.is_true(z3.simplify(z3.BoolVal(d) if isinstance(d, bool) else d)):
        return ("error", None)
    v = z3.simplify(enc.value(e))
    if z3.is_bool(v):
        return ("ok", int(z3.is_true(v)))
    return ("ok", v.as_signed_long() if num.is_num(v) else v.as_long())


def test_every_expression_node_has_a_sample():
    assert expr_classes() == set(SAMPLES), "add a sample for each new IR expression node"


@pytest.mark.parametrize("cls", sorted(expr_classes(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_both_engines_implement_node(cls):
    e = SAMPLES[cls]
    s = (1, 2, 1, 0b0101, 0b011)
    assert python_eval(e, s) == z3_eval(e, s)


# ---- random ground expressions ------------------------------------------------------
STATES = st.tuples(st.integers(0, 1), st.integers(-2, 5), st.integers(0, 3), st.integers(0, 15), st.integers(0, 7))


@functools.lru_cache(maxsize=None)
def ints(depth: int):
    leaf = st.one_of(st.integers(-3, 6).map(lambda v: N.Lit(v)), st.sampled_from([I0, I1]))
    if depth <= 0:
        return leaf
    sub = ints(depth - 1)
    return st.one_of(
        leaf,
        st.builds(N.Arith, st.sampled_from(["+", "-", "*", "/", "%"]), sub, sub),
        st.builds(N.Ite, bools(depth - 1), sub, sub),
        st.builds(lambda opts, idx, off: N.Select(tuple(opts), idx, off), st.lists(sub, min_size=1, max_size=4),
                  sub, st.integers(-1, 2)),
        sets(depth - 1).map(lambda p: N.Size(p[0], p[1])),
    )


@functools.lru_cache(maxsize=None)
def bools(depth: int):
    leaf = st.one_of(st.sampled_from([N.TRUE, N.FALSE, B0]))
    if depth <= 0:
        return leaf
    sub, isub = bools(depth - 1), ints(depth - 1)
    return st.one_of(
        leaf,
        st.builds(N.Not, sub),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: N.And(tuple(xs))),
        st.lists(sub, min_size=1, max_size=3).map(lambda xs: N.Or(tuple(xs))),
        st.builds(N.Cmp, st.sampled_from(["==", "!=", "<", "<="]), isub, isub),
        st.builds(N.Cmp, st.sampled_from(["==", "!="]), sub, sub),
        st.builds(lambda x, p: N.Member(x, p[0], p[1]), isub, sets(depth - 1)),
        sets(depth - 1).flatmap(lambda p: sets_of(p[1], depth - 1).map(lambda q: N.Cmp("==", p[0], q))),
    )


@functools.lru_cache(maxsize=None)
def sets_of(sort: N.SetSort, depth: int):
    var = V0 if sort == S4 else V1
    lits = st.lists(st.integers(sort.lo, sort.lo + sort.size - 1), max_size=3).map(
        lambda xs: N.SetLit(tuple(N.Lit(x) for x in xs), sort))
    leaf = st.one_of(st.just(var), lits)
    if depth <= 0:
        return leaf
    sub = sets_of(sort, depth - 1)
    return st.one_of(
        leaf,
        # literal elements of a set literal are in its sort (lowering checks them)
        st.lists(ints(depth - 1), min_size=1, max_size=2).filter(
            lambda xs: not all(isinstance(x, N.Lit) for x in xs)).map(lambda xs: N.SetLit(tuple(xs), sort)),
        st.builds(lambda op, a, b: N.SetOp(op, a, b, sort), st.sampled_from(["union", "diff", "inter"]), sub, sub),
        st.builds(lambda c, a, b: N.Ite(c, a, b), bools(depth - 1), sub, sub),
    )


@functools.lru_cache(maxsize=None)
def sets(depth: int):
    return st.sampled_from([S4, S3]).flatmap(lambda s: sets_of(s, depth).map(lambda e: (e, s)))


@settings(max_examples=200, deadline=None)
@given(e=st.one_of(ints(3), bools(3), sets(2).map(lambda p: p[0])), s=STATES)
def test_ground_expressions_agree(e, s):
    assert python_eval(e, s) == z3_eval(e, s), ExprCompiler(SLOTS).src(e)
