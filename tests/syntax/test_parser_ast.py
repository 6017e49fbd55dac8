"""Parser and AST builder: every construct of grammar/kspec.lark parses into
the expected AST node, doc comments attach to what follows them, spans point
at the source, and parse errors are KS0xxx diagnostics (never exceptions)."""
from __future__ import annotations

import pytest

from kspec.pipeline import parse_source
from kspec.syntax import ast as A
from kspec.syntax.parser import _parser, parse_text


def parse(src: str) -> A.Spec:
    r = parse_source(src, "t.kspec")
    assert not r.diagnostics, r.diagnostics
    assert r.spec is not None
    return r.spec


def decl(src: str):
    (d,) = parse(src).decls
    return d


def expr(text: str) -> A.Expr:
    d = decl(f"invariant e: {text}")
    return d.expr


def stmts(body: str) -> tuple:
    d = decl(f"process p {{ L1: {body} }}")
    return d.steps[0].body


def n(name):
    return A.Name(name)


def i(v):
    return A.IntLit(v)


# ---- declarations ---------------------------------------------------------------------
def test_empty_file_is_an_empty_spec():
    r = parse_source("", "empty.kspec")
    assert r.diagnostics == []
    assert r.spec.decls == ()
    assert r.spec.name == "empty"  # default: the file name


def test_spec_header_names_the_spec():
    assert parse("spec foo\nconst N = 1").name == "foo"


def test_const():
    assert decl("const N = 2 + 1") == A.ConstDecl("N", A.Binary("+", i(2), i(1)))


def test_boolean_const():
    assert decl("const B = true") == A.ConstDecl("B", A.BoolLit(True))


def test_variant_decl():
    assert decl("variant original | global_mutex | refcount") == A.VariantDecl(
        ("original", "global_mutex", "refcount"))


def test_single_variant():
    assert decl("variant only") == A.VariantDecl(("only",))


def test_sort_decl_range():
    assert decl("sort S = 0..N-1") == A.SortDecl("S", A.RangeType(i(0), A.Binary("-", n("N"), i(1))))


def test_sort_alias_of_named_type():
    assert decl("sort T = S") == A.SortDecl("T", A.NamedType("S"))


@pytest.mark.parametrize("text", ["enum E { A, B, C }", "enum E { A, B, C, }", "enum E {A,B,C}"])
def test_enum_decl_with_optional_trailing_comma(text):
    assert decl(text) == A.EnumDecl("E", ("A", "B", "C"))


def test_record_decl():
    assert decl("record R { f: 0..3, g: bool, }") == A.RecordDecl(
        "R", (A.Param("f", A.RangeType(i(0), i(3))), A.Param("g", A.BoolType())))


@pytest.mark.parametrize("text,typ", [
    ("bool", A.BoolType()),
    ("0..3", A.RangeType(i(0), i(3))),
    ("S", A.NamedType("S")),
    ("set[S]", A.SetType(A.NamedType("S"))),
    ("map[S, bool]", A.MapType(A.NamedType("S"), A.BoolType())),
    ("S?", A.OptionType(A.NamedType("S"))),
    ("map[S, set[E]]", A.MapType(A.NamedType("S"), A.SetType(A.NamedType("E")))),
    ("map[S, 0..2?]", A.MapType(A.NamedType("S"), A.OptionType(A.RangeType(i(0), i(2))))),
])
def test_types(text, typ):
    d = decl(f"var x: {text} = 0")
    assert d.type == typ


def test_var_decl():
    assert decl("var x: 0..3 = 1") == A.VarDecl("x", A.RangeType(i(0), i(3)), i(1))


def test_lock_decls():
    assert decl("lock m: mutex") == A.LockDecl("m", None, "mutex", None)
    assert decl("lock l[S]: spinlock") == A.LockDecl("l", A.NamedType("S"), "spinlock", None)
    assert decl("lock w[0..1]: ww_mutex class reservation") == A.LockDecl(
        "w", A.RangeType(i(0), i(1)), "ww_mutex", "reservation")


def test_object_decl_settings():
    d = decl("object map_obj[o: Obj] { refcount: counter; initial: live; reachable: listed[o]; max_refs: 3 }")
    assert d.name == "map_obj"
    assert d.param == A.Param("o", A.NamedType("Obj"))
    assert d.settings == (("refcount", n("counter")), ("initial", n("live")),
                          ("reachable", A.Index(n("listed"), n("o"))), ("max_refs", i(3)))


def test_object_decl_without_settings():
    assert decl("object o[i: S] { }").settings == ()


def test_define_with_and_without_params():
    assert decl("define f(x: S, y: 0..1) = x + y") == A.DefineDecl(
        "f", (A.Param("x", A.NamedType("S")), A.Param("y", A.RangeType(i(0), i(1)))),
        A.Binary("+", n("x"), n("y")))
    assert decl("define g = 3") == A.DefineDecl("g", (), i(3))


def test_process_decl_full_header():
    d = decl("process p[i: S] context softirq idle { var c: 0..1 = 0  L1: skip; }")
    assert d.name == "p" and d.index == A.Param("i", A.NamedType("S"))
    assert d.context == "softirq" and d.idle is True
    assert d.locals == (A.VarDecl("c", A.RangeType(i(0), i(1)), i(0)),)
    assert d.steps == (A.Step("L1", (), (A.Skip(),)),)


def test_process_decl_defaults():
    d = decl("process p { L1: skip; }")
    assert d.index is None and d.context == "process" and d.idle is False and d.locals == ()


def test_process_steps_and_while():
    d = decl("process p { L1: x := 1; W: while x < 3 { L2: x := x + 1; L3: skip; } L4: done; }")
    s1, w, s4 = d.steps
    assert s1 == A.Step("L1", (), (A.Assign(n("x"), i(1)),))
    assert isinstance(w, A.WhileStep) and w.label == "W"
    assert w.cond == A.Binary("<", n("x"), i(3))
    assert [s.label for s in w.body] == ["L2", "L3"]
    assert s4.body == (A.Done(),)


def test_nested_while():
    d = decl("process p { W1: while true { W2: while false { L: skip; } } }")
    (w1,) = d.steps
    (w2,) = w1.body
    assert isinstance(w2, A.WhileStep) and w2.body[0].label == "L"


def test_label_with_space_before_colon():
    d = decl("process p { L1 : skip; }")
    assert d.steps[0].label == "L1"


def test_empty_step():
    assert decl("process p { L1: }").steps == (A.Step("L1", (), ()),)


def test_step_tags():
    d = decl("process p { @fix @other L0: skip; L1: skip; @fix W: while true { L2: skip; } }")
    assert d.steps[0].tags == ("fix", "other")
    assert d.steps[1].tags == ()
    assert d.steps[2].tags == ("fix",)


def test_declaration_tags():
    spec = parse("@refcount @original invariant i: true\n@a var x: bool = false")
    assert spec.decls[0].tags == ("refcount", "original")
    assert spec.decls[1].tags == ("a",)


def test_action_decl_variants():
    d = decl("action a(x: S, y: T) context hardirq when x == y { skip; }")
    assert d == A.ActionDecl("a", (A.Param("x", A.NamedType("S")), A.Param("y", A.NamedType("T"))), "hardirq",
                             A.Binary("==", n("x"), n("y")), (A.Skip(),))
    d = decl("action tick { skip; }")
    assert d == A.ActionDecl("tick", (), "process", None, (A.Skip(),))
    d = decl("action tick when ready { }")
    assert d.guard == n("ready") and d.body == ()


def test_property_decls():
    assert decl("invariant inv: x == 1") == A.PropertyDecl("invariant", "inv", A.Binary("==", n("x"), i(1)))
    assert decl("reachable w: done_x") == A.PropertyDecl("reachable", "w", n("done_x"))


def test_event_decl():
    assert decl("event ev(x: S) -> bool") == A.EventDecl("ev", (A.Param("x", A.NamedType("S")),), A.BoolType())
    assert decl("event tick()") == A.EventDecl("tick", (), None)


# ---- statements -------------------------------------------------------------------------
def test_assignments_to_places():
    assert stmts("x := 1; m[k] := 2; r.f := true; m[k].f := 0;") == (
        A.Assign(n("x"), i(1)), A.Assign(A.Index(n("m"), n("k")), i(2)),
        A.Assign(A.Field(n("r"), "f"), A.BoolLit(True)), A.Assign(A.Field(A.Index(n("m"), n("k")), "f"), i(0)))


def test_if_else_if_else():
    (st,) = stmts("if a { x := 1; } else if b { x := 2; } else { x := 3; }")
    assert st == A.If(n("a"), (A.Assign(n("x"), i(1)),),
                      (A.If(n("b"), (A.Assign(n("x"), i(2)),), (A.Assign(n("x"), i(3)),)),))


def test_if_without_else():
    (st,) = stmts("if a { skip; }")
    assert st == A.If(n("a"), (A.Skip(),), ())


def test_either_or():
    (st,) = stmts("either { x := 1; } or { x := 2; } or { }")
    assert st == A.Either(((A.Assign(n("x"), i(1)),), (A.Assign(n("x"), i(2)),), ()))


def test_await_choose():
    assert stmts("await x > 0; choose k in S where k != 0; choose j in s;") == (
        A.Await(A.Binary(">", n("x"), i(0))), A.Choose("k", n("S"), A.Binary("!=", n("k"), i(0))),
        A.Choose("j", n("s"), None))


@pytest.mark.parametrize("op", ["acquire", "acquire_bh", "acquire_irq", "release", "release_bh", "release_irq",
                                "alloc", "get", "put", "free", "use", "assert_held", "assert_not_held"])
def test_primitive_calls(op):
    assert stmts(f"{op}(l[i]);") == (A.Primitive(op, A.Index(n("l"), n("i"))),)


def test_might_sleep():
    assert stmts("might_sleep();") == (A.Primitive("might_sleep", None),)


def test_trylock():
    assert stmts("trylock(l) { x := 1; } else { x := 2; }") == (
        A.TryLock(n("l"), (A.Assign(n("x"), i(1)),), (A.Assign(n("x"), i(2)),)),)
    assert stmts("trylock(l) { skip; }") == (A.TryLock(n("l"), (A.Skip(),), ()),)


def test_control_statements():
    assert stmts("goto L1; done; skip;") == (A.Goto("L1"), A.Done(), A.Skip())


def test_assert_statement():
    assert stmts("assert no_uaf: alive(o[0]);") == (A.Assert("no_uaf", A.Call("alive", (A.Index(n("o"), i(0)),))),)


def test_start_statement():
    assert stmts("start t; start u[k + 1];") == (A.Start("t", None), A.Start("u", A.Binary("+", n("k"), i(1))))


def test_foreach_statement():
    assert stmts("foreach k in S where k != 0 { m[k] := 0; release(l[k]); } foreach j in s { skip; }") == (
        A.Foreach("k", n("S"), B("!=", n("k"), i(0)), (A.Assign(A.Index(n("m"), n("k")), i(0)),
                                                     A.Primitive("release", A.Index(n("l"), n("k"))))),
        A.Foreach("j", n("s"), None, (A.Skip(),)))


def test_set_comprehension():
    assert expr("{k + 1 for k in S if k > 0}") == A.SetComp(B("+", n("k"), i(1)), "k", n("S"), B(">", n("k"), i(0)))
    assert expr("{k for k in s}") == A.SetComp(n("k"), "k", n("s"), None)


def test_emit_statement():
    assert stmts("emit ev(1, x) -> true; emit tick();") == (
        A.Emit("ev", (i(1), n("x")), A.BoolLit(True)), A.Emit("tick", (), None))


# ---- expressions --------------------------------------------------------------------------
@pytest.mark.parametrize("text,tree", [
    ("42", i(42)),
    ("true", A.BoolLit(True)),
    ("false", A.BoolLit(False)),
    ("none", A.NoneLit()),
    ("self", A.SelfRef()),
    ("variant", A.VariantRef()),
    ("x", n("x")),
    ("{}", A.SetLit(())),
    ("{1, x}", A.SetLit((i(1), n("x")))),
    ("{f: 1, g: x}", A.RecordLit((("f", i(1)), ("g", n("x"))))),
    ("m[k]", A.Index(n("m"), n("k"))),
    ("m[k][j]", A.Index(A.Index(n("m"), n("k")), n("j"))),
    ("r.f.g", A.Field(A.Field(n("r"), "f"), "g")),
    ("f()", A.Call("f", ())),
    ("size(s)", A.Call("size", (n("s"),))),
    ("holds(p[1], l)", A.Call("holds", (A.Index(n("p"), i(1)), n("l")))),
    ("(x)", n("x")),
    ("-x", A.Unary("-", n("x"))),
    ("not a", A.Unary("not", n("a"))),
    ("if c then 1 else 2", A.Ite(n("c"), i(1), i(2))),
    ("x in s", A.Binary("in", n("x"), n("s"))),
    ("x notin s", A.Binary("notin", n("x"), n("s"))),
])
def test_atoms_and_postfix(text, tree):
    assert expr(text) == tree


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons(op):
    assert expr(f"a {op} b") == A.Binary(op, n("a"), n("b"))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "%", "&"])
def test_arithmetic_operators(op):
    assert expr(f"a {op} b") == A.Binary(op, n("a"), n("b"))


def B(op, a, b):
    return A.Binary(op, a, b)


@pytest.mark.parametrize("text,tree", [
    ("a + b * c", B("+", n("a"), B("*", n("b"), n("c")))),
    ("a - b - c", B("-", B("-", n("a"), n("b")), n("c"))),  # left associative
    ("a * b % c", B("%", B("*", n("a"), n("b")), n("c"))),
    ("-a * b", B("*", A.Unary("-", n("a")), n("b"))),
    ("a or b and c", B("or", n("a"), B("and", n("b"), n("c")))),
    ("a and b or c", B("or", B("and", n("a"), n("b")), n("c"))),
    ("not a and b", B("and", A.Unary("not", n("a")), n("b"))),
    ("not a == b", A.Unary("not", B("==", n("a"), n("b")))),
    ("a => b => c", B("=>", n("a"), B("=>", n("b"), n("c")))),  # right associative
    ("a or b => c", B("=>", B("or", n("a"), n("b")), n("c"))),
    ("a + 1 < b", B("<", B("+", n("a"), i(1)), n("b"))),
    ("x + 1 in s", B("in", B("+", n("x"), i(1)), n("s"))),
    ("a & b + c", B("+", B("&", n("a"), n("b")), n("c"))),
])
def test_precedence_and_associativity(text, tree):
    assert expr(text) == tree


def test_quantifiers():
    e = expr("forall x, y in S, z in s: exists w in {1, 2}: x == w")
    assert e == A.Quant("forall", (A.Binder(("x", "y"), n("S")), A.Binder(("z",), n("s"))),
                        A.Quant("exists", (A.Binder(("w",), A.SetLit((i(1), i(2)))),), B("==", n("x"), n("w"))))


def test_count_quantifier():
    assert expr("count x in S: x > 0") == A.Quant("count", (A.Binder(("x",), n("S")),), B(">", n("x"), i(0)))


def test_local_of_another_instance():
    assert expr("p[1].loc") == A.Field(A.Index(n("p"), i(1)), "loc")


def test_when_tags():
    spec = parse("@when(N > 1) var x: bool = false\n@a @when(B) invariant i: true\n"
                 "process p { @when(not B) L1: skip; }")
    x, inv, p = spec.decls
    assert x.tags == (A.WhenTag(B(">", n("N"), i(1))),)
    assert inv.tags[0] == "a" and inv.tags[1] == A.WhenTag(n("B"))
    assert p.steps[0].tags == (A.WhenTag(A.Unary("not", n("B"))),)


def test_quantifier_body_extends_right():
    e = expr("forall x in S: a and b")
    assert e.body == B("and", n("a"), n("b"))


def test_ite_nests_in_else():
    assert expr("if a then 1 else if b then 2 else 3") == A.Ite(n("a"), i(1), A.Ite(n("b"), i(2), i(3)))


def test_comments_are_ignored():
    spec = parse("// line comment\nconst N = 1 /* block\ncomment */ const M = 2 // trailing\n")
    assert [d.name for d in spec.decls] == ["N", "M"]


@pytest.mark.parametrize("word", ["self", "variant", "none", "true", "false"])
def test_reserved_words_cannot_be_declared(word):
    from kspec_testlib import errors_of
    assert errors_of(f"const {word} = 1")


@pytest.mark.parametrize("word", ["forall", "in"])
def test_keywords_are_reserved(word):
    from kspec_testlib import errors_of
    assert errors_of(f"var {word}: 0..1 = 0\nprocess p {{ L1: {word} := 1; }}")


def test_ast_equality_ignores_spans():
    a = parse("const N = 1")
    b = parse("\n\n   const    N =\n 1")
    assert a.decls == b.decls
    assert a.decls[0].span != b.decls[0].span


# ---- doc comments -----------------------------------------------------------------------------
DOCS = """/// The spec.
/// Second line.
spec documented

/// One constant.
const N = 1

/// Not attached (blank line below).

var x: 0..1 = 0
/// Two lines
/// of doc.
@a invariant inv: x == 0
process p {
  /// The local.
  var c: 0..1 = 0
  /// First step.
  L1: skip;
  L2: skip;
  /// The loop.
  W: while false {
    /// Inner.
    L3: skip;
  }
}
/// The action.
action act { skip; }
"""


def test_doc_comments_attach():
    spec = parse(DOCS.replace("@a invariant", "invariant"))
    d = {getattr(x, "name", ""): x for x in spec.decls}
    assert spec.doc == "The spec.\nSecond line."
    assert d["N"].doc == "One constant."
    assert d["x"].doc == ""  # a blank line separates it from its doc comment
    assert d["inv"].doc == "Two lines\nof doc."
    p = d["p"]
    assert p.locals[0].doc == "The local."
    assert p.steps[0].doc == "First step."
    assert p.steps[1].doc == ""
    assert p.steps[2].doc == "The loop."
    assert p.steps[2].body[0].doc == "Inner."
    assert d["act"].doc == "The action."


def test_doc_comment_above_tagged_declaration():
    spec = parse(DOCS)
    inv = next(x for x in spec.decls if getattr(x, "name", "") == "inv")
    assert inv.tags == ("a",) and inv.doc == "Two lines\nof doc."


def test_spec_doc_without_header():
    spec = parse("/// Top of file.\n/// More.\nconst N = 1")
    assert spec.doc == "Top of file.\nMore."


def test_doc_comments_do_not_leak_between_parses():
    parse("/// first\nconst A = 1")
    spec = parse("\nconst B = 1")
    assert spec.decls[0].doc == "" and spec.doc == ""


def test_doc_comment_is_not_a_line_comment():
    r = parse_text("/// doc\nconst N = 1 /// trailing doc is ignored\n", "t")
    assert r.diagnostics == []


# ---- spans ------------------------------------------------------------------------------------
SPANS = """const N = 1
var x: 0..3 = 0
process p {
  L1: x := x + 1;
      W2 : while x < 3 {
    L3: skip;
  }
}
invariant inv: x <= 3
"""


def test_spans_of_declarations_and_steps():
    spec = parse(SPANS)
    c, v, p, inv = spec.decls
    assert (c.span.file, c.span.line, c.span.col) == ("t.kspec", 1, 1)
    assert (v.span.line, v.span.col) == (2, 1)
    assert (p.span.line, p.span.col, p.span.end_line) == (3, 1, 8)
    l1, w2 = p.steps
    assert (l1.span.line, l1.span.col) == (4, 3)  # the label token
    assert (w2.span.line, w2.span.col) == (5, 7)
    assert (w2.body[0].span.line, w2.body[0].span.col) == (6, 5)
    assert (inv.span.line, inv.span.col) == (9, 1)


def test_spans_of_expressions_and_statements():
    spec = parse(SPANS)
    (assign,) = spec.decls[2].steps[0].body
    assert (assign.span.line, assign.span.col) == (4, 7)
    rhs = assign.value
    assert (rhs.span.line, rhs.span.col, rhs.span.end_col) == (4, 12, 17)  # `x + 1`
    assert (rhs.left.span.col, rhs.right.span.col) == (12, 16)
    inv = spec.decls[3]
    assert (inv.expr.span.line, inv.expr.span.col, inv.expr.span.end_col) == (9, 16, 22)


def test_span_str_is_file_line_col():
    spec = parse(SPANS)
    assert str(spec.decls[1].span) == "t.kspec:2:1"


# ---- every grammar rule is exercised ---------------------------------------------------------
CORPUS = """/// doc
spec corpus
const N = 2
variant a | b
sort S = 0..N-1
sort Sym = 0..1 symmetric
enum E { X, Y, }
record R { f: 0..1, g: bool }
@a var v: map[S, E?] = none
var st: set[S] = {}
lock l[S]: spinlock class cls
object o[i: S] { refcount: kref; max_refs: 3 }
define d(x: S, y: S) = x + y
event ev(x: S) -> bool
process p[i: S] context softirq idle {
  var loc: 0..1 = 0
  @b L1: loc := 1; emit ev(i) -> true; might_sleep();
  W: while loc < 1 { L3: skip; }
  L4: if true { skip; } else if false { done; } else { goto L1; }
      either { await true; } or { choose k in S where k == 0; }
      trylock(l[0]) { release(l[0]); } else { skip; }
      assert a1: not false; start p[0]; acquire(l[1]); release(l[1]);
      r := {f: 1, g: true}; x := r.f; y := m[1]; z := -1 * 2 / 3 % 4 & 5;
      foreach k in S where k > 0 { st := st + {k}; } st := {k for k in S if k > 0};
}
action act(x: S) context hardirq when x == 0 { acquire_irq(l[x]); release_irq(l[x]); }
invariant inv: forall x, y in S: x == y or -x < y and (if x > 0 then x <= 1 else x >= 0) => x != 1
reachable wit: exists x in {0, 1}: x notin {} and x in {1} and self == variant and f(x) > size(st)
@when(N > 1) reachable cnt: (count x in S: x > 0) == 1 and p[0].loc == 0
contract k1[x: S]: never ev(x) or act(_) after p[x].L1 until p[x].L4
contract k2: at most 2 ev(0) before p[0].L4
contract k3: always x >= 0
progress g1[x: S]: x == 0 ~> x == 1
"""


def _tree_names(tree) -> set[str]:
    return {t.data for t in tree.iter_subtrees()}


def _grammar_tree_names() -> set[str]:
    names = set()
    for r in _parser().rules:
        if r.alias:
            names.add(r.alias)
        elif not r.origin.name.startswith("_") and not (r.options and r.options.expand1):
            names.add(r.origin.name)
    return names


def test_corpus_covers_every_grammar_rule():
    res = parse_text(CORPUS, "corpus.kspec")
    assert res.diagnostics == []
    missing = _grammar_tree_names() - _tree_names(res.tree)
    assert not missing, f"grammar rules not exercised by the corpus: {sorted(missing)}"


def test_parse_is_deterministic():
    assert parse(CORPUS) == parse(CORPUS)
