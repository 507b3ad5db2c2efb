"""Generated rows made to satisfy PostgreSQL exclusion constraints, without dropping any row.

``EXCLUDE USING gist (room_id WITH =, during WITH &&)``: rows with equal ``room_id`` must not
have overlapping ``during``. Within each group of equal values (the ``=`` elements), the values of
the first ``&&`` column are swept in order of their lower end; a value that overlaps the ones
before it is shifted to start where they end, keeping its width, so a booking moves later rather
than disappearing (its row may already have children). A value that cannot move (unbounded below)
becomes empty. The swept element may be a range or multirange column (by its span), a shape
(along x), or a range built from two columns (``tsrange(starts_at, ends_at)``: both move). Other
operators and expressions leave the rows as they are; such a constraint is created on a best-effort
basis (``resolvable``), and a refusal is a warning.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import ExclusionConstraint, Table
from relsynth.values.pgtypes import family_of, is_null
from relsynth.values.pgtypes.geometric import fmt, numbers
from relsynth.values.pgtypes.ranges import ONE_RANGE, Bounds, parse_range, render_range, subtype

log = logging.getLogger(__name__)

_GROUPING = ("=", "~=")
_OVERLAP = "&&"
_GAP = 1e-5  # geometric comparisons are fuzzy to 1e-6 in PostgreSQL: keep shifted shapes further apart


@dataclass
class _Item:
    row: int
    lower: Any  # None: unbounded below
    upper: Any  # None: unbounded above
    left: str
    right: str


@dataclass(frozen=True)
class _Axis:
    """How one type shows its extent along the swept axis, and how it moves along it."""

    extent: Callable[[str], _Item | None]  # None: never overlaps (empty)
    shifted: Callable[[str, Any, bool], str]  # moved by a delta (new lower minus old), lower end opened
    emptied: str | None  # the value that overlaps nothing, or None when there is none
    gap: float = 0.0  # extra distance when touching counts as overlapping (closed shapes)
    nudge: Callable[[Any], Any] | None = None  # one step past a closed end, where a bound cannot open


def _operator(name: str) -> str:
    return name.rpartition(".")[2]  # ``pg_catalog.&&`` -> ``&&``


def _range_axis(column_type) -> _Axis:
    kind, _, timezone = subtype(column_type, "range")

    def extent(text: str) -> _Item | None:
        b = parse_range(text, kind, timezone)
        return None if b.empty else _Item(-1, b.lower, b.upper, b.left, b.right)

    def shifted(text: str, delta: Any, opened: bool) -> str:
        b = parse_range(text, kind, timezone)
        left = "(" if opened else b.left
        return render_range(Bounds(b.lower + delta, None if b.upper is None else b.upper + delta, left, b.right), kind)

    return _Axis(extent, shifted, "empty")


def _multirange_axis(column_type) -> _Axis:
    kind, _, timezone = subtype(column_type, "multirange")

    def ranges(text: str) -> list[Bounds]:
        return [r for r in (parse_range(t, kind, timezone) for t in ONE_RANGE.findall(text)) if not r.empty]

    def extent(text: str) -> _Item | None:
        found = ranges(text)
        return _Item(-1, found[0].lower, found[-1].upper, found[0].left, found[-1].right) if found else None

    def shifted(text: str, delta: Any, opened: bool) -> str:
        moved = [
            Bounds(None if r.lower is None else r.lower + delta, None if r.upper is None else r.upper + delta, r.left, r.right)
            for r in ranges(text)
        ]
        if opened and moved:
            moved[0] = Bounds(moved[0].lower, moved[0].upper, "(", moved[0].right)
        return "{" + ",".join(render_range(r, kind) for r in moved) + "}"

    return _Axis(extent, shifted, "{}")


_PAIR = re.compile(r"\(\s*([^(),\s]+)\s*,\s*([^(),\s]+)\s*\)")
_SHAPES = ("box", "circle", "polygon", "path", "lseg", "point")


def _shape_axis(name: str) -> _Axis | None:
    """Shapes sweep along x: apart along x, two shapes cannot overlap, whatever their y."""
    if name not in _SHAPES:
        return None

    def extent(text: str) -> _Item:
        if name == "circle":  # <(x,y),r>
            x, _, r = numbers(text)
            return _Item(-1, x - r, x + r, "[", "]")
        xs = [float(x) for x, _ in _PAIR.findall(text)]
        return _Item(-1, min(xs), max(xs), "[", "]")

    def shifted(text: str, delta: float, opened: bool) -> str:
        return _PAIR.sub(lambda m: f"({fmt(float(m.group(1)) + delta)},{m.group(2)})", text)

    return _Axis(extent, shifted, None, _GAP)


def _axis(table: Table, column: str) -> _Axis | None:
    column_type = table.column(column).type
    family = family_of(column_type)
    if family is None:
        return None
    if family.name == "range":
        return _range_axis(column_type)
    if family.name == "multirange":
        return _multirange_axis(column_type)
    return _shape_axis(family.name)


_EXPRESSION = re.compile(
    r"""^(?P<kind>\w+range)\(\s*"?(?P<lower>\w+)"?\s*,\s*"?(?P<upper>\w+)"?\s*"""
    r"""(?:,\s*'(?P<bounds>[\[(][\])])'(?:::text)?\s*)?\)$"""
)


@dataclass(frozen=True)
class _ColumnSweep:
    """The swept element is a column holding ranges or shapes (as literal text)."""

    column: str
    axis: _Axis

    @property
    def columns(self) -> list[str]:
        return [self.column]

    def item(self, rows: pd.DataFrame, position: int) -> _Item | None:
        found = self.axis.extent(str(rows[self.column].iat[position]))
        if found is not None:
            found.row = position
        return found

    def apply(self, rows: pd.DataFrame, moves: dict[int, tuple[Any, bool] | None]) -> None:
        values = rows[self.column].to_numpy(dtype=object).copy()
        for position, move in moves.items():
            values[position] = self.axis.emptied if move is None else self.axis.shifted(str(values[position]), *move)
        rows[self.column] = values


@dataclass(frozen=True)
class _BoundsSweep:
    """The swept element is an expression over two columns: ``tsrange(starts_at, ends_at, '[]')``."""

    lower: str
    upper: str
    left: str
    right: str

    @property
    def columns(self) -> list[str]:
        return [self.lower]  # a NULL upper end is unbounded, a NULL lower end too (but rows need one)

    @property
    def axis(self) -> _Axis:
        return _Axis(lambda text: None, lambda text, delta, opened: text, None, nudge=_step)

    def item(self, rows: pd.DataFrame, position: int) -> _Item:
        low, high = (rows[c].iat[position] for c in (self.lower, self.upper))
        return _Item(position, _plain(low), None if is_null(high) else _plain(high), self.left, self.right)

    def apply(self, rows: pd.DataFrame, moves: dict[int, tuple[Any, bool] | None]) -> None:
        for column in (self.lower, self.upper):
            values = rows[column].to_numpy(dtype=object).copy()
            for position, move in moves.items():
                if move is not None and not is_null(values[position]):
                    values[position] = _plain(values[position]) + move[0]
            original = rows[column].dtype
            series = pd.Series(values, index=rows.index)
            rows[column] = series if pd.api.types.is_object_dtype(original) else series.astype(original)


def _plain(value: Any) -> Any:
    """A value the sweep can compare and subtract: Timestamps for datetimes."""
    if isinstance(value, (np.datetime64, dt.datetime)):
        return pd.Timestamp(value)
    return value


def _step(value: Any) -> Any:
    """The smallest step past ``value``: a closed ``[a,b]`` then ``[b,c]`` would share b."""
    if isinstance(value, pd.Timestamp):
        return pd.Timedelta(microseconds=1)
    if isinstance(value, dt.date):
        return dt.timedelta(days=1)
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(1).scaleb(min(value.as_tuple().exponent, -6) if isinstance(value.as_tuple().exponent, int) else -6)
    return 1 if isinstance(value, (int, np.integer)) else 1e-9


def _swept(table: Table, element: str, rows: pd.DataFrame) -> _ColumnSweep | _BoundsSweep | None:
    if element in rows.columns:
        axis = _axis(table, element)
        return _ColumnSweep(element, axis) if axis is not None else None
    found = _EXPRESSION.match(element.strip())
    if found is None or not {found["lower"], found["upper"]} <= set(rows.columns):
        return None
    bounds = found["bounds"] or "[)"
    return _BoundsSweep(found["lower"], found["upper"], bounds[0], bounds[1])


def _plan(table: Table, constraint: ExclusionConstraint, rows: pd.DataFrame):
    """(grouping columns, swept element), or None when relsynth cannot resolve the constraint."""
    groups, overlaps = [], []
    for element, operator in constraint.elements:
        op = _operator(operator)
        if op in _GROUPING and element in rows.columns:
            groups.append(element)
        elif op == _OVERLAP:
            overlaps.append(element)
        else:
            return None  # another operator, or an expression the clone cannot group by
    swept = _swept(table, overlaps[0], rows) if overlaps else None
    return (groups, swept) if swept is not None else None


def _overlaps(end: Any, end_right: str, item: _Item) -> bool:
    if item.lower is None or end is None:
        return True
    if item.lower != end:
        return item.lower < end
    return end_right == "]" and item.left == "["


def _sweep(items: list[_Item], axis: _Axis) -> dict[int, tuple[Any, bool] | None]:
    """Per moved row: (delta, whether its lower end must open) to shift it by, or None to empty it."""
    items.sort(key=lambda it: (it.lower is not None, it.lower if it.lower is not None else 0))
    moves: dict[int, tuple[Any, bool] | None] = {}
    end, end_right, unbounded, started = None, ")", False, False
    for item in items:
        if started and (unbounded or _overlaps(end, end_right, item)):
            if unbounded or item.lower is None:  # nothing to shift it past, or nothing to shift
                if axis.emptied is not None:
                    moves[item.row] = None
                continue
            target = end + axis.gap if axis.gap else end
            # [a,b] then [b,c] share b: the moved value starts just after b instead
            opened = not axis.gap and end_right == "]" and item.left == "["
            if opened and axis.nudge is not None:
                target, opened = target + axis.nudge(target), False
            delta = target - item.lower
            moves[item.row] = (delta, opened)
            item.lower, item.upper = target, None if item.upper is None else item.upper + delta
            item.left = "(" if opened else item.left
        if item.upper is None:
            unbounded = True
        elif not started or item.upper > end:
            end, end_right = item.upper, item.right
        started = True
    return moves


def resolvable(table: Table, constraint: ExclusionConstraint) -> bool:
    """Whether ``resolve`` makes generated rows satisfy ``constraint`` (from the schema alone)."""
    return _plan(table, constraint, pd.DataFrame(columns=list(table.column_names))) is not None


def resolve(table: Table, rows: pd.DataFrame) -> int:
    """Shift values in ``rows`` (in place) so that every exclusion constraint holds; rows moved."""
    moved = 0
    for constraint in table.exclusion_constraints:
        planned = _plan(table, constraint, rows)
        if planned is None:
            log.warning("%s: exclusion constraint %s is not enforced on generated rows", table.name, constraint.name)
            continue
        groups, swept = planned
        present = rows[[*groups, *swept.columns]].notna().all(axis=1).to_numpy()
        positions = np.flatnonzero(present)
        keyed = rows.iloc[positions].groupby(groups, sort=False).indices if groups else {(): np.arange(len(positions))}
        moves: dict[int, tuple[Any, bool] | None] = {}
        for members in keyed.values():
            items = [found for p in positions[members] if (found := swept.item(rows, int(p))) is not None]
            moves.update(_sweep(items, swept.axis))
        swept.apply(rows, moves)
        moved += len(moves)
    return moved
