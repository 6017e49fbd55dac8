"""Verdict parts of a spec page: expected verdicts per property, the built-in
checks, one section per model file (with build-time verdicts and
counterexamples as interleaving tables when the engine was run), proofs."""
from __future__ import annotations

import os
from typing import Callable

from docutils import nodes

from kspec.sphinxext.analysis import ModelRun, PropRow, SpecAnalysis, itf_summary
from kspec.sphinxext.build import badge, code, code_block, para, section, table
from kspec.sphinxext.doctext import inline
from kspec.verdict import VIOLATED

# docs/language.md, "Built-in properties" (one line each)
BUILTINS = {
    "deadlock": "no step can be taken while some process is unfinished",
    "lock_recursion": "a process acquires a lock instance it already holds",
    "lock_release_unheld": "a process releases a lock it does not hold",
    "sleep_in_atomic": "might_sleep(), or taking a mutex, in atomic context",
    "lock_held_at_exit": "a process finishes (or an action ends) holding a lock",
    "assert_held": "lockdep_assert_held fails",
    "assert_not_held": "lockdep_assert_not_held fails",
    "lockdep_cycle": "the lock-class graph over all explored transitions has a cycle",
    "lockdep_recursion": "a second lock of a class already held is taken",
    "lockdep_irq": "a class used in irq context is also taken with that irq enabled",
    "use_after_free": "use, get, put or free of an object that is not alive",
    "double_free": "free of an object already freed",
    "double_alloc": "alloc of a live object",
    "ref_underflow": "a put that would make a count negative",
    "free_while_referenced": "free of a counted object whose count is not 0",
    "leak": "at quiescence, a live object with a count above its base, or unreachable",
    "range": "a value outside its declared range is assigned",
}



def builtin_meanings() -> dict[str, str]:
    """BUILTINS, updated from the table "Built-in properties" of docs/language.md
    when the source tree is at hand (so a new built-in is described at once)."""
    import re

    import kspec
    out: dict[str, str] = {}
    path = os.path.join(os.path.dirname(os.path.abspath(kspec.__file__)), "..", "..", "docs", "language.md")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return dict(BUILTINS)
    part = text.split("## Built-in properties", 1)[-1].split("\n## ", 1)[0]
    for names, meaning in re.findall(r"^\|\s*(`[a-z_]+`(?:,\s*`[a-z_]+`)*)\s*\|\s*(.+?)\s*\|\s*$", part, re.M):
        for name in re.findall(r"`([a-z_]+)`", names):
            out[name] = meaning
    return {**out, **{k: v for k, v in BUILTINS.items() if k not in out}}


def short_label(label: str, spec: str) -> str:
    return label[len(spec) + 1:] if label.startswith(spec + "_") and len(label) > len(spec) + 1 else label


def model_id(spec: str, label: str) -> str:
    return nodes.make_id(f"kspec-{spec}-model-{label}")


def _model_ref(spec: str, run: ModelRun, row: PropRow) -> nodes.Node:
    text = short_label(run.label, spec)
    if row.expected is not None and row.expected.length is not None:
        text += f" ({row.expected.length})"
    ref = nodes.reference("", text, refid=model_id(spec, run.label), classes=["kspec-model-ref"])
    if row.matches is False:
        return nodes.inline("", "", ref, badge(f"found {row.actual.status}", "mismatch"))
    return ref


def property_verdicts(runs: list[ModelRun], spec: str) -> dict[str, nodes.Node]:
    """Per property: its expected verdicts grouped by status, each model file
    linked to its section (a build-time verdict that differs is flagged)."""
    table_: dict[str, dict[str, list[tuple[ModelRun, PropRow]]]] = {}
    count: dict[str, int] = {}
    for run in runs:
        for row in run.rows:
            count[row.name] = count.get(row.name, 0) + 1
            status = row.expected.status if row.expected is not None else "disabled"
            table_.setdefault(row.name, {}).setdefault(status, []).append((run, row))
    out: dict[str, nodes.Node] = {}
    for name, groups in table_.items():
        cell = nodes.container(classes=["kspec-verdicts"])
        for status in ("violated", "reachable", "unreachable", "holds", "disabled"):
            items = groups.get(status)
            if not items:
                continue
            p = nodes.paragraph()
            p += badge(status, status)
            p += nodes.Text(" ")
            if len(items) == count[name] > 1 and all(r.matches is not False and r.expected.length is None
                                                     for _, r in items if r.expected is not None):
                p += nodes.Text(f"in all {len(items)} model files")
            else:
                for i, (run, row) in enumerate(items):
                    if i:
                        p += nodes.Text(", ")
                    p += _model_ref(spec, run, row)
            cell += p
        out[name] = cell
    return out


def builtin_table(runs: list[ModelRun], cell: Callable[[str], list[nodes.Node]],
                  verdicts: dict[str, nodes.Node]) -> nodes.Node:
    names: list[str] = []
    for run in runs:
        names += [r.name for r in run.rows if r.builtin and r.name not in names]
    meanings = builtin_meanings()
    names = sorted(set(names) | (set(meanings) if not runs else set()),
                   key=lambda n: (list(meanings).index(n) if n in meanings else len(meanings), n))
    rows = [[cell(n), [para(*inline(meanings.get(n, "a built-in check")))], verdicts.get(n, "")] for n in names]
    return table(["Check", "Violated when", "Expected verdicts"], rows, [2, 4, 4], classes=["kspec-builtins"])


# ---- model files -----------------------------------------------------------------
def models_section(d, an: SpecAnalysis) -> nodes.Node | None:
    if not an.runs:
        return None
    sec = section(nodes.make_id(f"kspec-{d.name}-models"), "Model files and verdicts")
    checked = any(r.checked for r in an.runs)
    sec += para("Each model file fixes a variant, constant values and bounds, and records the verdict every "
                "property must get; ", code("kspec check model/", None),
                " compares them. Properties not listed are expected to hold (witnesses: to be reachable).")
    if checked:
        sec += para("The \u201cfound\u201d column was computed by the explicit engine when this page was built, "
                    f"with at most {d.options.get('max-states', d.config.kspec_check_max_states):,} states per "
                    "model; counterexamples are shown as interleaving tables, one column per thread, callback "
                    "or interrupt.")
    sec += _summary_table(d, an.runs, checked)
    for run in an.runs:
        sec += _model(d, run, checked)
    return sec


def _summary_table(d, runs: list[ModelRun], checked: bool) -> nodes.Node:
    """One row per model file: configuration, what it expects to be violated, and the build-time outcome."""
    rows = []
    for run in runs:
        ref = nodes.reference("", "", nodes.literal(text=short_label(run.label, d.name)),
                              refid=model_id(d.name, run.label))
        mf = run.file
        config: list[nodes.Node] = []
        if mf is not None:
            config.append(badge(mf.variant or "default", "variant"))
            if mf.constants:
                config.append(nodes.Text(" " + ", ".join(f"{k}={int(v)}" for k, v in mf.constants)))
        bad = [r for r in run.rows if r.expected is not None and r.expected.status in ("violated", "unreachable")]
        found: list[nodes.Node] = []
        for i, r in enumerate(bad):
            if i:
                found.append(nodes.Text(", "))
            found += [nodes.literal(text=r.name)]
            if r.expected.status == "unreachable":
                found.append(nodes.Text(" (unreachable)"))
        first: list[nodes.Node] = [para(ref)]
        if mf is not None and mf.description:
            first.append(para(mf.description, classes=["kspec-muted"]))
        row = [first, config or "", found or "nothing (all hold)"]
        if checked:
            row.append(_outcome(run))
        rows.append(row)
    headers = ["Model file", "Variant and constants", "Expected violations and unreachable witnesses"]
    if checked:
        headers.append("At build")
    return table(headers, rows, [5, 3, 5, 2] if checked else [5, 3, 5], classes=["kspec-model-summary"])


def _outcome(run: ModelRun) -> nodes.Node:
    if run.problem:
        return badge("error", "mismatch")
    if not run.checked:
        return nodes.Text("")
    if any(r.matches is False for r in run.rows):
        return badge("differs", "mismatch")
    if any(r.matches is None and r.expected is not None for r in run.rows):
        return badge("partly decided", "undecided")
    return badge("as expected", "ok")


def _model(d, run: ModelRun, checked: bool) -> nodes.Node:
    from kspec.sphinxext.domain import note
    ident = model_id(d.name, run.label)
    note(d.env, "model", run.label, ident, run.label, d.get_location())
    sec = section(ident, nodes.literal(text=os.path.basename(run.path or run.label)))
    mf = run.file
    if mf is None:
        sec += para(run.problem or "invalid model file")
        return sec
    if mf.description:
        sec += para(mf.description, classes=["kspec-model-desc"])
    facts: list[nodes.Node] = [badge(f"variant {mf.variant or 'default'}", "variant")]
    for k, v in mf.constants:
        facts += [nodes.Text(" "), code(f"{k} = {int(v)}", None)]
    facts += [nodes.Text(f"  bounds: {mf.max_states:,} states, depth {mf.max_depth:,}")]
    if mf.engine != "explicit":
        facts += [nodes.Text(f", engine {mf.engine} (depth {mf.depth})")]
    sec += para(*facts, classes=["kspec-model-facts"])
    if run.problem:
        sec += nodes.warning("", para(run.problem))
    if not run.rows:
        return sec
    shown = [r for r in run.rows if not r.builtin or r.explicit or r.matches is False or r.expected is None]
    rest = [r for r in run.rows if r not in shown]
    headers = ["Property", "Expected"] + (["Found at build", ""] if run.checked else [])
    rows = []
    for r in shown:
        exp = r.expected
        exp_cell = badge("disabled", "disabled") if exp is None else \
            [badge(exp.status, exp.status)] + ([nodes.Text(f" length {exp.length}")] if exp.length is not None else [])
        row = [[nodes.literal(text=r.name)], exp_cell]
        if run.checked:
            row += _found(r)
        rows.append(row)
    sec += table(headers, rows, [3, 2, 3, 1] if run.checked else [3, 2], classes=["kspec-model-table"])
    if rest:
        names = ", ".join(r.name for r in rest)
        sec += para(f"Other built-in checks, expected to hold: {names}.", classes=["kspec-muted"])
    if run.checked:
        sec += para(_exploration(run), classes=["kspec-muted"])
        for r in run.rows:
            if r.actual is not None and r.actual.status == VIOLATED and r.actual.trace is not None:
                sec += _counterexample(r, d.clean)
    return sec


def _found(r: PropRow) -> list:
    v = r.actual
    if v is None:
        return ["", ""]
    m = r.matches
    mark = badge("as expected", "ok") if m else badge("differs", "mismatch") if m is False else \
        badge("undecided", "undecided")
    return [v.summary(), mark]


def _exploration(run: ModelRun) -> str:
    if run.complete:
        return f"Explored exhaustively at build time: {run.states:,} states in {run.seconds:.2f} s."
    return (f"Explored at build time: {run.states:,} states in {run.seconds:.2f} s, then {run.stop_reason}; "
            f"properties not violated by then are undecided here (run kspec check on the model file).")


def _counterexample(r: PropRow, clean: Callable[[str], str]) -> nodes.Node:
    from kspec.report.trace import render_interleaving
    from kspec.sphinxext.doctext import inline
    v = r.actual
    box = nodes.container(classes=["kspec-cex"])
    head = para(nodes.strong(text=f"Counterexample: {r.name}"), nodes.Text(f" ({v.length} steps)"))
    if v.message and f"`{r.name}`" not in v.message:
        head += nodes.Text(": ")
        head.extend(inline(clean(v.message)))
    box += head
    try:
        box += code_block(clean(render_interleaving(v.trace)), "text", classes=["kspec-trace"])
        for label, extra in v.extra_traces:
            box += para(*inline(clean(str(label))))
            box += code_block(clean(render_interleaving(extra)), "text", classes=["kspec-trace"])
    except Exception as e:  # a report bug must not lose the page
        box += para(f"(the trace cannot be rendered: {type(e).__name__}: {e})")
    if v.report:
        box += code_block(clean(v.report), "text", classes=["kspec-report"])
    return box


# ---- proofs ------------------------------------------------------------------------
def proofs_section(d, an: SpecAnalysis) -> nodes.Node | None:
    if not an.proofs and not an.recorded_traces:
        return None
    sec = section(nodes.make_id(f"kspec-{d.name}-proofs"), "Proofs and recorded counterexamples")
    if an.proofs:
        sec += para("k-induction scripts (", code("kspec prove", None), ") for this spec:")
        rows = []
        for p in an.proofs:
            facts = "; ".join(f"{k} = {v}" for k, v in p.fields.items() if k not in ("spec", "model"))
            expect = ", ".join(f"{k}: {v if isinstance(v, str) else v.get('verdict', v)}"
                               for k, v in p.expect.items())
            rows.append([[nodes.literal(text=os.path.basename(p.path))], facts or "", expect or ""])
        sec += table(["Script", "Settings", "Expected"], rows, [2, 3, 3])
    if an.recorded_traces:
        sec += para("Recorded counterexamples (ITF, replayed by the tests and by ", code("kspec replay", None),
                    "):")
        items = nodes.bullet_list()
        for t in an.recorded_traces:
            items += nodes.list_item("", para(nodes.literal(text=os.path.basename(t)), f": {itf_summary(t)}"))
        sec += items
    return sec
