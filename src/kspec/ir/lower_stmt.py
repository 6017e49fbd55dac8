"""Process steps and actions -> ground transitions, by symbolic execution.

A step's statements run over a *path*: the current value of every written slot
(`store`), the conditions met so far, and the checks, lock attempts and
bindings collected. `if`, `either`, `choose` and `trylock` fork paths; each
finished path is one `Transition`. Conditions met before the first blocking
acquisition form the guard; later ones (and lock-free conditions) form the
blocking part, so that kernel-style checks fire on the *attempt* (contracts
§0.4 C2/C3) while the step itself only completes when the lock is free.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kspec.ir import nodes as N
from kspec.ir.lower_expr import Ctx, coerce, err
from kspec.ir.symbols import LockRef, MapPlace, ObjRef, Place, ProcessInfo, RecPlace, SlotPlace
from kspec.ir.types import (MapVal, RecVal, Scalar, TBool, TInt, TMap, TNone, TOption, TRecord, TSet, TType,
                            Val, compatible, domain, interval, lit, mk_and, mk_cmp, mk_ite, mk_not, mk_or,
                            slot_sort, value_name)
from kspec.report import diagnostics as D
from kspec.syntax import ast as A

SLEEPING_KINDS = ("mutex", "ww_mutex")


@dataclass(slots=True)
class Path:
    store: dict[int, N.Expr]
    scope: dict[str, Any]
    guard: list[N.Expr] = field(default_factory=list)
    block: list[N.Expr] = field(default_factory=list)
    blocking: bool = False
    checks: list[N.Check] = field(default_factory=list)
    attempts: list[N.LockAttempt] = field(default_factory=list)
    blockers: list[N.Blocker] = field(default_factory=list)
    bindings: list[tuple[str, str]] = field(default_factory=list)
    outcome: int | None = None  # pc value chosen by goto/done
    dead: bool = False
    event: N.EventOccurrence | None = None
    assume: list[N.Expr] = field(default_factory=list)  # branch conditions of merged ifs (checks only)

    def fork(self) -> "Path":
        return Path(dict(self.store), dict(self.scope), list(self.guard), list(self.block), self.blocking,
                    list(self.checks), list(self.attempts), list(self.blockers), list(self.bindings),
                    self.outcome, self.dead, self.event, list(self.assume))

    def add_cond(self, c: N.Expr) -> None:
        if isinstance(c, N.Lit):
            if not c.value:
                if self.blocking:  # blocks forever, yet its checks still fire on the attempt
                    self.block.append(N.FALSE)
                else:
                    self.dead = True
            return
        (self.block if self.blocking else self.guard).append(c)

    def pending(self) -> N.Expr:
        """Conditions, beyond the guard, under which the current point is reached."""
        return mk_and(*self.block, *self.assume)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who executes a step: a process instance or an action."""

    name: str
    pid: int
    context: str
    proc: ProcessInfo | None = None
    inst: int | None = None  # process instance index
    inst_pos: int | None = None
    self_index: int | None = None


_MERGEABLE_PRIMITIVES = ("release", "release_bh", "release_irq", "alloc", "get", "put", "free", "use",
                         "assert_held", "assert_not_held", "might_sleep")


def _mergeable(stmts) -> bool:
    """Statements that only assign and check: no blocking, no nondeterminism,
    no control transfer, no event."""
    for st in stmts:
        if isinstance(st, (A.Assign, A.Skip, A.Assert, A.Start)):
            continue
        if isinstance(st, A.Primitive) and st.op in _MERGEABLE_PRIMITIVES:
            continue
        if isinstance(st, A.If) and _mergeable(st.then) and _mergeable(st.else_):
            continue
        if isinstance(st, A.Foreach) and _mergeable(st.body):
            continue
        return False
    return True


class StmtMixin:
    def ctx_for(self, path: Path, actor: Actor) -> Ctx:
        return Ctx(path.scope, path.store, actor.self_index, actor.pid, actor.proc, actor.inst,
                   actor.context, (), actor.inst_pos)

    def add_check(self, path: Path, prop: str, bad: N.Expr, message: str, span, error: bool = False) -> None:
        self.check_props.add(prop)
        full = mk_and(path.pending(), bad)
        if full == N.FALSE:
            return
        path.checks.append(N.Check(prop, full, message, span, error))
        if error:  # the erroneous step is not taken: no state outside the declared ranges
            path.blocking = True
            path.block.append(mk_not(full))

    # ---- statement execution ------------------------------------------------------
    def exec_block(self, stmts: tuple[A.Stmt, ...], paths: list[Path], actor: Actor) -> list[Path]:
        for prev, st in zip((None,) + tuple(stmts), stmts):
            if isinstance(prev, (A.Goto, A.Done)):
                raise err(D.STATEMENT_NOT_ALLOWED, "statement after `goto`/`done` can never run", st.span)
            live = [p for p in paths if not p.dead]
            nxt: list[Path] = []
            for p in live:
                if p.outcome is not None:  # this path jumped away: the rest of the block is not its
                    nxt.append(p)
                    continue
                nxt.extend(q for q in self.exec_stmt(st, p, actor) if not q.dead)
            paths = nxt
        return paths

    def exec_stmt(self, st: A.Stmt, p: Path, actor: Actor) -> list[Path]:
        ctx = self.ctx_for(p, actor)
        match st:
            case A.Skip():
                return [p]
            case A.Assign(target=t, value=v):
                self.exec_assign(t, v, p, ctx)
                return [p]
            case A.If(cond=c, then=a, else_=b):
                cond = self.boolean(c, ctx)
                if not isinstance(cond, N.Lit) and _mergeable(a) and _mergeable(b):
                    return [self._merge_if(cond, a, b, p, actor)]
                return self._fork_on(cond, a, b, p, actor)
            case A.Either(branches=branches):
                out: list[Path] = []
                for br in branches:
                    out.extend(self.exec_block(br, [p.fork()], actor))
                return out
            case A.Await(cond=c):
                p.add_cond(self.boolean(c, ctx))
                return [p]
            case A.Choose():
                return self.exec_choose(st, p, actor, ctx)
            case A.Assert(name=name, cond=c):
                self.add_check(p, name, mk_not(self.boolean(c, ctx)), st.message or f"assertion `{name}` failed",
                               st.span)
                return [p]
            case A.Goto(label=label):
                if actor.proc is None:
                    raise err(D.STATEMENT_NOT_ALLOWED, "`goto` is only allowed in a process step", st.span)
                k = actor.proc.label_index(label)
                if k is None:
                    from kspec.report.diagnostics import did_you_mean
                    raise err(D.UNKNOWN_LABEL, f"process `{actor.proc.decl.name}` has no step `{label}`"
                              " in this variant", st.span, hint=did_you_mean(label, actor.proc.labels))
                p.outcome = k
                return [p]
            case A.Done():
                if actor.proc is None:
                    raise err(D.STATEMENT_NOT_ALLOWED, "`done` is only allowed in a process step", st.span)
                p.outcome = len(actor.proc.steps)
                return [p]
            case A.Start(process=name, index=idx):
                self.exec_start(name, idx, st.span, p, ctx)
                return [p]
            case A.Foreach():
                return [self.exec_foreach(st, p, actor)]
            case A.Emit():
                self.exec_emit(st, p, ctx)
                return [p]
            case A.TryLock(lock=l, then=a, else_=b):
                return self.exec_trylock(l, a, b, st.span, p, actor, ctx)
            case A.Primitive():
                return self.exec_primitive(st, p, actor, ctx)
        raise err(D.INTERNAL_ERROR, f"unhandled statement {type(st).__name__}", st.span)

    def _fork_on(self, cond: N.Expr, a, b, p: Path, actor: Actor) -> list[Path]:
        if isinstance(cond, N.Lit):
            return self.exec_block(a if cond.value else b, [p], actor)
        p1, p2 = p, p.fork()
        p1.add_cond(cond)
        p2.add_cond(mk_not(cond))
        return self.exec_block(a, [p1], actor) + self.exec_block(b, [p2], actor)

    def _merge_if(self, cond: N.Expr, a, b, p: Path, actor: Actor) -> Path:
        """An `if` whose branches neither block, branch nor jump becomes one
        path whose updates are conditional (no extra transitions)."""
        return self.merge_branches(p, [(cond, lambda q: self.exec_block(a, [q], actor)),
                                       (mk_not(cond), lambda q: self.exec_block(b, [q], actor))])

    def exec_foreach(self, st: A.Foreach, p: Path, actor: Actor) -> Path:
        """Each element in turn: its statements apply where the element is in
        the domain and the `where` condition holds (conditional updates)."""
        if not _mergeable(st.body):
            raise err(D.STATEMENT_NOT_ALLOWED, "a `foreach` body may only assign, check and release: no "
                      "acquire, await, choose, either, goto, done or emit", st.span)
        for val, member in self.binder_values(st.domain, self.ctx_for(p, actor)):
            p.scope[st.name] = val
            cond = member
            if st.where is not None:
                cond = mk_and(cond, self.boolean(st.where, self.ctx_for(p, actor)))
            if cond == N.FALSE:
                continue
            if cond == N.TRUE:
                [p] = self.exec_block(st.body, [p], actor)
            else:
                p = self.merge_branches(p, [(cond, lambda q: self.exec_block(st.body, [q], actor)),
                                            (mk_not(cond), lambda q: [q])])
        p.scope.pop(st.name, None)
        return p

    def merge_branches(self, p: Path, branches) -> Path:
        """Run each (condition, body) on a copy of p that assumes its condition
        (exclusive, exhaustive conditions), then merge: slot values become
        if-then-else chains, checks and lock attempts are kept per branch."""
        results = []
        for cond, body in branches:
            q = p.fork()
            q.assume.append(cond)
            [r] = body(q)
            results.append((cond, r))
        n_checks, n_attempts, n_block = len(p.checks), len(p.attempts), len(p.block)
        slots = set().union(*(r.store for _, r in results))
        for slot in slots:
            vals = [(c, r.store.get(slot, N.Var(slot))) for c, r in results]
            out = vals[-1][1]
            for c, v in reversed(vals[:-1]):
                out = v if v == out else mk_ite(c, v, out)
            p.store[slot] = out
        for _, r in results:
            p.checks.extend(r.checks[n_checks:])
            p.attempts.extend(r.attempts[n_attempts:])
            p.block.extend(r.block[n_block:])  # erroneous steps within a branch (its assumption included)
            p.blocking = p.blocking or r.blocking
        return p

    def exec_choose(self, st: A.Choose, p: Path, actor: Actor, ctx: Ctx) -> list[Path]:
        out = []
        for val, member in self.binder_values(st.domain, ctx):
            q = p.fork()
            q.scope[st.name] = val
            q.add_cond(member)
            if st.where is not None:
                q.add_cond(self.boolean(st.where, self.ctx_for(q, actor)))
            q.bindings.append((st.name, self.show_value(val)))
            if not q.dead:
                out.append(q)
        return out

    def show_value(self, v: Scalar) -> str:
        return value_name(v.type, v.expr.value) if isinstance(v.expr, N.Lit) else "?"

    # ---- assignment -----------------------------------------------------------------
    def exec_assign(self, target: A.Expr, value: A.Expr, p: Path, ctx: Ctx) -> None:
        self._outside: list[N.Expr] = []
        places = self.resolve_places(target, ctx)
        for bad in self._outside:
            self.add_check(p, "range", bad, "assignment through an index outside the map's keys", target.span,
                           error=True)
        t = places[0][1].type
        if isinstance(t, TSet):
            self.set_range_check(value, t, p, ctx, target.span)
        v = self.tr_typed(value, t, ctx)
        for cond, place in places:
            self.write_place(place, v, cond, p, target.span)

    def resolve_places(self, e: A.Expr, ctx: Ctx) -> list[tuple[N.Expr, Place]]:
        head = e
        while isinstance(head, (A.Index, A.Field)):
            head = head.base
        if isinstance(head, A.Name) and head.name in self.procs and head.name not in ctx.scope \
                and head is not e:
            raise err(D.ASSIGN_TO_CONSTANT, f"the locals of process `{head.name}` can only be assigned by its "
                      "own steps", e.span, hint="share the value through a global variable")
        if isinstance(e, A.Name):
            if e.name in ctx.scope:
                raise err(D.ASSIGN_TO_CONSTANT, f"`{e.name}` is bound by a parameter, quantifier or choose"
                          " and cannot be assigned", e.span)
            self.used_names.add(e.name)
            if ctx.proc is not None and e.name in ctx.proc.locals:
                return [(N.TRUE, ctx.proc.locals[e.name][ctx.inst_pos])]
            if e.name in self.vars:
                return [(N.TRUE, self.vars[e.name])]
            if e.name in self.consts or e.name in self.enum_members:
                raise err(D.ASSIGN_TO_CONSTANT, f"`{e.name}` is a constant and cannot be assigned", e.span)
            self.tr_name(e.name, e.span, ctx)  # raises the unknown-name diagnostic
            raise err(D.ASSIGN_TO_CONSTANT, f"`{e.name}` cannot be assigned", e.span)
        if isinstance(e, A.Index):
            out = []
            for cond, place in self.resolve_places(e.base, ctx):
                if not isinstance(place, MapPlace):
                    raise err(D.SORT_MISMATCH, "only maps can be indexed", e.span)
                idx = self.scalar(self.tr(e.index, ctx), e.index.span, "an index")
                opts = self.index_options(place.type.key, idx, e.index.span)  # type: ignore[union-attr]
                outside = self.outside_condition(place.type.key, idx, opts)  # type: ignore[union-attr]
                if outside != N.FALSE:
                    getattr(self, "_outside", []).append(mk_and(cond, outside))
                for c, k in opts:
                    out.append((mk_and(cond, c), place.elems[k]))
            return out
        if isinstance(e, A.Field):
            out = []
            for cond, place in self.resolve_places(e.base, ctx):
                if not isinstance(place, RecPlace):
                    raise err(D.SORT_MISMATCH, "only records have fields", e.span)
                names = [f for f, _ in place.type.fields]  # type: ignore[union-attr]
                if e.name not in names:
                    raise err(D.UNKNOWN_FIELD, f"record `{place.type}` has no field `{e.name}`", e.span)
                out.append((cond, place.fields[names.index(e.name)]))
            return out
        raise err(D.ASSIGN_TO_CONSTANT, "this expression cannot be assigned", e.span)

    def write_place(self, place: Place, v: Val, cond: N.Expr, p: Path, span) -> None:
        if isinstance(place, SlotPlace):
            assert isinstance(v, Scalar)
            old = p.store.get(place.slot, N.Var(place.slot))
            new = mk_ite(cond, v.expr, old)
            self.range_check(place.slot, v.expr, cond, p, span)
            p.store[place.slot] = new
        elif isinstance(place, MapPlace):
            assert isinstance(v, MapVal)
            for sub, sv in zip(place.elems, v.elems):
                self.write_place(sub, sv, cond, p, span)
        else:
            assert isinstance(v, RecVal)
            for sub, sv in zip(place.fields, v.fields):
                self.write_place(sub, sv, cond, p, span)

    def range_check(self, slot: int, value: N.Expr, cond: N.Expr, p: Path, span) -> None:
        sort = self.slots[slot].sort
        if not isinstance(sort, N.IntSort):
            return
        iv = interval(value, self.slots)
        if iv is not None and sort.lo <= iv[0] and iv[1] <= sort.hi:
            return
        bad = mk_and(cond, mk_or(mk_cmp("<", value, lit(sort.lo)), mk_cmp("<", lit(sort.hi), value)))
        self.add_check(p, "range", bad, f"value assigned to `{self.slots[slot].name}` leaves its range "
                       f"{sort.lo}..{sort.hi}", span, error=True)

    def set_range_check(self, value: A.Expr, t: TSet, p: Path, ctx: Ctx, span) -> None:
        """A set value with elements outside t's element sort is a `range` error."""
        v = self.tr(value, ctx)
        if not isinstance(v, Scalar) or not isinstance(v.type, TSet) or isinstance(v.type.elem, TNone):
            return
        have = slot_sort(v.type)
        want = set(domain(t.elem))
        extra = [have.lo + k for k in range(have.size) if have.lo + k not in want]  # type: ignore[union-attr]
        if not extra:
            return
        bad = mk_or(*(N.Member(lit(x), v.expr, have) for x in extra))  # type: ignore[arg-type]
        self.add_check(p, "range", bad, f"a set with elements outside `{t.elem}` is assigned", span, error=True)

    def tr_typed(self, e: A.Expr, t: TType, ctx: Ctx) -> Val:
        """Translate e as a value of type t: record literals, empty sets and
        scalars broadcast to every key of a map are accepted here."""
        if isinstance(e, A.Ite):
            from kspec.ir.lower_expr import merge_vals
            cond = self.boolean(e.cond, ctx)
            return merge_vals(cond, self.tr_typed(e.then, t, ctx), self.tr_typed(e.else_, t, ctx), e.span)
        if isinstance(e, A.RecordLit):
            if not isinstance(t, TRecord):
                raise err(D.SORT_MISMATCH, f"a record literal cannot be a `{t}`", e.span)
            given = dict(e.fields)
            names = [f for f, _ in t.fields]
            for f in given:
                if f not in names:
                    raise err(D.UNKNOWN_FIELD, f"record `{t}` has no field `{f}`", e.span)
            missing = [f for f in names if f not in given]
            if missing:
                raise err(D.SORT_MISMATCH, f"record literal lacks field(s) {', '.join(missing)}", e.span)
            return RecVal(t, tuple(self.tr_typed(given[f], ft, ctx) for f, ft in t.fields))
        if isinstance(t, TMap):
            v0 = self.tr(e, ctx) if not isinstance(e, A.RecordLit) else None
            if isinstance(v0, MapVal):
                if not compatible(t, v0.type):
                    raise err(D.SORT_MISMATCH, f"expected `{t}`, found `{v0.type}`", e.span)
                return v0
            elem = self.tr_typed(e, t.value, ctx)
            return MapVal(t, tuple(elem for _ in domain(t.key)))
        v = self.tr(e, ctx)
        if not isinstance(v, (Scalar, MapVal, RecVal)):
            raise err(D.SORT_MISMATCH, f"expected a value of type `{t}`", e.span)
        if not compatible(t, v.type):
            raise err(D.SORT_MISMATCH, f"expected a value of type `{t}`, found `{v.type}`", e.span)
        return coerce(v, t, e.span)

    # ---- process control ---------------------------------------------------------------
    def exec_start(self, name: str, idx: A.Expr | None, span, p: Path, ctx: Ctx) -> None:
        if name not in self.procs:
            from kspec.report.diagnostics import did_you_mean
            raise err(D.NOT_A_PROCESS, f"unknown process `{name}`", span, hint=did_you_mean(name, self.procs))
        info = self.procs[name]
        if (idx is None) != (info.index_type is None):
            raise err(D.INDEX_ARITY, f"process `{name}` is {'not ' if info.index_type is None else ''}indexed", span)
        if idx is None:
            options = [(N.TRUE, info.instances[0])]
        else:
            iv = self.scalar(self.tr(idx, ctx), idx.span, "an index")
            opts = self.index_options(info.index_type, iv, idx.span)
            self.add_check(p, "range", self.outside_condition(info.index_type, iv, opts),
                           f"`start {name}[...]` with an index outside its sort", span, error=True)
            options = [(c, info.instances[k]) for c, k in opts]
        for cond, i in options:
            inst = self.proc_instances[i]
            pc = p.store.get(inst.pc_slot, N.Var(inst.pc_slot))
            stopped = mk_and(cond, mk_cmp("<=", lit(inst.done_value), pc))
            p.store[inst.pc_slot] = mk_ite(stopped, lit(0), pc)

    def exec_emit(self, st: A.Emit, p: Path, ctx: Ctx) -> None:
        if st.name not in self.events:
            from kspec.report.diagnostics import did_you_mean
            raise err(D.UNKNOWN_NAME, f"unknown event `{st.name}`; declare it with `event {st.name}(...)`",
                      st.span, hint=did_you_mean(st.name, self.events))
        if p.event is not None:
            raise err(D.STATEMENT_NOT_ALLOWED, "a step emits at most one event", st.span)
        decl, ptypes, rtype = self.events[st.name]
        if len(st.args) != len(ptypes):
            raise err(D.BAD_CALL, f"event `{st.name}` takes {len(ptypes)} argument(s)", st.span)
        args = tuple(self.tr_typed(a, t, ctx).expr for a, t in zip(st.args, ptypes))  # type: ignore[union-attr]
        if (st.result is None) != (rtype is None):
            raise err(D.BAD_CALL, f"event `{st.name}` " + ("has a result: `-> value`" if rtype is not None
                                                            else "has no result"), st.span)
        res = self.tr_typed(st.result, rtype, ctx).expr if st.result is not None else None  # type: ignore
        p.event = N.EventOccurrence(st.name, args, res)

    # ---- locks -------------------------------------------------------------------
    def atomic_now(self, p: Path, actor: Actor) -> N.Expr:
        if actor.context in ("softirq", "hardirq"):
            return N.TRUE
        return mk_or(*(mk_cmp("==", p.store.get(li.owner_slot, N.Var(li.owner_slot)), lit(actor.pid))
                       for li in self.lock_instances if li.kind == "spinlock"))

    def irq_off_now(self, p: Path, actor: Actor, level: int) -> N.Expr:
        """Softirqs (level 1) or hard irqs (level 2) are disabled for the actor."""
        if actor.context == "hardirq" or (level == 1 and actor.context == "softirq"):
            return N.TRUE
        parts = []
        for k, li in enumerate(self.lock_instances):
            mode_slot = self.lock_mode_slots.get(k)
            if mode_slot is None:
                continue
            owner = p.store.get(li.owner_slot, N.Var(li.owner_slot))
            mode = p.store.get(mode_slot, N.Var(mode_slot))
            parts.append(mk_and(mk_cmp("==", owner, lit(actor.pid)), mk_cmp("<=", lit(level), mode)))
        return mk_or(*parts)

    def exec_trylock(self, l: A.Expr, a, b, span, p: Path, actor: Actor, ctx: Ctx) -> list[Path]:
        ref = self.lock_ref(l, ctx)
        out = []
        for cond, li in ref.options:
            inst = self.lock_instances[li]
            owner = p.store.get(inst.owner_slot, N.Var(inst.owner_slot))
            got, busy = p.fork(), p.fork()
            got.add_cond(mk_and(cond, mk_cmp("==", owner, lit(-1))))
            busy.add_cond(mk_and(cond, mk_not(mk_cmp("==", owner, lit(-1)))))
            if not got.dead:
                self.lock_attempt(got, actor, li, "acquire", span, trylock=True)
                got.store[inst.owner_slot] = lit(actor.pid)
                out.extend(self.exec_block(a, [got], actor))
            if not busy.dead:
                out.extend(self.exec_block(b, [busy], actor))
        return out

    def lock_attempt(self, p: Path, actor: Actor, li: int, op: str, span, trylock: bool = False) -> None:
        inst = self.lock_instances[li]
        me = lit(actor.pid)
        held = tuple((o.name, o.lock_class, mk_cmp("==", p.store.get(o.owner_slot, N.Var(o.owner_slot)), me))
                     for o in self.lock_instances)
        soft = mk_or(self.irq_off_now(p, actor, 1), lit(op in ("acquire_bh", "acquire_irq")))
        hard = mk_or(self.irq_off_now(p, actor, 2), lit(op == "acquire_irq"))
        p.attempts.append(N.LockAttempt(p.pending(), inst.name, inst.lock_class, inst.kind, trylock,
                                        actor.context, soft, hard, held, span))

    def exec_lock_op(self, op: str, ref: LockRef, span, p: Path, actor: Actor) -> list[Path]:
        self.add_check(p, "range", ref.outside, f"`{op}` of `{ref.info.decl.name}[...]` with an index outside "
                       "its sort", span, error=True)
        out = []
        for cond, li in ref.options:
            q = p if len(ref.options) == 1 else p.fork()
            q.add_cond(cond)
            if q.dead:
                continue
            inst = self.lock_instances[li]
            owner = q.store.get(inst.owner_slot, N.Var(inst.owner_slot))
            me = lit(actor.pid)
            if op.startswith("acquire"):
                self.add_check(q, "lock_recursion", mk_cmp("==", owner, me),
                               f"{actor.name} acquires `{inst.name}`, which it already holds", span)
                if inst.kind in SLEEPING_KINDS:
                    self.add_check(q, "sleep_in_atomic", self.atomic_now(q, actor),
                                   f"{actor.name} takes the sleeping lock `{inst.name}` in atomic context", span)
                self.lock_attempt(q, actor, li, op, span)
                q.blocking = True
                q.add_cond(mk_cmp("==", owner, lit(-1)))
                q.blockers.append(N.Blocker(inst.name, inst.owner_slot))
                q.store[inst.owner_slot] = me
                mode_slot = self.lock_mode_slots.get(li)
                if mode_slot is not None:
                    q.store[mode_slot] = lit({"acquire": 0, "acquire_bh": 1, "acquire_irq": 2}[op])
            elif op.startswith("release"):
                self.add_check(q, "lock_release_unheld", mk_not(mk_cmp("==", owner, me)),
                               f"{actor.name} releases `{inst.name}`, which it does not hold", span)
                q.store[inst.owner_slot] = lit(-1)
                mode_slot = self.lock_mode_slots.get(li)
                if mode_slot is not None:
                    q.store[mode_slot] = lit(0)
            elif op == "assert_held":
                self.add_check(q, "assert_held", mk_not(mk_cmp("==", owner, me)),
                               f"lockdep_assert_held(`{inst.name}`) fails in {actor.name}", span)
            else:
                self.add_check(q, "assert_not_held", mk_cmp("==", owner, me),
                               f"lockdep_assert_not_held(`{inst.name}`) fails in {actor.name}", span)
            out.append(q)
        return out

    # ---- objects -----------------------------------------------------------------------
    def exec_obj_op(self, op: str, ref: ObjRef, span, p: Path, actor: Actor) -> list[Path]:
        info = ref.info
        self.add_check(p, "range", ref.outside, f"`{op}` of `{info.decl.name}[...]` with an index outside its "
                       "sort (is it `none`?)", span, error=True)

        def on(k: int):
            def run(q: Path) -> list[Path]:
                name = f"{info.decl.name}[{value_name(info.index_type, domain(info.index_type)[k])}]"
                a_slot, r_slot = info.alive_slots[k], info.refs_slots[k]
                alive = q.store.get(a_slot, N.Var(a_slot))
                refs = q.store.get(r_slot, N.Var(r_slot)) if r_slot >= 0 else lit(0)
                self.obj_step(op, info, name, alive, refs, a_slot, r_slot, q, actor, span)
                return [q]
            return run

        if len(ref.options) == 1:
            return on(ref.options[0][1])(p)
        return [self.merge_branches(p, [(c, on(k)) for c, k in ref.options])]

    def obj_step(self, op, info, name, alive, refs, a_slot, r_slot, q: Path, actor: Actor, span) -> None:
        dead = mk_not(alive)
        who = actor.name
        if op == "alloc":
            self.add_check(q, "double_alloc", alive, f"{who} allocates `{name}`, which is live", span)
            q.store[a_slot] = N.TRUE
            if r_slot >= 0:
                q.store[r_slot] = lit(info.base)
            return
        if op == "free":
            self.add_check(q, "double_free", dead, f"{who} frees `{name}`, which is already freed", span)
            if info.style == "counter":
                self.add_check(q, "free_while_referenced", mk_and(alive, mk_not(mk_cmp("==", refs, lit(0)))),
                               f"{who} frees `{name}` while it still has references", span)
            q.store[a_slot] = N.FALSE
            if r_slot >= 0:
                q.store[r_slot] = lit(0)
            return
        verb = {"use": "uses", "get": "takes a reference to", "put": "drops a reference to"}[op]
        self.add_check(q, "use_after_free", dead, f"{who} {verb} `{name}` after it was freed", span)
        if op == "use":
            return
        if info.style == "none":
            raise err(D.BAD_CALL, f"object `{info.decl.name}` has no refcount; `{op}` needs one", span)
        if op == "get":
            self.add_check(q, "range", mk_and(alive, mk_cmp("<=", lit(info.max_refs), refs)),
                           f"refcount of `{name}` exceeds max_refs = {info.max_refs}", span, error=True)
            q.store[r_slot] = mk_ite(alive, N.Arith("+", refs, lit(1)), refs)
            return
        self.add_check(q, "ref_underflow", mk_and(alive, mk_cmp("==", refs, lit(0))),
                       f"{who} drops a reference to `{name}` whose count is already 0", span)
        dec = mk_ite(mk_and(alive, mk_cmp("<", lit(0), refs)), N.Arith("-", refs, lit(1)), refs)
        q.store[r_slot] = dec
        if info.style == "kref":
            q.store[a_slot] = mk_and(alive, mk_not(mk_cmp("==", dec, lit(0))))

    def exec_primitive(self, st: A.Primitive, p: Path, actor: Actor, ctx: Ctx) -> list[Path]:
        op = st.op
        if op == "might_sleep":
            self.add_check(p, "sleep_in_atomic", self.atomic_now(p, actor),
                           f"{actor.name} may sleep in atomic context", st.span)
            return [p]
        if op in ("alloc", "get", "put", "free", "use"):
            return self.exec_obj_op(op, self.obj_ref(st.arg, ctx), st.span, p, actor)
        return self.exec_lock_op(op, self.lock_ref(st.arg, ctx), st.span, p, actor)

    def held_at_exit(self, p: Path, actor: Actor, span) -> None:
        me = lit(actor.pid)
        for li in self.lock_instances:
            owner = p.store.get(li.owner_slot, N.Var(li.owner_slot))
            self.add_check(p, "lock_held_at_exit", mk_cmp("==", owner, me),
                           f"{actor.name} ends while holding `{li.name}`", span)
