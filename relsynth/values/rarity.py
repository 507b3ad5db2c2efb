"""k: values and value combinations seen fewer than k times in the source are never emitted.

A value seen once or twice points at its row (a salary, a birth date, a one-off category). Such
values are remembered only as short hashes, so a saved run keeps none of them; generated numbers
and dates that land on one are moved off it by a few steps of the column's own granularity.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import numpy as np
import pandas as pd

from relsynth.modeling.encoding import to_numbers
from relsynth.schema.elements import TypeKind

__all__ = ["canonical", "fingerprint", "move_off_rare", "move_rows_off_rare", "rare_values", "row_fingerprints"]

_MOVES = (1, -1, 2, -2, 3, -3, 5, -5, 8, -8, 13, -13)  # steps tried, nearest first


def fingerprint(value: object) -> str:
    """A short hash of a real value, so a run can refuse to emit it without storing it."""
    return hashlib.sha256(str(value).casefold().encode("utf-8")).hexdigest()[:16]


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
    """A short hash of each row's values in ``columns``."""
    rows = zip(*(frame[c].tolist() for c in columns), strict=True)
    return [fingerprint("\x1f".join(canonical(v) for v in row)) for row in rows]


def _number_print(number: float) -> str:
    return fingerprint(repr(float(number)))


def rare_values(values: pd.Series, kind: TypeKind, min_count: int) -> list[str]:
    """Fingerprints of the numbers or dates seen fewer than ``min_count`` times, read as the
    model reads them (days, microseconds), so that a driver's text, date or Timestamp agree."""
    numbers = to_numbers(values, kind)
    numbers = numbers[~np.isnan(numbers)]
    if numbers.size == 0 or min_count <= 1:
        return []
    distinct, counts = np.unique(numbers, return_counts=True)
    return sorted(_number_print(v) for v in distinct[counts < min_count])


def _hits(values: pd.Series, kind: TypeKind, prints: set[str]) -> np.ndarray:
    """Rows whose value's fingerprint is in ``prints`` (each distinct value hashed once)."""
    numbers = to_numbers(values, kind)
    distinct = np.unique(numbers[~np.isnan(numbers)])
    bad = [v for v in distinct if _number_print(v) in prints]
    return np.isin(numbers, bad) if bad else np.zeros(len(values), dtype=bool)


def move_off_rare(values: pd.Series, prints: set[str], encoder) -> tuple[pd.Series, int]:
    """``values`` with each one seen fewer than k times in the source moved by the nearest whole
    number of the column's steps that lands on a value that is not (within CHECK bounds).

    ``encoder`` is the column's ``NumericEncoder`` (its kind, step and bounds). Returns the values
    and how many were moved; a value with no free neighbour within 13 steps becomes NULL when the
    column allows it, else stays (and is counted).
    """
    kind = encoder.spec.kind
    hits = _hits(values, kind, prints)
    if not hits.any():
        return values, 0
    values = values.copy()
    todo = np.flatnonzero(hits)
    original = values.iloc[todo].reset_index(drop=True)
    for move in _MOVES:
        if todo.size == 0:
            break
        candidates = encoder.moved(original, move)
        ok = ~_hits(candidates, kind, prints) & candidates.notna().to_numpy()
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
