"""MySQL/MariaDB spatial columns (POINT, LINESTRING, POLYGON, GEOMETRY, and their MULTI forms).

A location can be a home, so no coordinate is copied: the plane is cut into a grid over the
source's extent (2nd to 98th percentile), cells holding at least ``min_count`` geometries keep
their share, and each generated geometry lies at a uniform spot inside a drawn cell. Values come
out as WKT; the MySQL loader wraps them in ST_GeomFromText, other engines store the text.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import ColumnType
from relsynth.values.families import base_name, draw, null_rate

_GRID = 20
_SHAPES = {1: "point", 2: "linestring", 3: "polygon", 4: "multipoint", 5: "multilinestring", 6: "multipolygon", 7: "geometrycollection"}


def _first_point(wkb: bytes, offset: int = 0) -> tuple[str, float, float] | None:
    """(shape, x, y) of a WKB geometry's first coordinate."""
    if len(wkb) < offset + 5:
        return None
    order = "<" if wkb[offset] == 1 else ">"
    code = struct.unpack_from(order + "I", wkb, offset + 1)[0] % 1000
    shape = _SHAPES.get(code)
    at = offset + 5
    if code == 1:
        x, y = struct.unpack_from(order + "dd", wkb, at)
    elif code == 2:
        x, y = struct.unpack_from(order + "dd", wkb, at + 4)
    elif code == 3:
        x, y = struct.unpack_from(order + "dd", wkb, at + 8)
    elif code in (4, 5, 6, 7):
        inner = _first_point(wkb, at + 4)
        return None if inner is None or shape is None else (shape, inner[1], inner[2])
    else:
        return None
    return (shape or "point", x, y)


def _parse(value: Any) -> tuple[str, float, float] | None:
    if not isinstance(value, bytes | bytearray | memoryview):
        return None
    raw = bytes(value)
    try:  # MySQL's internal form: a 4-byte SRID, then WKB
        return _first_point(raw, 4) if len(raw) > 4 and raw[4] in (0, 1) else _first_point(raw)
    except struct.error:
        return None


@dataclass(frozen=True)
class SpatialModel:
    shape: str  # the declared type, lower case
    shapes: dict[str, int]  # shapes seen (a GEOMETRY column holds any) -> rows
    box: list[float]  # x0, y0, x1, y1
    cells: dict[str, int]  # "i,j" grid cell -> rows
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> SpatialModel:
        found = [p for p in (_parse(v) for v in values.dropna()) if p is not None]
        shapes = Counter(shape for shape, _, _ in found)
        box = [0.0, 0.0, 1.0, 1.0]
        cells: Counter = Counter()
        if found:
            xs, ys = np.array([p[1] for p in found]), np.array([p[2] for p in found])
            (x0, x1), (y0, y1) = np.quantile(xs, [0.02, 0.98]), np.quantile(ys, [0.02, 0.98])
            box = [float(x0), float(y0), float(max(x1, x0 + 1e-9)), float(max(y1, y0 + 1e-9))]
            i = np.clip(((xs - box[0]) / (box[2] - box[0]) * _GRID).astype(int), 0, _GRID - 1)
            j = np.clip(((ys - box[1]) / (box[3] - box[1]) * _GRID).astype(int), 0, _GRID - 1)
            cells = Counter(f"{a},{b}" for a, b in zip(i.tolist(), j.tolist(), strict=True))
        kept = {cell: count for cell, count in cells.items() if count >= min_count}
        return cls(base_name(column_type.sql), dict(shapes), box, kept, null_rate(values))

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        cells = draw(list(self.cells), list(self.cells.values()), n, rng) if self.cells else [None] * n
        shapes = [self.shape] * n
        if self.shape == "geometry":
            shapes = draw(list(self.shapes), list(self.shapes.values()), n, rng) if self.shapes else ["point"] * n
        out: list[str | None] = []
        width, height = (self.box[2] - self.box[0]) / _GRID, (self.box[3] - self.box[1]) / _GRID
        for cell, shape, null in zip(cells, shapes, nulls, strict=True):
            if null:
                out.append(None)
                continue
            if cell is None:  # no cell shared by enough rows: anywhere in the extent
                x, y = self.box[0] + rng.random() * (self.box[2] - self.box[0]), self.box[1] + rng.random() * (self.box[3] - self.box[1])
            else:
                i, j = (int(k) for k in cell.split(","))
                x, y = self.box[0] + (i + rng.random()) * width, self.box[1] + (j + rng.random()) * height
            out.append(_wkt(shape, round(x, 6), round(y, 6), max(width, height, 1e-6) / 4))
        return pd.Series(out, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SpatialModel:
        return cls(**data)


def _wkt(shape: str, x: float, y: float, size: float) -> str:
    """The smallest geometry of ``shape`` at (x, y): a point, a segment, a square."""
    point = f"{x} {y}"
    line = f"{x} {y},{x + size} {y + size}"
    ring = f"({x} {y},{x + size} {y},{x + size} {y + size},{x} {y + size},{x} {y})"
    return {
        "linestring": f"LINESTRING({line})",
        "polygon": f"POLYGON({ring})",
        "multipoint": f"MULTIPOINT(({point}))",
        "multilinestring": f"MULTILINESTRING(({line}))",
        "multipolygon": f"MULTIPOLYGON(({ring}))",
        "geometrycollection": f"GEOMETRYCOLLECTION(POINT({point}))",
    }.get(shape, f"POINT({point})")
