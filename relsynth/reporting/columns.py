"""Which columns a metric looks at, and as what: numerical, datetime or categorical.

Keys (primary, foreign, referred, identity/serial) are owned by the generator and carry no
distribution worth comparing, so they are left out, as SDMetrics leaves out ``id`` columns.
Identifying columns (names, addresses, phones, ...) are replaced by fake values on purpose, so
they are left out too, as SDMetrics leaves out ``pii`` columns; the privacy section checks them.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

from relsynth.schema.elements import Schema, Table, TypeKind
from relsynth.values.detection import is_free_text
from relsynth.values.identifying import detect


class Shape(str, Enum):
    NUMERICAL = "numerical"
    DATETIME = "datetime"
    CATEGORICAL = "categorical"

    @property
    def continuous(self) -> bool:
        return self is not Shape.CATEGORICAL


_KIND_SHAPE = {
    TypeKind.INTEGER: Shape.NUMERICAL,
    TypeKind.FLOAT: Shape.NUMERICAL,
    TypeKind.DECIMAL: Shape.NUMERICAL,
    TypeKind.DATE: Shape.DATETIME,
    TypeKind.TIMESTAMP: Shape.DATETIME,
    TypeKind.BOOLEAN: Shape.CATEGORICAL,
    TypeKind.ENUM: Shape.CATEGORICAL,
    TypeKind.TEXT: Shape.CATEGORICAL,
}


def key_columns(schema: Schema, table: Table) -> frozenset[str]:
    """Columns whose values are keys: PK, FK, referred by an FK, identity or serial."""
    keys: set[str] = set()
    if table.primary_key is not None:
        keys.update(table.primary_key.constrained_columns)
    for fk in table.foreign_keys:
        keys.update(fk.constrained_columns)
    for fk in schema.foreign_keys:
        if fk.referred_table == table.name:
            keys.update(fk.referred_columns)
    keys.update(c.name for c in table.columns if c.identity is not None or c.sequence is not None)
    return frozenset(keys)


def modeled_columns(schema: Schema, table: Table, real: pd.DataFrame) -> dict[str, Shape]:
    """The non-key columns that fidelity compares, with their shape (decided on the real data)."""
    keys = key_columns(schema, table)
    shapes: dict[str, Shape] = {}
    for column in table.columns:
        if column.name in keys or column.name not in real.columns:
            continue
        shape = _KIND_SHAPE.get(column.type.kind)
        if shape is None:
            continue
        if column.type.kind is TypeKind.TEXT:
            if detect(column.name, real[column.name], table_name=table.name.name) is not None:
                continue
            if table.is_unique((column.name,)):
                continue
            # Free text is no category (its total-variation score says nothing but "different
            # strings"), by the rule the generator learns it by.
            if is_free_text(real[column.name]):
                continue
        shapes[column.name] = shape
    return shapes


def as_numeric(values: pd.Series, shape: Shape) -> pd.Series:
    """Numbers for a continuous column: datetimes as nanoseconds (UTC), decimals as floats."""
    if shape is Shape.DATETIME:
        converted = pd.to_datetime(values, errors="coerce", utc=True)
        out = pd.Series(np.nan, index=values.index, dtype=float)
        mask = converted.notna()
        out[mask] = converted[mask].astype("int64").astype(float)
        return out
    if values.dtype == bool:
        return values.astype(float)
    return pd.to_numeric(values, errors="coerce").astype(float)


def as_category(values: pd.Series) -> pd.Series:
    """Hashable, comparable labels: NULL is its own category, as in SDMetrics."""
    # built as an object array: pandas 3 would store the labels as strings and turn None into NaN
    labels = np.array(values.astype(object).map(str), dtype=object)
    labels[values.isna().to_numpy()] = None
    return pd.Series(labels, index=values.index, dtype=object)
