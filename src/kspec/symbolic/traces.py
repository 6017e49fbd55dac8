"""Z3 models -> concrete paths -> replayed, reported counterexamples.

`decode` reads the states and actions of a Z3 model up to step k. `Replayer`
checks every decoded path on the explicit engine's compiled functions (each
step enabled and yielding exactly the next state; the property's claim true
at the end) *before* anything is reported; a disagreement raises
`EngineDisagreement` (KS9002) carrying both traces. `Forest` collects the
replayed paths as a tree of states in the shape of an explicit `Exploration`,
so that `kspec.check.verdict_for` and `kspec.report.narrate` build the very
same traces, titles and lockdep/deadlock reports as the explicit engine.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import z3

from kspec.check import verdict_for
from kspec.explicit.compile import RUNTIME, CompiledModel, EvalError, ExprCompiler
from kspec.explicit.explore import Exploration, Violation
from kspec.ir import nodes as N
from kspec.report import diagnostics as D
from kspec.report.diagnostics import KspecError
from kspec.report.trace import Trace, TraceStep, render_interleaving, render_states
from kspec.verdict import Verdict

ERRORS = (EvalError, IndexError, ValueError, ZeroDivisionError)


class EngineDisagreement(KspecError):
    pass


@dataclass(slots=True)
class Path:
    """states[0..k] and the transition ids taken between them."""

    states: list[tuple]
    tids: list[int]


def decode_value(m: z3.ModelRef, var, signed_width: int = 0) -> int:
    """A Bool as 0/1, a W-bit integer as signed, anything else unsigned."""
    v = m.eval(var, model_completion=True)
    if z3.is_true(v):
        return 1
    if z3.is_false(v):
        return 0
    return v.as_signed_long() if v.size() == signed_width else v.as_long()


def decode(m: z3.ModelRef, un, k: int) -> Path:
    """The path s0 .. sk of an `Unroller`'s variables in a model."""
    w = un.tm.num.W
    sts = [tuple(decode_value(m, x, w) for x in un.states[t]) for t in range(k + 1)]
    return Path(sts, [decode_value(m, un.acts[t]) for t in range(k)])


def _safe(f, s) -> bool:
    try:
        return bool(f(s))
    except ERRORS:
        return False


class Replayer:
    """The explicit engine's verdict on decoded paths and claims."""

    def __init__(self, cm: CompiledModel, active: set[str]):
        self.cm = cm
        self.model = cm.model
        self.active = active
        self.ec = ExprCompiler(self.model.slots)
        self._fns: dict[int, object] = {}

    def fn(self, e: N.Expr):
        hit = self._fns.get(id(e))
        if hit is None:  # keep e alive with its function, so its id stays unique
            hit = self._fns[id(e)] = (eval(f"lambda s: {self.ec.src(e)}", dict(RUNTIME)), e)  # from the IR only
        return hit[0]

    def step_problem(self, s: tuple, tid: int, ns: tuple) -> str | None:
        cm = self.cm
        if not 0 <= tid < len(self.model.transitions):
            return f"transition id {tid} does not exist"
        name = self.model.transitions[tid].name
        try:
            if not cm.enabled(s, tid):
                return f"`{name}` is not enabled"
            got = cm.applies[tid](s)
        except ERRORS as e:
            return f"`{name}` cannot be evaluated: {e}"
        if got != ns:
            diff = [f"{sl.name}: {a} vs {b}" for sl, a, b in zip(self.model.slots, got, ns) if a != b]
            return f"`{name}` yields a different state ({'; '.join(diff[:6])})"
        return None

    def path_problem(self, p: Path, from_init: bool = True) -> str | None:
        if from_init and p.states[0] != tuple(self.model.init):
            return "the path does not start in the initial state"
        for i, tid in enumerate(p.tids):
            why = self.step_problem(p.states[i], tid, p.states[i + 1])
            if why:
                return f"step {i + 1}: {why}"
        return None

    def claim(self, kind: str, name: str, s: tuple, part) -> bool:
        """Does the explicit engine agree that this target holds in s?"""
        cm = self.cm
        if kind in ("invariant", "reachable"):
            fns = dict((n, f) for n, f, _ in cm.invariants) if kind == "invariant" else dict(cm.witnesses)
            return _safe(fns[name], s) == (kind == "reachable")
        if kind == "deadlock":
            try:
                succs, bad = cm.expand(s, set())
            except ERRORS:
                return False  # an erroneous state is no deadlock
            return not succs and not any(k == -2 for _, k in bad) and \
                any(s[p.pc_slot] < p.done_value for p in self.model.processes)
        if kind == "wait_cycle":
            return bool(self.wait_cycle(s))
        if kind == "error":
            try:
                cm.expand(s, self.active)
            except ERRORS:
                return True
            return False
        if kind == "check":
            tid, k = part
            return cm.attempted(s, tid) and _safe(cm.check_fns[tid][k], s)
        tid, k, hname = part  # lockdep
        return self.attempt_holds(s, tid, k, hname, name)

    def attempt_holds(self, s, tid: int, k: int, hname, bit: str) -> bool:
        a = self.model.transitions[tid].lock_attempts[k]
        if not (self.cm.attempted(s, tid) and _safe(self.fn(a.when), s)):
            return False
        if hname is None:  # an irq usage bit
            return {"USED_IN_SOFTIRQ": a.context == "softirq", "USED_IN_HARDIRQ": a.context == "hardirq",
                    "ENABLED_SOFTIRQ": not _safe(self.fn(a.softirq_off), s),
                    "ENABLED_HARDIRQ": not _safe(self.fn(a.hardirq_off), s)}[bit]
        cond = next(c for h, _, c in a.held if h == hname)
        return _safe(self.fn(cond), s)

    def successors(self, s: tuple) -> list[int]:
        out = []
        for tid in range(len(self.model.transitions)):
            try:
                if self.cm.enabled(s, tid):
                    self.cm.applies[tid](s)
                    out.append(tid)
            except ERRORS:
                continue
        return out

    def wait_cycle(self, s: tuple) -> list[str]:
        """The explicit engine's wait cycle in s (empty if none)."""
        from kspec.explicit.explore import wait_cycle
        try:
            succs, bad = self.cm.expand(s, {"wait_cycle"})
        except ERRORS:
            return []
        return wait_cycle(self.model, s, succs, [t for t, k in bad if k < 0]) or []

    def error_message(self, s: tuple) -> str:
        try:
            self.cm.expand(s, self.active)
        except ERRORS as e:
            return str(e)
        return "?"

    def validate(self, p: Path, kind: str, name: str, part, from_init: bool = True) -> None:
        why = self.path_problem(p, from_init)
        if why is None and not self.claim(kind, name, p.states[-1], part):
            why = f"the last state does not satisfy the claim ({kind} `{name}`)"
        if why is not None:
            raise disagreement(self.model, p, name, why)


def raw_trace(model: N.Model, p: Path, title: str) -> Trace:
    steps = [TraceStep(None, p.states[0])] + [TraceStep(t, s) for t, s in zip(p.tids, p.states[1:])]
    return Trace(model, tuple(steps), title)


def disagreement(model: N.Model, p: Path, prop: str, why: str) -> EngineDisagreement:
    tr = raw_trace(model, p, f"symbolic trace for `{prop}`")
    notes = [f"explicit engine: {why}", "symbolic (Z3) trace:\n" + render_interleaving(tr),
             "its states:\n" + render_states(tr)]
    return EngineDisagreement(D.diag(D.ENGINE_DISAGREEMENT, f"the Z3 counterexample for `{prop}` does not replay "
                                     f"on the explicit engine: {why}", notes=notes,
                                     hint="this is a kspec bug: please report it with the spec and command"))


class Forest:
    """Replayed paths as one tree of states shaped like an `Exploration`."""

    def __init__(self, cm: CompiledModel):
        from kspec.explicit.store import FullStore
        self.store = FullStore(tuple(cm.model.init))
        self.ex = Exploration(cm, self.store, {}, False, "", 0, 0, [], 0.0)

    def add(self, p: Path) -> int:
        """Append the path as a branch of the tree (no sharing: a tree, not a graph)."""
        idx = 0
        st = self.store
        for tid, s in zip(p.tids, p.states[1:]):
            st.states.append(s)
            st.parent.append(idx)
            st.via.append(tid)
            idx = len(st.states) - 1
        return idx

    def verdict(self, v: Violation, depth: int) -> Verdict:
        info = self.ex.compiled.model.property(v.prop)
        self.ex.found[v.prop] = v
        out = verdict_for(self.ex, info)  # type: ignore[arg-type]
        return replace(out, engine="bmc", states=0, depth=depth)
