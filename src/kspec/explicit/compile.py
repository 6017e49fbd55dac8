"""IR model -> generated Python: the explicit engine's compiled transitions.

Every IR expression becomes Python source over the state tuple `s`; each
transition becomes small functions (guard, block, checks, apply) used for
replay and reports, and all of them are fused into one `expand(s)` function
that dispatches on program counters, evaluates guards before building any
state, fires checks, and returns the successors. The source is compiled once
per model; no IR is walked per state. Specs never contribute code: only
integers and slot numbers from the IR reach the generated text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from typing import assert_never

from kspec.ir import nodes as N
from kspec.ir.types import interval


class EvalError(Exception):
    """A spec expression cannot be evaluated in some state (index outside a
    map's keys, division by zero)."""


def _sel(options, k):
    if 0 <= k < len(options):
        return options[k]
    raise EvalError(f"index {k} outside 0..{len(options) - 1}")


def _div(a, b):
    if b == 0:
        raise EvalError("division by zero")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _mod(a, b):
    return a - _div(a, b) * b


def _bit(elem, lo, size, bits):
    k = elem - lo
    if 0 <= k < size:
        return (bits >> k) & 1
    return 0


def _setbit(elem, lo, size):
    k = elem - lo
    if 0 <= k < size:
        return 1 << k
    raise EvalError(f"set element {elem} outside the element sort")


RUNTIME = {"_sel": _sel, "_div": _div, "_mod": _mod, "_bit": _bit, "_setbit": _setbit, "EvalError": EvalError}


class ExprCompiler:
    def __init__(self, slots: tuple[N.Slot, ...]):
        self.slots = slots

    def src(self, e: N.Expr) -> str:
        match e:
            case N.Lit(value=v):
                return repr(int(v))
            case N.Var(slot=i):
                return f"s[{i}]"
            case N.Select(options=opts, index=idx, offset=off):
                body = "(" + ", ".join(self.src(o) for o in opts) + ",)"
                iv = interval(idx, self.slots)
                k = self.src(idx) if off == 0 else f"({self.src(idx)} - {off})"
                if iv is not None and off <= iv[0] and iv[1] < off + len(opts):
                    return f"{body}[{k}]"
                return f"_sel({body}, {k})"
            case N.Not(arg=a):
                return f"(not {self.src(a)})"
            case N.And(args=args):
                return "(" + " and ".join(self.src(a) for a in args) + ")"
            case N.Or(args=args):
                return "(" + " or ".join(self.src(a) for a in args) + ")"
            case N.Ite(cond=c, then=a, else_=b):
                return f"({self.src(a)} if {self.src(c)} else {self.src(b)})"
            case N.Cmp(op=op, left=a, right=b):
                return f"({self.src(a)} {op} {self.src(b)})"
            case N.Arith(op=op, left=a, right=b):
                if op == "/":
                    return f"_div({self.src(a)}, {self.src(b)})"
                if op == "%":
                    return f"_mod({self.src(a)}, {self.src(b)})"
                return f"({self.src(a)} {op} {self.src(b)})"
            case N.SetLit(elems=elems, sort=sort):
                if not elems:
                    return "0"
                if all(isinstance(x, N.Lit) for x in elems):
                    bits = 0
                    for x in elems:
                        bits |= 1 << (x.value - sort.lo)  # type: ignore[union-attr]
                    return repr(bits)
                return "(" + " | ".join(f"_setbit({self.src(x)}, {sort.lo}, {sort.size})" for x in elems) + ")"
            case N.Member(elem=x, set=st, sort=sort):
                if isinstance(x, N.Lit):
                    k = x.value - sort.lo
                    return f"(({self.src(st)} >> {k}) & 1)" if 0 <= k < sort.size else "0"
                return f"_bit({self.src(x)}, {sort.lo}, {sort.size}, {self.src(st)})"
            case N.SetOp(op=op, left=a, right=b):
                if op == "union":
                    return f"({self.src(a)} | {self.src(b)})"
                if op == "diff":
                    return f"({self.src(a)} & ~{self.src(b)})"
                return f"({self.src(a)} & {self.src(b)})"
            case N.Size(set=st):
                return f"({self.src(st)}).bit_count()"
            case _:
                assert_never(e)


@dataclass(frozen=True, slots=True)
class CompiledModel:
    """The generated functions of one model. `expand(s, active)` returns
    (successors, violations): successors as (transition id, state) pairs,
    violations as (transition id, check index) pairs for checks whose property
    is in `active` (a set of property names)."""

    model: N.Model
    expand: Callable
    guards: tuple[Callable, ...]
    blocks: tuple[Callable, ...]
    applies: tuple[Callable, ...]
    check_fns: tuple[tuple[Callable, ...], ...]
    invariants: tuple[tuple[str, Callable, tuple[Callable, ...]], ...]  # name, whole, conjuncts
    witnesses: tuple[tuple[str, Callable], ...]
    source: str

    def enabled(self, s: tuple, tid: int) -> bool:
        t = self.model.transitions[tid]
        if t.pc is not None and s[t.pc[0]] != t.pc[1]:
            return False
        return bool(self.guards[tid](s)) and bool(self.blocks[tid](s))

    def attempted(self, s: tuple, tid: int) -> bool:
        """The transition's guard holds (it runs or waits on a lock)."""
        t = self.model.transitions[tid]
        if t.pc is not None and s[t.pc[0]] != t.pc[1]:
            return False
        return bool(self.guards[tid](s))

    def failing_checks(self, s: tuple, tid: int) -> list[int]:
        return [k for k, f in enumerate(self.check_fns[tid]) if f(s)]


def _state_tuple(n: int, updates: dict[int, str]) -> str:
    if n == 0:
        return "()"
    if n <= 400:
        return "(" + ", ".join(updates.get(i, f"s[{i}]") for i in range(n)) + ",)"
    parts = ["l = list(s)"] + [f"l[{i}] = {v}" for i, v in updates.items()]
    return "; ".join(parts) + "; tuple(l)"


def compile_model(model: N.Model) -> CompiledModel:
    ec = ExprCompiler(model.slots)
    n = len(model.slots)
    lines: list[str] = []
    per: list[str] = []
    for tid, t in enumerate(model.transitions):
        per.append(f"def g{tid}(s): return {ec.src(t.guard)}")
        per.append(f"def b{tid}(s): return {ec.src(t.block)}")
        upd = {slot: ec.src(e) for slot, e in t.updates}
        if n <= 400:
            per.append(f"def a{tid}(s): return {_state_tuple(n, upd)}")
        else:
            body = "; ".join(f"l[{i}] = {v}" for i, v in upd.items())
            per.append(f"def a{tid}(s):\n    l = list(s); {body}\n    return tuple(l)" if upd else
                       f"def a{tid}(s): return s")
        for k, c in enumerate(t.checks):
            per.append(f"def c{tid}_{k}(s): return {ec.src(c.bad)}")
    lines.append(_expand_source(model, ec))
    for k, p in enumerate(model.state_properties):
        per.append(f"def p{k}(s): return {ec.src(p.expr)}")
        for j, c in enumerate(p.conjuncts):
            per.append(f"def p{k}_{j}(s): return {ec.src(c.expr)}")
    source = "\n".join(per + lines) + "\n"
    ns: dict = dict(RUNTIME)
    exec(compile(source, f"<kspec:{model.spec_name}>", "exec"), ns)  # generated from the IR only
    T = range(len(model.transitions))
    return CompiledModel(
        model=model, expand=ns["expand"], guards=tuple(ns[f"g{i}"] for i in T),
        blocks=tuple(ns[f"b{i}"] for i in T), applies=tuple(ns[f"a{i}"] for i in T),
        check_fns=tuple(tuple(ns[f"c{i}_{k}"] for k in range(len(model.transitions[i].checks))) for i in T),
        invariants=tuple((p.name, ns[f"p{k}"], tuple(ns[f"p{k}_{j}"] for j in range(len(p.conjuncts))))
                         for k, p in enumerate(model.state_properties) if p.kind == "invariant"),
        witnesses=tuple((p.name, ns[f"p{k}"]) for k, p in enumerate(model.state_properties)
                        if p.kind == "reachable"),
        source=source)


def _expand_source(model: N.Model, ec: ExprCompiler) -> str:
    """One function computing all successors of a state, dispatching on the
    program counter of each process instance."""
    n = len(model.slots)
    by_pc: dict[int, dict[int, list[int]]] = {}
    free: list[int] = []
    for tid, t in enumerate(model.transitions):
        if t.pc is None:
            free.append(tid)
        else:
            by_pc.setdefault(t.pc[0], {}).setdefault(t.pc[1], []).append(tid)
    out = ["def expand(s, active):", "    out = []", "    bad = []"]

    def emit(tid: int, ind: str) -> None:
        t = model.transitions[tid]
        g = ec.src(t.guard)
        inner = ind + "    "
        if g != "1":
            out.append(f"{ind}if {g}:")
        else:
            inner = ind
        for k, c in enumerate(t.checks):
            out.append(f"{inner}if {c.prop!r} in active and {ec.src(c.bad)}: bad.append(({tid}, {k}))")
        b = ec.src(t.block)
        upd = {slot: ec.src(e) for slot, e in t.updates}
        if n <= 400:
            succ = f"out.append(({tid}, {_state_tuple(n, upd)}))"
        else:
            succ = f"out.append(({tid}, a{tid}(s)))"
        if b != "1":
            out.append(f"{inner}if {b}: {succ}")
        else:
            out.append(f"{inner}{succ}")
        if inner == ind and g == "1":
            pass

    for slot, table in by_pc.items():
        out.append(f"    v = s[{slot}]")
        first = True
        for value, tids in sorted(table.items()):
            out.append(f"    {'if' if first else 'elif'} v == {value}:")
            first = False
            for tid in tids:
                emit(tid, "        ")
    for tid in free:
        emit(tid, "    ")
    out.append("    return out, bad")
    return "\n".join(out)
