"""Bounded model checking: a model and properties -> `CheckResult` (engine "bmc").

For k = 0, 1, ..., K the solver holds init(0) ∧ T(0,1) ∧ … ∧ T(k-1,k) (exactly
k transitions) and is asked, for the targets not yet reached, whether one
holds at step k; each sat answer is decoded, replayed on the explicit engine
and recorded, so every counterexample is a shortest one. Lengths follow the
explicit engine: k for an invariant or witness, k + 1 for a check (it fires
on the attempt), the stuck state plus one blocked attempt per waiting process
for a deadlock, and for lockdep the depth at which the accumulated class
graph first has a cycle (ADR 0002). Nothing reached up to K is `bounded`,
never `holds`; a solver timeout or `unknown` makes the rest `inconclusive`.
"""
from __future__ import annotations

import time

import z3

from kspec.explicit.compile import compile_model
from kspec.explicit.explore import LockdepEdge, Violation
from kspec.ir import nodes as N
from kspec.symbolic.system import Target, Templates, Unroller, targets
from kspec.symbolic.traces import Forest, Path, Replayer, decode
from kspec.verdict import BOUNDED, INCONCLUSIVE, CheckResult, Verdict


def new_solver() -> z3.Solver:
    """Bit-vector queries: the QF_BV solver bit-blasts and stays incremental
    (the default solver is many times slower on these assumption queries)."""
    return z3.SolverFor("QF_BV")


class Unknown(Exception):
    """The solver could not answer (timeout, resource limit, `unknown`)."""


class Budget:
    """One overall deadline; each query gets the time left (at most `per_query`)."""

    def __init__(self, timeout: float | None):
        self.timeout = timeout
        self.deadline = time.perf_counter() + timeout if timeout else None

    def arm(self, solver: z3.Solver) -> None:
        if self.deadline is None:
            return
        left = self.deadline - time.perf_counter()
        if left <= 0:
            raise Unknown(f"time limit of {self.timeout:g}s reached")
        solver.set("timeout", max(1, int(min(left, self.timeout) * 1000)))

    def check(self, solver: z3.Solver, *assumptions) -> z3.CheckSatResult:
        self.arm(solver)
        r = solver.check(*assumptions)
        if r == z3.unknown:
            reason = solver.reason_unknown()
            raise Unknown("solver timeout" if reason in ("timeout", "canceled") else f"solver unknown: {reason}")
        return r


class Search:
    """Incremental unrolling from the initial state."""

    def __init__(self, tm: Templates, budget: Budget):
        self.tm, self.budget = tm, budget
        self.un = Unroller(tm)
        self.solver = new_solver()
        self.solver.add(self.un.at(tm.init(), 0))
        self.k = 0

    def extend(self) -> None:
        self.solver.add(self.un.trans(self.k))
        self.k += 1

    def find(self, pending: dict, k: int) -> dict:
        """{key: (Path, model)} for the pending targets ({key: term}) that hold
        at step k, asking again until the rest are unreachable at k."""
        out = {}
        pending = dict(pending)
        while pending:
            terms = {key: self.un.at(t, k) for key, t in pending.items()}
            if self.budget.check(self.solver, z3.Or(*terms.values())) != z3.sat:
                break
            m = self.solver.model()
            path = decode(m, self.un, k)
            for key, term in terms.items():
                if z3.is_true(m.eval(term, model_completion=True)):
                    out[key] = (path, m)
                    del pending[key]
        return out

    def part(self, t: Target, m: z3.ModelRef, k: int):
        for info, term in t.parts:
            if z3.is_true(m.eval(self.un.at(term, k), model_completion=True)):
                return info
        return None

    def fewest_waiting(self, m: z3.ModelRef, k: int) -> z3.ModelRef:
        """Among deadlocks at step k, one with the fewest blocked attempts."""
        count = self.un.at(self.tm.waiting(), k)
        stuck = self.un.at(self.tm.stuck(), k)
        while True:
            c = m.eval(count, model_completion=True).as_long()
            if c == 0 or self.budget.check(self.solver, stuck, count < c) != z3.sat:
                return m
            m = self.solver.model()


LIVENESS_REASON = ("a progress property is decided by the explicit engine (`kspec check`): BMC and "
                   "k-induction check safety only")


def progress_names(model: N.Model, names) -> list[str]:
    return [n for n in names if getattr(model.property(n), "kind", "") == "progress"]


def check_bmc(model: N.Model, props=None, *, depth: int = 20, timeout: float | None = None) -> CheckResult:
    names = [p.name for p in model.properties] if props is None else list(props)
    live = progress_names(model, names)
    if live:
        res = check_bmc(model, [n for n in names if n not in live], depth=depth, timeout=timeout)
        extra = {n: Verdict(n, "progress", INCONCLUSIVE, engine="bmc", reason=LIVENESS_REASON) for n in live}
        res.verdicts = [extra[n] if n in extra else res.verdict(n) for n in names]  # type: ignore[misc]
        return res
    t0 = time.perf_counter()
    cm = compile_model(model)
    tm = Templates(model, set(names))
    run = _Run(model, names, cm, tm, Budget(timeout))
    reached = run.loop(depth)
    verdicts = [run.verdicts.get(n) or _undecided(model, n, depth, run.stop) for n in names]
    secs = time.perf_counter() - t0
    return CheckResult(verdicts, 0, 0, reached, secs, False,
                       run.stop or f"bounded: no deeper than {depth} steps", [], engine="bmc")


def _undecided(model: N.Model, name: str, depth: int, stop: str | None) -> Verdict:
    kind = model.property(name).kind  # type: ignore[union-attr]
    if stop:
        return Verdict(name, kind, INCONCLUSIVE, engine="bmc", reason=stop)
    return Verdict(name, kind, BOUNDED, engine="bmc", depth=depth)


class _Run:
    def __init__(self, model: N.Model, names: list[str], cm, tm: Templates, budget: Budget):
        self.model, self.names, self.tm = model, names, tm
        self.targets = targets(model, names, tm)
        self.search = Search(tm, budget)
        self.replayer = Replayer(cm, set(names))
        self.forest = Forest(cm)
        self.hits: dict[tuple, tuple[int, Path, object]] = {}  # (prop, key) -> (k, path, part)
        self.verdicts: dict[str, Verdict] = {}
        self.stop: str | None = None

    def loop(self, depth: int) -> int:
        k = 0
        try:
            for k in range(depth + 1):
                if k:
                    self.search.extend()
                self.step(k)
                if all(n in self.verdicts for n in self.names):
                    break
        except Unknown as e:
            self.stop = f"{e} at depth {k}" + (f"; nothing found up to depth {k - 1}" if k else "")
        return k

    def step(self, k: int) -> None:
        pending = {(n, t.key): t.term for n in self.names if n not in self.verdicts
                   for t in self.targets.get(n, []) if (n, t.key) not in self.hits}
        by_key = {(n, t.key): t for n in self.names for t in self.targets.get(n, [])}
        for key, (path, m) in self.search.find(pending, k).items():
            prop = key[0]
            kind = self.model.property(prop).kind  # type: ignore[union-attr]
            if prop == "deadlock":
                m = self.search.fewest_waiting(m, k)
                path = decode(m, self.search.un, k)
            self.hits[key] = (k, path, self._part(by_key[key], m, k, kind))
        for n in self.names:
            if n not in self.verdicts:
                v = self.decide(n, k)
                if v is not None:
                    self.verdicts[n] = v

    def _part(self, t: Target, m, k: int, kind: str):
        part = self.search.part(t, m, k)
        if kind == "check" and t.key[1] == "range" and z3.is_true(
                m.eval(self.search.un.at(self.tm.error, k), model_completion=True)):
            return None  # the explicit engine raises while expanding this state
        return part

    def decide(self, name: str, k: int) -> Verdict | None:
        kind = self.model.property(name).kind  # type: ignore[union-attr]
        if kind == "lockdep":
            return self._lockdep(name, k)
        hit = self.hits.get((name, ("prop", name)))
        if hit is None:
            return None
        depth, path, part = hit
        ckind = "wait_cycle" if name == "wait_cycle" else \
            {"invariant": "invariant", "reachable": "reachable", "deadlock": "deadlock"}.get(
                kind, "check" if part is not None else "error")
        self.replayer.validate(path, ckind, name, part)
        idx = self.forest.add(path)
        if ckind == "check":
            v = Violation(name, "check", idx, depth + 1, part[0], part[1])
        elif ckind == "wait_cycle":
            cycle = self.replayer.wait_cycle(path.states[-1])
            v = Violation(name, "wait_cycle", idx, depth + len(cycle), None, cycle)
        elif ckind == "error":
            v = Violation(name, "error", idx, depth + 1, None, self.replayer.error_message(path.states[-1]))
        else:
            v = Violation(name, ckind, idx, depth)
        return self.forest.verdict(v, k)

    # ---- lockdep ----------------------------------------------------------------------
    def _replayed(self, name: str, key: tuple, bit: str = "") -> tuple[int, int, object]:
        depth, path, part = self.hits[(name, key)]
        self.replayer.validate(path, "lockdep", bit or name, part)
        return self.forest.add(path), depth, part

    def _lockdep(self, name: str, k: int) -> Verdict | None:
        if name == "lockdep_recursion":
            if (name, ("recursion",)) not in self.hits:
                return None
            idx, depth, (tid, a, hname) = self._replayed(name, ("recursion",))
            att = self.model.transitions[tid].lock_attempts[a]
            return self.forest.verdict(Violation(name, "lockdep", idx, depth + 1, tid,
                                                 (hname, att.lock, att.lock_class)), k)
        if name == "lockdep_irq":
            return self._irq(name, k)
        return self._cycle(name, k)

    def _irq(self, name: str, k: int) -> Verdict | None:
        bits = {key[1:]: self.hits[(n, key)] for (n, key) in self.hits if n == name}
        for (cls, bit), (d1, _, _) in sorted(bits.items()):
            if not bit.startswith("USED_IN_"):
                continue
            irq = bit[len("USED_IN_"):]
            other = bits.get((cls, f"ENABLED_{irq}"))
            if other is None or max(d1, other[0]) != k:
                continue
            used = self._replayed(name, ("usage", cls, bit), bit)
            en = self._replayed(name, ("usage", cls, f"ENABLED_{irq}"), f"ENABLED_{irq}")
            u, e = (used[0], used[2][0], used[1]), (en[0], en[2][0], en[1])
            later = max(u, e, key=lambda x: x[2])
            return self.forest.verdict(Violation(name, "lockdep", later[0], k + 1, later[1],
                                                 {"class": cls, "irq": irq, "used": u, "enabled": e}), k)
        return None

    def _cycle(self, name: str, k: int) -> Verdict | None:
        edges = {key[1:]: hit[0] for (n, key), hit in self.hits.items() if n == name}
        new = [e for e, d in edges.items() if d == k]
        for src, dst in sorted(new):
            back = _graph_path(edges, dst, src)
            if back is None:
                continue
            pairs = [(back[i], back[i + 1]) for i in range(len(back) - 1)] + [(src, dst)]
            cycle = []
            for a, b in pairs:
                idx, depth, (tid, att, hname) = self._replayed(name, ("edge", a, b))
                lock = self.model.transitions[tid].lock_attempts[att].lock
                cycle.append(LockdepEdge(a, b, idx, tid, att, hname, lock, depth))
            last = cycle[-1]
            return self.forest.verdict(Violation(name, "lockdep", last.state, k + 1, last.tid, cycle), k)
        return None


def _graph_path(edges, a: str, b: str) -> list[str] | None:
    """A shortest path of classes from a to b over the reached edges."""
    from kspec.explicit.explore import shortest_path
    succ: dict[str, dict[str, None]] = {}
    for s, d in edges:
        succ.setdefault(s, {})[d] = None
    return shortest_path(succ, a, b)