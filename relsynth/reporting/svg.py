"""Tiny inline-SVG charts: no plotting library, no scripts, one self-contained file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

REAL, SYNTH = "#3b6ea8", "#e07b39"
TITLE_CHAR_WIDTH = 7.0  # px per character of a title (11px, semi-bold, system sans-serif), generously


def title_width(title: str) -> int:
    """Pixels a chart needs for its title on one line: a chart widens to fit it, never clips it."""
    return int(math.ceil(len(title) * TITLE_CHAR_WIDTH)) + 12


def bars(labels: Sequence[str], real: Sequence[float], synthetic: Sequence[float], *, title: str,
         width: int = 300, height: int = 150) -> str:
    """Grouped bars, real against synthetic, over shared labels (histogram or categories)."""
    n = max(len(labels), 1)
    width = max(width, title_width(title))
    top = max([*real, *synthetic, 1e-9])
    pad_l, pad_b, pad_t = 6, 26, 18
    plot_w, plot_h = width - 2 * pad_l, height - pad_b - pad_t
    slot = plot_w / n
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>',
             f'<text x="{pad_l}" y="12" class="t">{escape(title)}</text>']
    for i, (label, r, s) in enumerate(zip(labels, real, synthetic, strict=True)):
        x = pad_l + i * slot
        for j, (v, color) in enumerate(((r, REAL), (s, SYNTH))):
            h = plot_h * v / top
            parts.append(f'<rect x="{x + j * slot / 2:.1f}" y="{pad_t + plot_h - h:.1f}" width="{max(slot / 2 - 0.5, 0.5):.1f}" '
                         f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: real {r:.3f}, synthetic {s:.3f}</title></rect>')
    if labels:
        parts.append(f'<text x="{pad_l}" y="{height - 12}" class="a">{escape(labels[0])}</text>')
        parts.append(f'<text x="{width - pad_l}" y="{height - 12}" class="a" text-anchor="end">{escape(labels[-1])}</text>')
    parts.append(f'<line x1="{pad_l}" x2="{width - pad_l}" y1="{pad_t + plot_h}" y2="{pad_t + plot_h}" stroke="#999"/>')
    parts.append("</svg>")
    return "".join(parts)


def _color(value: float, *, signed: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "#eee"
    if signed:  # -1 blue .. 0 white .. 1 red
        v = max(-1.0, min(1.0, value))
        r, g, b = (255, int(255 * (1 - v)), int(255 * (1 - v))) if v >= 0 else (int(255 * (1 + v)), int(255 * (1 + v)), 255)
    else:  # 0 red .. 1 green
        v = max(0.0, min(1.0, value))
        r, g, b = int(220 * (1 - v) + 40 * v), int(60 * (1 - v) + 170 * v), 70
    return f"rgb({r},{g},{b})"


def heatmap(names: Sequence[str], values: dict[tuple[str, str], float], *, title: str, signed: bool = False,
            cell: int = 16) -> str:
    """A symmetric matrix over ``names``; ``values`` keyed by (a, b) in either order."""
    label_w = min(140, 7 * max((len(n) for n in names), default=4))
    size = label_w + cell * len(names) + 8
    width = max(size, title_width(title))
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{size + 14}" '
             f'viewBox="0 0 {width} {size + 14}" role="img"><title>{escape(title)}</title>',
             f'<text x="2" y="11" class="t">{escape(title)}</text>']
    top = label_w + 14
    for i, a in enumerate(names):
        parts.append(f'<text x="{label_w - 3}" y="{top + i * cell + cell * 0.75:.1f}" class="a" text-anchor="end">{escape(a[:20])}</text>')
        for j, b in enumerate(names):
            v = 1.0 if a == b and not signed else values.get((a, b), values.get((b, a), math.nan))
            if a == b and signed:
                v = 1.0
            parts.append(f'<rect x="{label_w + j * cell}" y="{top + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                         f'fill="{_color(v, signed=signed)}"><title>{escape(a)} / {escape(b)}: {v:.3f}</title></rect>')
    for j, b in enumerate(names):
        x = label_w + j * cell + cell * 0.7
        parts.append(f'<text x="{x:.1f}" y="{top - 3}" class="a" transform="rotate(-60 {x:.1f} {top - 3})">{escape(b[:14])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def graph(nodes: Sequence[str], edges: Sequence[tuple[str, str, str]], *, width: int = 760, height: int = 420) -> str:
    """The FK graph: tables as labelled dots, each FK an arrow child -> parent (networkx layout)."""
    import networkx as nx

    g = nx.MultiDiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from((c, p) for c, p, _ in edges)
    pos = nx.kamada_kawai_layout(g) if 2 < len(nodes) <= 60 else nx.spring_layout(g, seed=0)
    xs = [p[0] for p in pos.values()] or [0]
    ys = [p[1] for p in pos.values()] or [0]

    def at(node: str) -> tuple[float, float]:
        x, y = pos[node]
        sx = (x - min(xs)) / ((max(xs) - min(xs)) or 1)
        sy = (y - min(ys)) / ((max(ys) - min(ys)) or 1)
        return 60 + sx * (width - 160), 30 + sy * (height - 60)

    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img"><title>foreign-key graph</title>',
             '<defs><marker id="arr" viewBox="0 0 10 10" refX="16" refY="5" markerWidth="6" markerHeight="6" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>']
    for child, parent, label in edges:
        (x1, y1), (x2, y2) = at(child), at(parent)
        if child == parent:
            parts.append(f'<circle cx="{x1 + 8}" cy="{y1 - 8}" r="9" fill="none" stroke="#888"><title>{escape(label)}</title></circle>')
            continue
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#888" '
                     f'marker-end="url(#arr)"><title>{escape(label)}</title></line>')
    for node in nodes:
        x, y = at(node)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{REAL}"/>'
                     f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" class="n">{escape(node)}</text>')
    parts.append("</svg>")
    return "".join(parts)
