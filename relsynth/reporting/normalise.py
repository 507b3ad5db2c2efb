"""One representation per logical type, whichever engine the rows came from.

Drivers hand back the same value differently: a boolean is ``True`` from PostgreSQL and ``1``
from SQLite or MariaDB, a NUMERIC is a ``Decimal`` or a float, a date is a ``date`` or the string
``'2021-03-04'`` in SQLite, JSON a dict or its text. The report compares a source on one engine
with a clone on another, so every frame is brought to one form per ``TypeKind`` before any metric
sees it: booleans as ``True``/``False``, numbers as floats, dates and timestamps as UTC
``datetime64[ns]``, JSON as sorted compact text, UUIDs and other values as text.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.schema.elements import TypeKind

_TRUE = {"1", "t", "true", "y", "yes", "on"}
_FALSE = {"0", "f", "false", "n", "no", "off"}
_NUMERIC = {TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL}
_TEMPORAL = {TypeKind.DATE, TypeKind.TIMESTAMP}
_TEXT_LIKE = {TypeKind.UUID, TypeKind.TIME, TypeKind.INTERVAL}


def _boolean(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value  # not a boolean after all: leave it for the metrics to see as it is


def _json_text(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, (bytes, str)):
        try:
            value = json.loads(value)
        except ValueError:
            return value if isinstance(value, str) else value.decode(errors="replace")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _temporal(values: pd.Series) -> pd.Series:
    with warnings.catch_warnings():
        # Why: mixed naive/aware values and dates outside the nanosecond range are expected here;
        # they are coerced (aware to UTC, out of range to NaT) and pandas' notices add nothing.
        warnings.simplefilter("ignore")
        converted = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        if converted.isna().sum() > values.isna().sum():  # not ISO text: let pandas infer per value
            converted = pd.to_datetime(values.map(lambda v: v if v is None else str(v)), errors="coerce", utc=True, format="mixed")
    return converted.dt.as_unit("ns")


def normalise_column(values: pd.Series, kind: TypeKind) -> pd.Series:
    """``values`` in the report's one form for ``kind`` (see the module docstring)."""
    if kind is TypeKind.BOOLEAN:
        return values.astype(object).map(_boolean)
    if kind in _NUMERIC:
        numbers = pd.to_numeric(values.map(lambda v: float(v) if hasattr(v, "is_nan") else v), errors="coerce")
        return numbers.astype(float)
    if kind in _TEMPORAL:
        return _temporal(values)
    if kind is TypeKind.JSON:
        return values.astype(object).map(_json_text)
    if kind in _TEXT_LIKE:
        return values.astype(object).map(lambda v: None if v is None else str(v))
    return values


def normalise_frame(frame: pd.DataFrame, kinds: Mapping[str, TypeKind]) -> pd.DataFrame:
    """``frame`` with every column named in ``kinds`` normalised; other columns as they were."""
    out = frame.copy()
    for column, kind in kinds.items():
        if column in out.columns:
            out[column] = normalise_column(out[column], kind)
    return out
