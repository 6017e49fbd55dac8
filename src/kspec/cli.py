"""The `kspec` command line: argument parsing, running the phases, printing
verdicts and choosing the exit code (0 as expected, 1 a verdict differs or a
property is violated, 2 bad input or usage, 3 inconclusive). Only this module
exits; heavy modules (z3) are imported only by the commands that need them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field

from kspec.report import diagnostics as D
from kspec.report.diagnostics import Diagnostic, has_errors
from kspec.report.render import diagnostic_to_json, render_all

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print usage and exit(2) with its own text
        raise UsageError(message)


@dataclass(slots=True)
class Outcome:
    """What one command produced: text to print, JSON to emit, diagnostics and
    the exit code."""

    code: int = EXIT_OK
    text: list[str] = field(default_factory=list)
    json: dict = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kspec", description="Formal specifications of kernel concurrency contracts: check, "
                "prove, simulate and replay kspec models.")
    p.add_argument("--version", action="version", version="kspec 0.1.0")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    c = sub.add_parser("check", help="check model files (or a directory of them, or a spec) and compare "
                       "each verdict with its expectation",
                       description="Check every property of each model exhaustively (explicit engine) or up "
                       "to a depth (--engine bmc). A directory runs every *.toml model file in it.")
    c.add_argument("paths", nargs="+", metavar="PATH", help="model file (.toml), directory of model files, "
                   "or spec (.kspec)")
    _model_options(c)
    c.add_argument("--engine", choices=("explicit", "bmc"), default=None,
                   help="explicit-state BFS (default) or Z3 bounded model checking")
    c.add_argument("--depth", type=_nonneg, default=None, help="BMC depth bound (default: model file or 20)")
    c.add_argument("--max-states", type=_pos, default=None, help="stop (inconclusive) beyond this many states")
    c.add_argument("--max-depth", type=_pos, default=None, help="stop (inconclusive) beyond this BFS depth")
    c.add_argument("--timeout", type=float, default=None, help="seconds per model before giving up "
                   "(inconclusive)")
    c.add_argument("--store", choices=("full", "compact", "bitstate"), default=None,
                   help="visited-state store: full states (default), 64-bit fingerprints (hash compaction, "
                   "about 25-45 bytes per state), or bitstate (Spin's supertrace: approximate)")
    c.add_argument("--bitstate-bits", type=_pos, default=27, metavar="K",
                   help="bitstate store size: 2^K bits (default 27, 16 MiB)")
    c.add_argument("--max-memory", type=_pos, default=None, metavar="MIB",
                   help="stop (inconclusive) when the process uses more than MIB MiB")
    c.add_argument("--symmetric", action="append", default=[], metavar="SORT",
                   help="treat SORT as symmetric (interchangeable values) and explore one representative "
                   "per symmetry orbit (repeatable)")
    c.add_argument("--no-symmetry", action="store_true",
                   help="explore every state, even if the spec or model file declares symmetric sorts")
    c.add_argument("--workers", type=_nonneg, default=None, metavar="N",
                   help="explicit engine: explore with N worker processes (0: one per core; default: the "
                   "model file's `workers`, else 1, in this process); same states, verdicts and "
                   "counterexamples as one process; not with --store bitstate; ignored by --engine bmc")
    c.add_argument("--itf-out", metavar="DIR", help="write each counterexample as DIR/<model>.<property>.itf.json")
    c.add_argument("--traces", choices=("none", "unexpected", "violations", "all"), default=None,
                   help="which traces to print: none, those of unexpected verdicts (default for model files), "
                   "violations (default for a spec), or all (witnesses too)")
    c.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    e = sub.add_parser("explain", help="explain a diagnostic code", description="Print the title and "
                       "explanation of a diagnostic code, e.g. `kspec explain KS1001`.")
    e.add_argument("code", metavar="CODE")
    e.add_argument("--format", choices=("text", "json"), default="text")
    r = sub.add_parser("replay", help="replay an ITF trace on a model and report whether the spec allows it")
    r.add_argument("model", metavar="MODEL", help="model file (.toml) or spec (.kspec)")
    r.add_argument("trace", metavar="TRACE", help="trace file (.itf.json)")
    _model_options(r)
    r.add_argument("--format", choices=("text", "json"), default="text")
    pr = sub.add_parser("prove", help="prove properties for every depth by k-induction (Z3)",
                        description="Prove the safety properties of model files (or proofs/*.toml scripts) "
                        "by k-induction; a failed inductive step is shown as a counterexample to induction.")
    pr.add_argument("paths", nargs="+", metavar="PATH", help="model file, proof script (.toml), directory, or "
                    "spec (.kspec)")
    _model_options(pr)
    pr.add_argument("--k", type=_pos, default=None, help="induction depth (default: the script's, or 1..10)")
    pr.add_argument("--emit-smt2", metavar="DIR", help="write each final obligation as SMT-LIB2 into DIR")
    pr.add_argument("--timeout", type=float, default=None, help="seconds per solver query (and overall)")
    pr.add_argument("--format", choices=("text", "json"), default="text")
    cf = sub.add_parser("conform", help="check a trace file of observed events against a spec (oracle)",
                        description="Validate a JSON Lines or ITF trace of observed events against a model: "
                        "every event must be allowed, with hidden internal steps in between.")
    cf.add_argument("model", metavar="MODEL", help="model file (.toml) or spec (.kspec)")
    cf.add_argument("trace", metavar="TRACE", help="trace file (.jsonl or .itf.json)")
    _model_options(cf)
    cf.add_argument("--hidden-steps", type=_nonneg, default=None,
                    help="bound on hidden internal steps between two observed events")
    cf.add_argument("--quiescent", action="store_true", help="also require quiescence at the end of the trace")
    cf.add_argument("--format", choices=("text", "json"), default="text")
    s = sub.add_parser("simulate", help="run random executions of a model and print one")
    s.add_argument("model", metavar="MODEL", help="model file (.toml) or spec (.kspec)")
    _model_options(s)
    s.add_argument("--steps", type=_pos, default=30, help="steps per run (default 30)")
    s.add_argument("--runs", type=_pos, default=1, help="number of runs (default 1)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    s.add_argument("--format", choices=("text", "json"), default="text")
    return p


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--const", action="append", default=[], metavar="NAME=VALUE",
                   help="override a constant (repeatable)")
    p.add_argument("--variant", help="select a variant of the spec")
    p.add_argument("--property", action="append", default=[], metavar="NAME",
                   help="check only these properties (repeatable)")


def _pos(text: str) -> int:
    try:
        v = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got `{text}`")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got `{text}`")
    return v


def _nonneg(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got `{text}`")
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got `{text}`")
    return v


def parse_consts(items: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--const expects NAME=VALUE, got `{item}`")
        v = value.strip().lower()
        if v in ("true", "false"):
            out[name.strip()] = v == "true"  # type: ignore[assignment]
            continue
        try:
            out[name.strip()] = int(v)
        except ValueError:
            raise UsageError(f"--const {name}: `{value}` is not an integer or boolean")
    return out


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    fmt = "json" if "--format=json" in args_list or _json_flag(args_list) else "text"
    try:
        args = build_parser().parse_args(args_list)
        if args.command is None:
            build_parser().print_help()
            return EXIT_USAGE
        outcome = _dispatch(args)
    except UsageError as e:
        outcome = Outcome(EXIT_USAGE, diagnostics=[D.diag(D.USAGE_ERROR, str(e), hint="see `kspec --help` or "
                                                              "`kspec COMMAND --help`")])
    except SystemExit as e:  # --help and --version print and exit through argparse
        return int(e.code or 0) if isinstance(e.code, int) or e.code is None else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a kspec bug: say so with a code, never a bare traceback
        import traceback
        detail = traceback.format_exc(limit=-3)
        outcome = Outcome(EXIT_USAGE, diagnostics=[D.diag(D.INTERNAL_ERROR, f"internal error: {e!r}",
                                                          notes=[detail.strip().splitlines()[-1]],
                                                          hint="please report this with the spec and command")])
    _emit(outcome, fmt)
    return outcome.code


def _json_flag(args: list[str]) -> bool:
    return any(a == "--format" and i + 1 < len(args) and args[i + 1] == "json" for i, a in enumerate(args))


def _emit(outcome: Outcome, fmt: str) -> None:
    if fmt == "json":
        data = dict(outcome.json)
        data["diagnostics"] = [diagnostic_to_json(d) for d in outcome.diagnostics]
        data["exit_code"] = outcome.code
        print(json.dumps(data, indent=2))
        return
    if outcome.text:
        print("\n".join(outcome.text))
    if outcome.diagnostics:
        print(render_all(outcome.diagnostics, outcome.sources), file=sys.stderr)


def _dispatch(args) -> Outcome:
    if args.command == "explain":
        return cmd_explain(args.code)
    import importlib
    module = {"prove": "kspec.symbolic.cli", "conform": "kspec.oracle.cli"}.get(args.command, "kspec.commands")
    return getattr(importlib.import_module(module), f"cmd_{args.command}")(args)


def cmd_explain(code: str) -> Outcome:
    c = D.REGISTRY.get(code.strip().upper())
    if c is None:
        return Outcome(EXIT_USAGE, diagnostics=[D.diag(D.USAGE_ERROR, f"unknown diagnostic code `{code}`",
                                                       hint=D.did_you_mean(code.upper(), D.REGISTRY))])
    return Outcome(EXIT_OK, [f"{c.code}: {c.title}", "", c.explanation],
                   {"code": c.code, "title": c.title, "explanation": c.explanation})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
