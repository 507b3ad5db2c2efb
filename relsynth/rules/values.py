"""Column values as numbers and back, so rules compute on dates, decimals and integers alike.

Generated frames hold each kind as the encoders decode it (``relsynth.modeling.encoding``): DATE as
``datetime.date`` objects, TIMESTAMP as ``datetime64``, DECIMAL as ``Decimal``, INTEGER as ``Int64``.
A rule computes on a float view (DATE in days, TIMESTAMP in microseconds since the epoch) and
writes its result back in the column's own representation, rounded to its scale.
"""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd

from relsynth.modeling.encoding.base import per_distinct
from relsynth.modeling.encoding.quantities import decimals_as_floats
from relsynth.schema.elements import ColumnType, TypeKind

_EPOCH = dt.date(1970, 1, 1)
_TEMPORAL = (TypeKind.DATE, TypeKind.TIMESTAMP)
NUMERIC = (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL, *_TEMPORAL)


def kind_of(values: pd.Series, column_type: ColumnType | None) -> TypeKind:
    """The column's kind; for a value read from elsewhere (no type), the kind its values show."""
    if column_type is not None:
        return column_type.kind
    if pd.api.types.is_datetime64_any_dtype(values):
        return TypeKind.TIMESTAMP
    sample = values.dropna().head(1).tolist()
    if sample and isinstance(sample[0], dt.datetime):
        return TypeKind.TIMESTAMP
    if sample and isinstance(sample[0], dt.date):
        return TypeKind.DATE
    if sample and isinstance(sample[0], str):
        return TypeKind.TEXT
    return TypeKind.FLOAT


def as_numbers(values: pd.Series, kind: TypeKind) -> np.ndarray:
    """A float view of ``values`` (NaN for NULL): days for DATE, microseconds for TIMESTAMP."""
    if kind is TypeKind.DATE:
        return _days(values)
    if kind is TypeKind.TIMESTAMP:
        stamps = pd.to_datetime(values, errors="coerce", utc=_has_timezone(values))
        numbers = stamps.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT")).astype(np.int64).astype(float)
        numbers[pd.isna(stamps).to_numpy()] = np.nan
        return numbers
    fast = decimals_as_floats(values)  # Decimal columns: float() of each, as to_numeric reads them
    return fast if fast is not None else pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def from_numbers(numbers: np.ndarray, column_type: ColumnType | None, like: pd.Series) -> pd.Series:
    """``numbers`` written back as ``column_type`` (or like ``like``'s values), rounded to its scale."""
    kind = kind_of(like, column_type)
    missing = np.isnan(numbers)
    if kind is TypeKind.DATE:  # datetime64[D] covers years 1-9999, as datetime.date does
        dates = np.round(np.nan_to_num(numbers)).astype(np.int64).astype("datetime64[D]").astype(object)
        dates[missing] = None
        return pd.Series(dates, dtype=object)
    if kind is TypeKind.TIMESTAMP:
        stamps = pd.Series(np.round(np.nan_to_num(numbers)).astype(np.int64).astype("datetime64[us]"))
        stamps[missing] = pd.NaT
        if _has_timezone(like):
            stamps = stamps.dt.tz_localize("UTC")
        return stamps.astype(like.dtype) if pd.api.types.is_datetime64_any_dtype(like) else stamps
    if kind is TypeKind.INTEGER:
        return pd.Series(np.round(np.nan_to_num(numbers)).astype(np.int64), dtype="Int64").mask(missing)
    if kind is TypeKind.DECIMAL:
        scale = column_type.scale if column_type is not None else None
        texts = [None if m else f"{x:.{scale}f}" for x, m in zip(numbers.tolist(), missing.tolist(), strict=True)] if scale is not None else None
        if texts is not None:  # formatting rounds to the scale and keeps its trailing zeros (2.90)
            return pd.Series([None if t is None else decimal.Decimal(t) for t in texts], dtype=object)
        return pd.Series([None if m else _decimal(x, scale) for x, m in zip(numbers, missing, strict=True)], dtype=object)
    return pd.Series(np.where(missing, np.nan, numbers), dtype=float)


def step(kind: TypeKind, column_type: ColumnType | None) -> float:
    """The smallest difference the column can hold, in the float view (for a strict order)."""
    if kind is TypeKind.DATE or kind is TypeKind.INTEGER:
        return 1.0
    if kind is TypeKind.TIMESTAMP:
        return 1_000_000.0  # a second: generated timestamps hold whole seconds
    if kind is TypeKind.DECIMAL and column_type is not None and column_type.scale is not None:
        return 10.0 ** -column_type.scale
    return 1e-6


def key_text(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.Series:
    """One text per row for the key in ``columns`` (None where a part is NULL), so keys join
    whatever type the driver or generator used (7, 7.0 and Decimal('7') agree)."""
    parts = [_texts(frame[c]) for c in columns]
    joined = parts[0].copy()
    for part in parts[1:]:
        joined = joined.str.cat(part, sep="\x00")
    joined[pd.concat(parts, axis=1).isna().any(axis=1).to_numpy()] = None
    return joined.reset_index(drop=True)


def key_positions(parent: pd.DataFrame, parent_columns: tuple[str, ...] | list[str], rows: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> np.ndarray:
    """For each row of ``rows``, the position of the ``parent`` row whose key in ``parent_columns``
    equals its key in ``columns`` (-1: none, or a NULL part), matched as ``key_text`` matches them."""
    if len(columns) == 1 and len(parent_columns) == 1:
        theirs, mine = _integers(parent[parent_columns[0]]), _integers(rows[columns[0]])
        if theirs is not None and mine is not None and not theirs.isna().any():
            # integer keys (the common case) as integers: the same matches as their texts
            missing = mine.isna().to_numpy()
            at = pd.Index(theirs.to_numpy(dtype=np.int64)).get_indexer(mine.to_numpy(dtype=np.int64, na_value=0))
            at[missing] = -1
            return at
    index = pd.Index(key_text(parent, parent_columns))
    return index.get_indexer(key_text(rows, columns).fillna("\x01NULL"))


def _integers(values: pd.Series) -> pd.Series | None:
    """``values`` as Int64 where ``_texts`` reads them as integers, else None."""
    if pd.api.types.is_integer_dtype(values) or (values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "integer"):
        return values.astype("Int64")
    return None


def _texts(values: pd.Series) -> pd.Series:
    """Each value as its key text; integers (the common key) in one vectorised step."""
    inferred = "integer" if pd.api.types.is_integer_dtype(values) else pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "integer":
        integers = values.astype("Int64")
        return integers.astype(str).astype(object).mask(integers.isna().to_numpy(), None)
    if inferred == "string":  # text is its own key text (NULLs kept as they are, as map leaves them)
        return values.astype(object)
    return values.map(_text, na_action="ignore").astype(object)


def _text(value: object) -> str:
    if isinstance(value, (float, decimal.Decimal)) and value == int(value):
        return str(int(value))
    return str(value)


def _decimal(value: float, scale: int | None) -> decimal.Decimal:
    if scale is None:
        return decimal.Decimal(repr(round(float(value), 12)))
    return decimal.Decimal(repr(round(float(value), scale))).quantize(decimal.Decimal(1).scaleb(-scale))


def _days(values: pd.Series) -> np.ndarray:
    """DATE values (date or datetime objects, ISO text) as days since the epoch; NaN for NULL."""
    epoch = _EPOCH.toordinal()
    items = values.to_numpy(dtype=object)
    # each distinct date once (a generated column repeats a few thousand days)
    numbers = per_distinct(values, lambda v: v.toordinal() - epoch if type(v) is dt.date else np.nan).astype(float)
    for index in np.flatnonzero(np.isnan(numbers)):  # datetimes, timestamps, text: one by one
        if not _missing(items[index]):
            numbers[index] = float(_as_date(items[index]).toordinal() - epoch)
    return numbers


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _has_timezone(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return True
    sample = values.dropna().head(1).tolist()
    return bool(sample) and getattr(sample[0], "tzinfo", None) is not None
