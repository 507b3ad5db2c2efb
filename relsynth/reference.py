"""Reference data: which small lookup tables are copied as they are rather than learned.

A table is copied when it looks like a lookup (keys, categories, short names, audit dates),
nothing in it identifies a person, and every value it would emit is seen k times or more in the
source's data: once in its table and once in every child row that names it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from relsynth.config import RelsynthConfig
from relsynth.extraction import children_per_parent
from relsynth.roles import Role
from relsynth.schema.elements import QualifiedName, Schema, Table, TypeKind
from relsynth.values.rarity import canonical as _canonical

_AUDIT_COLUMN = re.compile(r"(^|_)(last_?update|updated|modified|created)(_at|_on|_date|_time)?$", re.IGNORECASE)


def seen_less_than(values: pd.Series, min_count: int, weights: np.ndarray | None = None) -> bool:
    """Whether some value is seen fewer than ``min_count`` times; a row counts ``weights`` times."""
    present = values.notna().to_numpy()
    if not present.any():
        return False
    counts = pd.Series(np.ones(len(values)) if weights is None else weights, index=values.index)[present]
    return float(counts.groupby(values[present].map(_canonical).to_numpy()).sum().min()) < min_count


def times_seen(  # type: ignore[no-untyped-def]
    connection, schema: Schema, table: Table, frame: pd.DataFrame, counted: set[QualifiedName] | None = None
) -> np.ndarray:
    """How many times each row's values are seen in the source's data: once in the table, and once
    in every child row that refers to it (a language named by a thousand films is seen a thousand
    times; a city named by one address once). Only children in ``counted`` count, where given."""
    seen = np.zeros(len(frame))
    for fk in schema.foreign_keys:
        if fk.referred_table != table.name or fk.table == table.name or not set(fk.referred_columns) <= set(frame.columns):
            continue
        if counted is not None and fk.table not in counted:
            continue
        counts = children_per_parent(connection, fk.table, fk.constrained_columns)
        counts = counts.dropna(subset=list(fk.constrained_columns))
        keys = pd.MultiIndex.from_frame(counts[list(fk.constrained_columns)].map(_canonical))
        per_key = pd.Series(counts["__count"].to_numpy(dtype=float), index=keys)
        wanted = pd.MultiIndex.from_frame(frame[list(fk.referred_columns)].map(_canonical))
        seen += per_key.reindex(wanted).fillna(0).to_numpy()
    return np.maximum(seen, 1.0)


_NAME_MAX_WORDS = 4  # "United States of America"; longer text is prose, which may name people


def is_reference(
    table: Table, columns, frame: pd.DataFrame, rows: int, config: RelsynthConfig, copied: set[QualifiedName],
    weights: np.ndarray | None = None,
) -> bool:
    """A small lookup table: only keys, categories, short names and audit dates (``last_update``;
    any other date could be an event in a person's life), nothing identifying, every value seen
    k (``privacy.min_count``) times or more, and foreign keys (if any) only to tables copied as
    reference data too (countries under regions). A row is seen once, and once more in each child
    row that refers to it (``weights``). ``mode = "copy"`` copies any table."""
    if not 0 < rows <= config.reference_max_rows:
        return False
    # every value a copy would emit: all but foreign keys and surrogate (non-text) keys
    emitted = [
        c.name for c in columns if c.name in frame.columns and c.role is not Role.FOREIGN_KEY
        and not (c.role is Role.KEY and table.column(c.name).type.kind is not TypeKind.TEXT)
    ]
    if any(seen_less_than(frame[name], config.privacy.min_count, weights) for name in emitted):
        return False
    if any(fk.referred_table not in copied for fk in table.foreign_keys):
        return False
    categorical = (TypeKind.TEXT, TypeKind.ENUM, TypeKind.BOOLEAN)
    dates = (TypeKind.DATE, TypeKind.TIMESTAMP)

    def is_lookup(c) -> bool:
        kind = table.column(c.name).type.kind
        if c.role is Role.TEXT:
            words = frame[c.name].dropna().astype(str).str.split().str.len() if c.name in frame.columns else pd.Series(dtype=float)
            return words.empty or words.mean() <= _NAME_MAX_WORDS
        return c.role in (Role.KEY, Role.COMPUTED, Role.FOREIGN_KEY) or c.role is Role.MODEL and (
            kind in categorical or kind in dates and _AUDIT_COLUMN.search(c.name) is not None
        )

    return all(is_lookup(c) for c in columns)
