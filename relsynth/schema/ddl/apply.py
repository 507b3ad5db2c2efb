"""Running a writer's statements on a target: halves on an open connection (so that the data load
can sit between them in one transaction), or the whole schema against a URL."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from relsynth.connections import create_target_engine, dialect_name, redact
from relsynth.errors import SchemaCreationError
from relsynth.schema.ddl.clashes import check_target, drop_in_dependency_order, replace_statements
from relsynth.schema.ddl.statements import Statement, one_line, short
from relsynth.schema.ddl.writer import SchemaWriter
from relsynth.schema.elements import Schema

log = logging.getLogger("relsynth.schema.ddl")


@dataclass(frozen=True)
class CloneSchemaResult:
    statements: tuple[str, ...]  # every statement executed, in order
    warnings: tuple[str, ...]  # what the target could not hold, one line each


def _execute(connection: Connection, writer: SchemaWriter, statements: list[Statement]) -> list[str]:
    done: list[str] = []
    transactional = writer.capabilities.transactional_ddl
    for statement in statements:
        try:
            if statement.optional and transactional:
                with connection.begin_nested():
                    connection.exec_driver_sql(statement.sql)
            else:
                connection.exec_driver_sql(statement.sql)
        except SQLAlchemyError as exc:
            if statement.optional:
                what = statement.label or short(statement.sql)
                writer._warn(f"{what} is not created: {writer.dialect} refused it: {one_line(exc)}")
                continue
            if not transactional:
                drop_created(connection, writer)
            raise SchemaCreationError(
                f"the target refused `{short(statement.sql)}`: {one_line(exc)}; "
                + (
                    "nothing was kept (the transaction was rolled back)"
                    if transactional
                    else "what relsynth had created was dropped again"
                )
            ) from exc
        done.append(statement.sql)
    return done


def drop_created(connection: Connection, writer: SchemaWriter) -> None:
    """Drop everything ``writer`` creates (best effort, reverse order): the clean-up on engines
    without transactional DDL, after a failure."""
    for statement in writer.drop_statements():
        try:
            connection.exec_driver_sql(statement)
        except SQLAlchemyError as exc:  # keep cleaning; report once
            log.warning("clean-up statement failed: %s: %s", short(statement), one_line(exc))
    if connection.in_transaction():
        connection.commit()


def apply_pre_data(connection: Connection, writer: SchemaWriter, *, replace: bool = False) -> list[str]:
    """Check the target, drop clashing objects when ``replace``, then run ``writer.pre_data()``.

    Raises ``TargetNotEmpty`` when the target holds an object the writer would create and
    ``replace`` is False. On PostgreSQL run it inside the caller's transaction; elsewhere a failure
    drops what was created before ``SchemaCreationError`` is raised. Returns the statements run.
    """
    found = check_target(connection, writer, replace=replace)
    executed: list[str] = []
    if found:
        log.info("dropping %d clashing object(s) in the target", len(found))
        drops = replace_statements(writer, found)
        if writer.capabilities.transactional_ddl:
            executed += drop_in_dependency_order(connection, drops)
        else:
            executed += _execute(connection, writer, [Statement(s) for s in drops])
    executed += _execute(connection, writer, writer._pre)
    return executed


def apply_post_data(connection: Connection, writer: SchemaWriter, *, by_name: bool | None = None) -> list[str]:
    """Run ``writer.post_data()`` (keys, indexes, foreign keys, views, comments) after the data.

    ``by_name``: True runs only the statements that name other tables (views, triggers), False
    only the others, None all of them.
    """
    statements = [s for s in writer._post if by_name is None or s.by_name == by_name]
    return _execute(connection, writer, statements)


def clone_schema(
    schema: Schema, target_url: str, *, replace: bool = False, validate_not_valid: bool = True
) -> CloneSchemaResult:
    """Create ``schema``'s tables, keys, indexes and views (no rows) in the database at ``target_url``.

    PostgreSQL runs it all in one transaction; MySQL and SQLite drop what was created when a
    statement fails. Raises ``TargetNotEmpty`` (see ``replace``) or ``SchemaCreationError``.
    """
    writer = SchemaWriter(schema, dialect_name(target_url), validate_not_valid=validate_not_valid)
    engine = create_target_engine(target_url)
    log.info("creating %d table(s) in %s", len(schema.tables), redact(target_url))
    try:
        with engine.connect() as connection:
            if writer.capabilities.transactional_ddl:
                with connection.begin():
                    executed = apply_pre_data(connection, writer, replace=replace)
                    executed += apply_post_data(connection, writer)
            else:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                executed = apply_pre_data(connection, writer, replace=replace)
                executed += apply_post_data(connection, writer)
    finally:
        engine.dispose()
    return CloneSchemaResult(statements=tuple(executed), warnings=writer.warnings)
