"""INTEGER, FLOAT and DECIMAL as float64 numbers, and back to their decoded dtypes.

INTEGER decodes to pandas ``Int64`` (``UInt64`` for MySQL's BIGINT UNSIGNED above 2^63 - 1),
FLOAT to ``float64``, DECIMAL to ``decimal.Decimal`` objects quantized to the column's scale.
"""

from __future__ import annotations

import decimal
import math
from typing import Any

import numpy as np
import pandas as pd

from relsynth.modeling.encoding.base import ColumnSpec
from relsynth.schema.elements import TypeKind

QUANTITY_KINDS = frozenset({TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL})

# Candidate steps (see ``numeric._infer_step``), coarsest first. DECIMAL's depend on its scale.
INTEGER_STEPS: tuple[float, ...] = (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1)
_MAX_DECIMAL_PLACES = 12


def decimal_steps(scale: int | None) -> tuple[float, ...]:
    finest = scale if scale is not None else _MAX_DECIMAL_PLACES
    return tuple(10.0**k for k in range(6, -finest - 1, -1))


def quantity_to_numbers(series: pd.Series) -> np.ndarray:
    """An INTEGER, FLOAT or DECIMAL column as float64 (booleans as 0/1); NaN is NULL."""
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype("float64")
    fast = decimals_as_floats(series)
    if fast is not None:
        return fast
    return pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


_DECIMAL_TYPES = frozenset({decimal.Decimal, float, type(None)})


def decimals_as_floats(series: pd.Series) -> np.ndarray | None:
    """An object column of only Decimals, floats and None as float64 (None as NaN), as
    ``pd.to_numeric`` reads it (``float(value)``) at a fraction of its cost; None for any
    other column."""
    if series.dtype != object:
        return None
    items = series.tolist()
    if not set(map(type, items)) <= _DECIMAL_TYPES:
        return None
    # each object once: a decoded column shares one Decimal per distinct value (``_decimals``),
    # and float() of a Decimal goes through its text
    codes, objects = pd.factorize(np.fromiter(map(id, items), dtype=np.uint64, count=len(items)))
    first = np.empty(len(objects), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(items) - 1, -1, -1)
    numbers = np.array([math.nan if v is None else float(v) for v in map(items.__getitem__, first.tolist())], dtype=np.float64)
    return numbers[codes]


def quantity_from_numbers(values: np.ndarray, spec: ColumnSpec, step: float | None) -> pd.Series:
    """Numbers (already rounded to the step, NaN = NULL) as the kind's decoded dtype."""
    null = np.isnan(values)
    if spec.kind is TypeKind.INTEGER:
        return _integers(values, null, spec.name)
    if spec.kind is TypeKind.FLOAT:
        return pd.Series(values.astype(np.float64), name=spec.name)
    return _decimals(values, null, spec, step)


def _integers(values: np.ndarray, null: np.ndarray, name: str) -> pd.Series:
    if np.nanmax(values, initial=0) >= 2.0**63:  # MySQL's BIGINT UNSIGNED
        unsigned = np.minimum(np.where(null, 0, values), np.nextafter(2.0**64, 0))
        out = pd.array(unsigned.astype(np.uint64), dtype="UInt64")
        out[null] = pd.NA
        return pd.Series(out, name=name)
    out = pd.array(np.where(null, 0, values).astype(np.int64), dtype="Int64")
    out[null] = pd.NA
    return pd.Series(out, name=name)


def _decimals(values: np.ndarray, null: np.ndarray, spec: ColumnSpec, step: float | None) -> pd.Series:
    places = spec.scale if spec.scale is not None else _places(step)
    quantum = decimal.Decimal(1).scaleb(-places) if places is not None else None
    # each distinct number made once, told apart by its bits (-0.0 writes "-0.00")
    codes, distinct = pd.factorize(np.ascontiguousarray(values, dtype=np.float64).view(np.int64))
    items: list[Any] = [None]  # code -1 never occurs: NaN bits are values here, NULL below
    for value in distinct.view(np.float64).tolist():
        if value != value:
            items.append(None)
        elif quantum is None:
            items.append(decimal.Decimal(repr(value)))
        else:
            items.append(decimal.Decimal(f"{value:.{places}f}").quantize(quantum))
    out = np.array(items, dtype=object)[codes + 1]
    out[null] = None
    return pd.Series(out, dtype=object, name=spec.name)


def _places(step: float | None) -> int | None:
    if step is None:
        return None
    return max(0, -math.floor(math.log10(step) + 1e-9))
