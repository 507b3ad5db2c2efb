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

__all__ = ["fingerprint", "move_off_rare", "rare_values", "row_fingerprints", "value_fingerprint"]

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


def value_fingerprint(value: object) -> str:
    return fingerprint(canonical(value))


def row_fingerprints(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """A short hash of each row's values in ``columns``."""
    rows = zip(*(frame[c].tolist() for c in columns), strict=True)
    return [fingerprint("\x1f".join(canonical(v) for v in row)) for row in rows]


def rare_values(values: pd.Series, min_count: int) -> list[str]:
    """Fingerprints of the single values seen fewer than ``min_count`` times (a number, a date)."""
    present = values.dropna()
    if present.empty or min_count <= 1:
        return []
    counts = pd.Series([canonical(v) for v in present]).value_counts()
    return sorted(fingerprint(v) for v in counts.index[counts < min_count])


def _hits(values: pd.Series, prints: set[str]) -> np.ndarray:
    """Rows whose value's fingerprint is in ``prints`` (each distinct value hashed once)."""
    present = values.notna().to_numpy()
    bad: set = set()
    for value in pd.unique(values[present]):
        if value_fingerprint(value) in prints:
            bad.add(value)
    if not bad:
        return np.zeros(len(values), dtype=bool)
    return (values.isin(list(bad)) & values.notna()).to_numpy()


def move_off_rare(values: pd.Series, prints: set[str], encoder) -> tuple[pd.Series, int]:
    """``values`` with each one seen fewer than k times in the source moved by the nearest whole
    number of the column's steps that lands on a value that is not (within CHECK bounds).

    ``encoder`` is the column's ``NumericEncoder`` (its kind, step and bounds). Returns the values
    and how many were moved; a value with no free neighbour within 13 steps becomes NULL when the
    column allows it, else stays (and is counted).
    """
    hits = _hits(values, prints)
    if not hits.any():
        return values, 0
    values = values.copy()
    todo = np.flatnonzero(hits)
    original = values.iloc[todo].reset_index(drop=True)
    for move in _MOVES:
        if todo.size == 0:
            break
        candidates = encoder.moved(original, move)
        ok = ~_hits(candidates, prints) & candidates.notna().to_numpy()
        if ok.any():
            values.iloc[todo[ok]] = candidates[ok].to_numpy()
            todo, original = todo[~ok], original[~ok].reset_index(drop=True)
    if todo.size and encoder.spec.nullable:
        values.iloc[todo] = None
    return values, int(hits.sum())
