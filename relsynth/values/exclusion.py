"""Generated rows made to satisfy PostgreSQL exclusion constraints, without dropping any row.

``EXCLUDE USING gist (room_id WITH =, during WITH &&)``: rows with equal ``room_id`` must not
have overlapping ``during``. Within each group of equal values (the ``=`` elements), the values of
the first ``&&`` column are swept in order of their lower end; a value that overlaps the ones
before it is shifted to start where they end, keeping its width, so a booking moves later rather
than disappearing (its row may already have children). A value that cannot move (unbounded below)
becomes empty. Ranges, multiranges (by their span), boxes and circles (along x) are supported;
other operators leave the rows as they are, and the target reports the constraint it refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from relsynth.schema.elements import ExclusionConstraint, Table
from relsynth.values.pgtypes import family_of
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


def _shape_axis(name: str) -> _Axis | None:
    if name == "box":  # (x2,y2),(x1,y1)
        def extent(text: str) -> _Item:
            v = numbers(text)
            return _Item(-1, min(v[0], v[2]), max(v[0], v[2]), "[", "]")

        def shifted(text: str, delta: float, opened: bool) -> str:
            v = numbers(text)
            return f"({fmt(v[0] + delta)},{fmt(v[1])}),({fmt(v[2] + delta)},{fmt(v[3])})"

        return _Axis(extent, shifted, None, _GAP)
    if name == "circle":  # <(x,y),r>
        def extent(text: str) -> _Item:
            x, _, r = numbers(text)
            return _Item(-1, x - r, x + r, "[", "]")

        def shifted(text: str, delta: float, opened: bool) -> str:
            x, y, r = numbers(text)
            return f"<({fmt(x + delta)},{fmt(y)}),{fmt(r)}>"

        return _Axis(extent, shifted, None, _GAP)
    return None


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


def _plan(table: Table, constraint: ExclusionConstraint, rows: pd.DataFrame) -> tuple[list[str], str, _Axis] | None:
    """(grouping columns, swept column, its axis), or None when relsynth cannot resolve it."""
    groups, overlaps = [], []
    for element, operator in constraint.elements:
        if element not in rows.columns:
            return None  # an expression, or a column the clone does not write
        op = _operator(operator)
        if op in _GROUPING:
            groups.append(element)
        elif op == _OVERLAP:
            overlaps.append(element)
        else:
            return None
    axis = _axis(table, overlaps[0]) if overlaps else None
    return (groups, overlaps[0], axis) if axis is not None else None


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
            delta = target - item.lower
            # [a,b] then [b,c] share b: the moved value starts just after b instead
            opened = not axis.gap and end_right == "]" and item.left == "["
            moves[item.row] = (delta, opened)
            item.lower, item.upper = target, None if item.upper is None else item.upper + delta
            item.left = "(" if opened else item.left
        if item.upper is None:
            unbounded = True
        elif not started or item.upper > end:
            end, end_right = item.upper, item.right
        started = True
    return moves


def resolve(table: Table, rows: pd.DataFrame) -> int:
    """Shift values in ``rows`` (in place) so that every exclusion constraint holds; rows moved."""
    moved = 0
    for constraint in table.exclusion_constraints:
        planned = _plan(table, constraint, rows)
        if planned is None:
            log.warning("%s: exclusion constraint %s is not enforced on generated rows", table.name, constraint.name)
            continue
        groups, column, axis = planned
        present = rows[column].notna() & (rows[groups].notna().all(axis=1) if groups else True)
        frame = rows.loc[present, [*groups, column]]
        keyed = frame.groupby(groups, sort=False).indices if groups else {(): range(len(frame))}
        values = rows[column].to_numpy(dtype=object)
        index = frame.index.to_numpy()
        for members in keyed.values():
            items = []
            for position in members:
                row = int(index[position])
                found = axis.extent(str(values[row]))
                if found is not None:
                    found.row = row
                    items.append(found)
            for row, move in _sweep(items, axis).items():
                values[row] = axis.emptied if move is None else axis.shifted(str(values[row]), *move)
                moved += 1
        rows[column] = values
    return moved

