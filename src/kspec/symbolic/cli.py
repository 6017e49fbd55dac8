"""`kspec prove`: model files, proof scripts or specs -> k-induction verdicts.

Each path (a directory stands for its *.toml files) becomes a proof job: the
model, the properties, helper lemmas, k and the BMC bound, and what is
expected of each property. The job runs `prove.prove_model`; the table says
proved / violated / reachable / inconclusive per property against the
expectation, counterexamples are printed as in `kspec check`, and a failed
inductive step is printed as a counterexample to induction, labelled as
possibly unreachable, with a hint to add a helper invariant. `--emit-smt2
DIR` writes every final proof obligation as a standalone SMT-LIB2 file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from kspec.cli import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, Outcome, parse_consts
from kspec.commands import summarize, tally, _detail, _jobs, _model_file_for, _select_properties, _table
from kspec.config import load_model_file
from kspec.pipeline import instantiate, load_spec, parse_source
from kspec.report import diagnostics as D
from kspec.report.diagnostics import KspecError, Span
from kspec.report.trace import render_interleaving, render_states, trace_to_json
from kspec.symbolic.proofs import is_proof_script, lemma_source, parse_proof_script, read_toml
from kspec.verdict import INCONCLUSIVE, PROVED, REACHABLE, VIOLATED, Verdict

DEFAULT_K = 10


@dataclass(slots=True)
class Job:
    path: str
    model: object
    props: list[str]
    helpers: list[str]
    k: int
    depth: int
    expect: object  # (prop, kind) -> (expected text, matches(verdict) -> bool | None)


def cmd_prove(args) -> Outcome:
    out = Outcome()
    counts = {"ok": 0, "differ": 0, "inconclusive": 0, "error": 0}
    models = []
    for path in _jobs(args.paths):
        try:
            job = _job(path, args, out)
        except KspecError as e:
            out.diagnostics.extend(e.diagnostics)
            job = None
        if job is None:
            counts["error"] += 1
            continue
        code, js = _run(job, args, out)
        models.append(js)
        tally(counts, code)
    return summarize(out, counts, "proofs", models)


def _job(path: str, args, out: Outcome) -> Job | None:
    if path.endswith(".toml"):
        data, diags = read_toml(path)
        if data is None:
            out.diagnostics.extend(diags)
            return None
        if is_proof_script(data):
            return _script_job(path, data, args, out)
    mf, diags = _model_file_for(path, args)
    if mf is None:
        out.diagnostics.extend(diags)
        return None
    model = _build(mf.spec_path, mf.variant, dict(mf.constants), (), out)
    if model is None:
        return None
    props, pdiags = _select_properties(mf, model, args.property)
    if pdiags:
        out.diagnostics.extend(pdiags)
        return None
    if not args.property:
        props = _without_progress(model, props, out, path)

    def expect(prop: str, kind: str):
        e = mf.expectation(prop, kind)
        return e.status + (f", {e.length}" if e.length is not None else ""), e.matches
    return Job(path, model, props, [], args.k or DEFAULT_K, mf.depth, expect)


def _script_job(path: str, data: dict, args, out: Outcome) -> Job | None:
    ps = parse_proof_script(path, data)
    variant, consts, depth, selected = ps.variant, dict(ps.constants), ps.depth, None
    spec_path = ps.spec
    if ps.model:
        mf, diags = load_model_file(ps.model)
        if mf is None:
            out.diagnostics.extend(diags)
            return None
        spec_path, variant = mf.spec_path, variant or mf.variant
        consts = {**dict(mf.constants), **consts}
        depth = depth if depth is not None else mf.depth
        selected = mf
    consts.update(parse_consts(args.const))
    model = _build(spec_path, args.variant or variant, consts, ps.lemmas, out)  # type: ignore[arg-type]
    if model is None:
        return None
    names = [p.name for p in model.properties]
    if ps.properties:
        props = list(ps.properties)
    elif selected is not None:
        props, _ = _select_properties(selected, model, [])
    else:
        props = names
    if args.property:
        props = [p for p in props if p in args.property]
    elif not ps.properties:
        props = _without_progress(model, props, out, path)
    helpers = list(ps.helpers) + [n for n, _ in ps.lemmas if n not in ps.helpers]
    for n in props + helpers:
        if n not in names:
            raise KspecError(D.diag(D.MODEL_UNKNOWN_PROPERTY, f"`{n}` is not a property of `{model.spec_name}`",
                                    Span(path, 1, 1), hint=D.did_you_mean(n, names)))

    def expect(prop: str, kind: str):
        got = ps.expected(prop)
        want, length = got if got else ("reachable" if kind == "reachable" else "proved", None)
        return want + (f", {length}" if length is not None else ""), \
            lambda v: _script_match(v, want, length)
    return Job(path, model, props, helpers, args.k or ps.k or DEFAULT_K, depth if depth is not None else 20, expect)


def _without_progress(model, props: list[str], out: Outcome, path: str) -> list[str]:
    """Progress properties are liveness: `kspec check` decides them, k-induction
    does not apply. Unless asked for by name they are left out, with a note."""
    from kspec.symbolic.bmc import progress_names
    live = progress_names(model, props)
    if live:
        out.diagnostics.append(D.diag(D.INCONCLUSIVE, f"{path}: not proved here: progress properties "
                                      f"{', '.join(live)} (liveness; `kspec check` decides them)",
                                      severity=D.Severity.NOTE))
    return [p for p in props if p not in live]


def _script_match(v: Verdict, want: str, length: int | None) -> bool | None:
    word = {PROVED: "unreachable" if v.kind == "reachable" else "proved", VIOLATED: "violated",
            REACHABLE: "reachable", INCONCLUSIVE: "unproved"}.get(v.status, v.status)
    if word == "unproved" and want != "unproved" and not v.trace:
        return None  # a timeout or solver `unknown`, not a failed step
    return word == want and (length is None or length == v.length)


def _build(spec_path: str, variant, consts: dict, lemmas, out: Outcome):
    sr = load_spec(spec_path)
    if lemmas and sr.spec is not None:
        sr = parse_source(sr.source + lemma_source(lemmas), spec_path)
    mr = instantiate(sr, variant=variant, constants=consts)
    out.sources.update(mr.sources)
    out.diagnostics.extend(mr.diagnostics)
    return mr.model


def _run(job: Job, args, out: Outcome):
    from kspec.symbolic.prove import prove_model
    model = job.model
    rep = prove_model(model, job.props, helpers=job.helpers, k_max=job.k, depth=job.depth,  # type: ignore[arg-type]
                      timeout=args.timeout, obligations=bool(args.emit_smt2))
    rows, details, vjson, worst = [], [], [], EXIT_OK
    for v in rep.verdicts:
        exp_text, matches = job.expect(v.prop, v.kind)
        ok = matches(v)
        worst = EXIT_FAIL if ok is False else EXIT_INCONCLUSIVE if ok is None and worst == EXIT_OK else worst
        helper = " (helper)" if v.prop not in job.props else ""
        rows.append((v.prop + helper, v.summary(), exp_text, "ok" if ok else "DIFFERS" if ok is False else "?"))
        if v.trace is not None and (v.status == VIOLATED or ok is False or v.status == INCONCLUSIVE):
            details.append(_cti_detail(v) if v.status == INCONCLUSIVE else _detail(v))
        vjson.append({"property": v.prop, "kind": v.kind, "status": v.status, "summary": v.summary(),
                      "length": v.length, "expected": exp_text, "as_expected": ok, "helper": bool(helper),
                      "trace": trace_to_json(v.trace) if v.trace else None,
                      "counterexample_to_induction": v.status == INCONCLUSIVE and v.trace is not None})
    smt = []
    if args.emit_smt2:
        from kspec.symbolic.smtlib import write_obligations
        stem = os.path.splitext(os.path.basename(job.path))[0]
        smt = write_obligations(args.emit_smt2, stem, rep.induction.obligations)
    head = f"{job.path}  (spec {model.spec_name}" + (f", variant {model.variant}" if model.variant else "") + ")"
    stats = (f"  k-induction up to k={rep.induction.k}, BMC up to depth {rep.bmc_depth}, {rep.seconds:.2f} s"
             + (f"; {len(smt)} SMT-LIB2 obligations in {args.emit_smt2}" if args.emit_smt2 else ""))
    out.text.extend([head, stats, _table(rows)] + details)
    return worst, {"path": job.path, "spec": model.spec_name, "variant": model.variant, "k": rep.induction.k,
                   "seconds": rep.seconds, "verdicts": vjson, "smt2": smt}


def _cti_detail(v: Verdict) -> str:
    tr = v.trace
    states = render_states(tr).replace("State 0 (initial):", "State 0 (arbitrary; possibly unreachable):", 1)
    return "\n".join([f"\n--- {v.prop}: {v.summary()} ---", f"{tr.title}.", f"hint: {v.report}",
                      "", render_interleaving(tr), "", states])
