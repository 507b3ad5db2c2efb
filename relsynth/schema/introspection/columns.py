"""Columns and their types: SQLAlchemy's reflected types -> ``ColumnType`` (kind, length,
precision, time zone, enum labels, array items), identity and generated columns."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import sqltypes

from relsynth.engines import Catalog
from relsynth.schema.elements import Column, ColumnType, Identity, TypeKind
from relsynth.schema.introspection import pg_catalog, sqlite

if TYPE_CHECKING:
    from relsynth.schema.introspection.postgresql import PgState
    from relsynth.schema.introspection.reader import Reader

log = logging.getLogger("relsynth.schema.introspection")

_INTEGER_BITS = {sqltypes.SmallInteger: 16, sqltypes.BigInteger: 64}


def read_column(
    reader: Reader,
    namespace: str,
    table: str,
    col: dict[str, Any],
    pg: PgState | None,
    pk_columns: tuple[str, ...],
    sqlite_sql: str | None,
) -> Column:
    """One reflected column as a ``Column``; ``pg`` and ``sqlite_sql`` add what the Inspector lacks."""
    extra = pg.columns.get((namespace, table, col["name"])) if pg is not None else None
    column_type = _column_type(reader, col["type"], extra)
    identity = None
    sequence = None
    default = col.get("default")
    if col.get("identity"):
        ident = col["identity"]
        identity = Identity(
            always=bool(ident.get("always")),
            start=int(ident.get("start") or 1),
            increment=int(ident.get("increment") or 1),
        )
    elif reader.auto_increment and col.get("autoincrement") is True:
        identity = Identity()
    elif reader.catalog is Catalog.SQLITE_MASTER and sqlite.is_rowid_alias(reader.connection, table, col, pk_columns, sqlite_sql):
        identity = Identity()
        col = dict(col, nullable=False)  # the rowid is never NULL, whatever the pragma says
    if extra is not None and extra.serial_sequence is not None:
        sequence = reader.qualified(*extra.serial_sequence)
    computed = col.get("computed")
    if computed is not None and not computed.get("sqltext") and sqlite_sql:
        computed = dict(computed, sqltext=sqlite.generated_expression(sqlite_sql, col["name"]) or "")
    collation = extra.collation if extra is not None else getattr(col["type"], "collation", None)
    return Column(
        name=col["name"],
        type=column_type,
        nullable=bool(col.get("nullable", True)),
        default=None if computed else default,
        identity=identity,
        sequence=sequence,
        computed=computed["sqltext"] if computed else None,
        computed_stored=bool(computed.get("persisted", True)) if computed else True,
        comment=col.get("comment"),
        collation=collation,
    )


def _column_type(reader: Reader, type_: sqltypes.TypeEngine[Any], extra: pg_catalog.ColumnExtra | None) -> ColumnType:
    if extra is not None:
        sql = extra.sql
    else:
        sql = compile_type(reader, type_)
    built = build_type(reader, type_, sql)
    if extra is not None and built.kind is TypeKind.ARRAY and extra.dimensions > built.dimensions:
        built = replace(built, dimensions=extra.dimensions)  # declared integer[][]: attndims
    if extra is not None and extra.domain is not None:
        built = replace(built, domain=reader.qualified(*extra.domain))
    return built


def compile_type(reader: Reader, type_: sqltypes.TypeEngine[Any]) -> str:
    """The type's SQL as the source engine writes it, without its collation."""
    if isinstance(type_, sqltypes.NullType):
        return ""
    try:
        if getattr(type_, "collation", None):
            # The collation is a column property here, not part of the type text.
            type_ = type_.copy()
            type_.collation = None  # type: ignore[attr-defined]
        return type_.compile(dialect=reader.dialect)
    except Exception as exc:  # a type the dialect cannot print: keep its class name
        log.debug("cannot compile %r: %s", type_, exc)
        return str(type(type_).__name__)


def build_type(reader: Reader, type_: sqltypes.TypeEngine[Any], sql: str) -> ColumnType:
    """A ``ColumnType`` from a reflected SQLAlchemy type and its SQL text."""
    if reader.named_types and type(type_).__name__ == "DOMAIN":
        type_ = type_.data_type  # type: ignore[attr-defined]  # the domain itself is recorded apart
    kind = type_kind(type_)
    if kind is TypeKind.ARRAY:
        item_type = type_.item_type  # type: ignore[attr-defined]
        item_sql = re.sub(r"(\[\d*\])+$", "", sql) if sql.endswith("]") else compile_type(reader, item_type)
        dims = getattr(type_, "dimensions", None) or max(sql.count("[]"), 1)
        return ColumnType(kind=kind, sql=sql, item=build_type(reader, item_type, item_sql), dimensions=dims)
    length = precision = scale = None
    timezone = False
    enum = None
    enum_values: tuple[str, ...] = ()
    if kind is TypeKind.ENUM:
        enum_values = tuple(type_.enums)  # type: ignore[attr-defined]
        enum_name = getattr(type_, "name", None)
        if enum_name and reader.named_types:
            enum = reader.qualified(getattr(type_, "schema", None), enum_name)
    elif kind is TypeKind.TEXT or kind is TypeKind.BINARY:
        length = getattr(type_, "length", None)
    elif kind in (TypeKind.DECIMAL, TypeKind.FLOAT):
        precision = getattr(type_, "precision", None)
        scale = getattr(type_, "scale", None) if kind is TypeKind.DECIMAL else None
        if type(type_).__name__ == "MONEY":
            precision, scale = 19, 2  # a 64-bit count of cents
    elif kind is TypeKind.INTEGER:
        precision = next((bits for cls, bits in _INTEGER_BITS.items() if isinstance(type_, cls)), 32)
        if getattr(type_, "unsigned", False):
            precision += 1  # MySQL's INT UNSIGNED holds 2**32 - 1: a bigint elsewhere
    elif kind in (TypeKind.TIMESTAMP, TypeKind.TIME):
        timezone = bool(getattr(type_, "timezone", False))
        precision = getattr(type_, "precision", None) or getattr(type_, "fsp", None)
    return ColumnType(
        kind=kind,
        sql=sql,
        length=length,
        precision=precision,
        scale=scale,
        timezone=timezone,
        enum=enum,
        enum_values=enum_values,
    )


def type_kind(type_: sqltypes.TypeEngine[Any]) -> TypeKind:
    """The logical kind of a reflected SQLAlchemy type; anything unknown is OTHER."""
    checks: list[tuple[type | tuple[type, ...], TypeKind]] = [
        (sqltypes.NullType, TypeKind.OTHER),
        (sqltypes.ARRAY, TypeKind.ARRAY),
        (sqltypes.Enum, TypeKind.ENUM),
        (sqltypes.Boolean, TypeKind.BOOLEAN),
        (sqltypes.Integer, TypeKind.INTEGER),
        (sqltypes.Float, TypeKind.FLOAT),
        (sqltypes.Numeric, TypeKind.DECIMAL),
        (sqltypes.DateTime, TypeKind.TIMESTAMP),
        (sqltypes.Date, TypeKind.DATE),
        (sqltypes.Time, TypeKind.TIME),
        (sqltypes._AbstractInterval, TypeKind.INTERVAL),
        (sqltypes.Uuid, TypeKind.UUID),
        (sqltypes.JSON, TypeKind.JSON),
        (sqltypes._Binary, TypeKind.BINARY),
    ]
    if type(type_).__name__ == "MONEY":
        return TypeKind.DECIMAL  # PostgreSQL's money: a number of cents, read and written as numeric
    if type(type_).__name__ == "TINYINT" and getattr(type_, "display_width", None) == 1:
        return TypeKind.BOOLEAN  # MySQL's BOOLEAN is TINYINT(1)
    for cls, kind in checks:
        if isinstance(type_, cls):
            return kind
    if isinstance(type_, sqltypes.String):
        name = type(type_).__name__.upper()
        if name in ("SET",):  # MySQL SET: a multi-valued enum, carried as text by the source
            return TypeKind.OTHER
        return TypeKind.TEXT
    name = type(type_).__name__.upper()
    if name == "YEAR":
        return TypeKind.INTEGER
    return TypeKind.OTHER


def type_from_sql(reader: Reader, sql: str) -> ColumnType:
    """A ColumnType from PostgreSQL's type text (for domain base types, which the Inspector gives as text)."""
    base = re.sub(r"\(.*\)", "", sql).replace("[]", "").strip()
    args = [int(a) for a in re.findall(r"\d+", sql.partition("(")[2].partition(")")[0])] if "(" in sql else []
    names = reader.dialect.ischema_names  # type: ignore[attr-defined]
    type_cls = names.get(base)
    if type_cls is None and base.endswith((" with time zone", " without time zone")):
        type_cls = names.get(base.replace(" with time zone", "").replace(" without time zone", ""))
        type_cls = type_cls or names.get("timestamp")
    if type_cls is None:
        return ColumnType(kind=TypeKind.OTHER, sql=sql)
    try:
        type_ = type_cls()
    except TypeError:
        return ColumnType(kind=TypeKind.OTHER, sql=sql)
    if sql.endswith("[]"):
        item = build_type(reader, type_, sql[:-2])
        return ColumnType(kind=TypeKind.ARRAY, sql=sql, item=item, dimensions=sql.count("[]"))
    built = build_type(reader, type_, sql)
    if built.kind is TypeKind.TEXT and args:
        built = replace(built, length=args[0])
    elif built.kind is TypeKind.DECIMAL and args:
        built = replace(built, precision=args[0], scale=args[1] if len(args) > 1 else 0)
    if "with time zone" in sql:
        built = replace(built, timezone=True)
    return built

