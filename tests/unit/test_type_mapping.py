from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from relsynth.schema.elements import (
    CheckConstraint,
    ColumnType,
    Domain,
    QualifiedName,
    TypeKind,
)
from relsynth.schema.type_mapping import RawType, map_type

DIALECTS = {"postgresql": postgresql.dialect(), "mysql": mysql.dialect(), "sqlite": sqlite.dialect()}


def compiled(column_type: ColumnType, target: str, *, in_key: bool = False, domains=None) -> str:
    mapped = map_type(column_type, source="postgresql", target=target, in_key=in_key, domains=domains)
    return mapped.type.compile(dialect=DIALECTS[target])


JSONB = ColumnType(TypeKind.JSON, "jsonb")
UUID = ColumnType(TypeKind.UUID, "uuid")
TEXT_ARRAY = ColumnType(TypeKind.ARRAY, "text[]", item=ColumnType(TypeKind.TEXT, "text"), dimensions=1)
TIMESTAMPTZ = ColumnType(TypeKind.TIMESTAMP, "timestamp with time zone", timezone=True)
INTERVAL = ColumnType(TypeKind.INTERVAL, "interval")
TSVECTOR = ColumnType(TypeKind.OTHER, "tsvector")
RATING = ColumnType(
    TypeKind.ENUM, "mpaa_rating", enum=QualifiedName(None, "mpaa_rating"), enum_values=("G", "PG", "PG-13")
)


@pytest.mark.parametrize(
    ("column_type", "target", "expected"),
    [
        (JSONB, "mysql", "JSON"),
        (JSONB, "sqlite", "TEXT"),
        (UUID, "mysql", "CHAR(36)"),
        (TEXT_ARRAY, "mysql", "JSON"),
        (TEXT_ARRAY, "sqlite", "TEXT"),
        (TIMESTAMPTZ, "mysql", "DATETIME(6)"),
        (TSVECTOR, "mysql", "LONGTEXT"),
        (TSVECTOR, "sqlite", "TEXT"),
        (INTERVAL, "sqlite", "TEXT"),
        (INTERVAL, "mysql", "VARCHAR(64)"),
        (ColumnType(TypeKind.INTEGER, "bigint", precision=64), "mysql", "BIGINT"),
        (ColumnType(TypeKind.INTEGER, "smallint", precision=16), "mysql", "SMALLINT"),
        (ColumnType(TypeKind.DECIMAL, "numeric(5,2)", precision=5, scale=2), "mysql", "NUMERIC(5, 2)"),
        (ColumnType(TypeKind.TEXT, "character varying(40)", length=40), "mysql", "VARCHAR(40)"),
        (ColumnType(TypeKind.TEXT, "character(20)", length=20), "mysql", "CHAR(20)"),
        (ColumnType(TypeKind.BINARY, "bytea"), "mysql", "LONGBLOB"),
        (ColumnType(TypeKind.BOOLEAN, "boolean"), "mysql", "BOOL"),
    ],
)
def test_nearest_type_on_another_engine(column_type: ColumnType, target: str, expected: str) -> None:
    assert compiled(column_type, target) == expected


def test_lossy_mappings_say_what_was_lost() -> None:
    assert map_type(TIMESTAMPTZ, source="postgresql", target="mysql").warnings
    assert map_type(TEXT_ARRAY, source="postgresql", target="sqlite").warnings
    assert map_type(TSVECTOR, source="postgresql", target="mysql").warnings
    # lossless ones stay quiet
    assert not map_type(UUID, source="postgresql", target="mysql").warnings
    assert not map_type(JSONB, source="postgresql", target="mysql").warnings


def test_same_engine_uses_the_source_sql_verbatim() -> None:
    mapped = map_type(RATING, source="postgresql", target="postgresql")
    assert isinstance(mapped.type, RawType)
    assert mapped.type.compile(dialect=DIALECTS["postgresql"]) == "mpaa_rating"


def test_enum_becomes_mysql_enum_and_sqlite_text_with_check() -> None:
    assert compiled(RATING, "mysql") == "ENUM('G','PG','PG-13')"
    on_sqlite = map_type(RATING, source="postgresql", target="sqlite")
    assert on_sqlite.type.compile(dialect=DIALECTS["sqlite"]) == "TEXT"
    assert on_sqlite.checks == ("VALUE IN ('G', 'PG', 'PG-13')",)


def test_domain_becomes_its_base_type_plus_its_checks() -> None:
    year = Domain(
        QualifiedName(None, "year"),
        ColumnType(TypeKind.INTEGER, "integer", precision=32),
        nullable=False,
        checks=(CheckConstraint("year_check", "VALUE >= 1901 AND VALUE <= 2155"),),
    )
    column_type = ColumnType(TypeKind.OTHER, "year", domain=year.name)
    mapped = map_type(column_type, source="postgresql", target="mysql", domains={year.name: year})
    assert mapped.type.compile(dialect=DIALECTS["mysql"]) == "INTEGER"
    assert mapped.checks == ("VALUE >= 1901 AND VALUE <= 2155",)
    assert mapped.not_null


def test_mysql_keys_cannot_hold_unbounded_text_or_blob() -> None:
    text = ColumnType(TypeKind.TEXT, "text")
    assert compiled(text, "mysql") == "LONGTEXT"
    assert compiled(text, "mysql", in_key=True) == "VARCHAR(255)"
    assert map_type(text, source="postgresql", target="mysql", in_key=True).warnings
    assert compiled(ColumnType(TypeKind.BINARY, "bytea"), "mysql", in_key=True) == "VARBINARY(255)"
    assert compiled(UUID, "mysql", in_key=True) == "CHAR(36)"


def test_mysql_sources_map_to_postgresql() -> None:
    mapped = map_type(ColumnType(TypeKind.JSON, "JSON"), source="mysql", target="postgresql")
    assert mapped.type.compile(dialect=DIALECTS["postgresql"]) == "JSONB"
    inline_enum = ColumnType(TypeKind.ENUM, "enum('a','b')", enum_values=("a", "b"))
    on_pg = map_type(inline_enum, source="mysql", target="postgresql")
    assert on_pg.checks == ("VALUE IN ('a', 'b')",)


def test_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="oracle"):
        map_type(UUID, source="postgresql", target="oracle")


def test_every_kind_maps_on_every_engine() -> None:
    for kind in TypeKind:
        column_type = ColumnType(kind, "x", item=ColumnType(TypeKind.INTEGER, "integer") if kind is TypeKind.ARRAY else None)
        for target in ("mysql", "sqlite", "postgresql"):
            mapped = map_type(column_type, source="other", target=target)
            assert isinstance(mapped.type, sa.types.TypeEngine)
            mapped.type.compile(dialect=DIALECTS[target])
