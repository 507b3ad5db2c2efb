"""Integrity: SQL checks run on the target, one figure per kind of violation.

Orphan foreign-key rows, duplicate primary/unique keys, NULLs in NOT NULL columns, rows failing a
CHECK, sequences and identities whose next value is not above their column's largest value, and
row counts against the source. Every identifier goes through SQLAlchemy's quoting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
import sqlglot.errors
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from relsynth.engines import SequenceReset, capabilities_for, known_capabilities
from relsynth.errors import driver_reason
from relsynth.reporting.sql import core_table
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntegrityIssue:
    table: QualifiedName
    kind: str  # orphans | duplicate_key | not_null | check | sequence_behind | unchecked
    constraint: str  # what was checked: the FK label, key columns, column, CHECK text, sequence
    count: int  # violating rows (for sequence_behind: how far behind)
    detail: str = ""


def orphan_count(connection: Connection, schema: Schema, fk: ForeignKey) -> int:
    """Child rows whose (all non-NULL) FK columns match no parent row."""
    child = core_table(schema.table(fk.table)).alias("c")
    parent = core_table(schema.table(fk.referred_table)).alias("p")
    on = sa.and_(*(child.c[a] == parent.c[b] for a, b in zip(fk.constrained_columns, fk.referred_columns, strict=True)))
    where = [child.c[a].is_not(None) for a in fk.constrained_columns]
    where.append(parent.c[fk.referred_columns[0]].is_(None))
    query = sa.select(sa.func.count()).select_from(child.outerjoin(parent, on)).where(*where)
    return int(connection.execute(query).scalar_one())


def duplicate_count(connection: Connection, table: Table, columns: tuple[str, ...]) -> int:
    """Rows beyond the first for each duplicated (all non-NULL) key value."""
    t = core_table(table)
    cols = [t.c[c] for c in columns]
    groups = (
        sa.select(sa.func.count().label("n"))
        .where(*(c.is_not(None) for c in cols))
        .group_by(*cols)
        .having(sa.func.count() > 1)
        .subquery("g")
    )
    query = sa.select(sa.func.coalesce(sa.func.sum(groups.c.n - 1), 0))
    return int(connection.execute(query).scalar_one())


def null_counts(connection: Connection, table: Table, columns: tuple[str, ...]) -> dict[str, int]:
    if not columns:
        return {}
    t = core_table(table)
    sums = [sa.func.coalesce(sa.func.sum(sa.case((t.c[c].is_(None), 1), else_=0)), 0) for c in columns]
    row = connection.execute(sa.select(*sums).select_from(t)).one()
    return {c: int(v) for c, v in zip(columns, row, strict=True)}


def in_dialect(sqltext: str, source: str, target: str) -> str:
    """A CHECK written for the ``source`` engine, as the ``target`` engine reads it.

    Identifier quoting differs (``"a"`` is a column on PostgreSQL and SQLite, a string on
    MariaDB), so a clone on another engine is checked with the translated text.
    """
    if source == target:
        return sqltext
    from relsynth.schema.ddl import _any_array_to_in  # the DDL's own rewrite of PostgreSQL's = ANY (ARRAY[...])

    tree = sqlglot.parse_one(sqltext, read=capabilities_for(source).sqlglot_dialect).transform(_any_array_to_in)
    return tree.sql(dialect=capabilities_for(target).sqlglot_dialect, unsupported_level=sqlglot.errors.ErrorLevel.RAISE)


def check_count(connection: Connection, table: Table, sqltext: str) -> int:
    t = core_table(table)
    query = sa.select(sa.func.count()).select_from(t).where(sa.text(f"NOT ({sqltext})"))
    return int(connection.execute(query).scalar_one())


def row_count(connection: Connection, table: Table) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(core_table(table))).scalar_one())


def _sequence_issues(connection: Connection, table: Table) -> list[IntegrityIssue]:
    """Columns whose next generated value would collide with a value already present."""
    issues = []
    caps = known_capabilities(connection.dialect.name)
    # An engine relsynth does not declare is asked as SQLite is, where a failed query means "unknown".
    reset = caps.sequence_reset if caps is not None else SequenceReset.SQLITE_SEQUENCE
    t = core_table(table)
    for column in table.columns:
        if column.identity is None and column.sequence is None:
            continue
        largest = connection.execute(sa.select(sa.func.max(t.c[column.name]))).scalar()
        if largest is None:
            continue
        next_value = _next_value(connection, reset, table, column.name)
        if next_value is not None and next_value <= int(largest):
            issues.append(
                IntegrityIssue(
                    table.name,
                    "sequence_behind",
                    column.name,
                    int(largest) - next_value + 1,
                    f"next value {next_value} <= max({column.name}) = {largest}",
                )
            )
    return issues


def _next_value(connection: Connection, reset: SequenceReset, table: Table, column: str) -> int | None:
    """The value the column's auto-numbering hands out next, read where the loader moves it."""
    prep = connection.dialect.identifier_preparer
    if reset is SequenceReset.SETVAL:
        qualified = prep.format_table(core_table(table))
        seq = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": qualified, "c": column}).scalar()
        if seq is None:
            return None
        # seq is already quoted by PostgreSQL (regclass text output).
        last, called = connection.execute(sa.text(f"SELECT last_value, is_called FROM {seq}")).one()
        increment = connection.execute(
            sa.text("SELECT seqincrement FROM pg_catalog.pg_sequence WHERE seqrelid = CAST(:s AS regclass)"),
            {"s": seq},
        ).scalar() or 1
        return int(last) + (int(increment) if called else 0)
    if reset is SequenceReset.AUTO_INCREMENT:
        value = connection.execute(
            sa.text(
                "SELECT AUTO_INCREMENT FROM information_schema.tables "
                "WHERE table_schema = COALESCE(:s, DATABASE()) AND table_name = :t"
            ),
            {"s": table.name.schema, "t": table.name.name},
        ).scalar()
        return None if value is None else int(value)
    # SQLite hands out max(rowid) + 1 unless AUTOINCREMENT keeps a counter in sqlite_sequence.
    try:
        value = connection.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": table.name.name}).scalar()
    except SQLAlchemyError:
        return None
    return None if value is None else int(value) + 1


def check_integrity(engine: Engine, connection: Connection, schema: Schema) -> tuple[IntegrityIssue, ...]:
    """Every violation found on the target (``connection`` is a read-only snapshot of it).

    CHECK expressions are written in the source's dialect; one the target cannot evaluate is
    reported as ``unchecked`` rather than failing the report. They run on their own connection
    because a failed statement would abort the snapshot's transaction on PostgreSQL.
    """
    issues: list[IntegrityIssue] = []
    present = set(schema.table_names)
    for table in schema.tables:
        for fk in table.foreign_keys:
            if fk.referred_table not in present:
                continue
            n = orphan_count(connection, schema, fk)
            if n:
                issues.append(IntegrityIssue(table.name, "orphans", fk.label, n, f"{n} rows reference no parent"))
        for key in dict.fromkeys(table.unique_keys()):
            if not key or not set(key) <= set(table.column_names):
                continue
            n = duplicate_count(connection, table, key)
            if n:
                issues.append(IntegrityIssue(table.name, "duplicate_key", ", ".join(key), n, f"{n} duplicate rows"))
        required = {c.name for c in table.columns if not c.nullable}
        if table.primary_key:
            required |= set(table.primary_key.constrained_columns)
        ordered = tuple(c for c in table.column_names if c in required)
        for column, n in null_counts(connection, table, ordered).items():
            if n:
                issues.append(IntegrityIssue(table.name, "not_null", column, n, f"{n} NULLs"))
        issues.extend(_sequence_issues(connection, table))
    for table in schema.tables:
        for check in table.check_constraints:
            label = check.name or check.sqltext
            try:
                with engine.connect() as own:
                    n = check_count(own, table, in_dialect(check.sqltext, schema.dialect, own.dialect.name))
                    own.rollback()
            except (SQLAlchemyError, sqlglot.errors.SqlglotError) as exc:
                reason = driver_reason(exc)
                log.warning("cannot evaluate CHECK %s on %s: %s", label, table.name, reason)
                issues.append(IntegrityIssue(table.name, "unchecked", label, 0, f"not evaluable on the target: {reason}"))
                continue
            if n:
                issues.append(IntegrityIssue(table.name, "check", label, n, f"{n} rows fail CHECK ({check.sqltext})"))
    return tuple(issues)
