"""Engine-independent counterexamples and their readable forms.

A `Trace` is the initial state and the steps after it, each with the
transition taken and the resulting state. It renders as (a) state by state,
showing only what changed; (b) the two-column interleaving table kernel
developers write on mailing lists, one column per thread/callback/interrupt;
(c) a lockdep-style report for lock problems (in `kspec.report.lockdep`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kspec.ir import nodes as N
from kspec.report.diagnostics import Span


@dataclass(frozen=True, slots=True)
class TraceStep:
    transition: int | None  # transition id; None for the initial state or a pseudo-step
    state: tuple
    note: str = ""
    actor: str | None = None  # for pseudo-steps (blocked attempts)


@dataclass(frozen=True, slots=True)
class Trace:
    model: N.Model
    steps: tuple[TraceStep, ...]
    title: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def length(self) -> int:
        return len(self.steps) - 1


def show_value(slot: N.Slot, v: int) -> str:
    sort = slot.sort
    if isinstance(sort, N.BoolSort):
        return "true" if v else "false"
    if isinstance(sort, N.IntSort):
        if sort.names is not None:
            k = v - sort.lo
            return sort.names[k] if 0 <= k < len(sort.names) else str(int(v))
        return str(int(v))
    elems = [sort.names[k] if sort.names else str(sort.lo + k) for k in range(sort.size) if (v >> k) & 1]
    return "{" + ", ".join(elems) + "}"


def step_name(model: N.Model, st: TraceStep) -> str:
    if st.transition is None:
        return st.actor or ""
    return model.transitions[st.transition].name


def step_actor(model: N.Model, st: TraceStep) -> str:
    if st.transition is None:
        return st.actor or ""
    return model.transitions[st.transition].actor


def step_span(model: N.Model, st: TraceStep) -> Span | None:
    return model.transitions[st.transition].span if st.transition is not None else None


def _loc(span: Span | None) -> str:
    if span is None:
        return ""
    return f"{span.file.rsplit('/', 1)[-1]}:{span.line}"


def render_states(trace: Trace) -> str:
    """State by state, only the slots that changed (the initial state in full,
    grouped by variable)."""
    model = trace.model
    slots = model.slots
    out = []
    first = trace.steps[0].state
    out.append("State 0 (initial):")
    for i, sl in enumerate(slots):
        out.append(f"    {sl.name} = {show_value(sl, first[i])}")
    prev = first
    for k, st in enumerate(trace.steps[1:], 1):
        where = _loc(step_span(model, st))
        head = f"State {k}: {step_name(model, st)}" + (f"  ({where})" if where else "")
        out.append(head)
        if st.note:
            out.append(f"    -- {st.note}")
        for i, sl in enumerate(slots):
            if st.state[i] != prev[i]:
                out.append(f"    {sl.name}: {show_value(sl, prev[i])} -> {show_value(sl, st.state[i])}")
        prev = st.state
    return "\n".join(out)


def render_interleaving(trace: Trace, max_col: int = 48) -> str:
    """One column per actor (process instance or action), one row per step."""
    model = trace.model
    actors: list[str] = []
    for st in trace.steps[1:]:
        a = step_actor(model, st)
        if a not in actors:
            actors.append(a)
    if not actors:
        return "(no steps: the initial state already violates the property)"
    rows = []
    for k, st in enumerate(trace.steps[1:], 1):
        a = step_actor(model, st)
        if st.transition is not None:
            t = model.transitions[st.transition]
            text = t.label or t.name
            if t.label is None:
                text = t.name
            elif t.bindings:
                text += " [" + ", ".join(f"{x}={y}" for x, y in t.bindings) + "]"
        else:
            text = st.note or "?"
        if st.note and st.transition is not None:
            text += f" ({st.note})"
        cells = ["" for _ in actors]
        cells[actors.index(a)] = text
        rows.append((str(k), cells, _loc(step_span(model, st))))
    widths = [min(max(len(a), *(len(r[1][i]) for r in rows)), max_col) for i, a in enumerate(actors)]
    def fmt(cells):
        return " | ".join(c[:w].ljust(w) for c, w in zip(cells, widths))
    head = f"{'#':>3} | " + fmt(actors) + " | where"
    sep = "-" * len(head)
    body = [f"{n:>3} | " + fmt(cells) + f" | {loc}" for n, cells, loc in rows]
    return "\n".join([head, sep, *body])


def trace_to_json(trace: Trace) -> dict:
    model = trace.model
    steps = []
    for k, st in enumerate(trace.steps):
        item = {"step": k, "action": step_name(model, st) if k else None,
                "actor": step_actor(model, st) if k else None,
                "state": {sl.name: show_value(sl, st.state[i]) for i, sl in enumerate(model.slots)}}
        if st.note:
            item["note"] = st.note
        sp = step_span(model, st)
        if sp is not None:
            item["where"] = f"{sp.file}:{sp.line}:{sp.col}"
        steps.append(item)
    return {"title": trace.title, "length": trace.length, "steps": steps}
