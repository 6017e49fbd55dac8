"""Explicit-engine findings -> traces and the texts people read: which
conjunct failed, who waits for whom in a deadlock, and lockdep's report for
lock-order cycles, recursion and inconsistent irq usage (after
kernel/locking/lockdep.c's print_circular_bug)."""
from __future__ import annotations

from kspec.explicit.explore import Exploration, LockdepEdge, Violation
from kspec.ir import nodes as N
from kspec.report.trace import Trace, TraceStep, show_value, step_span


def path_steps(ex: Exploration, idx: int) -> list[TraceStep]:
    return [TraceStep(tid, s) for tid, s in ex.trace_to(idx)]


def matching(ex: Exploration, s: tuple, tid: int, pred) -> int:
    """The transition of concrete state s that plays the role of `tid` (which
    was found on a symmetry representative): same process family and label,
    attempted in s, and satisfying pred."""
    if ex.symmetry is None:
        return tid
    model, cm = ex.compiled.model, ex.compiled
    t = model.transitions[tid]
    family = t.actor.split("[")[0]
    for k, u in enumerate(model.transitions):
        if u.label == t.label and u.actor.split("[")[0] == family and cm.attempted(s, k) and pred(k):
            return k
    return tid


def attempt_step(ex: Exploration, idx: int, tid: int, note: str, pred=lambda k: True) -> TraceStep:
    cm = ex.compiled
    s = ex.concrete_state(idx)
    tid = matching(ex, s, tid, pred)
    if cm.blocks[tid](s):
        return TraceStep(tid, cm.applies[tid](s), note)
    return TraceStep(tid, s, (note + "; " if note else "") + "blocks")


def check_trace(ex: Exploration, v: Violation) -> tuple[Trace, str]:
    cm = ex.compiled
    prop = cm.model.transitions[v.tid].checks[v.detail].prop
    s = ex.concrete_state(v.state)

    def failing(k: int):
        return next((c for c, f in zip(cm.model.transitions[k].checks, cm.check_fns[k]) if c.prop == prop and f(s)),
                    None)
    tid = matching(ex, s, v.tid, lambda k: failing(k) is not None)
    check = failing(tid) or cm.model.transitions[v.tid].checks[v.detail]
    steps = path_steps(ex, v.state) + [attempt_step(ex, v.state, tid, check.message)]
    where = f" at {check.span}" if check.span else ""
    return Trace(ex.compiled.model, tuple(steps), check.message), f"{check.message}{where}"


def invariant_trace(ex: Exploration, v: Violation) -> tuple[Trace, str]:
    cm = ex.compiled
    s = ex.concrete_state(v.state)
    fns = next(c for n, _, c in cm.invariants if n == v.prop)
    prop = next(p for p in cm.model.state_properties if p.name == v.prop)
    failed = []
    for c, f in zip(prop.conjuncts, fns):
        try:
            ok = f(s)
        except Exception:  # evaluation error counts as a failure of that conjunct
            ok = False
        if not ok:
            failed.append(c.description)
    text = "failed conjunct: " + failed[0] if len(failed) == 1 else \
        "failed conjuncts:\n" + "\n".join(f"  - {d}" for d in failed)
    return Trace(cm.model, tuple(path_steps(ex, v.state)), f"invariant `{v.prop}` violated"), text


def error_trace(ex: Exploration, v: Violation) -> tuple[Trace, str]:
    """The path to the state, then the step whose expressions cannot be
    evaluated there (an index outside a map's keys, a division by zero)."""
    from kspec.explicit.compile import EvalError
    cm = ex.compiled
    steps = path_steps(ex, v.state)
    s = steps[-1].state
    failing = None
    for tid in range(len(cm.model.transitions)):
        try:
            if cm.attempted(s, tid) and cm.blocks[tid](s):
                cm.applies[tid](s)
        except (EvalError, IndexError, ValueError, ZeroDivisionError):
            failing = tid
            break
    what = f"cannot be evaluated: {v.detail}"
    if failing is not None:
        steps.append(TraceStep(failing, s, what))
        t = cm.model.transitions[failing]
        where = f" at {t.span}" if t.span else ""
        report = f"step {t.name}{where} {what}"
    else:
        steps.append(TraceStep(None, s, what, actor="(evaluation)"))
        report = f"a property {what}"
    return Trace(cm.model, tuple(steps), f"evaluation error: {v.detail}"), report


def witness_trace(ex: Exploration, v: Violation) -> Trace:
    return Trace(ex.compiled.model, tuple(path_steps(ex, v.state)), f"witness `{v.prop}` reached")


def lasso_trace(ex: Exploration, prop: N.Progress, lasso) -> tuple[Trace, str]:
    """A progress counterexample: the path to where the obligation arises,
    then Q-free steps into a state that is stuck forever or a weakly fair
    cycle that repeats forever (kspec.explicit.liveness)."""
    model = ex.compiled.model
    states = ex.store.states
    steps = []
    last = len(lasso.steps) - 1
    for k, (tid, idx) in enumerate(lasso.steps):
        notes = []
        if k == lasso.pre_at and k > 0:
            notes.append("obligation arises")
        if k == last:
            notes.append(f"back to state {lasso.loop_at}: repeats forever" if lasso.loop_at is not None
                         else "stuck here forever: no step is enabled")
        steps.append(TraceStep(tid, states[idx], "; ".join(notes)))
    pre, post = prop.pre_text, prop.post_text
    head = f"progress `{lasso.label}` fails: `{pre}` holds in state {lasso.pre_at}, and `{post}` never holds afterwards"
    if lasso.loop_at is not None:
        tail = (f"  states {lasso.loop_at}..{last} form a cycle that repeats forever; it is weakly fair: every "
                "process instance and action either steps in it or is disabled somewhere in it")
    else:
        tail = f"  state {last} is stuck: no process or action can take a step (the execution stays there)"
    return Trace(model, tuple(steps), f"progress `{lasso.label}` fails"), head + "\n" + tail


def deadlock_trace(ex: Exploration, v: Violation) -> tuple[Trace, str]:
    """The path to the stuck state, then one blocked attempt per waiting
    process (contracts §0.4 C2), and who waits for whom."""
    cm = ex.compiled
    model = cm.model
    steps = path_steps(ex, v.state)
    s = steps[-1].state
    lines = []
    for p in model.processes:
        if s[p.pc_slot] >= p.done_value:
            continue
        tids = [i for i, t in enumerate(model.transitions) if t.pc == (p.pc_slot, s[p.pc_slot])]
        attempted = [i for i in tids if cm.attempted(s, i)]
        label = p.labels[s[p.pc_slot]]
        if attempted:
            t = model.transitions[attempted[0]]
            waits = [(b.lock, model.pids[s[b.owner_slot]]) for b in t.blockers if s[b.owner_slot] >= 0]
            short = ", ".join(f"{lock} ({owner})" for lock, owner in waits) or "a lock"
            steps.append(TraceStep(attempted[0], s, f"blocked on {short}"))
            long = "; ".join(f"{lock}, held by {owner}" for lock, owner in waits) or "a lock"
            lines.append(f"  {p.name} at {label}: waits for {long}")
        else:
            steps.append(TraceStep(None, s, f"{label}: blocked, await never true", actor=p.name))
            lines.append(f"  {p.name} at {label}: waits for a condition that never becomes true (await/choose)")
    text = "*** DEADLOCK ***\n" + "\n".join(lines)
    return Trace(model, tuple(steps), "deadlock"), text


def wait_cycle_trace(ex: Exploration, v: Violation) -> tuple[Trace, str]:
    """The path to the state, then one blocked attempt per process of the cycle."""
    model, cm = ex.compiled.model, ex.compiled
    steps = path_steps(ex, v.state)
    s = steps[-1].state
    cycle: list[str] = v.detail  # type: ignore[assignment]
    if ex.symmetry is not None:  # the concrete state's processes may be others of the orbit
        from kspec.explicit.explore import wait_cycle
        succs, bad = cm.expand(s, {"wait_cycle"})
        cycle = wait_cycle(model, s, succs, [t for t, k in bad if k < 0]) or cycle
    lines = []
    for k, who in enumerate(cycle):
        nxt = cycle[(k + 1) % len(cycle)]
        p = next(p for p in model.processes if p.name == who)
        tid = next(i for i, t in enumerate(model.transitions)
                   if t.pc == (p.pc_slot, s[p.pc_slot]) and cm.attempted(s, i) and not cm.blocks[i](s))
        locks = [b.lock for b in model.transitions[tid].blockers if s[b.owner_slot] >= 0
                 and model.pids[s[b.owner_slot]] == nxt]
        steps.append(TraceStep(tid, s, f"blocked on {', '.join(locks)} ({nxt})"))
        lines.append(f"  {who} at {p.labels[s[p.pc_slot]]}: waits for {', '.join(locks)}, held by {nxt}")
    text = "*** DEADLOCK *** (a cycle of lock waits; other processes may still run)\n" + "\n".join(lines)
    return Trace(model, tuple(steps), "wait cycle"), text


def lockdep_traces(ex: Exploration, v: Violation) -> tuple[Trace, str, list[tuple[str, Trace]]]:
    model = ex.compiled.model
    if v.prop == "lockdep_cycle":
        cycle: list[LockdepEdge] = v.detail  # type: ignore[assignment]
        extra = []
        for e in cycle:
            def attempts_dst(k: int, dst=e.dst) -> bool:
                return any(a.lock_class == dst for a in model.transitions[k].lock_attempts)
            steps = path_steps(ex, e.state) + [attempt_step(ex, e.state, e.tid, f"acquires {e.target_lock} "
                                                            f"while holding {e.held_lock}", attempts_dst)]
            extra.append((f"edge {e.src} -> {e.dst}", Trace(model, tuple(steps), f"{e.src} -> {e.dst}")))
        return extra[-1][1], lockdep_cycle_report(model, cycle), extra
    if v.prop == "lockdep_recursion":
        held, lock, cls = v.detail  # type: ignore[misc]
        steps = path_steps(ex, v.state) + [attempt_step(ex, v.state, v.tid, f"acquires {lock}")]
        t = model.transitions[v.tid]
        text = ("WARNING: possible recursive locking detected\n"
                f"{t.actor} is trying to acquire lock:\n  ({cls}){{{lock}}} at {_where(t.span)}\n"
                f"but task is already holding lock:\n  ({cls}){{{held}}}\n"
                "other info that might help us debug this:\n"
                f"  Possible unsafe locking scenario:\n        CPU0\n        ----\n   lock({cls});\n"
                f"   lock({cls});\n\n *** DEADLOCK ***\n"
                "  May be due to missing lock nesting notation (a subclass or an acquire context).")
        return Trace(model, tuple(steps), "possible recursive locking"), text, []
    d = v.detail  # irq inconsistency
    cls, irq = d["class"], d["irq"]
    used_idx, used_tid, _ = d["used"]
    en_idx, en_tid, _ = d["enabled"]
    t_used, t_en = model.transitions[used_tid], model.transitions[en_tid]
    extra = [(f"{{IN-{irq}}} usage", Trace(model, tuple(path_steps(ex, used_idx) + [
        attempt_step(ex, used_idx, used_tid, f"takes {cls} in {irq.lower()} context")]), "irq usage")),
        (f"{{{irq}-ON}} usage", Trace(model, tuple(path_steps(ex, en_idx) + [
            attempt_step(ex, en_idx, en_tid, f"takes {cls} with {irq.lower()}s enabled")]), "enabled usage"))]
    text = ("WARNING: inconsistent lock state\n"
            f"inconsistent {{IN-{irq}-W}} -> {{{irq}-ON-W}} usage.\n"
            f"lock class `{cls}`:\n"
            f"  {{IN-{irq}-W}} state was registered at: {t_used.name} ({_where(t_used.span)})\n"
            f"  {{{irq}-ON-W}} state was registered at: {t_en.name} ({_where(t_en.span)})\n"
            "Possible unsafe locking scenario:\n       CPU0\n       ----\n"
            f"  lock({cls});\n  <Interrupt>\n    lock({cls});\n\n *** DEADLOCK ***")
    later = extra[0] if used_idx >= en_idx else extra[1]
    return later[1], text, extra


def _where(span) -> str:
    return f"{span.file.rsplit('/', 1)[-1]}:{span.line}" if span else "?"


def lockdep_cycle_report(model: N.Model, cycle: list[LockdepEdge]) -> str:
    first, last = cycle[0], cycle[-1]
    t_last = model.transitions[last.tid]
    lines = ["WARNING: possible circular locking dependency detected",
             f"{t_last.actor} is trying to acquire lock:",
             f"  ({last.dst}){{{last.target_lock}}} at {_where(t_last.span)}",
             "but task is already holding lock:",
             f"  ({last.src}){{{last.held_lock}}}",
             "which lock already depends on the new lock.",
             "the existing dependency chain (in reverse order) is:"]
    for k, e in enumerate(reversed(cycle)):
        t = model.transitions[e.tid]
        lines.append(f"-> #{k} ({e.dst}): first seen when {t.name} acquired {e.target_lock} while holding "
                     f"{e.held_lock} ({_where(t.span)}, depth {e.depth + 1})")
    if len(cycle) == 2:
        a, b = first.src, first.dst
        lines += ["other info that might help us debug this:",
                  " Possible unsafe locking scenario:",
                  "       CPU0                    CPU1",
                  "       ----                    ----",
                  f"  lock({a});".ljust(26) + "",
                  "".ljust(26) + f"lock({b});",
                  "".ljust(26) + f"lock({a});",
                  f"  lock({b});"]
    lines.append("\n *** DEADLOCK ***")
    return "\n".join(lines)
