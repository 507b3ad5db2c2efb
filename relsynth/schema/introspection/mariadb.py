"""MySQL/MariaDB specifics: what ``information_schema`` says that SQLAlchemy's reflection (which
parses SHOW CREATE TABLE) misses or garbles: JSON and spatial columns, foreign keys whose names
hold a backtick, doubled backticks in names, triggers and routines."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.schema.elements import Column, ColumnType, TypeKind

_SPATIAL = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection")
_NAME_KEYS = frozenset({"name", "constrained_columns", "referred_columns", "column_names", "referred_table"})


def column_types(connection: Connection, namespace: str) -> dict[tuple[str, str], str]:
    """(table, column) -> what SQLAlchemy does not say: ``json`` for MariaDB's JSON (longtext
    with a json_valid check), the type name of spatial columns (``point``, ``geometry``, ...)."""
    found: dict[tuple[str, str], str] = {}
    spatial = "'" + "','".join(_SPATIAL) + "'"
    rows = connection.exec_driver_sql(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = %s AND DATA_TYPE IN ({spatial})",
        (namespace,),
    )
    found.update({(t, c): str(d).lower() for t, c, d in rows})
    try:
        rows = connection.exec_driver_sql(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = %s AND LEVEL = 'Column'",
            (namespace,),
        )
    except sa.exc.DBAPIError:  # MySQL has no LEVEL column, and reports JSON columns as JSON itself
        return found
    for table, column, clause in rows:
        if re.fullmatch(rf"json_valid\(`{re.escape(column)}`\)", str(clause).strip(), re.IGNORECASE):
            found[(table, column)] = "json"
    return found


def refined(column: Column, found: str | None) -> Column:
    """``column`` with the type ``column_types`` found for it."""
    if found == "json" and column.type.kind is TypeKind.TEXT:
        return replace(column, type=ColumnType(kind=TypeKind.JSON, sql="JSON"), collation=None)
    if found in _SPATIAL:
        return replace(column, type=ColumnType(kind=TypeKind.OTHER, sql=found.upper()))
    return column


def foreign_keys(
    connection: Connection, namespace: str | None, real_ns: str
) -> dict[tuple[str | None, str], list[dict[str, Any]]]:
    """Foreign keys from information_schema, in the inspector's shape.

    SQLAlchemy parses them out of SHOW CREATE TABLE and silently skips one whose names hold
    a backtick; the catalog has them all.
    """
    rows = connection.execute(
        sa.text(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME,"
            " k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE"
            " FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
            " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME"
            " WHERE k.TABLE_SCHEMA = :s AND k.REFERENCED_TABLE_NAME IS NOT NULL"
            " ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
        ),
        {"s": real_ns},
    ).all()
    found: dict[tuple[str | None, str], dict[str, dict[str, Any]]] = {}
    for table, name, column, ref_schema, ref_table, ref_column, on_update, on_delete in rows:
        fk = found.setdefault((namespace, table), {}).setdefault(name, {
            "name": name, "constrained_columns": [], "referred_table": ref_table, "referred_columns": [],
            "referred_schema": None if ref_schema == real_ns else ref_schema,
            # MySQL's RESTRICT is NO ACTION (checked at once either way): both are the default
            "options": {k: v for k, v in (("onupdate", on_update), ("ondelete", on_delete)) if v not in ("RESTRICT", "NO ACTION")},
        })
        fk["constrained_columns"].append(column)
        fk["referred_columns"].append(ref_column)
    return {key: list(by_name.values()) for key, by_name in found.items()}


def unescape_backticks(multi: dict[Any, Any]) -> dict[Any, Any]:
    """SQLAlchemy's MySQL reflection parses SHOW CREATE TABLE and keeps a name's backticks doubled."""

    def name(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("``", "`")
        return [name(v) for v in value] if isinstance(value, list) else value

    def item(entry: dict[str, Any]) -> dict[str, Any]:
        return {key: name(value) if key in _NAME_KEYS else value for key, value in entry.items()}

    return {key: [item(e) for e in value] if isinstance(value, list) else item(value) for key, value in multi.items()}


def unsupported_objects(connection: Connection, namespaces: list[str]) -> list[str]:
    """One warning per trigger and routine: relsynth does not carry them from MySQL."""
    found: list[str] = []
    for schema in namespaces:
        rows = connection.execute(
            sa.text(
                "SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = :s "
                "UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME FROM information_schema.ROUTINES "
                "WHERE ROUTINE_SCHEMA = :s ORDER BY 1, 2"
            ),
            {"s": schema},
        )
        found += [f"{kind} {schema}.{name} is not carried to the target" for kind, name in rows]
    return found
