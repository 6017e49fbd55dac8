"""IR expressions and models -> Z3 terms (the only z3 encoder in kspec).

`ExprEncoder` turns one IR expression over a vector of state terms into a Z3
term, and separately into its *definedness* condition (False where the
explicit engine raises `EvalError`: a map index outside its keys, division by
zero, a set element outside its sort), following Python's evaluation order
(`and`/`or`/`if` short-circuit). Booleans are Z3 Bools, integers Z3 Ints,
sets bit-vectors of the set sort's size; values are coerced where the IR mixes
them, as Python does (True == 1).

`Templates` encodes a whole `Model` once over symbolic "current" state
variables `X` and an action variable `A`: per transition the attempt
condition (pc and guard), enabledness, check conditions and next-state terms;
`Unroller` instantiates them for step t by substitution (`x@t`, `act@t`).
"""
from __future__ import annotations

from typing import assert_never

import z3

from kspec.ir import nodes as N
from kspec.ir.types import interval

Def = "z3.BoolRef | bool"  # True when an expression is always defined


def d_and(*xs) -> "z3.BoolRef | bool":
    xs = [x for x in xs if x is not True]
    if any(x is False for x in xs):
        return False
    return True if not xs else xs[0] if len(xs) == 1 else z3.And(*xs)


def d_or(*xs) -> "z3.BoolRef | bool":
    xs = [x for x in xs if x is not False]
    if any(x is True for x in xs):
        return True
    return False if not xs else xs[0] if len(xs) == 1 else z3.Or(*xs)


def to_z3(d) -> z3.BoolRef:
    return z3.BoolVal(d) if isinstance(d, bool) else d


def width(sort: N.SetSort) -> int:
    return max(sort.size, 1)


def as_bool(t):
    if z3.is_bool(t):
        return t
    return t != (z3.BitVecVal(0, t.size()) if z3.is_bv(t) else 0)


def as_int(t):
    if z3.is_bool(t):
        return z3.If(t, z3.IntVal(1), z3.IntVal(0))
    if z3.is_bv(t):
        return z3.BV2Int(t)
    return t


def as_bv(t, w: int):
    if z3.is_bv(t):
        if t.size() == w:
            return t
        return z3.ZeroExt(w - t.size(), t) if t.size() < w else z3.Extract(w - 1, 0, t)
    if z3.is_bool(t):
        return z3.If(t, z3.BitVecVal(1, w), z3.BitVecVal(0, w))
    if z3.is_int_value(t):
        return z3.BitVecVal(t.as_long(), w)
    return z3.Int2BV(t, w)


def unify(*ts):
    """Coerce terms to one sort: bit-vectors win, then integers, then Bools."""
    bvs = [t.size() for t in ts if z3.is_bv(t)]
    if bvs:
        return [as_bv(t, max(bvs)) for t in ts]
    if any(not z3.is_bool(t) for t in ts):
        return [as_int(t) for t in ts]
    return list(ts)


def coerce(t, sort: N.SlotSort):
    match sort:
        case N.BoolSort():
            return as_bool(t)
        case N.IntSort():
            return as_int(t)
        case N.SetSort():
            return as_bv(t, width(sort))
        case _:
            assert_never(sort)


def lit_term(v: int, sort: N.SlotSort):
    match sort:
        case N.BoolSort():
            return z3.BoolVal(bool(v))
        case N.SetSort():
            return z3.BitVecVal(v, width(sort))
        case N.IntSort():
            return z3.IntVal(v)
        case _:
            assert_never(sort)


def slot_var(slot: N.Slot, name: str):
    match slot.sort:
        case N.BoolSort():
            return z3.Bool(name)
        case N.IntSort():
            return z3.Int(name)
        case N.SetSort():
            return z3.BitVec(name, width(slot.sort))
        case _:
            assert_never(slot.sort)


def _tdiv(a, b):
    """Truncating division (Python `_div`) for b != 0."""
    qa = z3.If(a >= 0, a, -a) / z3.If(b >= 0, b, -b)
    return z3.If((a >= 0) == (b >= 0), qa, -qa)


class ExprEncoder:
    """Encodes IR expressions over `state` (one Z3 term per slot)."""

    def __init__(self, slots: tuple[N.Slot, ...], state):
        self.slots = slots
        self.state = state
        self._val: dict[int, object] = {}
        self._def: dict[int, object] = {}
        self._keep: list = []  # keeps memo keys (ids) alive

    def value(self, e: N.Expr):
        k = id(e)
        r = self._val.get(k)
        if r is None:
            r = self._value(e)
            self._val[k] = r
            self._keep.append(e)
        return r

    def boolean(self, e: N.Expr):
        return as_bool(self.value(e))

    def defined(self, e: N.Expr):
        k = id(e)
        if k not in self._def:
            self._def[k] = self._defined(e)
            self._keep.append(e)
        return self._def[k]

    def _value(self, e: N.Expr):
        match e:
            case N.Lit(value=v, sort=sort):
                return lit_term(v, sort)
            case N.Var(slot=i):
                return self.state[i]
            case N.Select(options=opts, index=idx, offset=off):
                return self._select(opts, idx, off)
            case N.Not(arg=a):
                return z3.Not(self.boolean(a))
            case N.And(args=args):
                return z3.And(*[self.boolean(a) for a in args]) if args else z3.BoolVal(True)
            case N.Or(args=args):
                return z3.Or(*[self.boolean(a) for a in args]) if args else z3.BoolVal(False)
            case N.Ite(cond=c, then=a, else_=b):
                ta, tb = unify(self.value(a), self.value(b))
                return z3.If(self.boolean(c), ta, tb)
            case N.Cmp(op=op, left=a, right=b):
                return self._cmp(op, self.value(a), self.value(b))
            case N.Arith(op=op, left=a, right=b):
                return self._arith(op, as_int(self.value(a)), as_int(self.value(b)))
            case N.SetLit(elems=elems, sort=sort):
                return self._setlit(elems, sort)
            case N.Member(elem=x, set=st, sort=sort):
                return self._member(x, st, sort)
            case N.SetOp(op=op, left=a, right=b, sort=sort):
                ta, tb = unify(as_bv(self.value(a), width(sort)), as_bv(self.value(b), width(sort)))
                if op == "union":
                    return ta | tb
                if op == "diff":
                    return ta & ~tb
                return ta & tb
            case N.Size(set=st, sort=sort):
                t = as_bv(self.value(st), width(sort))
                return z3.Sum([z3.If(z3.Extract(k, k, t) == 1, z3.IntVal(1), z3.IntVal(0))
                               for k in range(t.size())])
            case _:
                assert_never(e)

    def _select(self, opts, idx, off):
        k = as_int(self.value(idx))
        vals = unify(*[self.value(o) for o in opts])
        n = len(vals)
        safe = self._safe_select(idx, off, n)
        out = vals[-1]
        for j in range(n - 2, -1, -1):
            hit = k == j + off
            if safe:  # Python indexes the tuple directly: a negative index wraps around
                hit = z3.Or(hit, k == j + off - n)
            out = z3.If(hit, vals[j], out)
        return out

    def _safe_select(self, idx, off, n) -> bool:
        iv = interval(idx, self.slots)
        return iv is not None and off <= iv[0] and iv[1] < off + n

    def _cmp(self, op, a, b):
        if op in ("==", "!="):
            ta, tb = unify(a, b)
            return ta == tb if op == "==" else ta != tb
        ta, tb = as_int(a), as_int(b)
        return {"<": ta < tb, "<=": ta <= tb, ">": ta > tb, ">=": ta >= tb}[op]

    def _arith(self, op, a, b):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return _tdiv(a, b)
        if op == "%":
            return a - _tdiv(a, b) * b
        raise ValueError(f"unknown arithmetic operator {op}")

    def _setlit(self, elems, sort: N.SetSort):
        w = width(sort)
        bits = 0
        terms = []
        for x in elems:
            if isinstance(x, N.Lit):
                bits |= 1 << (x.value - sort.lo)
                continue
            v = as_int(self.value(x))
            t = z3.BitVecVal(0, w)
            for k in range(sort.size - 1, -1, -1):
                t = z3.If(v == sort.lo + k, z3.BitVecVal(1 << k, w), t)
            terms.append(t)
        out = z3.BitVecVal(bits % (1 << w), w)
        for t in terms:
            out = out | t
        return z3.simplify(out) if not terms else out

    def _member(self, x, st, sort: N.SetSort):
        s = as_bv(self.value(st), width(sort))
        if isinstance(x, N.Lit):
            k = x.value - sort.lo
            return z3.Extract(k, k, s) == 1 if 0 <= k < sort.size else z3.BoolVal(False)
        v = as_int(self.value(x))
        return z3.Or(*[z3.And(v == sort.lo + k, z3.Extract(k, k, s) == 1) for k in range(sort.size)]) \
            if sort.size else z3.BoolVal(False)

    # ---- definedness (where the explicit engine raises) ---------------------------
    def _defined(self, e: N.Expr):
        match e:
            case N.Lit() | N.Var():
                return True
            case N.Select(options=opts, index=idx, offset=off):
                n = len(opts)
                k = as_int(self.value(idx))
                rng = (k - off < n) if self._safe_select(idx, off, n) else z3.And(k >= off, k - off < n)
                return d_and(*[self.defined(o) for o in opts], self.defined(idx), rng)
            case N.Not(arg=a):
                return self.defined(a)
            case N.And(args=args):
                return self._short(args, stop_on=False)
            case N.Or(args=args):
                return self._short(args, stop_on=True)
            case N.Ite(cond=c, then=a, else_=b):
                da, db = self.defined(a), self.defined(b)
                branch = da if da is db else z3.If(self.boolean(c), to_z3(da), to_z3(db))
                return d_and(self.defined(c), branch)
            case N.Cmp(left=a, right=b) | N.SetOp(left=a, right=b):
                return d_and(self.defined(a), self.defined(b))
            case N.Arith(op=op, left=a, right=b):
                nz = as_int(self.value(b)) != 0 if op in ("/", "%") else True
                return d_and(self.defined(a), self.defined(b), nz)
            case N.SetLit(elems=elems, sort=sort):
                conds = []
                for x in elems:
                    if isinstance(x, N.Lit):
                        continue
                    v = as_int(self.value(x))
                    conds += [self.defined(x), z3.And(v >= sort.lo, v < sort.lo + sort.size)]
                return d_and(*conds)
            case N.Member(elem=x, set=st):
                if isinstance(x, N.Lit):
                    return self.defined(st) if 0 <= x.value - e.sort.lo < e.sort.size else True
                return d_and(self.defined(x), self.defined(st))
            case N.Size(set=st):
                return self.defined(st)
            case _:
                assert_never(e)

    def _short(self, args, stop_on: bool):
        """Definedness of a short-circuit `and` (stop_on=False) / `or` (True)."""
        out = True
        for a in reversed(args):
            b = self.boolean(a)
            rest = out if out is True else d_or(b if stop_on else z3.Not(b), out)
            out = d_and(self.defined(a), rest)
        return out

    def holds(self, e: N.Expr):
        """Defined and true (how the explicit engine's `_safe` reads a predicate)."""
        return to_z3(d_and(self.defined(e), self.boolean(e)))
