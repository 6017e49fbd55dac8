"""Source-level types and symbolic values used while lowering.

A source type (`TBool`, `TInt`, `TEnum`, `TSet`, `TMap`, `TRecord`, `TOption`)
describes a value; lowering represents a value as `Scalar` (one IR expression)
or as a tree of them (`MapVal`, `RecVal`), mirroring how compound variables are
laid out over several slots. Smart constructors fold constants so that variant
tests, `self` comparisons and ground parameters disappear before the engines
see them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from kspec.ir import nodes as N


@dataclass(frozen=True, slots=True)
class TBool:
    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class TInt:
    lo: int
    hi: int

    def __str__(self) -> str:
        return f"{self.lo}..{self.hi}"


@dataclass(frozen=True, slots=True)
class TEnum:
    name: str
    members: tuple[str, ...]
    symmetric: bool = False  # a `symmetric` sort: values interchangeable, no literals

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class TSet:
    elem: "TType"

    def __str__(self) -> str:
        return f"set[{self.elem}]"


@dataclass(frozen=True, slots=True)
class TMap:
    key: "TType"
    value: "TType"

    def __str__(self) -> str:
        return f"map[{self.key}, {self.value}]"


@dataclass(frozen=True, slots=True)
class TRecord:
    name: str
    fields: tuple[tuple[str, "TType"], ...]

    def __str__(self) -> str:
        return self.name

    def field_type(self, name: str) -> "TType | None":
        return next((t for f, t in self.fields if f == name), None)


@dataclass(frozen=True, slots=True)
class TOption:
    inner: "TType"

    def __str__(self) -> str:
        return f"{self.inner}?"


@dataclass(frozen=True, slots=True)
class TNone:
    """The type of the literal `none` before it meets an option type."""

    def __str__(self) -> str:
        return "none"


TType = Union[TBool, TInt, TEnum, TSet, TMap, TRecord, TOption, TNone]


def is_finite_scalar(t: TType) -> bool:
    return isinstance(t, (TBool, TInt, TEnum))


def domain(t: TType) -> list[int]:
    """The values of a finite scalar type, as integers."""
    if isinstance(t, TBool):
        return [0, 1]
    if isinstance(t, TInt):
        return list(range(t.lo, t.hi + 1))
    if isinstance(t, TEnum):
        return list(range(len(t.members)))
    raise TypeError(t)


def value_name(t: TType, v: int) -> str:
    if isinstance(t, TBool):
        return "true" if v else "false"
    if isinstance(t, TEnum):
        return t.members[v] if 0 <= v < len(t.members) else str(v)
    if isinstance(t, TOption):
        return "none" if v == none_value(t) else value_name(t.inner, v)
    return str(v)


def none_value(t: TOption) -> int:
    inner = t.inner
    if isinstance(inner, TInt):
        return inner.lo - 1
    return -1


def key_component(t: TType | None, k: int):
    """How key value k of type t appears in a slot address."""
    if t is None:
        return None
    if isinstance(t, TEnum) and t.symmetric:
        return ("#", t.name, k)
    return k


def sym_kind(t: TType) -> tuple:
    """How a slot of type t refers to values of a symmetric sort."""
    if isinstance(t, TEnum) and t.symmetric:
        return ("value", t.name)
    if isinstance(t, TOption) and isinstance(t.inner, TEnum) and t.inner.symmetric:
        return ("option", t.inner.name)
    if isinstance(t, TSet) and isinstance(t.elem, TEnum) and t.elem.symmetric:
        return ("set", t.elem.name)
    return ()


def slot_sort(t: TType) -> N.SlotSort:
    if isinstance(t, TBool):
        return N.BOOL
    if isinstance(t, TInt):
        return N.IntSort(t.lo, t.hi)
    if isinstance(t, TEnum):
        return N.IntSort(0, len(t.members) - 1, t.members)
    if isinstance(t, TOption):
        inner = t.inner
        lo = none_value(t)
        vals = domain(inner)
        names = ("none",) + tuple(value_name(inner, v) for v in vals)
        return N.IntSort(lo, vals[-1], names)
    if isinstance(t, TSet):
        vals = domain(t.elem)
        names = tuple(value_name(t.elem, v) for v in vals)
        return N.SetSort(len(vals), vals[0], names)
    raise TypeError(t)


def compatible(a: TType, b: TType) -> bool:
    """May a value of type b be stored where type a is expected (ranges are
    checked at run time, not here)?"""
    if isinstance(a, TInt) and isinstance(b, TInt):
        return True
    if isinstance(a, TOption):
        return isinstance(b, TNone) or compatible(a.inner, b) or (
            isinstance(b, TOption) and compatible(a.inner, b.inner))
    if isinstance(a, TSet) and isinstance(b, TSet):
        return compatible(a.elem, b.elem) or isinstance(b.elem, TNone)
    if isinstance(a, TMap) and isinstance(b, TMap):
        return compatible(a.key, b.key) and compatible(a.value, b.value)
    return a == b


# ---- symbolic values -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Scalar:
    expr: N.Expr
    type: TType


@dataclass(frozen=True, slots=True)
class MapVal:
    type: TMap
    elems: tuple["Val", ...]  # one per key-domain value, in domain order


@dataclass(frozen=True, slots=True)
class RecVal:
    type: TRecord
    fields: tuple["Val", ...]


Val = Union[Scalar, MapVal, RecVal]


def val_type(v: Val) -> TType:
    return v.type


# ---- smart constructors ------------------------------------------------------------
def lit(v: int | bool, sort: N.SlotSort | None = None) -> N.Lit:
    if isinstance(v, bool):
        return N.TRUE if v else N.FALSE
    return N.Lit(int(v), sort or N.IntSort(int(v), int(v)))


def is_lit(e: N.Expr, v: int | None = None) -> bool:
    return isinstance(e, N.Lit) and (v is None or e.value == v)


def mk_not(a: N.Expr) -> N.Expr:
    if isinstance(a, N.Lit):
        return lit(not a.value)
    if isinstance(a, N.Not):
        return a.arg
    return N.Not(a)


def mk_and(*args: N.Expr) -> N.Expr:
    out: list[N.Expr] = []
    for a in args:
        if isinstance(a, N.Lit):
            if not a.value:
                return N.FALSE
            continue
        parts = a.args if isinstance(a, N.And) else (a,)
        for p in parts:
            if p not in out:
                out.append(p)
    if not out:
        return N.TRUE
    return out[0] if len(out) == 1 else N.And(tuple(out))


def mk_or(*args: N.Expr) -> N.Expr:
    out: list[N.Expr] = []
    for a in args:
        if isinstance(a, N.Lit):
            if a.value:
                return N.TRUE
            continue
        parts = a.args if isinstance(a, N.Or) else (a,)
        for p in parts:
            if p not in out:
                out.append(p)
    if not out:
        return N.FALSE
    return out[0] if len(out) == 1 else N.Or(tuple(out))


def mk_implies(a: N.Expr, b: N.Expr) -> N.Expr:
    return mk_or(mk_not(a), b)


def mk_ite(c: N.Expr, a: N.Expr, b: N.Expr) -> N.Expr:
    if isinstance(c, N.Lit):
        return a if c.value else b
    if a == b:
        return a
    if a == N.TRUE and b == N.FALSE:
        return c
    if a == N.FALSE and b == N.TRUE:
        return mk_not(c)
    return N.Ite(c, a, b)


def mk_cmp(op: str, a: N.Expr, b: N.Expr) -> N.Expr:
    if isinstance(a, N.Lit) and isinstance(b, N.Lit):
        x, y = a.value, b.value
        return lit({"==": x == y, "!=": x != y, "<": x < y, "<=": x <= y}[op])
    if op in ("==", "!=") and a == b:
        return lit(op == "==")
    return N.Cmp(op, a, b)


def mk_arith(op: str, a: N.Expr, b: N.Expr) -> N.Expr:
    if isinstance(a, N.Lit) and isinstance(b, N.Lit):
        x, y = a.value, b.value
        if op == "+":
            return lit(x + y)
        if op == "-":
            return lit(x - y)
        if op == "*":
            return lit(x * y)
        if op in ("/", "%") and y != 0:
            q = abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)
            return lit(q if op == "/" else x - q * y)
    if op in ("+", "-") and is_lit(b, 0):
        return a
    return N.Arith(op, a, b)


def mk_select(options: tuple[N.Expr, ...], index: N.Expr, offset: int) -> N.Expr:
    if isinstance(index, N.Lit):
        k = index.value - offset
        if 0 <= k < len(options):
            return options[k]
    if all(o == options[0] for o in options) and options:
        return N.Select(options, index, offset) if not isinstance(index, N.Lit) else options[0]
    return N.Select(options, index, offset)


def interval(e: N.Expr, slots: tuple[N.Slot, ...] | list[N.Slot]) -> tuple[int, int] | None:
    """A sound integer interval for e, or None when unknown."""
    match e:
        case N.Lit(value=v):
            return (v, v)
        case N.Var(slot=i):
            s = slots[i].sort
            if isinstance(s, N.IntSort):
                return (s.lo, s.hi)
            if isinstance(s, N.BoolSort):
                return (0, 1)
            return None
        case N.Ite(then=a, else_=b):
            x, y = interval(a, slots), interval(b, slots)
            return (min(x[0], y[0]), max(x[1], y[1])) if x and y else None
        case N.Select(options=opts):
            ivs = [interval(o, slots) for o in opts]
            if all(ivs):
                return (min(i[0] for i in ivs), max(i[1] for i in ivs))
            return None
        case N.Arith(op=op, left=a, right=b):
            x, y = interval(a, slots), interval(b, slots)
            if not (x and y):
                return None
            if op == "+":
                return (x[0] + y[0], x[1] + y[1])
            if op == "-":
                return (x[0] - y[1], x[1] - y[0])
            if op == "*":
                c = [x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1]]
                return (min(c), max(c))
            return None
        case N.Size(sort=s):
            return (0, s.size)
        case N.Cmp() | N.Not() | N.And() | N.Or() | N.Member():
            return (0, 1)
        case _:
            return None
