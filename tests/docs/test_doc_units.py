"""Units of kspec.sphinxext: the Pygments lexer, doc-comment rendering, the SVG lock graph."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("pygments")

from pygments import lex
from pygments.token import Comment, Error, Keyword, Name, String

from kspec.sphinxext.lexer import KspecLexer, grammar_keywords


def tokens(text: str):
    return [(t, v) for t, v in lex(text, KspecLexer()) if v.strip()]


def test_every_grammar_keyword_is_highlighted():
    kws = grammar_keywords()
    assert {"process", "acquire", "forall", "invariant", "reachable", "either"} <= set(kws)
    for kw in kws:
        (tok, val), *_ = tokens(f"{kw} ")
        assert val == kw and (tok in Keyword or tok in Name.Builtin), (kw, tok)


def test_keywords_follow_the_grammar(tmp_path):
    assert grammar_keywords('a: "frobnicate" NAME | "x"') == ["frobnicate", "x"]


def test_labels_tags_docs_and_comments():
    toks = tokens("/// doc\n@fix @other L0: skip;\n  L1: x := 1; // c\n/* block\n comment */\nvar y: 0..1 = 0\n")
    assert (String.Doc, "/// doc") in toks
    assert (Name.Decorator, "@fix") in toks and (Name.Decorator, "@other") in toks
    assert (Name.Label, "L0") in toks and (Name.Label, "L1") in toks
    assert (Comment.Single, "// c") in toks
    assert any(t in Comment.Multiline for t, _ in toks)
    assert (Name, "y") in toks  # `var y:` is a declaration, not a label
    assert (Name, "x") in toks  # `x :=` is an assignment, not a label


def test_real_specs_lex_without_errors():
    import glob
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    for path in glob.glob(os.path.join(here, "..", "..", "spec", "*.kspec")):
        with open(path, encoding="utf-8") as f:
            assert not [v for t, v in lex(f.read(), KspecLexer()) if t is Error], path


# ---- doc comments ---------------------------------------------------------------
def test_doc_comments_become_paragraphs_lists_and_preformatted_blocks():
    from docutils import nodes
    from kspec.sphinxext.doctext import doc_nodes, first_sentence
    text = ("PROBLEM. The `dmm_map_lock` is dropped\ntoo early.\n\n"
            "Variants:\n* `original` -- the driver\n             before the fix.\n* `fixed` -- after.\n"
            "  - nested item\n\nLayout:\n  A      B\n  C      D\n\nAn unmatched ` and a * star.")
    out = doc_nodes(text)
    kinds = [n.tagname for n in out]
    assert kinds == ["paragraph", "paragraph", "bullet_list", "paragraph", "literal_block", "paragraph"], kinds
    assert isinstance(out[0][0], nodes.strong) and out[0][0].astext() == "PROBLEM."
    assert [n.astext() for n in out[0].findall(nodes.literal)] == ["dmm_map_lock"]
    assert "too early" in out[0].astext()  # lines joined
    items = out[2].children
    assert len(items) == 2 and "before the fix." in items[0].astext()
    assert items[1].next_node(nodes.bullet_list) is not None  # nested list
    assert out[4].astext() == "A      B\nC      D"  # alignment kept
    assert "unmatched ` and a * star" in out[5].astext()  # no markup parsing, no warning
    assert first_sentence("Two threads race. Then more.") == "Two threads race."
    code = doc_nodes("The driver does:\n\n    if (!dev->buf)\n            dev->buf = kzalloc();\n\nThat is all.")
    assert [n.tagname for n in code] == ["paragraph", "literal_block", "paragraph"]
    assert code[1].astext() == "if (!dev->buf)\n        dev->buf = kzalloc();"


# ---- lock graph ----------------------------------------------------------------
def test_svg_lock_graph_marks_cycle_edges_red():
    from kspec.sphinxext.analysis import LockGraph
    from kspec.sphinxext.svg import render_svg
    g = LockGraph({"a": "mutex", "b": "spinlock", "c": "mutex"}, {}, {
        ("a", "b"): {"where": "p.L1", "configs": ["x"], "variants": {None}},
        ("b", "a"): {"where": "q.L2", "configs": ["x"], "variants": {None}},
        ("a", "c"): {"where": "p.L3", "configs": ["x"], "variants": {None}},
    }, ["x"], [])
    red = g.cycle_edges()
    assert red == {("a", "b"), ("b", "a")}
    # halves seen in different configurations (variants) do not make a cycle
    g.edges[("b", "a")]["configs"] = ["y"]
    g.explored.append("y")
    assert g.cycle_edges() == set()
    g.edges[("b", "a")]["configs"] = ["x"]
    svg = render_svg(g.classes, g.edges, red, title="t", uid="u")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    paths = [p for p in root.iter(f"{ns}path") if "kspec-lock-edge" in p.get("class", "")]
    assert len(paths) == 3
    assert sum(1 for p in paths if p.get("stroke") == "#c62828") == 2
    assert {t.text for t in root.iter(f"{ns}text")} >= {"a", "b", "c", "mutex", "spinlock"}


def test_svg_of_no_locks_is_empty():
    from kspec.sphinxext.svg import render_svg
    assert render_svg({}, {}, set()) == ""
