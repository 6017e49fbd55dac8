"""Proof runs: a model, properties and helper lemmas -> one verdict per property.

k-induction (`induction.k_induction`) decides what it can prove; whatever it
does not prove is then searched by BMC up to the bound, so a real violation
is reported as a replayed counterexample of the shortest length, and a
property that is neither proved nor refuted keeps its counterexample to
induction (CTI): a trace whose first state need not be reachable.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from kspec.explicit.compile import compile_model
from kspec.ir import nodes as N
from kspec.report.trace import Trace
from kspec.symbolic.bmc import check_bmc
from kspec.symbolic.induction import WT, Induction, k_induction, property_status
from kspec.symbolic.traces import Replayer, raw_trace
from kspec.verdict import BOUNDED, INCONCLUSIVE, PROVED, REACHABLE, VIOLATED, Verdict

CTI_TITLE = "counterexample to induction (k={k}): the first state need not be reachable"
CTI_HINT = ("the inductive step failed from these states; if the first one is unreachable, strengthen the "
            "induction with a helper invariant that excludes it (a spec `invariant` listed in a proof "
            "script's `helpers`, or a `[lemmas]` entry), or raise --k")


@dataclass(slots=True)
class ProofReport:
    verdicts: list[Verdict]
    induction: Induction
    ctis: dict[str, Trace] = field(default_factory=dict)
    seconds: float = 0.0
    bmc_depth: int = 0


def prove_model(model: N.Model, props: list[str], *, helpers: list[str] = (), k_max: int = 10,
                depth: int = 20, timeout: float | None = None, obligations: bool = False) -> ProofReport:
    from kspec.symbolic.bmc import LIVENESS_REASON, progress_names
    live = progress_names(model, props)
    if live:
        rep = prove_model(model, [p for p in props if p not in live], helpers=helpers, k_max=k_max, depth=depth,
                          timeout=timeout, obligations=obligations)
        rep.verdicts = rep.verdicts + [Verdict(n, "progress", INCONCLUSIVE, engine="k-induction",
                                               reason=LIVENESS_REASON) for n in live]
        return rep
    t0 = time.perf_counter()
    every = list(props) + [h for h in helpers if h not in props]
    ind = k_induction(model, every, k_max=k_max, timeout=timeout, obligations=obligations)
    status = {p: property_status(model, ind, p) for p in every}
    open_ = [p for p in every if status[p][0] != "proved"]
    left = None if timeout is None else max(0.5, timeout - (time.perf_counter() - t0))
    bmc_depth = max(depth, ind.k)
    bmc = check_bmc(model, open_, depth=bmc_depth, timeout=left) if open_ else None
    replayer = Replayer(compile_model(model), set(every))
    verdicts, ctis = [], {}
    for p in every:
        kind = model.property(p).kind  # type: ignore[union-attr]
        st, k = status[p]
        if st == "proved":
            verdicts.append(Verdict(p, kind, PROVED, engine="k-induction", reason=f"k-induction, k={k}"))
            continue
        v = bmc.verdict(p)  # type: ignore[union-attr]
        if v.status in (VIOLATED, REACHABLE):
            verdicts.append(v)
            continue
        cti = _cti(model, ind, p, replayer)
        if cti is not None:
            ctis[p] = cti
        why = ind.stop or (f"not proved: counterexample to induction at k={ind.k}" if cti else "not proved")
        bounded = f"no violation up to depth {bmc_depth}" if v.status == BOUNDED else v.reason
        verdicts.append(Verdict(p, kind, INCONCLUSIVE, engine="k-induction", trace=cti,
                                reason=f"{why}; {bounded}", report=CTI_HINT if cti else ""))
    return ProofReport(verdicts, ind, ctis, time.perf_counter() - t0, bmc_depth)


def _cti(model: N.Model, ind: Induction, prop: str, replayer: Replayer) -> Trace | None:
    keys = [c for c in ind.keys.get(prop, []) if c in ind.ctis] + ([WT] if WT in ind.ctis else [])
    if not keys:
        return None
    c = keys[0]
    cti = ind.ctis[c]
    kind = _claim_kind(model, prop, cti.part) if c != WT else None
    if kind is None:
        problem = replayer.path_problem(cti.path, from_init=False)
        if problem:
            from kspec.symbolic.traces import disagreement
            raise disagreement(model, cti.path, prop, problem)
    else:
        replayer.validate(cti.path, kind, c[1][2] if kind == "lockdep" and c[1][0] == "usage" else prop,
                          cti.part, from_init=False)
    tr = raw_trace(model, cti.path, CTI_TITLE.format(k=cti.k))
    return replace(tr, notes=(CTI_HINT,))


def _claim_kind(model: N.Model, prop: str, part) -> str | None:
    """How the replayer confirms the target at the last state."""
    info = model.property(prop)
    kind = info.kind if info else None
    if prop == "wait_cycle":
        return "wait_cycle"
    if kind in ("invariant", "reachable", "deadlock", "lockdep"):
        return kind
    if kind == "check":
        return "check" if part is not None else "error"
    return None
