"""IR expressions and models -> Z3 terms (the only z3 encoder in kspec).

`ExprEncoder` turns one IR expression over a vector of state terms into a Z3
term, and separately into its *definedness* condition (False where the
explicit engine raises `EvalError`: a map index outside its keys, division by
zero, a set element outside its sort), following Python's evaluation order
(`and`/`or`/`if` short-circuit). Booleans are Z3 Bools, integers signed
bit-vectors of one width W with head-room beyond every declared range (so
that bit-blasting, not linear arithmetic, decides the finite-state queries;
`bvsdiv`/`bvsrem` truncate toward zero like the explicit engine), sets
bit-vectors of the set sort's size (narrower than W); values are coerced
where the IR mixes them, as Python does (True == 1).
"""
from __future__ import annotations

from typing import assert_never

import z3

from kspec.ir import nodes as N
from kspec.ir.types import interval



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


def literals(e: N.Expr, out: set[int]) -> None:
    """Collect the integer literals of an expression (for the bit width)."""
    match e:
        case N.Lit(value=v):
            out.add(v)
        case N.Var():
            pass
        case N.Select(options=opts, index=idx, offset=off):
            out.update((off, off + len(opts)))
            for x in (*opts, idx):
                literals(x, out)
        case N.Not(arg=a) | N.Size(set=a):
            literals(a, out)
        case N.And(args=xs) | N.Or(args=xs) | N.SetLit(elems=xs):
            for x in xs:
                literals(x, out)
        case N.Ite(cond=a, then=b, else_=c):
            for x in (a, b, c):
                literals(x, out)
        case N.Cmp(left=a, right=b) | N.Arith(left=a, right=b) | N.SetOp(left=a, right=b) | \
                N.Member(elem=a, set=b):
            literals(a, out)
            literals(b, out)
        case _:
            assert_never(e)


def num_width(slots, lits: set[int] = frozenset()) -> int:
    """Bit width of integers: signed, with head-room (x16) beyond every
    declared range and literal, and wider than every set (sets and integers
    are told apart by width). Narrow words keep bit-blasting cheap."""
    need = max([abs(v).bit_length() for v in lits] + [1])
    for s in slots:
        if isinstance(s.sort, N.IntSort):
            need = max(need, abs(s.sort.lo).bit_length(), abs(s.sort.hi).bit_length())
    sets = [width(s.sort) for s in slots if isinstance(s.sort, N.SetSort)]
    return max(need + 4, 8, max(sets, default=0) + 1)


class Num:
    """Conversions between Z3 Bools, W-bit signed integers and set bit-vectors."""

    def __init__(self, w: int):
        self.W = w

    def val(self, v: int):
        return z3.BitVecVal(v, self.W)

    def is_num(self, t) -> bool:
        return z3.is_bv(t) and t.size() == self.W

    def is_set(self, t) -> bool:
        return z3.is_bv(t) and t.size() != self.W

    def as_bool(self, t):
        if z3.is_bool(t):
            return t
        return t != z3.BitVecVal(0, t.size())

    def as_num(self, t):
        if z3.is_bool(t):
            return z3.If(t, self.val(1), self.val(0))
        if t.size() == self.W:
            return t
        return z3.ZeroExt(self.W - t.size(), t)

    def as_set(self, t, w: int):
        if self.is_set(t) and t.size() == w:
            return t
        t = self.as_num(t) if z3.is_bool(t) else t
        if t.size() < w:
            return z3.ZeroExt(w - t.size(), t)
        return z3.Extract(w - 1, 0, t) if t.size() > w else t

    def unify(self, *ts):
        """Coerce terms to one sort: sets win, then integers, then Bools."""
        sets = [t.size() for t in ts if self.is_set(t)]
        if sets:
            return [self.as_set(t, max(sets)) for t in ts]
        if any(not z3.is_bool(t) for t in ts):
            return [self.as_num(t) for t in ts]
        return list(ts)

    def coerce(self, t, sort: N.SlotSort):
        match sort:
            case N.BoolSort():
                return self.as_bool(t)
            case N.IntSort():
                return self.as_num(t)
            case N.SetSort():
                return self.as_set(t, width(sort))
            case _:
                assert_never(sort)

    def lit(self, v: int, sort: N.SlotSort):
        match sort:
            case N.BoolSort():
                return z3.BoolVal(bool(v))
            case N.SetSort():
                return z3.BitVecVal(v, width(sort))
            case N.IntSort():
                return self.val(v)
            case _:
                assert_never(sort)

    def var(self, slot: N.Slot, name: str):
        match slot.sort:
            case N.BoolSort():
                return z3.Bool(name)
            case N.IntSort():
                return z3.BitVec(name, self.W)
            case N.SetSort():
                return z3.BitVec(name, width(slot.sort))
            case _:
                assert_never(slot.sort)


class ExprEncoder:
    """Encodes IR expressions over `state` (one Z3 term per slot)."""

    def __init__(self, slots: tuple[N.Slot, ...], state, num: Num):
        self.slots = slots
        self.n = num
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
        return self.n.as_bool(self.value(e))

    def defined(self, e: N.Expr):
        k = id(e)
        if k not in self._def:
            self._def[k] = self._defined(e)
            self._keep.append(e)
        return self._def[k]

    def _value(self, e: N.Expr):
        match e:
            case N.Lit(value=v, sort=sort):
                return self.n.lit(v, sort)
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
                ta, tb = self.n.unify(self.value(a), self.value(b))
                return z3.If(self.boolean(c), ta, tb)
            case N.Cmp(op=op, left=a, right=b):
                return self._cmp(op, self.value(a), self.value(b))
            case N.Arith(op=op, left=a, right=b):
                return self._arith(op, self.n.as_num(self.value(a)), self.n.as_num(self.value(b)))
            case N.SetLit(elems=elems, sort=sort):
                return self._setlit(elems, sort)
            case N.Member(elem=x, set=st, sort=sort):
                return self._member(x, st, sort)
            case N.SetOp(op=op, left=a, right=b, sort=sort):
                ta, tb = self.n.as_set(self.value(a), width(sort)), self.n.as_set(self.value(b), width(sort))
                if op == "union":
                    return ta | tb
                if op == "diff":
                    return ta & ~tb
                return ta & tb
            case N.Size(set=st, sort=sort):
                t = self.n.as_set(self.value(st), width(sort))
                out = self.n.val(0)
                for k in range(t.size()):
                    out = out + z3.ZeroExt(self.n.W - 1, z3.Extract(k, k, t))
                return out
            case _:
                assert_never(e)

    def _select(self, opts, idx, off):
        k = self.n.as_num(self.value(idx))
        vals = self.n.unify(*[self.value(o) for o in opts])
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
            ta, tb = self.n.unify(a, b)
            return ta == tb if op == "==" else ta != tb
        ta, tb = self.n.as_num(a), self.n.as_num(b)
        return {"<": ta < tb, "<=": ta <= tb, ">": ta > tb, ">=": ta >= tb}[op]

    def _arith(self, op, a, b):
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b  # bvsdiv truncates toward zero, as `_div`
        if op == "%":
            return z3.SRem(a, b)  # the sign of a, as `_mod`
        raise ValueError(f"unknown arithmetic operator {op}")

    def _setlit(self, elems, sort: N.SetSort):
        """All-literal sets are constants; otherwise every element is checked
        (as `_setbit` does)."""
        w = width(sort)
        bits = 0
        terms = []
        constant = all(isinstance(x, N.Lit) for x in elems)
        for x in elems:
            if constant:
                bits |= 1 << (x.value - sort.lo)
                continue
            v = self.n.as_num(self.value(x))
            t = z3.BitVecVal(0, w)
            for k in range(sort.size - 1, -1, -1):
                t = z3.If(v == sort.lo + k, z3.BitVecVal(1 << k, w), t)
            terms.append(t)
        out = z3.BitVecVal(bits % (1 << w), w)
        for t in terms:
            out = out | t
        return z3.simplify(out) if not terms else out

    def _member(self, x, st, sort: N.SetSort):
        s = self.n.as_set(self.value(st), width(sort))
        if isinstance(x, N.Lit):
            k = x.value - sort.lo
            return z3.Extract(k, k, s) == 1 if 0 <= k < sort.size else z3.BoolVal(False)
        v = self.n.as_num(self.value(x))
        return z3.Or(*[z3.And(v == sort.lo + k, z3.Extract(k, k, s) == 1) for k in range(sort.size)]) \
            if sort.size else z3.BoolVal(False)

    # ---- definedness (where the explicit engine raises) ---------------------------
    def _defined(self, e: N.Expr):
        match e:
            case N.Lit() | N.Var():
                return True
            case N.Select(options=opts, index=idx, offset=off):
                n = len(opts)
                k = self.n.as_num(self.value(idx))
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
                nz = self.n.as_num(self.value(b)) != 0 if op in ("/", "%") else True
                return d_and(self.defined(a), self.defined(b), nz)
            case N.SetLit(elems=elems, sort=sort):
                conds = []
                for x in elems if not all(isinstance(x, N.Lit) for x in elems) else ():
                    v = self.n.as_num(self.value(x))
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
