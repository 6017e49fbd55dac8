"""`Oracle`: a kspec model as a conformance oracle (TLA+ trace validation).

The oracle keeps the SET of model states consistent with the events observed
so far. Observing an event replaces it with every state reachable by a
bounded number of hidden steps (transitions without `emit`) followed by
exactly one step emitting that event with the observed thread, arguments and
result. Steps that violate an active property are not explanations: if only
such steps match, the implementation broke the contract (KS4006); if nothing
matches, the event is not allowed (KS4001), with the reason in words for
every consistent state. Transitions are cached per (candidate set, event), so
a deterministic trace costs a dictionary lookup per event.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any, Iterable

from kspec.explicit.compile import compile_model
from kspec.ir import nodes as N
from kspec.oracle import errors as E
from kspec.oracle.engine import Engine, HiddenBoundExceeded
from kspec.oracle.errors import ConformanceError
from kspec.oracle.explain import Explainer
from kspec.oracle.report import Observed, decode_record
from kspec.oracle.values import NOT_GIVEN, EventCodec, ValueProblem, plain
from kspec.report.diagnostics import Span, did_you_mean

DEFAULT_HIDDEN_STEPS = 100
DEFAULT_MAX_CANDIDATES = 100_000
_STEP_CACHE_LIMIT = 50_000


class SpecError(ValueError):
    """The spec or model file cannot be loaded (parse, name or sort errors)."""

    def __init__(self, diagnostics: list, sources: dict[str, str] | None = None):
        from kspec.report.render import render_all
        self.diagnostics = list(diagnostics)
        super().__init__(render_all([d for d in self.diagnostics if d.is_error], sources))


class Oracle:
    """Validate observed events against a model. Build with `from_spec` or
    `from_model`; `observe` each event in the order the implementation
    performed them; `check_quiescent` at the end."""

    def __init__(self, model: N.Model, *, hidden_steps: int = DEFAULT_HIDDEN_STEPS,
                 max_candidates: int = DEFAULT_MAX_CANDIDATES, properties: Iterable[str] | None = None,
                 history: int | None = 1000, origin: dict | None = None, _shared: "Oracle | None" = None):
        self.model = model
        self.hidden_steps = hidden_steps
        self.max_candidates = max_candidates
        self.origin = dict(origin or {})
        if _shared is not None:  # same model and options: share the compiled model and every cache
            self.active, self.engine, self.explainer = _shared.active, _shared.engine, _shared.explainer
        else:
            self.active = _active_properties(model, properties)
            self.engine = Engine(compile_model(model), self.active)
            self.explainer = Explainer(self.engine)
        self._codecs = {e.name: EventCodec(e) for e in model.events}
        self._event_tids: dict[str, list[int]] = {}
        for tid, t in enumerate(model.transitions):
            if t.event is not None:
                self._event_tids.setdefault(t.event.name, []).append(tid)
        self._threads = {t.actor for t in model.transitions} | {p.process for p in model.processes}
        self._actors = tuple(t.actor for t in model.transitions)
        self._lock = threading.Lock()
        self._history: deque | None = deque(maxlen=history) if history != 0 else None
        self._steps: dict = _shared._steps if _shared is not None else {}
        self.reset()

    def fresh(self, *, history: int | None | object = NOT_GIVEN) -> "Oracle":
        """A new oracle in the initial state for the same model and options,
        sharing the compiled model and the caches (cheap: use one per test)."""
        keep = self._history.maxlen if self._history is not None else 0
        return Oracle(self.model, hidden_steps=self.hidden_steps, max_candidates=self.max_candidates,
                      history=keep if history is NOT_GIVEN else history, origin=self.origin,  # type: ignore
                      _shared=self)

    # ---- construction ---------------------------------------------------------------
    @classmethod
    def from_spec(cls, path: str, *, constants: dict[str, int] | None = None, variant: str | None = None,
                  **options: Any) -> "Oracle":
        from kspec.pipeline import build_model  # the parser (lark) is loaded only here
        mr = build_model(str(path), variant=variant, constants=dict(constants or {}))
        if mr.model is None:
            raise SpecError(mr.diagnostics, mr.sources)
        origin = {"spec": str(path), "variant": variant, "constants": dict(constants or {})}
        return cls(mr.model, origin=origin, **options)

    @classmethod
    def from_model(cls, model_file: str, *, constants: dict[str, int] | None = None,
                   variant: str | None = None, **options: Any) -> "Oracle":
        """From a model file (`model/*.toml`): its spec, variant and constants
        (overridable); its `[check] only/disable` choose the enforced properties."""
        from kspec.config import load_model_file
        from kspec.pipeline import build_model
        mf, diags = load_model_file(str(model_file))
        if mf is None:
            raise SpecError(diags)
        consts = dict(mf.constants)
        consts.update(constants or {})
        mr = build_model(mf.spec_path, variant=variant or mf.variant, constants=consts)
        if mr.model is None:
            raise SpecError(mr.diagnostics, mr.sources)
        if "properties" not in options and (mf.only or mf.disable):
            options["properties"] = [p.name for p in mr.model.properties
                                     if (not mf.only or p.name in mf.only) and p.name not in mf.disable]
        origin = {"model": str(model_file), "spec": mf.spec_path, "variant": variant,
                  "constants": dict(constants or {})}
        return cls(mr.model, origin=origin, **options)

    def __repr__(self) -> str:
        o = self.origin
        extra = "".join(f", {k}={o[k]!r}" for k in ("variant", "constants") if o.get(k))
        if "model" in o:
            return f"Oracle.from_model({o['model']!r}{extra})"
        return f"Oracle.from_spec({o.get('spec', self.model.file)!r}{extra})"

    # ---- state ----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every observation: back to the initial state."""
        self._cands = frozenset([tuple(self.model.init)])
        self.count = 0
        self.last_rejected: Observed | None = None  # the last event refused (KS4001, KS4006, KS4007)
        if self._history is not None:
            self._history.clear()

    @property
    def candidates(self) -> frozenset:
        """The model states consistent with the observations (before hidden steps)."""
        return self._cands

    @property
    def events(self) -> list[Observed]:
        """The observed events kept (the last `history` of them)."""
        if self._history is None:
            return []
        return [decode_record(r, self._codecs) for r in self._history]

    @property
    def event_names(self) -> list[str]:
        return list(self._codecs)

    def has_result(self, event: str) -> bool:
        """Whether the declared event returns a value."""
        return self._codecs[event].result_sort is not None

    # ---- observing ------------------------------------------------------------------
    def observe(self, event: str, /, thread: str | None = None, result: Any = None, **args: Any) -> None:
        """Record that the implementation performed `event` (with keyword
        arguments as declared, its `result` if any, in `thread` if known).
        Raises ConformanceError if the spec does not allow it. Thread-safe:
        observations are serialized in the order they take the oracle's lock."""
        __tracebackhide__ = True
        with self._lock:
            self._observe(event, thread, NOT_GIVEN if result is None else result, args, None, None)

    def observe_record(self, event: str, thread: str | None, result: Any, args: dict, *, ts: Any = None,
                       where: Span | None = None) -> None:
        """`observe` with the result as given (NOT_GIVEN: not observed), a
        timestamp and the trace-file position shown in reports."""
        __tracebackhide__ = True
        with self._lock:
            self._observe(event, thread, result, args, ts, where)

    def _observe(self, event: str, thread: str | None, result: Any, args: dict, ts: Any,
                 where: Span | None) -> None:
        __tracebackhide__ = True
        codec = self._codecs.get(event)
        if codec is None:
            raise self._refuse(E.unknown_event(self.model.spec_name, str(event), list(self._codecs), where),
                               event, thread, args, result, ts)
        try:
            key = (event, thread, codec.encode_args(args), codec.encode_result(result))
        except ValueProblem as p:
            raise self._refuse(E.bad_args(str(p), where, p.hint), event, thread, args, result, ts) from None
        if thread is not None and (not isinstance(thread, str) or thread not in self._threads):
            raise self._refuse(E.bad_args(f"`{thread}` is not a thread of `{self.model.spec_name}`", where,
                                          did_you_mean(str(thread), self._threads) or
                                          "threads are the spec's processes and actions: "
                                          + ", ".join(sorted(self._threads))), event, thread, args, result, ts)
        hit = self._steps.get((self._cands, key))
        if hit is None:
            try:
                hit = self._step(key, ts, where)
            except ConformanceError as e:
                self.last_rejected = e.rejected
                raise
        self._cands = hit[0]
        self.count += 1
        if self._history is not None:
            self._history.append((self.count, event, thread, key[2], key[3], hit[1], ts, where))

    def _step(self, key: tuple, ts: Any, where: Span | None) -> tuple[frozenset, str | None]:
        __tracebackhide__ = True
        name, thread, args, result = key
        states = self._closure(key, ts, where)
        ok, bad = [], []
        matching, shared = self.engine.matching, len(states) > 1
        for h in states:
            for en in matching(h, name, args, shared):
                if (result is NOT_GIVEN or en.result == result) and \
                        (thread is None or en.threads is None or thread in en.threads):
                    (bad if en.problems else ok).append(en)
        if not ok:
            raise self._reject(key, states, bad, ts, where)
        actor = self._actors
        if len(ok) == 1:
            hit = (frozenset((ok[0].post,)), actor[ok[0].tid])
        else:
            actors = {actor[en.tid] for en in ok}
            hit = (frozenset(en.post for en in ok), actors.pop() if len(actors) == 1 else None)
        if len(self._steps) >= _STEP_CACHE_LIMIT:
            self._steps.clear()
        self._steps[(self._cands, key)] = hit
        return hit

    def _closure(self, key: tuple, ts: Any, where: Span | None) -> frozenset:
        __tracebackhide__ = True
        try:
            return self.engine.closure(self._cands, self.hidden_steps, self.max_candidates)
        except HiddenBoundExceeded as b:
            raise self._error(E.bound(self._pending(key, ts, where), b.reason, b.states, self.hidden_steps),
                              self._pending(key, ts, where)) from None

    def _pending(self, key: tuple, ts: Any, where: Span | None) -> Observed:
        name, thread = key[0], key[1]
        actors = {self.model.transitions[t].actor for t in self._event_tids.get(name, [])
                  if thread is None or self.engine.threads[t] is None or thread in self.engine.threads[t]}
        actor = actors.pop() if len(actors) == 1 else None
        return decode_record((self.count + 1, *key, actor, ts, where), self._codecs)

    def _reject(self, key: tuple, states: frozenset, bad: list, ts: Any, where: Span | None) -> ConformanceError:
        o = self._pending(key, ts, where)
        if bad:
            problems = sorted({f"`{p}`: {m}" for en in bad for p, m in en.problems})
            return self._error(E.violation(self.model.spec_name, o, problems), o)
        name, thread, args, result = key
        tids = [t for t in self._event_tids.get(name, []) if thread is None or
                self.engine.threads[t] is None or thread in self.engine.threads[t]]
        if not tids:
            who = sorted({self.model.transitions[t].actor for t in self._event_tids.get(name, [])})
            reasons = [f"thread `{thread}` never emits `{name}`" + (f"; it is emitted by {', '.join(who)}"
                                                                  if who else "; no step emits it")]
        else:
            reasons = E.explain_rejection(self.explainer, states, tids, args, result)
        diag = E.rejected(self.model.spec_name, o, len(states), reasons,
                          E.hidden_violations(self.explainer, states))
        return self._error(diag, o)

    def _refuse(self, diag, event, thread, args: dict, result, ts) -> ConformanceError:
        """An observation that names no event or bad values: kept as given."""
        self.last_rejected = Observed(self.count + 1, str(event), thread, {k: plain(v) for k, v in args.items()},
                                      plain(result), ts=ts, where=diag.span)
        return self._error(diag)

    def _error(self, diag, rejected: Observed | None = None) -> ConformanceError:
        events = self.events
        omitted = self.count - len(events)
        return ConformanceError(diag, events, rejected, omitted, self.origin.get("sources"))

    # ---- quiescence -----------------------------------------------------------------
    def check_quiescent(self, *, where: Span | None = None) -> None:
        """Some consistent state (after hidden steps) has every process
        finished, idle or back at its first step, no lock held, and no leaked
        object (the `leak` property, if active)."""
        __tracebackhide__ = True
        try:
            states = self.engine.closure(self._cands, self.hidden_steps, self.max_candidates)
        except HiddenBoundExceeded as b:
            o = Observed(self.count + 1, "<quiescence>", None, {}, NOT_GIVEN, where=where)
            raise self._error(E.bound(o, b.reason, b.states, self.hidden_steps)) from None
        per_state = []
        for s in sorted(states):
            reasons = self.explainer.not_quiescent(s)
            if not reasons:
                return
            if len(per_state) < E.MAX_STATES_EXPLAINED:
                per_state.append(reasons)
        raise self._error(E.not_quiescent(self.model.spec_name, self.count, per_state, where))

    def is_quiescent(self) -> bool:
        try:
            self.check_quiescent()
        except ConformanceError:
            return False
        return True

    # ---- what may come next -----------------------------------------------------------
    def enabled(self) -> list[dict]:
        """The events the spec allows next, over every consistent state: dicts
        with `event`, `thread` (the actor), `args` and `results` (possible
        results, empty if the event has none). Sorted, so generation is
        deterministic."""
        try:
            states = self.engine.closure(self._cands, self.hidden_steps, self.max_candidates)
        except HiddenBoundExceeded as b:
            o = Observed(self.count + 1, "<next event>", None, {}, NOT_GIVEN)
            raise self._error(E.bound(o, b.reason, b.states, self.hidden_steps)) from None
        found: dict[tuple, set] = {}
        for h in states:
            for name, entries in self.engine.succ(h).events.items():
                for en in entries:
                    if en.problems:
                        continue
                    actor = self.model.transitions[en.tid].actor
                    found.setdefault((name, actor, en.args), set()).add(en.result)
        out = []
        for (name, actor, args), results in sorted(found.items(), key=lambda kv: (kv[0], )):
            codec = self._codecs[name]
            res = sorted(r for r in results if r is not None)
            out.append({"event": name, "thread": actor, "args": codec.decode_args(args),
                        "results": [codec.decode_result(r) for r in res]})
        return out

    def replay_command(self, trace_path: str) -> str:
        """The `kspec conform` command line that replays a written trace."""
        o = self.origin
        target = o.get("model") or o.get("spec") or self.model.file
        parts = ["kspec", "conform", str(target), str(trace_path)]
        if o.get("variant"):
            parts += ["--variant", str(o["variant"])]
        for k, v in (o.get("constants") or {}).items():
            parts += ["--const", f"{k}={v}"]
        if self.hidden_steps != DEFAULT_HIDDEN_STEPS:
            parts += ["--hidden-steps", str(self.hidden_steps)]
        return " ".join(parts)

    def write_trace(self, path: str, *, include_rejected: bool = True) -> None:
        """Write the kept observed events as JSON Lines (`kspec conform`
        input), followed by the last refused event, so that replaying the
        file fails where the test failed."""
        from kspec.oracle.report import observed_json
        events = self.events
        if include_rejected and self.last_rejected is not None:
            events.append(self.last_rejected)
        with open(path, "w", encoding="utf-8") as f:
            f.write(observed_json(events))


def _active_properties(model: N.Model, properties: Iterable[str] | None) -> frozenset[str]:
    enforceable = {p.name for p in model.properties if p.kind in ("check", "invariant")}
    if properties is None:
        return frozenset(enforceable)
    chosen = set(properties)
    unknown = chosen - {p.name for p in model.properties}
    if unknown:
        name = sorted(unknown)[0]
        raise ValueError(f"`{name}` is not a property of `{model.spec_name}`"
                         + (f" ({did_you_mean(name, enforceable)})" if did_you_mean(name, enforceable) else ""))
    return frozenset(chosen & enforceable)

