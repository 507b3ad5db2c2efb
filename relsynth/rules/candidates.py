"""Candidate rules, proposed from the schema alone (plus each column's distinct count).

The search stays small and principled: only pairs the schema makes meaningful are proposed
(columns of one kind in one row, a child and its parent, two foreign-key paths to one ancestor),
never every pair of columns of the database. Discovery then measures each candidate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations

from relsynth.rules.expressions import NUMERIC, TEMPORAL, TEXT
from relsynth.rules.model import ARROW, Rule, RuleKind
from relsynth.schema.elements import Column, ForeignKey, Schema, Table, TypeKind

MIN_FANOUT = 0.1  # share of parents with two children or more: below it, "per parent" says nothing


@dataclass(frozen=True)
class TableProfile:
    """A table's sample as discovery sees it: row count, each column's distinct values, fan-out per FK."""

    rows: int
    distinct: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)
    fanout: dict[tuple[str, ...], float] = field(default_factory=dict)  # share of parents with >= 2 children

    def varies(self, column: str) -> bool:
        return self.distinct.get(column, 0) >= 2


def key_columns(table: Table) -> set[str]:
    keys = {c for fk in table.foreign_keys for c in fk.constrained_columns}
    if table.primary_key is not None:
        keys |= set(table.primary_key.constrained_columns)
    return keys


def _plain(table: Table, profile: TableProfile, kinds: frozenset[TypeKind], *, varying: bool = True) -> list[Column]:
    """Non-key columns of ``kinds`` (money excluded: no arithmetic), varying in the sample when asked."""
    keys = key_columns(table)
    return [
        c for c in table.columns
        if c.type.kind in kinds and c.name not in keys and c.type.sql != "money" and c.computed is None
        and (profile.varies(c.name) or not varying)
    ]


def _ref(fk: ForeignKey, column: str) -> str:
    return f"{','.join(fk.constrained_columns)}{ARROW}{column}"


def propose(schema: Schema, profiles: dict[str, TableProfile]) -> list[Rule]:
    """Every candidate rule of ``schema``'s tables (those ``profiles`` covers)."""
    found: list[Rule] = []
    for table in schema.tables:
        profile = profiles.get(str(table.name))
        if profile is None or profile.rows == 0:
            continue
        for propose_kind in (_within_row, _formulas, _with_parents, _diamonds, _aggregates, _sequences, _dependencies):
            found.extend(propose_kind(schema, table, profile, profiles))
    return list(dict.fromkeys(found))


def _within_row(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """Equal columns of one kind, order between times of one kind, short code columns. Between
    numbers an order is mostly a matter of scale (stats: ``view_count > score``, ``> answer_count``,
    ``> favorite_count``); forcing it moves the column's values (stats' column shapes 0.983 -> 0.943)."""
    columns = _plain(table, profile, NUMERIC | TEMPORAL | TEXT)
    for b, a in combinations(columns, 2):
        if a.type.kind is not b.type.kind:
            continue
        yield Rule(RuleKind.EQUAL, table.name, a.name, inputs=(b.name,))
        if a.type.kind not in TEMPORAL:
            continue
        for x, y in ((a, b), (b, a)):
            yield Rule(RuleKind.ORDER, table.name, x.name, "gt", (y.name,))
            yield Rule(RuleKind.ORDER, table.name, x.name, "ge", (y.name,))
    for column in _plain(table, profile, TEXT):
        yield Rule(RuleKind.CATEGORY, table.name, column.name)


def _formulas(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """``a = b * c``, ``a = b + c`` (``c`` possibly a parent's), ``a = year(b)``, ``a = lower(b)``."""
    own = _plain(table, profile, NUMERIC)
    from_parents = [
        _ref(fk, c.name)
        for fk in table.foreign_keys if str(fk.referred_table) in profiles
        for c in _plain(schema.table(fk.referred_table), profiles[str(fk.referred_table)], NUMERIC)
    ]
    for a in own:
        others = [c.name for c in own if c.name != a.name]
        pairs = [*combinations(others, 2), *((b, c) for b in others for c in from_parents)]
        for b, c in pairs:
            yield Rule(RuleKind.FORMULA, table.name, a.name, "mul", (b, c))
            yield Rule(RuleKind.FORMULA, table.name, a.name, "add", (b, c))
    for a in (c for c in own if c.type.kind is TypeKind.INTEGER):
        for b in _plain(table, profile, frozenset({TypeKind.DATE, TypeKind.TIMESTAMP})):
            yield Rule(RuleKind.FORMULA, table.name, a.name, "year", (b.name,))
    texts = _plain(table, profile, TEXT)
    for a in texts:
        for b in texts:
            if a.name != b.name:
                yield Rule(RuleKind.FORMULA, table.name, a.name, "lower", (b.name,))


def _with_parents(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """A child's column equal to (copied from) a parent's of its kind; a child's time after its parent's."""
    own = _plain(table, profile, NUMERIC | TEMPORAL | TEXT)
    for fk in table.foreign_keys:
        parent_profile = profiles.get(str(fk.referred_table))
        if parent_profile is None:
            continue
        theirs = _plain(schema.table(fk.referred_table), parent_profile, NUMERIC | TEMPORAL | TEXT)
        for a in own:
            for p in (p for p in theirs if p.type.kind is a.type.kind):
                yield Rule(RuleKind.EQUAL, table.name, a.name, inputs=(_ref(fk, p.name),))
                if a.type.kind in TEMPORAL:
                    yield Rule(RuleKind.ORDER, table.name, a.name, "gt", (_ref(fk, p.name),))
                    yield Rule(RuleKind.ORDER, table.name, a.name, "ge", (_ref(fk, p.name),))


def _diamonds(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """A direct FK column and the same ancestor's key reached through another parent."""
    singles = [fk for fk in table.foreign_keys if len(fk.constrained_columns) == 1]
    for direct in singles:
        for through in singles:
            if through is direct or through.referred_table == direct.referred_table:
                continue
            if through.referred_table not in schema.table_names:
                continue
            for hop in schema.table(through.referred_table).foreign_keys:
                if hop.referred_table == direct.referred_table and hop.referred_columns == direct.referred_columns:
                    yield Rule(RuleKind.EQUAL, table.name, direct.constrained_columns[0],
                               inputs=(_ref(through, hop.constrained_columns[0]),))


def _aggregates(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """A parent's number equal to count, sum (of a child column or a product of two), min or max over its children."""
    targets = _plain(table, profile, NUMERIC)
    if not targets:
        return
    for child in schema.tables:
        child_profile = profiles.get(str(child.name))
        if child_profile is None or child.name == table.name:
            continue
        for fk in (fk for fk in child.foreign_keys if fk.referred_table == table.name):
            if child_profile.fanout.get(fk.constrained_columns, 0.0) < MIN_FANOUT:
                continue
            values = [c.name for c in _plain(child, child_profile, NUMERIC, varying=False)]
            terms = [("count", ())]
            terms += [(op, (v,)) for v in values for op in ("sum", "min", "max")]
            terms += [("sum", pair) for pair in combinations(values, 2)]
            for target in targets:
                for op, inputs in terms:
                    yield Rule(RuleKind.AGGREGATE, table.name, target.name, op, inputs, child.name, fk.constrained_columns)


def _sequences(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """A child's integer numbering each parent's children 1..k, or its time ordering them as the key does."""
    fk_columns = {c for fk in table.foreign_keys for c in fk.constrained_columns}
    pk = table.primary_key.constrained_columns if table.primary_key else ()
    for fk in table.foreign_keys:
        if profile.fanout.get(fk.constrained_columns, 0.0) < MIN_FANOUT:
            continue
        for column in table.columns:
            if column.name in fk_columns or not profile.varies(column.name) or pk == (column.name,):
                continue
            if column.type.kind is TypeKind.INTEGER:
                yield Rule(RuleKind.SEQUENCE, table.name, column.name, "number", via=fk.constrained_columns)
            elif column.type.kind in TEMPORAL and pk and column.name not in pk:
                yield Rule(RuleKind.SEQUENCE, table.name, column.name, "time", via=fk.constrained_columns)


def _dependencies(schema: Schema, table: Table, profile: TableProfile, profiles) -> Iterator[Rule]:
    """Among low-cardinality text columns (each value on two rows or more on average): ``a -> b``."""
    low = [
        c.name for c in _plain(table, profile, TEXT)
        if profile.distinct[c.name] * 2 <= profile.filled.get(c.name, 0)
    ]
    for a in low:
        for b in low:
            if a != b and profile.distinct[b] <= profile.distinct[a]:
                yield Rule(RuleKind.DEPENDENCY, table.name, b, inputs=(a,))
