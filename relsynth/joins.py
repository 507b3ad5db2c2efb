"""Joining frames on foreign keys in memory: keys as one text per value, so keys join whatever
type the driver returned (an integer column with NULLs reads as floats, NUMERIC as Decimal)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from relsynth.schema.elements import ForeignKey


def key_frame(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Key columns as text, so keys join whatever the driver returned (int, Decimal, all-NULL)."""
    return pd.DataFrame({column: _key_texts(frame[column]) for column in columns}, index=frame.index)


def _key_texts(values: pd.Series) -> pd.Series:
    """``key_text`` of each value; a NumPy integer column (no NULL) in one step."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return pd.Series(values.to_numpy().astype(str).astype(object), index=values.index, name=values.name)
    return values.map(key_text, na_action="ignore").astype(object)


def key_text(value: object) -> str:
    """One text per key value: 7, 7.0 (an integer column with NULLs) and Decimal('7') agree."""
    if isinstance(value, (float, Decimal)) and value == int(value):
        return str(int(value))
    return str(value)


def counts_for(parent: pd.DataFrame, fk: ForeignKey, counts: pd.DataFrame) -> np.ndarray:
    """For each parent row, the number of child rows whose ``fk`` points at it."""
    if parent.empty:
        return np.zeros(0, dtype=np.int64)
    renamed = key_frame(counts, fk.constrained_columns).rename(
        columns=dict(zip(fk.constrained_columns, fk.referred_columns, strict=True))
    )
    renamed["__count"] = counts["__count"]
    renamed = renamed.dropna(subset=list(fk.referred_columns))
    merged = key_frame(parent, fk.referred_columns).merge(renamed, how="left", on=list(fk.referred_columns))
    return pd.to_numeric(merged["__count"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def parent_lookup(child: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """``values`` (aligned with ``parent``'s rows) looked up for each child row through ``fk``."""
    # Join on internal names: a key column may also be one of ``values``' columns.
    names = [f"__key{i}" for i in range(len(fk.referred_columns))]
    parent_keys = key_frame(parent, fk.referred_columns).reset_index(drop=True)
    parent_keys.columns = names
    keyed = pd.concat([parent_keys, values.reset_index(drop=True)], axis=1).drop_duplicates(subset=names)
    child_keys = key_frame(child, fk.constrained_columns).reset_index(drop=True)
    child_keys.columns = names
    merged = child_keys.merge(keyed, how="left", on=names)
    return merged[list(values.columns)]


def joined_with_parent(frames, model_frames, fk: ForeignKey, parent_columns: list[str]) -> pd.DataFrame:
    """The child's model columns, each row next to its parent's ``parent_columns`` (``__parent__*``)."""
    child = frames[fk.table]
    mine = [c for c in model_frames[fk.table].columns if not c.startswith("__")]
    parent = parent_lookup(child, fk, frames[fk.referred_table], model_frames[fk.referred_table][parent_columns])
    parent.columns = [f"__parent__{c}" for c in parent_columns]
    return pd.concat([model_frames[fk.table][mine].reset_index(drop=True), parent.reset_index(drop=True)], axis=1)
