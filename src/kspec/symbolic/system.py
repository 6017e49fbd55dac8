"""An IR `Model` -> its symbolic transition system, and properties -> targets.

`Templates` encodes every transition once over symbolic current-state terms
`X` (one per slot) and an action variable `A`: the attempt (pc and guard),
enabledness (attempt, blocking part, every right-hand side defined), each
check's firing condition, the next value of every slot (an if-then-else over
the transitions that write it; the frame is the fall-through `X[i]`) and the
evaluation-error condition of the explicit engine's `expand`.
`Unroller` instantiates templates at step t (`x@t`, `act@t`) by substitution.
The action variable is a bit-vector numbering the transitions.

`targets(model, props, tm)` turns each property into *targets*: state
predicates whose reachability decides it (an invariant's negation, a
witness, a check firing, a stuck state, one lockdep edge or irq-usage bit).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import z3

from kspec.ir import nodes as N
from kspec.symbolic.encode import ExprEncoder, Num, d_and, d_or, literals, num_width, to_z3

LOCKDEP = ("lockdep_cycle", "lockdep_recursion", "lockdep_irq")


class Templates:
    def __init__(self, model: N.Model, active: set[str]):
        self.model = model
        self.num = Num(num_width(model.slots, _model_literals(model)))
        self.X = [self.num.var(s, f"{s.name}@cur") for s in model.slots]
        self.act_width = max(1, len(model.transitions).bit_length())
        self.A = z3.BitVec("act@cur", self.act_width)
        self.enc = ExprEncoder(model.slots, self.X, self.num)
        enc = self.enc
        self.attempted, self.enabled, self.errors = [], [], []
        self.checks: list[list[z3.BoolRef]] = []
        for t in model.transitions:
            pc = True if t.pc is None else self.X[t.pc[0]] == self.num.lit(t.pc[1], model.slots[t.pc[0]].sort)
            g = enc.boolean(t.guard)
            att = d_and(pc, enc.defined(t.guard), g)
            b = enc.boolean(t.block)
            upd_def = d_and(*[enc.defined(e) for _, e in t.updates])
            self.attempted.append(to_z3(att))
            self.enabled.append(to_z3(d_and(att, enc.defined(t.block), b, upd_def)))
            self.checks.append([to_z3(d_and(att, enc.defined(c.bad), enc.boolean(c.bad))) for c in t.checks])
            self.errors.append(self._error(t, pc, g, b, upd_def, active))
        self.next = [self._next(i) for i in range(len(model.slots))]
        self.error = to_z3(d_or(*self.errors))
        # an erroneous step (an `error` check fires, or evaluation fails): its pre-state is no deadlock
        self.erroneous = z3.Or(self.error, *[c for t, cs in zip(model.transitions, self.checks)
                                             for c, chk in zip(cs, t.checks) if getattr(chk, "error", False)])

    def _error(self, t: N.Transition, pc, g, b, upd_def, active: set[str]):
        """Where `expand` raises on this transition (evaluation order: guard,
        active checks, lockdep expressions, block, successor)."""
        enc = self.enc
        inner = [z3.Not(to_z3(enc.defined(c.bad))) for c in t.checks
                 if (c.prop in active or getattr(c, "error", False)) and enc.defined(c.bad) is not True]
        if active & set(LOCKDEP):
            for a in t.lock_attempts:
                dw = enc.defined(a.when)
                held = d_and(*[enc.defined(h[2]) for h in a.held])
                if dw is not True or held is not True:
                    inner.append(z3.Not(to_z3(d_and(dw, d_or(z3.Not(enc.boolean(a.when)), held)))))
        db = enc.defined(t.block)
        if db is not True:
            inner.append(z3.Not(db))
        if upd_def is not True:
            inner.append(z3.And(b, z3.Not(upd_def)))
        dg = enc.defined(t.guard)
        err = d_or(z3.Not(to_z3(dg)) if dg is not True else False, d_and(g, d_or(*inner)) if inner else False)
        return d_and(pc, err)

    def _next(self, i: int):
        out = self.X[i]
        sort = self.model.slots[i].sort
        for tid in range(len(self.model.transitions) - 1, -1, -1):
            for slot, e in self.model.transitions[tid].updates:
                if slot == i:
                    out = z3.If(self.A == tid, self.num.coerce(self.enc.value(e), sort), out)
        return out

    # ---- state predicates over X ----------------------------------------------------
    def well_typed(self) -> z3.BoolRef:
        cs = []
        for x, s in zip(self.X, self.model.slots):
            if isinstance(s.sort, N.IntSort):
                cs += [x >= s.sort.lo, x <= s.sort.hi]
            elif isinstance(s.sort, N.SetSort) and s.sort.size == 0:
                cs.append(x == 0)
        return z3.And(*cs) if cs else z3.BoolVal(True)

    def running(self) -> list[z3.BoolRef]:
        return [self.X[p.pc_slot] < p.done_value for p in self.model.processes]

    def stuck(self) -> z3.BoolRef:
        return z3.And(z3.Not(z3.Or(*self.enabled)) if self.enabled else z3.BoolVal(True), z3.Not(self.erroneous),
                      z3.Or(*self.running()) if self.model.processes else z3.BoolVal(False))

    def waiting(self) -> z3.BitVecRef:
        """Processes that would show a blocked attempt in a deadlock report."""
        terms = []
        for p, run in zip(self.model.processes, self.running()):
            att = [a for a, t in zip(self.attempted, self.model.transitions) if t.pc and t.pc[0] == p.pc_slot]
            if att:
                terms.append(z3.If(z3.And(run, z3.Or(*att)), self.num.val(1), self.num.val(0)))
        out = self.num.val(0)
        for t in terms:
            out = out + t
        return out

    def wait_cycle(self) -> z3.BoolRef:
        """Processes each blocked on a lock held by the next, following (like
        `explore.wait_cycle`) only the first owner each unmoving process
        waits for: its lowest blocked transition's first blocker held by
        another."""
        model, num = self.model, self.num
        none = num.val(-1)
        nxt = {}
        for p in model.processes:
            me = model.pids.index(p.name)
            tids = [i for i, t in enumerate(model.transitions) if t.actor == p.name]
            moving = z3.Or(*[self.enabled[i] for i in tids]) if tids else z3.BoolVal(False)
            out = none
            for i in reversed(tids):
                t = model.transitions[i]
                if not t.blockers or (isinstance(t.block, N.Lit) and t.block.value):
                    continue
                blocked = z3.And(self.attempted[i], z3.Not(self.enc.boolean(t.block)))
                for b in reversed(t.blockers):
                    owner = self.X[b.owner_slot]
                    out = z3.If(z3.And(blocked, owner >= 0, owner != me), owner, out)
            nxt[me] = z3.If(moving, none, out)

        def step(x):
            out = none
            for pid, y in nxt.items():
                out = z3.If(x == pid, y, out)
            return out
        cycles = []
        for pid in nxt:
            x = num.val(pid)
            for _ in range(len(nxt)):
                x = step(x)
                cycles.append(x == pid)
        return z3.Or(*cycles) if cycles else z3.BoolVal(False)

    def init(self) -> z3.BoolRef:
        return z3.And(*[x == self.num.lit(v, s.sort) for x, v, s in zip(self.X, self.model.init, self.model.slots)]) \
            if self.X else z3.BoolVal(True)


def _model_literals(model: N.Model) -> set[int]:
    lits: set[int] = set(model.init) | {len(model.pids)}
    for t in model.transitions:
        for e in (t.guard, t.block, *(e for _, e in t.updates), *(c.bad for c in t.checks)):
            literals(e, lits)
        for a in t.lock_attempts:
            for e in (a.when, a.softirq_off, a.hardirq_off, *(h[2] for h in a.held)):
                literals(e, lits)
    for p in model.state_properties:
        literals(p.expr, lits)
    return lits


class Unroller:
    """State variables per step and template instantiation."""

    def __init__(self, tm: Templates, prefix: str = ""):
        self.tm = tm
        self.prefix = prefix
        self.states: list[list] = []
        self.acts: list = []

    def state(self, t: int) -> list:
        while len(self.states) <= t:
            k = len(self.states)
            self.states.append([self.tm.num.var(s, f"{self.prefix}{s.name}@{k}") for s in self.tm.model.slots])
            self.acts.append(z3.BitVec(f"{self.prefix}act@{k}", self.tm.act_width))
        return self.states[t]

    def at(self, term, t: int):
        st = self.state(t)
        pairs = list(zip(self.tm.X, st)) + [(self.tm.A, self.acts[t])]
        return z3.substitute(term, *pairs)

    def trans(self, t: int) -> z3.BoolRef:
        """A transition from step t to step t + 1."""
        tm = self.tm
        n = len(tm.model.transitions)
        if n == 0:
            return z3.BoolVal(False)
        nxt = self.state(t + 1)
        a = self.acts[t]
        sel = tm.enabled[-1]
        for tid in range(n - 2, -1, -1):
            sel = z3.If(tm.A == tid, tm.enabled[tid], sel)
        parts = [z3.ULT(a, n), self.at(sel, t)]
        parts += [y == self.at(e, t) for y, e in zip(nxt, tm.next)]
        return z3.And(*parts)

    def distinct(self, i: int, j: int) -> z3.BoolRef:
        a, b = self.state(i), self.state(j)
        return z3.Or(*[x != y for x, y in zip(a, b)]) if a else z3.BoolVal(False)


# ---- targets ----------------------------------------------------------------------


@dataclass(slots=True)
class Target:
    """A state predicate; `parts` say which transition/check/attempt made it
    true, for the trace (info, term)."""

    key: tuple
    term: z3.BoolRef
    parts: list = field(default_factory=list)


def targets(model: N.Model, props: list[str], tm: Templates) -> dict[str, list[Target]]:
    out: dict[str, list[Target]] = {}
    enc = tm.enc
    by_name = {p.name: p for p in model.state_properties}
    for name in props:
        info = model.property(name)
        if info is None:
            continue
        if name in by_name:
            p = by_name[name]
            term = enc.holds(p.expr)
            out[name] = [Target(("prop", name), term if p.kind == "reachable" else z3.Not(term))]
        elif name == "wait_cycle":
            out[name] = [Target(("prop", name), tm.wait_cycle())]
        elif info.kind == "deadlock":
            out[name] = [Target(("prop", name), tm.stuck())]
        elif info.kind == "lockdep":
            out[name] = _lockdep_targets(model, name, tm)
        else:
            parts = [((tid, k), c) for tid, t in enumerate(model.transitions) for k, c in enumerate(tm.checks[tid])
                     if t.checks[k].prop == name]
            if name == "range":
                parts.append((None, tm.error))
            out[name] = [Target(("prop", name), z3.Or(*[c for _, c in parts]) if parts else z3.BoolVal(False),
                                parts)]
    return out


def _lockdep_targets(model: N.Model, prop: str, tm: Templates) -> list[Target]:
    """Per attempt whose guard holds and whose `when` holds: irq usage bits of
    the target class, one edge per held lock of another class (not for
    trylocks), recursion for a held instance of the same class."""
    enc = tm.enc
    found: dict[tuple, Target] = {}

    def add(key, info, term):
        t = found.setdefault(key, Target(key, z3.BoolVal(False)))
        t.parts.append((info, term))

    for tid, t in enumerate(model.transitions):
        for k, a in enumerate(t.lock_attempts):
            base = z3.And(tm.attempted[tid], enc.holds(a.when))
            if prop == "lockdep_irq":
                bits = [("USED_IN_SOFTIRQ", a.context == "softirq"), ("USED_IN_HARDIRQ", a.context == "hardirq"),
                        ("ENABLED_SOFTIRQ", z3.Not(enc.boolean(a.softirq_off))),
                        ("ENABLED_HARDIRQ", z3.Not(enc.boolean(a.hardirq_off)))]
                for bit, cond in bits:
                    if cond is not False:
                        add(("usage", a.lock_class, bit), (tid, k, None),
                            base if cond is True else z3.And(base, cond))
                continue
            for hname, hclass, cond in a.held:
                if isinstance(cond, N.Lit) and not cond.value:
                    continue
                term = z3.And(base, enc.holds(cond))
                if hclass == a.lock_class:
                    if prop == "lockdep_recursion" and hname != a.lock and a.kind != "ww_mutex":
                        add(("recursion",), (tid, k, hname), term)
                elif prop == "lockdep_cycle" and not a.trylock:
                    add(("edge", hclass, a.lock_class), (tid, k, hname), term)
    for t in found.values():
        t.term = z3.Or(*[c for _, c in t.parts])
    return list(found.values())
