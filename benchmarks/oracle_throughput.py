"""Oracle throughput: observed events per second.

Traces are random walks of the models themselves (so every trace conforms):
every step is taken, only the steps that `emit` are written down.

* counters  -- every step is observable: the set of consistent states stays
               a single state (a deterministic trace); 6 counters, 262,144
               states, so a long walk keeps meeting new states.
* channel   -- examples/dmaengine_channel: the controller's interrupt and the
               tasklet's grab are hidden.
* dmm       -- examples/tidspbridge_dmm (refcount, 2 threads): which call a
               thread is in, and how far it got, is hidden.

For each: the Python API (`Oracle.observe`) with its caches (what a long
trace sees), the API with every cache cleared after each event (each event
computed from scratch: the worst case), and `kspec conform` streaming a
JSON Lines file. Usage: python benchmarks/oracle_throughput.py [--events N]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))

from kspec.cli import main as kspec_main  # noqa: E402
from kspec.oracle.core import Oracle  # noqa: E402

COUNTERS = """
/// Six counters; every step is an observable event.
spec counters
sort T = 0..5
event inc(t: T) -> 0..7
event dec(t: T) -> 0..7
var c: map[T, 0..7] = 0
action do_inc(t: T) when c[t] < 7 { c[t] := c[t] + 1; emit inc(t) -> c[t]; }
action do_dec(t: T) when c[t] > 0 { c[t] := c[t] - 1; emit dec(t) -> c[t]; }
"""


def walk(oracle: Oracle, n: int, seed: int = 1, avoid: tuple[str, ...] = ()) -> list[tuple]:
    """n observable events of one random run of the model: (event, thread, args,
    result). Events in `avoid` end the run (the channel's `free_param`) and are not taken."""
    eng, model, rng = oracle.engine, oracle.model, random.Random(seed)
    codecs = {e.name: e for e in model.events}
    s, out = tuple(model.init), []
    while len(out) < n:
        succ = eng.succ(s)
        moves = [(None, p) for p in succ.hidden] + [(e, e.post) for name, es in succ.events.items()
                                                      if name not in avoid for e in es if not e.problems]
        if not moves:
            raise RuntimeError(f"the run is stuck after {len(out)} events")
        entry, s = rng.choice(moves)
        if entry is not None:
            t = model.transitions[entry.tid]
            sig = codecs[t.event.name]
            args = {p: _value(sort, v) for (p, sort), v in zip(sig.params, entry.args)}
            res = _value(sig.result, entry.result) if sig.result is not None else None
            out.append((t.event.name, t.actor if t.pc is not None else None, args, res))
    return out


def _value(sort, v):
    from kspec.oracle.values import decode_value
    return decode_value(sort, v)


def api_rate(spec: str, variant: str | None, trace: list[tuple], cold: bool = False) -> float:
    """A new oracle (empty caches) observing the trace; with `cold`, every
    cache is emptied after each event."""
    oracle = Oracle.from_spec(spec, variant=variant)
    eng = oracle.engine
    observe = oracle.observe
    start = time.process_time()
    for event, thread, args, result in trace:
        observe(event, thread=thread, result=result, **args)
        if cold:
            oracle._steps.clear()
            eng._hidden.clear()
            eng._match.clear()
            eng._closure.clear()
            eng._bad_state.clear()
    return len(trace) / (time.process_time() - start)


def cli_rate(spec: str, trace: list[tuple], variant: str | None) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for event, thread, args, result in trace:
            d = {"event": event}
            if thread:
                d["thread"] = thread
            if args:
                d["args"] = args
            if result is not None:
                d["result"] = result
            f.write(json.dumps(d) + "\n")
        path = f.name
    argv = ["conform", spec, path] + (["--variant", variant] if variant else [])
    start = time.process_time()
    code = _quiet(argv)
    secs = time.process_time() - start
    os.unlink(path)
    assert code == 0, f"kspec conform exited {code}"
    return len(trace) / secs


def _quiet(argv: list[str]) -> int:
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        return kspec_main(argv)


def run(name: str, spec: str, variant: str | None, n: int, n_cold: int, avoid: tuple[str, ...] = ()) -> dict:
    oracle = Oracle.from_spec(spec, variant=variant)
    trace = walk(oracle, n, avoid=avoid)
    sizes = []
    probe = oracle.fresh(history=0)
    for event, thread, args, result in trace[:20_000]:
        probe.observe(event, thread=thread, result=result, **args)
        sizes.append(len(probe.engine.closure(probe.candidates, probe.hidden_steps, probe.max_candidates)))
    row = {"trace": name, "events": n, "mean_states": sum(sizes) / len(sizes), "max_states": max(sizes),
           "api_warm": api_rate(spec, variant, trace), "api_cold": api_rate(spec, variant, trace[:n_cold], cold=True),
           "cli": cli_rate(spec, trace, variant)}
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--cold-events", type=int, default=20_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".kspec", delete=False) as f:
        f.write(COUNTERS)
        counters = f.name
    ex = os.path.join(ROOT, "examples")
    rows = [run("counters (deterministic)", counters, None, args.events, args.cold_events),
            run("channel (hidden steps)", os.path.join(ex, "dmaengine_channel", "channel.kspec"), None,
                args.events, args.cold_events, avoid=("free_param",)),
            run("dmm (hidden steps)", os.path.join(ex, "tidspbridge_dmm", "dmm.kspec"), "refcount",
                args.events, args.cold_events)]
    os.unlink(counters)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'trace':26} {'events':>9} {'states/event':>13} {'API events/s':>13} {'API, no caches':>14} "
          f"{'CLI events/s':>13}")
    for r in rows:
        print(f"{r['trace']:26} {r['events']:>9,} {r['mean_states']:>8.1f} (<={r['max_states']})"
              f" {r['api_warm']:>13,.0f} {r['api_cold']:>14,.0f} {r['cli']:>13,.0f}")
    print("states/event: consistent states after hidden steps, before each event (mean, max), first 20,000 events")


if __name__ == "__main__":
    main()
