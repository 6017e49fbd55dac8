"""Progress properties (`progress NAME: P ~> Q`) on the explicit state graph.

Input: a complete exploration with every state stored (full store, no
symmetry reduction) and one ground instance (P, Q). Output: None when every
weakly fair execution that reaches a P-state later reaches a Q-state, else a
lasso counterexample: a path from the initial state to a state where P holds,
then Q-free steps into either

* a *stuck* state (no step enabled: the execution stays there forever), or
* a *fair cycle*: a strongly connected set C of Q-free states from which no
  fairness unit is neglected, i.e. every unit (a process instance, or a ground
  action) either takes a step inside C or is disabled in some state of C.

Weak fairness is checked on maximal SCCs of the Q-free subgraph, which is
exact for weak fairness (a unit enabled everywhere in an SCC is enabled
everywhere in every part of it). This is the tableau-free special case of
TLC's liveness checking for `P ~> Q` under WF of every process and action.
The counterexample is chosen to be short: its stem minimises the BFS depth of
the P-state plus the Q-free distance to the stuck state or cycle, and the
cycle visits one obligation per unit by shortest paths inside C.
"""
from __future__ import annotations

from dataclasses import dataclass

from kspec.explicit.compile import RUNTIME, EvalError, ExprCompiler
from kspec.ir import nodes as N


@dataclass(frozen=True, slots=True)
class Lasso:
    """A counterexample to one progress instance. `steps` are (transition id
    or None for the initial state, state index); `pre_at` is the position in
    `steps` where P holds; `loop_at` the position the last step returns to
    (None: the last state is stuck)."""

    label: str
    steps: tuple[tuple[int | None, int], ...]
    pre_at: int
    loop_at: int | None


def fairness_unit(t: N.Transition) -> str:
    """The scheduling unit a transition belongs to: its process instance, or
    its ground action (`hw_stopped(c=0)`), without `choose` bindings."""
    return t.actor if t.label is not None else t.name.split(" [")[0]


class StateGraph:
    """Successors of stored states, computed on demand and cached."""

    def __init__(self, ex, units: list[str]):
        self.ex, self.cm = ex, ex.compiled
        self.states = ex.store.states
        self.index = ex.store.index
        self.units = units
        self._succ: dict[int, list[tuple[int, int]]] = {}

    def succ(self, i: int) -> list[tuple[int, int]]:
        out = self._succ.get(i)
        if out is None:
            try:
                succs, _ = self.cm.expand(self.states[i], frozenset())
            except (EvalError, IndexError, ValueError, ZeroDivisionError):
                from kspec.explicit.explore import _expand_slowly
                succs = _expand_slowly(self.cm, self.states[i], frozenset())
            out = self._succ[i] = [(tid, self.index[ns]) for tid, ns in succs]
        return out

    def enabled_units(self, i: int) -> set[str]:
        return {self.units[tid] for tid, _ in self.succ(i)}


def predicate(model: N.Model, e: N.Expr):
    src = ExprCompiler(model.slots).src(e)
    f = eval(compile(f"lambda s: {src}", "<kspec>", "eval"), dict(RUNTIME))  # generated from the IR only

    def safe(s: tuple) -> bool:
        try:
            return bool(f(s))
        except (EvalError, IndexError, ValueError, ZeroDivisionError):
            return False
    return safe


def depths(ex) -> list[int]:
    """BFS depth of every stored state (parents come before children)."""
    parent = ex.store.parent
    d = [0] * len(parent)
    for i in range(1, len(parent)):
        d[i] = d[parent[i]] + 1
    return d


def check_progress(ex, inst: N.ProgressInstance, graph: StateGraph, depth: list[int]) -> Lasso | None:
    model = ex.compiled.model
    pre, post = predicate(model, inst.pre), predicate(model, inst.post)
    states = graph.states
    good = _Lazy(lambda i: post(states[i]))  # Q holds: the obligation is met
    starts = [i for i, s in enumerate(states) if pre(s) and not good[i]]
    if not starts:
        return None
    dist, came = _stem_distances(graph, starts, depth, good)
    region = sorted(dist, key=lambda i: (dist[i], i))
    sccs = _sccs(graph, region, good)
    best = None  # (length, target state, cycle)
    for comp in sccs:
        entry = min(comp, key=lambda i: (dist[i], i))
        cycle = _fair_cycle(graph, comp, entry, good) if _has_internal_edge(graph, comp, good) else None
        if cycle is None and not (len(comp) == 1 and not graph.succ(entry)):
            continue
        length = dist[entry] + (len(cycle) if cycle else 0)
        if best is None or (length, entry) < best[:2]:
            best = (length, entry, cycle)
    if best is None:
        return None
    _, target, cycle = best
    return _lasso(ex, inst.label, target, came, cycle or [])


class _Lazy(dict):
    """index -> predicate value, evaluated on first use (most states are never asked)."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def __missing__(self, i: int) -> bool:
        v = self[i] = self.f(i)
        return v


def _stem_distances(graph: StateGraph, starts: list[int], depth: list[int], good):
    """Least (BFS depth of a P-state + Q-free steps from it) for every state
    Q-free-reachable from a P-state, with the predecessor on such a stem."""
    dist = {i: depth[i] for i in starts}
    came: dict[int, tuple[int, int] | None] = {i: None for i in starts}
    buckets: dict[int, list[int]] = {}
    for i in starts:
        buckets.setdefault(dist[i], []).append(i)
    d = min(buckets)
    top = max(buckets)
    while d <= top:
        for i in buckets.pop(d, []):
            if dist[i] != d:
                continue
            for tid, j in graph.succ(i):
                if good[j] or (j in dist and dist[j] <= d + 1):
                    continue
                dist[j] = d + 1
                came[j] = (i, tid)
                buckets.setdefault(d + 1, []).append(j)
                top = max(top, d + 1)
        d += 1
    return dist, came


def _sccs(graph: StateGraph, region: list[int], good) -> list[list[int]]:
    """Tarjan's algorithm (iterative) on the Q-free subgraph of `region`."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in region:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter([j for _, j in graph.succ(root) if not good[j]]))]
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter([j for _, j in graph.succ(w) if not good[j]])))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def _has_internal_edge(graph: StateGraph, comp: list[int], good) -> bool:
    inside = set(comp)
    return any(j in inside for i in comp for _, j in graph.succ(i))


def _fair_cycle(graph: StateGraph, comp: list[int], entry: int, good) -> list[tuple[int, int]] | None:
    """A cycle from `entry` back to it inside `comp` that meets every unit's
    weak-fairness obligation, or None when some unit is enabled in every state
    of comp and never steps inside it."""
    inside = set(comp)
    taken: dict[str, tuple[int, int, int]] = {}  # unit -> an internal edge (i, tid, j)
    disabled_at: dict[str, int] = {}
    every = set(graph.units)
    for i in sorted(comp):
        for tid, j in graph.succ(i):
            if j in inside:
                taken.setdefault(graph.units[tid], (i, tid, j))
        for u in every - graph.enabled_units(i):
            disabled_at.setdefault(u, i)
    if any(u not in taken and u not in disabled_at for u in every):
        return None
    cycle: list[tuple[int, int]] = []
    here = entry
    for u in sorted(every):
        if u in disabled_at and (u not in taken or disabled_at[u] == here):
            if disabled_at[u] != here:
                cycle += _path(graph, here, disabled_at[u], inside)
                here = disabled_at[u]
            continue
        i, tid, j = taken[u]
        cycle += _path(graph, here, i, inside) + [(tid, j)]
        here = j
    if not cycle:  # every obligation met at the entry: still one step round the cycle
        tid, j = next((t, j) for t, j in graph.succ(entry) if j in inside)
        cycle, here = [(tid, j)], j
    return cycle + _path(graph, here, entry, inside)


def _path(graph: StateGraph, a: int, b: int, inside: set[int]) -> list[tuple[int, int]]:
    """A shortest path a -> b within `inside`, as (transition, state) steps."""
    if a == b:
        return []
    prev: dict[int, tuple[int, int]] = {a: (-1, -1)}
    todo = [a]
    while todo:
        nxt = []
        for i in todo:
            for tid, j in graph.succ(i):
                if j in inside and j not in prev:
                    prev[j] = (i, tid)
                    if j == b:
                        out = []
                        while j != a:
                            i2, t2 = prev[j]
                            out.append((t2, j))
                            j = i2
                        return list(reversed(out))
                    nxt.append(j)
        todo = nxt
    raise AssertionError("no path inside a strongly connected component")


def _lasso(ex, label: str, target: int, came, cycle: list[tuple[int, int]]) -> Lasso:
    stem: list[tuple[int, int]] = []
    i = target
    while came[i] is not None:
        j, tid = came[i]
        stem.append((tid, i))
        i = j
    stem.reverse()
    start = i  # the P-state
    prefix: list[tuple[int | None, int]] = []
    k = start
    while k >= 0:
        prefix.append((ex.store.via[k] if ex.store.parent[k] >= 0 else None, k))
        k = ex.store.parent[k]
    prefix.reverse()
    steps = prefix + stem
    loop_at = len(steps) - 1 if cycle else None
    return Lasso(label, tuple(steps + cycle), len(prefix) - 1, loop_at)
