"""Siblings in key order: a parent's children are ordered by their primary key, as the source's are.

The source's ``time`` sequence says each child is not before its previous sibling in primary key
order (``measure``): the source handed out its keys in time order. Sorting the time column alone
within each parent moves its values away from the rest of their rows (pagila's rental_date from
its return_date). So rows keep every value and only their *places* move: the primary key columns
that order siblings are handed out again, within each group, in the order of the time column.
``number`` sequences count siblings in the same key order, so a number follows the time too.

Keys may move: a table's children are generated after it (plan order) and its self-references
are filled once every table exists (deferred), so no row points at them yet. Where rows do (a rule
run late), the keys are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relsynth.rules.model import Rule
from relsynth.rules.values import NUMERIC, as_numbers, key_text, kind_of
from relsynth.schema.elements import Table


@dataclass(frozen=True)
class KeyOrder:
    """The primary key split in two: ``group``, its foreign key columns (a row's parent, fixed), and
    ``order``, the rest (a row's place among the rows of its group, handed out in time order)."""

    group: tuple[str, ...]
    order: tuple[str, ...]


@dataclass
class TimeOrders:
    """A table's time sequences: those enforced (their columns are the candidates to order its
    keys by) and every one of them the run knows, enforced or not (all count when choosing)."""

    enforced: list[Rule] = field(default_factory=list)
    watched: list[Rule] = field(default_factory=list)


def key_order(table: Table) -> KeyOrder | None:
    """``table``'s key order; None without a primary key or without a key column of its own."""
    if table.primary_key is None:
        return None
    fk_columns = {c for fk in table.foreign_keys for c in fk.constrained_columns}
    key = table.primary_key.constrained_columns
    order = tuple(c for c in key if c not in fk_columns)
    return KeyOrder(tuple(c for c in key if c in fk_columns), order) if order else None


def unordered_because(table: Table, rule: Rule) -> str | None:
    """Why handing out ``table``'s keys in ``rule``'s time order cannot make it hold (None: it can)."""
    order = key_order(table)
    if order is None:
        return "its table has no primary key column of its own to order siblings by"
    if rule.column in table.primary_key.constrained_columns:  # type: ignore[union-attr]
        return "its column is part of the primary key"
    if not set(order.group) <= set(rule.via):
        return "the primary key holds another parent's key, so siblings span several key groups"
    if any(table.column(c).type.kind not in NUMERIC for c in order.order):
        return "the primary key is not a number or a time, whose order the database shares"
    return None


def key_ranks(rows: pd.DataFrame, table: Table, constant: tuple[str, ...] = ()) -> np.ndarray:
    """Each row's position in primary key order, the key's ``constant`` columns (its group's) left
    out; row order breaks ties, and stands in for a key that is not all numbers and times (its
    order is the database's collation, unknown here)."""
    position = np.arange(len(rows))
    key = [c for c in table.primary_key.constrained_columns if c not in constant] if table.primary_key is not None else []
    if not key or any(c not in rows.columns or table.column(c).type.kind not in NUMERIC for c in key):
        return position
    views = [as_numbers(rows[c].reset_index(drop=True), kind_of(rows[c], table.column(c).type)) for c in reversed(key)]
    ranks = np.empty(len(rows), dtype=np.int64)
    ranks[np.lexsort((position, *views))] = position
    return ranks


def in_time_order(rows: pd.DataFrame, table: Table, time_column: str) -> None:
    """Hand out the key's order columns again within each group, in ``time_column``'s order, in place.

    Ties in time keep their key order; rows without a time (or a group) keep their keys. The set of
    keys of each group is unchanged, so the primary key stays unique.
    """
    order = key_order(table)
    if order is None or rows.empty:
        return
    times = as_numbers(rows[time_column].reset_index(drop=True), kind_of(rows[time_column], table.column(time_column).type))
    groups = key_text(rows, list(order.group)) if order.group else pd.Series("", index=range(len(rows)))
    usable = np.flatnonzero(groups.notna().to_numpy() & ~np.isnan(times))
    if usable.size < 2:
        return
    codes = pd.factorize(groups.to_numpy()[usable])[0]
    ranks = key_ranks(rows, table, order.group)[usable]
    by_key = usable[np.lexsort((ranks, codes))]
    by_time = usable[np.lexsort((ranks, times[usable], codes))]
    for column in order.order:
        values = rows[column].copy()
        values.iloc[by_time] = rows[column].iloc[by_key].to_numpy()
        rows[column] = values


def disorder(rows: pd.DataFrame, table: Table, rule: Rule) -> int:
    """Rows before their previous sibling in key order: ``measure``'s violations of a time sequence."""
    groups = key_text(rows, rule.via)
    known = np.flatnonzero(groups.notna().to_numpy())
    codes = pd.factorize(groups.to_numpy()[known])[0]
    at = np.lexsort((key_ranks(rows, table)[known], codes))
    times = as_numbers(rows[rule.column].reset_index(drop=True), kind_of(rows[rule.column], table.column(rule.column).type))[known[at]]
    same = codes[at][1:] == codes[at][:-1]
    return int((same & (times[1:] < times[:-1])).sum())  # a NULL on either side compares False: not counted


def best_time_column(rows: pd.DataFrame, table: Table, enforced: list[Rule], watched: list[Rule]) -> str | None:
    """The column of ``enforced`` whose time order breaks the fewest enforced time sequences of the
    table, then the fewest of all ``watched`` (pagila's rental: return_date, which orders each
    inventory item's rentals, rather than a last_update that is the same on nearly every row)."""
    enforced, watched = ([r for r in rules if {r.column, *r.via} <= set(rows.columns)] for rules in (enforced, watched))
    columns = sorted({r.column for r in enforced})
    if len(columns) <= 1:
        return columns[0] if columns else None
    moved = list(key_order(table).order)  # type: ignore[union-attr]
    start = rows[moved].copy()
    scores = {}
    for column in columns:
        in_time_order(rows, table, column)
        scores[column] = (sum(disorder(rows, table, r) for r in enforced), sum(disorder(rows, table, r) for r in watched))
        for name in moved:
            rows[name] = start[name]
    return min(columns, key=scores.__getitem__)
