"""kspec vs Spin, side by side on the same designs (issue 7, item 5).

For tidspbridge (refcount, global_mutex) THREADS=N 2..5 x OBJS=M 1..3 and dmaengine
terminate_sync C 1..5 x D 1..3, each configuration is checked by

* kspec, in a fresh process: `kspec check SPEC --variant V --const ... --property ...
  --format json --traces none`, once per kspec mode (default store; `--store compact`;
  `--symmetric SORT`; `--workers 2` -- each only if `kspec check --help` offers it).
  Wall time is process start to exit; states/s is states over the exploration time
  kspec reports; memory per state is (peak RSS - peak RSS of the same command stopped
  after one state with --max-states 1) / states, i.e. what the search costs on top of the
  interpreter, the parsed and compiled model (shown from 50,000 states on).
* Spin (Debian package `spin`), on the hand-written Promela models in benchmarks/spin/
  (one kspec step = one d_step, same state variables, same safety properties; see their
  headers): `spin -a -o2`, `gcc -O2 -DSAFETY -DNOREDUCE`, `./pan -m1000000 -wK` with K =
  log2(states) + 1. Wall time is spin + gcc + pan; states/s is pan's own rate (states
  stored over its search time); memory per state is pan's "actual memory usage for
  states" plus its hash table, over states stored (the DFS stack, sized by -m, is left
  out; pan's total is in the JSON).

-o2 keeps write-only variables in the state vector (without it Spin drops the ghost
efault_seen, which only a `reachable` witness reads, and halves the tidspbridge state
space); -DNOREDUCE turns partial-order reduction off, so that Spin stores every state
kspec stores. With both, the state counts must be equal (the script says when not).

Only the properties the Promela models check are given to kspec (`--property`): the
invariants and step asserts that hold in these variants, and the built-in checks Spin can
express (no lockdep, no witnesses). `--kspec-properties all` checks everything instead.

A series (one variant and one kspec mode) skips every configuration at least as large in
both parameters as one whose kspec run took longer than --budget seconds; a kspec run is
cut at --cap-factor x budget (reported as incomplete). Configurations whose first kspec
(or Spin) run is shorter than --repeat-below seconds are timed twice and the best run is
kept. Runs are sequential.

    .venv/bin/python benchmarks/spin_vs_kspec.py [--budget 120] [--json out.json]
        [--series tidspbridge/refcount,tidspbridge/global_mutex,dmaengine/terminate_sync]
        [--modes default,compact,symmetry,workers] [--no-spin]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_COMMON = ["leak", "deadlock", "range", "lock_held_at_exit", "use_after_free", "double_free",
           "double_alloc", "free_while_referenced"]
_TIDSP = ["lock_release_unheld", "T_S1_no_use_after_free", "T_S2_no_stale_region",
          "T_S6_dma_info_exclusive"]


@dataclass(frozen=True)
class Series:
    name: str
    spec: str
    variant: str
    consts: tuple[str, str]       # kspec constant names of the two parameters
    macros: tuple[str, str]       # Promela macro names of the same parameters
    grid: tuple[tuple[int, ...], tuple[int, ...]]
    pml: str
    defines: tuple[str, ...]
    symmetric: str
    props: tuple[str, ...]
    fixed: dict = field(default_factory=dict)


SERIES = [
    Series("tidspbridge/refcount", "spec/tidspbridge.kspec", "refcount", ("THREADS", "OBJS"), ("N", "M"),
           ((2, 3, 4, 5), (1, 2, 3)), "benchmarks/spin/tidspbridge.pml", ("-DREFCOUNT",), "Thread",
           tuple(_COMMON + _TIDSP + ["T_S3_publication", "T_S4_refcount", "T_S7_ebusy_untouched",
                                     "T_S4_get_listed", "ref_underflow"]),
           {"INIT_MAPPED": "true", "SG_RACE": "false"}),
    Series("tidspbridge/global_mutex", "spec/tidspbridge.kspec", "global_mutex", ("THREADS", "OBJS"), ("N", "M"),
           ((2, 3, 4, 5), (1, 2, 3)), "benchmarks/spin/tidspbridge.pml", ("-DGLOBAL_MUTEX",), "Thread",
           tuple(_COMMON + _TIDSP + ["assert_held"]),
           {"INIT_MAPPED": "true", "SG_RACE": "false"}),
    Series("dmaengine/terminate_sync", "spec/dmaengine.kspec", "terminate_sync", ("C", "D"), ("C", "D"),
           ((1, 2, 3, 4, 5), (1, 2, 3)), "benchmarks/spin/dmaengine.pml", (), "Chan",
           tuple(_COMMON + ["desc_lists_ordered", "E4_synchronize_only_from_process_context",
                            "E5_aborted_is_silent", "E1_no_callback_after_synchronize",
                            "E2_no_hw_access_after_synchronize", "E3_callback_param_alive",
                            "E3_hw_buffer_alive", "E3_free_only_when_safe",
                            "E6_no_provider_lock_in_callback", "E8_free_chan_resources_after_synchronize"]),
           {"REISSUE": "0"}),
]

# kspec modes: name -> (flag in `kspec check --help`, extra arguments; {sym} = the series' sort)
MODES = {
    "default": (None, []),
    "compact": ("--store", ["--store", "compact"]),
    "symmetry": ("--symmetric", ["--symmetric", "{sym}"]),
    "workers": ("--workers", ["--workers", "2"]),
}


def run_measured(cmd: list[str], cwd: str, timeout: float | None = None) -> tuple[int, str, str, float, int]:
    """Run cmd; return (exit code, stdout, stderr, wall seconds, peak RSS in KiB of that child)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        try:
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if timeout is not None and time.perf_counter() - t0 > timeout:
                    p.kill()
                    _, status, ru = os.wait4(p.pid, 0)
                    break
                time.sleep(0.01)
        except KeyboardInterrupt:
            p.kill()
            raise
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"), wall, ru.ru_maxrss


# ---- kspec -------------------------------------------------------------------------


def kspec_help(kspec: str) -> str:
    return subprocess.run([kspec, "check", "--help"], capture_output=True, text=True, cwd=ROOT).stdout


def run_kspec(kspec: str, s: Series, a: int, b: int, mode: str, cap: float, props: str,
              max_memory: int | None, help_text: str, max_states: int = 1_000_000_000) -> dict:
    cmd = [kspec, "check", s.spec, "--variant", s.variant, "--const", f"{s.consts[0]}={a}",
           "--const", f"{s.consts[1]}={b}", "--format", "json", "--traces", "none", "--timeout", f"{cap:g}",
           "--max-states", str(max_states)]
    for k, v in s.fixed.items():
        cmd += ["--const", f"{k}={v}"]
    if props == "matched":
        for p in s.props:
            cmd += ["--property", p]
    if max_memory and "--max-memory" in help_text:
        cmd += ["--max-memory", str(max_memory)]
    cmd += [x.replace("{sym}", s.symmetric) for x in MODES[mode][1]]
    rc, out, err, wall, rss = run_measured(cmd, ROOT)
    try:
        doc = json.loads(out[out.index("{"):out.rindex("}") + 1])
        m = doc["models"][0]
    except (ValueError, KeyError, IndexError):
        return {"ok": False, "error": f"kspec exit {rc}: {(err or out).strip()[-400:]}", "wall_s": wall}
    bad = [v["property"] for v in m.get("verdicts", []) if v.get("status") not in ("holds", "reachable", "unreachable")]
    return {"ok": True, "states": m["states"], "transitions": m.get("transitions"), "explore_s": m["seconds"],
            "complete": m["complete"], "stop_reason": m.get("stop_reason", ""), "wall_s": wall,
            "peak_rss_kib": rss, "not_holding": bad, "cmd": " ".join(cmd[1:])}


# ---- Spin --------------------------------------------------------------------------

_PAN = {
    "stored": r"(\d+) states, stored",
    "transitions": r"(\d+) transitions \(",
    "vector": r"State-vector (\d+) byte",
    "depth": r"depth reached (\d+)",
    "errors": r"errors: (\d+)",
    "states_mb": r"([\d.]+)\s+actual memory usage for states",
    "equiv_mb": r"([\d.]+)\s+equivalent memory usage for states",
    "hash_mb": r"([\d.]+)\s+memory used for hash table",
    "stack_mb": r"([\d.]+)\s+memory used for DFS stack",
    "total_mb": r"([\d.]+)\s+total actual memory usage",
    "pan_s": r"pan: elapsed time ([\d.e+-]+) seconds",
}


def run_spin(s: Series, a: int, b: int, expect_states: int | None, timeout: float, memlim: int) -> dict:
    pml = os.path.join(ROOT, s.pml)
    w = max(16, min(28, math.ceil(math.log2(max(expect_states or 2 ** 24, 2))) + 1))
    depth = 1_000_000
    tmp = tempfile.mkdtemp(prefix="kspec-spin-")
    try:
        defs = [f"-D{s.macros[0]}={a}", f"-D{s.macros[1]}={b}", *s.defines]
        total = 0.0
        rc, out, err, t_spin, _ = run_measured(["spin", "-a", "-o2", *defs, pml], tmp)
        total += t_spin
        if rc != 0 or not os.path.exists(os.path.join(tmp, "pan.c")):
            return {"ok": False, "error": f"spin -a failed: {(err or out).strip()[-400:]}"}
        rc, out, err, t_gcc, _ = run_measured(
            ["gcc", "-O2", "-w", "-DSAFETY", "-DNOREDUCE", f"-DMEMLIM={memlim}", "-o", "pan", "pan.c"], tmp)
        total += t_gcc
        if rc != 0:
            return {"ok": False, "error": f"gcc failed: {err.strip()[-400:]}"}
        while True:
            rc, out, err, t_pan, rss = run_measured(["./pan", f"-m{depth}", f"-w{w}"], tmp, timeout)
            total += t_pan
            if t_pan > timeout:
                return {"ok": False, "error": f"pan stopped after {timeout:g} s", "wall_s": total, "limit": True}
            if "out of memory" in out or "MEMLIM" in out:
                return {"ok": False, "error": f"pan reached -DMEMLIM={memlim} MB", "wall_s": total, "limit": True}
            if "max search depth too small" in out and depth < 100_000_000:
                depth *= 10
                continue
            break
        r = {}
        for k, pat in _PAN.items():
            m = re.search(pat, out)
            if m:
                r[k] = float(m.group(1)) if "." in m.group(1) or "e" in m.group(1) else int(m.group(1))
        if "stored" not in r:
            return {"ok": False, "error": f"pan output not understood: {out.strip()[-400:]}"}
        mib = 1 << 20
        store_mb = r.get("states_mb", r.get("equiv_mb", 0.0)) + r.get("hash_mb", 0.0)
        pan_s = r.get("pan_s", t_pan)
        return {"ok": True, "states": r["stored"], "transitions": r.get("transitions"), "errors": r.get("errors", 0),
                "vector_bytes": r.get("vector"), "depth": r.get("depth"), "pan_s": pan_s,
                "rate": r["stored"] / max(pan_s, 1e-3), "spin_s": t_spin, "gcc_s": t_gcc, "wall_s": total,
                "bytes_per_state": store_mb * mib / r["stored"],
                "total_bytes_per_state": r.get("total_mb", 0.0) * mib / r["stored"],
                "total_mb": r.get("total_mb"), "pan_peak_rss_kib": rss, "hash_w": w, "depth_limit": depth}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- driver ------------------------------------------------------------------------


def estimate_states(k: dict, mode: str, first_param: int) -> tuple[int | None, int | None]:
    """(exact state count, lower bound) for Spin's hash table size and the --spin-max-states
    test, from a kspec run of this configuration. A symmetric run counts orbits: the symmetric
    sort is the first parameter of every series, and full states are between orbits and
    orbits x first_param!; half of that is the estimate."""
    if not k.get("ok"):
        return None, None
    n = k["states"]
    if mode == "symmetry":
        return None, n * math.factorial(first_param) // 2
    return (n, None) if k["complete"] else (None, n)


def best_of(run, repeat_below: float, key: str = "wall_s") -> dict:
    first = run()
    if not first.get("ok") or first[key] >= repeat_below:
        return first
    second = run()
    if not second.get("ok"):
        return first
    best = min(first, second, key=lambda r: r[key])
    best["runs"] = 2
    return best


def fmt_int(x) -> str:
    return f"{x:,}" if isinstance(x, int) else "-"


def ratio(a, b, digits: int = 2) -> str:
    if a is None or b is None or b == 0:
        return "-"
    q = a / b
    return f"{q:.{digits}f}" if q >= 0.01 else f"{q:.1e}"


HEADER = (f"{'cfg':>5} {'mode':<9}| {'kspec states':>12} {'wall s':>7} {'expl s':>7} {'states/s':>9} "
          f"{'B/state':>8} | {'spin states':>11} {'wall s':>6} {'pan s':>6} {'states/s':>9} {'B/state':>7} "
          f"| {'states':>6} {'rate':>6} {'wall':>6} {'mem':>6}")


MIN_SECONDS = 0.05   # rates from shorter searches are not shown (timer resolution, start-up)
MIN_STATES_MEM = 50_000  # memory per state is shown only from this many states (fixed costs dominate below)


def k_rate_of(k: dict) -> float | None:
    return k["states"] / k["explore_s"] if k["explore_s"] >= MIN_SECONDS else None


def s_rate_of(sp: dict) -> float | None:
    return sp["rate"] if sp["pan_s"] >= MIN_SECONDS else None


def row_text(a: int, b: int, mode: str, k: dict, sp: dict | None) -> str:
    if not k.get("ok"):
        return f"{a}x{b:<3} {mode:<9}| kspec failed: {k.get('error', '')[:100]}"
    k_rate = k_rate_of(k)
    k_bps = k.get("bytes_per_state")
    mark = "" if k["complete"] else "*"
    left = (f"{a}x{b:<3} {mode:<9}| {fmt_int(k['states']) + mark:>12} {k['wall_s']:>7.2f} {k['explore_s']:>7.2f} "
            f"{(f'{k_rate:,.0f}' if k_rate else '-'):>9} {(f'{k_bps:,.0f}' if k_bps is not None else '-'):>8} |")
    if not sp or not sp.get("ok"):
        why = "" if sp is None else sp.get("error", "")[:60]
        return left + f" {'(no spin) ' + why}"
    s_rate = s_rate_of(sp)
    s_bps = sp["bytes_per_state"] if sp["states"] >= MIN_STATES_MEM else None
    right = (f" {fmt_int(sp['states']):>11} {sp['wall_s']:>6.2f} {sp['pan_s']:>6.2f} "
             f"{(f'{s_rate:,.0f}' if s_rate else '-'):>9} {(f'{s_bps:,.0f}' if s_bps else '-'):>7} "
             f"| {ratio(k['states'], sp['states']):>6} {ratio(k_rate, s_rate, 3):>6} "
             f"{ratio(k['wall_s'], sp['wall_s']):>6} {ratio(k_bps, s_bps):>6}")
    return left + right


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=120.0,
                    help="skip larger configurations once a kspec run takes longer than this (s)")
    ap.add_argument("--cap-factor", type=float, default=2.0, help="kspec --timeout = cap-factor x budget")
    ap.add_argument("--series", default=",".join(s.name for s in SERIES))
    ap.add_argument("--modes", default="default,compact,symmetry,workers",
                    help="kspec modes to run when available: default, compact, symmetry, workers")
    ap.add_argument("--kspec-properties", choices=("matched", "all"), default="matched")
    ap.add_argument("--repeat-below", type=float, default=10.0,
                    help="time runs shorter than this twice and keep the best")
    ap.add_argument("--max-memory", type=int, default=10000, help="kspec --max-memory (MiB), when supported")
    ap.add_argument("--no-spin", action="store_true", help="run kspec only")
    ap.add_argument("--spin-timeout", type=float, default=600.0, help="stop pan after this many seconds")
    ap.add_argument("--spin-memory", type=int, default=10000, help="pan -DMEMLIM (MiB)")
    ap.add_argument("--spin-max-states", type=float, default=80e6,
                    help="skip Spin where the state count (exact, or estimated from a symmetric kspec run "
                         "times |sort|!) is larger")
    ap.add_argument("--json", help="also write every measurement to this file")
    ap.add_argument("--markdown", action="store_true", help="also print the README table (markdown)")
    ap.add_argument("--from-json", metavar="FILE",
                    help="run nothing: print the summary (and --markdown table) of a saved --json file")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            saved = json.load(f)["rows"]
        summarize(saved)
        if args.markdown:
            print()
            markdown(saved)
        return

    kspec = os.path.join(os.path.dirname(sys.executable), "kspec")
    if not os.path.exists(kspec):
        kspec = shutil.which("kspec") or "kspec"
    help_text = kspec_help(kspec)
    modes = []
    for m in args.modes.split(","):
        flag = MODES[m][0]
        if flag is None or flag in help_text:
            modes.append(m)
        else:
            print(f"note: kspec mode `{m}` skipped: `kspec check` has no {flag} option")
    spin_ok = not args.no_spin and shutil.which("spin") is not None and shutil.which("gcc") is not None
    if not args.no_spin and not spin_ok:
        print("note: Spin (or gcc) is not installed -- `apt-get install spin gcc` -- so only kspec runs "
              "and no ratios are printed")
    chosen = [s for s in SERIES if s.name in args.series.split(",")]
    print(f"kspec {subprocess.run([kspec, '--version'], capture_output=True, text=True).stdout.strip()}; "
          + (subprocess.run(['spin', '-V'], capture_output=True, text=True).stdout.strip() if spin_ok else "no Spin")
          + f"; budget {args.budget:g} s; kspec properties: {args.kspec_properties}; modes: {', '.join(modes)}")
    print("ratios are kspec / Spin: states, states/s (search only), wall time end to end "
          "(kspec process vs spin+gcc+pan), memory per stored state; * = kspec run incomplete\n")
    results = []
    for s in chosen:
        print(f"== {s.name} ({s.consts[0]} x {s.consts[1]})")
        print(HEADER)
        slow: dict[str, list[tuple[int, int]]] = {m: [] for m in modes}
        spin_cache: dict[tuple[int, int], dict] = {}
        spin_limit: list[tuple[int, int]] = []
        for a in s.grid[0]:
            for b in s.grid[1]:
                for mode in modes:
                    if any(a >= x and b >= y for x, y in slow[mode]):
                        continue
                    cap = args.budget * args.cap_factor
                    k = best_of(lambda: run_kspec(kspec, s, a, b, mode, cap, args.kspec_properties,
                                                  args.max_memory, help_text), args.repeat_below)
                    if k.get("ok"):
                        if k["states"] >= MIN_STATES_MEM:
                            # the same command stopped after the first state: parse, lowering,
                            # compilation and start-up, without the search's memory
                            base = run_kspec(kspec, s, a, b, mode, cap, args.kspec_properties,
                                             args.max_memory, help_text, max_states=1)
                            k["baseline_rss_kib"] = base.get("peak_rss_kib")
                            k["bytes_per_state"] = max(k["peak_rss_kib"] - base["peak_rss_kib"], 0) * 1024 \
                                / k["states"] if base.get("ok") else None
                        else:
                            k["bytes_per_state"] = None
                        if k["not_holding"] and k["complete"]:
                            print(f"   warning: kspec reports {k['not_holding']} not holding")
                        if k["explore_s"] > args.budget or k["wall_s"] > args.budget or not k["complete"]:
                            slow[mode].append((a, b))
                    sp = None
                    if spin_ok:
                        if (a, b) not in spin_cache:
                            exact, lower = estimate_states(k, mode, a)
                            if any(a >= x and b >= y for x, y in spin_limit):
                                spin_cache[(a, b)] = {"ok": False, "error": "skipped: a smaller configuration hit "
                                                      "the Spin time or memory limit"}
                            elif (exact or lower or 0) > args.spin_max_states:
                                spin_cache[(a, b)] = {"ok": False, "error": f"skipped: about {exact or lower:.2g}+ "
                                                      f"states (> --spin-max-states)"}
                            else:
                                spin_cache[(a, b)] = best_of(
                                    lambda: run_spin(s, a, b, exact or lower, args.spin_timeout, args.spin_memory),
                                    args.repeat_below)
                                if spin_cache[(a, b)].get("limit"):
                                    spin_limit.append((a, b))
                        sp = spin_cache[(a, b)]
                        if sp.get("ok") and sp.get("errors"):
                            print(f"   warning: pan reports {sp['errors']} error(s) on {a}x{b}")
                        if sp.get("ok") and k.get("ok") and k["complete"] and mode != "symmetry" \
                                and sp["states"] != k["states"]:
                            print(f"   warning: state counts differ on {a}x{b}: kspec {k['states']}, "
                                  f"Spin {sp['states']}")
                    print(row_text(a, b, mode, k, sp), flush=True)
                    results.append({"series": s.name, s.consts[0]: a, s.consts[1]: b, "mode": mode,
                                    "kspec": k, "spin": sp})
                    if args.json:  # written after every row, so an interrupted run keeps its data
                        with open(args.json, "w", encoding="utf-8") as f:
                            json.dump({"budget": args.budget, "modes": modes,
                                       "kspec_properties": args.kspec_properties, "rows": results}, f, indent=1)
        print()
    summarize(results)
    if args.markdown:
        print()
        markdown(results)


def markdown(results: list[dict]) -> None:
    """The README table: per series, every row of a configuration with at least 100,000
    states (kspec or Spin), or the largest configuration if none is that large."""
    def params(r):
        return tuple(v for kk, v in r.items() if kk not in ("series", "mode", "kspec", "spin"))

    def size(r):
        return max(r["kspec"].get("states", 0) if r["kspec"].get("ok") else 0,
                   r["spin"]["states"] if r["spin"] and r["spin"].get("ok") else 0)

    print("| design | cfg | kspec mode | kspec states | wall s | search s | states/s | B/state | Spin states "
          "| wall s (spin+gcc+pan) | pan s | states/s | B/state | **states** | **states/s** | **wall** | "
          "**B/state** |")
    print("|---|---|---|" + "---:|" * 14)
    for series in dict.fromkeys(r["series"] for r in results):
        rows = [r for r in results if r["series"] == series]
        big = {params(r) for r in rows if size(r) >= 100_000}
        if not big:
            big = {params(max(rows, key=size))}
        for r in rows:
            if params(r) not in big:
                continue
            k, sp = r["kspec"], r["spin"]
            a, b = params(r)
            name = series.split("/")[1]
            if not k.get("ok"):
                print(f"| {name} | {a}x{b} | {r['mode']} | kspec failed | | | | | | | | | | | | | |")
                continue
            kr = k_rate_of(k)
            kb = k.get("bytes_per_state")
            cells = [name, f"{a}x{b}", r["mode"], f"{k['states']:,}" + ("" if k["complete"] else " *"),
                     f"{k['wall_s']:.2f}", f"{k['explore_s']:.2f}", f"{kr:,.0f}" if kr else "-",
                     f"{kb:,.0f}" if kb is not None else "-"]
            if sp and sp.get("ok"):
                sr = s_rate_of(sp)
                sb = sp["bytes_per_state"] if sp["states"] >= MIN_STATES_MEM else None
                cells += [f"{sp['states']:,}", f"{sp['wall_s']:.2f}", f"{sp['pan_s']:.2f}",
                          f"{sr:,.0f}" if sr else "-", f"{sb:,.0f}" if sb else "-",
                          ratio(k["states"], sp["states"]), ratio(kr, sr, 3), ratio(k["wall_s"], sp["wall_s"]),
                          ratio(kb, sb)]
            else:
                cells += [(sp or {}).get("error", "no Spin")] + [""] * 8
            print("| " + " | ".join(cells) + " |")


def summarize(results: list[dict]) -> None:
    """Issue 7 targets, on the largest configuration of each series and mode that both tools
    completed (by Spin's state count)."""
    print("== issue 7 targets: the largest configuration per series and mode completed by both "
          "(ratios kspec/Spin)")
    best: dict[tuple[str, str], dict] = {}
    for r in results:
        k, sp = r["kspec"], r["spin"]
        if not (k.get("ok") and k.get("complete") and sp and sp.get("ok")):
            continue
        key = (r["series"], r["mode"])
        if key not in best or sp["states"] > best[key]["spin"]["states"]:
            best[key] = r
    for (series, mode), r in best.items():
        k, sp = r["kspec"], r["spin"]
        a, b = [v for kk, v in r.items() if kk not in ("series", "mode", "kspec", "spin")]
        kr, sr = k_rate_of(k), s_rate_of(sp)
        mem = k.get("bytes_per_state")
        s_mem = sp["bytes_per_state"] if sp["states"] >= MIN_STATES_MEM else None
        rate_txt = "-" if not (kr and sr) else f"{kr / sr:.3f} ({'met' if kr >= 0.1 * sr else 'NOT met'})"
        mem_txt = "-" if not (mem is not None and s_mem) else f"{mem / s_mem:.2f} ({'met' if mem <= s_mem else 'NOT met'})"
        eff = ""
        if mode == "symmetry" and k["explore_s"] >= MIN_SECONDS and sr:
            eff = f"  (Spin's states / kspec search time: {sp['states'] / k['explore_s'] / sr:.2f} of Spin's rate)"
        print(f"  {series:<25} {a}x{b:<2} {mode:<9} states {k['states']:>10,} / {sp['states']:>10,}   "
              f"states/s {rate_txt:<16} B/state {mem_txt:<15} wall {ratio(k['wall_s'], sp['wall_s'])}{eff}")
    print("  targets: states/s >= 0.1; B/state <= 1; with symmetry, wall < 1 on tidspbridge/refcount 4x3")
    for r in results:
        if r["series"] == "tidspbridge/refcount" and r.get("THREADS") == 4 and r.get("OBJS") == 3 \
                and r["mode"] == "symmetry" and r["kspec"].get("ok") and r["spin"] and r["spin"].get("ok"):
            k, sp = r["kspec"], r["spin"]
            print(f"  tidspbridge/refcount 4x3 with symmetry: kspec {k['wall_s']:.2f} s end to end vs Spin "
                  f"{sp['wall_s']:.2f} s (spin {sp['spin_s']:.2f} + gcc {sp['gcc_s']:.2f} + pan "
                  f"{sp['wall_s'] - sp['spin_s'] - sp['gcc_s']:.2f}): target "
                  f"{'met' if k['wall_s'] < sp['wall_s'] else 'NOT met'}")


if __name__ == "__main__":
    main()
