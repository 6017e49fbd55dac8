"""Replay a trace file (ITF) on the explicit engine: every step must be a
transition of the model (the last one may be a blocked attempt, as recorded
counterexamples end with the call that trips a check); reports the properties
the trace violates. Used by `kspec replay` and to check recorded
counterexamples in `proofs/`."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from kspec.explicit.compile import compile_model
from kspec.ir import nodes as N
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, Span
from kspec.report.trace import Trace, TraceStep

_KEY = re.compile(r"^(?P<base>[^\[]+)\[(?P<key>[^\]]+)\]$")


class TraceFormatError(Exception):
    pass


@dataclass(slots=True)
class ReplayResult:
    trace: Trace | None
    violations: list[tuple[str, int, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    malformed: bool = False


def _decode(slot: N.Slot, v) -> int:
    sort = slot.sort
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, dict) and "#bigint" in v:
        return int(v["#bigint"])
    if isinstance(v, int):
        return v
    if isinstance(v, dict) and "#set" in v and isinstance(sort, N.SetSort):
        bits = 0
        for item in v["#set"]:
            name = item if isinstance(item, str) else str(_decode(N.Slot("", N.IntSort(0, 0), ""), item))
            names = sort.names or tuple(str(sort.lo + k) for k in range(sort.size))
            if name not in names:
                raise TraceFormatError(f"`{name}` is not an element of `{slot.name}`")
            bits |= 1 << names.index(name)
        return bits
    if isinstance(v, str) and isinstance(sort, N.IntSort) and sort.names and v in sort.names:
        return sort.lo + sort.names.index(v)
    raise TraceFormatError(f"value {json.dumps(v)} does not fit `{slot.name}`")


def state_from_itf(model: N.Model, entry: dict) -> tuple:
    vals = []
    for sl in model.slots:
        if sl.name in entry:
            vals.append(_decode(sl, entry[sl.name]))
            continue
        m = _KEY.match(sl.name)
        if m and isinstance(entry.get(m.group("base")), dict) and "#map" in entry[m.group("base")]:
            key = m.group("key")
            for k, v in entry[m.group("base")]["#map"]:
                kk = k["#bigint"] if isinstance(k, dict) and "#bigint" in k else str(k).lower() \
                    if isinstance(k, bool) else k
                if str(kk) == key:
                    vals.append(_decode(sl, v))
                    break
            else:
                raise TraceFormatError(f"state lacks `{sl.name}`")
            continue
        raise TraceFormatError(f"state lacks `{sl.name}`")
    return tuple(vals)


def replay_itf_file(model: N.Model, path: str) -> ReplayResult:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        return ReplayResult(None, [], [D.diag(D.FILE_UNREADABLE, f"cannot read `{path}`: {e.strerror}",
                                              Span(path, 1, 1))], True)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        line, col = getattr(e, "lineno", 1), getattr(e, "colno", 1)
        return ReplayResult(None, [], [D.diag(D.CONFORMANCE_BAD_TRACE, f"not valid JSON: {getattr(e, 'msg', e)}",
                                              Span(path, line, col))], True)
    return replay_itf(model, data, path)


def replay_itf(model: N.Model, data, path: str = "<itf>") -> ReplayResult:
    try:
        if not isinstance(data, dict) or not isinstance(data.get("states"), list) or not data["states"]:
            raise TraceFormatError("an ITF trace is an object with a non-empty `states` list")
        states = [state_from_itf(model, e) for e in data["states"]]
    except TraceFormatError as e:
        return ReplayResult(None, [], [D.diag(D.CONFORMANCE_BAD_TRACE, str(e), Span(path, 1, 1))], True)
    actions = [((e.get("#meta") or {}).get("action")) for e in data["states"]]
    return replay_states(model, states, actions, path)


def replay_states(model: N.Model, states: list[tuple], actions: list, path: str = "<trace>") -> ReplayResult:
    cm = compile_model(model)
    if states[0] != tuple(model.init):
        return ReplayResult(None, [], [D.diag(D.CONFORMANCE_REJECTED, "the trace does not start in the "
                                              "model's initial state", Span(path, 1, 1))])
    steps = [TraceStep(None, states[0])]
    violations: list[tuple[str, int, str]] = []
    for k in range(1, len(states)):
        s, ns = states[k - 1], states[k]
        tid = _find_step(cm, s, ns, actions[k] if k < len(actions) else None, last=k == len(states) - 1)
        if tid is None and ns == s and _someone_waits(cm, s):
            steps.append(TraceStep(None, s, "blocked, await never true", actor=str(actions[k] or "")))
            continue
        if tid is None:
            return ReplayResult(None, violations, [D.diag(
                D.CONFORMANCE_REJECTED, f"step {k} is not a transition of the model"
                + (f" (action `{actions[k]}`)" if actions[k] else ""), Span(path, 1, 1))])
        for c, f in zip(model.transitions[tid].checks, cm.check_fns[tid]):
            if f(s):
                violations.append((c.prop, k, c.message))
        blocked = not cm.blocks[tid](s)
        steps.append(TraceStep(tid, ns, "blocks" if blocked else ""))
        for name, fn, _ in cm.invariants:
            try:
                ok = fn(ns)
            except Exception:
                ok = False
            if not ok and not any(v[0] == name for v in violations):
                violations.append((name, k, f"invariant `{name}` is false"))
    return ReplayResult(Trace(model, tuple(steps), "replayed"), violations)


def _someone_waits(cm, s) -> bool:
    """Some unfinished process has no step it could take in s."""
    model = cm.model
    for p in model.processes:
        if s[p.pc_slot] < p.done_value and not any(
                cm.enabled(s, i) for i, t in enumerate(model.transitions) if t.pc == (p.pc_slot, s[p.pc_slot])):
            return True
    return False


def _find_step(cm, s, ns, action: str | None, last: bool) -> int | None:
    """A transition taking s to ns, or, when ns == s, one attempted but
    blocked there (counterexamples show blocked attempts, e.g. each waiter
    of a deadlock, as steps that leave the state unchanged)."""
    cands = []
    for tid, t in enumerate(cm.model.transitions):
        if not cm.attempted(s, tid):
            continue
        if cm.blocks[tid](s) and cm.applies[tid](s) == ns:
            cands.append(tid)
        elif ns == s and not cm.blocks[tid](s):
            cands.append(tid)
    if action:
        named = [t for t in cands if cm.model.transitions[t].name == action]
        if named:
            return named[0]
    return cands[0] if cands else None
