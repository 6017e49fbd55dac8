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
        self.shared: dict[N.Expr, str] = {}  # common subexpressions bound to locals

    def src(self, e: N.Expr) -> str:
        name = self.shared.get(e)
        if name is not None:
            return name
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


class _Lazy:
    """Per-transition functions compiled on first use (reports and replay need
    a few of them; exploration needs none)."""

    def __init__(self, make: Callable[[int], Callable], n: int):
        self._make, self._fns = make, [None] * n

    def __getitem__(self, i: int) -> Callable:
        f = self._fns[i]
        if f is None:
            f = self._fns[i] = self._make(i)
        return f

    def __len__(self) -> int:
        return len(self._fns)


@dataclass(frozen=True, slots=True)
class CompiledModel:
    """The generated functions of one model. `expand(s, active, ld=None)`
    returns (successors, violations): successors as (transition id, state)
    pairs, violations as (transition id, check index) pairs for checks whose
    property is in `active` (a set of property names); with `ld` it also
    reports lockdep events."""

    model: N.Model
    expand: Callable
    guards: _Lazy
    blocks: _Lazy
    applies: _Lazy
    check_fns: _Lazy
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
    return "(" + ", ".join(updates.get(i, f"s[{i}]") for i in range(n)) + ",)" if n else "()"


def _lambda(src: str) -> Callable:
    return eval(compile(f"lambda s: {src}", "<kspec>", "eval"), dict(RUNTIME))  # generated from the IR only


def compile_model(model: N.Model) -> CompiledModel:
    ec = ExprCompiler(model.slots)
    T = model.transitions
    per: list[str] = [_expand_source(model, ec)]
    for k, p in enumerate(model.state_properties):
        per.append(f"def p{k}(s): return {ec.src(p.expr)}")
        for j, c in enumerate(p.conjuncts):
            per.append(f"def p{k}_{j}(s): return {ec.src(c.expr)}")
    source = "\n".join(per) + "\n"
    ns: dict = dict(RUNTIME)
    exec(compile(source, f"<kspec:{model.spec_name}>", "exec"), ns)  # generated from the IR only
    n = len(model.slots)

    def apply(i: int) -> Callable:
        upd = {slot: ec.src(e) for slot, e in T[i].updates}
        return _lambda(_state_tuple(n, upd))

    def checks(i: int) -> tuple[Callable, ...]:
        return tuple(_lambda(ec.src(c.bad)) for c in T[i].checks)

    return CompiledModel(
        model=model, expand=ns["expand"],
        guards=_Lazy(lambda i: _lambda(ec.src(T[i].guard)), len(T)),
        blocks=_Lazy(lambda i: _lambda(ec.src(T[i].block)), len(T)),
        applies=_Lazy(apply, len(T)), check_fns=_Lazy(checks, len(T)),
        invariants=tuple((p.name, ns[f"p{k}"], tuple(ns[f"p{k}_{j}"] for j in range(len(p.conjuncts))))
                         for k, p in enumerate(model.state_properties) if p.kind == "invariant"),
        witnesses=tuple((p.name, ns[f"p{k}"]) for k, p in enumerate(model.state_properties)
                        if p.kind == "reachable"),
        source=source)


def _succ_src(n: int, upd: dict[int, str], tid: int) -> str:
    """Code appending (tid, successor) to `out`; all right-hand sides read the
    pre-state `s`. A list copy beats a tuple display once states are long."""
    if not upd:
        return f"out.append(({tid}, s))"
    if n <= 12:
        return f"out.append(({tid}, {_state_tuple(n, upd)}))"
    sets = "; ".join(f"l[{i}] = {v}" for i, v in upd.items())
    if any("s[" in v for v in upd.values()):
        # evaluate every right-hand side before the first write
        tmp = ", ".join(upd.values())
        names = ", ".join(f"l[{i}]" for i in upd)
        sets = f"{names} = {tmp}" if len(upd) > 1 else sets
    return f"l = list(s); {sets}; out.append(({tid}, tuple(l)))"


def _expand_source(model: N.Model, ec: ExprCompiler, lockdep: bool = True) -> str:
    """One function computing all successors of a state, dispatching on the
    program counter of each process instance. Within one dispatch branch,
    identical checks are evaluated once (forked transitions share them).
    With `lockdep`, lock-acquisition attempts report new class edges and irq
    usages into `ld` = (known edges, known usages, events)."""
    n = len(model.slots)
    by_pc: dict[int, dict[int, list[int]]] = {}
    free: list[int] = []
    for tid, t in enumerate(model.transitions):
        if t.pc is None:
            free.append(tid)
        else:
            by_pc.setdefault(t.pc[0], {}).setdefault(t.pc[1], []).append(tid)
    out = ["def expand(s, active, ld=None):", "    out = []", "    bad = []"]
    if lockdep:
        out.append("    if ld is not None: known_e, known_u, events = ld")

    def emit_group(tids: list[int], ind: str) -> None:
        seen: set[tuple[str, str, str]] = set()
        ec.shared = {}
        for k, e in enumerate(_common_conjuncts([model.transitions[t] for t in tids])):
            out.append(f"{ind}c{k} = {ec.src(e)}")
            ec.shared[e] = f"c{k}"
        for tid in tids:
            emit(tid, ind, seen)
        ec.shared = {}

    def emit(tid: int, ind: str, seen: set) -> None:
        t = model.transitions[tid]
        g = ec.src(t.guard)
        inner = ind + "    " if g != "1" else ind
        if g != "1":
            out.append(f"{ind}if {g}:")
        for k, c in enumerate(t.checks):
            bad = ec.src(c.bad)
            key = (c.prop, g, bad)
            if key in seen:
                continue
            seen.add(key)
            if c.error:  # an erroneous step: never a deadlock state, whether or not it is reported
                out.append(f"{inner}if {bad}: bad.append(({tid}, -2))" + (
                    f"; {c.prop!r} in active and bad.append(({tid}, {k}))"))
            else:
                out.append(f"{inner}if {c.prop!r} in active and {bad}: bad.append(({tid}, {k}))")
        if lockdep:
            _lockdep_lines(t, tid, ec, inner, out, seen, g)
        b = ec.src(t.block)
        succ = _succ_src(n, {slot: ec.src(e) for slot, e in t.updates}, tid)
        out.append(f"{inner}if {b}: {succ}" if b != "1" else f"{inner}{succ}")
        if t.blockers and b != "1":  # blocked on a lock: a wait-for edge candidate
            out.append(f"{inner}elif 'wait_cycle' in active: bad.append(({tid}, -1))")

    for slot, table in by_pc.items():
        out.append(f"    v = s[{slot}]")
        first = True
        for value, tids in sorted(table.items()):
            out.append(f"    {'if' if first else 'elif'} v == {value}:")
            first = False
            emit_group(tids, "        ")
    emit_group(free, "    ")
    out.append("    return out, bad")
    return "\n".join(out)


def _conjuncts(e: N.Expr) -> tuple[N.Expr, ...]:
    return e.args if isinstance(e, N.And) else (e,)


def _common_conjuncts(ts: list[N.Transition]) -> list[N.Expr]:
    """Conjuncts occurring in several guards, blocks or checks of one dispatch
    branch that are worth computing once (never ones that can raise)."""
    from collections import Counter
    count: Counter = Counter()
    for t in ts:
        for e in (t.guard, t.block, *(c.bad for c in t.checks)):
            count.update(set(_conjuncts(e)))
    return [e for e, n in count.items() if n >= 2 and not isinstance(e, (N.Lit, N.Var)) and _total(e)]


def _total(e: N.Expr) -> bool:
    """Evaluation cannot raise (no partial map read, division or set element)."""
    match e:
        case N.Lit() | N.Var():
            return True
        case N.Select() | N.SetLit():
            return False
        case N.Arith(op=op, left=a, right=b):
            return op not in ("/", "%") and _total(a) and _total(b)
        case N.Not(arg=a):
            return _total(a)
        case N.And(args=args) | N.Or(args=args):
            return all(_total(a) for a in args)
        case N.Ite(cond=c, then=a, else_=b):
            return _total(c) and _total(a) and _total(b)
        case N.Cmp(left=a, right=b):
            return _total(a) and _total(b)
        case N.Member(elem=x, set=st):
            return _total(x) and _total(st)
        case N.SetOp(left=a, right=b):
            return _total(a) and _total(b)
        case N.Size(set=st):
            return _total(st)
    return False


def _lockdep_lines(t: N.Transition, tid: int, ec: ExprCompiler, ind: str, out: list[str], seen: set,
                   guard: str) -> None:
    """For each acquisition attempt: irq-usage bits of the target class and one
    dependency edge per held lock, reported only when not yet known."""
    for k, a in enumerate(t.lock_attempts):
        when = ec.src(a.when)
        key = ("#lockdep", guard, f"{a.lock}|{when}|{a.context}|{ec.src(a.softirq_off)}|{ec.src(a.hardirq_off)}")
        if key in seen:
            continue
        seen.add(key)
        body = ind + "    "
        out.append(f"{ind}if ld is not None" + (f" and {when}:" if when != "1" else ":"))
        out.append(f"{body}pass")
        usage = []
        if a.context == "softirq":
            usage.append(("USED_IN_SOFTIRQ", "1"))
        if a.context == "hardirq":
            usage.append(("USED_IN_HARDIRQ", "1"))
        usage.append(("ENABLED_SOFTIRQ", f"not {ec.src(a.softirq_off)}"))
        usage.append(("ENABLED_HARDIRQ", f"not {ec.src(a.hardirq_off)}"))
        for bit, cond in usage:
            if cond == "not 1":
                continue
            ukey = repr((a.lock_class, bit))
            test = f"{ukey} not in known_u" + ("" if cond in ("1", "not 0") else f" and {cond}")
            out.append(f"{body}    if {test}: events.append(('u', {ukey}, {tid}, {k}, None))" if False else
                       f"{body}if {test}: events.append(('u', {ukey}, {tid}, {k}, None))")
        for hname, hclass, cond in a.held:
            c = ec.src(cond)
            if c == "0":
                continue
            ekey = repr((hclass, a.lock_class))
            if hclass == a.lock_class:
                if hname != a.lock and a.kind != "ww_mutex":
                    out.append(f"{body}if {c}: events.append(('r', {ekey}, {tid}, {k}, {hname!r}))")
                continue
            if a.trylock:
                continue
            out.append(f"{body}if {ekey} not in known_e and {c}: events.append(('e', {ekey}, {tid}, {k}, "
                       f"{hname!r}))")
