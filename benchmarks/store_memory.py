"""Memory per stored state and search speed of the explicit engine's stores
(issue 7: "memory per stored state at most Spin's").

For each configuration (the designs and properties of spin_vs_kspec.py) and
kspec mode (`default` = full store, `compact`, `bitstate`), two measures:

* **cli**, the method of spin_vs_kspec.py: `kspec check ... --format json
  --traces none` in a fresh process; B/state = (peak RSS - peak RSS of the
  same command with --max-states 1) / states. On tidspbridge this is a lower
  bound: the search first re-uses memory the front end freed (its peak is
  in the baseline).
* **inproc**: a fresh process builds and compiles the model, collects
  garbage, resets the kernel's RSS high-water mark (/proc/self/clear_refs),
  runs `explore`; B/state = (VmHWM after - VmRSS before) / states. The
  interpreter's free lists can still hide a little, but not the front end's
  peak (freed heap is returned with malloc_trim first). Also prints, for the
  compact and bitstate stores, their own structures (*store*:
  `bytes_per_state()`, the fingerprint table or bit array and the
  parent/transition arrays) and the packed frontier at its widest (*frontier*:
  two consecutive BFS levels of records, from the parent links), whose sum is
  what the search needs whatever the allocator re-uses.

states/s = states / exploration seconds. `--src NAME=DIR` runs the kspec
package found in DIR (put first on PYTHONPATH) under NAME, to compare
implementations back to back (runs alternate between them; `--repeat N`
keeps the fastest time and the median memory figure).

    .venv/bin/python benchmarks/store_memory.py [--configs refcount:4x3,terminate_sync:3x2]
        [--modes default,compact] [--src before=/tmp/old/src --src after=src] [--repeat 2]
        [--measures cli,inproc] [--json out.json]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import spin_vs_kspec as SV  # noqa: E402

ROOT = SV.ROOT
SV.MODES.setdefault("bitstate", ("--store", ["--store", "bitstate"]))
STORE = {"default": "full", "compact": "compact", "bitstate": "bitstate"}
DEFAULT_CONFIGS = "refcount:3x3,refcount:4x2,refcount:4x3,refcount:5x2,terminate_sync:3x2"


def series(name: str) -> SV.Series:
    return next(s for s in SV.SERIES if s.name.endswith("/" + name) or s.name == name)


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(key + r":\s+(\d+)", f.read()).group(1))  # type: ignore[union-attr]


def child(sname: str, a: int, b: int, mode: str) -> None:
    """In this process: build, compile, reset the high-water mark, explore."""
    from kspec.explicit.compile import compile_model
    from kspec.explicit.explore import Limits, explore
    from kspec.pipeline import build_model
    s = series(sname)
    consts = {s.consts[0]: a, s.consts[1]: b}
    for k, v in s.fixed.items():
        consts[k] = {"true": True, "false": False}.get(v, v if not str(v).lstrip("-").isdigit() else int(v))
    model = build_model(os.path.join(ROOT, s.spec), variant=s.variant, constants=consts).model
    assert model is not None
    cm = compile_model(model)
    gc.collect()
    try:  # hand the front end's freed heap back to the kernel, so that the search cannot hide in it
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    rss0 = _status("VmRSS")
    t0 = time.perf_counter()
    ex = explore(cm, set(s.props), Limits(max_states=10**9, store=STORE[mode]))
    secs = time.perf_counter() - t0
    hwm = _status("VmHWM")
    per = getattr(ex.store, "bytes_per_state", None)
    store_b = per() if per is not None and STORE[mode] != "full" else None
    codec = getattr(ex.store, "codec", None)
    frontier_b = None
    if store_b is not None and codec is not None:
        # the packed frontier at its widest: two consecutive BFS levels of records
        # (+1/8: bytearray over-allocation)
        depth = [0] * len(ex.store)
        parent = ex.store.parent
        width: dict[int, int] = {0: 1}
        for k in range(1, len(depth)):
            d = depth[k] = depth[parent[k]] + 1
            width[d] = width.get(d, 0) + 1
        two = max(width[d] + width.get(d + 1, 0) for d in width)
        frontier_b = two * codec.size * 1.125 / ex.count
    print(json.dumps({"states": ex.count, "seconds": secs, "complete": ex.complete, "rss0_kib": rss0,
                      "hwm_kib": hwm, "hwm_reset": reset,
                      "bytes_per_state": (hwm - rss0) * 1024 / ex.count,
                      "store_bytes_per_state": store_b, "frontier_bytes_per_state": frontier_b}))


def run_child(sname: str, a: int, b: int, mode: str, env: dict) -> dict:
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", f"{sname}:{a}x{b}", mode],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    if p.returncode:
        return {"ok": False, "error": p.stderr.strip()[-400:]}
    return {"ok": True, **json.loads(p.stdout.strip().splitlines()[-1])}


def run_cli(kspec: str, sname: str, a: int, b: int, mode: str, env: dict, help_text: str,
            max_states: int = 1_000_000_000) -> dict:
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        return SV.run_kspec(kspec, series(sname), a, b, mode, 3600, "matched", None, help_text, max_states)
    finally:
        os.environ.clear()
        os.environ.update(old)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--configs", default=DEFAULT_CONFIGS, help=f"series:AxB list (default {DEFAULT_CONFIGS})")
    ap.add_argument("--modes", default="default,compact")
    ap.add_argument("--measures", default="cli,inproc")
    ap.add_argument("--src", action="append", default=[], metavar="NAME=DIR",
                    help="a kspec source tree to measure (repeatable; default: the installed one)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.child:
        sname, cfg = args.child[0].split(":")
        a, b = map(int, cfg.split("x"))
        child(sname, a, b, args.child[1])
        return
    kspec = os.path.join(os.path.dirname(sys.executable), "kspec")
    if not os.path.exists(kspec):
        kspec = shutil.which("kspec") or "kspec"
    srcs = [tuple(x.split("=", 1)) for x in args.src] or [("installed", "")]
    measures = args.measures.split(",")
    rows = []
    print(f"{'config':22} {'mode':9} {'src':10} {'states':>9} {'st/s':>8} {'cli B/st':>9} {'inproc B/st':>11} "
          f"{'store B/st':>10} {'frontier B/st':>13}")
    for item in args.configs.split(","):
        sname, cfg = item.split(":")
        a, b = map(int, cfg.split("x"))
        for mode in args.modes.split(","):
            runs: dict[str, list[dict]] = {name: [] for name, _ in srcs}
            bases: dict[str, dict] = {}
            for _ in range(args.repeat):
                for name, d in srcs:  # alternate: back to back
                    env = dict(os.environ)
                    if d:
                        env["PYTHONPATH"] = os.path.abspath(d) + os.pathsep + env.get("PYTHONPATH", "")
                    r: dict = {}
                    if "cli" in measures:
                        help_text = SV.kspec_help(kspec)
                        r["cli"] = run_cli(kspec, sname, a, b, mode, env, help_text)
                        if name not in bases:
                            bases[name] = run_cli(kspec, sname, a, b, mode, env, help_text, max_states=1)
                    if "inproc" in measures:
                        r["inproc"] = run_child(sname, a, b, mode, env)
                    runs[name].append(r)
            for name, _ in srcs:
                rs = runs[name]
                row = {"config": item, "mode": mode, "src": name}
                clis = [r["cli"] for r in rs if r.get("cli", {}).get("ok")]
                if clis:
                    base = bases[name].get("peak_rss_kib", 0)
                    row["states"] = clis[0]["states"]
                    row["cli_states_per_s"] = max(c["states"] / max(c["explore_s"], 1e-9) for c in clis)
                    row["cli_bytes_per_state"] = statistics.median(
                        max(c["peak_rss_kib"] - base, 0) * 1024 / c["states"] for c in clis)
                    row["cli_baseline_rss_kib"] = base
                ins = [r["inproc"] for r in rs if r.get("inproc", {}).get("ok")]
                if ins:
                    row["states"] = ins[0]["states"]
                    row["inproc_states_per_s"] = max(x["states"] / max(x["seconds"], 1e-9) for x in ins)
                    row["inproc_bytes_per_state"] = statistics.median(x["bytes_per_state"] for x in ins)
                    row["store_bytes_per_state"] = ins[0]["store_bytes_per_state"]
                    row["frontier_bytes_per_state"] = ins[0].get("frontier_bytes_per_state")
                errs = [r[k]["error"] for r in rs for k in r if not r[k].get("ok")]
                if errs:
                    row["errors"] = errs
                rows.append(row)
                sps = row.get("cli_states_per_s") or row.get("inproc_states_per_s")
                f = (lambda k, w, fmt: format(row[k], fmt).rjust(w) if row.get(k) is not None else "-".rjust(w))
                print(f"{item:22} {mode:9} {name:10} {row.get('states', 0):>9,} {sps or 0:>8,.0f} "
                      f"{f('cli_bytes_per_state', 9, '.0f')} {f('inproc_bytes_per_state', 11, '.0f')} "
                      f"{f('store_bytes_per_state', 10, '.1f')} {f('frontier_bytes_per_state', 13, '.1f')}"
                      + (f"  errors: {errs}" if errs else ""), flush=True)
                if args.json:
                    with open(args.json, "w", encoding="utf-8") as fh:
                        json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
