"""Small docutils builders shared by the directives: tables, sections, badges,
code from source spans."""
from __future__ import annotations

from typing import Iterable, Sequence

from docutils import nodes

from kspec.report.diagnostics import Span

Cell = str | nodes.Node | Sequence[nodes.Node]


def para(*parts: str | nodes.Node, classes: Iterable[str] = ()) -> nodes.paragraph:
    p = nodes.paragraph(classes=list(classes))
    for x in parts:
        p += nodes.Text(x) if isinstance(x, str) else x
    return p


def code(text: str, language: str | None = "kspec") -> nodes.literal:
    """Inline code; highlighted when a language is given."""
    node = nodes.literal(text, text)
    if language:
        node["classes"] += ["code", "highlight", language]
        node["language"] = language
    return node


def code_block(text: str, language: str = "kspec", first_line: int | None = None,
               classes: Iterable[str] = ()) -> nodes.literal_block:
    node = nodes.literal_block(text, text, classes=list(classes))
    node["language"] = language
    if first_line is not None:
        node["linenos"] = True
        node["highlight_args"] = {"linenostart": first_line}
    return node


def badge(text: str, kind: str = "") -> nodes.inline:
    return nodes.inline(text, text, classes=["kspec-badge"] + ([f"kspec-badge-{kind}"] if kind else []))


def section(ids: str, title: str | nodes.Node, *content: nodes.Node, names: str = "") -> nodes.section:
    sec = nodes.section(ids=[ids], names=[names or ids])
    t = nodes.title()
    if isinstance(title, str):
        t += nodes.Text(title)
    else:
        t += title
    sec += t
    for c in content:
        sec += c
    return sec


def _cell(content: Cell) -> nodes.entry:
    entry = nodes.entry()
    if isinstance(content, str):
        entry += nodes.paragraph(content, content)
    elif isinstance(content, nodes.Node):
        entry += content if not isinstance(content, (nodes.Text, nodes.Inline)) else para(content)
    else:
        inl = [c for c in content]
        if inl and all(isinstance(c, (nodes.Text, nodes.Inline)) for c in inl):
            entry += para(*inl)
        else:
            for c in inl:
                entry += c
    return entry


def table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[int] | None = None,
          classes: Iterable[str] = ()) -> nodes.table:
    tbl = nodes.table(classes=["kspec-table", *classes] + (["colwidths-given"] if widths else []))
    group = nodes.tgroup(cols=len(headers))
    tbl += group
    for w in widths or [1] * len(headers):
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    hrow = nodes.row()
    for h in headers:
        hrow += _cell(h)
    head += hrow
    group += head
    body = nodes.tbody()
    for r in rows:
        row = nodes.row()
        for c in r:
            row += _cell(c)
        body += row
    group += body
    return tbl


class Source:
    """The text of a spec, sliced by AST spans."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def span_text(self, span: Span | None) -> str:
        if span is None or not span.end_line:
            return ""
        a, b = span.line - 1, span.end_line - 1
        if a == b:
            return self.lines[a][span.col - 1: span.end_col - 1]
        parts = [self.lines[a][span.col - 1:], *self.lines[a + 1: b], self.lines[b][: span.end_col - 1]]
        return "\n".join(parts)

    def line_range(self, first: int, last: int) -> str:
        """Lines first..last (1-based, inclusive), dedented, trailing blank lines dropped."""
        chunk = self.lines[first - 1: last]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        indents = [len(ln) - len(ln.lstrip()) for ln in chunk if ln.strip()]
        cut = min(indents) if indents else 0
        return "\n".join(ln[cut:] for ln in chunk)


def one_line(text: str) -> str:
    return " ".join(text.split())
