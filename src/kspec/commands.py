"""The commands behind the CLI (`check`, `replay`, `simulate`), each turning
arguments into an `Outcome`; the verdict tables are rendered with rich."""
from __future__ import annotations

import io
import os
import sys

from kspec import verdict as V
from kspec.cli import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, Outcome, UsageError, parse_consts
from kspec.config import ModelFile, key_span, load_model_file
from kspec.pipeline import build_model
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Span, has_errors
from kspec.report.trace import render_interleaving, render_states, trace_to_json


def _jobs(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".toml"))
            if not found:
                raise UsageError(f"directory `{p}` contains no model file (*.toml)")
            out.extend(found)
        elif not os.path.exists(p):
            raise UsageError(f"no such file or directory: `{p}`")
        else:
            out.append(p)
    return out


def _model_file_for(path: str, args) -> tuple[ModelFile | None, list]:
    consts = parse_consts(args.const)
    if path.endswith(".toml"):
        mf, diags = load_model_file(path)
        if mf is None:
            return None, diags
        merged = dict(mf.constants)
        merged.update(consts)
        from dataclasses import replace
        mf = replace(mf, constants=tuple(merged.items()), variant=args.variant or mf.variant)
        return mf, []
    return ModelFile(path, path, args.variant, constants=tuple(consts.items())), []


def _locate_in_model_file(d, mf: ModelFile):
    """A diagnostic about a model-file setting (an undeclared constant, an
    unknown variant or symmetric sort) without a location points at its key."""
    import re
    from dataclasses import replace
    if d.span is not None or not mf.path.endswith(".toml"):
        return d
    m = re.search(r"`([^`]+)`", d.message)
    key = "variant" if d.code == D.UNKNOWN_VARIANT else "symmetric" if "symmetric" in d.message else \
        (m.group(1) if m else "spec")
    return replace(d, span=key_span(mf.path, key))


def _select_properties(mf: ModelFile, model, cli_props: list[str]) -> tuple[list[str], list]:
    names = [p.name for p in model.properties]
    diags = []
    for src, props in (("expect", [n for n, _ in mf.expect]), ("only", mf.only), ("disable", mf.disable),
                       ("--property", cli_props)):
        for n in props:
            if n not in names:
                diags.append(D.diag(D.MODEL_UNKNOWN_PROPERTY, f"`{n}` ({src}) is not a property of "
                                    f"`{model.spec_name}`" + (f" in variant `{model.variant}`" if model.variant
                                                              else ""),
                                    key_span(mf.path, n) if mf.path.endswith(".toml") else None,
                                    hint=D.did_you_mean(n, names)))
    chosen = [n for n in names if (not mf.only or n in mf.only) and n not in mf.disable]
    if cli_props:
        chosen = [n for n in chosen if n in cli_props]
    return chosen, diags


def cmd_check(args) -> Outcome:
    out = Outcome()
    jobs = _jobs(args.paths)
    is_spec_run = all(not j.endswith(".toml") for j in jobs)
    traces = args.traces or ("violations" if is_spec_run else "unexpected")
    models_json = []
    counts = {"ok": 0, "differ": 0, "inconclusive": 0, "error": 0}
    for path in jobs:
        code, text, js = _check_one(path, args, traces, out)
        out.text.extend(text)
        if js:
            models_json.append(js)
        tally(counts, code)
    return summarize(out, counts, "models", models_json)


def tally(counts: dict[str, int], code: int) -> None:
    counts[{EXIT_OK: "ok", EXIT_FAIL: "differ", EXIT_INCONCLUSIVE: "inconclusive"}.get(code, "error")] += 1


def summarize(out: Outcome, counts: dict[str, int], noun: str, items: list) -> Outcome:
    """The closing line for several models (or proofs), the JSON, and the exit
    code: bad input wins over a differing verdict, which wins over inconclusive."""
    n = sum(counts.values())
    if n > 1:
        out.text.append(f"{n} {noun}: {counts['ok']} as expected, {counts['differ']} differ, "
                        f"{counts['inconclusive']} inconclusive, {counts['error']} with errors")
    out.json = {noun: items, "summary": counts}
    out.code = EXIT_USAGE if counts["error"] else EXIT_FAIL if counts["differ"] else \
        EXIT_INCONCLUSIVE if counts["inconclusive"] else EXIT_OK
    return out


def _check_one(path: str, args, traces: str, out: Outcome):
    mf, diags = _model_file_for(path, args)
    if mf is None:
        out.diagnostics.extend(diags)
        return EXIT_USAGE, [], None
    symmetric = () if getattr(args, "no_symmetry", False) else tuple(mf.symmetric) + tuple(
        getattr(args, "symmetric", ()))
    mr = build_model(mf.spec_path, variant=mf.variant, constants=dict(mf.constants), symmetric=symmetric)
    out.sources.update(mr.sources)
    diags = [_locate_in_model_file(d, mf) for d in mr.diagnostics]
    out.diagnostics.extend(d for d in diags if d not in out.diagnostics)
    if mr.model is None:
        return EXIT_USAGE, [], None
    model = mr.model
    props, pdiags = _select_properties(mf, model, args.property)
    if pdiags:
        out.diagnostics.extend(pdiags)
        return EXIT_USAGE, [], None
    engine = args.engine or mf.engine
    workers = args.workers if getattr(args, "workers", None) is not None else mf.workers
    if engine == "bmc" and workers != 1:
        note = D.diag(D.OPTIONS_CONFLICT, "--workers is ignored by the bmc engine (it runs in one process)",
                      severity=D.Severity.NOTE)
        if note not in out.diagnostics:
            out.diagnostics.append(note)
    elif workers != 1 and (args.store or "full") == "bitstate":
        from kspec.explicit.parallel import resolve_workers
        if resolve_workers(workers) > 1:
            src = "--workers" if getattr(args, "workers", None) is not None else "`workers` in the model file"
            out.diagnostics.append(D.diag(
                D.OPTIONS_CONFLICT, f"{src} ({workers}) cannot be combined with --store bitstate",
                key_span(mf.path, "workers") if src.startswith("`") else None,
                hint="use --store compact for less memory per state, or --workers 1"))
            return EXIT_USAGE, [], None
    if engine == "bmc":
        from kspec.symbolic.bmc import check_bmc  # imports z3 only when asked for
        try:
            result = check_bmc(model, props, depth=args.depth if args.depth is not None else mf.depth,
                               timeout=args.timeout or mf.max_seconds or None)
        except D.KspecError as e:  # KS9002: a Z3 counterexample that the explicit engine rejects
            out.diagnostics.extend(e.diagnostics)
            return EXIT_USAGE, [], None
    else:
        from kspec.check import check_explicit
        from kspec.explicit.explore import Limits
        limits = Limits(args.max_states or mf.max_states, args.max_depth or mf.max_depth,
                        args.timeout or mf.max_seconds, args.store or "full", args.bitstate_bits,
                        float(args.max_memory or 0))
        from kspec.check import SymmetryError
        progress = _progress(args)
        try:
            result = check_explicit(model, props, limits=limits, progress=progress,
                                    symmetry=not args.no_symmetry, workers=workers)
        except SymmetryError as e:
            out.diagnostics.append(D.diag(D.SYMMETRY_BROKEN, f"the initial state is not symmetric in sort `{e}`",
                                          Span(mf.spec_path, 1, 1), hint="use --no-symmetry, or make every "
                                          f"`{e}`-indexed initial value equal"))
            return EXIT_USAGE, [], None
        if progress is not None and result.seconds > 1.0:
            sys.stderr.write("\r" + " " * 70 + "\r")
    return _report(mf, model, result, traces, args, out)


def _progress(args):
    if args.format != "text" or not sys.stderr.isatty():
        return None

    def show(states: int, depth: int, secs: float) -> None:
        sys.stderr.write(f"\r  {states:,} states, depth {depth}, {states / max(secs, 1e-9):,.0f} states/s   ")
        sys.stderr.flush()
    return show


def _report(mf: ModelFile, model, result: V.CheckResult, traces: str, args, out: Outcome):
    rows, worst, vjson = [], EXIT_OK, []
    details = []
    for v in result.verdicts:
        exp = mf.expectation(v.prop, v.kind)
        ok = exp.matches(v)
        mark = "ok" if ok else "DIFFERS" if ok is False else "?"
        if ok is False:
            worst = EXIT_FAIL
        elif ok is None and worst == EXIT_OK:
            worst = EXIT_INCONCLUSIVE
        exp_text = exp.status + (f", {exp.length}" if exp.length is not None else "")
        rows.append((v.prop, v.summary(), exp_text, mark))
        vjson.append({"property": v.prop, "kind": v.kind, "status": v.status, "length": v.length,
                      "summary": v.summary(), "expected": exp.status, "expected_length": exp.length,
                      "as_expected": ok, "message": v.message, "report": v.report,
                      "trace": trace_to_json(v.trace) if v.trace else None})
        if v.trace is not None and (traces == "all" or traces == "unexpected" and ok is False
                                    or traces == "violations" and v.status == V.VIOLATED):
            details.append(_detail(v))
        if v.trace is not None and args.itf_out:
            _write_itf(args.itf_out, mf, v)
    shown = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in model.constants]
    consts = " ".join(f"{k}={v}" for k, v in shown if k in dict(mf.constants)) or \
        " ".join(f"{k}={v}" for k, v in shown)
    head = f"{mf.path}  (spec {model.spec_name}" + (f", variant {model.variant}" if model.variant else "") + \
        (f", {consts}" if consts else "") + ")"
    stats = (f"  {result.engine}: {result.states:,} states, {result.transitions:,} transitions, depth "
             f"{result.depth}, {result.seconds:.2f} s" + (f", {result.workers} workers" if
                                                          result.workers > 1 else "")
             + (" (symmetry: orbit representatives)" if result.symmetry else "")
             + ("" if result.complete else f" -- "
                                                          f"{result.stop_reason}"))
    if result.engine == "bmc":  # no state count: the solver explores symbolically
        stats = f"  bmc: depth {result.depth}, {result.seconds:.2f} s -- {result.stop_reason}"
    text = [head, stats] + ([f"  {result.caveat}"] if result.caveat else []) + [_table(rows)]
    if result.unfired:
        out.diagnostics.append(D.diag(D.UNFIRED_ACTION, f"{mf.path}: never fired: {', '.join(result.unfired)}",
                                      severity=D.Severity.WARNING))
    text.extend(details)
    js = {"model": mf.path, "spec": model.spec_name, "variant": model.variant, "constants": dict(model.constants),
          "engine": result.engine, "states": result.states, "transitions": result.transitions,
          "depth": result.depth, "seconds": result.seconds, "complete": result.complete,
          "stop_reason": result.stop_reason, "unfired": result.unfired, "workers": result.workers,
          "verdicts": vjson}
    return worst, text, js


def _table(rows) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich import box
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for col in ("property", "verdict", "expected", ""):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(*r)
    buf = io.StringIO()
    Console(file=buf, width=118, color_system=None, highlight=False, force_terminal=False).print(t)
    return "\n".join("  " + ln.rstrip() for ln in buf.getvalue().rstrip().splitlines())


def _detail(v: V.Verdict) -> str:
    parts = [f"\n--- {v.prop}: {v.summary()} ---"]
    if v.report:
        parts.append(v.report)
    for title, tr in v.extra_traces:
        parts.append(f"\n[{title}]\n" + render_interleaving(tr))
    if v.trace is not None and not v.extra_traces:  # with extra traces, the main one is among them
        parts.append("\n" + render_interleaving(v.trace))
        parts.append("\n" + render_states(v.trace))
    return "\n".join(parts)


def _write_itf(d: str, mf: ModelFile, v: V.Verdict) -> None:
    from kspec.report.itf import dump_itf
    os.makedirs(d, exist_ok=True)
    base = os.path.splitext(os.path.basename(mf.path))[0]
    with open(os.path.join(d, f"{base}.{v.prop}.itf.json"), "w", encoding="utf-8") as f:
        f.write(dump_itf(v.trace))  # type: ignore[arg-type]


def _load_for(args, path: str):
    mf, diags = _model_file_for(path, args)
    if mf is None:
        return None, None, diags, {}
    mr = build_model(mf.spec_path, variant=mf.variant, constants=dict(mf.constants))
    return mf, mr.model, mr.diagnostics, mr.sources


def cmd_replay(args) -> Outcome:
    mf, model, diags, sources = _load_for(args, args.model)
    out = Outcome(diagnostics=list(diags), sources=sources)
    if model is None:
        out.code = EXIT_USAGE
        return out
    from kspec.replay import replay_itf_file
    res = replay_itf_file(model, args.trace)
    out.diagnostics.extend(res.diagnostics)
    if has_errors(res.diagnostics):
        out.code = EXIT_USAGE if res.malformed else EXIT_FAIL
        out.json = {"trace": args.trace, "allowed": False}
        return out
    out.text.append(f"{args.trace}: a behaviour of {model.spec_name}"
                    + (f" ({model.variant})" if model.variant else "") + f", {res.trace.length} steps")
    for prop, step, msg in res.violations:
        out.text.append(f"  violates `{prop}` at step {step}: {msg}")
    out.text.append(render_interleaving(res.trace))
    out.json = {"trace": args.trace, "allowed": True, "length": res.trace.length,
                "violations": [{"property": p, "step": s, "message": m} for p, s, m in res.violations]}
    return out  # exit 0: the trace is a behaviour of the model (the properties it violates are listed)


def cmd_simulate(args) -> Outcome:
    mf, model, diags, sources = _load_for(args, args.model)
    out = Outcome(diagnostics=list(diags), sources=sources)
    if model is None:
        out.code = EXIT_USAGE
        return out
    from kspec.explicit.simulate import simulate
    runs = []
    for k in range(args.runs):
        trace = simulate(model, steps=args.steps, seed=args.seed + k)
        runs.append(trace_to_json(trace))
        out.text.append(f"run {k + 1} (seed {args.seed + k}), {trace.length} steps:")
        out.text.append(render_interleaving(trace))
    out.json = {"runs": runs}
    return out
