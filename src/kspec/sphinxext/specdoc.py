"""The `kspec:spec` directive: one spec rendered as a page a kernel developer
can read without opening the `.kspec` file.

Parsing uses `kspec.pipeline.load_spec`; what was checked comes from
`kspec.sphinxext.analysis`. A spec that does not parse is a Sphinx warning at
the directive (with the kspec diagnostic) and an error box on the page; a
spec that parses but does not lower is rendered from its text, with a warning.
"""
from __future__ import annotations

import os

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from kspec.pipeline import load_spec
from kspec.report.render import render_all
from kspec.sphinxext import analysis as AN
from kspec.sphinxext import doctext
from kspec.sphinxext.build import Source, badge, code, code_block, one_line, para, section, table
from kspec.sphinxext.domain import note
from kspec.sphinxext.verdicts import builtin_table, models_section, property_verdicts, proofs_section
from kspec.syntax import ast as A

logger = logging.getLogger(__name__)


def _flag_list(text: str | None) -> list[str]:
    return [x for x in (text or "").replace(",", " ").split() if x]


def _ident(*parts: str) -> str:
    return nodes.make_id("kspec-" + "-".join(parts)) or "kspec"


def _tags(tags: tuple, src: Source | None = None) -> list[nodes.Node]:
    """Badges for `@variant` tags ("only a, b") and `@when(c)` tags ("when c")."""
    names = [t for t in tags if isinstance(t, str)]
    out = [badge("only " + ", ".join(names), "variant")] if names else []
    for t in tags:
        if not isinstance(t, str):
            cond = getattr(t, "cond", None)
            text = src.span_text(getattr(cond, "span", None)) if src is not None else ""
            out.append(badge(f"when {one_line(text) or '…'}", "variant"))
    return out


def _doc(text: str) -> list[nodes.Node]:
    return doctext.doc_nodes(text) if text else []


def _walk(stmts) -> list:
    """Every statement of a body, nested ones included."""
    out = []
    for s in stmts:
        out.append(s)
        if isinstance(s, A.If):
            out += _walk(s.then) + _walk(s.else_)
        elif isinstance(s, A.Either):
            for b in s.branches:
                out += _walk(b)
        elif isinstance(s, A.TryLock):
            out += _walk(s.then) + _walk(s.else_)
    return out


def _end_line(stmts, default: int) -> int:
    ends = [s.span.end_line for s in stmts if s.span is not None and s.span.end_line]
    return max(ends + [default])


class SpecDirective(SphinxDirective):
    """``.. kspec:spec:: path/to/file.kspec`` (relative to the document, or to
    the source directory with a leading ``/``)."""

    required_arguments = 1
    option_spec = {
        "check": directives.flag,  # run the explicit engine at build time (bounded)
        "no-check": directives.flag,
        "no-graph": directives.flag,
        "no-source": directives.flag,  # steps without their source code
        "models": directives.unchanged,  # model-file directories (relative to the document)
        "proofs": directives.unchanged,
        "max-states": directives.positive_int,
    }

    # ---- entry point ----------------------------------------------------------------
    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        path = os.path.normpath(path)
        self.env.note_dependency(rel)
        shown = self._shown_path(path)
        res = load_spec(path)
        if res.spec is None:
            return self._broken(res, shown)
        self.spec = res.spec
        self.name = res.spec.name
        self.src = Source(res.source)
        cfg = self.config
        check = ("check" in self.options or bool(cfg.kspec_check)) and "no-check" not in self.options
        graph = bool(cfg.kspec_lock_graph) and "no-graph" not in self.options
        try:
            self.an = AN.analyse(res, model_dirs=self._dirs("models", cfg.kspec_model_dirs, path, "model"),
                                 proof_dirs=self._dirs("proofs", cfg.kspec_proof_dirs, path, "proofs"),
                                 check=check, graph=graph,
                                 max_states=self.options.get("max-states", cfg.kspec_check_max_states),
                                 max_seconds=cfg.kspec_check_max_seconds,
                                 graph_max_states=cfg.kspec_graph_max_states)
        except Exception as e:  # never crash the build on a kspec bug
            logger.warning("kspec: analysing %s failed: %s: %s", shown, type(e).__name__, e,
                           location=self.get_location(), type="kspec", subtype="engine")
            self.an = AN.SpecAnalysis([], [], [], [], None, [])
        for dep in self.an.dependencies:
            self.env.note_dependency(dep)
        self._report_problems(shown)
        try:
            return self._page(shown)
        except Exception as e:  # a kspec.sphinxext bug (or an AST it does not know yet): say so, go on
            import traceback
            where = traceback.extract_tb(e.__traceback__)[-1]
            logger.warning("kspec: cannot render %s: %s: %s (%s:%s)", shown, type(e).__name__, e,
                           os.path.basename(where.filename), where.lineno, location=self.get_location(),
                           type="kspec", subtype="render")
            return [nodes.error("", para(f"The spec {shown} cannot be rendered: {type(e).__name__}: {e}"))]

    def _shown_path(self, path: str) -> str:
        root = os.path.dirname(os.path.abspath(self.env.srcdir))
        relp = os.path.relpath(path, root)
        return path if relp.startswith("..") else relp

    def clean(self, text: str) -> str:
        """Report text with the project root stripped from file paths."""
        return text.replace(os.path.dirname(os.path.abspath(self.env.srcdir)) + os.sep, "")

    def _dirs(self, option: str, configured, spec_path: str, default: str) -> list[str]:
        if option in self.options:
            return [self.env.relfn2path(d)[1] for d in _flag_list(self.options[option])]
        if configured:
            return [os.path.join(self.env.app.confdir, d) for d in configured]
        d = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(spec_path))), default)
        return [d] if os.path.isdir(d) else []

    def _broken(self, res, shown: str) -> list[nodes.Node]:
        root = os.path.dirname(os.path.abspath(self.env.srcdir)) + os.sep
        text = render_all(res.diagnostics, {res.path: res.source}).replace(root, "")
        first = res.diagnostics[0] if res.diagnostics else None
        msg = f"{first.code}: {first.message}" if first else "cannot be parsed"
        where = f" ({shown}:{first.span.line}:{first.span.col})" if first and first.span else ""
        logger.warning("kspec spec %s does not parse: %s%s", shown, msg, where, location=self.get_location(),
                       type="kspec", subtype="parse")
        box = nodes.error()
        box += para(f"The spec {shown} does not parse, so it cannot be shown here:")
        box += code_block(text, "text")
        return [box]

    def _report_problems(self, shown: str) -> None:
        level = self.config.kspec_lower_errors
        for d in AN.lowering_errors(self.an.runs + self.an.defaults):
            where = f"{self._shown_path(d.span.file)}:{d.span.line}:{d.span.col}: " if d.span else ""
            text = f"kspec spec {shown}: {where}error[{d.code}]: {d.message}"
            if level == "warning":
                logger.warning(text, location=self.get_location(), type="kspec", subtype="lower")
            else:
                logger.info(text, location=self.get_location())
        for r in self.an.runs + self.an.defaults:
            if r.problem.startswith("the explicit engine failed"):
                logger.warning("kspec spec %s, %s: %s", shown, r.label, r.problem, location=self.get_location(),
                               type="kspec", subtype="engine")

    # ---- the page -------------------------------------------------------------------
    def _page(self, shown: str) -> list[nodes.Node]:
        spec_id = _ident(self.name)
        note(self.env, "spec", self.name, spec_id, self.name, self.get_location())
        target = nodes.target("", "", ids=[spec_id])
        index = addnodes.index(entries=[("single", f"{self.name} (kspec spec)", spec_id, "", None)])
        top = nodes.container(classes=["kspec-spec"])
        top += self._summary(shown)
        top.extend(_doc(self.spec.doc))
        out: list[nodes.Node] = [index, target, top]
        for part in (self._parameters, self._state, self._processes, self._properties, self._lock_order,
                     self._models, self._proofs):
            sec = part()
            if sec is not None:
                out.append(sec)
        return out

    def _decls(self, *types):
        return [d for d in self.spec.decls if isinstance(d, types)]

    def _summary(self, shown: str) -> nodes.Node:
        variants = self._decls(A.VariantDecl)
        procs = self._decls(A.ProcessDecl)
        acts = self._decls(A.ActionDecl)
        props = self._decls(A.PropertyDecl)
        asserts = {s.name for p in procs for st in _all_steps(p.steps) for s in _walk(_body(st))
                   if isinstance(s, A.Assert)}
        asserts |= {s.name for a in acts for s in _walk(a.body) if isinstance(s, A.Assert)}
        rows = [("File", [code(shown, None)])]
        if variants:
            names = list(variants[0].names)
            rows.append(("Variants", [code(names[0], None), nodes.Text(" (default)")] +
                         [x for n in names[1:] for x in (nodes.Text(", "), code(n, None))]))
        rows.append(("Processes", ", ".join(self._proc_title(p) for p in procs) or "none"))
        if acts:
            rows.append(("Actions", ", ".join(a.name for a in acts)))
        n_inv = sum(1 for p in props if p.kind == "invariant")
        n_wit = len(props) - n_inv
        n_con = len(self._decls(A.ContractDecl))
        n_pro = len(self._decls(A.ProgressDecl))
        rows.append(("Properties", f"{n_inv} invariants, {len(asserts)} assertions, "
                                   + (f"{n_con} contracts, " if n_con else "")
                                   + (f"{n_pro} progress properties, " if n_pro else "")
                                   + f"{n_wit} witnesses, plus the built-in checks"))
        models = [r for r in self.an.runs]
        if models:
            refs: list[nodes.Node] = []
            for i, r in enumerate(models):
                if i:
                    refs.append(nodes.Text(", "))
                refs.append(nodes.reference("", r.label, refid=_ident(self.name, "model", r.label)))
            rows.append(("Model files", refs))
        fl = nodes.field_list(classes=["kspec-summary"])
        for name, value in rows:
            f = nodes.field()
            f += nodes.field_name(name, name)
            body = nodes.field_body()
            body += para(value) if isinstance(value, str) else para(*value)
            f += body
            fl += f
        return fl

    def _proc_title(self, p: A.ProcessDecl) -> str:
        return f"{p.name}[{p.index.name}: {self.src.span_text(p.index.type.span) or '…'}]" if p.index else p.name

    # ---- parameters, state ------------------------------------------------------
    def _decl_rows(self, decls, kind: str, scope: str = "") -> list:
        """Rows (declaration, meaning); each name is a `:kspec:var:` target
        (`spec.name`, or `spec.process.name` for a local)."""
        rows = []
        for d in decls:
            name = getattr(d, "name", None)
            qual = f"{scope}.{name}" if scope else name
            ident = _ident(self.name, kind, *(scope.split(".") if scope else []), name) if name else ""
            cell: list[nodes.Node] = []
            if name:
                cell.append(nodes.target("", "", ids=[ident]))
                note(self.env, "variable", f"{self.name}.{qual}", ident, qual, self.get_location())
            cell.append(code(one_line(self.src.span_text(d.span)) or str(name)))
            cell += _tags(d.tags, self.src)
            rows.append([cell, _doc(d.doc) or ""])
        return rows

    def _parameters(self) -> nodes.Node | None:
        parts: list[nodes.Node] = []
        variants = self._decls(A.VariantDecl)
        if variants:
            v = variants[0]
            parts.append(para("A model file selects one variant with ", code('variant = "…"', None),
                              "; ", code("@tag", None), " prefixes and ", code("variant == name", None),
                              " tests select the code of each."))
            parts.extend(_doc(v.doc))
        consts = self._decls(A.ConstDecl)
        if consts:
            parts.append(para("Constants (overridable from a model file or with ", code("--const NAME=VALUE", None),
                              "):"))
            parts.append(table(["Constant", "Meaning"], self._decl_rows(consts, "const"), [2, 3]))
        types = self._decls(A.SortDecl, A.EnumDecl, A.RecordDecl)
        if types:
            parts.append(para("Types:"))
            parts.append(table(["Type", "Meaning"], self._decl_rows(types, "type"), [2, 3]))
        if not parts:
            return None
        return section(_ident(self.name, "parameters"), "Variants and parameters", *parts)

    def _state(self) -> nodes.Node | None:
        parts: list[nodes.Node] = []
        vs = self._decls(A.VarDecl)
        if vs:
            parts.append(table(["Variable", "Meaning"], self._decl_rows(vs, "var"), [2, 3]))
        locks = self._decls(A.LockDecl)
        if locks:
            rows = []
            for d in locks:
                ident = _ident(self.name, "lock", d.name)
                note(self.env, "lock", f"{self.name}.{d.name}", ident, d.name, self.get_location())
                idx = self.src.span_text(d.index.span) if d.index is not None else ""
                name_cell = [nodes.target("", "", ids=[ident]), code(d.name + (f"[{idx}]" if idx else ""), None)]
                rows.append([name_cell + _tags(d.tags, self.src), d.kind, d.lock_class or d.name, _doc(d.doc) or ""])
            parts.append(para("Locks (a lock class is lockdep's notion: every instance of the lock, and every "
                              "lock declared with the same ", code("class", None), ", shares it):"))
            parts.append(table(["Lock", "Kind", "Class", "Meaning"], rows, [2, 1, 1, 4]))
        objs = self._decls(A.ObjectDecl)
        if objs:
            parts.append(para("Heap objects with tracked lifetimes (alloc, get/put, free, use):"))
            rows = []
            for d in objs:
                ident = _ident(self.name, "var", d.name)
                note(self.env, "variable", f"{self.name}.{d.name}", ident, d.name, self.get_location())
                settings = "\n".join(f"{k}: {one_line(self.src.span_text(getattr(v, 'span', None)) or '…')}"
                                     for k, v in d.settings)
                head = f"{d.name}[{d.param.name}: {self.src.span_text(d.param.type.span) or '…'}]"
                rows.append([[nodes.target("", "", ids=[ident]), code(head, None)] + _tags(d.tags, self.src),
                             code_block(settings, "text") if settings else "", _doc(d.doc) or ""])
            parts.append(table(["Object", "Settings", "Meaning"], rows, [2, 2, 4]))
        defs = self._decls(A.DefineDecl)
        if defs:
            parts.append(para("Definitions (side-effect-free, inlined at each use):"))
            parts.append(table(["Definition", "Meaning"], self._decl_rows(defs, "define"), [3, 2]))
        events = self._decls(A.EventDecl)
        if events:
            parts.append(para("Observable events (what the conformance oracle observes):"))
            parts.append(table(["Event", "Meaning"], self._decl_rows(events, "event"), [2, 3]))
        if not parts:
            return None
        return section(_ident(self.name, "state"), "State", *parts)

    # ---- processes and actions --------------------------------------------------------
    def _processes(self) -> nodes.Node | None:
        procs = self._decls(A.ProcessDecl)
        acts = self._decls(A.ActionDecl)
        if not procs and not acts:
            return None
        sec = section(_ident(self.name, "processes"), "Processes and actions")
        sec += para("Each labelled step is one atomic transition; its comment says which kernel code it models. "
                    "Steps marked \u201conly\u201d exist in those variants.")
        for p in procs:
            sec += self._process(p)
        for a in acts:
            sec += self._action(a)
        return sec

    def _process(self, p: A.ProcessDecl) -> nodes.Node:
        ident = _ident(self.name, "proc", p.name)
        note(self.env, "process", f"{self.name}.{p.name}", ident, p.name, self.get_location())
        title = nodes.literal(text=f"process {self._proc_title(p)}")
        sec = section(ident, title)
        facts = [badge(f"context {p.context}", "context")]
        if p.idle:
            facts.append(badge("idle until started", "idle"))
        facts += _tags(p.tags, self.src)
        sec += para(*_join(facts))
        sec.extend(_doc(p.doc))
        if p.locals:
            sec += para("Local variables (one copy per instance):")
            sec += table(["Local", "Meaning"], self._decl_rows(p.locals, "local", p.name), [2, 3])
        steps = nodes.container(classes=["kspec-steps"])
        for st in p.steps:
            steps += self._step(p.name, st)
        sec += steps
        return sec

    def _step(self, proc: str, st) -> nodes.Node:
        ident = _ident(self.name, "step", proc, st.label)
        note(self.env, "step", f"{self.name}.{proc}.{st.label}", ident, f"{proc}.{st.label}", self.get_location())
        box = nodes.container(classes=["kspec-step"], ids=[ident])
        head = para(nodes.literal(text=st.label, classes=["kspec-label"]), *_tags(st.tags, self.src),
                    classes=["kspec-step-head"])
        box += head
        box.extend(_doc(st.doc))
        line = st.span.line if st.span else None
        if isinstance(st, A.WhileStep):
            end = st.cond.span.end_line if st.cond.span else line
            if "no-source" not in self.options and line:
                box += code_block(self.src.line_range(line, end) + " … }", first_line=line)
            inner = nodes.container(classes=["kspec-steps", "kspec-loop"])
            for sub in st.body:
                inner += self._step(proc, sub)
            box += inner
        elif "no-source" not in self.options and line:
            box += code_block(self.src.line_range(line, _end_line(st.body, line)), first_line=line)
        return box

    def _action(self, a: A.ActionDecl) -> nodes.Node:
        ident = _ident(self.name, "proc", a.name)
        note(self.env, "process", f"{self.name}.{a.name}", ident, a.name, self.get_location())
        params = ", ".join(f"{x.name}: {self.src.span_text(x.type.span) or '…'}" for x in a.params)
        sec = section(ident, nodes.literal(text=f"action {a.name}({params})"))
        facts = [badge(f"context {a.context}", "context"), badge("environment step", "idle")] + _tags(a.tags, self.src)
        sec += para(*_join(facts))
        sec.extend(_doc(a.doc))
        if "no-source" not in self.options and a.span:
            sec += code_block(self.src.line_range(a.span.line, a.span.end_line), first_line=a.span.line)
        return sec

    # ---- properties ---------------------------------------------------------------
    def _assert_sites(self) -> dict[str, list[tuple[str, str, A.Assert]]]:
        sites: dict[str, list] = {}
        for p in self._decls(A.ProcessDecl):
            for st in _all_steps(p.steps):
                for s in _walk(_body(st)):
                    if isinstance(s, A.Assert):
                        sites.setdefault(s.name, []).append((p.name, st.label, s))
        for a in self._decls(A.ActionDecl):
            for s in _walk(a.body):
                if isinstance(s, A.Assert):
                    sites.setdefault(s.name, []).append((a.name, "", s))
        return sites

    def _prop_cell(self, name: str, kind: str | None, tags=()) -> list[nodes.Node]:
        ident = _ident(self.name, "prop", name)
        note(self.env, "property", f"{self.name}.{name}", ident, name, self.get_location())
        cell: list[nodes.Node] = [nodes.target("", "", ids=[ident]), nodes.literal(text=name, classes=["kspec-prop"])]
        if kind:
            cell += [nodes.Text(" "), badge(kind, kind)]
        return cell + _tags(tuple(tags), self.src)

    def _prop_block(self, name: str, kind: str, tags, body: list[nodes.Node], verdicts) -> nodes.Node:
        box = nodes.container(classes=["kspec-prop-block"])
        box += para(*self._prop_cell(name, kind, tags), classes=["kspec-step-head"])
        box.extend(body)
        if verdicts is not None:
            exp = nodes.container(classes=["kspec-prop-verdicts"])
            exp += para(nodes.emphasis(text="Expected verdicts:"))
            exp += verdicts
            box += exp
        return box

    def _properties(self) -> nodes.Node | None:
        props = self._decls(A.PropertyDecl)
        sites = self._assert_sites()
        verdicts = property_verdicts(self.an.runs, self.name)
        sec = section(_ident(self.name, "properties"), "Properties")
        sec += para("Invariants must hold in every reachable state; assertions are checked when their step "
                    "runs; witnesses (", code("reachable", None), ") must be reachable, so that a passing check "
                    "is not vacuous. The verdicts are those the model files expect",
                    " (and, where shown, what the explicit engine found when these pages were built)."
                    if any(r.checked for r in self.an.runs) else ".")
        for d in props:
            kind = "invariant" if d.kind == "invariant" else "witness"
            body = _doc(d.doc)
            if d.span:
                body.append(code_block(self.src.line_range(d.span.line, d.span.end_line), first_line=d.span.line))
            sec += self._prop_block(d.name, kind, d.tags, body, verdicts.get(d.name))
        for k in self._decls(A.ContractDecl, A.ProgressDecl):
            body = _doc(k.doc)
            if k.span:
                body.append(code_block(self.src.line_range(k.span.line, k.span.end_line), first_line=k.span.line))
            kind = "contract" if isinstance(k, A.ContractDecl) else "progress"
            sec += self._prop_block(k.name, kind, k.tags, body, verdicts.get(k.name))
        for name, where in sites.items():
            steps: list[nodes.Node] = []
            seen = set()
            for proc, label, _ in where:
                if (proc, label) not in seen:
                    seen.add((proc, label))
                    steps.append(self._step_ref(proc, label))
            body = [para("Asserted at ", *_join(steps), ":")]
            shown_text = set()
            for _, _, stmt in where:  # each distinct assertion once
                text = self.src.line_range(stmt.span.line, stmt.span.end_line) if stmt.span else ""
                if text and one_line(text) not in shown_text and len(shown_text) < 3:
                    shown_text.add(one_line(text))
                    body.append(code_block(text, first_line=stmt.span.line))
            sec += self._prop_block(name, "assertion", (), body, verdicts.get(name))
        sec += para("Built-in checks (every spec has them; a model file may expect one to be violated or "
                    "disable it):")
        sec += builtin_table(self.an.runs, lambda n: self._prop_cell(n, None), verdicts)
        return sec

    def _step_ref(self, proc: str, label: str) -> nodes.Node:
        if not label:
            return nodes.reference("", proc, refid=_ident(self.name, "proc", proc))
        return nodes.reference("", "", nodes.literal(text=f"{proc}.{label}"),
                               refid=_ident(self.name, "step", proc, label))

    # ---- lock order, models, proofs ----------------------------------------------------
    def _lock_order(self) -> nodes.Node | None:
        from kspec.sphinxext.lockorder import lock_order_nodes
        locks = self._decls(A.LockDecl)
        if not locks:
            return None
        body = lock_order_nodes(self.name, self.an.graph, self.an)
        return section(_ident(self.name, "lock-order"), "Lock order", *body)

    def _models(self) -> nodes.Node | None:
        return models_section(self, self.an)

    def _proofs(self) -> nodes.Node | None:
        return proofs_section(self, self.an)


def _all_steps(steps) -> list:
    out = []
    for st in steps:
        out.append(st)
        if isinstance(st, A.WhileStep):
            out += _all_steps(st.body)
    return out


def _body(st) -> tuple:
    return st.body if isinstance(st, A.Step) else ()


def _join(items: list[nodes.Node], sep: str = ", ") -> list[nodes.Node]:
    out: list[nodes.Node] = []
    for i, x in enumerate(items):
        if i:
            out.append(nodes.Text(sep if not isinstance(x, nodes.inline) else " "))
        out.append(x)
    return out
