"""Run the explicit engine on a model and turn its findings into verdicts."""
from __future__ import annotations

import time
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
                   symmetry: bool = True, workers: int = 1) -> CheckResult:
    """Exhaustive BFS; with `symmetry` (and symmetric sorts declared), over
    orbit representatives; with `workers` > 1 (0: one per core), over that
    many processes (kspec.explicit.parallel: the same results)."""
    names = [p.name for p in model.properties] if properties is None else list(properties)
    cm = compile_model(model)
    sym = None
    if symmetry and model.symmetric:
        from kspec.explicit.symmetry import Symmetry
        sym = Symmetry(model)
        broken = sym.broken_by_initial_state()
        if broken:
            raise SymmetryError(broken)
    live = {p.name: p for p in model.progress if p.name in names}
    from kspec.explicit.parallel import resolve_workers
    n = resolve_workers(workers)
    if n > 1 and live and sym is None and (limits or Limits()).store == "full":
        n = 1  # progress needs the whole state graph in this process: one sequential search serves all
    if n > 1:
        from kspec.explicit.parallel import explore_parallel
        ex = explore_parallel(cm, set(names), limits, n, progress, sym)
    else:
        ex = explore(cm, set(names), limits, progress, sym)
    t_live = time.perf_counter()
    lv = progress_verdicts(ex, cm, list(live.values()), limits, progress) if live else {}
    verdicts = [lv[n] if n in lv else verdict_for(ex, model.property(n)) for n in names]  # type: ignore[arg-type]
    caveat = ex.store.caveat()
    if getattr(ex.store, "kind", "") == "bitstate":
        verdicts = [replace(v, status=APPROXIMATE, reason=caveat) if v.status in (HOLDS, UNREACHABLE) else v
                    for v in verdicts]
    result = CheckResult(verdicts, ex.count, ex.transitions_fired, ex.max_depth,
                         ex.seconds + (time.perf_counter() - t_live if live else 0.0),
                         ex.complete, ex.stop_reason, unfired_steps(ex) if ex.complete else [])
    result.symmetry = sym is not None
    result.workers = n
    result.caveat = caveat
    return result


def progress_verdicts(ex: Exploration, cm, props: list[N.Progress], limits: Limits | None,
                      progress=None) -> dict[str, Verdict]:
    """Progress properties need the whole state graph: a complete search
    that stored every state (re-run with the full store and no symmetry
    reduction when the main search used another)."""
    from kspec.explicit.liveness import StateGraph, check_progress, depths, fairness_unit
    if not ex.complete:
        return {p.name: Verdict(p.name, "progress", INCONCLUSIVE, states=ex.count, reason=ex.stop_reason)
                for p in props}
    if ex.symmetry is not None or getattr(ex.store, "kind", "full") != "full" or not hasattr(ex.store, "index"):
        # (a parallel search leaves the states in its workers)
        base = limits or Limits()
        full = Limits(max_states=base.max_states, max_depth=base.max_depth, max_seconds=base.max_seconds,
                      store="full", max_memory_mb=base.max_memory_mb)
        ex = explore(cm, {p.name for p in props}, full, progress, None)
        if not ex.complete:
            return {p.name: Verdict(p.name, "progress", INCONCLUSIVE, states=ex.count,
                                    reason=f"progress needs every state stored: {ex.stop_reason}") for p in props}
    graph = StateGraph(ex, [fairness_unit(t) for t in cm.model.transitions])
    depth = depths(ex)
    out = {}
    for p in props:
        lassos = [x for x in (check_progress(ex, inst, graph, depth) for inst in p.instances) if x is not None]
        if not lassos:
            out[p.name] = Verdict(p.name, "progress", HOLDS, states=ex.count)
            continue
        lasso = min(lassos, key=lambda x: len(x.steps))
        trace, report = narrate.lasso_trace(ex, p, lasso)
        out[p.name] = Verdict(p.name, "progress", VIOLATED, length=trace.length, trace=trace,
                              message=report.splitlines()[0], report=report, states=ex.count)
    return out


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
