"""BMC and k-induction scaling benchmark (reproducible; prints tables).

For a tidspbridge variant over THREADS x OBJS (the explicit benchmark's
series, until a run exceeds --budget seconds): the explicit engine's
exhaustive time, the time of each BMC depth (extend the unrolling by one
transition, then find every target reachable at that depth, shortest first)
and the cumulative time, and the time of k-induction (k = 1..--k) on all
safety properties with the number proved: without lemmas, and with the
lemmas of a proof script (default proofs/tidspbridge_<variant>.toml; its
lemmas are generic in THREADS and OBJS, so the proof scales with the series).

    .venv/bin/python benchmarks/bmc_scaling.py [--variant refcount] [--depth 12] [--k 3] [--budget 120]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from kspec.check import check_explicit  # noqa: E402
from kspec.explicit.explore import Limits  # noqa: E402
from kspec.pipeline import build_model, instantiate, load_spec, parse_source  # noqa: E402
from kspec.symbolic.proofs import lemma_source, parse_proof_script, read_toml  # noqa: E402
from kspec.symbolic.bmc import Budget, Search  # noqa: E402
from kspec.symbolic.induction import k_induction, property_status  # noqa: E402
from kspec.symbolic.system import Templates, targets  # noqa: E402

SERIES = [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (4, 2)]


def bmc_per_depth(model, depth: int, budget: float) -> tuple[list[tuple[int, float, int]], float]:
    """[(k, seconds, targets found at k)] until depth or the budget."""
    names = [p.name for p in model.properties]
    t0 = time.perf_counter()
    tm = Templates(model, set(names))
    pending = {(n, t.key): t.term for n, ts in targets(model, names, tm).items() for t in ts}
    search = Search(tm, Budget(None))
    setup = time.perf_counter() - t0
    rows = []
    for k in range(depth + 1):
        t = time.perf_counter()
        if k:
            search.extend()
        found = search.find(pending, k)
        for key in found:
            del pending[key]
        rows.append((k, time.perf_counter() - t, len(found)))
        if time.perf_counter() - t0 > budget:
            break
    return rows, setup


def with_lemmas(spec: str, script: str | None, variant: str, consts: dict):
    """The model with the proof script's lemmas added, and the lemma names."""
    if not script or not os.path.exists(script):
        return None, []
    data, _ = read_toml(script)
    ps = parse_proof_script(script, data)
    sr = load_spec(spec)
    sr = parse_source(sr.source + lemma_source(ps.lemmas), spec)
    return instantiate(sr, variant=variant, constants=consts).model, [n for n, _ in ps.lemmas]


def induction_time(model, props, k: int, budget: float):
    t = time.perf_counter()
    ind = k_induction(model, props, k_max=k, timeout=budget)
    secs = time.perf_counter() - t
    return secs, sum(property_status(model, ind, p)[0] == "proved" for p in props), ind


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=os.path.join(ROOT, "spec", "tidspbridge.kspec"))
    ap.add_argument("--variant", default="refcount")
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--budget", type=float, default=120.0, help="seconds per configuration and engine")
    ap.add_argument("--proof", default=None, help="proof script whose lemmas to add (default: "
                    "proofs/tidspbridge_<variant>.toml)")
    args = ap.parse_args()
    print(f"spec {os.path.basename(args.spec)}, variant {args.variant}, BMC depth {args.depth}, k <= {args.k}")
    summary = []
    proof = args.proof or os.path.join(ROOT, "proofs", f"tidspbridge_{args.variant}.toml")
    for threads, objs in SERIES:
        consts = {"THREADS": threads, "OBJS": objs}
        mr = build_model(args.spec, variant=args.variant, constants=consts)
        model = mr.model
        if model is None:
            print(f"{threads}x{objs}: does not build")
            continue
        t = time.perf_counter()
        ex = check_explicit(model, limits=Limits(max_seconds=args.budget))
        t_ex = time.perf_counter() - t
        rows, setup = bmc_per_depth(model, args.depth, args.budget)
        props = [p.name for p in model.properties if p.kind != "reachable"]
        t_ind, proved, ind = induction_time(model, props, args.k, args.budget)
        lm, lemmas = with_lemmas(args.spec, proof, args.variant, consts)
        t_lem, proved_lem = (induction_time(lm, props + lemmas, args.k, args.budget)[:2] if lm else (0.0, 0))
        print(f"\n{threads} threads x {objs} objs: {len(model.slots)} slots, {len(model.transitions)} transitions; "
              f"explicit {ex.states:,} states, depth {ex.depth}, {t_ex:.2f} s")
        print(f"  BMC (setup {setup:.2f} s)   k:  " + " ".join(f"{k:>6}" for k, _, _ in rows))
        print("  seconds at depth k:     " + " ".join(f"{s:6.2f}" for _, s, _ in rows))
        cum = 0.0
        cums = []
        for _, s, _ in rows:
            cum += s
            cums.append(cum)
        print("  cumulative seconds:     " + " ".join(f"{c:6.1f}" for c in cums))
        print("  targets reached at k:   " + " ".join(f"{n:>6}" for _, _, n in rows))
        print(f"  k-induction (k <= {args.k}): {t_ind:.2f} s, {proved}/{len(props)} safety properties proved"
              + (f" ({ind.stop})" if ind.stop else ""))
        if lm:
            print(f"  with the {len(lemmas)} lemmas of {os.path.basename(proof)}: {t_lem:.2f} s, "
                  f"{proved_lem}/{len(props) + len(lemmas)} proved (properties and lemmas)")
        summary.append((threads, objs, ex.states, t_ex, cums[-1], rows[-1][0], t_ind, proved, len(props), t_lem,
                        proved_lem, len(props) + len(lemmas)))
        if max(t_ex, cums[-1], t_ind) > args.budget:
            break
    print("\nconfig   states     explicit s   BMC s (to depth)   k-ind s  proved   +lemmas s  proved")
    for th, ob, n, te, tb, d, ti, pr, tot, tl, pl, totl in summary:
        print(f"{th}x{ob}   {n:>9,}   {te:10.2f}   {tb:8.1f} ({d:>2})      {ti:7.2f}  {pr:>2}/{tot}    {tl:8.2f}"
              f"  {pl:>2}/{totl}")


if __name__ == "__main__":
    main()
