"""What a rule makes of a generated table's values: the column it determines, computed from its inputs.

Each function returns the rule's column for every row (a Series aligned with the rows), NULL
where the rule says nothing (an input is NULL, a row has no parent): there the generated value
stays. Whether a computed value may be written (keys, CHECKs, NOT NULL) is ``enforcement``'s call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from relsynth.rules.model import ColumnRef, Rule, RuleKind
from relsynth.rules.siblings import key_ranks
from relsynth.rules.values import NUMERIC, as_numbers, from_numbers, key_positions, key_text, kind_of, step
from relsynth.schema.elements import ColumnType, ForeignKey, QualifiedName, Schema, TypeKind

RowsOf = Callable[[QualifiedName], pd.DataFrame]  # a table's generated rows, by name


class Inputs:
    """Resolves a rule's column references on one table's rows: its own columns, and its
    parents' columns through the foreign key named in the reference."""

    def __init__(self, schema: Schema, table: QualifiedName, rows: pd.DataFrame, rows_of: RowsOf) -> None:
        self.schema = schema
        self.table = schema.table(table)
        self.rows = rows
        self.rows_of = rows_of

    def values(self, ref: ColumnRef) -> pd.Series:
        if not ref.via:
            return self.rows[ref.column].reset_index(drop=True)
        fk = foreign_key(self.schema, self.table.name, ref.via)
        parent = self.rows_of(fk.referred_table)
        at = key_positions(parent, fk.referred_columns, self.rows, fk.constrained_columns)
        values = np.append(parent[ref.column].to_numpy(dtype=object), [None])  # at -1 (no parent): None
        found = pd.Series(values[at], dtype=object)
        return found.astype(parent[ref.column].dtype) if pd.api.types.is_datetime64_any_dtype(parent[ref.column]) else found

    def column_type(self, ref: ColumnRef) -> ColumnType | None:
        if not ref.via:
            return self.table.column(ref.column).type if ref.column in self.table.column_names else None
        parent = self.schema.table(foreign_key(self.schema, self.table.name, ref.via).referred_table)
        return parent.column(ref.column).type if ref.column in parent.column_names else None

    def numbers(self, ref: ColumnRef, kind: TypeKind | None = None) -> np.ndarray:
        """The float view of ``ref``, in its own kind's unit or in ``kind``'s (a date as a timestamp)."""
        values = self.values(ref)
        return as_numbers(values, kind or kind_of(values, self.column_type(ref)))


def foreign_key(schema: Schema, table: QualifiedName, via: tuple[str, ...]) -> ForeignKey:
    """The foreign key of ``table`` on exactly the columns ``via``."""
    for fk in schema.table(table).foreign_keys:
        if tuple(fk.constrained_columns) == tuple(via):
            return fk
    raise KeyError(f"{table} has no foreign key on ({', '.join(via)})")


def derived(rule: Rule, inputs: Inputs, decided: dict[str, object] | None = None) -> pd.Series:
    """The values ``rule`` gives its column on ``inputs.rows`` (NULL where it says nothing).

    ``decided``: a dependency's value per determinant chosen in earlier chunks of the table
    (relsynth.chunks); it is kept, and this chunk's new choices are added to it."""
    column = inputs.rows[rule.column].reset_index(drop=True)
    column_type = inputs.table.column(rule.column).type
    if rule.kind is RuleKind.EQUAL:
        return inputs.values(rule.refs[0])
    if rule.kind is RuleKind.ORDER:
        return _ordered(rule, inputs, column, column_type)
    if rule.kind is RuleKind.FORMULA:
        return _formula(rule, inputs, column, column_type)
    if rule.kind is RuleKind.DEPENDENCY:
        return _dependent(rule, inputs, column, {} if decided is None else decided)
    if rule.kind is RuleKind.SEQUENCE:
        return _sequence(rule, inputs, column, column_type)
    raise ValueError(f"{rule.kind.value} rules are not computed row by row")


def _ordered(rule: Rule, inputs: Inputs, column: pd.Series, column_type: ColumnType) -> pd.Series:
    """The later column as the earlier plus the generated gap, reflected where it was negative:
    the gaps keep their generated distribution and none is below zero (above, for ``gt``)."""
    kind = kind_of(column, column_type)
    later = as_numbers(column, kind)
    earlier = inputs.numbers(rule.refs[0], kind if kind in (TypeKind.DATE, TypeKind.TIMESTAMP) else None)
    gap = np.abs(later - earlier)
    if rule.op == "gt":
        gap = np.where(gap == 0, step(kind, column_type), gap)
    result = np.where(later - earlier >= (step(kind, column_type) if rule.op == "gt" else 0), later, earlier + gap)
    return _written_as(result, column_type, column)


def _formula(rule: Rule, inputs: Inputs, column: pd.Series, column_type: ColumnType) -> pd.Series:
    refs = rule.refs
    if rule.op == "lower":
        return inputs.values(refs[0]).map(lambda v: v.lower() if isinstance(v, str) else None)
    if rule.op == "year":
        values = inputs.values(refs[0])
        days = as_numbers(values, TypeKind.DATE)
        years = np.array([np.nan if np.isnan(d) else float((np.datetime64("1970-01-01") + np.timedelta64(int(d), "D")).astype(object).year) for d in days])
        return _written_as(years, column_type, column)
    left, right = inputs.numbers(refs[0]), inputs.numbers(refs[1])
    result = left * right if rule.op == "mul" else left + right  # a date plus days: days
    return _written_as(result, column_type, column)


def _dependent(rule: Rule, inputs: Inputs, column: pd.Series, decided: dict[str, object]) -> pd.Series:
    """For each value of the determinant, the dependent value chosen before for it (``decided``),
    else the one generated most often with it (then recorded in ``decided``)."""
    determinant = pd.concat([inputs.values(ref).rename(str(i)) for i, ref in enumerate(rule.refs)], axis=1)
    keys = key_text(determinant, list(determinant.columns))
    texts = column.map(lambda v: None if v is None or v is pd.NA or v != v else repr(v))
    pairs = pd.DataFrame({"key": keys, "text": texts, "row": np.arange(len(column))}).dropna()
    counts = pairs.groupby(["key", "text"], sort=False).agg(n=("row", "size"), first=("row", "min")).reset_index()
    best = counts.sort_values(["n", "first"], ascending=[False, True]).drop_duplicates("key")
    representative = pd.Series(best["first"].to_numpy(), index=best["key"].to_numpy())
    at = representative.reindex(keys.fillna("\x01NULL")).to_numpy()
    values = column.to_numpy(dtype=object)
    result = pd.Series([values[int(i)] if i == i else None for i in at], dtype=object)
    known = keys.isin(decided.keys()).to_numpy()
    result[known] = keys[known].map(decided).to_numpy()
    decided.update((k, v) for k, v in zip(keys[~known], result[~known], strict=True) if k is not None and k == k)
    return result.astype(column.dtype) if pd.api.types.is_datetime64_any_dtype(column) else result


def _sequence(rule: Rule, inputs: Inputs, column: pd.Series, column_type: ColumnType) -> pd.Series:
    """``number``: 1..k over each parent's children in primary key order (``siblings``: the order
    a ``time`` sequence gives them), row order without a key. A ``time`` sequence moves keys, not
    this column (``siblings.in_time_order``)."""
    if rule.op != "number":
        raise ValueError("a time sequence orders whole rows: siblings.in_time_order")
    groups = key_text(inputs.rows, rule.via)
    known = np.flatnonzero(groups.notna().to_numpy())
    ordered = known[np.argsort(key_ranks(inputs.rows, inputs.table, rule.via)[known], kind="stable")]
    numbers = np.full(len(groups), np.nan)
    numbers[ordered] = pd.Series(groups.to_numpy()[ordered]).groupby(groups.to_numpy()[ordered], sort=False).cumcount().to_numpy() + 1
    return _written_as(numbers, column_type, column)


def aggregated(rule: Rule, parent: pd.DataFrame, children: pd.DataFrame, fk: ForeignKey, schema: Schema) -> pd.Series:
    """``op`` over each parent row's children of the product of the inputs; NULL for a parent
    without children (the generated value stays), except ``count``, which is 0 there."""
    parent_column = parent[rule.column].reset_index(drop=True)
    child_table = schema.table(fk.table)
    keys = key_text(children, fk.constrained_columns)
    if rule.op == "count":
        per_parent = keys.value_counts()
    else:
        product = np.ones(len(children))
        for ref in rule.refs:
            values = children[ref.column].reset_index(drop=True)
            product = product * as_numbers(values, kind_of(values, child_table.column(ref.column).type))
        frame = pd.DataFrame({"key": keys, "value": product}).dropna(subset=["key"])
        grouped = frame.groupby("key", sort=False)["value"]
        per_parent = {"sum": grouped.sum, "min": grouped.min, "max": grouped.max}[rule.op]()
    mine = key_text(parent, fk.referred_columns)
    result = per_parent.reindex(mine.fillna("\x01NULL")).to_numpy(dtype=float)
    if rule.op == "count":
        result = np.nan_to_num(result)
    return _written_as(result, schema.table(rule.table).column(rule.column).type, parent_column)


def _written_as(numbers: np.ndarray, column_type: ColumnType, like: pd.Series) -> pd.Series:
    if kind_of(like, column_type) not in NUMERIC:
        return pd.Series(numbers, dtype=object).map(lambda v: None if v != v else v)
    return from_numbers(np.asarray(numbers, dtype=float), column_type, like)
