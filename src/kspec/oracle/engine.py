"""The oracle's step relation over a compiled model, computed lazily and cached.

Transitions are split once into hidden ones (no `emit`) and observable ones,
indexed by event name and, when a transition's arguments are constants (the
usual case: process indices, action parameters), by its argument values. So
observing `e(args)` in a state evaluates only the transitions that can emit
exactly that, and a state's hidden successors are computed once.

A step that violates an active property (a check of the step fires, or an
invariant is false in the post-state) is kept apart with its reasons: a
conforming implementation cannot take it. `Engine.closure` is the set of
states reachable by hidden steps from a set of states, bounded in depth and
size, raising `HiddenBoundExceeded` rather than returning an incomplete set.
"""
from __future__ import annotations

from typing import NamedTuple

from kspec.explicit.compile import RUNTIME, CompiledModel, EvalError, ExprCompiler
from kspec.ir import nodes as N

_CLOSURE_CACHE = 20_000


class HiddenBoundExceeded(Exception):
    def __init__(self, reason: str, states: int, depth: int):
        super().__init__(reason)
        self.reason, self.states, self.depth = reason, states, depth


class Entry(NamedTuple):
    """One observable step from a state."""

    tid: int
    threads: frozenset | None  # thread names it answers to; None: any (an action)
    args: tuple
    result: object  # slot integer, or None when the event has no result
    post: tuple
    problems: tuple  # ((property, message), ...) violated by taking it


class Hidden(NamedTuple):
    posts: tuple  # post-states of clean hidden steps
    bad: tuple  # ((tid, problems), ...) hidden steps left out: they violate a property
    error: str | None  # an expression could not be evaluated here


class Succ(NamedTuple):
    """Everything a state can do (for reports and generation)."""

    hidden: tuple
    events: dict  # name -> tuple[Entry, ...]
    bad_hidden: tuple


_NO_HIDDEN = Hidden((), (), None)


def _threads_of(t: N.Transition) -> frozenset | None:
    if t.pc is None:
        return None
    return frozenset({t.actor, t.actor.split("[", 1)[0]})


class Engine:
    """Successors and hidden closures of one model, with the properties in
    `active` enforced on every step."""

    def __init__(self, cm: CompiledModel, active: frozenset[str], *, cache_limit: int = 1_000_000):
        self.cm = cm
        self.model = cm.model
        self.active = frozenset(active)
        self.cache_limit = cache_limit
        T = self.model.transitions
        self.threads = tuple(_threads_of(t) for t in T)
        self.checks = tuple(tuple(k for k, c in enumerate(t.checks) if c.prop in self.active) for t in T)
        self._fns = _StepFunctions(self.model, self.active)
        self.hidden_tids = tuple(i for i, t in enumerate(T) if t.event is None)
        self._static: dict[tuple, list[int]] = {}  # (name, args) -> tids with constant arguments
        self._dynamic: dict[str, list[int]] = {}  # name -> tids whose arguments depend on the state
        for i, t in enumerate(T):
            if t.event is not None:
                if all(isinstance(a, N.Lit) for a in t.event.args):
                    key = (t.event.name, tuple(int(a.value) for a in t.event.args))  # type: ignore[union-attr]
                    self._static.setdefault(key, []).append(i)
                else:
                    self._dynamic.setdefault(t.event.name, []).append(i)
        self.event_tids = {n: [i for i, t in enumerate(T) if t.event is not None and t.event.name == n]
                           for n in {t.event.name for t in T if t.event is not None}}
        self.invariants = tuple((name, whole, parts) for name, whole, parts in cm.invariants if name in active)
        self._hidden: dict[tuple, Hidden] = {}
        self._match: dict[tuple, tuple] = {}
        self._bad_state: dict[tuple, tuple] = {}
        self._closure: dict[frozenset, frozenset] = {}

    # ---- single transitions ------------------------------------------------------------
    def take(self, s: tuple, tid: int) -> tuple | None:
        """(post-state, problems) if transition `tid` is enabled in `s`."""
        r = self._fns[tid](s)
        if r is None:
            return None
        return r[0], self._problems(tid, r[0], r[3])

    def _problems(self, tid: int, post: tuple, failing: tuple) -> tuple:
        checks = self.model.transitions[tid].checks
        problems = tuple((checks[k].prop, checks[k].message) for k in failing)
        if self.invariants:
            problems += self.bad_state(post)
        return problems

    def entry(self, s: tuple, tid: int) -> Entry | None:
        r = self._fns[tid](s)
        if r is None:
            return None
        post, args, res, failing = r
        problems = self._problems(tid, post, failing) if failing or self.invariants else ()
        return Entry(tid, self.threads[tid], args, res, post, problems)

    # ---- per state, cached ---------------------------------------------------------------
    def hidden(self, s: tuple) -> Hidden:
        h = self._hidden.get(s)
        if h is None:
            if len(self._hidden) >= self.cache_limit:
                self._hidden.clear()
            h = self._hidden[s] = self._compute_hidden(s)
        return h

    def _compute_hidden(self, s: tuple) -> Hidden:
        if not self.hidden_tids:
            return _NO_HIDDEN
        posts, bad = [], []
        try:
            for tid in self.hidden_tids:
                taken = self.take(s, tid)
                if taken is not None:
                    (bad.append((tid, taken[1])) if taken[1] else posts.append(taken[0]))
        except EvalError as e:
            return Hidden((), (), f"an expression cannot be evaluated: {e}")
        return Hidden(tuple(dict.fromkeys(posts)), tuple(bad), None)

    def matching(self, s: tuple, name: str, args: tuple, cache: bool = True) -> tuple:
        """The steps from `s` emitting event `name` with argument values `args`
        (cached when asked: worth it when many candidate sets share states)."""
        key = (s, name, args)
        r = self._match.get(key) if cache else None
        if r is None:
            out = []
            try:
                for tid in self._static.get((name, args), ()):
                    en = self.entry(s, tid)
                    if en is not None:
                        out.append(en)
                for tid in self._dynamic.get(name, ()):
                    en = self.entry(s, tid)
                    if en is not None and en.args == args:
                        out.append(en)
            except EvalError:
                pass  # no step can be taken where the spec cannot be evaluated
            r = tuple(out)
            if cache:
                if len(self._match) >= self.cache_limit:
                    self._match.clear()
                self._match[key] = r
        return r

    def succ(self, s: tuple) -> Succ:
        """All steps of `s` (not cached: reports and generation)."""
        events: dict[str, list[Entry]] = {}
        for name, tids in self.event_tids.items():
            for tid in tids:
                try:
                    en = self.entry(s, tid)
                except EvalError:
                    en = None
                if en is not None:
                    events.setdefault(name, []).append(en)
        h = self.hidden(s)
        return Succ(h.posts, {k: tuple(v) for k, v in events.items()}, h.bad)

    def bad_state(self, s: tuple) -> tuple[tuple[str, str], ...]:
        """The active invariants `s` violates, with the failed conjuncts."""
        r = self._bad_state.get(s)
        if r is not None:
            return r
        found = []
        for name, whole, parts in self.invariants:
            if not _holds(whole, s):
                found.append((name, self.failed_conjuncts(name, parts, s)))
        r = tuple(found)
        if len(self._bad_state) >= self.cache_limit:
            self._bad_state.clear()
        self._bad_state[s] = r
        return r

    def failed_conjuncts(self, name: str, parts, s: tuple) -> str:
        prop = next(p for p in self.model.state_properties if p.name == name)
        bad = [c.description for c, f in zip(prop.conjuncts, parts) if not _holds(f, s)]
        return f"invariant `{name}` is false: " + "; ".join(bad)

    # ---- hidden closure ----------------------------------------------------------------
    def closure(self, states: frozenset, max_depth: int, max_states: int) -> frozenset:
        """Every state reachable from `states` by at most `max_depth` clean hidden
        steps; raises HiddenBoundExceeded if more steps or states would be needed."""
        r = self._closure.get(states)
        if r is not None:
            return r
        if len(states) == 1:
            for s in states:
                if not self.hidden(s).posts:
                    return states  # the common deterministic case: nothing hidden can happen
        r = self._bfs(states, max_depth, max_states)
        if len(self._closure) >= _CLOSURE_CACHE:
            self._closure.clear()
        self._closure[states] = r
        return r

    def _bfs(self, states: frozenset, max_depth: int, max_states: int) -> frozenset:
        seen = set(states)
        frontier = list(states)
        depth = 0
        while frontier:
            nxt = []
            for s in frontier:
                for p in self.hidden(s).posts:
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
        return frozenset(seen)


def _holds(f, s: tuple) -> bool:
    try:
        return bool(f(s))
    except EvalError:
        return False


class _StepFunctions:
    """Per transition, compiled on first use: s -> None when it cannot be taken,
    else (post-state, argument values, result value, failing active checks)."""

    def __init__(self, model: N.Model, active: frozenset[str]):
        self.model, self.active = model, active
        self.ec = ExprCompiler(model.slots)
        self._fns: list = [None] * len(model.transitions)

    def __getitem__(self, tid: int):
        f = self._fns[tid]
        if f is None:
            f = self._fns[tid] = self._compile(tid)
        return f

    def _compile(self, tid: int):
        t, src = self.model.transitions[tid], self.ec.src
        conds = [f"s[{t.pc[0]}] == {t.pc[1]}"] if t.pc is not None else []
        conds += [c for c in (src(t.guard), src(t.block)) if c != "1"]
        ev = t.event
        args = "(" + "".join(f"{src(a)}, " for a in ev.args) + ")" if ev is not None else "()"
        res = src(ev.result) if ev is not None and ev.result is not None else "None"
        checks = [(k, src(c.bad)) for k, c in enumerate(t.checks) if c.prop in self.active]
        failing = ("tuple(k for k, b in (" + "".join(f"({k}, {b}), " for k, b in checks) + ") if b)") if checks \
            else "()"
        post, setup = _post_src(len(self.model.slots), {slot: src(e) for slot, e in t.updates})
        body = [f"def step(s):"]
        if conds:
            body.append(f"    if not ({' and '.join(conds)}): return None")
        body += [f"    {line}" for line in setup]
        body.append(f"    return ({post}, {args}, {res}, {failing})")
        env = dict(RUNTIME)
        exec(compile("\n".join(body), f"<kspec-oracle:{t.name}>", "exec"), env)  # generated from the IR only
        return env["step"]


def _post_src(n: int, updates: dict[int, str]) -> tuple[str, list[str]]:
    """The post-state expression, and statements computing it for long states
    (every right-hand side reads the pre-state)."""
    if not updates:
        return "s", []
    if n <= 16:
        return "(" + "".join(f"{updates.get(i, f's[{i}]')}, " for i in range(n)) + ")", []
    names = ", ".join(f"l[{i}]" for i in updates)
    vals = ", ".join(updates.values())
    return "tuple(l)", ["l = list(s)", f"{names}, = ({vals},)"]
