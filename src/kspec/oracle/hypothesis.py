"""Hypothesis adaptor: event sequences from a spec, and lockstep model-based tests.

* `event_sequences(spec, ...)` is a strategy of event lists the spec allows
  (each event with its thread, arguments and a result the spec allows), built
  by walking the model with hidden steps in between. Replay them against an
  implementation and observe what it does on an `Oracle`.
* `lockstep(data, oracle, drivers, ...)` drives an implementation and the
  model together from inside a `@given(st.data())` test: at each step it
  draws one call the spec allows now (whose event has a driver), a stimulus
  (hardware, another CPU: anything the test can make happen), or the
  resumption of a thread parked at a preemption point (with a `Scheduler`),
  and observes each call's result on the oracle. The implementation may also
  report events itself (callbacks). A ConformanceError fails the example, and
  Hypothesis shrinks the draws to the shortest failing sequence.

Generation only depends on the oracle's consistent states and on the draws,
so a failing sequence replays exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from hypothesis import note
from hypothesis import strategies as st

from kspec.oracle.core import Oracle
from kspec.oracle.sched import Scheduler
from kspec.oracle.values import show


_GENERATED = object()


@dataclass(frozen=True)
class Event:
    """One event of a generated sequence."""

    event: str
    thread: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    result: Any = None  # None: the event has no result

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={show(v)}" for k, v in self.args.items())
        res = "" if self.result is None else f" -> {show(self.result)}"
        return f"{self.thread or '?'}: {self.event}({args}){res}"

    def observe_on(self, oracle: Oracle, result: Any = _GENERATED) -> None:
        """Observe this event on `oracle` with `result` -- what the
        implementation returned (None: not observed) -- or, when not given,
        the generated result."""
        __tracebackhide__ = True
        oracle.observe(self.event, thread=self.thread, result=self.result if result is _GENERATED else result,
                       **dict(self.args))


def _prototype(spec: str | Oracle, variant: str | None, constants: dict | None, options: dict) -> Oracle:
    if isinstance(spec, Oracle):
        return spec
    if str(spec).endswith(".toml"):
        return Oracle.from_model(str(spec), variant=variant, constants=constants, **options)
    return Oracle.from_spec(str(spec), variant=variant, constants=constants, **options)


def event_sequences(spec: str | Oracle, *, variant: str | None = None, constants: dict | None = None,
                    min_events: int = 0, max_events: int = 20, events: list[str] | None = None,
                    **options: Any) -> st.SearchStrategy[list[Event]]:
    """Lists of events the spec allows, in order. `events` restricts which
    events are generated (others must then not be needed to go on: the
    sequence stops when none of the chosen events is allowed)."""
    proto = _prototype(spec, variant, constants, options)

    @st.composite
    def sequences(draw) -> list[Event]:
        oracle = proto.fresh(history=0)
        n = draw(st.integers(min_events, max_events), label="length")
        out: list[Event] = []
        for _ in range(n):
            opts = [o for o in oracle.enabled() if events is None or o["event"] in events]
            if not opts:
                break
            o = draw(st.sampled_from(opts))
            res = draw(st.sampled_from(o["results"])) if o["results"] else None
            ev = Event(o["event"], o["thread"], o["args"], res)
            ev.observe_on(oracle)
            out.append(ev)
        return out
    return sequences()


class Lockstep:
    """The record of one lockstep run: the steps taken, for reports."""

    def __init__(self, oracle: Oracle):
        self.oracle = oracle
        self.steps: list[str] = []
        self.pending: dict[str, tuple[str, dict]] = {}  # thread -> call it is inside

    def __repr__(self) -> str:
        return "\n".join(f"{k + 1:>3}. {s}" for k, s in enumerate(self.steps))


def lockstep(data, oracle: Oracle, drivers: Mapping[str, Callable[..., Any]], *,
             stimuli: Mapping[str, Callable[[], Any]] | None = None, scheduler: Scheduler | None = None,
             max_steps: int = 25, observe_calls: bool = True, quiescent: bool = False) -> Lockstep:
    """Drive the implementation through `drivers` (event name -> function
    called with the event's arguments, returning its result) and `stimuli`
    (name -> function), checking everything on `oracle`. With a `scheduler`,
    each call runs on its thread and may park at preemption points."""
    __tracebackhide__ = True
    run = Lockstep(oracle)
    stimuli = dict(stimuli or {})
    universe = _universe(oracle, drivers, stimuli, scheduler)
    try:
        for _ in range(data.draw(st.integers(0, max_steps)) if universe else 0):
            choice = _choose(data, oracle, universe, drivers, scheduler)
            if choice is None:
                break
            _take(run, choice, drivers, stimuli, scheduler, observe_calls)
        if quiescent and (scheduler is None or not scheduler.parked):
            oracle.check_quiescent()
    finally:
        if run.steps:
            note("lockstep steps:\n" + repr(run))
        if scheduler is not None:
            scheduler.close()
    return run


def _universe(oracle: Oracle, drivers, stimuli, scheduler) -> list[tuple]:
    """Every kind of step, in a fixed order: a draw names the same step in
    every state, so deleting a step while shrinking keeps the others' meaning."""
    calls = sorted({(t.event.name, t.actor) for t in oracle.model.transitions
                    if t.event is not None and t.event.name in drivers})
    out: list[tuple] = [("call", e, a) for e, a in calls]
    if scheduler is not None:
        out += [("resume", a) for a in sorted({a for _, a in calls})]
    return out + [("stimulus", name) for name in stimuli]


def _choose(data, oracle: Oracle, universe: list[tuple], drivers, scheduler) -> tuple | None:
    """The drawn step if it can be taken now, else the next one that can."""
    enabled: dict[tuple, list[dict]] = {}
    for o in oracle.enabled():
        if o["event"] in drivers and not (scheduler is not None and scheduler.busy(o["thread"])):
            enabled.setdefault((o["event"], o["thread"]), []).append(o)
    k = data.draw(st.integers(0, len(universe) - 1))
    for step in universe[k:] + universe[:k]:
        if step[0] == "stimulus":
            return step
        if step[0] == "resume":
            if step[1] in scheduler.parked:
                return step
            continue
        opts = enabled.get((step[1], step[2]))
        if opts:
            args = opts[0]["args"] if len(opts) == 1 else opts[data.draw(st.integers(0, len(opts) - 1))]["args"]
            return ("call", step[1], step[2], tuple(sorted(args.items())))
    return None


def _take(run: Lockstep, choice: tuple, drivers, stimuli, scheduler, observe_calls: bool) -> None:
    __tracebackhide__ = True
    kind = choice[0]
    if kind == "stimulus":
        run.steps.append(f"[{choice[1]}]")
        stimuli[choice[1]]()
        return
    if kind == "resume":
        thread = choice[1]
        run.steps.append(f"{thread}: ... resumes")
        if scheduler.resume(thread):
            _finish(run, scheduler, thread, observe_calls)
        return
    _, event, thread, args = choice
    args = dict(args)
    run.steps.append(f"{thread}: {event}(" + ", ".join(f"{k}={show(v)}" for k, v in args.items()) + ")")
    if scheduler is None:
        result = drivers[event](**args)
        _observe(run, event, thread, args, result, observe_calls)
        return
    run.pending[thread] = (event, args)
    if scheduler.start(thread, drivers[event], **args):
        _finish(run, scheduler, thread, observe_calls)
    else:
        run.steps[-1] += " ... preempted"


def _finish(run: Lockstep, scheduler: Scheduler, thread: str, observe_calls: bool) -> None:
    __tracebackhide__ = True
    event, args = run.pending.pop(thread)
    _observe(run, event, thread, args, scheduler.result(thread), observe_calls)


def _observe(run: Lockstep, event: str, thread: str, args: dict, result: Any, observe_calls: bool) -> None:
    __tracebackhide__ = True
    has_result = run.oracle.has_result(event)
    if has_result:
        run.steps[-1] += f" -> {show(getattr(result, 'name', result))}"
    if observe_calls:
        run.oracle.observe(event, thread=thread, result=result if has_result else None, **args)
