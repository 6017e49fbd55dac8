"""A lock-class graph -> a standalone SVG picture, with no Graphviz needed.

Layout: classes are layered by the longest path from a source in the graph
with its cycles broken (strongly connected components first), top to bottom;
within a layer, nodes are ordered by the mean position of their predecessors.
Edges that go down are straight arrows; edges within a layer or upwards
(the ones that close a cycle) are curved and, when they lie on a cycle,
drawn in red: that is the inversion lockdep would report.
"""
from __future__ import annotations

from html import escape

NODE_H = 44
LAYER_GAP = 86
NODE_GAP = 36
CHAR_W = 7.6
PAD = 24


def _layers(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering of the graph with back edges (by DFS order) removed."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        succ[a].append(b)
    state: dict[str, int] = {}
    dag: list[tuple[str, str]] = []

    def dfs(v: str) -> None:
        state[v] = 1
        for w in sorted(succ[v]):
            if state.get(w) == 1:
                continue  # back edge: breaks a cycle
            dag.append((v, w))
            if w not in state:
                dfs(w)
        state[v] = 2

    for n in sorted(nodes, key=lambda n: (sum(1 for _, b in edges if b == n), n)):
        if n not in state:
            dfs(n)
    layer = {n: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for a, b in dag:
            if a != b and layer[b] < layer[a] + 1:
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    return layer


def render_svg(classes: dict[str, str], edges: dict[tuple[str, str], dict], red: set[tuple[str, str]],
               title: str = "", uid: str = "g") -> str:
    nodes = sorted(classes)
    for a, b in edges:
        for n in (a, b):
            if n not in classes:
                nodes.append(n)
                classes = {**classes, n: ""}
    if not nodes:
        return ""
    layer = _layers(nodes, list(edges))
    rows: dict[int, list[str]] = {}
    for n in nodes:
        rows.setdefault(layer[n], []).append(n)
    width_of = {n: max(len(n), len(classes.get(n, ""))) * CHAR_W + 28 for n in nodes}
    pos: dict[str, tuple[float, float]] = {}
    order: dict[str, float] = {}
    for k in sorted(rows):
        row = rows[k]
        if k > 0:  # barycentre of predecessors, to reduce crossings
            def bary(n: str) -> float:
                ps = [order[a] for a, b in edges if b == n and a in order]
                return sum(ps) / len(ps) if ps else 1e9
            row.sort(key=lambda n: (bary(n), n))
        for i, n in enumerate(row):
            order[n] = i
    total_w = max(sum(width_of[n] for n in row) + NODE_GAP * (len(row) - 1) for row in rows.values())
    total_w = max(total_w, 160)
    for k, row in rows.items():
        row_w = sum(width_of[n] for n in row) + NODE_GAP * (len(row) - 1)
        x = PAD + (total_w - row_w) / 2
        for n in row:
            pos[n] = (x + width_of[n] / 2, PAD + k * (NODE_H + LAYER_GAP) + NODE_H / 2)
            x += width_of[n] + NODE_GAP
    has_side = any(layer[b] <= layer[a] for a, b in edges)
    W = total_w + 2 * PAD + (80 if has_side else 0)
    H = PAD * 2 + (max(rows) + 1) * NODE_H + max(rows) * LAYER_GAP
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kspec-lockgraph" role="img" '
           f'viewBox="0 0 {W:.0f} {H:.0f}" width="{W:.0f}" height="{H:.0f}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="13">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append('<defs>'
               f'<marker id="kspec-arrow-{uid}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
               'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>'
               f'<marker id="kspec-arrow-red-{uid}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
               'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker>'
               '</defs>')
    for (a, b), info in sorted(edges.items()):
        out.append(_edge(pos, width_of, layer, a, b, (a, b) in red, info, uid))
    for n in nodes:
        x, y = pos[n]
        w = width_of[n]
        kind = classes.get(n, "")
        fill = {"spinlock": "#fff4e0", "mutex": "#e8f1fb", "ww_mutex": "#eef7e8"}.get(kind, "#f4f4f4")
        out.append(f'<g class="kspec-lock-node"><title>{escape(n)} ({escape(kind)})</title>'
                   f'<rect x="{x - w / 2:.1f}" y="{y - NODE_H / 2:.1f}" width="{w:.1f}" height="{NODE_H}" rx="8" '
                   f'fill="{fill}" stroke="#555" stroke-width="1.2"/>'
                   f'<text x="{x:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-weight="bold" fill="#222">'
                   f'{escape(n)}</text>'
                   f'<text x="{x:.1f}" y="{y + 13:.1f}" text-anchor="middle" font-size="11" fill="#666">'
                   f'{escape(kind)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _edge(pos, width_of, layer, a: str, b: str, red: bool, info: dict, uid: str) -> str:
    colour = "#c62828" if red else "#444"
    marker = f"kspec-arrow-red-{uid}" if red else f"kspec-arrow-{uid}"
    tip = escape(info.get("where", "")) if info else ""
    (x1, y1), (x2, y2) = pos[a], pos[b]
    if a == b:  # recursion on one class: a loop on the right
        w = width_of[a] / 2
        d = (f"M{x1 + w:.1f},{y1 - 8:.1f} C{x1 + w + 46:.1f},{y1 - 34:.1f} {x1 + w + 46:.1f},{y1 + 34:.1f} "
             f"{x1 + w + 2:.1f},{y1 + 8:.1f}")
    elif layer[b] > layer[a]:  # downwards: straight, bottom of a to top of b
        d = f"M{x1:.1f},{y1 + NODE_H / 2:.1f} L{x2:.1f},{y2 - NODE_H / 2 - 1:.1f}"
    else:  # sideways or upwards: closes a cycle; curve out to the right
        wa, wb = width_of[a] / 2, width_of[b] / 2
        bend = 60 + 20 * abs(layer[a] - layer[b])
        cx = max(x1 + wa, x2 + wb) + bend
        d = (f"M{x1 + wa:.1f},{y1:.1f} C{cx:.1f},{y1:.1f} {cx:.1f},{y2:.1f} {x2 + wb + 1:.1f},{y2:.1f}")
    dash = ' stroke-dasharray="6 4"' if info and info.get("partial") else ""
    return (f'<path class="kspec-lock-edge" d="{d}" fill="none" stroke="{colour}" stroke-width="1.8"{dash} '
            f'marker-end="url(#{marker})"><title>{escape(a)} → {escape(b)}: {tip}</title></path>')
