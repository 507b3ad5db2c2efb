"""The privacy unit: one row of a chosen table and every row that descends from it.

Private tables are the unit's table and every table that references a private table through a
foreign key (the closure); every other table is public in this model (as in DP under foreign-key
constraints, e.g. PrivSQL): its rows are nobody's. ``bound_contributions`` makes each unit's
footprint bounded before anything is fitted: a private row must lead, through all its foreign keys
into private tables, to exactly one unit (rows linked to two units, or to none, are dropped), and
at most ``max_children`` rows are kept per parent row along each such foreign key, chosen by a
seeded hash of the row's own values so that one unit's rows never change another's choice.
Then one unit has at most ``bound[T]`` rows in table T.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.errors import ConfigurationError
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema

_LARGE = 10**9


@dataclass(frozen=True)
class UnitTree:
    """The unit's table, the private tables in parent-first order, and each one's row bound."""

    unit: QualifiedName
    tables: tuple[QualifiedName, ...]
    bounds: dict[QualifiedName, int]
    foreign_keys: dict[QualifiedName, tuple[ForeignKey, ...]]  # private FKs of each private table (no self-references)
    self_references: dict[QualifiedName, tuple[ForeignKey, ...]]
    max_children: int

    def is_private(self, table: QualifiedName) -> bool:
        return table in self.bounds

    def explain(self, schema: Schema) -> str:
        parts = [f"{t} (<= {self.bounds[t]} row(s) per unit)" for t in self.tables if t != self.unit]
        public = [str(t.name) for t in schema.tables if t.name not in self.bounds]
        text = f"privacy unit: one row of {self.unit}"
        text += f" with its descendants {', '.join(parts)}" if parts else " (nothing descends from it)"
        text += f"; at most {self.max_children} child rows are kept per parent row along each foreign key"
        if public:
            text += f". Public (not protected, nobody's rows in this model): {', '.join(public)}"
        return text


def unit_tree(schema: Schema, unit: QualifiedName, *, max_children: int) -> UnitTree:
    """The closure of ``unit`` under "references a private table", with per-table row bounds."""
    private = {unit}
    changed = True
    while changed:
        changed = False
        for fk in schema.foreign_keys:
            if fk.referred_table in private and fk.table not in private:
                private.add(fk.table)
                changed = True
    fks = {t: tuple(fk for fk in schema.foreign_keys if fk.table == t and fk.referred_table in private and not fk.is_self_reference) for t in private}
    selfs = {t: tuple(fk for fk in schema.foreign_keys if fk.table == t and fk.is_self_reference) for t in private}
    order: list[QualifiedName] = [unit]
    bounds = {unit: 1}
    pending = [t for t in (x.name for x in schema.tables) if t in private and t != unit]
    while pending:
        ready = [t for t in pending if all(fk.referred_table in bounds for fk in fks[t])]
        if not ready:
            raise ConfigurationError(
                f"the tables {[str(t) for t in pending]} below privacy unit {unit} reference each other in a cycle, so "
                "no row bound holds per unit; choose a unit below the cycle with --privacy-unit"
            )
        for t in ready:
            bounds[t] = min(_LARGE, max_children * min(bounds[fk.referred_table] for fk in fks[t]))
            order.append(t)
            pending.remove(t)
    if fks[unit]:
        raise ConfigurationError(f"privacy unit {unit} references its own descendants; choose another unit")
    return UnitTree(unit, tuple(order), bounds, fks, selfs, max_children)


def resolve_table(schema: Schema, name: str) -> QualifiedName:
    matches = [t.name for t in schema.tables if str(t.name) == name or t.name.name == name]
    if len(matches) != 1:
        known = ", ".join(str(t.name) for t in schema.tables)
        what = "matches several tables" if matches else "is not a table of the source"
        raise ConfigurationError(f"privacy unit {name!r} {what}; pass one of: {known}")
    return matches[0]


@dataclass(frozen=True)
class UnitProposal:
    table: QualifiedName
    reason: str


def propose_unit(
    schema: Schema,
    row_counts: dict[QualifiedName, int],
    *,
    identifying: set[QualifiedName],
    max_children: int,
) -> UnitProposal:
    """The table whose units cover the most rows after bounding, preferring tables about people.

    A candidate's score is the rows it would keep (each table capped at units x its bound), scaled
    down when it has fewer than 1000 rows (few units make noise dominate). A table in ``identifying``
    (names, e-mails: a person) wins when it scores at least a quarter of the best.
    """
    scores: dict[QualifiedName, float] = {}
    for table in schema.tables:
        units = row_counts.get(table.name, 0)
        if units <= 0:
            continue
        try:
            tree = unit_tree(schema, table.name, max_children=max_children)
        except ConfigurationError:
            continue
        kept = sum(min(row_counts.get(t, 0), units * tree.bounds[t]) for t in tree.tables)
        scores[table.name] = kept * min(1.0, units / 1000)
    if not scores:
        raise ConfigurationError("no table can be a privacy unit (all are empty); pass --privacy-unit")
    best = max(scores, key=lambda t: (scores[t], str(t)))
    people = [t for t in scores if t in identifying and scores[t] >= 0.25 * scores[best]]
    chosen = max(people, key=lambda t: (scores[t], str(t))) if people else best
    why = "it holds identifying columns (a person) and " if chosen in people else ""
    reason = (
        f"proposed {chosen}: {why}its units cover about {int(scores[chosen])} rows after bounding "
        f"(best alternative scores: {', '.join(f'{t}={int(s)}' for t, s in sorted(scores.items(), key=lambda x: -x[1])[:3])}); "
        "pass --privacy-unit to choose another"
    )
    return UnitProposal(chosen, reason)


def _keys(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Each row's key as one string; None where any part is NULL."""
    if not columns or frame.empty:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    parts = frame[list(columns)]
    null = parts.isna().any(axis=1)
    joined = pd.DataFrame({c: _text(parts[c]) for c in columns}, index=frame.index).agg("\x1f".join, axis=1)
    return joined.where(~null, None)


def _text(values: pd.Series) -> pd.Series:
    """Key values as text, whole floats as integers (a NULL turns an integer column into floats)."""
    if pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if (present == np.floor(present)).all():
            values = values.astype("Int64")
    return values.astype(object).map(str)  # object first: pandas 3 maps a string column's NULLs to NaN


def _priority(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """A random-looking order that depends only on each row's own values and the seed."""
    if frame.empty or not len(frame.columns):
        return np.zeros(len(frame), dtype=np.uint64)
    key = f"{seed % 10**16:016d}"
    try:
        return pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy(dtype=np.uint64)
    except TypeError:  # unhashable cells (JSON, arrays): hash their text
        texts = frame.map(repr)
        return pd.util.hash_pandas_object(texts, index=False, hash_key=key).to_numpy(dtype=np.uint64)


@dataclass(frozen=True)
class BoundedData:
    frames: dict[QualifiedName, pd.DataFrame]  # private tables bounded, public ones as read
    units: dict[QualifiedName, np.ndarray]  # private table -> unit id of each kept row (int64)
    dropped: dict[QualifiedName, int]  # rows dropped per private table
    caps: dict[ForeignKey, int]  # children kept per parent row along each private foreign key
    bounds: dict[QualifiedName, int]  # rows per unit in each private table, from the caps


# (foreign key, children of each parent row, weight of each parent row = 1 / its unit's rows) -> cap
CapChooser = Callable[[ForeignKey, np.ndarray, np.ndarray], int]


def bound_contributions(
    frames: dict[QualifiedName, pd.DataFrame], tree: UnitTree, *, seed: int, choose_cap: CapChooser | None = None
) -> BoundedData:
    """Drop rows so that each unit has at most ``bounds[T]`` rows in every private table T.

    ``choose_cap`` (a DP mechanism) may pick a cap below ``tree.max_children`` per foreign key from
    the children-per-parent counts of rows already linked to one unit; the bounds follow the caps.
    """
    out = dict(frames)
    caps: dict[ForeignKey, int] = {}
    bounds: dict[QualifiedName, int] = {tree.unit: 1}
    units: dict[QualifiedName, np.ndarray] = {}
    dropped: dict[QualifiedName, int] = {}
    root = frames[tree.unit].reset_index(drop=True)
    out[tree.unit] = root
    units[tree.unit] = np.arange(len(root), dtype=np.int64)
    for table in tree.tables:
        frame = out[table].reset_index(drop=True)
        before = len(frame)
        if table != tree.unit:
            frame, owner = _linked_to_units(frame, tree.foreign_keys[table], out, units)
            priority = _priority(frame, seed)
            for fk in tree.foreign_keys[table]:
                key = _keys(frame, fk.constrained_columns)
                cap = tree.max_children
                if choose_cap is not None:
                    cap = _chosen_cap(fk, key, out[fk.referred_table], units[fk.referred_table], tree.max_children, choose_cap)
                caps[fk] = cap
                ranked = pd.DataFrame({"key": key, "p": priority}, index=frame.index).sort_values(["key", "p"], kind="stable")
                rank = ranked.groupby("key", dropna=True).cumcount().reindex(frame.index)
                mask = (key.isna() | (rank < cap)).to_numpy()
                frame, owner, priority = frame[mask].reset_index(drop=True), owner[mask].reset_index(drop=True), priority[mask]
            unit_ids = owner.to_numpy(dtype=np.int64)
            bounds[table] = min(_LARGE, min(caps[fk] * bounds[fk.referred_table] for fk in tree.foreign_keys[table]))
        else:
            unit_ids = units[table]
        for fk in tree.self_references[table]:  # a link to another unit's row cannot stay
            frame, unit_ids = _within_unit(frame, unit_ids, fk)
        out[table] = frame
        units[table] = unit_ids
        dropped[table] = before - len(frame)
    return BoundedData(out, units, dropped, caps, bounds)


def _linked_to_units(
    frame: pd.DataFrame, fks: Sequence[ForeignKey], out: dict[QualifiedName, pd.DataFrame], units: dict[QualifiedName, np.ndarray]
) -> tuple[pd.DataFrame, pd.Series]:
    """The rows linked (through their private parents, already bounded) to exactly one unit, and
    that unit of each; rows whose parent was dropped, or whose parents belong to two units, go."""
    owner = pd.Series([pd.NA] * len(frame), index=frame.index, dtype="Int64")
    keep = pd.Series(True, index=frame.index)
    for fk in fks:
        parent = out[fk.referred_table]
        lookup = pd.Series(units[fk.referred_table], index=_keys(parent, fk.referred_columns).to_numpy())
        lookup = lookup[~lookup.index.duplicated(keep=False) & lookup.index.notna()]
        child_keys = _keys(frame, fk.constrained_columns)
        found = child_keys.map(lookup).astype("Int64")
        keep &= child_keys.isna() | found.notna()  # a parent dropped or unread: cascade
        clash = owner.notna() & found.notna() & (owner != found)
        keep &= ~clash.fillna(False)
        owner = owner.fillna(found)
    keep &= owner.notna()  # linked to no unit
    return frame[keep.to_numpy()].reset_index(drop=True), owner[keep.to_numpy()].reset_index(drop=True)


def _chosen_cap(
    fk: ForeignKey, key: pd.Series, parent: pd.DataFrame, parent_units: np.ndarray, max_children: int, choose_cap: CapChooser
) -> int:
    """``choose_cap``'s cap for ``fk`` from the children per parent row, within [1, max_children]."""
    per_key = key.value_counts(dropna=True)
    children = _keys(parent, fk.referred_columns).map(per_key).fillna(0).to_numpy(dtype=np.int64)
    _, inverse, sizes = np.unique(parent_units, return_inverse=True, return_counts=True)
    weights = 1.0 / sizes[inverse] if parent_units.size else np.zeros(0)
    return max(1, min(max_children, int(choose_cap(fk, children, weights))))


def _within_unit(frame: pd.DataFrame, unit_ids: np.ndarray, fk: ForeignKey) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows whose self-reference ``fk`` points at a row of their own unit (or nowhere); dropping
    a row can orphan another, so until nothing changes."""
    while True:
        lookup = pd.Series(unit_ids, index=_keys(frame, fk.referred_columns).to_numpy())
        lookup = lookup[~lookup.index.duplicated(keep=False) & lookup.index.notna()]
        key = _keys(frame, fk.constrained_columns)
        found = key.map(lookup)
        mask = (key.isna() | (found.notna() & (found.to_numpy() == unit_ids))).to_numpy()
        if mask.all():
            return frame, unit_ids
        frame, unit_ids = frame[mask].reset_index(drop=True), unit_ids[mask]
