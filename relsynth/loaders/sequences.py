"""Moving auto-numbering past the loaded keys.

Rows are loaded with their keys written explicitly, which leaves serial sequences, identity
columns and auto-increment counters where they were; the application's next insert would then
collide with a loaded key. ``reset_sequences`` sets each counter past its column's largest value.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.engines import SequenceReset, capabilities_for
from relsynth.errors import LoadError
from relsynth.loaders.generic import driver_message, quote_name
from relsynth.schema.elements import Column, QualifiedName, Schema, Table, TypeKind

logger = logging.getLogger(__name__)


def reset_sequences(
    connection: Connection,
    schema: Schema,
    *,
    target_names: Mapping[QualifiedName, QualifiedName] | None = None,
) -> int:
    """Set every serial / identity / auto-increment counter past the largest value in its column.

    ``target_names`` maps a table's name in ``schema`` to its name in the target when they differ.
    Returns the number of counters set. On MySQL/MariaDB the ``ALTER TABLE`` this may need commits
    the open transaction implicitly, so call it after the data is committed.
    """
    caps = capabilities_for(connection.dialect.name)
    names = target_names or {}
    reset = 0
    try:
        if caps.sequence_reset is SequenceReset.SETVAL:
            for target, column, fallback in _postgres_counters(schema, names):
                reset += _setval(connection, target, column, fallback)
        else:
            for table in schema.tables:
                target = names.get(table.name, table.name)
                for column in table.columns:
                    if column.identity is None or column.type.kind is not TypeKind.INTEGER:
                        continue
                    if caps.sequence_reset is SequenceReset.AUTO_INCREMENT:
                        reset += _auto_increment(connection, target, column.name)
                    else:
                        reset += _sqlite_sequence(connection, target, column.name)
    except sa.exc.DBAPIError as exc:
        reason = driver_message(exc)
        raise LoadError(
            f"cannot reset the sequences after loading: {reason}; the data is loaded but the next "
            "insert that draws a key may collide"
        ) from exc
    return reset


def _is_serial(column: Column) -> bool:
    if column.type.kind is not TypeKind.INTEGER:
        return False
    default = (column.default or "").lower()
    return column.identity is not None or column.sequence is not None or "nextval(" in default


def _postgres_counters(
    schema: Schema, names: Mapping[QualifiedName, QualifiedName]
) -> Iterator[tuple[QualifiedName, str, QualifiedName | None]]:
    """(target table, column, sequence name to use when the column owns none), each once."""
    seen: set[tuple[QualifiedName, str]] = set()
    tables = {table.name: table for table in schema.tables}

    def emit(table: Table, column: str, sequence: QualifiedName | None):
        target = names.get(table.name, table.name)
        if (target, column) in seen:
            return
        seen.add((target, column))
        if sequence is not None and target.schema != table.name.schema and sequence.schema == table.name.schema:
            sequence = QualifiedName(target.schema, sequence.name)  # moved along with its table
        yield target, column, sequence

    for table in schema.tables:
        for column in table.columns:
            if _is_serial(column):
                yield from emit(table, column.name, column.sequence)
    for sequence in schema.sequences:  # standalone sequences owned by a column
        if sequence.owned_by is not None and sequence.owned_by[0] in tables:
            yield from emit(tables[sequence.owned_by[0]], sequence.owned_by[1], sequence.name)


def _setval(connection: Connection, target: QualifiedName, column: str, fallback: QualifiedName | None) -> int:
    # pg_get_serial_sequence finds the sequence behind serial and identity columns alike; an
    # unowned sequence named in the column's default is the fallback. Empty tables are left alone.
    quoted_column = connection.dialect.identifier_preparer.quote_identifier(column)
    statement = sa.text(
        "SELECT setval(CAST(s.seq AS regclass), m.top, true) "
        f"FROM (SELECT MAX({quoted_column}) AS top FROM {quote_name(connection, target)}) AS m, "
        "(SELECT COALESCE(pg_get_serial_sequence(:table, :column), :fallback) AS seq) AS s "
        "WHERE m.top IS NOT NULL AND s.seq IS NOT NULL"
    )
    value = connection.execute(
        statement,
        {
            "table": quote_name(connection, target),
            "column": column,
            "fallback": None if fallback is None else quote_name(connection, fallback),
        },
    ).scalar()
    if value is not None:
        logger.debug("sequence of %s.%s set to %s", target, column, value)
    return int(value is not None)


def _auto_increment(connection: Connection, target: QualifiedName, column: str) -> int:
    quoted = connection.dialect.identifier_preparer.quote_identifier(column)
    table = quote_name(connection, target)
    top = connection.exec_driver_sql(f"SELECT MAX({quoted}) FROM {table}").scalar()
    if top is None:
        return 0
    current = connection.execute(
        sa.text(
            "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :name"
        ),
        {"schema": target.schema, "name": target.name},
    ).scalar()
    # InnoDB already moves its counter past explicit keys; ALTER (an implicit commit) only if it lags.
    if current is not None and int(current) > int(top):
        return 1
    connection.exec_driver_sql(f"ALTER TABLE {table} AUTO_INCREMENT = {int(top) + 1}")
    return 1


def _sqlite_sequence(connection: Connection, target: QualifiedName, column: str) -> int:
    master = "sqlite_master" if target.schema is None else f"{_quote(connection, target.schema)}.sqlite_master"
    sql = connection.execute(
        sa.text(f"SELECT sql FROM {master} WHERE type = 'table' AND name = :name"), {"name": target.name}
    ).scalar()
    if sql is None or "autoincrement" not in sql.lower():
        return 0  # a rowid alias: SQLite already continues after the largest rowid
    # AUTOINCREMENT counts rowids, whichever column aliases the rowid.
    top = connection.exec_driver_sql(f"SELECT MAX(rowid) FROM {quote_name(connection, target)}").scalar()
    if top is None:
        return 0
    sequence_table = (
        "sqlite_sequence" if target.schema is None else f"{_quote(connection, target.schema)}.sqlite_sequence"
    )
    updated = connection.execute(
        sa.text(f"UPDATE {sequence_table} SET seq = :top WHERE name = :name AND seq < :top"),
        {"top": int(top), "name": target.name},
    ).rowcount
    if not updated:
        exists = connection.execute(
            sa.text(f"SELECT 1 FROM {sequence_table} WHERE name = :name"), {"name": target.name}
        ).scalar()
        if exists is None:
            connection.execute(
                sa.text(f"INSERT INTO {sequence_table} (name, seq) VALUES (:name, :top)"),
                {"top": int(top), "name": target.name},
            )
    return 1


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)
