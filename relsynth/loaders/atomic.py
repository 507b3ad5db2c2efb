"""Writing a whole target all or nothing: tables, rows, keys, indexes and sequences.

- Where DDL is transactional (PostgreSQL; SQLite once its driver leaves BEGIN to SQLAlchemy) it
  all happens in one transaction. A failure, Ctrl-C or SIGTERM rolls it back, and so does a killed
  process (the server aborts the transaction; SQLite's journal undoes it on the next open).
- Where DDL commits on its own but several tables rename in one atomic statement (MariaDB/MySQL),
  the clone is built under staging names beside the target's tables (``relsynth.loaders.staging``)
  and one ``RENAME TABLE`` swaps it in, and the tables it replaces out. Until then the target's own
  tables are untouched; a failure, Ctrl-C or SIGTERM drops the staging tables through a fresh
  connection once the interrupted one is killed, so a statement cut midway cannot outlive the
  clean-up. A killed process can leave only tables named ``_rs_<token>_...``, never a half target.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace as replaced

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from relsynth.connections import create_target_engine, dialect_name, redact
from relsynth.errors import ConfigurationError, LoadError, driver_reason
from relsynth.interrupts import signals_deferred
from relsynth.loaders.sequences import reset_sequences
from relsynth.loaders.staging import (
    StagingNames,
    clashing,
    drop_staging,
    finish_swap,
    swap_statement,
    taken_foreign_keys,
)
from relsynth.schema.ddl import SchemaWriter, apply_post_data, apply_pre_data
from relsynth.schema.elements import QualifiedName, Schema

log = logging.getLogger(__name__)

# Writes the rows into the tables ``writer`` names, inside the caller's transaction.
RowWriter = Callable[[Connection, SchemaWriter], None]


def write_target(target_url: str, schema: Schema, write_rows: RowWriter, *, replace: bool = False) -> tuple[str, ...]:
    """Create ``schema`` in the target, let ``write_rows`` fill it, then add keys and sequences.

    Either all of it is there at the end, or the target is as it was (with ``replace``: its
    previous tables, rows and all). Returns what the target could not hold, one line each.
    """
    writer = SchemaWriter(schema, dialect_name(target_url))
    caps = writer.capabilities
    if not (caps.transactional_ddl or caps.atomic_rename):
        raise ConfigurationError(f"relsynth cannot load {writer.dialect} atomically: it has neither transactional DDL nor atomic renames")
    engine = create_target_engine(target_url)
    try:
        if caps.transactional_ddl:
            _in_one_transaction(engine, writer, write_rows, replace=replace)
            return writer.warnings
        return _staged(engine, writer, write_rows, replace=replace)
    except sa.exc.SQLAlchemyError as exc:
        reason = driver_reason(exc)
        raise LoadError(f"loading into {redact(target_url)} failed: {reason}; the target was left as it was") from exc
    finally:
        engine.dispose()


def _target_names(writer: SchemaWriter) -> dict[QualifiedName, QualifiedName]:
    return {t.name: writer.table_name(t.name) for t in writer.schema.tables}


def _verify_foreign_keys(connection: Connection, writer: SchemaWriter) -> None:
    """Where foreign keys are not enforced as rows load (SQLite), check them all at once."""
    if not writer.capabilities.verify_foreign_keys:
        return
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if violations:
        table, rowid, parent, _ = violations[0]
        raise LoadError(
            f"{len(violations)} row(s) violate a foreign key, e.g. row {rowid} of {table} -> {parent}; "
            "this is a generation bug: please report it; the target was left as it was"
        )


def _in_one_transaction(engine: Engine, writer: SchemaWriter, write_rows: RowWriter, *, replace: bool) -> None:
    # Leaving the block by any exception, KeyboardInterrupt included, rolls everything back.
    with engine.connect() as connection, connection.begin():
        apply_pre_data(connection, writer, replace=replace)
        write_rows(connection, writer)
        _verify_foreign_keys(connection, writer)
        apply_post_data(connection, writer)
        reset_sequences(connection, writer.schema, target_names=_target_names(writer))


def _build(connection: Connection, staged: SchemaWriter, write_rows: RowWriter) -> None:
    """Tables, rows, keys and counters, all under staging names; each DDL statement commits."""
    apply_pre_data(connection, staged)
    connection.commit()  # DDL has committed already; this ends SQLAlchemy's transaction too
    with connection.begin():
        write_rows(connection, staged)
    apply_post_data(connection, staged, by_name=False)
    connection.commit()
    reset_sequences(connection, staged.schema, target_names=_target_names(staged))
    connection.commit()


def _staged(engine: Engine, final: SchemaWriter, write_rows: RowWriter, *, replace: bool) -> tuple[str, ...]:
    autocommit = {"isolation_level": "AUTOCOMMIT"}
    with engine.connect().execution_options(**autocommit) as connection:
        found = clashing(connection, final, replace=replace)
        names = StagingNames.fresh(final.capabilities.max_identifier_length, taken_foreign_keys(connection, found))
    # Views and triggers name the final tables: they are created after the swap, from ``final``.
    schema = replaced(final.schema, views=(), triggers=())
    staged = SchemaWriter(schema, final.dialect, validate_not_valid=final.validate_not_valid, staging=names)
    connection = engine.connect()
    connection_id = connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar()
    connection.commit()
    swapped = False
    try:
        _build(connection, staged, write_rows)
        # The swap is the point of no return: a signal before it undoes the load; one during or
        # after it waits until the clone is complete, and is then not reported as a stop.
        with signals_deferred(reraise=False) as received:
            connection.exec_driver_sql(swap_statement(final, staged, found, names))
            swapped = True
            warnings = finish_swap(connection, final, staged, found, names)
            connection.commit()
            connection.close()
    except BaseException:
        if not swapped:
            log.info("loading failed or was stopped: dropping the staging tables")
            with signals_deferred(reraise=False):
                drop_staging(engine, connection, connection_id, staged)
        raise
    if received:
        log.warning("a stop signal arrived while the clone was being swapped in; the clone is complete")
    return tuple(dict.fromkeys([*staged.warnings, *final.warnings, *warnings]))
