"""Shared helpers for the symbolic-engine tests: run both engines on a model
and compare every property's verdict and shortest counterexample length."""
from __future__ import annotations

from kspec.check import check_explicit
from kspec.explicit.explore import Limits
from kspec.ir import nodes as N
from kspec.verdict import BOUNDED, HOLDS, INCONCLUSIVE, REACHABLE, UNREACHABLE, VIOLATED


def stuck_depth(v) -> int | None:
    """A deadlock or wait-cycle trace's path length without the blocked
    attempts that end it (which state it stops in may differ between the
    engines when several are equally shallow)."""
    if v.trace is None:
        return v.length
    n = v.trace.length
    for st in reversed(v.trace.steps[1:]):
        if "block" not in st.note and "wait" not in st.note:
            break
        n -= 1
    return n


def compare(model: N.Model, props=None, *, depth: int | None = None, max_states: int = 200_000,
            timeout: float | None = 60) -> list[str]:
    """Differences between the engines (empty when they agree). BMC runs to
    the explicit search's full depth unless `depth` is given."""
    from kspec.symbolic.bmc import check_bmc
    ex = check_explicit(model, props, limits=Limits(max_states=max_states))
    if not ex.complete and not ex.stop_reason.startswith("stopped early"):
        raise RuntimeError(f"explicit search incomplete: {ex.stop_reason}")
    k = ex.depth if depth is None else depth
    bm = check_bmc(model, props, depth=k, timeout=timeout)
    out = []
    for ve in ex.verdicts:
        vb = bm.verdict(ve.prop)
        if ve.kind == "progress":  # liveness: explicit engine only (BMC says so, inconclusive)
            if vb.status != INCONCLUSIVE:
                out.append(f"{ve.prop}: bmc gave {vb.summary()} for a progress property")
            continue
        if ve.status in (VIOLATED, REACHABLE):
            same = vb.status == ve.status and (
                stuck_depth(vb) == stuck_depth(ve) if ve.kind == "deadlock" else vb.length == ve.length)
            if not same and (ve.length or 0) <= k + (0 if ve.kind in ("invariant", "reachable") else 1):
                out.append(f"{ve.prop}: explicit {ve.summary()}, bmc {vb.summary()}")
        elif ve.status in (HOLDS, UNREACHABLE) and vb.status != BOUNDED:
            out.append(f"{ve.prop}: explicit {ve.summary()}, bmc {vb.summary()}")
    return out
