"""The oracle's step relation over a compiled model, cached per state.

For each state, `Engine.succ` splits the enabled transitions into hidden ones
(no `emit`) and observable ones, the latter indexed by event name with their
actor and the argument and result values computed on the pre-state. A step
that violates an active property (a check firing on the step, or an invariant
false in the post-state) is kept apart with its reasons: a conforming
implementation cannot take it. `Engine.closure` is the set of states reachable
by hidden steps from a set of states, bounded in depth and size, raising
`HiddenBoundExceeded` rather than returning an incomplete set.
"""
from __future__ import annotations

from dataclasses import dataclass

from kspec.explicit.compile import RUNTIME, CompiledModel, EvalError, ExprCompiler
from kspec.ir import nodes as N

ANY_THREAD = None


class HiddenBoundExceeded(Exception):
    def __init__(self, reason: str, states: int, depth: int):
        super().__init__(reason)
        self.reason, self.states, self.depth = reason, states, depth


@dataclass(frozen=True, slots=True)
class Entry:
    """One observable step from a state."""

    tid: int
    threads: frozenset | None  # thread names it answers to; None: any (an action)
    args: tuple
    result: object  # slot integer, or None when the event has no result
    post: tuple
    problems: tuple[tuple[str, str], ...]  # (property, message) violated by taking it


@dataclass(frozen=True, slots=True)
class Succ:
    hidden: tuple[tuple, ...]  # post-states of clean hidden steps
    events: dict  # name -> tuple[Entry, ...]
    bad_hidden: tuple[tuple[int, tuple[tuple[str, str], ...]], ...]  # (tid, problems) of violating hidden steps
    error: str | None = None  # an expression could not be evaluated here


def _threads_of(model: N.Model, t: N.Transition) -> frozenset | None:
    if t.pc is None:
        return ANY_THREAD
    names = {t.actor}
    base = t.actor.split("[", 1)[0]
    if sum(1 for p in model.processes if p.process == base) >= 1:
        names.add(base)
    return frozenset(names)


class Engine:
    """Successors and hidden closures of one model, with the properties in
    `active` enforced on every step."""

    def __init__(self, cm: CompiledModel, active: frozenset[str], *, cache_limit: int = 500_000):
        self.cm = cm
        self.model = cm.model
        self.active = set(active)
        self.cache_limit = cache_limit
        T = self.model.transitions
        self.events_of = tuple(t.event for t in T)
        self.threads = tuple(_threads_of(self.model, t) for t in T)
        self._event_fns = self._compile_events()
        self.invariants = tuple((name, whole, parts) for name, whole, parts in cm.invariants if name in active)
        self._succ: dict[tuple, Succ] = {}
        self._bad_state: dict[tuple, tuple] = {}
        self._closure: dict[frozenset, frozenset] = {}

    def _compile_events(self) -> tuple:
        ec = ExprCompiler(self.model.slots)
        env = dict(RUNTIME)
        fns = []
        for ev in self.events_of:
            if ev is None:
                fns.append(None)
                continue
            args = "(" + "".join(f"{ec.src(a)}, " for a in ev.args) + ")"
            res = ec.src(ev.result) if ev.result is not None else "None"
            fns.append(eval(compile(f"lambda s: ({args}, {res})", "<kspec-events>", "eval"), env))
        return tuple(fns)

    # ---- one state -------------------------------------------------------------
    def succ(self, s: tuple) -> Succ:
        r = self._succ.get(s)
        if r is None:
            if len(self._succ) >= self.cache_limit:
                self._succ.clear()
            r = self._succ[s] = self._compute(s)
        return r

    def _compute(self, s: tuple) -> Succ:
        try:
            out, bad = self.cm.expand(s, self.active)
        except EvalError as e:
            return Succ((), {}, (), f"an expression cannot be evaluated: {e}")
        failing: dict[int, list[tuple[str, str]]] = {}
        for tid, k in bad:
            c = self.model.transitions[tid].checks[k]
            failing.setdefault(tid, []).append((c.prop, c.message))
        hidden, bad_hidden, events = [], [], {}
        for tid, post in out:
            problems = tuple(failing.get(tid, ())) + self.bad_state(post)
            ev = self.events_of[tid]
            if ev is None:
                if problems:
                    bad_hidden.append((tid, problems))
                else:
                    hidden.append(post)
                continue
            try:
                args, res = self._event_fns[tid](s)
            except EvalError as e:
                problems += (("error", f"the event's values cannot be evaluated: {e}"),)
                args, res = (), None
            events.setdefault(ev.name, []).append(Entry(tid, self.threads[tid], args, res, post, problems))
        return Succ(tuple(dict.fromkeys(hidden)), {k: tuple(v) for k, v in events.items()}, tuple(bad_hidden))

    def bad_state(self, s: tuple) -> tuple[tuple[str, str], ...]:
        """The active invariants `s` violates, with the failed conjuncts."""
        r = self._bad_state.get(s)
        if r is not None:
            return r
        found = []
        for name, whole, parts in self.invariants:
            try:
                ok = whole(s)
            except EvalError:
                ok = False
            if not ok:
                found.append((name, self.failed_conjuncts(name, parts, s)))
        r = tuple(found)
        if len(self._bad_state) >= self.cache_limit:
            self._bad_state.clear()
        self._bad_state[s] = r
        return r

    def failed_conjuncts(self, name: str, parts, s: tuple) -> str:
        prop = next(p for p in self.model.state_properties if p.name == name)
        bad = []
        for c, f in zip(prop.conjuncts, parts):
            try:
                ok = f(s)
            except EvalError:
                ok = False
            if not ok:
                bad.append(c.description)
        return f"invariant `{name}` is false: " + "; ".join(bad)

    # ---- hidden closure ----------------------------------------------------------
    def closure(self, states: frozenset, max_depth: int, max_states: int) -> frozenset:
        """Every state reachable from `states` by at most `max_depth` clean hidden
        steps; raises HiddenBoundExceeded if more steps or states would be needed."""
        r = self._closure.get(states)
        if r is not None:
            return r
        seen = set(states)
        frontier = list(states)
        depth = 0
        while frontier:
            nxt = []
            for s in frontier:
                for p in self.succ(s).hidden:
                    if p not in seen:
                        seen.add(p)
                        nxt.append(p)
            if not nxt:
                break
            depth += 1
            if depth > max_depth:
                raise HiddenBoundExceeded(f"hidden steps continue beyond {max_depth} steps", len(seen), depth)
            if len(seen) > max_states:
                raise HiddenBoundExceeded(f"more than {max_states} states are reachable by hidden steps",
                                          len(seen), depth)
            frontier = nxt
        r = frozenset(seen)
        if len(self._closure) >= 10_000:
            self._closure.clear()
        self._closure[states] = r
        return r
