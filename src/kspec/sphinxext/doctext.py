"""Doc comments (`///`) and registry explanations -> docutils nodes.

Doc comments are plain text with a few conventions, not reStructuredText, so
they are never handed to the RST parser (an unmatched `*` or back-quote there
would be a Sphinx warning, and `-W` builds fail on warnings). Recognised:

* blank lines separate blocks; lines of a block are joined into a paragraph;
* `* item`, `- item`, `1. item` start list items; lines indented deeper than
  the bullet continue the item; a deeper bullet nests;
* lines indented deeper than their block's first line (aligned columns,
  ASCII diagrams), and blocks indented as a whole (code), are kept as they
  are, in a preformatted block;
* `code` spans become literals, `**bold**` is bold; a leading `WORD.`/`WORD:` in capitals (the
  `PROBLEM.` style of section headings) is set in bold.
"""
from __future__ import annotations

import re

from docutils import nodes

_BULLET = re.compile(r"^(\s*)([*-]|\d+[.)])\s+(.*)$")
_HEADING = re.compile(r"^([A-Z][A-Z0-9 /-]{2,}[.:])(\s|$)")
_CODE = re.compile(r"`([^`\n]+)`|\*\*([^*\n]+)\*\*")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def inline(text: str, *, heading: bool = False) -> list[nodes.Node]:
    """Text with `code` spans as docutils inline nodes."""
    out: list[nodes.Node] = []
    if heading:
        m = _HEADING.match(text)
        if m:
            out.append(nodes.strong(m.group(1), m.group(1)))
            text = text[len(m.group(1)):]
    pos = 0
    for m in _CODE.finditer(text):
        if m.start() > pos:
            out.append(nodes.Text(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(nodes.literal(m.group(1), m.group(1)))
        else:
            out.append(nodes.strong(m.group(2), m.group(2)))
        pos = m.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.expandtabs(4).splitlines():
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _paragraph(lines: list[str], heading: bool) -> nodes.paragraph:
    text = " ".join(ln.strip() for ln in lines)
    para = nodes.paragraph()
    para.extend(inline(text, heading=heading))
    return para


def _pre(lines: list[str]) -> nodes.literal_block:
    base = min(_indent(ln) for ln in lines)
    text = "\n".join(ln[base:] for ln in lines)
    block = nodes.literal_block(text, text)
    block["language"] = "text"
    block["classes"].append("kspec-doc-pre")
    return block


def _items(lines: list[str]) -> tuple[nodes.bullet_list | nodes.enumerated_list, int]:
    """A list starting at lines[0] (a bullet); returns it and the number of lines used."""
    first = _BULLET.match(lines[0])
    assert first is not None
    level = len(first.group(1))
    ordered = first.group(2)[0].isdigit()
    lst: nodes.Element = nodes.enumerated_list() if ordered else nodes.bullet_list()
    i = 0
    while i < len(lines):
        m = _BULLET.match(lines[i])
        if m is None or len(m.group(1)) != level:
            break
        item = nodes.list_item()
        text = [m.group(3)]
        i += 1
        while i < len(lines):
            sub = _BULLET.match(lines[i])
            if sub is not None and len(sub.group(1)) > level:
                nested, used = _items(lines[i:])
                item.append(_paragraph(text, False))
                text = []
                item.append(nested)
                i += used
                continue
            if sub is None and _indent(lines[i]) > level:
                text.append(lines[i])
                i += 1
                continue
            break
        if text:
            item.append(_paragraph(text, False))
        lst.append(item)
    return lst, i


def doc_nodes(text: str) -> list[nodes.Node]:
    """Render a doc comment as a list of block-level docutils nodes."""
    out: list[nodes.Node] = []
    blocks = _blocks(text or "")
    margin = min((_indent(ln) for b in blocks for ln in b), default=0)
    for block in blocks:
        base = _indent(block[0])
        if base >= margin + 2 and not _BULLET.match(block[0]):  # an indented block: code, as in Markdown
            out.append(_pre(block))
            continue
        para: list[str] = []
        pre: list[str] = []
        i = 0

        def flush() -> None:
            if para:
                out.append(_paragraph(para, True))
                para.clear()
            if pre:
                out.append(_pre(pre))
                pre.clear()

        while i < len(block):
            line = block[i]
            if _BULLET.match(line):
                flush()
                lst, used = _items(block[i:])
                out.append(lst)
                i += used
                continue
            if _indent(line) > base and (para or pre):
                if para and not pre:  # aligned text under a paragraph: keep its layout
                    out.append(_paragraph(para, True))
                    para.clear()
                pre.append(line)
            else:
                if pre:
                    flush()
                para.append(line)
            i += 1
        flush()
    return out


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a doc comment (for summaries and tooltips); a
    shortened one never ends inside a `code` span."""
    flat = " ".join((text or "").split())
    m = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<=[a-z0-9)`'\"])[.](\s|$)", flat)
    s = flat[: m.start() + 1] if m else flat
    if len(s) <= limit:
        return s
    s = s[: limit - 1].rstrip()
    if s.count("`") % 2:
        s = s[: s.rindex("`")].rstrip()
    return s + "…"
