"""The lock-order part of a spec page: the lock-class graph as an inline SVG
(for HTML) and as a table (for every builder)."""
from __future__ import annotations

from docutils import nodes

from kspec.sphinxext.analysis import LockGraph, SpecAnalysis
from kspec.sphinxext.build import code, para, table
from kspec.sphinxext.svg import render_svg
from kspec.sphinxext.verdicts import short_label


def lock_order_nodes(spec: str, graph: LockGraph | None, an: SpecAnalysis) -> list[nodes.Node]:
    if graph is None:
        return [para("The lock-order graph is not computed for this page.")]
    out: list[nodes.Node] = [para(
        "An arrow A \u2192 B means: some process took a lock of class B while holding one of class A, in "
        "some explored state (lockdep's dependency graph, accumulated over all explored transitions as ",
        code("lockdep_cycle", None), " does). An arrow in red lies on a cycle: a lock-order inversion.")]
    if not graph.explored:
        out.append(para("No configuration of this spec could be explored, so only the lock classes are shown."))
    red = graph.cycle_edges()
    svg = render_svg(dict(graph.classes), graph.edges, red, title=f"{spec}: lock-class order", uid=spec)
    if svg:
        fig = nodes.container(classes=["kspec-lockgraph-figure"])
        fig += nodes.raw("", f'<div class="kspec-lockgraph">{svg}</div>', format="html")
        out.append(fig)
    if graph.edges:
        rows = []
        for (a, b), info in sorted(graph.edges.items()):
            scope = "every explored configuration" if len(info["configs"]) == len(graph.explored) else \
                ", ".join(short_label(c, spec) for c in info["configs"][:6]) + \
                (f" and {len(info['configs']) - 6} more" if len(info["configs"]) > 6 else "")
            edge = [nodes.literal(text=f"{a} \u2192 {b}")]
            if (a, b) in red:
                edge.append(nodes.inline(" cycle", " cycle", classes=["kspec-badge", "kspec-badge-mismatch"]))
            rows.append([edge, [nodes.literal(text=info["where"])], scope])
        out.append(table(["Order", "First seen at", "Seen in"], rows, [3, 4, 3], classes=["kspec-lock-edges"]))
    elif graph.explored:
        out.append(para("No process ever holds one lock while taking another: the graph has no edges."))
    if graph.incomplete:
        out.append(para("Explored up to the docs' state bound, not exhaustively: "
                        + ", ".join(short_label(c, spec) for c in graph.incomplete)
                        + ". An order seen only beyond the bound is missing here; ",
                        code("kspec check", None), " explores every state.", classes=["kspec-muted"]))
    return out
