"""Discovery: the rules the source's data obeys, each with its support, found in SQL on a sample.

Three steps, all read-only: profile each table's sample (distinct values per column, children per
parent), propose candidates from the schema (``candidates.propose``), then measure them, first on
a small screening sample and the survivors on the full sample, with the same SQL the report uses
on the clone (``measure``). What remains is pruned to what says something new: an order between
two columns that are equal is dropped, and each column keeps its best derivation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.rules.arithmetic import is_arithmetic
from relsynth.rules.arithmetic import screen as screen_arithmetic
from relsynth.rules.candidates import TableProfile, propose
from relsynth.rules.expressions import NUMERIC, TEMPORAL, TEXT, foreign_key, sample
from relsynth.rules.measure import measure
from relsynth.rules.model import ColumnRef, Rule, RuleKind
from relsynth.schema.elements import Schema, Table, TypeKind

log = logging.getLogger(__name__)

SCREEN_ROWS = 2_000  # every candidate is first measured on this many rows ...
SCREEN_SLACK = 0.05  # ... and kept for the full sample when within this of min_support
PROFILED = NUMERIC | TEMPORAL | TEXT | frozenset({TypeKind.ENUM, TypeKind.BOOLEAN})
DERIVATIONS = frozenset({RuleKind.EQUAL, RuleKind.FORMULA, RuleKind.AGGREGATE})


def discover(
    connection: Connection, schema: Schema, *, sample_rows: int = 50_000, min_support: float = 0.95
) -> tuple[Rule, ...]:
    """The rules that hold on at least ``min_support`` of the source's rows (see ``measure`` for "rows")."""
    profiles = {str(t.name): profile(connection, t, sample_rows) for t in schema.tables}
    candidates = propose(schema, profiles)
    screen_rows = min(SCREEN_ROWS, sample_rows)
    arithmetic = [c for c in candidates if is_arithmetic(c)]
    screened = measure(connection, schema, [c for c in candidates if not is_arithmetic(c)], sample_rows=screen_rows)
    screened.update(screen_arithmetic(connection, schema, arithmetic, rows=screen_rows))
    kept = [c for c in candidates if screened.get(c.key(), 0.0) >= min_support - SCREEN_SLACK]
    # What the screen saw whole is final, except arithmetic: its support is always the SQL's.
    final = {c.key(): screened[c.key()] for c in kept
             if _sample_rows(schema, c, profiles) <= screen_rows and not is_arithmetic(c)}
    again = [c for c in kept if c.key() not in final]
    final.update(measure(connection, schema, again, sample_rows=sample_rows))
    found = [c.with_support(final[c.key()]) for c in kept if final.get(c.key(), 0.0) >= min_support]
    log.info("rules: %d candidates, %d screened in, %d hold", len(candidates), len(kept), len(found))
    return tuple(prune(found))


def discover_at(url: str, schema: Schema, *, sample_rows: int = 50_000, min_support: float = 0.95) -> tuple[Rule, ...]:
    """``discover`` on the database at ``url``, inside one read-only snapshot."""
    from relsynth.connections import create_engine, read_snapshot

    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            return discover(connection, schema, sample_rows=sample_rows, min_support=min_support)
    finally:
        engine.dispose()


def profile(connection: Connection, table: Table, rows: int) -> TableProfile:
    """Rows, distinct and non-NULL values per column, and fan-out per FK, on the table's sample."""
    rows_of = sample(table, rows)
    columns = [c.name for c in table.columns if c.type.kind in PROFILED]
    query = sa.select(
        sa.func.count(),
        *(sa.func.count(sa.distinct(rows_of.c[c])) for c in columns),
        *(sa.func.count(rows_of.c[c]) for c in columns),
    )
    found = connection.execute(query).one()
    distinct = {c: int(found[1 + i]) for i, c in enumerate(columns)}
    filled = {c: int(found[1 + len(columns) + i]) for i, c in enumerate(columns)}
    fanout = {fk.constrained_columns: _fanout(connection, rows_of, fk.constrained_columns) for fk in table.foreign_keys}
    return TableProfile(int(found[0]), distinct, filled, fanout)


def _fanout(connection: Connection, rows_of: sa.Subquery, via: tuple[str, ...]) -> float:
    """Share of the parents seen in the sample that have two children or more."""
    keys = [rows_of.c[c] for c in via]
    sizes = sa.select(sa.func.count().label("n")).where(*(k.is_not(None) for k in keys)).group_by(*keys).subquery()
    several = sa.func.sum(sa.case((sizes.c.n >= 2, 1), else_=0))
    row = connection.execute(sa.select(several, sa.func.count())).one()
    return float(row[0] or 0) / row[1] if row[1] else 0.0


def _sample_rows(schema: Schema, rule: Rule, profiles: dict[str, TableProfile]) -> int:
    """Rows of the table whose sample the rule is measured on (the parent's, for groups of children)."""
    table = rule.table
    if rule.kind is RuleKind.SEQUENCE:
        table = foreign_key(schema.table(rule.table), rule.via).referred_table
    found = profiles.get(str(table))
    return found.rows if found is not None else 0


def prune(rules: Sequence[Rule]) -> list[Rule]:
    """Drop what another rule already says: orders between equal columns, ``>=`` where ``>`` holds,
    an aggregate of a value the children compute from the parent's, and all but each column's best
    derivation (highest support, then the most inputs)."""
    rules = [r for r in rules if not (r.kind is RuleKind.AGGREGATE and _children_derive_from(r, rules))]
    keys = {r.key() for r in rules}

    def holds(kind: RuleKind, table: str, column: str, op: str, inputs: tuple[str, ...]) -> bool:
        return (kind.value, table, column, op, inputs, "", ()) in keys

    best: dict[tuple[str, str], Rule] = {}
    for rule in rules:
        if rule.kind in DERIVATIONS:
            slot = (str(rule.table), rule.column)
            current = best.get(slot)
            if current is None or _rank(rule) > _rank(current):
                best[slot] = rule
    kept = []
    for rule in rules:
        table = str(rule.table)
        if rule.kind in DERIVATIONS and best[(table, rule.column)] is not rule:
            continue
        if rule.kind is RuleKind.ORDER:
            other = rule.inputs[0]
            if not ColumnRef.parse(other).via and (
                holds(RuleKind.EQUAL, table, rule.column, "", (other,)) or holds(RuleKind.EQUAL, table, other, "", (rule.column,))
            ):
                continue
            if rule.op == "ge" and holds(RuleKind.ORDER, table, rule.column, "gt", rule.inputs):
                continue
        kept.append(rule)
    return kept


def _children_derive_from(aggregate: Rule, rules: Sequence[Rule]) -> bool:
    """The aggregated child column is itself computed from the parent's column (a copy, a product):
    the children follow the parent, not the reverse."""
    parent_column = f"{','.join(aggregate.via)}->{aggregate.column}"
    return any(
        r.kind in (RuleKind.EQUAL, RuleKind.FORMULA) and str(r.table) == str(aggregate.child)
        and r.column in aggregate.inputs and parent_column in r.inputs
        for r in rules
    )


def _rank(rule: Rule) -> tuple[float, int, str]:
    return (rule.support, len(rule.inputs), str(rule.key()))
