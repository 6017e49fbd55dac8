"""Parallel breadth-first exploration over forked worker processes (`--workers N`).

The results are those of the sequential `explore` (the reference semantics):
the same state count, the same first violation of every property (so the same
shortest counterexample, state for state), the same lockdep graph, the same
coverage and the same stop reasons under the state and depth bounds. Only the
time and memory caps and Ctrl-C cut a level at a point that depends on timing,
as they do sequentially. See docs/adr/0003-parallel-exploration.md.

How (level-synchronous BFS, hash-partitioned ownership):

* Worker `w` owns the states whose `hash(state) % N == w` (states are tuples of
  ints, whose hash is the same in every process; with the compact store, the
  store's fingerprint, a keyed hash that forked processes share) and keeps
  them in its own store (`full` or `compact`). Symmetry representatives are
  taken before partitioning.
* Every state has a *global id* equal to its index in the sequential BFS: at
  each level, a new state's sort key is (parent id, position among the
  parent's successors) of its first discovery, which is the order in which the
  sequential search appends it; ranks across workers are computed from the
  workers' sorted key arrays, relayed by the coordinator.
* A level: each worker expands its frontier (in id order), checks the
  properties, sends successors owned by others in batches of packed records
  (one pipe per pair of workers, a sender thread so that no pipe can block
  the search),
  keeps the smallest key per new state, then reports a summary: violations
  (with the id of the state), lockdep events, the sorted keys of its new
  states. The coordinator (which never sees a state) takes, per property, the
  violation of the smallest id, replays the lockdep events in id order, applies
  the bounds, and tells the workers the ranks to commit or to stop.
* Traces: at the end, the coordinator asks the owners for the parent chain
  (parent id, transition, state) of each state it needs and builds a
  `ParallelStore`, so that `Exploration.trace_to` and the reports work as usual.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import struct
import threading
import time
import traceback
from array import array
from bisect import bisect_left
from itertools import chain
from multiprocessing.connection import wait as _wait_ready
from operator import itemgetter
from typing import Callable

from kspec.explicit.compile import CompiledModel, EvalError
from kspec.explicit.explore import Exploration, Limits, Violation, _expand_slowly, _Lockdep, explore, wait_cycle
from kspec.explicit.store import StateCodec, make_store, replay_to

_ERRORS = (EvalError, IndexError, ValueError, ZeroDivisionError)
_CHUNK = 16384  # successors per batch sent to another worker
_POLL = 2048  # states between two looks at incoming batches, caps and Ctrl-C
_LOCKDEP = {"lockdep_cycle", "lockdep_recursion", "lockdep_irq"}
_hash = hash  # owner and index of a state; tests of the full store replace it to force collisions


class ParallelUnsupported(ValueError):
    """An option the parallel search does not offer (the bitstate store)."""


class WorkerFailed(RuntimeError):
    """A worker process raised or died; the message carries its traceback."""


def resolve_workers(workers: int | None) -> int:
    """0 means one worker per core."""
    if workers is None:
        return 1
    if workers < 0:
        raise ValueError(f"workers must be a non-negative integer, got {workers}")
    return workers if workers > 0 else (os.cpu_count() or 1)


# ---- the coordinator's view of the stores ------------------------------------------------------------


class _SparseStates:
    """`Exploration.states` of a parallel run: the states collected from the
    workers (those on the paths to reported states), with the total count as
    length."""

    def __init__(self, states: dict[int, tuple], count: int):
        self._states, self._count = states, count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, idx: int) -> tuple:
        try:
            return self._states[idx]
        except KeyError:
            raise IndexError(f"state {idx} is not on a reported path (a parallel run keeps only those "
                             "in the coordinator)") from None


class ParallelStore:
    """What the coordinator knows of the workers' stores after a parallel run:
    the state count, and parent, transition (and, for the full store, state) of
    every state on a path to a reported state, keyed by global id. Compact
    stores rebuild states by replaying transitions from the initial state."""

    def __init__(self, kind: str, count: int, init: tuple, apply: Callable[[int, tuple], tuple],
                 parent: dict[int, int], via: dict[int, int], states: dict[int, tuple] | None, workers: int):
        self.kind, self.count, self.init, self.apply = kind, count, init, apply
        self.parent, self.via, self.workers = parent, via, workers
        self.worker_cpu: list[float] = []
        if states is not None:
            self.states = _SparseStates(states, count)

    def __len__(self) -> int:
        return self.count

    def state(self, idx: int) -> tuple:
        if hasattr(self, "states"):
            return self.states[idx]
        return replay_to(idx, self.parent, self.via, self.init, self.apply)

    def bytes_per_state(self) -> float:
        return 0.0

    def collision_bound(self) -> float:
        # A state's owner is its fingerprint modulo N: two states with one
        # fingerprint always meet in the same worker, as in one global store.
        return min(1.0, self.count * self.count / 2.0 ** 64)

    def caveat(self) -> str:
        if self.kind == "compact":
            return f"hash compaction: probability of a fingerprint collision <= {self.collision_bound():.1e}"
        return ""


# ---- workers --------------------------------------------------------------------------------------


class _FullPart:
    """A worker's share of an exact (full) store. Indexed by the state's hash,
    which the worker computes anyway to find the state's owner, so that no
    state is hashed twice; states with equal hashes are told apart by
    comparing them (`over` holds the rare second state of a hash). Entries with
    a negative value are this level's candidates (-1 - position in `fresh`)."""

    kind = "full"

    def __init__(self):
        self.hidx: dict[int, int] = {}
        self.over: dict[tuple, int] = {}
        self.states: list[tuple] = []
        self.parent = array("q")
        self.via = array("i")

    def __len__(self) -> int:
        return len(self.states)

    def state(self, i: int) -> tuple:
        return self.states[i]


class _Worker:
    """One worker process: its share of the visited states and of each level."""

    def __init__(self, me: int, n: int, cm: CompiledModel, active: set[str], limits: Limits, symmetry,
                 ctrl, sends: dict, recvs: dict, stop_flag, t0: float, coord_mb: float):
        self.me, self.n, self.cm, self.limits = me, n, cm, limits
        self.ctrl, self.sends, self.recvs, self.stop_flag, self.t0 = ctrl, sends, recvs, stop_flag, t0
        self.coord_mb = coord_mb
        model = cm.model
        self.model = model
        self.T = max(1, len(model.transitions))
        self.canon = symmetry.canonical if symmetry is not None else None
        init = tuple(model.init) if self.canon is None else self.canon(tuple(model.init))
        applies, canon = cm.applies, self.canon

        def apply(tid: int, x: tuple) -> tuple:
            return applies[tid](x) if canon is None else canon(applies[tid](x))
        # states travel between workers as fixed-width records (as the
        # compact store keys them), the rare state that does not fit pickled
        self.codec = StateCodec.for_slots(model.slots)
        self.gids = array("q")  # local index -> global id (increasing)
        if limits.store == "full":
            self.mode, self.store, self.visited = "full", _FullPart(), None
            h0 = _hash(init)
            mine = h0 % n == me
            if mine:
                self.store.hidx[h0] = 0
                self.store.states.append(init)
                self.store.parent.append(-1)
                self.store.via.append(-1)
                self.gids.append(0)
        else:
            # a store.py store starts with the initial state; in the workers
            # that do not own it, it is a placeholder never met again
            self.store = make_store(limits.store, init, apply, limits.bitstate_bits, model)
            self.mode, self.visited = _membership(self.store)
            h0 = self.store.fingerprint(init) if self.mode == "fp" else hash(init)
            mine = h0 % n == me
            self.gids.append(0 if mine else -1)
        self.frontier: list[tuple[int, tuple]] = [(0, init)] if mine else []
        self.expanded = 0
        self.invariants = [(nm, f) for nm, f, _ in cm.invariants if nm in active]
        self.witnesses = [(nm, f) for nm, f in cm.witnesses if nm in active]
        self.running = [(p.pc_slot, p.done_value) for p in model.processes]
        self.ld = ({}, {}, []) if active & _LOCKDEP and any(t.lock_attempts for t in model.transitions) else None
        self.r_sent = False
        self.fired = 0
        self.coverage = [0] * len(model.transitions)
        # this level's new states owned here, with their smallest sort key:
        # mode "full": `fresh` (states), `fkeys`, `fhash`, indexed from the store;
        # mode "fp" (compact store): fingerprint -> key in `cand`, -> state in `cstate`;
        # mode "generic": state -> key in `cand`
        self.fresh: list[tuple] = []
        self.fkeys: list[int] = []
        self.fhash: list[int] = []
        self.cand: dict = {}
        self.cstate: dict[int, tuple] = {}
        self.new: list[tuple[int, object]] = []
        self.undecided: frozenset = frozenset()
        self.sendq: queue.Queue = queue.Queue()
        self.base_mb = _rss_mb()

    # -- process main loop
    def serve(self) -> None:
        sender = threading.Thread(target=self._sender, daemon=True)
        sender.start()
        while True:
            msg = self.ctrl.recv()
            op = msg[0]
            if op == "level":
                self.level(*msg[1:])
            elif op == "commit":
                self.commit(*msg[1:4])
                if msg[4] is not None:
                    self.level(*msg[4][1:])
            elif op == "truncate":
                self.truncate(msg[1])
                self.ctrl.send(("ok",))
            elif op == "trace":
                self.ctrl.send(("trace", self.trace(msg[1])))
            elif op == "stats":
                self.ctrl.send(("stats", self.fired, self.coverage, time.process_time()))
            elif op == "exit":
                break
        self.sendq.put(None)
        sender.join(timeout=5)

    def _sender(self) -> None:
        while True:
            item = self.sendq.get()
            if item is None:
                return
            try:
                self.sends[item[0]].send_bytes(item[1])
            except OSError:  # a peer died: the others see its pipes close
                return

    # -- one BFS level
    def level(self, depth: int, undecided: frozenset, expanding: bool) -> None:
        me, n, T = self.me, self.n, self.T
        TT = T * T
        cm, model, canon = self.cm, self.model, self.canon
        transitions = model.transitions
        self.undecided = undecided
        mode, visited, store = self.mode, self.visited, self.store
        self.cand = cand = {}
        self.cstate = cstate = {}
        self.fresh, self.fkeys, self.fhash = fresh, fkeys, fhash = [], [], []
        if mode == "full":
            hidx, states = store.hidx, store.states
        sent: list[dict] = [{} for _ in range(n)]  # per peer: hash -> state sent this level
        out: list[list] = [_batch() for _ in range(n)]  # batches being filled
        codec = self.codec
        pack, wide_key, psize = codec.pack, codec.wide_key, codec.size
        viol: list[tuple] = []
        vnames: set[str] = set()
        dl_best: tuple | None = None
        seq = 0
        events_out: list[tuple] = []
        invariants = [(nm, f) for nm, f in self.invariants if nm in undecided]
        witnesses = [(nm, f) for nm, f in self.witnesses if nm in undecided]
        check_deadlock = "deadlock" in undecided
        want_range = "range" in undecided
        ld = self.ld
        ld_known_e, ld_known_u, ld_events = ld if ld is not None else ({}, {}, [])
        running = self.running
        expand = cm.expand
        coverage = self.coverage
        hash_ = _hash if mode == "full" else hash
        min_succ = -1
        bound = None
        fired = 0
        ended = {j: False for j in self.recvs}
        frontier = self.frontier
        i = 0
        for i, (gid, s) in enumerate(frontier):
            if i % _POLL == _POLL - 1:
                self._drain(ended)
                bound = self._cap()
                if bound is not None:
                    break
            if invariants or witnesses:
                try:
                    for name, f in invariants:
                        if not f(s) and name not in vnames:
                            vnames.add(name)
                            viol.append((gid, seq, name, "invariant", depth, None, None))
                            seq += 1
                    for name, f in witnesses:
                        if f(s) and name not in vnames:
                            vnames.add(name)
                            viol.append((gid, seq, name, "reachable", depth, None, None))
                            seq += 1
                except _ERRORS:
                    for name, f in invariants:
                        if not _safe(f, s) and name not in vnames:
                            vnames.add(name)
                            viol.append((gid, seq, name, "invariant", depth, None, None))
                            seq += 1
                    for name, f in witnesses:
                        if _safe(f, s) and name not in vnames:
                            vnames.add(name)
                            viol.append((gid, seq, name, "reachable", depth, None, None))
                            seq += 1
            if not expanding:
                continue
            erroneous = False
            try:
                succs, bad = expand(s, undecided, ld)
            except _ERRORS as e:
                if want_range and "range" not in vnames:
                    vnames.add("range")
                    viol.append((gid, seq, "range", "error", depth + 1, None, str(e)))
                    seq += 1
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
                prop = transitions[tid].checks[k].prop
                if prop not in vnames:
                    vnames.add(prop)
                    viol.append((gid, seq, prop, "check", depth + 1, tid, k))
                    seq += 1
            if blocked and "wait_cycle" not in vnames:
                cycle = wait_cycle(model, s, succs, blocked)
                if cycle:
                    vnames.add("wait_cycle")
                    viol.append((gid, seq, "wait_cycle", "wait_cycle", depth + len(cycle), None, cycle))
                    seq += 1
            if ld_events:
                for ev in ld_events:
                    kind, key = ev[0], ev[1]
                    if kind == "e":
                        if key in ld_known_e:
                            continue
                        ld_known_e[key] = None
                    elif kind == "u":
                        if key in ld_known_u:
                            continue
                        ld_known_u[key] = None
                    else:  # recursion: only the first one can be reported
                        if self.r_sent:
                            continue
                        self.r_sent = True
                    events_out.append((gid, seq) + tuple(ev))
                    seq += 1
                ld_events.clear()
            if not succs:
                if check_deadlock and not erroneous and any(s[p] < d for p, d in running):
                    w = sum(1 for p, d in running if s[p] < d)
                    if dl_best is None or w < dl_best[6]:  # fewest waiters, then the first (explore._deadlock)
                        dl_best = (gid, seq, "deadlock", "deadlock", depth, None, w)
                        seq += 1
                continue
            if min_succ < 0:
                min_succ = gid
            if len(succs) > T:
                raise AssertionError("more successors than transitions")
            fired += len(succs)
            kb = gid * TT  # sort key: (parent, position among its successors, transition) in one int
            for tid, ns in succs:
                c = kb + tid
                kb += T
                coverage[tid] += 1
                if canon is not None:
                    ns = canon(ns)
                if mode == "fp":  # the compact store's fingerprint of the record
                    try:
                        b = pack(*ns)
                    except (struct.error, TypeError):
                        b = wide_key(ns)
                    h = hash(b) or 1
                else:
                    b = None
                    h = hash_(ns)
                o = h % n
                if o != me:
                    d = sent[o]
                    x = d.get(h)
                    if x is None or (x != ns and mode != "fp"):  # not sent yet this level
                        if x is None:
                            d[h] = ns
                        batch = out[o]
                        if b is None:
                            try:
                                b = pack(*ns)
                            except (struct.error, TypeError):
                                b = b""
                        if len(b) == psize:
                            batch[0] += b
                            batch[1].append(c)
                            batch[2].append(h)
                        else:  # a state that does not fit the records
                            batch[3].append(ns)
                            batch[4].append(c)
                            batch[5].append(h)
                        batch[6] += 1
                        if batch[6] >= _CHUNK:
                            self._flush(o, out)
                elif mode == "full":  # inlined _offer_full
                    v = hidx.get(h)
                    if v is None:
                        hidx[h] = -1 - len(fresh)
                        fresh.append(ns)
                        fkeys.append(c)
                        fhash.append(h)
                    elif v >= 0:
                        if states[v] != ns:
                            self._offer_full_slowly(ns, c, h)
                    else:
                        j = -1 - v
                        if fresh[j] == ns:
                            if c < fkeys[j]:
                                fkeys[j] = c
                        else:
                            self._offer_full_slowly(ns, c, h)
                elif mode == "fp":  # fingerprints in the compact store's table
                    if visited(h):
                        continue
                    old = cand.get(h)
                    if old is None:
                        cand[h] = c
                        cstate[h] = ns
                    elif c < old:
                        cand[h] = c
                elif not visited(ns):
                    old = cand.get(ns)
                    if old is None or c < old:
                        cand[ns] = c
        else:
            i = len(frontier)
        self.expanded = i
        self.fired += fired
        del sent
        for o in self.sends:
            if out[o][6]:
                self._flush(o, out)
            self.sendq.put((o, b""))  # end of this level
        self._receive_all(ended)
        if mode == "full":
            new = sorted(zip(fkeys, range(len(fresh))))
        elif mode == "fp":
            new = sorted([(c, h) for h, c in cand.items()])
        else:
            new = sorted([(c, x) for x, c in cand.items()], key=itemgetter(0))
        self.new = new
        self.cand = {}
        keys = array("q", [c for c, _ in new])
        grown = max(0.0, _rss_mb() - self.base_mb)
        if dl_best is not None:
            viol.append(dl_best)
        self.ctrl.send(("level", len(new), viol, events_out, min_succ, bound, grown))
        self.ctrl.send_bytes(keys.tobytes())

    def _offer_full_slowly(self, ns: tuple, c: int, h: int) -> None:
        """A state whose hash is taken by another state (a 64-bit hash
        collision): the overflow index, keyed by the state itself."""
        over, fresh, fkeys = self.store.over, self.fresh, self.fkeys
        v = over.get(ns)
        if v is None:
            over[ns] = -1 - len(fresh)
            fresh.append(ns)
            fkeys.append(c)
            self.fhash.append(h)
        elif v < 0 and c < fkeys[-1 - v]:
            fkeys[-1 - v] = c

    def _flush(self, o: int, out: list) -> None:
        recs, keys, hashes, wide, wkeys, whashes, _ = out[o]
        self.sendq.put((o, pickle.dumps((bytes(recs), array("q", keys), array("q", hashes), wide,
                                         array("q", wkeys), array("q", whashes)), pickle.HIGHEST_PROTOCOL)))
        out[o] = _batch()

    def _absorb(self, data: bytes) -> None:
        """A batch of successors from another worker: keep the new ones, with
        the smallest key."""
        recs, keys, hashes, wide, wkeys, whashes = pickle.loads(data)
        items = zip(chain(self.codec.iter_unpack(recs), wide), chain(keys, wkeys), chain(hashes, whashes))
        mode, visited = self.mode, self.visited
        if mode == "full":
            hidx, states = self.store.hidx, self.store.states
            fresh, fkeys, fhash = self.fresh, self.fkeys, self.fhash
            for ns, c, h in items:
                v = hidx.get(h)
                if v is None:
                    hidx[h] = -1 - len(fresh)
                    fresh.append(ns)
                    fkeys.append(c)
                    fhash.append(h)
                elif v >= 0:
                    if states[v] != ns:
                        self._offer_full_slowly(ns, c, h)
                else:
                    j = -1 - v
                    if fresh[j] == ns:
                        if c < fkeys[j]:
                            fkeys[j] = c
                    else:
                        self._offer_full_slowly(ns, c, h)
        elif mode == "fp":
            cand, cstate = self.cand, self.cstate
            for ns, c, h in items:
                if visited(h):
                    continue
                old = cand.get(h)
                if old is None:
                    cand[h] = c
                    cstate[h] = ns
                elif c < old:
                    cand[h] = c
        else:
            cand = self.cand
            for ns, c, _ in items:
                if visited(ns):
                    continue
                old = cand.get(ns)
                if old is None or c < old:
                    cand[ns] = c

    def _drain(self, ended: dict) -> None:
        for j, conn in self.recvs.items():
            while not ended[j] and conn.poll():
                data = conn.recv_bytes()
                if data:
                    self._absorb(data)
                else:
                    ended[j] = True

    def _receive_all(self, ended: dict) -> None:
        pending = {conn: j for j, conn in self.recvs.items() if not ended[j]}
        while pending:
            for conn in _wait_ready(list(pending)):
                data = conn.recv_bytes()
                if data:
                    self._absorb(data)
                else:
                    ended[pending.pop(conn)] = True

    def _cap(self) -> str | None:
        lim = self.limits
        if self.stop_flag.value:
            return "interrupted"
        if lim.max_seconds and time.perf_counter() - self.t0 > lim.max_seconds:
            return f"time bound {lim.max_seconds:g}s reached"
        if lim.max_memory_mb and self.coord_mb + self.n * (_rss_mb() - self.base_mb) > lim.max_memory_mb:
            return f"memory budget {lim.max_memory_mb:g} MiB reached"
        return None

    # -- after the coordinator's decision
    def commit(self, base: int, others: list[bytes], cutoff: int | None) -> None:
        """Number the new states (global id = base + rank among all workers'
        new states) and store them; with `cutoff`, only ranks below it."""
        T = self.T
        TT = T * T
        new = self.new
        if others:  # ranks among every worker's keys (distinct ints; the runs are sorted)
            merged = sorted(chain((c for c, _ in new), *(_keys(b) for b in others)))
            rank = dict(zip(merged, range(len(merged))))
            del merged
        store, gids, mode = self.store, self.gids, self.mode
        if mode == "full":
            hidx, over, states, parents, vias = store.hidx, store.over, store.states, store.parent, store.via
            fresh, fhash = self.fresh, self.fhash
        elif mode == "fp":
            cstate, add_fp = self.cstate, store.add_fp
        frontier = []
        for i, (c, x) in enumerate(new):
            r = rank[c] if others else i
            if cutoff is not None and r >= cutoff:
                break
            g = base + r
            if mode == "full":
                ns, h = fresh[x], fhash[x]
                k = len(states)
                if hidx.get(h) == -1 - x:
                    hidx[h] = k
                else:
                    over[ns] = k
                states.append(ns)
                parents.append(c // TT)
                vias.append(c % T)
            elif mode == "fp":
                ns = cstate[x]
                add_fp(x, c // TT, c % T)
            else:
                ns = x
                store.add(ns, c // TT, c % T)
            gids.append(g)
            frontier.append((g, ns))
        self.new, self.fresh, self.fkeys, self.fhash, self.cstate = [], [], [], [], {}
        self.frontier = frontier

    def truncate(self, jstar: int) -> None:
        """The sequential search stops right after state `jstar` (the state
        bound): take back the coverage of the states after it."""
        cm, undecided = self.cm, self.undecided
        for gid, s in self.frontier[:self.expanded]:
            if gid <= jstar:
                continue
            try:
                succs, _ = cm.expand(s, undecided, None)
            except _ERRORS:
                succs = _expand_slowly(cm, s, undecided)
            self.fired -= len(succs)
            for tid, _ in succs:
                self.coverage[tid] -= 1

    def trace(self, wanted: list[int]) -> list[tuple]:
        out = []
        gids, store = self.gids, self.store
        exact = self.mode == "full"
        for g in wanted:
            i = bisect_left(gids, g)
            if i < len(gids) and gids[i] == g:
                out.append((g, store.parent[i], store.via[i], store.state(i) if exact else None))
        return out


def _batch() -> list:
    """Successors for one worker: packed records, their keys and hashes, the
    states that do not fit a record with theirs, and the count."""
    return [bytearray(), [], [], [], [], [], 0]


def _membership(store) -> tuple[str, Callable]:
    """How a worker tests visited states in a store.py store: "fp" (the
    compact store's fingerprints, `fingerprint(state)`, in its table; states
    are routed by fingerprint, so two states with one fingerprint meet in one
    worker) or "generic" (the store's `__contains__`)."""
    if all(hasattr(store, a) for a in ("fingerprint", "add_fp", "table")):
        return "fp", store.table.__contains__
    if getattr(type(store), "__contains__", None) is not None:
        return "generic", store.__contains__
    raise ParallelUnsupported(f"the {getattr(store, 'kind', '?')} store has no membership test")


def _safe(f, s) -> bool:
    try:
        return bool(f(s))
    except _ERRORS:
        return False


def _rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker_main(me: int, n: int, cm, active, limits, symmetry, ctrl, sends, recvs, stop_flag, t0, coord_mb,
                 close) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    for c in close:
        c.close()
    try:
        _Worker(me, n, cm, active, limits, symmetry, ctrl, sends, recvs, stop_flag, t0, coord_mb).serve()
    except BaseException:
        try:
            ctrl.send(("error", me, traceback.format_exc()))
        except Exception:
            pass


# ---- the coordinator ------------------------------------------------------------------------------


def explore_parallel(cm: CompiledModel, active: set[str], limits: Limits | None = None, workers: int = 2,
                     progress: Callable[[int, int, float], None] | None = None, symmetry=None) -> Exploration:
    """BFS over all reachable states with `workers` processes (0: one per
    core); the same results as `explore`."""
    limits = limits or Limits()
    n = resolve_workers(workers)
    if limits.store == "bitstate":
        raise ParallelUnsupported("the bitstate store cannot be used with several workers")
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: the sequential search
        return explore(cm, active, limits, progress, symmetry)
    t0 = time.perf_counter()
    model = cm.model
    init = tuple(model.init)
    if any(type(v) not in (int, bool) for v in init):
        raise TypeError("parallel search needs states made of integers (their hash is the same in every process)")
    canon = symmetry.canonical if symmetry is not None else None
    if canon is not None:
        init = canon(init)
    applies = cm.applies

    def apply(tid: int, x: tuple) -> tuple:
        return applies[tid](x) if canon is None else canon(applies[tid](x))

    T = max(1, len(model.transitions))
    TT = T * T
    lockdep = _Lockdep(cm, active) if active & _LOCKDEP and any(t.lock_attempts for t in model.transitions) \
        else None
    stop_flag = ctx.RawValue("i", 0)
    ctrl = [ctx.Pipe(duplex=True) for _ in range(n)]  # (coordinator end, worker end)
    peer = {(i, j): ctx.Pipe(duplex=False) for i in range(n) for j in range(n) if i != j}  # (recv, send)
    everything = [c for pair in ctrl for c in pair] + [c for pair in peer.values() for c in pair]
    coord_mb = _rss_mb()
    procs = []
    for w in range(n):
        sends = {j: peer[(w, j)][1] for j in range(n) if j != w}
        recvs = {j: peer[(j, w)][0] for j in range(n) if j != w}
        mine = {id(ctrl[w][1])} | {id(c) for c in sends.values()} | {id(c) for c in recvs.values()}
        close = [c for c in everything if id(c) not in mine]
        procs.append(ctx.Process(target=_worker_main, name=f"kspec-worker-{w}", daemon=True,
                                 args=(w, n, cm, active, limits, symmetry, ctrl[w][1], sends, recvs, stop_flag, t0,
                                       coord_mb, close)))
    interrupted = [False]

    def on_sigint(signum, frame):
        if interrupted[0]:
            raise KeyboardInterrupt
        interrupted[0] = True
        stop_flag.value = 1

    old_handler = None
    if threading.current_thread() is threading.main_thread():
        old_handler = signal.signal(signal.SIGINT, on_sigint)
    conns = [c for c, _ in ctrl]
    try:
        for p in procs:
            p.start()
        for pair in peer.values():
            for c in pair:
                c.close()
        for _, c in ctrl:
            c.close()
        found, complete, reason, depth, count = _search(conns, active, limits, lockdep, TT, interrupted, t0,
                                                        coord_mb, progress)
        parent, via, states = _collect_paths(conns, found, lockdep, limits.store == "full")
        fired, coverage, cpu = 0, [0] * len(model.transitions), []
        for w, c in enumerate(conns):
            _send(c, w, ("stats",))
        for w, c in enumerate(conns):
            _, f, cov, seconds = _recv(c, w)
            cpu.append(seconds)
            fired += f
            coverage = [a + b for a, b in zip(coverage, cov)]
        for w, c in enumerate(conns):
            _send(c, w, ("exit",))
        for p in procs:
            p.join(timeout=10)
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        for c in conns:
            c.close()
    store = ParallelStore(limits.store, count, init, apply, parent, via, states, n)
    store.worker_cpu = cpu  # CPU seconds of each worker (benchmarks)
    return Exploration(cm, store, found, complete, reason, depth, fired, coverage, time.perf_counter() - t0,
                       lockdep.edges if lockdep else {}, lockdep.usage if lockdep else {}, symmetry)


def _send(conn, w: int, msg) -> None:
    try:
        conn.send(msg)
    except OSError:  # the worker is gone: say why if it could tell
        if conn.poll(1.0):
            _recv(conn, w)
        raise WorkerFailed(f"worker {w} exited unexpectedly") from None


def _recv(conn, w: int):
    try:
        msg = conn.recv()
    except (EOFError, OSError):
        raise WorkerFailed(f"worker {w} exited unexpectedly") from None
    if msg[0] == "error":
        raise WorkerFailed(f"worker {msg[1]} failed:\n{msg[2]}")
    return msg


def _search(conns, active: set[str], limits: Limits, lockdep, TT: int, interrupted, t0: float, coord_mb: float,
            progress) -> tuple[dict[str, Violation], bool, str, int, int]:
    """The coordinator's side of the level-synchronous BFS, with the stop rules
    of `explore`."""
    n = len(conns)
    found: dict[str, Violation] = {}
    complete, reason = True, "complete"
    count, depth = 1, 0
    undecided = frozenset(active)
    last_progress = t0
    for w, c in enumerate(conns):
        _send(c, w, ("level", depth, undecided, depth < limits.max_depth))
    while True:
        sums, keys = [], []
        for w, c in enumerate(conns):
            sums.append(_recv(c, w))
            try:
                keys.append(c.recv_bytes())
            except (EOFError, OSError):
                raise WorkerFailed(f"worker {w} exited unexpectedly") from None
        if depth >= limits.max_depth:
            complete, reason = False, f"depth bound {limits.max_depth} reached"
        total_new = sum(s[1] for s in sums)
        # the state bound: the sequential search stops right after the first
        # state (in id order) with successors at which the count reaches it
        jstar = cutoff = None
        need = limits.max_states - count
        if need <= 0 or total_new >= need:
            allkeys = sorted(chain.from_iterable(_keys(b) for b in keys))
            if need <= 0:
                with_succs = [s[4] for s in sums if s[4] >= 0]
                jstar = min(with_succs) if with_succs else None
            else:
                jstar = allkeys[need - 1] // TT
            if jstar is not None:
                cutoff = bisect_left(allkeys, (jstar + 1) * TT)
        viols = sorted((v for s in sums for v in s[2] if jstar is None or v[0] <= jstar),
                       key=lambda v: (v[6], v[0], v[1]) if v[3] == "deadlock" else (0, v[0], v[1]))
        for gid, _, prop, kind, length, tid, detail in viols:
            if prop not in found:
                found[prop] = Violation(prop, kind, gid, length, tid, detail)
        if lockdep is not None:
            evs = sorted((e for s in sums for e in s[3] if jstar is None or e[0] <= jstar), key=itemgetter(0, 1))
            k = 0
            while k < len(evs):
                gid = evs[k][0]
                while k < len(evs) and evs[k][0] == gid:
                    lockdep.events.append(evs[k][2:])
                    k += 1
                lockdep.consume(gid, depth)
            found.update({p: v for p, v in lockdep.found.items() if p not in found})
        base = count
        kept = total_new if jstar is None else cutoff
        count += kept
        worker_bound = next((s[5] for s in sums if s[5] is not None), None)
        go_on = False
        if jstar is not None:
            complete, reason = False, f"state bound {limits.max_states} reached"
        elif interrupted[0] or worker_bound == "interrupted":
            complete, reason = False, "interrupted"
        elif worker_bound is not None:
            complete, reason = False, worker_bound
        else:
            undecided = frozenset(active - set(found))
            if not undecided:
                complete, reason = False, "stopped early: every checked property decided"
            else:
                if kept:
                    depth += 1
                now = time.perf_counter()
                if progress and now - last_progress > 0.5 and now - t0 > 1.0:
                    progress(count, depth, now - t0)
                    last_progress = now
                memory = _rss_mb() + sum(s[6] for s in sums)
                if limits.max_memory_mb and memory > limits.max_memory_mb and kept:
                    complete, reason = False, f"memory budget {limits.max_memory_mb:g} MiB reached"
                elif limits.max_seconds and now - t0 > limits.max_seconds and kept:
                    complete, reason = False, f"time bound {limits.max_seconds:g}s reached"
                elif interrupted[0]:
                    complete, reason = False, "interrupted"
                else:
                    go_on = kept > 0
        if not go_on:
            if jstar is not None:
                for w, c in enumerate(conns):
                    _send(c, w, ("truncate", jstar))
                for w, c in enumerate(conns):
                    _recv(c, w)
            return found, complete, reason, depth, count
        nxt = ("level", depth, undecided, depth < limits.max_depth)
        for w, c in enumerate(conns):
            _send(c, w, ("commit", base, [keys[v] for v in range(n) if v != w], None, nxt))


def _keys(b: bytes) -> array:
    a = array("q")
    a.frombytes(b)
    return a


def _collect_paths(conns, found: dict[str, Violation], lockdep, full: bool):
    """Parent id, transition and (full store) state of every state on the
    paths to the reported states and lockdep's first edges and usages."""
    want = {v.state for v in found.values()}
    if lockdep is not None:
        want |= {e.state for e in lockdep.edges.values()} | {u[0] for u in lockdep.usage.values()}
    parent: dict[int, int] = {}
    via: dict[int, int] = {}
    states: dict[int, tuple] | None = {} if full else None
    pending = sorted(g for g in want if g >= 0)
    while pending:
        for w, c in enumerate(conns):
            _send(c, w, ("trace", pending))
        for w, c in enumerate(conns):
            for g, p, t, s in _recv(c, w)[1]:
                parent[g], via[g] = p, t
                if states is not None:
                    states[g] = s
        missing = [g for g in pending if g not in parent]
        if missing:
            raise WorkerFailed(f"no worker holds states {missing[:5]}")
        pending = sorted({parent[g] for g in pending if parent[g] >= 0} - parent.keys())
    return parent, via, states
