"""k-induction: a model, properties and lemmas -> proved / refuted / CTI per target.

Every property becomes targets (bad state predicates, `system.targets`), plus
one for well-typedness (every integer slot within its range). For k = 1, 2,
…, K: the *base* asks, incrementally from the initial state, whether a
candidate's target is reachable in exactly k - 1 steps (then it is refuted);
the *step* asks for a simple path s0 … sk on which every candidate holds at
s0 … s(k-1), every already proved target holds everywhere, and some
candidate fails at sk. Unsat proves all candidates at k; a sat answer is a
counterexample to induction (CTI): the candidates failing at sk are set
aside (Houdini-style) and the rest are asked again, so what remains is
k-inductive together. Set-aside candidates try again at k + 1. Proved
targets are used as lemmas from then on (they hold in every reachable state).
Each successful query is kept as an `Obligation` for SMT-LIB2 certificates.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from kspec.ir import nodes as N
from kspec.symbolic.bmc import Budget, Search, Unknown, new_solver
from kspec.symbolic.system import Templates, Unroller, targets
from kspec.symbolic.traces import Path, decode

WT = ("wt",)


@dataclass(slots=True)
class Obligation:
    """A closed query and its expected answer (unsat for every proof step)."""

    name: str
    assertions: list
    expect: str = "unsat"


@dataclass(slots=True)
class Cti:
    k: int
    path: Path
    part: object = None


@dataclass(slots=True)
class Induction:
    """Per candidate (prop, key): proved at k, refuted at depth, or its last CTI."""

    proved: dict[tuple, int] = field(default_factory=dict)
    refuted: dict[tuple, int] = field(default_factory=dict)
    ctis: dict[tuple, Cti] = field(default_factory=dict)
    obligations: list[Obligation] = field(default_factory=list)
    k: int = 0
    stop: str | None = None
    seconds: float = 0.0
    keys: dict[str, list[tuple]] = field(default_factory=dict)  # prop -> candidate ids


def k_induction(model: N.Model, props: list[str], *, k_max: int = 10, timeout: float | None = None,
                obligations: bool = False) -> Induction:
    t0 = time.perf_counter()
    tm = Templates(model, set(props))
    bad = {WT: z3.Not(tm.well_typed())}
    parts: dict[tuple, list] = {WT: []}
    res = Induction()
    res.keys["(well-typed)"] = [WT]
    for prop, ts in targets(model, props, tm).items():
        res.keys[prop] = []
        for t in ts:
            bad[(prop, t.key)] = t.term
            parts[(prop, t.key)] = t.parts
            res.keys[prop].append((prop, t.key))
    budget = Budget(timeout)
    base = Search(tm, budget)
    try:
        for k in range(1, k_max + 1):
            res.k = k
            _base(base, bad, res, k - 1, obligations)
            open_ = [c for c in bad if c not in res.proved and c not in res.refuted]
            if open_:
                _step(tm, bad, parts, res, open_, k, budget, obligations)
            if all(c in res.proved or c in res.refuted for c in bad):
                break
    except Unknown as e:
        res.stop = f"{e} at k={res.k}"
    res.seconds = time.perf_counter() - t0
    return res


def _base(search: Search, bad: dict, res: Induction, depth: int, keep: bool) -> None:
    while search.k < depth:
        search.extend()
    pending = {c: t for c, t in bad.items() if c not in res.proved and c not in res.refuted}
    for c in search.find(pending, depth):
        res.refuted[c] = depth
    if keep:
        rest = [search.un.at(t, depth) for c, t in pending.items() if c not in res.refuted]
        if rest:
            res.obligations.append(Obligation(f"base{depth}", list(search.solver.assertions()) + [z3.Or(*rest)]))


def _step(tm: Templates, bad: dict, parts: dict, res: Induction, open_: list, k: int, budget: Budget,
          keep: bool) -> None:
    un = Unroller(tm, prefix="i_")
    solver = new_solver()
    un.state(k)
    for t in range(k):
        solver.add(un.trans(t))
    for i in range(k + 1):
        for j in range(i + 1, k + 1):
            solver.add(un.distinct(i, j))
        for c, j0 in res.proved.items():
            solver.add(z3.Not(un.at(bad[c], i)))
    cands = list(open_)
    while cands:
        hyp = [z3.Not(un.at(bad[c], i)) for c in cands for i in range(k)]
        goal = z3.Or(*[un.at(bad[c], k) for c in cands])
        if budget.check(solver, *hyp, goal) == z3.unsat:
            for c in cands:
                res.proved[c] = k
            if keep:
                res.obligations.append(Obligation(f"step_k{k}", list(solver.assertions()) + hyp + [goal]))
            return
        m = solver.model()
        path = decode(m, un, k)
        failing = [c for c in cands if z3.is_true(m.eval(un.at(bad[c], k), model_completion=True))]
        for c in failing:
            res.ctis[c] = Cti(k, path, _part(parts[c], m, un, k))
        cands = [c for c in cands if c not in failing]


def _part(parts: list, m, un: Unroller, k: int):
    """Which transition/check/attempt makes the target true at sk."""
    for info, term in parts:
        if z3.is_true(m.eval(un.at(term, k), model_completion=True)):
            return info
    return None


def property_status(model: N.Model, res: Induction, prop: str) -> tuple[str, int | None]:
    """("proved", k) | ("refuted", None) | ("open", None) for a property,
    combining its targets (lockdep: a cycle or irq pair needs all its parts)."""
    keys = res.keys.get(prop, [])
    info = model.property(prop)
    proved = [c for c in keys if c in res.proved]
    if info is not None and info.kind == "lockdep" and prop != "lockdep_recursion":
        live = [c[1] for c in keys if c not in res.proved]
        if not _lockdep_possible(prop, live):
            return "proved", max([res.proved[c] for c in proved], default=1)
        return ("refuted" if any(c in res.refuted for c in keys) else "open"), None
    if len(proved) == len(keys):
        return "proved", max([res.proved[c] for c in proved], default=1)
    return ("refuted" if any(c in res.refuted for c in keys) else "open"), None


def _lockdep_possible(prop: str, live: list[tuple]) -> bool:
    """Could the targets not proved unreachable still form a violation?"""
    if prop == "lockdep_irq":
        bits = {(k[1], k[2]) for k in live}
        return any((cls, f"ENABLED_{b[len('USED_IN_'):]}") in bits for cls, b in bits if b.startswith("USED_IN_"))
    edges = {(k[1], k[2]) for k in live}
    succ: dict[str, set[str]] = {}
    for a, b in edges:
        succ.setdefault(a, set()).add(b)
    state: dict[str, int] = {}

    def cyclic(x: str) -> bool:
        state[x] = 1
        for y in succ.get(x, ()):
            if state.get(y) == 1 or (y not in state and cyclic(y)):
                return True
        state[x] = 2
        return False
    return any(x not in state and cyclic(x) for x in list(succ))
