"""PostgreSQL's geometric types as learned parts: where a shape is, how big, how many vertices.

point (x, y); line {A,B,C} (its coefficients); lseg (start and offset to the end); box (lower-left
corner, width, height); circle (centre, radius); path and polygon (centroid, spread = root mean
square distance of the vertices from it, vertex count, and for a path whether it is closed).
Generated paths and polygons are star-shaped around their centroid (vertices ordered by angle),
so they never cross themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from relsynth.schema.elements import ColumnType, TypeKind
from relsynth.values.pgtypes.base import Part

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:Infinity|inf|NaN)", re.IGNORECASE)
_COORD = TypeKind.DECIMAL  # the step (whole units, cents, ...) is inferred from the source


def numbers(text: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(text)]


def _num(value: Any) -> float:
    return float(value) if value is not None and value == value else 0.0


def fmt(value: float) -> str:
    """A coordinate as PostgreSQL prints it: shortest exact form, no exponent for ordinary sizes."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _pairs(points: Sequence[tuple[float, float]]) -> str:
    return ",".join(f"({fmt(x)},{fmt(y)})" for x, y in points)


@dataclass(frozen=True)
class _Simple:
    """A shape with a fixed number of numbers: point, line, lseg, box, circle."""

    name: str
    part_list: tuple[Part, ...]

    def matches(self, column_type: ColumnType) -> bool:
        # PostgreSQL's catalog spells its types in lower case; MariaDB's POINT/POLYGON (upper case
        # from introspection) are other types with other literals (values/spatial.py)
        return column_type.sql.strip() == self.name

    def parts(self, column_type: ColumnType) -> tuple[Part, ...]:
        return self.part_list

    def literal(self, value: Any, column_type: ColumnType) -> str:
        return str(value)

    def split(self, text: str, column_type: ColumnType) -> tuple[Any, ...]:
        v = numbers(text)
        if self.name == "point":
            return v[0], v[1]
        if self.name == "line":
            return v[0], v[1], v[2]
        if self.name == "lseg":
            return v[0], v[1], v[2] - v[0], v[3] - v[1]
        if self.name == "box":  # printed upper-right corner first
            x1, x2 = sorted((v[0], v[2]))
            y1, y2 = sorted((v[1], v[3]))
            return x1, y1, x2 - x1, y2 - y1
        return v[0], v[1], v[2]  # circle <(x,y),r>

    def join(self, parts: Sequence[Any], column_type: ColumnType, rng: np.random.Generator) -> str:
        v = [_num(p) for p in parts]
        if self.name == "point":
            return f"({fmt(v[0])},{fmt(v[1])})"
        if self.name == "line":
            a, b, c = v
            if a == 0 and b == 0:  # not a line; the nearest valid one is horizontal
                b = 1.0
            return f"{{{fmt(a)},{fmt(b)},{fmt(c)}}}"
        if self.name == "lseg":
            return f"[{_pairs([(v[0], v[1]), (v[0] + v[2], v[1] + v[3])])}]"
        if self.name == "box":
            x, y, w, h = v[0], v[1], max(v[2], 0.0), max(v[3], 0.0)
            return _pairs([(x + w, y + h), (x, y)])
        return f"<({fmt(v[0])},{fmt(v[1])}),{fmt(max(v[2], 0.0))}>"


@dataclass(frozen=True)
class _Vertices:
    """path and polygon: a variable number of vertices, learned by centroid, spread and count."""

    name: str

    def matches(self, column_type: ColumnType) -> bool:
        # PostgreSQL's catalog spells its types in lower case; MariaDB's POINT/POLYGON (upper case
        # from introspection) are other types with other literals (values/spatial.py)
        return column_type.sql.strip() == self.name

    def parts(self, column_type: ColumnType) -> tuple[Part, ...]:
        parts = (
            Part("x", _COORD),
            Part("y", _COORD),
            Part("spread", _COORD, low=0.0),
            Part("points", TypeKind.INTEGER, low=1.0),
        )
        return (*parts, Part("closed", TypeKind.BOOLEAN)) if self.name == "path" else parts

    def literal(self, value: Any, column_type: ColumnType) -> str:
        return str(value)

    def split(self, text: str, column_type: ColumnType) -> tuple[Any, ...]:
        v = numbers(text)
        xs, ys = np.asarray(v[0::2]), np.asarray(v[1::2])
        cx, cy = float(xs.mean()), float(ys.mean())
        spread = float(np.sqrt(((xs - cx) ** 2 + (ys - cy) ** 2).mean()))
        parts = (cx, cy, spread, len(xs))
        return (*parts, text.lstrip().startswith("(")) if self.name == "path" else parts

    def join(self, parts: Sequence[Any], column_type: ColumnType, rng: np.random.Generator) -> str:
        cx, cy, spread = _num(parts[0]), _num(parts[1]), max(_num(parts[2]), 0.0)
        count = max(int(_num(parts[3])), 1)
        angles = np.sort(rng.uniform(0.0, 2 * math.pi, count))
        radii = rng.uniform(0.6, 1.4, count)
        radii *= spread / math.sqrt(float((radii**2).mean()))
        points = [(round(cx + r * math.cos(a), 6), round(cy + r * math.sin(a), 6)) for a, r in zip(angles, radii, strict=True)]
        if self.name == "polygon":
            return f"({_pairs(points)})"
        closed = parts[4] is True or (parts[4] is not None and parts[4] == parts[4] and bool(parts[4]))
        return f"({_pairs(points)})" if closed else f"[{_pairs(points)}]"


GEOMETRIC = (
    _Simple("point", (Part("x", _COORD), Part("y", _COORD))),
    _Simple("line", (Part("a", _COORD), Part("b", _COORD), Part("c", _COORD))),
    _Simple("lseg", (Part("x", _COORD), Part("y", _COORD), Part("dx", _COORD), Part("dy", _COORD))),
    _Simple("box", (Part("x", _COORD), Part("y", _COORD), Part("width", _COORD, low=0.0), Part("height", _COORD, low=0.0))),
    _Simple("circle", (Part("x", _COORD), Part("y", _COORD), Part("radius", _COORD, low=0.0))),
    _Vertices("path"),
    _Vertices("polygon"),
)
