"""k: values and value combinations seen fewer than k times in the source are never emitted.

A value seen once or twice points at its row (a salary, a birth date, a one-off category). Such
values are remembered only as short hashes, so a saved run keeps none of them; generated numbers
and dates that land on one are moved off it by a few steps of the column's own granularity,
or of its type's finest unit where every nearby step is rare too, never out of the type's range.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal

import numpy as np
import pandas as pd

from relsynth.modeling.encoding import to_numbers
from relsynth.modeling.encoding.base import per_distinct
from relsynth.modeling.encoding.quantities import decimals_as_floats
from relsynth.schema.elements import ColumnType, TypeKind

__all__ = ["calendar_day", "canonical", "fingerprint", "move_off_rare", "move_rows_off_rare", "rare_values", "row_fingerprints", "type_limits",
           "type_unit"]

_MOVES = (1, -1, 2, -2, 3, -3, 5, -5, 8, -8, 13, -13)  # steps tried, nearest first
_INTEGER_BITS = (("tinyint", 8), ("smallint", 16), ("int2", 16), ("mediumint", 24), ("bigint", 64), ("int8", 64))


def fingerprint(value: object) -> str:
    """A short hash of a real value, so a run can refuse to emit it without storing it."""
    return hashlib.sha256(str(value).casefold().encode("utf-8")).hexdigest()[:16]


def calendar_day(value: object) -> str:
    """A date or timestamp as its calendar day, whatever type the driver or model used."""
    return str(pd.Timestamp(value).date())


def canonical(value: object) -> str:
    """One text form per value, whether it came from the driver or from the model."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return "\x00"
    if isinstance(value, (bool, np.bool_)):
        return "t" if value else "f"
    if isinstance(value, (int, float, Decimal, np.number)):
        return format(float(value), ".12g")
    if isinstance(value, (datetime.date, datetime.datetime, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp).isoformat()
    if isinstance(value, (datetime.timedelta, pd.Timedelta)):
        return pd.Timedelta(value).isoformat()
    return str(value)


def row_fingerprints(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """A short hash of each row's values in ``columns``: ``fingerprint`` of their ``canonical``
    texts joined by \\x1f."""
    # casefold and UTF-8 go a character at a time (casefold has no context rule), so each
    # distinct value of a column is folded and encoded once and the rows join the bytes
    rows = zip(*(_folded_column(frame[c]) for c in columns), strict=True)
    sha256 = hashlib.sha256
    return [sha256(row).hexdigest()[:16] for row in map(b"\x1f".join, rows)]


def _folded_column(values: pd.Series) -> list[bytes]:
    """``canonical(v).casefold().encode()`` of each value, made once per distinct value."""
    numbers = _as_floats(values)
    if numbers is not None:  # each distinct number once, told apart by its bits (-0.0 is not 0.0 here)
        codes, distinct = pd.factorize(numbers.view(np.int64))
        texts = ["\x00" if v != v else format(v, ".12g") for v in distinct.view(np.float64).tolist()]
    else:
        codes, found = pd.factorize(np.asarray(_canonical_column(values), dtype=object))
        texts = found.tolist()
    folded = np.array([text.casefold().encode("utf-8") for text in texts], dtype=object)
    return folded[codes].tolist()


def _as_floats(values: pd.Series) -> np.ndarray | None:
    """The column as float64 where ``canonical`` writes each value as ``format(float(v), ".12g")``
    and each NULL as \\x00: NumPy and nullable numbers, and Decimals (with floats and None); else None."""
    if values.dtype.kind in "iuf":  # NumPy's, and pandas' nullable Int64, Float64, ...
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = decimals_as_floats(values)
    if numbers is not None and np.isnan(numbers).any():  # a Decimal NaN reads "nan", not NULL
        items = values.to_numpy(dtype=object)[np.isnan(numbers)]
        if not all(v is None or type(v) is float for v in items.tolist()):
            return None
    return numbers


def _canonical_column(values: pd.Series) -> list[str]:
    """``canonical`` of each value, a column at a time: NumPy booleans without a type test per
    value, plain strings as they are (what ``canonical`` returns for them)."""
    if values.dtype.kind == "b" and isinstance(values.dtype, np.dtype):
        return ["t" if v else "f" for v in values.tolist()]
    if values.dtype.kind == "M":
        stamps = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz is not None else values
        if ((stamps.dt.microsecond == 0) & (stamps.dt.nanosecond == 0) | stamps.isna()).all():
            # whole seconds: isoformat() is exactly this format
            return [t if type(t) is str else "\x00" for t in stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()]
    if values.dtype == object and set(map(type, values.tolist())) <= _PLAIN_TYPES:
        # each distinct value once: equal values of these types have one text form, but zero's
        # sign ("-0" and "0" are equal numbers)
        return per_distinct(values, _canonical_fast, alike=_not_zero).tolist()
    return [_canonical_fast(v) for v in values.tolist()]


_PLAIN_TYPES = frozenset({str, float, int, Decimal, datetime.date, type(None)})


def _not_zero(value: object) -> bool:
    return isinstance(value, (str, datetime.date)) or value != 0


def _canonical_fast(value: object) -> str:
    """``canonical``, with the commonest exact types first (one type lookup, no isinstance chain)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is float:
        return "\x00" if value != value else format(value, ".12g")
    if kind is int or kind is Decimal:
        return format(float(value), ".12g")  # type: ignore[arg-type]
    if kind is datetime.date:
        return value.isoformat() + "T00:00:00"  # type: ignore[union-attr]  # as pd.Timestamp(date).isoformat()
    return canonical(value)


def _number_prints(numbers: np.ndarray) -> list[str]:
    """``fingerprint(repr(float(v)))`` of each number, at once (a float's repr has nothing to casefold)."""
    sha256 = hashlib.sha256
    return [sha256(text.encode("utf-8")).hexdigest()[:16] for text in map(repr, numbers.astype(np.float64).tolist())]


def rare_values(values: pd.Series, kind: TypeKind, min_count: int) -> list[str]:
    """Fingerprints of the numbers or dates seen fewer than ``min_count`` times, read as the
    model reads them (days, microseconds), so that a driver's text, date or Timestamp agree."""
    numbers = to_numbers(values, kind)
    numbers = numbers[~np.isnan(numbers)]
    if numbers.size == 0 or min_count <= 1:
        return []
    distinct, counts = np.unique(numbers, return_counts=True)
    return sorted(_number_prints(distinct[counts < min_count]))


def _hits(values: pd.Series, kind: TypeKind, prints: set[str]) -> np.ndarray:
    """Rows whose value's fingerprint is in ``prints`` (each distinct value hashed once)."""
    numbers = to_numbers(values, kind)
    distinct = np.unique(numbers[~np.isnan(numbers)])
    bad = [v for v, mark in zip(distinct.tolist(), _number_prints(distinct), strict=True) if mark in prints]
    return np.isin(numbers, bad) if bad else np.zeros(len(values), dtype=bool)


def type_limits(column_type: ColumnType | None) -> tuple[float | None, float | None]:
    """The least and greatest value the column's type holds (integers by their width and
    UNSIGNED, DECIMAL(p, s) by its digits), None where unknown or beyond reach of a move."""
    if column_type is None:
        return None, None
    sql = column_type.sql.lower()
    unsigned = "unsigned" in sql
    if column_type.kind is TypeKind.INTEGER:
        bits = next((b for name, b in _INTEGER_BITS if re.search(rf"\b{name}\b", sql)), 32 if re.search(r"\bint", sql) else 64)
        if unsigned:
            return 0.0, float(2**bits - 1)
        return float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    if column_type.kind is TypeKind.DECIMAL and column_type.precision and column_type.scale is not None:
        top = 10.0 ** (column_type.precision - column_type.scale) - 10.0 ** -column_type.scale
        return (0.0 if unsigned else -top), top
    return (0.0 if unsigned else None), None


def type_unit(column_type: ColumnType | None) -> float | None:
    """The finest step the type stores (1 for integers and dates, 10^-scale for DECIMAL, a whole
    second for times and timestamps of unknown precision); None for floats and the unknown."""
    if column_type is None:
        return None
    kind = column_type.kind
    if kind in (TypeKind.INTEGER, TypeKind.DATE):
        return 1.0
    if kind is TypeKind.DECIMAL:
        return None if column_type.scale is None else 10.0 ** -column_type.scale
    if kind in (TypeKind.TIMESTAMP, TypeKind.TIME, TypeKind.INTERVAL):
        digits = column_type.precision if column_type.precision is not None else 0
        return 10.0 ** (6 - min(max(digits, 0), 6))  # microseconds
    return None


def _offsets(encoder, column_type: ColumnType | None) -> list[tuple[int, float | None]]:
    """(steps, step) to try, nearest first: the column's own step either way, then, where the
    type stores finer values, its finest unit (a grid full of rare values: every value unique,
    a multiple of 1000), then farther steps of the column's own."""
    unit = type_unit(column_type)
    own = [(move, None) for move in _MOVES]
    if unit is None or encoder.step is None or unit >= encoder.step:
        return own
    return own[:2] + [(move, unit) for move in _MOVES] + own[2:]


def _limits(encoder, column_type: ColumnType | None) -> tuple[float, float]:
    """The type's range, widened to the values the source holds (SQLite's INTEGER is 64 bits)."""
    low, high = type_limits(column_type)
    learned = np.concatenate([encoder.values, encoder.edges])
    if learned.size:
        low = None if low is None else min(low, float(learned.min()))
        high = None if high is None else max(high, float(learned.max()))
    return (-np.inf if low is None else low), (np.inf if high is None else high)


def move_off_rare(values: pd.Series, prints: set[str], encoder, column_type: ColumnType | None = None) -> tuple[pd.Series, int]:
    """``values`` with each one seen fewer than k times in the source moved by the nearest whole
    number of the column's steps that lands on a value that is not (within CHECK bounds and the
    range of ``column_type``, whose finest unit is tried when the nearest steps are rare too).

    ``encoder`` is the column's ``NumericEncoder`` (its kind, step and bounds). Returns the values
    and how many were moved; a value with no free neighbour within 13 steps becomes NULL when the
    column allows it, else stays (and is counted).
    """
    kind = encoder.spec.kind
    hits = _hits(values, kind, prints)
    if not hits.any():
        return values, 0
    low, high = _limits(encoder, column_type)
    values = values.copy()
    todo = np.flatnonzero(hits)
    original = values.iloc[todo].reset_index(drop=True)
    for move, step in _offsets(encoder, column_type):
        if todo.size == 0:
            break
        candidates = encoder.moved(original, move, step)
        numbers = to_numbers(candidates, kind)
        ok = ~_hits(candidates, kind, prints) & (numbers >= low) & (numbers <= high)  # NaN: never ok
        if ok.any():
            values.iloc[todo[ok]] = candidates[ok].to_numpy()
            todo, original = todo[~ok], original[~ok].reset_index(drop=True)
    if todo.size and encoder.spec.nullable:
        values.iloc[todo] = None
    return values, int(hits.sum())


def move_rows_off_rare(
    frame: pd.DataFrame, rows: np.ndarray, columns: list[str], prints: set[str], encoders: dict, value_prints: dict
) -> np.ndarray:
    """Move the ``rows`` of ``frame`` (a mask) that still repeat a rare source combination of
    ``columns`` off it, in place: one number or date column at a time, by the nearest of its steps
    that gives a combination not in ``prints`` and a value not in the column's ``value_prints``.

    Redraws cannot help when every combination of a table's common values is itself seen once (a
    grid of bookings: each (guests, start, length) exactly once); a small move keeps the row.
    ``encoders`` maps model columns to encoders (only those with ``moved`` are tried). Returns
    the mask of rows still rare.
    """
    todo = np.flatnonzero(rows)
    for column in [c for c in columns if not c.startswith("__") and hasattr(encoders.get(c), "moved")]:
        encoder = encoders[column]
        for move in _MOVES:
            if todo.size == 0:
                break
            trial = frame.iloc[todo][columns].reset_index(drop=True)
            trial[column] = encoder.moved(trial[column], move).to_numpy()
            ok = trial[column].notna().to_numpy() & ~np.isin(row_fingerprints(trial, columns), list(prints))
            if column in value_prints:
                ok &= ~_hits(trial[column], encoder.spec.kind, set(value_prints[column]))
            if ok.any():
                target = np.zeros(len(frame), dtype=bool)
                target[todo[ok]] = True
                frame.loc[target, column] = trial[column][ok].to_numpy()
                todo = todo[~ok]
    still = np.zeros(len(frame), dtype=bool)
    still[todo] = True
    return still
