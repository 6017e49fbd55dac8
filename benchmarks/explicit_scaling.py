"""Explicit-engine scaling benchmark (reproducible; prints a table).

For the tidspbridge refcount variant over THREADS x OBJS (2..4 x 1..3, until a
run passes --budget seconds), each configuration runs in a fresh subprocess
and reports distinct states, transitions fired, wall time, states/s and peak
resident memory. Then it times the end-to-end CLI run (process start to printed
counterexample) of the original variant's use-after-free model.

With `--workers N` it runs the workers series instead: refcount 3x3, 4x2 and 4x3
with one process (the sequential engine) and with N worker processes
(kspec.explicit.parallel), best of `--repeat` runs each, and prints states/s, the
speed-up in wall time, and the CPU seconds of each worker (their sum over the
sequential CPU time is the work the parallel search adds; on a machine with
other jobs running, wall-time speed-ups are lower than the CPU figures suggest).

    .venv/bin/python benchmarks/explicit_scaling.py [--budget 60] [--variant refcount] [--json out.json]
    .venv/bin/python benchmarks/explicit_scaling.py --workers 2 [--repeat 3] [--store full|compact]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, resource, sys, time
from kspec.pipeline import build_model
from kspec.explicit.compile import compile_model
from kspec.explicit.explore import explore, Limits
from kspec.explicit.symmetry import Symmetry
from kspec.explicit.parallel import explore_parallel
variant, threads, objs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
workers = int(sys.argv[8]) if len(sys.argv) > 8 else 1
sym = tuple(x for x in sys.argv[6].split(",") if x)
t0 = time.perf_counter()
mr = build_model(sys.argv[4], variant=variant, constants={"THREADS": threads, "OBJS": objs, "INIT_MAPPED": True},
                 symmetric=sym)
model = mr.model
cm = compile_model(model)
t1 = time.perf_counter()
c1 = time.process_time()
limits = Limits(max_seconds=float(sys.argv[5]), store=sys.argv[7])
symmetry = Symmetry(model) if sym else None
if workers > 1:
    ex = explore_parallel(cm, {p.name for p in model.properties}, limits, workers, symmetry=symmetry)
else:
    ex = explore(cm, {p.name for p in model.properties}, limits, symmetry=symmetry)
t2 = time.perf_counter()
cpu = getattr(ex.store, "worker_cpu", None) or [time.process_time() - c1]
print(json.dumps({"states": len(ex.states), "fired": ex.transitions_fired, "complete": ex.complete,
                  "workers": workers, "cpu_s": cpu,
                  "reason": ex.stop_reason, "prepare_s": t1 - t0, "explore_s": t2 - t1,
                  "slots": len(model.slots), "transitions": len(model.transitions),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def run_config(py: str, spec: str, variant: str, threads: int, objs: int, budget: float, sym: str = "",
               store: str = "full", workers: int = 1) -> dict:
    out = subprocess.run([py, "-c", CHILD, variant, str(threads), str(objs), spec, str(budget), sym, store,
                          str(workers)], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def workers_series(py: str, args) -> list[dict]:
    """refcount 3x3, 4x2, 4x3: one process against --workers N (best of --repeat)."""
    n = args.workers
    print(f"tidspbridge/{args.variant}: explicit BFS, all properties, store {args.store}: 1 process vs {n} workers"
          f" (best of {args.repeat}; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"{'T':>2} {'O':>2} {'states':>9} {'1: s':>7} {'1: st/s':>8} {f'{n}: s':>7} {f'{n}: st/s':>8} "
          f"{'speed-up':>8} {'1: cpu s':>8}  {n}: cpu s per worker")
    rows = []
    for threads, objs in ((3, 3), (4, 2), (4, 3)):
        best = {}
        for w in (1, n):
            runs = [run_config(py, args.spec, args.variant, threads, objs, args.budget * 2, args.symmetric,
                               args.store, w) for _ in range(args.repeat)]
            best[w] = min(runs, key=lambda r: r["explore_s"])
        one, par = best[1], best[n]
        assert one["states"] == par["states"], (one["states"], par["states"])
        speedup = one["explore_s"] / max(par["explore_s"], 1e-9)
        print(f"{threads:>2} {objs:>2} {one['states']:>9,} {one['explore_s']:>7.2f} "
              f"{one['states'] / one['explore_s']:>8,.0f} {par['explore_s']:>7.2f} "
              f"{par['states'] / par['explore_s']:>8,.0f} {speedup:>8.2f} {one['cpu_s'][0]:>8.2f}  "
              + " ".join(f"{c:.2f}" for c in par["cpu_s"]))
        rows.append({"threads": threads, "objs": objs, "one": one, "parallel": par, "workers": n,
                     "speedup": speedup})
    return rows


def end_to_end(kspec: str, model: str, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([kspec, "check", model], capture_output=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=60.0, help="stop the series after a run exceeds this")
    ap.add_argument("--variant", default="refcount")
    ap.add_argument("--spec", default="spec/tidspbridge.kspec")
    ap.add_argument("--json", help="also write the rows as JSON to this file")
    ap.add_argument("--symmetric", default="", help="comma-separated sorts to treat as symmetric (e.g. Thread)")
    ap.add_argument("--store", default="full", choices=("full", "compact", "bitstate"))
    ap.add_argument("--workers", type=int, default=0, help="run the workers series: 1 process vs N workers")
    ap.add_argument("--repeat", type=int, default=3, help="workers series: runs per configuration (best kept)")
    args = ap.parse_args()
    py = sys.executable
    if args.workers > 1:
        rows = workers_series(py, args)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"workers_series": rows}, f, indent=1)
        return
    kspec = os.path.join(os.path.dirname(py), "kspec")
    rows = []
    print(f"tidspbridge/{args.variant}: explicit BFS, all properties, one core, store {args.store}"
          + (f", symmetric {args.symmetric}" if args.symmetric else ""))
    print(f"{'T':>2} {'O':>2} {'states':>10} {'fired':>11} {'explore s':>10} {'states/s':>10} "
          f"{'prepare s':>9} {'peak MiB':>9} {'B/state*':>9}  complete")
    stop = False
    for threads in (2, 3, 4):
        for objs in (1, 2, 3):
            r = run_config(py, args.spec, args.variant, threads, objs, args.budget * 2, args.symmetric, args.store)
            rate = r["states"] / max(r["explore_s"], 1e-9)
            per_state = r["maxrss_kb"] * 1024 / max(r["states"], 1)
            print(f"{threads:>2} {objs:>2} {r['states']:>10,} {r['fired']:>11,} {r['explore_s']:>10.2f} "
                  f"{rate:>10,.0f} {r['prepare_s']:>9.2f} {r['maxrss_kb'] / 1024:>9.1f} {per_state:>9.0f}  "
                  f"{r['complete']}")
            rows.append({"threads": threads, "objs": objs, **r, "states_per_s": rate})
            if r["explore_s"] > args.budget:
                stop = True
                break
        if stop:
            break
    print("* peak RSS of the whole process divided by states (an upper bound per stored state)")
    model = "model/tidspbridge_original_uaf.toml"
    e2e = end_to_end(kspec, model)
    print(f"end to end `kspec check {model}` (process start to printed counterexample), best of 5: "
          f"{e2e:.3f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "end_to_end_s": e2e}, f, indent=1)


if __name__ == "__main__":
    main()
