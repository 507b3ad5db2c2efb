"""A target that already holds what the writer would create: found, refused, or (``--replace``)
dropped, exactly those objects and in an order their dependencies allow."""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from relsynth.errors import SchemaCreationError, TargetNotEmpty
from relsynth.schema.ddl.statements import one_line, short
from relsynth.schema.ddl.writer import SchemaWriter
from relsynth.schema.elements import QualifiedName
from relsynth.schema.introspection import existing_relations, named_object_exists

_ROUTINE_DROPS = ("DROP FUNCTION ", "DROP PROCEDURE ", "DROP AGGREGATE ")


def existing(connection: Connection, writer: SchemaWriter) -> list[tuple[str, str]]:
    """(kind, name) of every object ``writer`` would create that the target already holds."""
    wanted_tables = {(n.schema, n.name) for n in writer.created_tables}
    wanted_views = {(n.schema, n.name) for n in writer.created_views}
    found: list[tuple[str, str]] = []
    namespaces = sorted({s for s, _ in wanted_tables | wanted_views}, key=lambda s: s or "")
    for namespace, relations in existing_relations(connection, namespaces).items():
        for schema_name, name in sorted(wanted_tables | wanted_views, key=lambda x: x[1]):
            if schema_name != namespace:
                continue
            label = name if schema_name is None else f"{schema_name}.{name}"
            if name in relations.tables:
                found.append(("TABLE", label))
            elif name in relations.views:
                found.append(("VIEW", label))
    if writer.capabilities.named_types and writer.same_engine:
        default = writer.capabilities.default_namespace
        for kind, objects, sequence in (
            ("TYPE", writer.schema.enums, False),
            ("DOMAIN", writer.schema.domains, False),
            ("SEQUENCE", writer.schema.sequences, True),
        ):
            for obj in objects:
                name = QualifiedName(obj.name.schema or default, obj.name.name)
                if named_object_exists(connection, name, sequence=sequence):
                    found.append((kind, str(obj.name)))
    return found


def not_empty(found: list[tuple[str, str]]) -> TargetNotEmpty:
    names = ", ".join(label for _, label in found)
    return TargetNotEmpty(
        f"the target already holds {len(found)} object(s) that relsynth would create: {names}; "
        "use --replace to drop exactly these first, or choose an empty target"
    )


def refuse_clashes(connection: Connection, writer: SchemaWriter) -> None:
    """Raise ``TargetNotEmpty`` when the target holds an object ``writer`` would create: the check
    ``apply_pre_data`` makes, run before anything is learnt so that a refusal comes at once."""
    found = existing(connection, writer)
    if found:
        raise not_empty(found)


def check_target(connection: Connection, writer: SchemaWriter, *, replace: bool) -> list[tuple[str, str]]:
    """(kind, name) of the objects ``writer`` would create that the target already holds.

    Raises ``TargetNotEmpty`` when there are any and ``replace`` is False.
    """
    found = existing(connection, writer)
    if found and not replace:
        raise not_empty(found)
    return found


def replace_statements(writer: SchemaWriter, found: list[tuple[str, str]]) -> list[str]:
    """Drops of exactly the clashing objects, in dependency order; nothing else is touched."""
    clashing = {label for _, label in found}
    keep = [s for s in writer.drop_statements() if not s.startswith("DROP TABLE")]
    statements = [s for s in keep if any(_mentions(s, label, writer) for label in clashing) or s.startswith("SET")]
    tables = [n for n in writer.created_tables if str(n) in clashing]
    if not tables:
        return [s for s in statements if not s.startswith("SET")]
    quoted = [writer._quote(n) for n in reversed(tables)]
    if writer.capabilities.drop_tables_together:
        table_drops = [f"DROP TABLE {', '.join(quoted)}"]
    else:
        table_drops = [f"DROP TABLE {q}" for q in quoted]
    views = [s for s in statements if " VIEW " in s]
    rest = [s for s in statements if " VIEW " not in s and not s.startswith("SET")]
    # The schema's own routines are re-created (CREATE OR REPLACE); one taking a table's row type
    # would keep that table from being dropped, so they go too.
    routines = [s for s in keep if s.startswith(_ROUTINE_DROPS)]
    rest = [s for s in rest if s not in routines]
    if writer.capabilities.foreign_key_checks_switch:
        table_drops = ["SET FOREIGN_KEY_CHECKS = 0", *table_drops, "SET FOREIGN_KEY_CHECKS = 1"]
    return views + routines + table_drops + rest


def drop_in_dependency_order(connection: Connection, statements: list[str]) -> list[str]:
    """Run the drops, each in a savepoint; one that another object still needs is retried after
    the others, until all are done (no CASCADE: nothing outside the list is ever dropped)."""
    pending, done = list(statements), []
    while pending:
        refused: list[tuple[str, SQLAlchemyError]] = []
        for statement in pending:
            try:
                with connection.begin_nested():
                    connection.exec_driver_sql(statement)
                done.append(statement)
            except SQLAlchemyError as exc:
                refused.append((statement, exc))
        if len(refused) == len(pending):
            statement, exc = refused[0]
            raise SchemaCreationError(
                f"--replace cannot drop `{short(statement)}`: {one_line(exc)}; "
                "nothing was kept (the transaction was rolled back)"
            ) from exc
        pending = [statement for statement, _ in refused]
    return done


def _mentions(statement: str, label: str, writer: SchemaWriter) -> bool:
    schema, _, name = label.rpartition(".")
    quoted = writer._quote(QualifiedName(schema or None, name))
    return statement.endswith(" " + quoted)
