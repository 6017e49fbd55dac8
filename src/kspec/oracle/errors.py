"""ConformanceError and the reports it carries, one builder per KS4xxx case.

A `ConformanceError` holds one `Diagnostic` (code, message, the trace line when
the event came from a file, notes giving the reasons in words) and the
observed events before it; `str()` is the rendered diagnostic followed by the
interleaving table, which is what a failing test prints.
"""
from __future__ import annotations

from kspec.oracle.explain import PC, Explainer
from kspec.oracle.report import Observed, interleaving
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, Span
from kspec.report.render import render_diagnostic

MAX_REASONS = 10
MAX_STATES_EXPLAINED = 400


class ConformanceError(AssertionError):
    """An observation the spec does not allow (or cannot judge): `code` is the
    KS4xxx diagnostic code, `diagnostic` the full record, `events` the observed
    events kept before it, `rejected` the offending event (None for a
    quiescence check)."""

    def __init__(self, diagnostic: Diagnostic, events: list[Observed], rejected: Observed | None = None,
                 omitted: int = 0, sources: dict[str, str] | None = None):
        self.diagnostic = diagnostic
        self.code = diagnostic.code
        self.events = events
        self.rejected = rejected
        self.omitted = omitted
        self.report = _render(diagnostic, events, rejected, omitted, sources)
        super().__init__(self.report)

    @property
    def inconclusive(self) -> bool:
        return self.code == D.CONFORMANCE_BOUND

    def __str__(self) -> str:
        return self.report


def _render(d: Diagnostic, events, rejected, omitted, sources) -> str:
    text = render_diagnostic(d, sources)
    if events or rejected is not None:
        text += "\n\nobserved events:\n" + interleaving(events, rejected, omitted=omitted, marker=marker(d.code))
    return text


def marker(code: str) -> str:
    """What the table says of the last event."""
    return {D.CONFORMANCE_VIOLATION: "breaks the contract", D.CONFORMANCE_BOUND: "cannot be judged"}.get(
        code, "not allowed")


def describe(o: Observed) -> str:
    who = f" in thread `{o.thread}`" if o.thread is not None else ""
    return f"event #{o.index} `{o.text()}`{who}"


def rejected(spec: str, o: Observed, n_states: int, reasons: list[str], hidden_bad: list[str]) -> Diagnostic:
    notes = [f"{n_states} state{'s' if n_states != 1 else ''} of `{spec}` {'is' if n_states == 1 else 'are'} "
             f"consistent with the {o.index - 1:,} event{'s' if o.index != 2 else ''} before it "
             "(hidden steps included); in them:"]
    notes += reasons
    notes += hidden_bad
    return D.diag(D.CONFORMANCE_REJECTED, f"{describe(o)} is not allowed by `{spec}`", o.where, notes=notes)


def violation(spec: str, o: Observed, problems: list[str]) -> Diagnostic:
    return D.diag(D.CONFORMANCE_VIOLATION, f"{describe(o)} violates the contract of `{spec}`", o.where,
                  notes=["the spec allows this step only with a violation: " + p for p in problems],
                  hint="the implementation did something the contract forbids")


def unknown_event(spec: str, name: str, known: list[str], where: Span | None) -> Diagnostic:
    hint = D.did_you_mean(name, known) or ("declared events: " + ", ".join(sorted(known)) if known else
                                          "the spec declares no `event`: nothing is observable")
    return D.diag(D.CONFORMANCE_UNKNOWN_EVENT, f"`{name}` is not an event of `{spec}`", where, hint=hint)


def bad_args(message: str, where: Span | None, hint: str | None = None) -> Diagnostic:
    return D.diag(D.CONFORMANCE_BAD_ARGS, message, where, hint=hint)


def bound(o: Observed, reason: str, states: int, hidden_steps: int) -> Diagnostic:
    return D.diag(D.CONFORMANCE_BOUND, f"cannot judge {describe(o)}: {reason}", o.where,
                  notes=[f"{states} states were reached by hidden steps before stopping"],
                  hint=f"raise the bound (hidden_steps={hidden_steps * 2} / --hidden-steps {hidden_steps * 2}, "
                       "max_candidates=...) or observe more of the implementation's steps")


def not_quiescent(spec: str, count: int, per_state: list[list[str]], where: Span | None) -> Diagnostic:
    notes = []
    groups: dict[tuple[str, ...], int] = {}
    for reasons in per_state:
        key = tuple(reasons)
        groups[key] = groups.get(key, 0) + 1
    for reasons, n in sorted(groups.items(), key=lambda kv: -kv[1])[:MAX_REASONS]:
        notes.append(f"[{n} state{'s' if n != 1 else ''}] " + "; ".join(reasons))
    return D.diag(D.CONFORMANCE_NOT_QUIESCENT, f"after {count} event{'s' if count != 1 else ''}, `{spec}` is not quiescent in any of the "
                  f"{len(per_state)} consistent states", where, notes=notes,
                  hint="quiescent: every process finished, idle or back at its first step, no lock held, "
                       "no leaked object")


def explain_rejection(ex: Explainer, states, tids: list[int], args: tuple, result) -> list[str]:
    """Reasons grouped over the candidate states, most advanced first."""
    groups: dict[tuple[int, str], int] = {}
    for s in sorted(states)[:MAX_STATES_EXPLAINED]:
        for rank, _actor, text in ex.why_not(s, tids, args, result):
            groups[(rank, text)] = groups.get((rank, text), 0) + 1
    ordered = sorted(((k, n) for k, n in groups.items() if k[0] != PC), key=lambda kv: (-kv[0][0], -kv[1], kv[0][1]))
    out = [f"[{n} state{'s' if n != 1 else ''}] {text}" for (rank, text), n in ordered[:MAX_REASONS]]
    if len(ordered) > MAX_REASONS:
        out.append(f"... and {len(ordered) - MAX_REASONS} other reasons")
    return out + _elsewhere({text: n for (rank, text), n in groups.items() if rank == PC})


def _elsewhere(pcs: dict[str, int]) -> list[str]:
    """Per actor: in how many states it is at another step than the emitting one."""
    by_actor: dict[tuple[str, str], tuple[int, list[str]]] = {}
    for key, n in pcs.items():
        actor, at, label = key.split("\0")
        count, places = by_actor.get((actor, label), (0, []))
        by_actor[(actor, label)] = (count + n, places + [at])
    out = []
    for (actor, label), (n, places) in sorted(by_actor.items(), key=lambda kv: -kv[1][0]):
        shown = _places(sorted(set(places)))
        out.append(f"[{n} state{'s' if n != 1 else ''}] {actor} is {shown}, and emits it only at {label}")
    return out[:MAX_REASONS]


def _places(places: list[str]) -> str:
    words = [("finished" if p == "done" else "idle (not started)" if p == "idle" else f"at {p}") for p in places]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def hidden_violations(ex: Explainer, states) -> list[str]:
    """Hidden steps left out of the closure because they violate a property."""
    seen: dict[str, None] = {}
    for s in sorted(states)[:MAX_STATES_EXPLAINED]:
        for tid, problems in ex.engine.hidden(s).bad:
            t = ex.model.transitions[tid]
            for prop, msg in problems:
                seen[f"hidden step {t.name} was not considered: it violates `{prop}` ({msg})"] = None
    return list(seen)[:4]
