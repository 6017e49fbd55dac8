"""Why an observed event is not allowed, and why no state is quiescent, in words.

For one candidate state and one observed event, every transition that emits
that event (in the observed thread) is examined in the order the step relation
checks it: the process is not at that step; a guard is false; the step blocks
(on a lock held by someone, or an `await`); it runs but with other argument or
result values; it runs but violates a property. The most advanced reason per
actor is kept (a step that would run with another result says more than a
step that is not reached). Conditions are printed from the IR with the current
values of the variables they read.
"""
from __future__ import annotations

from kspec.explicit.compile import RUNTIME, EvalError, ExprCompiler
from kspec.ir import nodes as N
from kspec.oracle.engine import Engine
from kspec.oracle.values import NOT_GIVEN, show
from kspec.report.trace import show_value

PC, GUARD, BLOCK, ARGS, RESULT, VIOLATES = range(6)
_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


def expr_text(e: N.Expr, model: N.Model) -> str:
    return _Printer(model).text(e)


class _Printer:
    def __init__(self, model: N.Model):
        self.slots = model.slots

    def text(self, e: N.Expr, hint: N.Slot | None = None) -> str:
        match e:
            case N.Lit(value=v):
                return show_value(hint, v) if hint is not None else str(v)
            case N.Var(slot=i):
                return self.slots[i].name
            case N.Not(arg=a):
                return f"not {self.paren(a, 3)}"
            case N.And(args=args):
                return " and ".join(self.paren(a, 2) for a in args)
            case N.Or(args=args):
                return " or ".join(self.paren(a, 1) for a in args)
            case N.Cmp(op=op, left=a, right=b):
                ha, hb = self.hint_of(b), self.hint_of(a)
                return f"{self.paren(a, 5, ha)} {op} {self.paren(b, 5, hb)}"
            case N.Arith(op=op, left=a, right=b):
                p = _PREC[op]
                return f"{self.paren(a, p)} {op} {self.paren(b, p + 1)}"
            case N.Ite(cond=c, then=a, else_=b):
                return f"(if {self.text(c)} then {self.text(a, hint)} else {self.text(b, hint)})"
            case N.Select(options=opts, index=idx):
                base = self.map_name(opts)
                return f"{base}[{self.text(idx)}]"
            case N.Member(elem=x, set=s):
                return f"{self.paren(x, 5)} in {self.paren(s, 5)}"
            case N.Size(set=s):
                return f"size({self.text(s)})"
            case N.SetLit(elems=elems):
                return "{" + ", ".join(self.text(x) for x in elems) + "}"
            case N.SetOp(op=op, left=a, right=b):
                sym = {"union": "+", "diff": "-", "inter": "&"}[op]
                return f"{self.paren(a, 5)} {sym} {self.paren(b, 6)}"
        return "?"

    def hint_of(self, e: N.Expr) -> N.Slot | None:
        return self.slots[e.slot] if isinstance(e, N.Var) else None

    def paren(self, e: N.Expr, prec: int, hint: N.Slot | None = None) -> str:
        t = self.text(e, hint)
        mine = {N.Or: 1, N.And: 2, N.Not: 3, N.Cmp: 4, N.Member: 4}.get(type(e))
        if isinstance(e, N.Arith):
            mine = _PREC[e.op]
        return f"({t})" if mine is not None and mine < prec else t

    def map_name(self, opts) -> str:
        if opts and all(isinstance(o, N.Var) for o in opts):
            names = {self.slots[o.slot].name.split("[", 1)[0] for o in opts}
            if len(names) == 1:
                return names.pop()
        return "(" + ", ".join(self.text(o) for o in opts) + ")"


def slots_read(e: N.Expr, out: dict[int, None] | None = None) -> dict[int, None]:
    out = {} if out is None else out
    match e:
        case N.Var(slot=i):
            out[i] = None
        case N.Lit():
            pass
        case N.Not(arg=a):
            slots_read(a, out)
        case N.And(args=args) | N.Or(args=args):
            for a in args:
                slots_read(a, out)
        case N.Select(options=opts, index=idx):
            slots_read(idx, out)
            for o in opts:
                slots_read(o, out)
        case N.Ite(cond=c, then=a, else_=b):
            for x in (c, a, b):
                slots_read(x, out)
        case N.Cmp(left=a, right=b) | N.Arith(left=a, right=b) | N.SetOp(left=a, right=b):
            slots_read(a, out)
            slots_read(b, out)
        case N.Member(elem=x, set=s):
            slots_read(x, out)
            slots_read(s, out)
        case N.Size(set=s):
            slots_read(s, out)
        case N.SetLit(elems=elems):
            for x in elems:
                slots_read(x, out)
    return out


def conjuncts(e: N.Expr) -> list[N.Expr]:
    if isinstance(e, N.And):
        return [c for a in e.args for c in conjuncts(a)]
    return [e]


class Explainer:
    """Reasons, per candidate state, that an observed event cannot be taken."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.model = engine.model
        self.ec = ExprCompiler(self.model.slots)
        self.printer = _Printer(self.model)
        self.lock_of_slot = {li.owner_slot: li for li in self.model.locks}
        self._fns: dict[N.Expr, object] = {}

    def holds(self, e: N.Expr, s: tuple) -> bool:
        f = self._fns.get(e)
        if f is None:
            f = self._fns[e] = eval(compile(f"lambda s: {self.ec.src(e)}", "<kspec-why>", "eval"), dict(RUNTIME))
        try:
            return bool(f(s))  # type: ignore[operator]
        except EvalError:
            return False

    def values_of(self, e: N.Expr, s: tuple) -> str:
        read = [i for i in slots_read(e) if self.model.slots[i].kind != "lock"][:5]
        if not read:
            return ""
        return " (" + ", ".join(f"{self.model.slots[i].name} = {show_value(self.model.slots[i], s[i])}"
                                for i in read) + ")"

    def where(self, s: tuple, t: N.Transition) -> str:
        slot = self.model.slots[t.pc[0]]  # type: ignore[index]
        at = show_value(slot, s[t.pc[0]])  # type: ignore[index]
        if at in ("done", "idle"):
            return f"{t.actor} is {'finished' if at == 'done' else 'idle (not started)'}"
        return f"{t.actor} is at {at}"

    def condition(self, e: N.Expr, s: tuple, blocking: bool) -> str:
        false = [c for c in conjuncts(e) if not self.holds(c, s)]
        texts = []
        for c in false:
            lock = self.lock_wait(c, s)
            if lock:
                texts.append(lock)
            else:
                texts.append(f"{'waits until' if blocking else 'needs'} {self.printer.text(c)}"
                             f"{self.values_of(c, s)}")
        return "; ".join(texts) or "its condition is false"

    def lock_wait(self, c: N.Expr, s: tuple) -> str | None:
        if isinstance(c, N.Cmp) and c.op == "==" and isinstance(c.left, N.Var) and isinstance(c.right, N.Lit) \
                and c.right.value == -1 and c.left.slot in self.lock_of_slot:
            li = self.lock_of_slot[c.left.slot]
            owner = s[li.owner_slot]
            who = self.model.pids[owner] if 0 <= owner < len(self.model.pids) else "?"
            return f"blocks on lock `{li.name}` held by {who}"
        return None

    def reason(self, s: tuple, tid: int, args: tuple, result) -> tuple[int, str]:
        t = self.model.transitions[tid]
        step = f"{t.name}" + (f" ({_loc(t.span)})" if t.span else "")
        if t.pc is not None and s[t.pc[0]] != t.pc[1]:
            at = show_value(self.model.slots[t.pc[0]], s[t.pc[0]])
            return PC, f"{t.actor}\0{at}\0{t.label}"  # grouped over states by the caller
        if not self.holds(t.guard, s):
            return GUARD, f"{step}: {self.condition(t.guard, s, False)}"
        if not self.holds(t.block, s):
            return BLOCK, f"{step}: {self.condition(t.block, s, True)}"
        entry = self.engine.entry(s, tid)
        if entry is None:
            return GUARD, f"{step}: cannot be taken here"
        codec = _Codec(self.model, t.event.name)  # type: ignore[union-attr]
        if entry.args != args:
            return ARGS, f"{step}: runs here with {codec.args_text(entry.args)}, observed {codec.args_text(args)}"
        if result is not NOT_GIVEN and entry.result != result:
            return RESULT, (f"{step}: returns {codec.result_text(entry.result)} here, observed "
                            f"{codec.result_text(result)}{self.values_of_result(t, s)}")
        if entry.problems:
            return VIOLATES, f"{step}: " + "; ".join(f"violates `{p}`: {m}" for p, m in entry.problems)
        return VIOLATES, f"{step}: allowed"  # not reached: the event would have matched

    def values_of_result(self, t: N.Transition, s: tuple) -> str:
        if t.event is None or t.event.result is None:
            return ""
        return self.values_of(t.event.result, s)

    def why_not(self, s: tuple, tids: list[int], args: tuple, result) -> list[tuple[int, str, str]]:
        """(rank, actor, text) of the most advanced reason per actor."""
        best: dict[str, tuple[int, list[str]]] = {}
        for tid in tids:
            t = self.model.transitions[tid]
            rank, text = self.reason(s, tid, args, result)
            cur = best.get(t.actor)
            if cur is None or rank > cur[0]:
                best[t.actor] = (rank, [text])
            elif rank == cur[0] and text not in cur[1]:
                cur[1].append(text)
        return [(rank, actor, text) for actor, (rank, texts) in best.items() for text in texts[:3]]

    def not_quiescent(self, s: tuple) -> list[str]:
        out = []
        for p in self.model.processes:
            if not at_rest(self.model, p, s):
                out.append(f"{p.name} is at {self.model.slots[p.pc_slot].sort.names[s[p.pc_slot]]}")  # type: ignore
        for li in self.model.locks:
            owner = s[li.owner_slot]
            if owner >= 0:
                out.append(f"lock `{li.name}` is held by {self.model.pids[owner]}")
        out.extend(self.leaks(s))
        return out

    def leaks(self, s: tuple) -> list[str]:
        fns = next((parts for name, _, parts in self.engine.invariants if name == "leak"), None)
        prop = next((p for p in self.model.state_properties if p.name == "leak"), None)
        if fns is None or prop is None:
            return []
        done = list(s)
        for p in self.model.processes:
            done[p.pc_slot] = p.done_value  # the leak conjuncts apply at quiescence
        done_t = tuple(done)
        return [f"leak: not true that {c.description}" for c, f in zip(prop.conjuncts, fns)
                if not _safe(f, done_t)]


def _safe(f, s: tuple) -> bool:
    try:
        return bool(f(s))
    except EvalError:
        return False


def at_rest(model: N.Model, p: N.ProcessInstance, s: tuple) -> bool:
    """Finished, idle, or (a process that starts running) back at its first step."""
    v = s[p.pc_slot]
    return v >= p.done_value or (v == 0 and model.init[p.pc_slot] == 0)


def _loc(span) -> str:
    return f"{span.file.rsplit('/', 1)[-1]}:{span.line}"


class _Codec:
    def __init__(self, model: N.Model, name: str):
        self.sig = next(e for e in model.events if e.name == name)

    def args_text(self, codes: tuple) -> str:
        from kspec.oracle.values import decode_value
        if not self.sig.params:
            return "no arguments"
        return ", ".join(f"{p}={show(decode_value(sort, k))}" for (p, sort), k in zip(self.sig.params, codes))

    def result_text(self, code) -> str:
        from kspec.oracle.values import decode_value
        if self.sig.result is None or code is None:
            return "nothing"
        return show(decode_value(self.sig.result, code))
