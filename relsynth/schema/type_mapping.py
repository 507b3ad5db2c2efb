"""Column types across engines: each ``ColumnType`` -> the nearest type the target engine has.

Same engine: the source's own SQL (``ColumnType.sql``) verbatim. Another engine: the nearest
SQLAlchemy type for the logical kind, plus, where the target cannot say it with a type alone, a
CHECK expression (enum labels on SQLite, a domain's checks) and one warning line per loss.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import UserDefinedType

from relsynth.engines import capabilities_for
from relsynth.errors import ConfigurationError
from relsynth.schema.elements import ColumnType, Domain, QualifiedName, TypeKind
from relsynth.values.families import base_name

DIALECTS = ("postgresql", "mysql", "sqlite")

# MySQL/MariaDB: utf8mb4 keys may hold 3072 bytes, so a keyed text column becomes VARCHAR(255).
MYSQL_KEY_VARCHAR = 255
MYSQL_MAX_VARCHAR = 16383  # utf8mb4 characters in a 65,535-byte row
# PostgreSQL ``numeric`` without precision has no MySQL equivalent; this is the widest that keeps cents.
MYSQL_UNBOUNDED_DECIMAL = (38, 10)


class RawType(UserDefinedType):
    """A type written exactly as the source engine wrote it (same-engine clones)."""

    cache_ok = True

    def __init__(self, sql: str, integer: bool = False) -> None:
        self.sql = sql
        self.integer = integer  # an integer type, so SQLAlchemy lets it AUTO_INCREMENT

    @property
    def _type_affinity(self):  # type: ignore[override]
        return sa.Integer if self.integer else super()._type_affinity

    def get_col_spec(self, **kw: object) -> str:
        return self.sql


@dataclass(frozen=True)
class TargetType:
    """What a column becomes on the target: its type, an extra CHECK, and what was lost."""

    type: sa.types.TypeEngine
    # A boolean SQL expression over the placeholder ``VALUE`` (as in a PostgreSQL domain) that the
    # column must satisfy on the target; the writer substitutes the quoted column name.
    checks: tuple[str, ...] = ()
    not_null: bool = False  # a domain's NOT NULL
    default: str | None = None  # a domain's default, as source SQL
    warnings: tuple[str, ...] = ()


def map_type(
    column_type: ColumnType,
    *,
    source: str,
    target: str,
    domains: Mapping[QualifiedName, Domain] | None = None,
    in_key: bool = False,
) -> TargetType:
    """The nearest ``target`` type for ``column_type`` read from a ``source`` engine.

    ``in_key`` says that the column is part of a primary key, unique constraint, index or foreign
    key: MySQL cannot index unbounded TEXT/BLOB, so such a column becomes VARCHAR/VARBINARY.
    ``domains`` resolves a domain-typed column to its base type and checks on another engine.
    """
    if target not in DIALECTS:
        raise ValueError(f"unknown target dialect {target!r}; expected one of {', '.join(DIALECTS)}")
    if source == target:
        return TargetType(RawType(column_type.sql, integer=column_type.kind is TypeKind.INTEGER))
    domain = (domains or {}).get(column_type.domain) if column_type.domain is not None else None
    if domain is not None:
        base = map_type(domain.type, source=source, target=target, in_key=in_key)
        checks = tuple(_without_enum_casts(check.sqltext, domain.type) for check in domain.checks)
        return TargetType(
            base.type,
            checks=base.checks + checks,
            not_null=not domain.nullable,
            default=domain.default,
            warnings=base.warnings,
        )
    if _integers_hold_64_bits(source) and column_type.kind is TypeKind.INTEGER and (column_type.precision or 32) == 32:
        column_type = replace(column_type, precision=64)  # every SQLite integer holds 64 bits
    mapper, family_mapper = _MAPPERS[target]
    if column_type.kind is TypeKind.OTHER:
        base = base_name(column_type.sql)
        family = family_mapper(base, _bit_length(column_type.sql, base))
        if family is not None:
            return family
    return mapper(column_type, in_key)


def _integers_hold_64_bits(source: str) -> bool:
    try:
        return capabilities_for(source).integers_hold_64_bits
    except ConfigurationError:  # a source engine relsynth declares nothing for
        return False


# Bit strings stay bit strings where the target has them; network addresses become short text
# where the target has no type for them. One function per target, from the type's base name.
_ADDRESS_LENGTHS = {"inet": 43, "cidr": 43, "macaddr": 17, "macaddr8": 23}  # longest text form


def _bit_length(sql: str, base: str) -> int | None:
    found = re.search(r"\((\d+)\)", sql)
    return int(found.group(1)) if found else (None if base in ("bit varying", "varbit") else 1)


def _postgresql_family(base: str, length: int | None) -> TargetType | None:
    if base in ("bit", "bit varying", "varbit"):
        return TargetType(postgresql.BIT(length, varying=base != "bit"))
    return None


def _mysql_family(base: str, length: int | None) -> TargetType | None:
    if base == "bit" and length is not None and length <= 64:
        return TargetType(mysql.BIT(length))
    if base in ("bit varying", "varbit"):
        return TargetType(sa.String(length or MYSQL_MAX_VARCHAR))
    return _address_as_text(base)


def _sqlite_family(base: str, length: int | None) -> TargetType | None:
    return _address_as_text(base)


def _address_as_text(base: str) -> TargetType | None:
    if base in _ADDRESS_LENGTHS:
        return TargetType(sa.String(_ADDRESS_LENGTHS[base]))
    return None


def _without_enum_casts(sqltext: str, base: ColumnType) -> str:
    """``VALUE <> 'blue'::color`` reads ``VALUE <> 'blue'`` where the enum is plain text."""
    if base.kind is not TypeKind.ENUM or base.enum is None:
        return sqltext
    name = re.escape(base.enum.name)
    schema = rf'(?:"?{re.escape(base.enum.schema)}"?\.)?' if base.enum.schema else ""
    return re.sub(rf'::{schema}"?{name}"?(?![\w"])', "", sqltext)


def _loss(column_type: ColumnType, target: str, became: str, why: str = "") -> str:
    line = f"type {column_type.sql} becomes {became} on {target}"
    return f"{line} ({why})" if why else line


def _integer(column_type: ColumnType) -> sa.types.TypeEngine:
    bits = column_type.precision or 32
    if bits <= 16:
        return sa.SmallInteger()
    if bits <= 32:
        return sa.Integer()
    return sa.BigInteger()


def _float(column_type: ColumnType) -> sa.types.TypeEngine:
    if column_type.precision is not None and column_type.precision <= 24:
        return sa.REAL()
    return sa.Double()


def _is_fixed_char(column_type: ColumnType) -> bool:
    return bool(re.match(r"\s*(character|char|bpchar|nchar)\s*(\(|$)", column_type.sql, re.IGNORECASE)) and not (
        re.match(r"\s*character\s+varying", column_type.sql, re.IGNORECASE)
    )


def _enum_check(column_type: ColumnType) -> tuple[str, ...]:
    if not column_type.enum_values:
        return ()
    labels = ", ".join("'" + label.replace("'", "''") + "'" for label in column_type.enum_values)
    return (f"VALUE IN ({labels})",)


def _to_postgresql(column_type: ColumnType, in_key: bool) -> TargetType:
    kind = column_type.kind
    if kind is TypeKind.INTEGER and (column_type.precision or 32) > 64:  # MySQL's BIGINT UNSIGNED
        return TargetType(sa.Numeric(20, 0))
    if kind is TypeKind.INTEGER:
        return TargetType(_integer(column_type))
    if kind is TypeKind.FLOAT:
        return TargetType(_float(column_type))
    if kind is TypeKind.DECIMAL:
        return TargetType(sa.Numeric(column_type.precision, column_type.scale))
    if kind is TypeKind.BOOLEAN:
        return TargetType(sa.Boolean())
    if kind is TypeKind.TEXT:
        if column_type.length is None:
            return TargetType(sa.Text())
        return TargetType(sa.CHAR(column_type.length) if _is_fixed_char(column_type) else sa.String(column_type.length))
    if kind is TypeKind.DATE:
        return TargetType(sa.Date())
    if kind is TypeKind.TIME:
        return TargetType(postgresql.TIME(timezone=column_type.timezone))
    if kind is TypeKind.TIMESTAMP:
        return TargetType(postgresql.TIMESTAMP(timezone=column_type.timezone))
    if kind is TypeKind.INTERVAL:
        return TargetType(postgresql.INTERVAL())
    if kind is TypeKind.UUID:
        return TargetType(sa.Uuid(as_uuid=False))
    if kind is TypeKind.JSON:
        return TargetType(postgresql.JSONB())
    if kind is TypeKind.BINARY:
        return TargetType(postgresql.BYTEA())
    if kind is TypeKind.ENUM:
        # An inline MySQL enum has no type name to create; a CHECK keeps its labels.
        return TargetType(sa.Text(), checks=_enum_check(column_type))
    if kind is TypeKind.ARRAY and column_type.item is not None:
        item = _to_postgresql(column_type.item, False)
        return TargetType(postgresql.ARRAY(item.type, dimensions=column_type.dimensions or None), warnings=item.warnings)
    return TargetType(sa.Text(), warnings=(_loss(column_type, "postgresql", "text"),))


def _to_mysql(column_type: ColumnType, in_key: bool) -> TargetType:
    kind = column_type.kind
    if kind is TypeKind.INTEGER:
        return TargetType(_integer(column_type))
    if kind is TypeKind.FLOAT:
        return TargetType(_float(column_type))
    if kind is TypeKind.DECIMAL:
        if column_type.precision is None:
            precision, scale = MYSQL_UNBOUNDED_DECIMAL
            return TargetType(
                sa.Numeric(precision, scale),
                warnings=(_loss(column_type, "mysql", f"DECIMAL({precision},{scale})", "unbounded numeric"),),
            )
        return TargetType(sa.Numeric(min(column_type.precision, 65), min(column_type.scale or 0, 30)))
    if kind is TypeKind.BOOLEAN:
        return TargetType(sa.Boolean(create_constraint=False))
    if kind is TypeKind.TEXT:
        length = column_type.length
        if length is not None and _is_fixed_char(column_type) and length <= 255:
            return TargetType(sa.CHAR(length))
        if length is not None and length <= (MYSQL_KEY_VARCHAR if in_key else MYSQL_MAX_VARCHAR):
            return TargetType(sa.String(length))
        if in_key:
            why = "MySQL cannot index longer text"
            return TargetType(
                sa.String(MYSQL_KEY_VARCHAR),
                warnings=(_loss(column_type, "mysql", f"VARCHAR({MYSQL_KEY_VARCHAR})", why),),
            )
        return TargetType(mysql.LONGTEXT())
    if kind is TypeKind.DATE:
        return TargetType(sa.Date())
    if kind is TypeKind.TIME:
        warnings = (_loss(column_type, "mysql", "TIME(6)", "time zone dropped"),) if column_type.timezone else ()
        return TargetType(mysql.TIME(fsp=6), warnings=warnings)
    if kind is TypeKind.TIMESTAMP:
        warnings = (_loss(column_type, "mysql", "DATETIME(6)", "time zone dropped, values in UTC"),) if (
            column_type.timezone
        ) else ()
        return TargetType(mysql.DATETIME(fsp=6), warnings=warnings)
    if kind is TypeKind.INTERVAL:
        return TargetType(sa.String(64), warnings=(_loss(column_type, "mysql", "VARCHAR(64)", "no interval type"),))
    if kind is TypeKind.UUID:
        return TargetType(sa.CHAR(36))
    if kind is TypeKind.JSON:
        return TargetType(sa.JSON())
    if kind is TypeKind.BINARY:
        if in_key:
            length = column_type.length if column_type.length and column_type.length <= 3072 else 255
            return TargetType(sa.VARBINARY(length))
        return TargetType(mysql.LONGBLOB())
    if kind is TypeKind.ENUM and column_type.enum_values:
        return TargetType(mysql.ENUM(*column_type.enum_values))
    if kind is TypeKind.ARRAY:
        return TargetType(sa.JSON(), warnings=(_loss(column_type, "mysql", "JSON", "no array type"),))
    if in_key:
        return TargetType(sa.String(MYSQL_KEY_VARCHAR), warnings=(_loss(column_type, "mysql", "VARCHAR(255)"),))
    return TargetType(mysql.LONGTEXT(), warnings=(_loss(column_type, "mysql", "LONGTEXT"),))


def _to_sqlite(column_type: ColumnType, in_key: bool) -> TargetType:
    kind = column_type.kind
    if kind is TypeKind.INTEGER:
        # Only the exact type name INTEGER makes a single-column primary key a rowid alias.
        return TargetType(sa.Integer() if (column_type.precision or 32) <= 32 else sa.BigInteger())
    if kind is TypeKind.FLOAT:
        return TargetType(sa.Float())
    if kind is TypeKind.DECIMAL:
        return TargetType(sa.Numeric(column_type.precision, column_type.scale))
    if kind is TypeKind.BOOLEAN:
        return TargetType(sa.Boolean(create_constraint=False))
    if kind is TypeKind.TEXT:
        if column_type.length is None:
            return TargetType(sa.Text())
        return TargetType(sa.CHAR(column_type.length) if _is_fixed_char(column_type) else sa.String(column_type.length))
    if kind is TypeKind.DATE:
        return TargetType(sa.Date())
    if kind is TypeKind.TIME:
        warnings = (_loss(column_type, "sqlite", "TIME", "time zone dropped"),) if column_type.timezone else ()
        return TargetType(sa.Time(), warnings=warnings)
    if kind is TypeKind.TIMESTAMP:
        warnings = (_loss(column_type, "sqlite", "DATETIME", "time zone dropped, values in UTC"),) if (
            column_type.timezone
        ) else ()
        return TargetType(sa.DateTime(), warnings=warnings)
    if kind is TypeKind.INTERVAL:
        return TargetType(sa.Text(), warnings=(_loss(column_type, "sqlite", "TEXT", "no interval type"),))
    if kind is TypeKind.UUID:
        return TargetType(sa.CHAR(36))
    if kind is TypeKind.JSON:
        return TargetType(sa.Text())
    if kind is TypeKind.BINARY:
        return TargetType(sa.LargeBinary())
    if kind is TypeKind.ENUM:
        return TargetType(sa.Text(), checks=_enum_check(column_type))
    if kind is TypeKind.ARRAY:
        return TargetType(sa.Text(), warnings=(_loss(column_type, "sqlite", "TEXT (JSON)", "no array type"),))
    return TargetType(sa.Text(), warnings=(_loss(column_type, "sqlite", "TEXT"),))


_Mapper = Callable[[ColumnType, bool], TargetType]
_FamilyMapper = Callable[[str, int | None], TargetType | None]
# Each target's type map: by logical kind, and first, for types of kind OTHER, by family.
_MAPPERS: dict[str, tuple[_Mapper, _FamilyMapper]] = {
    "postgresql": (_to_postgresql, _postgresql_family),
    "mysql": (_to_mysql, _mysql_family),
    "sqlite": (_to_sqlite, _sqlite_family),
}
