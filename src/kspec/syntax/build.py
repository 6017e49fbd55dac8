"""Lark parse tree -> AST (`kspec.syntax.ast`), with spans and doc comments.

Each `///` run directly above a declaration or step (no blank line between)
becomes its `doc`. A run at the top of the file, above `spec NAME`, documents
the spec."""
from __future__ import annotations

from lark import Token, Transformer, Tree, v_args

from kspec.syntax import ast as A
from kspec.report.diagnostics import Span


def _doc_above(docs: dict[int, str], line: int) -> str:
    out: list[str] = []
    ln = line - 1
    while ln in docs:
        out.append(docs[ln])
        ln -= 1
    return "\n".join(reversed(out))


class _Builder(Transformer):
    def __init__(self, file: str, docs: dict[int, str]):
        super().__init__()
        self.file = file
        self.docs = docs

    def _span(self, meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok_span(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column)

    # ---- top level -----------------------------------------------------------
    @v_args(meta=True)
    def start(self, meta, children):
        header = [c for c in children if isinstance(c, tuple) and c and c[0] == "header"]
        decls = tuple(c for c in children if not (isinstance(c, tuple) and c and c[0] == "header"))
        name = header[0][1] if header else ""
        doc = _doc_above(self.docs, header[0][2]) if header else ""
        return A.Spec(name=name, decls=decls, doc=doc, file=self.file)

    def spec_header(self, children):
        tok = children[0]
        return ("header", str(tok), tok.line)

    @v_args(meta=True)
    def decl(self, meta, children):
        tags = tuple(_tag(t) for t in children[:-1])
        body = children[-1]
        doc = _doc_above(self.docs, meta.line)
        return _with(body, tags=tags, doc=doc)

    @v_args(meta=True)
    def when_tag(self, meta, c):
        return A.WhenTag(c[-1], span=self._span(meta))

    @v_args(meta=True)
    def const_decl(self, meta, c):
        return A.ConstDecl(str(c[0]), c[1], span=self._span(meta))

    @v_args(meta=True)
    def variant_decl(self, meta, c):
        return A.VariantDecl(tuple(str(x) for x in c), span=self._span(meta))

    @v_args(meta=True)
    def sort_decl(self, meta, c):
        return A.SortDecl(str(c[0]), c[1], c[2] is not None, span=self._span(meta))

    @v_args(meta=True)
    def enum_decl(self, meta, c):
        return A.EnumDecl(str(c[0]), tuple(str(x) for x in c[1:]), span=self._span(meta))

    @v_args(meta=True)
    def record_decl(self, meta, c):
        return A.RecordDecl(str(c[0]), tuple(c[1:]), span=self._span(meta))

    @v_args(meta=True)
    def field(self, meta, c):
        return A.Param(str(c[0]), c[1], span=self._span(meta))

    param = field

    @v_args(meta=True)
    def var_decl(self, meta, c):
        return A.VarDecl(str(c[0]), c[1], c[2], span=self._span(meta))

    @v_args(meta=True)
    def local_decl(self, meta, c):
        return A.VarDecl(str(c[0]), c[1], c[2], doc=_doc_above(self.docs, meta.line), span=self._span(meta))

    @v_args(meta=True)
    def lock_decl(self, meta, c):
        name, index, kind, cls = str(c[0]), c[1], str(c[2]), c[3]
        return A.LockDecl(name, index[1] if index else None, kind, cls[1] if cls else None,
                          span=self._span(meta))

    def lock_class(self, c):
        return ("class", str(c[0]))

    def index_sort(self, c):
        return ("index", c[0])

    @v_args(meta=True)
    def object_decl(self, meta, c):
        param = A.Param(str(c[1]), c[2], span=self._tok_span(c[1]))
        return A.ObjectDecl(str(c[0]), param, tuple(c[3:]), span=self._span(meta))

    def object_setting(self, c):
        return (str(c[0]), c[1])

    @v_args(meta=True)
    def define_decl(self, meta, c):
        params = c[1] if c[1] is not None else ()
        return A.DefineDecl(str(c[0]), tuple(params), c[-1], span=self._span(meta))

    def params(self, c):
        return tuple(c)

    @v_args(meta=True)
    def process_decl(self, meta, c):
        name = str(c[0])
        index = c[1]
        ctx = c[2] if c[2] is not None else "process"
        idle = c[3] is not None
        rest = c[4:]
        locals_ = tuple(x for x in rest if isinstance(x, A.VarDecl))
        steps = tuple(x for x in rest if isinstance(x, (A.Step, A.WhileStep)))
        return A.ProcessDecl(name, index, ctx, idle, locals_, steps, span=self._span(meta))

    @v_args(meta=True)
    def proc_index(self, meta, c):
        return A.Param(str(c[0]), c[1], span=self._span(meta))

    def context(self, c):
        return str(c[0])

    def idle(self, c):
        return True

    @staticmethod
    def _label(tok: Token) -> str:
        return str(tok).rstrip(":").rstrip()

    @v_args(meta=True)
    def plain_step(self, meta, c):
        tags = tuple(_tag(t) for t in c if isinstance(t, A.WhenTag) or isinstance(t, Token) and t.type == "TAG")
        label_tok = next(t for t in c if isinstance(t, Token) and t.type == "LABEL")
        body = tuple(x for x in c if not isinstance(x, (Token, A.WhenTag)))
        return A.Step(self._label(label_tok), tags, body, _doc_above(self.docs, meta.line),
                      span=self._tok_span(label_tok))

    @v_args(meta=True)
    def while_step(self, meta, c):
        tags = tuple(_tag(t) for t in c if isinstance(t, A.WhenTag) or isinstance(t, Token) and t.type == "TAG")
        label_tok = next(t for t in c if isinstance(t, Token) and t.type == "LABEL")
        rest = [x for x in c if not isinstance(x, (Token, A.WhenTag))]
        return A.WhileStep(self._label(label_tok), tags, rest[0], tuple(rest[1:]),
                           _doc_above(self.docs, meta.line), span=self._tok_span(label_tok))

    @v_args(meta=True)
    def action_decl(self, meta, c):
        name = str(c[0])
        params = tuple(c[1]) if c[1] is not None else ()
        ctx = c[2] if c[2] is not None else "process"
        guard = c[3]
        body = tuple(c[4:])
        return A.ActionDecl(name, params, ctx, guard, body, span=self._span(meta))

    @v_args(meta=True)
    def property_decl(self, meta, c):
        return A.PropertyDecl(str(c[0].children[0]), str(c[1]), c[2], span=self._span(meta))

    @v_args(meta=True)
    def event_decl(self, meta, c):
        params = tuple(c[1]) if c[1] is not None else ()
        return A.EventDecl(str(c[0]), params, c[2], span=self._span(meta))

    @v_args(meta=True)
    def progress_decl(self, meta, c):
        name, params, pre, post = c
        return A.ProgressDecl(str(name), tuple(params) if params is not None else (), pre, post,
                              span=self._span(meta))

    # ---- contracts -------------------------------------------------------------
    @v_args(meta=True)
    def contract_decl(self, meta, c):
        name, params, (pattern, events, expr, bound), scope = c
        kind, opens, closes = scope if scope is not None else ("globally", (), ())
        return A.ContractDecl(str(name), tuple(params) if params is not None else (), pattern, events, expr,
                              bound, kind, opens, closes, span=self._span(meta))

    def never_pattern(self, c):
        return ("never", c[0], None, 0)

    def always_pattern(self, c):
        return ("always", (), c[0], 0)

    def at_most_pattern(self, c):
        return ("at_most", c[1], None, int(c[0]))

    def before_scope(self, c):
        return ("before", (), c[0])

    def after_scope(self, c):
        return ("after", c[0], ()) if c[1] is None else ("after_until", c[0], c[1])

    def occurrences(self, c):
        return tuple(c)

    @v_args(meta=True)
    def call_occurrence(self, meta, c):
        return A.Occurrence(str(c[0]), tuple(x for x in c[1:] if x is not None), span=self._span(meta))

    @v_args(meta=True)
    def step_occurrence(self, meta, c):
        return A.Occurrence(str(c[0]), (), c[1], str(c[2]), span=self._span(meta))

    # ---- types ---------------------------------------------------------------
    @v_args(meta=True)
    def bool_type(self, meta, c):
        return A.BoolType(span=self._span(meta))

    @v_args(meta=True)
    def range_type(self, meta, c):
        return A.RangeType(c[0], c[1], span=self._span(meta))

    @v_args(meta=True)
    def named_type(self, meta, c):
        return A.NamedType(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def set_type(self, meta, c):
        return A.SetType(c[0], span=self._span(meta))

    @v_args(meta=True)
    def map_type(self, meta, c):
        return A.MapType(c[0], c[1], span=self._span(meta))

    @v_args(meta=True)
    def option_type(self, meta, c):
        return A.OptionType(c[0], span=self._span(meta))

    # ---- statements ------------------------------------------------------------
    @v_args(meta=True)
    def assign_stmt(self, meta, c):
        return A.Assign(c[0], c[1], span=self._span(meta))

    def block(self, c):
        return tuple(c)

    @v_args(meta=True)
    def if_stmt(self, meta, c):
        else_ = c[2] if len(c) > 2 and c[2] is not None else ()
        if isinstance(else_, A.If):
            else_ = (else_,)
        return A.If(c[0], c[1], tuple(else_), span=self._span(meta))

    @v_args(meta=True)
    def either_stmt(self, meta, c):
        return A.Either(tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def await_stmt(self, meta, c):
        return A.Await(c[0], span=self._span(meta))

    @v_args(meta=True)
    def choose_stmt(self, meta, c):
        return A.Choose(str(c[0]), c[1], c[2], span=self._span(meta))

    @v_args(meta=True)
    def call_stmt(self, meta, c):
        op = str(c[0].children[0])
        arg = c[1] if len(c) > 1 else None
        return A.Primitive(op, arg, span=self._span(meta))

    @v_args(meta=True)
    def trylock_stmt(self, meta, c):
        else_ = c[2] if len(c) > 2 and c[2] is not None else ()
        return A.TryLock(c[0], c[1], else_, span=self._span(meta))

    @v_args(meta=True)
    def goto_stmt(self, meta, c):
        return A.Goto(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def done_stmt(self, meta, c):
        return A.Done(span=self._span(meta))

    @v_args(meta=True)
    def skip_stmt(self, meta, c):
        return A.Skip(span=self._span(meta))

    @v_args(meta=True)
    def assert_stmt(self, meta, c):
        return A.Assert(str(c[0]), c[1], span=self._span(meta))

    @v_args(meta=True)
    def start_stmt(self, meta, c):
        return A.Start(str(c[0]), c[1], span=self._span(meta))

    @v_args(meta=True)
    def foreach_stmt(self, meta, c):
        return A.Foreach(str(c[0]), c[1], c[2], c[3], span=self._span(meta))

    @v_args(meta=True)
    def set_comp(self, meta, c):
        return A.SetComp(c[0], str(c[1]), c[2], c[3], span=self._span(meta))

    @v_args(meta=True)
    def emit_stmt(self, meta, c):
        name = str(c[0])
        args = tuple(x for x in c[1:-1] if x is not None)
        return A.Emit(name, args, c[-1], span=self._span(meta))

    # ---- expressions -------------------------------------------------------------
    @v_args(meta=True)
    def quant_expr(self, meta, c):
        kind = str(c[0].children[0])
        return A.Quant(kind, tuple(c[1:-1]), c[-1], span=self._span(meta))

    @v_args(meta=True)
    def binder(self, meta, c):
        return A.Binder(tuple(str(x) for x in c[:-1]), c[-1], span=self._span(meta))

    @v_args(meta=True)
    def ite_expr(self, meta, c):
        return A.Ite(c[0], c[1], c[2], span=self._span(meta))

    def _bin(self, meta, op, left, right):
        return A.Binary(op, left, right, span=self._span(meta))

    @v_args(meta=True)
    def implies_expr(self, meta, c):
        return self._bin(meta, "=>", c[0], c[1])

    @v_args(meta=True)
    def or_op(self, meta, c):
        return self._bin(meta, "or", c[0], c[1])

    @v_args(meta=True)
    def and_op(self, meta, c):
        return self._bin(meta, "and", c[0], c[1])

    @v_args(meta=True)
    def not_op(self, meta, c):
        return A.Unary("not", c[0], span=self._span(meta))

    @v_args(meta=True)
    def cmp_op(self, meta, c):
        return self._bin(meta, str(c[1]), c[0], c[2])

    @v_args(meta=True)
    def in_op(self, meta, c):
        return self._bin(meta, "in", c[0], c[1])

    @v_args(meta=True)
    def notin_op(self, meta, c):
        return self._bin(meta, "notin", c[0], c[1])

    @v_args(meta=True)
    def bin_op(self, meta, c):
        return self._bin(meta, str(c[1]), c[0], c[2])

    @v_args(meta=True)
    def neg_op(self, meta, c):
        return A.Unary("-", c[0], span=self._span(meta))

    @v_args(meta=True)
    def index_op(self, meta, c):
        return A.Index(c[0], c[1], span=self._span(meta))

    @v_args(meta=True)
    def field_op(self, meta, c):
        return A.Field(c[0], str(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def call_op(self, meta, c):
        args = tuple(x for x in c[1:] if x is not None)
        return A.Call(str(c[0]), args, span=self._span(meta))

    @v_args(meta=True)
    def int_lit(self, meta, c):
        return A.IntLit(int(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def true_lit(self, meta, c):
        return A.BoolLit(True, span=self._span(meta))

    @v_args(meta=True)
    def false_lit(self, meta, c):
        return A.BoolLit(False, span=self._span(meta))

    @v_args(meta=True)
    def none_lit(self, meta, c):
        return A.NoneLit(span=self._span(meta))

    @v_args(meta=True)
    def self_ref(self, meta, c):
        return A.SelfRef(span=self._span(meta))

    @v_args(meta=True)
    def variant_ref(self, meta, c):
        return A.VariantRef(span=self._span(meta))

    @v_args(meta=True)
    def name_ref(self, meta, c):
        return A.Name(str(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def set_lit(self, meta, c):
        return A.SetLit(tuple(x for x in c if x is not None), span=self._span(meta))

    @v_args(meta=True)
    def record_lit(self, meta, c):
        return A.RecordLit(tuple(c), span=self._span(meta))

    def field_init(self, c):
        return (str(c[0]), c[1])


def _tag(t):
    return t if isinstance(t, A.WhenTag) else str(t)[1:]


def _with(node, **changes):
    import dataclasses
    return dataclasses.replace(node, **changes)


def build_spec(tree: Tree, file: str, docs: dict[int, str]) -> A.Spec:
    spec = _Builder(file, docs).transform(tree)
    if not spec.doc and spec.decls:
        # no `spec` header: a doc run that starts on line 1 documents the spec
        first = min(docs) if docs else None
        if first == 1:
            ln = 1
            lines = []
            while ln in docs:
                lines.append(docs[ln])
                ln += 1
            spec = _with(spec, doc="\n".join(lines))
    return spec
