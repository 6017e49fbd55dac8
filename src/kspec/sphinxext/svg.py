"""A lock-class graph -> a standalone SVG picture, with no Graphviz needed.

Layout: classes are layered by the longest path from a source in the graph
with its cycles broken, top to bottom; within a layer, nodes are ordered by
the mean position of their predecessors (two sweeps). Edges leave a node's
bottom and enter the next node's top at points spread over the box, ordered
by the other end's position, so arrows do not pile up. An edge that skips
layers bends around a box in its way; an edge within a layer is an arc below
it; an edge upwards (one that closes a cycle) curves out to the right. Edges
on a cycle are red: that is the inversion lockdep would report.
"""
from __future__ import annotations

from html import escape

NODE_H = 44
LAYER_GAP = 86
NODE_GAP = 40
CHAR_W = 7.6
PAD = 24
RED = "#c62828"
GREY = "#444"


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


class _Layout:
    def __init__(self, classes: dict[str, str], edges: list[tuple[str, str]]):
        self.nodes = sorted(classes)
        self.edges = edges
        self.layer = _layers(self.nodes, edges)
        self.width = {n: max(len(n), len(classes.get(n, ""))) * CHAR_W + 28 for n in self.nodes}
        rows: dict[int, list[str]] = {}
        for n in self.nodes:
            rows.setdefault(self.layer[n], []).append(n)
        self.rows = rows
        self._order()
        self._place()

    def _order(self) -> None:
        order = {n: i for row in self.rows.values() for i, n in enumerate(row)}
        for _ in range(2):  # barycentre sweeps: by predecessors, then by successors
            for k in sorted(self.rows):
                def bary(n: str) -> float:
                    near = [order[a] for a, b in self.edges if b == n and self.layer[a] < k] + \
                           [order[b] for a, b in self.edges if a == n and self.layer[b] > k]
                    return sum(near) / len(near) if near else order[n]
                self.rows[k].sort(key=lambda n: (bary(n), n))
                for i, n in enumerate(self.rows[k]):
                    order[n] = i

    def _place(self) -> None:
        rows = self.rows
        self.inner_w = max(160, max(sum(self.width[n] for n in row) + NODE_GAP * (len(row) - 1)
                                    for row in rows.values()))
        self.pos: dict[str, tuple[float, float]] = {}
        for k, row in rows.items():
            row_w = sum(self.width[n] for n in row) + NODE_GAP * (len(row) - 1)
            x = PAD + (self.inner_w - row_w) / 2
            for n in row:
                self.pos[n] = (x + self.width[n] / 2, PAD + k * (NODE_H + LAYER_GAP) + NODE_H / 2)
                x += self.width[n] + NODE_GAP
        self.ports: dict[tuple[str, str, str], float] = {}
        for n in self.nodes:  # spread the ends of downward edges over the box
            outs = sorted((e for e in self.edges if e[0] == n and self._down(e)), key=lambda e: self.pos[e[1]][0])
            ins = sorted((e for e in self.edges if e[1] == n and self._down(e)), key=lambda e: self.pos[e[0]][0])
            for side, group in (("out", outs), ("in", ins)):
                for i, e in enumerate(group):
                    frac = (i + 1) / (len(group) + 1)
                    self.ports[(side, *e)] = self.pos[n][0] + (frac - 0.5) * self.width[n] * 0.7

    def _down(self, e: tuple[str, str]) -> bool:
        return self.layer[e[1]] > self.layer[e[0]]

    def box(self, n: str) -> tuple[float, float, float, float]:
        x, y = self.pos[n]
        w = self.width[n] / 2
        return x - w, y - NODE_H / 2, x + w, y + NODE_H / 2

    def path(self, a: str, b: str) -> str:
        (xa, ya), (xb, yb) = self.pos[a], self.pos[b]
        wa, wb = self.width[a] / 2, self.width[b] / 2
        if a == b:  # one class taken twice: a loop on the right
            return (f"M{xa + wa:.1f},{ya - 8:.1f} C{xa + wa + 46:.1f},{ya - 34:.1f} {xa + wa + 46:.1f},"
                    f"{ya + 34:.1f} {xa + wa + 2:.1f},{ya + 8:.1f}")
        if self._down((a, b)):
            x1, y1 = self.ports[("out", a, b)], ya + NODE_H / 2
            x2, y2 = self.ports[("in", a, b)], yb - NODE_H / 2 - 1
            detour = self._detour(a, b, x1, y1, x2, y2)
            if detour is None:
                return f"M{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}"
            mx, my = detour  # a quadratic through (mx, my) at its middle
            cx, cy = 2 * mx - (x1 + x2) / 2, 2 * my - (y1 + y2) / 2
            return f"M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}"
        if self.layer[a] == self.layer[b]:  # an arc below the row
            y = ya + NODE_H / 2
            dip = 36 + 0.15 * abs(xb - xa)
            return f"M{xa:.1f},{y:.1f} C{xa:.1f},{y + dip:.1f} {xb:.1f},{y + dip:.1f} {xb:.1f},{y + 1:.1f}"
        bend = 60 + 20 * abs(self.layer[a] - self.layer[b])
        cx = max(xa + wa, xb + wb) + bend
        return f"M{xa + wa:.1f},{ya:.1f} C{cx:.1f},{ya:.1f} {cx:.1f},{yb:.1f} {xb + wb + 1:.1f},{yb:.1f}"

    def _detour(self, a: str, b: str, x1: float, y1: float, x2: float, y2: float) -> tuple[float, float] | None:
        """The first box a straight edge would cross, and a point beside it to pass through."""
        for k in range(self.layer[a] + 1, self.layer[b]):
            y = PAD + k * (NODE_H + LAYER_GAP) + NODE_H / 2
            x = x1 + (x2 - x1) * (y - y1) / (y2 - y1)
            for n in self.rows.get(k, []):
                left, _, right, _ = self.box(n)
                if left - 8 <= x <= right + 8:
                    side = left - 14 if x - left < right - x else right + 14
                    return side, y
        return None


def render_svg(classes: dict[str, str], edges: dict[tuple[str, str], dict], red: set[tuple[str, str]],
               title: str = "", uid: str = "g") -> str:
    classes = dict(classes)
    for a, b in edges:
        for n in (a, b):
            classes.setdefault(n, "")
    if not classes:
        return ""
    lay = _Layout(classes, sorted(edges))
    side = any(lay.layer[b] < lay.layer[a] for a, b in edges)
    same = any(lay.layer[b] == lay.layer[a] and a != b for a, b in edges)
    W = lay.inner_w + 2 * PAD + (90 if side else 0)
    H = PAD * 2 + (max(lay.rows) + 1) * NODE_H + max(lay.rows) * LAYER_GAP + (40 if same else 0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kspec-lockgraph" role="img" '
           f'viewBox="0 0 {W:.0f} {H:.0f}" width="{W:.0f}" height="{H:.0f}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="13">']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    out.append("<defs>" + "".join(
        f'<marker id="{mid}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for mid, colour in ((f"kspec-arrow-{uid}", GREY), (f"kspec-arrow-red-{uid}", RED))) + "</defs>")
    for (a, b), info in sorted(edges.items(), key=lambda kv: (kv[0] in red, kv[0])):  # red on top
        colour, marker = (RED, f"kspec-arrow-red-{uid}") if (a, b) in red else (GREY, f"kspec-arrow-{uid}")
        tip = escape((info or {}).get("where", ""))
        out.append(f'<path class="kspec-lock-edge" d="{lay.path(a, b)}" fill="none" stroke="{colour}" '
                   f'stroke-width="1.8" marker-end="url(#{marker})"><title>{escape(a)} → {escape(b)}: {tip}'
                   f'</title></path>')
    for n in lay.nodes:
        x, y = lay.pos[n]
        w = lay.width[n]
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
