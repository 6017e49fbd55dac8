"""Run the explicit engine on a model and turn its findings into verdicts."""
from __future__ import annotations

from typing import Callable, Iterable

from kspec.explicit.compile import compile_model
from kspec.explicit.explore import Exploration, Limits, explore
from kspec.ir import nodes as N
from kspec.report import narrate
from dataclasses import replace

from kspec.verdict import (APPROXIMATE, HOLDS, INCONCLUSIVE, REACHABLE, UNREACHABLE, VIOLATED, CheckResult,
                           Verdict)


class SymmetryError(Exception):
    """The model declares symmetric sorts that its initial state breaks."""


def check_explicit(model: N.Model, properties: Iterable[str] | None = None, *, limits: Limits | None = None,
                   progress: Callable[[int, int, float], None] | None = None,
                   symmetry: bool = True) -> CheckResult:
    """Exhaustive BFS; with `symmetry` (and symmetric sorts declared), over
    orbit representatives."""
    names = [p.name for p in model.properties] if properties is None else list(properties)
    cm = compile_model(model)
    sym = None
    if symmetry and model.symmetric:
        from kspec.explicit.symmetry import Symmetry
        sym = Symmetry(model)
        broken = sym.broken_by_initial_state()
        if broken:
            raise SymmetryError(broken)
    ex = explore(cm, set(names), limits, progress, sym)
    verdicts = [verdict_for(ex, model.property(n)) for n in names]  # type: ignore[arg-type]
    caveat = ex.store.caveat()
    if getattr(ex.store, "kind", "") == "bitstate":
        verdicts = [replace(v, status=APPROXIMATE, reason=caveat) if v.status in (HOLDS, UNREACHABLE) else v
                    for v in verdicts]
    result = CheckResult(verdicts, ex.count, ex.transitions_fired, ex.max_depth, ex.seconds,
                         ex.complete, ex.stop_reason, unfired_steps(ex) if ex.complete else [])
    result.symmetry = sym is not None
    result.caveat = caveat
    return result


def verdict_for(ex: Exploration, info: N.PropertyInfo) -> Verdict:
    v = ex.found.get(info.name)
    n = ex.count
    if v is None:
        if not ex.complete:
            return Verdict(info.name, info.kind, INCONCLUSIVE, states=n, reason=ex.stop_reason)
        return Verdict(info.name, info.kind, UNREACHABLE if info.kind == "reachable" else HOLDS, states=n)
    if v.kind == "reachable":
        return Verdict(info.name, info.kind, REACHABLE, length=v.length, trace=narrate.witness_trace(ex, v),
                       states=n)
    extra: tuple = ()
    if v.kind == "invariant":
        trace, report = narrate.invariant_trace(ex, v)
        msg = f"invariant `{info.name}` is violated"
    elif v.kind == "check":
        trace, report = narrate.check_trace(ex, v)
        msg = trace.title
    elif v.kind == "deadlock":
        trace, report = narrate.deadlock_trace(ex, v)
        msg = "deadlock"
        return Verdict(info.name, info.kind, VIOLATED, length=trace.length, trace=trace, message=msg,
                       report=report, states=n)
    elif v.kind == "wait_cycle":
        trace, report = narrate.wait_cycle_trace(ex, v)
        return Verdict(info.name, info.kind, VIOLATED, length=trace.length, trace=trace, message="wait cycle",
                       report=report, states=n)
    elif v.kind == "lockdep":
        trace, report, extra_list = narrate.lockdep_traces(ex, v)
        extra = tuple(extra_list)
        msg = report.splitlines()[0]
    else:  # evaluation error
        trace, report = narrate.error_trace(ex, v)
        msg = report
    return Verdict(info.name, info.kind, VIOLATED, length=v.length, trace=trace, message=msg, report=report,
                   extra_traces=extra, states=n)


def unfired_steps(ex: Exploration) -> list[str]:
    """Process steps (over all instances) and actions that never fired."""
    fired: dict[str, bool] = {}
    for tid, t in enumerate(ex.compiled.model.transitions):
        key = f"{_proc_of(ex.compiled.model, t)}.{t.label}" if t.label else t.actor
        fired[key] = fired.get(key, False) or ex.coverage[tid] > 0
    return sorted(k for k, v in fired.items() if not v)


def _proc_of(model: N.Model, t: N.Transition) -> str:
    p = next((p for p in model.processes if p.name == t.actor), None)
    return p.process if p else t.actor
