"""DATE, TIMESTAMP, TIME and INTERVAL as numbers, and back.

DATE is days since 1970-01-01, TIMESTAMP microseconds since the epoch (UTC), TIME microseconds
since midnight, INTERVAL microseconds. ``NumericEncoder`` bins these numbers like any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from relsynth.modeling.encoding.base import ColumnSpec, _is_null, per_distinct
from relsynth.schema.elements import TypeKind

TEMPORAL_KINDS = frozenset({TypeKind.DATE, TypeKind.TIME, TypeKind.TIMESTAMP, TypeKind.INTERVAL})

_US_PER_DAY = 86_400_000_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

# Candidate steps (see ``numeric._infer_step``), coarsest first: whole-second timestamps decode
# to whole seconds.
_TIME_STEPS = (3_600_000_000, 60_000_000, 1_000_000, 1_000, 1)
TEMPORAL_STEPS: dict[TypeKind, tuple[float, ...]] = {
    TypeKind.DATE: (1,),
    TypeKind.TIMESTAMP: (_US_PER_DAY, *_TIME_STEPS),
    TypeKind.INTERVAL: (_US_PER_DAY, *_TIME_STEPS),
    TypeKind.TIME: _TIME_STEPS,
}


def _timestamp_us(value: Any) -> float:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return float(value.to_datetime64().astype("datetime64[us]").astype(np.int64))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return float(np.datetime64(value, "us").astype(np.int64))
    if isinstance(value, dt.date):
        return float((value.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY)
    return float(np.datetime64(value, "us").astype(np.int64))


def _date_days(value: Any) -> float:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(value.toordinal() - _EPOCH_ORDINAL)
    return float(np.datetime64(value, "D").astype(np.int64))


def _time_us(value: Any) -> float:
    if isinstance(value, str):
        value = dt.time.fromisoformat(value)
    if isinstance(value, dt.time):
        return float(
            ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        )
    # MySQL drivers return TIME as a timedelta
    return _interval_us(value)


def _interval_us(value: Any) -> float:
    if isinstance(value, pd.Timedelta):
        return float(value.to_timedelta64().astype("timedelta64[us]").astype(np.int64))
    if isinstance(value, dt.timedelta):
        return float((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds)
    if isinstance(value, np.timedelta64):
        return float(value.astype("timedelta64[us]").astype(np.int64))
    return _interval_us(pd.Timedelta(value))


def _elementwise(series: pd.Series, convert: Any) -> np.ndarray:
    # Each distinct date or time converted once; an aware one row by row (equal instants in
    # two zones fall on different calendar days).
    converted = per_distinct(series, lambda v: np.nan if _is_null(v) else convert(v), alike=_naive)
    return converted.astype(np.float64)


def _naive(value: Any) -> bool:
    return getattr(value, "tzinfo", None) is None


def _native_numbers(series: pd.Series, unit: str) -> np.ndarray:
    """A datetime64/timedelta64 column in ``unit`` as float64, NaT as NaN."""
    values = series.to_numpy().astype(unit)
    out = values.astype(np.int64).astype(np.float64)
    out[np.isnat(values)] = np.nan
    return out


def temporal_to_numbers(series: pd.Series, kind: TypeKind) -> np.ndarray:
    """A temporal column as float64 numbers in its unit (module docstring); NaN is NULL."""
    dtype = series.dtype
    if kind is TypeKind.TIMESTAMP:
        if isinstance(dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            dtype = series.dtype
        if pd.api.types.is_datetime64_dtype(dtype):
            return _native_numbers(series, "datetime64[us]")
        return _elementwise(series, _timestamp_us)
    if kind is TypeKind.DATE:
        if pd.api.types.is_datetime64_any_dtype(dtype):
            if isinstance(dtype, pd.DatetimeTZDtype):
                series = series.dt.tz_localize(None)
            return _native_numbers(series, "datetime64[D]")
        return _elementwise(series, _date_days)
    if kind is TypeKind.INTERVAL:
        if pd.api.types.is_timedelta64_dtype(dtype):
            return _native_numbers(series, "timedelta64[us]")
        return _elementwise(series, _interval_us)
    return _elementwise(series, _time_us)  # TIME


def temporal_from_numbers(values: np.ndarray, spec: ColumnSpec) -> pd.Series:
    """Numbers (NaN = NULL) as the kind's decoded dtype: TIMESTAMP ``datetime64[us]`` (tz-aware
    in UTC with ``timezone``), INTERVAL ``timedelta64[ns]``, DATE and TIME objects."""
    null = np.isnan(values)
    ints = np.where(null, 0, np.round(values)).astype(np.int64)
    if spec.kind is TypeKind.TIMESTAMP:
        stamps = ints.astype("datetime64[us]")
        stamps[null] = np.datetime64("NaT")
        series = pd.Series(stamps, name=spec.name)
        return series.dt.tz_localize("UTC") if spec.timezone else series
    if spec.kind is TypeKind.INTERVAL:
        deltas = ints.astype("timedelta64[us]").astype("timedelta64[ns]")
        deltas[null] = np.timedelta64("NaT")
        return pd.Series(deltas, name=spec.name)
    if spec.kind is TypeKind.DATE:  # each distinct day made once
        codes, days = pd.factorize(ints)
        dates = np.array([dt.date.fromordinal(int(d) + _EPOCH_ORDINAL) for d in days.tolist()] + [None], dtype=object)
        out = dates[codes]
        out[null] = None
        return pd.Series(out, dtype=object, name=spec.name)
    return pd.Series(_times(ints, null), dtype=object, name=spec.name)


def _times(micros_since_midnight: np.ndarray, null: np.ndarray) -> list[dt.time | None]:
    # wrapped into one day so rounding never yields 24:00
    items: list[dt.time | None] = []
    for micros, is_null in zip(micros_since_midnight.tolist(), null.tolist(), strict=True):
        if is_null:
            items.append(None)
            continue
        micros %= _US_PER_DAY
        seconds, micro = divmod(micros, 1_000_000)
        items.append(dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro))
    return items
