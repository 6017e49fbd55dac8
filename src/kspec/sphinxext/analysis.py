"""What the docs say about a spec besides its text: the model files and proof
scripts that use it, their expected verdicts, optionally the verdicts the
explicit engine finds at build time, and the lock-class graph.

Pure data, no docutils: `analyse(spec_path, ...)` -> `SpecAnalysis`. Every
engine call is guarded: a model that does not lower, or an engine failure,
becomes a note on the record (and a Sphinx warning in the directive), never
an exception out of the docs build.
"""
from __future__ import annotations

import glob
import json
import os
import tomllib
from dataclasses import dataclass, field

from kspec.config import ModelFile, load_model_file
from kspec.pipeline import SpecResult, instantiate
from kspec.report.diagnostics import Diagnostic, has_errors
from kspec.verdict import Expectation, Verdict

LOCKDEP_PROPS = ("lockdep_cycle", "lockdep_recursion", "lockdep_irq")
# Never a property name (not an identifier): keeps the docs' exploration going
# after every real property is decided, so the lock graph sees every edge
# within the bound.
_KEEP_GOING = "<kspec-docs: explore to the bound>"


@dataclass(slots=True)
class PropRow:
    name: str
    kind: str  # invariant | reachable | check | deadlock | lockdep
    builtin: bool
    expected: Expectation | None  # None: disabled by [check]
    explicit: bool  # the model file has an [expect] entry for it
    actual: Verdict | None = None

    @property
    def matches(self) -> bool | None:
        if self.actual is None or self.expected is None:
            return None
        return self.expected.matches(self.actual)


@dataclass(slots=True)
class ModelRun:
    """One configuration of the spec: a model file, or a variant with default constants."""

    label: str  # model file name (stem) or "variant X (defaults)"
    path: str | None
    file: ModelFile | None
    variant: str | None
    constants: tuple[tuple[str, int], ...] = ()
    rows: list[PropRow] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    problem: str = ""  # why it could not be lowered / explored
    checked: bool = False  # verdicts come from a build-time run
    states: int = 0
    complete: bool = False
    stop_reason: str = ""
    seconds: float = 0.0
    edges: dict[tuple[str, str], str] = field(default_factory=dict)  # class edge -> where first seen


@dataclass(slots=True)
class ProofScript:
    path: str
    fields: dict
    expect: dict


@dataclass(slots=True)
class LockGraph:
    classes: dict[str, str]  # class -> kind (of its first lock)
    locks: dict[str, list[str]]  # class -> lock names
    edges: dict[tuple[str, str], dict]  # (src, dst) -> {"configs": [...], "where": str}
    explored: list[str]  # configurations explored
    incomplete: list[str]  # configurations stopped by a bound

    def cycle_edges(self) -> set[tuple[str, str]]:
        """Edges that lie on a cycle of the graph of one configuration (edges
        of different variants never close a cycle together: no kernel has both)."""
        out: set[tuple[str, str]] = set()
        for config in self.explored:
            edges = [e for e, info in self.edges.items() if config in info["configs"]]
            comp = _scc({c for e in edges for c in e}, edges)
            out |= {(a, b) for (a, b) in edges if comp[a] == comp[b]}
        return out


@dataclass(slots=True)
class SpecAnalysis:
    runs: list[ModelRun]
    defaults: list[ModelRun]  # variants with default constants (lock graph only)
    proofs: list[ProofScript]
    recorded_traces: list[str]
    graph: LockGraph | None
    dependencies: list[str]


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def model_files_for(spec_path: str, dirs: list[str]) -> list[tuple[str, ModelFile | None, list[Diagnostic]]]:
    """Model files in `dirs` whose `spec` is `spec_path` (broken ones that
    mention the spec's file name are returned with their diagnostics)."""
    out = []
    base = os.path.basename(spec_path)
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.toml"))):
            mf, diags = load_model_file(path)
            if mf is not None and _same_file(mf.spec_path, spec_path):
                out.append((path, mf, diags))
            elif mf is None and _mentions(path, base):
                out.append((path, None, diags))
    return out


def _mentions(path: str, base: str) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            return base in f.read()
    except (OSError, UnicodeDecodeError):
        return False


def proof_scripts_for(spec_path: str, dirs: list[str], model_paths: list[str]) -> tuple[list[ProofScript], list[str]]:
    """Proof scripts (`proofs/*.toml`) naming this spec or one of its model
    files, and recorded counterexamples (`*.itf.json`) named after one."""
    scripts, traces = [], []
    stems = {os.path.splitext(os.path.basename(p))[0] for p in model_paths}
    stems.add(os.path.splitext(os.path.basename(spec_path))[0])
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.toml"))):
            try:
                with open(path, "rb") as f:
                    data = tomllib.load(f)
            except (OSError, tomllib.TOMLDecodeError):
                continue
            refs = [data.get(k) for k in ("spec", "model") if isinstance(data.get(k), str)]
            if any(_same_file(os.path.join(d, r), spec_path) or
                   any(_same_file(os.path.join(d, r), m) for m in model_paths) for r in refs):
                expect = data.get("expect") if isinstance(data.get("expect"), dict) else {}
                fields = {k: v for k, v in data.items() if k not in ("expect",) and not isinstance(v, dict)}
                scripts.append(ProofScript(path, fields, expect))
        for path in sorted(glob.glob(os.path.join(d, "*.itf.json"))):
            name = os.path.basename(path)
            if any(name.startswith(s + ".") or name.startswith(s + "_") for s in stems):
                traces.append(path)
    return scripts, traces


def _rows(model, mf: ModelFile | None) -> list[PropRow]:
    rows = []
    only = set(mf.only) if mf else set()
    disabled = set(mf.disable) if mf else set()
    explicit = {n for n, _ in mf.expect} if mf else set()
    for p in model.properties:
        off = (only and p.name not in only) or p.name in disabled
        exp = None if off else (mf.expectation(p.name, p.kind) if mf else
                                Expectation("reachable" if p.kind == "reachable" else "holds"))
        rows.append(PropRow(p.name, p.kind, p.builtin, exp, p.name in explicit))
    return rows


def _explore(run: ModelRun, model, max_states: int, max_seconds: float, verdicts: bool) -> None:
    from kspec.check import verdict_for
    from kspec.explicit.compile import compile_model
    from kspec.explicit.explore import Limits, explore

    cm = compile_model(model)
    names = {r.name for r in run.rows if r.expected is not None} if verdicts else set()
    active = names | set(LOCKDEP_PROPS) | {_KEEP_GOING}
    limits = Limits(max_states=max_states, max_seconds=max_seconds)
    if run.file is not None:
        limits.max_states = min(max_states, run.file.max_states)
        limits.max_depth = run.file.max_depth
    ex = explore(cm, active, limits)
    run.states, run.complete, run.stop_reason, run.seconds = len(ex.states), ex.complete, ex.stop_reason, ex.seconds
    for (src, dst), e in getattr(ex, "lockdep_edges", {}).items():
        t = model.transitions[e.tid]
        run.edges[(src, dst)] = f"{t.name}: takes {e.target_lock} holding {e.held_lock}"
    if verdicts:
        for r in run.rows:
            info = model.property(r.name)
            if r.expected is not None and info is not None:
                r.actual = verdict_for(ex, info)
        run.checked = True


def _run(spec: SpecResult, run: ModelRun, *, check: bool, graph: bool, max_states: int,
         max_seconds: float) -> None:
    res = instantiate(spec, variant=run.variant, constants=dict(run.constants))
    run.diagnostics = list(res.diagnostics)
    if res.model is None:
        errs = [d for d in res.diagnostics if d.is_error]
        run.problem = f"does not lower: {errs[0].message}" if errs else "does not lower"
        return
    run.rows = _rows(res.model, run.file)
    if not (check or graph):
        return
    try:
        _explore(run, res.model, max_states, max_seconds, check)
    except Exception as e:  # an engine failure is reported on the page, not raised
        run.problem = f"the explicit engine failed: {type(e).__name__}: {e}"
        run.checked = False
        for r in run.rows:
            r.actual = None


def analyse(spec: SpecResult, *, model_dirs: list[str], proof_dirs: list[str], check: bool, graph: bool,
            max_states: int = 50_000, max_seconds: float = 10.0, graph_max_states: int = 20_000) -> SpecAnalysis:
    """Everything recorded about `spec` (parsed already) in the model and proof directories."""
    assert spec.spec is not None
    deps: list[str] = []
    runs: list[ModelRun] = []
    for path, mf, diags in model_files_for(spec.path, model_dirs):
        deps.append(path)
        label = os.path.splitext(os.path.basename(path))[0]
        if mf is None:
            runs.append(ModelRun(label, path, None, None, diagnostics=diags,
                                 problem=f"model file is invalid: {diags[0].message if diags else '?'}"))
            continue
        run = ModelRun(label, path, mf, mf.variant, mf.constants)
        _run(spec, run, check=check, graph=graph, max_states=max_states if check else graph_max_states,
             max_seconds=max_seconds)
        runs.append(run)
    variants = declared_variants(spec)
    defaults: list[ModelRun] = []
    if graph:
        covered = {r.variant or (variants[0] if variants else None) for r in runs if r.file is not None}
        for v in variants or [None]:
            if v in covered and runs:
                continue
            run = ModelRun(f"variant {v} (default constants)" if v else "default constants", None, None, v)
            _run(spec, run, check=False, graph=True, max_states=graph_max_states, max_seconds=max_seconds)
            defaults.append(run)
    scripts, traces = proof_scripts_for(spec.path, proof_dirs, [r.path for r in runs if r.path])
    deps += [s.path for s in scripts] + traces
    return SpecAnalysis(runs, defaults, scripts, traces, lock_graph(spec, runs + defaults) if graph else None, deps)


def declared_variants(spec: SpecResult) -> list[str]:
    from kspec.syntax import ast as A
    for d in spec.spec.decls if spec.spec else ():
        if isinstance(d, A.VariantDecl):
            return list(d.names)
    return []


def lock_graph(spec: SpecResult, runs: list[ModelRun]) -> LockGraph:
    """Lock classes from the declarations; edges from the lockdep graph each
    explored configuration accumulated."""
    from kspec.syntax import ast as A
    classes: dict[str, str] = {}
    locks: dict[str, list[str]] = {}
    for d in spec.spec.decls if spec.spec else ():
        if isinstance(d, A.LockDecl):
            cls = d.lock_class or d.name
            classes.setdefault(cls, d.kind)
            locks.setdefault(cls, []).append(d.name)
    edges: dict[tuple[str, str], dict] = {}
    explored, incomplete = [], []
    for r in runs:
        if r.problem or not (r.states or r.edges):
            continue
        explored.append(r.label)
        if not r.complete:
            incomplete.append(r.label)
        for key, where in sorted(r.edges.items()):
            e = edges.setdefault(key, {"configs": [], "where": where, "variants": set()})
            e["configs"].append(r.label)
            e["variants"].add(r.variant)
    return LockGraph(classes, locks, edges, explored, incomplete)


def _scc(vertices, edges) -> dict[str, int]:
    """Tarjan's strongly connected components: vertex -> component id."""
    succ: dict[str, list[str]] = {v: [] for v in vertices}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        succ.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    comp: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    counter = [0]

    def visit(v: str) -> None:  # graphs here have a handful of lock classes
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in succ[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            while True:
                w = stack.pop()
                on.discard(w)
                comp[w] = index[v]
                if w == v:
                    break

    for v in sorted(succ):
        if v not in index:
            visit(v)
    return comp


def itf_summary(path: str) -> str:
    """One line about a recorded ITF trace: its number of states."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        n = len(data.get("states", []))
        return f"{n} states ({max(n - 1, 0)} steps)"
    except (OSError, ValueError, AttributeError):
        return "unreadable"


def lowering_errors(runs: list[ModelRun]) -> list[Diagnostic]:
    seen, out = set(), []
    for r in runs:
        if has_errors(r.diagnostics):
            for d in r.diagnostics:
                key = (d.code, d.message, str(d.span))
                if d.is_error and key not in seen:
                    seen.add(key)
                    out.append(d)
    return out
