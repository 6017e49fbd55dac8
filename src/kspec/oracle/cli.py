"""`kspec conform MODEL TRACE`: stream a trace file through the oracle.

Exit codes as everywhere in kspec: 0 the trace conforms (and is quiescent at
the end with `--quiescent`), 1 an event is not allowed or violates the
contract, or the end is not quiescent, 2 the trace or the spec is malformed
(unknown event, bad arguments, a line that is not an event), 3 the hidden-step
bound stopped the search (nothing claimed).
"""
from __future__ import annotations

import gc
import os
import time
from dataclasses import replace

from kspec.cli import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_OK, EXIT_USAGE, Outcome, parse_consts
from kspec.oracle.core import DEFAULT_HIDDEN_STEPS, Oracle, SpecError
from kspec.oracle.errors import ConformanceError
from kspec.oracle.traces import TraceError, read_trace
from kspec.report import diagnostics as D
from kspec.report.diagnostics import Span

TABLE_EVENTS = 30  # observed events shown before a failure
_SOURCE_LINES = 100_000  # up to this line number, the offending trace line is shown with a caret

_EXIT = {D.CONFORMANCE_REJECTED: EXIT_FAIL, D.CONFORMANCE_VIOLATION: EXIT_FAIL,
         D.CONFORMANCE_NOT_QUIESCENT: EXIT_FAIL, D.CONFORMANCE_BOUND: EXIT_INCONCLUSIVE}


def build_oracle(args, history: int | None = TABLE_EVENTS) -> Oracle:
    options = {"hidden_steps": args.hidden_steps if args.hidden_steps is not None else DEFAULT_HIDDEN_STEPS,
               "history": history}
    if args.property:
        options["properties"] = args.property
    consts = parse_consts(args.const)
    if args.model.endswith(".toml"):
        return Oracle.from_model(args.model, constants=consts, variant=args.variant, **options)
    return Oracle.from_spec(args.model, constants=consts, variant=args.variant, **options)


def cmd_conform(args) -> Outcome:
    out = Outcome()
    if not os.path.exists(args.model):
        out.code = EXIT_USAGE
        out.diagnostics.append(D.diag(D.FILE_UNREADABLE, f"no such file: `{args.model}`", Span(args.model, 1, 1)))
        return out
    try:
        oracle = build_oracle(args)
    except SpecError as e:
        out.code, out.diagnostics = EXIT_USAGE, e.diagnostics
        return out
    except ValueError as e:  # an unknown --property
        out.code = EXIT_USAGE
        out.diagnostics.append(D.diag(D.MODEL_UNKNOWN_PROPERTY, str(e)))
        return out
    start = time.perf_counter()
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)  # the oracle's caches are many small objects: collect less often
    try:
        failure = _run(oracle, args, out)
    finally:
        gc.set_threshold(*threshold)
    secs = time.perf_counter() - start
    out.json = {"trace": args.trace, "spec": oracle.model.spec_name, "variant": oracle.model.variant,
                "events": oracle.count, "conforms": failure is None and out.code == EXIT_OK,
                "candidates": len(oracle.candidates), "seconds": round(secs, 3)}
    if failure is not None:
        _report_failure(failure, args, out)
    elif out.code == EXIT_OK:
        rate = f", {oracle.count / secs:,.0f} events/s" if secs > 0 and oracle.count > 1000 else ""
        out.text.append(f"{args.trace}: {oracle.count:,} events conform to `{oracle.model.spec_name}`"
                        + (f" (variant {oracle.model.variant})" if oracle.model.variant else "")
                        + f"; {len(oracle.candidates)} consistent state(s) at the end"
                        + (", quiescent" if args.quiescent else "") + f" ({secs:.2f} s{rate})")
    return out


def _run(oracle: Oracle, args, out: Outcome) -> ConformanceError | None:
    last = 0
    try:
        for ev in read_trace(args.trace):
            last = ev.where.line
            oracle.observe_record(ev.event, ev.thread, ev.result, ev.args, ts=ev.ts, where=ev.where)
        if args.quiescent:
            oracle.check_quiescent(where=Span(args.trace, max(last, 1), 1))
    except TraceError as e:
        out.code = EXIT_USAGE
        out.diagnostics.append(e.diagnostic)
        _add_source(args.trace, out)
    except ConformanceError as e:
        return e
    return None


def _report_failure(e: ConformanceError, args, out: Outcome) -> None:
    out.code = _EXIT.get(e.code, EXIT_USAGE)
    out.diagnostics.append(e.diagnostic)
    _add_source(args.trace, out)
    if e.events or e.rejected is not None:
        from kspec.oracle.errors import marker
        from kspec.oracle.report import interleaving
        head = f"observed events (the last {len(e.events)} of {len(e.events) + e.omitted:,})" if e.omitted else \
            "observed events"
        out.text.append(head + ":")
        out.text.append(interleaving(e.events, e.rejected, omitted=e.omitted, marker=marker(e.code)))
    out.json["error"] = {"code": e.code, "message": e.diagnostic.message, "notes": list(e.diagnostic.notes)}
    if e.rejected is not None:
        out.json["rejected"] = {"index": e.rejected.index, **e.rejected.to_json(),
                                "line": e.rejected.where.line if e.rejected.where else None}
    out.json["recent_events"] = [o.to_json() for o in e.events]


def _add_source(path: str, out: Outcome) -> None:
    """Show the trace lines the diagnostics point at (the file is read again,
    one line at a time): with a caret when the line number is small enough for
    the renderer, which splits the whole source; else quoted in a note."""
    wanted = {d.span.line for d in out.diagnostics if d.span is not None and d.span.file == path}
    found: dict[int, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if n in wanted:
                    found[n] = line.rstrip("\r\n")
                    if len(found) == len(wanted):
                        break
    except OSError:
        return
    if found and max(found) <= _SOURCE_LINES:
        pieces, at = [], 1
        for n in sorted(found):
            pieces += ["\n" * (n - at), found[n]]
            at = n
        out.sources[path] = "".join(pieces)
        return
    out.diagnostics = [replace(d, notes=(f"line {d.span.line}: {found[d.span.line][:200]}",) + d.notes)
                       if d.span is not None and d.span.file == path and d.span.line in found else d
                       for d in out.diagnostics]
