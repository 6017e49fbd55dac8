"""Breadth-first exhaustive exploration: the reference semantics of kspec.

Given a compiled model and the properties to check, explores every reachable
state once (visited set keyed by the canonical state tuple, or by its
fingerprint with the compact and bitstate stores, which also keep the BFS
frontier packed: kspec.explicit.store), records for each property the *first*
violation met, which BFS makes a shortest one, and keeps parent links to
rebuild traces. Lockdep mode accumulates the lock-class
dependency graph and irq usage over every explored transition attempt and
reports the earliest cycle. Bounds (states, depth, time) and Ctrl-C stop the
search cleanly, and the result then says so: nothing is claimed to hold.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from typing import Callable

from kspec.explicit.compile import CompiledModel, EvalError
from kspec.explicit.store import PARENT_WIDE_AT, PackedLevel, make_store
from kspec.ir import nodes as N


@dataclass(frozen=True, slots=True)
class Violation:
    """The first bad state or step found for a property. `state` is the index
    of the pre-state (for a check or deadlock) or of the bad state; `tid` the
    failing transition (checks); `length` the counterexample length in steps."""

    prop: str
    kind: str  # invariant | check | deadlock | reachable | lockdep | error
    state: int
    length: int
    tid: int | None = None
    detail: object = None


@dataclass(frozen=True, slots=True)
class LockdepEdge:
    src: str
    dst: str
    state: int  # pre-state where the attempt was first seen
    tid: int
    attempt: int
    held_lock: str
    target_lock: str
    depth: int


@dataclass(slots=True)
class Limits:
    max_states: int = 5_000_000
    max_depth: int = 1_000_000
    max_seconds: float = 0.0  # 0: no time limit
    store: str = "full"  # full | compact | bitstate
    bitstate_bits: int = 27
    max_memory_mb: float = 0.0  # 0: no memory budget


class _States:
    """Read-only sequence view of a store (states rebuilt on demand)."""

    def __init__(self, store):
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, idx: int) -> tuple:
        return self.store.state(idx)


@dataclass(slots=True)
class Exploration:
    compiled: CompiledModel
    store: object
    found: dict[str, Violation]
    complete: bool
    stop_reason: str
    max_depth: int
    transitions_fired: int
    coverage: list[int]
    seconds: float
    lockdep_edges: dict[tuple[str, str], LockdepEdge] = field(default_factory=dict)
    lockdep_usage: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)

    symmetry: object = None  # a kspec.explicit.symmetry.Symmetry when states are representatives

    @property
    def states(self):
        return self.store.states if hasattr(self.store, "states") else _States(self.store)

    @property
    def count(self) -> int:
        return len(self.store)

    def trace_to(self, idx: int) -> list[tuple[int | None, tuple]]:
        """[(transition id or None for the initial state, state), ...]: a
        concrete execution of the model ending in (a member of the orbit of)
        state idx."""
        chain = []
        while idx >= 0:
            chain.append(idx)
            idx = self.store.parent[idx]
        chain.reverse()
        out: list[tuple[int | None, tuple]] = [(None, self.store.state(chain[0]))]
        for k in chain[1:]:
            tid = self.store.via[k]
            if hasattr(self.store, "states"):
                out.append((tid, self.store.states[k]))
            else:
                out.append((tid, self.store.apply(tid, out[-1][1])))
        return out if self.symmetry is None else self._concretize(out)

    def _concretize(self, path: list[tuple[int | None, tuple]]) -> list[tuple[int | None, tuple]]:
        """Rebuild a concrete trace from representatives by re-running the
        model: from each concrete state, take a successor whose representative
        is the next one on the path (as Stateright rebuilds paths)."""
        xs = self.symmetry.concretize(tuple(self.compiled.model.init), path,  # type: ignore[attr-defined]
                                      self.compiled.applies)
        out: list[tuple[int | None, tuple]] = [(None, xs[0])]
        for x, nx in zip(xs, xs[1:]):
            succs, _ = self.compiled.expand(x, frozenset())
            tid = next(t for t, ns in succs if ns == nx)  # the image of the stored transition
            out.append((tid, nx))
        return out

    def concrete_state(self, idx: int) -> tuple:
        return self.trace_to(idx)[-1][1] if self.symmetry is not None else self.states[idx]


class _Lockdep:
    """Accumulates lockdep's class graph and irq usage bits from the events
    the compiled `expand` reports for every acquisition attempt, and finds
    the earliest cycle."""

    def __init__(self, compiled: CompiledModel, active: set[str]):
        self.model = compiled.model
        self.active = active
        self.edges: dict[tuple[str, str], LockdepEdge] = {}
        self.succ: dict[str, dict[str, None]] = {}  # ordered, so reports do not depend on hashing
        self.usage: dict[tuple[str, str], tuple[int, int, int]] = {}
        self.found: dict[str, Violation] = {}
        self.events: list = []
        self.arg = (self.edges, self.usage, self.events)

    def consume(self, idx: int, depth: int) -> None:
        for kind, key, tid, k, hname in self.events:
            a = self.model.transitions[tid].lock_attempts[k]
            if kind == "e":
                self._edge(key[0], key[1], idx, tid, k, hname, a.lock, depth)
            elif kind == "u":
                if key not in self.usage:
                    self.usage[key] = (idx, tid, depth)
                    self._check_irq(key[0])
            else:
                self._found("lockdep_recursion", idx, depth + 1, tid, (hname, a.lock, a.lock_class))
        self.events.clear()

    def _found(self, prop: str, idx: int, length: int, tid: int | None, detail) -> None:
        if prop in self.active and prop not in self.found:
            self.found[prop] = Violation(prop, "lockdep", idx, length, tid, detail)

    def _check_irq(self, cls: str) -> None:
        for x in ("SOFTIRQ", "HARDIRQ"):
            used, enabled = self.usage.get((cls, f"USED_IN_{x}")), self.usage.get((cls, f"ENABLED_{x}"))
            if used and enabled:
                later = max(used, enabled, key=lambda u: u[2])
                self._found("lockdep_irq", later[0], later[2] + 1, later[1],
                            {"class": cls, "irq": x, "used": used, "enabled": enabled})

    def _edge(self, src: str, dst: str, idx: int, tid: int, k: int, hname: str, lname: str, depth: int) -> None:
        if (src, dst) in self.edges:
            return
        self.edges[(src, dst)] = LockdepEdge(src, dst, idx, tid, k, hname, lname, depth)
        self.succ.setdefault(src, {})[dst] = None
        path = self._path(dst, src)
        if path is not None:
            cycle = [self.edges[(path[i], path[i + 1])] for i in range(len(path) - 1)] + [self.edges[(src, dst)]]
            length = max(e.depth for e in cycle) + 1
            self._found("lockdep_cycle", idx, length, tid, cycle)

    def _path(self, a: str, b: str) -> list[str] | None:
        return shortest_path(self.succ, a, b)


def shortest_path(succ, a: str, b: str) -> list[str] | None:
    """A shortest path from a to b in a graph given as node -> successors
    (lock classes in lockdep mode), or None; deterministic in insertion order."""
    prev: dict[str, str | None] = {a: None}
    todo = [a]
    while todo:
        nxt = []
        for x in todo:
            if x == b:
                out = [x]
                while prev[out[-1]] is not None:
                    out.append(prev[out[-1]])  # type: ignore[arg-type]
                return list(reversed(out))
            for y in succ.get(x, ()):
                if y not in prev:
                    prev[y] = x
                    nxt.append(y)
        todo = nxt
    return None


def explore(cm: CompiledModel, active: set[str], limits: Limits | None = None,
            progress: Callable[[int, int, float], None] | None = None, symmetry=None) -> Exploration:
    """BFS over all reachable states (representatives, with `symmetry`)."""
    limits = limits or Limits()
    model = cm.model
    t0 = time.perf_counter()
    canon = symmetry.canonical if symmetry is not None else None
    init = tuple(model.init) if canon is None else canon(tuple(model.init))
    applies = cm.applies
    if canon is None:
        def apply(tid: int, x: tuple) -> tuple:
            return applies[tid](x)
    else:
        def apply(tid: int, x: tuple) -> tuple:
            return canon(applies[tid](x))
    store = make_store(limits.store, init, apply, limits.bitstate_bits, model)
    index = getattr(store, "index", None)
    frontier: list[tuple[int, tuple]] | PackedLevel
    if index is not None:
        st_states, st_parent, st_via = store.states, store.parent, store.via
        frontier = [(0, init)]
    else:  # compact / bitstate: fingerprints, and the frontier packed (store.py)
        codec = store.codec
        pack, wide_key, psize = codec.pack, codec.wide_key, codec.size
        table = getattr(store, "table", None)  # the compact store's, inlined below
        add_fp = store.add_fp
        frontier = PackedLevel(codec, 0)
        frontier.append_key(0, codec.key(init), init)
    found: dict[str, Violation] = {}
    coverage = [0] * len(model.transitions)
    invariants = [(n, f) for n, f, _ in cm.invariants if n in active]
    witnesses = [(n, f) for n, f in cm.witnesses if n in active]
    check_deadlock = "deadlock" in active
    lockdep = _Lockdep(cm, active) if active & {"lockdep_cycle", "lockdep_recursion", "lockdep_irq"} and \
        any(t.lock_attempts for t in model.transitions) else None
    running = [(p.pc_slot, p.done_value) for p in model.processes]
    undecided = set(active)
    complete, reason = True, "complete"
    fired = 0
    depth = 0
    expand = cm.expand
    ld_arg = lockdep.arg if lockdep is not None else None
    last_progress = t0
    try:
        while frontier:
            if index is None:
                if len(store) >= PARENT_WIDE_AT:  # this level's parents are below len(store)
                    store.widen_parents()
                st_parent, st_via = store.parent, store.via
                nxt = PackedLevel(codec, len(store))
                nbuf, chunk_bytes = nxt.buf, nxt.chunk_bytes
                if table is not None:
                    tab, mask, tab_last, tab_limit = table.tab, table.mask, table.last, table.limit
            else:
                nxt = []
            for idx, s in frontier:
                try:
                    for name, f in invariants:
                        if not f(s) and name not in found:
                            found[name] = Violation(name, "invariant", idx, depth)
                    for name, f in witnesses:
                        if f(s) and name not in found:
                            found[name] = Violation(name, "reachable", idx, depth)
                except (EvalError, IndexError, ValueError, ZeroDivisionError):
                    _properties_slowly(invariants, witnesses, s, idx, depth, found)
                if depth >= limits.max_depth:
                    complete, reason = False, f"depth bound {limits.max_depth} reached"
                    continue
                erroneous = False  # some step from s is an error: s is no deadlock
                try:
                    succs, bad = expand(s, undecided, ld_arg)
                except (EvalError, IndexError, ValueError, ZeroDivisionError) as e:
                    if "range" in active and "range" not in found:
                        found["range"] = Violation("range", "error", idx, depth + 1, None, str(e))
                    succs, bad = _expand_slowly(cm, s, undecided), []
                    erroneous = True
                blocked = None
                for tid, k in bad:
                    if k < 0:
                        if k == -2:
                            erroneous = True
                            continue
                        blocked = blocked or []
                        blocked.append(tid)
                        continue
                    prop = model.transitions[tid].checks[k].prop
                    if prop not in found:
                        found[prop] = Violation(prop, "check", idx, depth + 1, tid, k)
                if blocked and "wait_cycle" not in found:
                    cycle = wait_cycle(model, s, succs, blocked)
                    if cycle:
                        found["wait_cycle"] = Violation("wait_cycle", "wait_cycle", idx, depth + len(cycle), None,
                                                        cycle)
                if lockdep is not None and lockdep.events:
                    lockdep.consume(idx, depth)
                if not succs:
                    if check_deadlock and not erroneous and any(s[p] < d for p, d in running):
                        _deadlock(found, idx, depth, sum(1 for p, d in running if s[p] < d))
                    continue
                fired += len(succs)
                if index is not None:  # full store, inlined: the hot loop of the engine
                    for tid, ns in succs:
                        coverage[tid] += 1
                        if canon is not None:
                            ns = canon(ns)
                        if ns not in index:
                            k = index[ns] = len(st_states)
                            st_states.append(ns)
                            st_parent.append(idx)
                            st_via.append(tid)
                            nxt.append((k, ns))
                elif table is not None:  # compact store, inlined: FingerprintTable.add, PackedLevel.append_key
                    for tid, ns in succs:
                        coverage[tid] += 1
                        if canon is not None:
                            ns = canon(ns)
                        try:
                            b = pack(*ns)
                        except (struct.error, TypeError):
                            b = wide_key(ns)
                        h = hash(b) or 1
                        i = h & mask
                        v = tab[i]
                        while v:
                            if v == h:
                                break
                            i += 1
                            v = tab[i]
                        else:
                            tab[i] = h
                            table.n += 1
                            st_parent.append(idx)
                            st_via.append(tid)
                            if len(b) == psize:
                                nbuf += b
                                if len(nbuf) >= chunk_bytes:
                                    nbuf = nxt.new_chunk()
                            else:
                                nxt.append_key(len(st_parent) - 1, b, ns)
                                nbuf = nxt.buf
                            if i >= tab_last or table.n > tab_limit:
                                table.inserted(i)  # a new table view, mask, ...
                                tab, mask, tab_last, tab_limit = table.tab, table.mask, table.last, table.limit
                else:
                    for tid, ns in succs:
                        coverage[tid] += 1
                        if canon is not None:
                            ns = canon(ns)
                        try:
                            b = pack(*ns)
                        except (struct.error, TypeError):
                            b = wide_key(ns)
                        k = add_fp(hash(b) or 1, idx, tid)
                        if k is not None:
                            if len(b) == psize:
                                nbuf += b
                                if len(nbuf) >= chunk_bytes:
                                    nbuf = nxt.new_chunk()
                            else:
                                nxt.append_key(k, b, ns)
                                nbuf = nxt.buf
                if len(store) >= limits.max_states:
                    raise _Bound(f"state bound {limits.max_states} reached")
                if (limits.max_seconds or limits.max_memory_mb) and idx & 4095 == 0:
                    _check_caps(limits, t0)  # also within a long BFS level
            if lockdep is not None:
                found.update({k: v for k, v in lockdep.found.items() if k not in found})
            undecided = set(active) - set(found)
            if not undecided:
                complete, reason = False, "stopped early: every checked property decided"
                break
            frontier = nxt
            if nxt:
                depth += 1
            now = time.perf_counter()
            if progress and now - last_progress > 0.5 and now - t0 > 1.0:
                progress(len(store), depth, now - t0)
                last_progress = now
            if limits.max_memory_mb and _rss_mb() > limits.max_memory_mb and frontier:
                raise _Bound(f"memory budget {limits.max_memory_mb:g} MiB reached")
            if limits.max_seconds and now - t0 > limits.max_seconds:
                if frontier:
                    raise _Bound(f"time bound {limits.max_seconds:g}s reached")
    except _Bound as b:
        complete, reason = False, str(b)
    except KeyboardInterrupt:
        complete, reason = False, "interrupted"
    if lockdep is not None:
        found.update({k: v for k, v in lockdep.found.items() if k not in found})
    if reason.startswith("stopped early"):
        complete = True if not frontier else False
    return Exploration(cm, store, found, complete, reason, depth, fired, coverage,
                       time.perf_counter() - t0, lockdep.edges if lockdep else {},
                       lockdep.usage if lockdep else {}, symmetry)


def _deadlock(found: dict, idx: int, depth: int, waiters: int) -> None:
    """Record a stuck state: among the least deep ones, one with the fewest
    waiting processes (its counterexample, path plus one blocked attempt per
    waiter, is the shortest; the symbolic engine picks the same), the first
    in BFS order among those."""
    old = found.get("deadlock")
    if old is None or old.length == depth and old.detail > waiters:
        found["deadlock"] = Violation("deadlock", "deadlock", idx, depth, None, waiters)


def _check_caps(limits: Limits, t0: float) -> None:
    if limits.max_seconds and time.perf_counter() - t0 > limits.max_seconds:
        raise _Bound(f"time bound {limits.max_seconds:g}s reached")
    if limits.max_memory_mb and _rss_mb() > limits.max_memory_mb:
        raise _Bound(f"memory budget {limits.max_memory_mb:g} MiB reached")


def _rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def wait_cycle(model: N.Model, s: tuple, succs, blocked: list[int]) -> list[str] | None:
    """Processes that each wait for a lock held by the next one (contracts
    §0.4 C4), among processes with no enabled step, or None."""
    moving = {model.transitions[t].actor for t, _ in succs}
    waits: dict[str, list[str]] = {}
    for tid in blocked:
        t = model.transitions[tid]
        if t.actor in moving:
            continue
        for b in t.blockers:
            owner = s[b.owner_slot]
            if owner >= 0 and model.pids[owner] != t.actor:
                waits.setdefault(t.actor, []).append(model.pids[owner])
    for start in waits:
        path, seen = [start], {start: 0}
        while True:
            nxt = waits.get(path[-1])
            if not nxt:
                break
            who = nxt[0]
            if who in seen:
                return path[seen[who]:]
            seen[who] = len(path)
            path.append(who)
    return None


class _Bound(Exception):
    pass


def _properties_slowly(invariants, witnesses, s, idx, depth, found) -> None:
    for name, f in invariants:
        if not _safe(f, s) and name not in found:
            found[name] = Violation(name, "invariant", idx, depth)
    for name, f in witnesses:
        if _safe(f, s) and name not in found:
            found[name] = Violation(name, "reachable", idx, depth)


def _safe(f, s) -> bool:
    try:
        return bool(f(s))
    except (EvalError, IndexError, ValueError, ZeroDivisionError):
        return False


def _expand_slowly(cm: CompiledModel, s: tuple, active) -> list[tuple[int, tuple]]:
    """Successors one transition at a time, skipping those that cannot be
    evaluated (already reported as a `range` violation)."""
    out = []
    for tid in range(len(cm.model.transitions)):
        try:
            if cm.enabled(s, tid):
                out.append((tid, cm.applies[tid](s)))
        except (EvalError, IndexError, ValueError, ZeroDivisionError):
            continue
    return out
