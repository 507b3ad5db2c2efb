"""Ranges and multiranges as learned parts: a form, a bound, a width.

A range splits into ``form`` (``empty``, or its bound characters with which ends are finite:
``[L,U)``, ``[L,)``, ``(,U]``, ``(,)``), ``bound`` (the lower bound, or the upper one when only
that is finite) and ``width`` (upper minus lower, when both are finite). A multirange splits into
the first range's ``form``, the ``count`` of ranges, the ``start`` of the first finite bound, the
``span`` to the last one and the share of it the ranges ``cover``; generated ranges are laid out
in that span with random gaps, which is always a valid multirange (PostgreSQL merges touching
ranges).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import ColumnType, TypeKind
from relsynth.values.pgtypes.base import Part, is_null

# range type -> (subtype kind, width kind, timezone)
_SUBTYPES = {
    "int4": (TypeKind.INTEGER, TypeKind.INTEGER, False),
    "int8": (TypeKind.INTEGER, TypeKind.INTEGER, False),
    "num": (TypeKind.DECIMAL, TypeKind.DECIMAL, False),
    "date": (TypeKind.DATE, TypeKind.INTEGER, False),
    "ts": (TypeKind.TIMESTAMP, TypeKind.INTERVAL, False),
    "tstz": (TypeKind.TIMESTAMP, TypeKind.INTERVAL, True),
}
_RANGE = re.compile(r"^\s*([\[(])(.*?),(.*?)([\])])\s*$", re.DOTALL)
ONE_RANGE = re.compile(r"[\[(][^\])]*[\])]")
_INFINITE = ("infinity", "-infinity")


@dataclass(frozen=True)
class Bounds:
    lower: Any  # None: unbounded
    upper: Any
    left: str = "["
    right: str = ")"
    empty: bool = False


def subtype(column_type: ColumnType, suffix: str) -> tuple[TypeKind, TypeKind, bool] | None:
    name = column_type.sql.strip().lower()
    return _SUBTYPES.get(name.removesuffix(suffix)) if name.endswith(suffix) else None


def parse_value(text: str, kind: TypeKind, timezone: bool) -> Any:
    text = text.strip().strip('"')
    if not text or text.lower() in _INFINITE:
        return None  # an infinite bound is taken as unbounded
    if kind is TypeKind.INTEGER:
        return int(text)
    if kind is TypeKind.DECIMAL:
        return decimal.Decimal(text)
    if kind is TypeKind.DATE:
        return dt.date.fromisoformat(text)
    stamp = pd.Timestamp(text)
    if timezone:
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp


def render_value(value: Any, kind: TypeKind) -> str:
    if value is None:
        return ""
    if kind is TypeKind.INTEGER:
        return str(int(value))
    if kind is TypeKind.DATE:
        return value.isoformat()
    if kind is TypeKind.TIMESTAMP:
        return f'"{pd.Timestamp(value)}"'
    return str(value)


def parse_range(text: str, kind: TypeKind, timezone: bool) -> Bounds:
    if text.strip().lower() == "empty":
        return Bounds(None, None, empty=True)
    found = _RANGE.match(text)
    if found is None:
        raise ValueError(f"not a range literal: {text!r}")
    left, low, high, right = found.groups()
    return Bounds(parse_value(low, kind, timezone), parse_value(high, kind, timezone), left, right)


def render_range(bounds: Bounds, kind: TypeKind) -> str:
    if bounds.empty:
        return "empty"
    left = "(" if bounds.lower is None else bounds.left
    right = ")" if bounds.upper is None else bounds.right
    return f"{left}{render_value(bounds.lower, kind)},{render_value(bounds.upper, kind)}{right}"


def driver_range(value: Any, kind: TypeKind) -> str:
    """A psycopg ``Range`` (or literal text) as literal text."""
    if isinstance(value, str):
        return value
    if getattr(value, "isempty", False):
        return "empty"
    bounds = getattr(value, "bounds", "[)") or "[)"
    return render_range(Bounds(value.lower, value.upper, bounds[0], bounds[1]), kind)


# -- widths: one unit per subtype (integers, days, microseconds, decimals) ---------------------------


def width_of(lower: Any, upper: Any, kind: TypeKind) -> Any:
    if kind is TypeKind.DATE:
        return (upper - lower).days
    if kind is TypeKind.TIMESTAMP:
        return pd.Timestamp(upper) - pd.Timestamp(lower)
    return upper - lower


def units(width: Any) -> float:
    """A width as a float (microseconds for an interval)."""
    if is_null(width):
        return 0.0
    if isinstance(width, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        return pd.Timedelta(width).value / 1000.0
    return float(width)


def shifted(start: Any, amount: float, kind: TypeKind, like: Any = None) -> Any:
    """``start`` plus ``amount`` units of its width (rounded to the subtype's grain)."""
    amount = max(amount, 0.0)
    if kind is TypeKind.INTEGER:
        return int(start) + int(round(amount))
    if kind is TypeKind.DATE:
        return start + dt.timedelta(days=int(round(amount)))
    if kind is TypeKind.TIMESTAMP:
        return pd.Timestamp(start) + pd.Timedelta(microseconds=int(round(amount)))
    start = decimal.Decimal(str(start))
    exponents = [start.as_tuple().exponent]
    if isinstance(like, decimal.Decimal):
        exponents.append(like.as_tuple().exponent)
    quantum = decimal.Decimal(1).scaleb(min(e for e in exponents if isinstance(e, int)))
    return start + decimal.Decimal(repr(amount)).quantize(quantum)


def _form(bounds: Bounds) -> str:
    if bounds.empty:
        return "empty"
    lower = "" if bounds.lower is None else "L"
    upper = "" if bounds.upper is None else "U"
    return f"{bounds.left}{lower},{upper}{bounds.right}"


def _form_flags(form: str) -> tuple[str, bool, bool, str]:
    inner = form[1:-1]
    return form[0], inner.startswith("L"), inner.endswith("U"), form[-1]


@dataclass(frozen=True)
class RangeFamily:
    name: str = "range"

    def matches(self, column_type: ColumnType) -> bool:
        return subtype(column_type, "range") is not None

    def parts(self, column_type: ColumnType) -> tuple[Part, ...]:
        kind, width, timezone = subtype(column_type, "range")
        return (
            Part("form", TypeKind.TEXT),
            Part("bound", kind, optional=True, timezone=timezone),
            Part("width", width, optional=True, low=0.0),
        )

    def literal(self, value: Any, column_type: ColumnType) -> str:
        return driver_range(value, subtype(column_type, "range")[0])

    def split(self, text: str, column_type: ColumnType) -> tuple[Any, ...]:
        kind, _, timezone = subtype(column_type, "range")
        bounds = parse_range(text, kind, timezone)
        bound = bounds.lower if bounds.lower is not None else bounds.upper
        width = None
        if bounds.lower is not None and bounds.upper is not None:
            width = width_of(bounds.lower, bounds.upper, kind)
        return _form(bounds), bound, width

    def join(self, parts: Sequence[Any], column_type: ColumnType, rng: np.random.Generator) -> str:
        kind, _, _ = subtype(column_type, "range")
        form, bound, width = parts
        if form == "empty" or not isinstance(form, str) or len(form) < 3:
            return "empty"
        left, has_lower, has_upper, right = _form_flags(form)
        bound = None if is_null(bound) else bound
        lower = bound if has_lower else None
        upper = shifted(bound, units(width), kind, width) if has_lower and has_upper and bound is not None else None
        if not has_lower and has_upper:
            upper = bound
        return render_range(Bounds(lower, upper, left, right), kind)


@dataclass(frozen=True)
class MultirangeFamily:
    name: str = "multirange"

    def matches(self, column_type: ColumnType) -> bool:
        return subtype(column_type, "multirange") is not None

    def parts(self, column_type: ColumnType) -> tuple[Part, ...]:
        kind, width, timezone = subtype(column_type, "multirange")
        return (
            Part("form", TypeKind.TEXT),
            Part("count", TypeKind.INTEGER, optional=True, low=1.0),
            Part("start", kind, optional=True, timezone=timezone),
            Part("span", width, optional=True, low=0.0),
            Part("cover", TypeKind.FLOAT, optional=True, low=0.0, high=1.0),
        )

    def literal(self, value: Any, column_type: ColumnType) -> str:
        if isinstance(value, str):
            return value
        kind = subtype(column_type, "multirange")[0]
        return "{" + ",".join(driver_range(r, kind) for r in value) + "}"

    def split(self, text: str, column_type: ColumnType) -> tuple[Any, ...]:
        kind, _, timezone = subtype(column_type, "multirange")
        ranges = [parse_range(r, kind, timezone) for r in ONE_RANGE.findall(text)]
        ranges = [r for r in ranges if not r.empty]
        if not ranges:
            return "empty", None, None, None, None
        first, last = ranges[0], ranges[-1]
        form = f"{first.left}{'' if first.lower is None else 'L'},{'' if last.upper is None else 'U'}{first.right}"
        points = [v for r in ranges for v in (r.lower, r.upper) if v is not None]
        if not points:
            return form, len(ranges), None, None, None
        span = width_of(points[0], points[-1], kind)
        covered = sum(units(width_of(r.lower, r.upper, kind)) for r in ranges if r.lower is not None and r.upper is not None)
        cover = covered / units(span) if units(span) > 0 else 1.0
        return form, len(ranges), points[0], span, min(max(cover, 0.0), 1.0)

    def join(self, parts: Sequence[Any], column_type: ColumnType, rng: np.random.Generator) -> str:
        kind, _, _ = subtype(column_type, "multirange")
        form, count, start, span, cover = parts
        if form == "empty" or not isinstance(form, str) or len(form) < 3:
            return "{}"
        left, has_lower, has_upper, right = _form_flags(form)
        count = 1 if is_null(count) else max(int(count), 1)
        n_points = 2 * count - (not has_lower) - (not has_upper)
        if n_points <= 0 or is_null(start):
            return "{(,)}"
        grain = 1.0 if kind in (TypeKind.INTEGER, TypeKind.DATE) else 0.0  # a discrete range of 0 steps is empty
        offsets = _offsets(n_points, units(span), 0.5 if is_null(cover) else float(cover), not has_lower, rng, grain)
        points = [shifted(start, off, kind, span) for off in offsets]
        points = ([None] if not has_lower else []) + points + ([None] if not has_upper else [])
        ranges = [Bounds(points[i], points[i + 1], left, right) for i in range(0, len(points), 2)]
        return "{" + ",".join(render_range(r, kind) for r in ranges) + "}"


def _offsets(
    n_points: int, span: float, cover: float, starts_in_gap: bool, rng: np.random.Generator, grain: float = 0.0
) -> list[float]:
    """Positions of ``n_points`` bounds in [0, span]: range segments share ``cover`` of the span,
    and each gets at least ``grain`` (whole steps for a discrete subtype) where the span allows."""
    segments = n_points - 1
    if segments <= 0:
        return [0.0]
    inside = np.array([(i + starts_in_gap) % 2 == 0 for i in range(segments)])
    floor = grain if grain * inside.sum() <= span else 0.0
    free = span - floor * inside.sum()
    weights = rng.gamma(2.0, 1.0, segments)
    lengths = np.zeros(segments)
    for mask, total in ((inside, cover * free), (~inside, (1.0 - cover) * free)):
        if mask.any():
            lengths[mask] = total * weights[mask] / weights[mask].sum()
    if lengths.sum() > 0:
        lengths *= free / lengths.sum()
    lengths[inside] += floor
    if grain:  # whole steps, the last bound exactly at the span
        ends = np.floor(np.cumsum(lengths) + 1e-9)
        ends[-1] = round(span)
        return [0.0, *np.maximum.accumulate(ends).tolist()]
    return [0.0, *np.cumsum(lengths).tolist()]


RANGES = (RangeFamily(), MultirangeFamily())
