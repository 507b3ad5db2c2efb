"""Recreating a schema in a target database: ordered DDL, pg_dump style, on the same or another engine.

``SchemaWriter`` turns a ``Schema`` into three ordered lists of SQL statements for a target engine:

- ``pre_data``: namespaces, enums, domains, sequences, tables (columns, types, NOT NULL, defaults,
  identity, generated columns, partitions). What the engine cannot add later goes here too: on
  SQLite every constraint (no ``ALTER TABLE ADD CONSTRAINT``), on MySQL the primary key (an
  AUTO_INCREMENT column needs its key at creation).
- ``post_data``: primary keys, unique, checks, indexes, foreign keys, views, comments. Keys after
  the data are what lets a cycle of NOT NULL foreign keys be loaded at all.
- ``drop_statements``: removes exactly what the other two create, in reverse order.

Statements are compiled with SQLAlchemy against the target dialect, so identifiers are quoted the
target's way. Everything a target cannot hold is collected in ``warnings`` (one line each).

``clone_schema`` runs it all against a URL; ``apply_pre_data`` / ``apply_post_data`` run the halves
on an open connection so that the data load can sit between them in one PostgreSQL transaction.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
import sqlglot
import sqlglot.errors
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from relsynth.connections import create_target_engine, dialect_name, redact
from relsynth.engines import capabilities_for
from relsynth.errors import ConfigurationError, SchemaCreationError, TargetNotEmpty
from relsynth.schema.elements import (
    Column,
    Deferrability,
    Domain,
    ForeignKey,
    Identity,
    Index,
    QualifiedName,
    Schema,
    Table,
    TypeKind,
    View,
)
from relsynth.schema.type_mapping import DIALECTS, TargetType, map_type

__all__ = [
    "CloneSchemaResult",
    "SchemaWriter",
    "Staging",
    "apply_post_data",
    "apply_pre_data",
    "clone_schema",
    "drop_statements",
    "post_data",
    "pre_data",
]

log = logging.getLogger(__name__)


_DEFAULT_NAMESPACE = {"postgresql": "public"}
_TIMESTAMP_DEFAULT = re.compile(
    r"^(now\(\)|current_timestamp(\(\d*\))?|transaction_timestamp\(\)|statement_timestamp\(\)|localtimestamp"
    r"(\(\d*\))?|clock_timestamp\(\)|sysdate\(\)|datetime\('now'\))$",
    re.IGNORECASE,
)
_DATE_DEFAULT = re.compile(r"^(current_date|curdate\(\)|date\('now'\))$", re.IGNORECASE)
_STRING = re.compile(r"^'((?:[^']|'')*)'$", re.DOTALL)
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_CAST = re.compile(r"^(.*)::[A-Za-z_\"][\w\s\".]*(\(\d+(,\s*\d+)?\))?(\[\])*$", re.DOTALL)
_NEXTVAL = re.compile(r"^nextval\('(.+)'(::regclass)?\)$", re.IGNORECASE)


def _compile_dialect(name: str) -> Dialect:
    """A dialect for compiling DDL text: ``named`` paramstyle so that ``%`` is never doubled."""
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql.base import PGDialect

        return PGDialect(paramstyle="named")
    if name == "mysql":
        from sqlalchemy.dialects.mysql.base import MySQLDialect

        dialect = MySQLDialect(paramstyle="named")
        dialect.is_mariadb = True  # MariaDB 10.11 is the MySQL-family engine relsynth supports
        return dialect
    from sqlalchemy.dialects.sqlite.base import SQLiteDialect

    return SQLiteDialect(paramstyle="named")


@dataclass(frozen=True)
class _Statement:
    sql: str
    optional: bool = False  # a best-effort translation: on failure warn and go on
    label: str = ""  # what the statement creates, for the warning when an optional one fails
    by_name: bool = False  # names tables it does not belong to (views, triggers): run once they have their final names


class Staging(Protocol):
    """Temporary names to build the tables under, before one atomic rename puts them in place."""

    def table_name(self, name: QualifiedName) -> QualifiedName: ...

    def foreign_key_name(self, name: str) -> str | None:
        """A temporary name when ``name`` is still held by a table being replaced, else None."""
        ...


class SchemaWriter:
    """The DDL that recreates ``schema`` on a ``dialect`` engine, computed once.

    ``validate_not_valid``: PostgreSQL ``NOT VALID`` foreign keys are created valid (relsynth's
    rows respect them); pass False to keep them ``NOT VALID`` on a PostgreSQL target.
    """

    def __init__(
        self, schema: Schema, dialect: str, *, validate_not_valid: bool = True, staging: Staging | None = None
    ) -> None:
        if dialect not in DIALECTS:
            raise ConfigurationError(
                f"cannot write DDL for engine {dialect!r}: relsynth supports {', '.join(DIALECTS)}"
            )
        self.schema = schema
        self.dialect = dialect
        self.capabilities = capabilities_for(dialect)
        self.same_engine = schema.dialect == dialect
        self.validate_not_valid = validate_not_valid
        self.staging = staging
        self.staged_foreign_keys: dict[ForeignKey, str] = {}  # foreign key -> its temporary name
        self.foreign_key_statements: dict[ForeignKey, str] = {}  # foreign key -> its ADD CONSTRAINT
        self._sa_dialect = _compile_dialect(dialect)
        self._preparer = self._sa_dialect.identifier_preparer
        self._warnings: dict[str, None] = {}
        self._type_losses: dict[str, list[str]] = {}  # one line per loss, naming its columns
        self._domains: dict[QualifiedName, Domain] = {d.name: d for d in schema.domains}
        self._used_names: set[str] = set()
        self._names = self._target_names()
        self._metadata = sa.MetaData()
        self._tables: dict[QualifiedName, sa.Table] = {}
        self._pre: list[_Statement] = []
        self._post: list[_Statement] = []
        self._drop: list[str] = []
        self._deferred_column_checks: dict[QualifiedName, list[sa.CheckConstraint]] = {}
        self._build()

    # -- public ---------------------------------------------------------------------------------

    @property
    def warnings(self) -> tuple[str, ...]:
        """Everything the target cannot hold, one line each, deduplicated, in order of discovery."""
        lines = list(self._warnings)
        for loss, columns in self._type_losses.items():
            shown = ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
            lines.append(f"{loss}: {shown}")
        return tuple(lines)

    def pre_data(self) -> list[str]:
        return [s.sql for s in self._pre]

    def post_data(self) -> list[str]:
        return [s.sql for s in self._post]

    def drop_statements(self) -> list[str]:
        return list(self._drop)

    def quote(self, name: QualifiedName) -> str:
        """``name`` (a name on the target) quoted the target's way."""
        return self._quote(name)

    def table_name(self, name: QualifiedName) -> QualifiedName:
        """The name a source table or view has on the target (namespaces flatten on MySQL/SQLite)."""
        return self._names[name]

    @property
    def created_tables(self) -> tuple[QualifiedName, ...]:
        return tuple(self._names[t.name] for t in self.schema.tables) + self._partition_names()

    @property
    def created_views(self) -> tuple[QualifiedName, ...]:
        return tuple(self._names[v.name] for v in self._views())

    # -- names ----------------------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self._warnings.setdefault(message, None)

    def _target_names(self) -> dict[QualifiedName, QualifiedName]:
        names = self._final_names()
        if self.staging is None:
            return names
        tables = {t.name for t in self.schema.tables}
        return {n: self.staging.table_name(target) if n in tables else target for n, target in names.items()}

    def _final_names(self) -> dict[QualifiedName, QualifiedName]:
        objects = [t.name for t in self.schema.tables] + [v.name for v in self.schema.views]
        if self.capabilities.namespaces:
            default = _DEFAULT_NAMESPACE.get(self.dialect)
            return {n: QualifiedName(None if n.schema == default else n.schema, n.name) for n in objects}
        counts: dict[str, int] = {}
        for name in objects:
            counts[name.name] = counts.get(name.name, 0) + 1
        names = {}
        for name in objects:
            flat = name.name
            if counts[name.name] > 1 and name.schema is not None:
                flat = f"{name.schema}_{name.name}"
                self._warn(f"{name} is named {flat} on {self.dialect} (one namespace only)")
            names[name] = QualifiedName(None, flat)
        return names

    def _object_name(self, name: str | None) -> str | None:
        """A constraint or index name that fits the target; unique per database off the same engine."""
        if name is None:
            return None
        limit = self.capabilities.max_identifier_length
        if len(name.encode()) > limit:
            digest = hashlib.sha1(name.encode()).hexdigest()[:8]
            name = name.encode()[: limit - 9].decode(errors="ignore") + "_" + digest
        if not self.same_engine:
            # MySQL wants FK names unique per database, PostgreSQL index names per namespace.
            base, n = name, 2
            while name.lower() in self._used_names:
                name = f"{base[: limit - 4]}_{n}"
                n += 1
        self._used_names.add(name.lower())
        return name

    def _quote(self, name: QualifiedName) -> str:
        return self._preparer.format_table(sa.table(name.name, schema=name.schema))

    def _quote_source(self, name: QualifiedName) -> str:
        """A source object (enum, domain, sequence) as the target writes it; same engine only."""
        target = self._names.get(name)
        if target is None:
            default = _DEFAULT_NAMESPACE.get(self.dialect)
            target = QualifiedName(None if name.schema == default else name.schema, name.name)
        return self._quote(target)

    def _literal(self, value: str) -> str:
        escaped = value.replace("'", "''")
        if self.dialect == "mysql":
            escaped = escaped.replace("\\", "\\\\")
        return f"'{escaped}'"

    def _compile(self, element: sa.schema.ExecutableDDLElement) -> str:
        return str(element.compile(dialect=self._sa_dialect)).strip()

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        caps = self.capabilities
        for table in self.schema.tables:
            self._tables[table.name] = self._sa_table(table)
        if caps.namespaces:
            for namespace in self._namespaces():
                self._pre.append(_Statement(f"CREATE SCHEMA IF NOT EXISTS {self._preparer.quote_schema(namespace)}"))
        self._named_types()
        for table in self.schema.tables:
            self._pre.append(_Statement(self._compile(sa.schema.CreateTable(self._tables[table.name]))))
            self._partitions(table)
        self._routines()  # after the tables: a function may return a table's row type
        self._sequence_ownership()
        self._post_data()
        self._drops()

    def _namespaces(self) -> list[str]:
        names = [n.schema for n in self._names.values()]
        names += [o.name.schema for o in (*self.schema.enums, *self.schema.domains, *self.schema.sequences)]
        names += list(self.schema.namespaces)
        default = _DEFAULT_NAMESPACE.get(self.dialect)
        return list(dict.fromkeys(n for n in names if n is not None and n != default))

    def _named_types(self) -> None:
        schema = self.schema
        if not self.capabilities.named_types or not self.same_engine:
            for seq in schema.sequences:
                if not self._sequence_is_serial(seq.name):
                    self._warn(f"sequence {seq.name} is not carried to {self.dialect}")
            return
        for enum in schema.enums:
            labels = ", ".join(self._literal(v) for v in enum.values)
            self._pre.append(_Statement(f"CREATE TYPE {self._quote_source(enum.name)} AS ENUM ({labels})"))
        for domain in schema.domains:
            parts = [f"CREATE DOMAIN {self._quote_source(domain.name)} AS {domain.type.sql}"]
            if domain.default is not None:
                parts.append(f"DEFAULT {domain.default}")
            if not domain.nullable:
                parts.append("NOT NULL")
            for check in domain.checks:
                name = f"CONSTRAINT {self._preparer.quote(check.name)} " if check.name else ""
                parts.append(f"{name}CHECK ({check.sqltext})")
            self._pre.append(_Statement(" ".join(parts)))
        for seq in schema.sequences:
            self._pre.append(
                _Statement(
                    f"CREATE SEQUENCE {self._quote_source(seq.name)} "
                    f"START WITH {seq.start} INCREMENT BY {seq.increment}"
                )
            )

    def _sequence_is_serial(self, name: QualifiedName) -> bool:
        return any(self._serial_sequence(c) == name for t in self.schema.tables for c in t.columns)

    def _serial_sequence(self, column: Column) -> QualifiedName | None:
        if column.sequence is not None:
            return column.sequence
        match = _NEXTVAL.match((column.default or "").strip())
        if match is None:
            return None
        raw = match.group(1).replace("''", "'")
        schema, _, name = raw.rpartition(".") if not raw.startswith('"') or raw.count('"') > 2 else ("", "", raw)
        unquote = lambda s: s[1:-1].replace('""', '"') if s.startswith('"') else s
        return QualifiedName(unquote(schema) if schema else None, unquote(name))

    def _sequence_ownership(self) -> None:
        if not (self.capabilities.named_types and self.same_engine):
            return
        for seq in self.schema.sequences:
            if seq.owned_by is None:
                continue
            table, column = seq.owned_by
            self._pre.append(
                _Statement(
                    f"ALTER SEQUENCE {self._quote_source(seq.name)} OWNED BY "
                    f"{self._quote(self._names[table])}.{self._preparer.quote(column)}"
                )
            )

    def _partitions(self, table: Table) -> None:
        if table.partitioning is None:
            return
        if not (self.capabilities.partitioning and self.same_engine):
            self._warn(f"partitions of {table.name} become one plain table on {self.dialect}")
            return
        parent = self._quote(self._names[table.name])
        for partition in table.partitioning.partitions:
            self._pre.append(
                _Statement(f"CREATE TABLE {self._quote_source(partition.name)} PARTITION OF {parent} {partition.bound}")
            )

    def _partition_declarations(self, table: Table) -> None:
        """Foreign keys and indexes that the source declares on single partitions, declared there."""
        if table.partitioning is None:
            return
        parent = self._tables[table.name]
        metadata = sa.MetaData()  # partitions are not tables of the model: keep them apart
        for partition in table.partitioning.partitions:
            if partition.foreign_keys:
                sa_partition = sa.Table(
                    partition.name.name, metadata, *(sa.Column(c.name, c.type) for c in parent.columns),
                    schema=partition.name.schema,
                )
                for fk in partition.foreign_keys:
                    constraint = self._foreign_key(fk)
                    if constraint is not None:
                        sa_partition.append_constraint(constraint)
                        self._post.append(_Statement(self._compile(sa.schema.AddConstraint(constraint))))
            self._post += [_Statement(index.definition) for index in partition.indexes if index.definition]

    def _partition_names(self) -> tuple[QualifiedName, ...]:
        if not (self.capabilities.partitioning and self.same_engine):
            return ()
        default = _DEFAULT_NAMESPACE.get(self.dialect)
        return tuple(
            QualifiedName(None if p.name.schema == default else p.name.schema, p.name.name)
            for t in self.schema.tables
            if t.partitioning is not None
            for p in t.partitioning.partitions
        )

    # -- tables ---------------------------------------------------------------------------------

    def _keyed_columns(self, table: Table) -> set[str]:
        keyed: set[str] = set()
        if table.primary_key is not None:
            keyed.update(table.primary_key.constrained_columns)
        for uc in table.unique_constraints:
            keyed.update(uc.columns)
        for ix in table.indexes:
            keyed.update(e for e in ix.expressions if e in table.column_names)
        for fk in table.foreign_keys:
            keyed.update(fk.constrained_columns)
        for other in self.schema.tables:
            for fk in other.foreign_keys:
                if fk.referred_table == table.name:
                    keyed.update(fk.referred_columns)
        return keyed

    def _sa_table(self, table: Table) -> sa.Table:
        caps = self.capabilities
        target = self._names[table.name]
        keyed = self._keyed_columns(table)
        pk_columns = table.primary_key.constrained_columns if table.primary_key else ()
        columns: list[sa.Column] = []
        column_checks: list[sa.CheckConstraint] = []
        for column in table.columns:
            built, checks = self._sa_column(table, column, in_key=column.name in keyed, pk_columns=pk_columns)
            columns.append(built)
            column_checks.extend(checks)
        kwargs: dict[str, object] = {}
        if table.comment is not None and caps.inline_comments:
            kwargs["comment"] = table.comment
        if table.partitioning is not None and caps.partitioning and self.same_engine:
            kwargs["postgresql_partition_by"] = f"{table.partitioning.strategy} ({table.partitioning.key})"
        sa_table = sa.Table(target.name, self._metadata, *columns, schema=target.schema, **kwargs)
        # Constraints attached here render inside CREATE TABLE; the others are added in post_data.
        if table.primary_key is not None and (caps.primary_key_at_create or not caps.alter_add_constraint):
            sa_table.append_constraint(
                sa.PrimaryKeyConstraint(*pk_columns, name=self._object_name(table.primary_key.name))
            )
        if not caps.alter_add_constraint:
            for constraint in self._unique_constraints(table) + self._checks(table) + column_checks:
                sa_table.append_constraint(constraint)
        else:
            self._deferred_column_checks[table.name] = column_checks
        return sa_table

    def _sa_column(
        self, table: Table, column: Column, *, in_key: bool, pk_columns: tuple[str, ...]
    ) -> tuple[sa.Column, list[sa.CheckConstraint]]:
        caps = self.capabilities
        mapped = map_type(
            column.type, source=self.schema.dialect, target=self.dialect, domains=self._domains, in_key=in_key
        )
        for warning in mapped.warnings:
            self._type_losses.setdefault(warning, []).append(f"{table.name}.{column.name}")
        type_ = mapped.type
        if self.same_engine and column.collation:
            from relsynth.schema.type_mapping import RawType

            type_ = RawType(f"{column.type.sql} COLLATE {self._preparer.quote(column.collation)}")
        elif column.collation and not self.same_engine:
            self._warn(f"{table.name}.{column.name}: collation {column.collation} is not carried to {self.dialect}")
        args: list[object] = []
        autoincrement: bool = False
        default = self._default(table, column, mapped)
        serial = self._serial_sequence(column) is not None or column.identity is not None
        if column.computed is not None:
            expression = self._expression(column.computed, table, what="generated column", columns=None)
            if expression is not None:
                args.append(sa.Computed(sa.text(expression), persisted=column.computed_stored))
        elif column.identity is not None and self.same_engine and self.dialect == "postgresql":
            identity = column.identity
            args.append(sa.Identity(always=identity.always, start=identity.start, increment=identity.increment))
        elif serial and not self.same_engine and self.dialect == "postgresql" and column.type.kind is TypeKind.INTEGER:
            # MySQL AUTO_INCREMENT and SQLite's rowid key become an identity on PostgreSQL.
            identity = column.identity or Identity()
            args.append(sa.Identity(always=False, start=identity.start, increment=identity.increment))
            default = None
        elif serial and not self.same_engine:
            eligible = (
                column.type.kind is TypeKind.INTEGER and pk_columns == (column.name,) and caps.primary_key_at_create
            )
            if eligible:
                autoincrement = True
                if self.dialect == "sqlite":
                    type_ = sa.Integer()  # only INTEGER PRIMARY KEY assigns rowids
            else:
                self._warn(f"{table.name}.{column.name}: auto-increment is not carried to {self.dialect}")
        if self.same_engine and column.identity is not None and self.dialect != "postgresql":
            autoincrement = pk_columns == (column.name,)
        server_default = sa.text(default) if default is not None and column.computed is None else None
        if autoincrement and not self.same_engine:
            server_default = None
        comment = column.comment if caps.inline_comments else None
        built = sa.Column(
            column.name,
            type_,
            *args,
            nullable=column.nullable and not mapped.not_null,
            server_default=server_default,
            autoincrement=True if any(isinstance(a, sa.Identity) for a in args) else autoincrement,
            comment=comment,
        )
        checks: list[sa.CheckConstraint] = []
        for check in mapped.checks:
            text = check.replace("VALUE", "\x00")
            text = re.sub(r"\x00", lambda _: self._source_quote(column.name), text)
            expression = self._expression(text, table, what="check on " + column.name, columns=table.column_names)
            if expression is not None:
                checks.append(sa.CheckConstraint(sa.text(expression)))
        return built, checks

    def _source_quote(self, name: str) -> str:
        quote = "`" if self.schema.dialect == "mysql" else '"'
        return quote + name.replace(quote, quote * 2) + quote

    def _default(self, table: Table, column: Column, mapped: TargetType) -> str | None:
        default = column.default
        if default is None and mapped.default is not None:
            default = mapped.default  # a domain's default, on an engine without domains
        if default is None or column.identity is not None:
            return None
        if self.same_engine:
            return default
        portable = _portable_default(default, column.type.kind, self.dialect, self._literal)
        if portable is None and _NEXTVAL.match(default.strip()) is None:
            self._warn(f"{table.name}.{column.name}: default {default} is not carried to {self.dialect}")
        return portable

    def _expression(self, sql: str, table: Table, *, what: str, columns: tuple[str, ...] | None) -> str | None:
        """``sql`` in the target's syntax, or None (with a warning) when it cannot be translated."""
        if self.same_engine:
            return sql
        source = capabilities_for(self.schema.dialect).sqlglot_dialect
        try:
            tree = sqlglot.parse_one(sql, read=source).transform(_any_array_to_in)
            translated = tree.sql(dialect=self.capabilities.sqlglot_dialect, unsupported_level=ErrorLevel.RAISE)
        except (sqlglot.errors.SqlglotError, IndexError) as exc:
            self._warn(f"{table.name}: {what} ({sql}) is not carried to {self.dialect}: {exc}".splitlines()[0])
            return None
        if self.dialect == "sqlite" and columns is not None and not _sqlite_accepts(translated, columns):
            self._warn(f"{table.name}: {what} ({sql}) is not carried to sqlite: SQLite cannot parse it")
            return None
        return translated

    def _unique_constraints(self, table: Table) -> list[sa.UniqueConstraint]:
        return [sa.UniqueConstraint(*u.columns, name=self._object_name(u.name)) for u in table.unique_constraints]

    def _checks(self, table: Table) -> list[sa.CheckConstraint]:
        checks = []
        for check in table.check_constraints:
            expression = self._expression(check.sqltext, table, what=f"check {check.name}", columns=table.column_names)
            if expression is not None:
                checks.append(sa.CheckConstraint(sa.text(expression), name=self._object_name(check.name)))
        return checks

    def _foreign_key(self, fk: ForeignKey) -> sa.ForeignKeyConstraint | None:
        caps = self.capabilities
        parent = self._tables.get(fk.referred_table)
        if parent is None:
            self._warn(f"foreign key {fk.label}: {fk.referred_table} is not part of the schema; not created")
            return None
        deferrable: bool | None = None
        initially: str | None = None
        if fk.deferrable is not Deferrability.NOT_DEFERRABLE:
            if caps.deferrable_constraints:
                deferrable = True
                initially = "DEFERRED" if fk.deferrable is Deferrability.INITIALLY_DEFERRED else "IMMEDIATE"
            else:
                self._warn(f"foreign key {fk.label} is not DEFERRABLE on {self.dialect}")
        match = fk.match if fk.match and fk.match.upper() != "SIMPLE" else None
        if match is not None and not caps.fk_match:
            self._warn(f"foreign key {fk.label}: MATCH {match} is not carried to {self.dialect}")
            match = None
        name = self._object_name(fk.name)
        temporary = self.staging.foreign_key_name(name) if self.staging is not None and name else None
        if temporary is not None:
            self.staged_foreign_keys[fk] = temporary
        return sa.ForeignKeyConstraint(
            list(fk.constrained_columns),
            [parent.c[c] for c in fk.referred_columns],
            name=temporary or name,
            ondelete=_action(fk.on_delete),
            onupdate=_action(fk.on_update),
            deferrable=deferrable,
            initially=initially,
            match=match,
        )

    # -- post data ------------------------------------------------------------------------------

    def _add(self, table: Table, constraint: sa.Constraint, *, optional: bool = False, suffix: str = "") -> None:
        self._tables[table.name].append_constraint(constraint)
        label = f"{type(constraint).__name__} {constraint.name or ''} on {table.name}".replace("  ", " ")
        self._post.append(_Statement(self._compile(sa.schema.AddConstraint(constraint)) + suffix, optional, label))

    def _post_data(self) -> None:
        caps = self.capabilities
        tables = self.schema.tables
        if caps.alter_add_constraint:
            for table in tables:
                if table.primary_key is not None and not caps.primary_key_at_create:
                    pk = table.primary_key
                    self._add(table, sa.PrimaryKeyConstraint(*pk.constrained_columns, name=self._object_name(pk.name)))
            for table in tables:
                for unique in self._unique_constraints(table):
                    self._add(table, unique)
            optional = not self.same_engine  # translated checks are best effort
            for table in tables:
                for check in self._checks(table) + self._deferred_column_checks.get(table.name, []):
                    self._add(table, check, optional=optional)
        self._exclusion_constraints()
        partitions_carried = caps.partitioning and self.same_engine
        for table in tables:
            for index in table.indexes:
                if not (index.on_partitions and partitions_carried):
                    self._index(table, index)
        for table in tables:
            for fk in table.foreign_keys:
                if fk.on_partitions and partitions_carried:
                    continue  # declared on each partition below, as in the source
                constraint = self._foreign_key(fk)
                if constraint is None:
                    continue
                if caps.alter_add_constraint:
                    not_valid = " NOT VALID" if (not fk.validated and not self.validate_not_valid) else ""
                    self._add(table, constraint, suffix=not_valid)
                    self.foreign_key_statements[fk] = self._post[-1].sql
                else:
                    # SQLite: foreign keys live in CREATE TABLE; rebuild that statement.
                    self._tables[table.name].append_constraint(constraint)
        if partitions_carried:
            for table in tables:
                self._partition_declarations(table)
        if not caps.alter_add_constraint:
            self._pre = [s for s in self._pre if not s.sql.startswith("CREATE TABLE")] + [
                _Statement(self._compile(sa.schema.CreateTable(self._tables[t.name]))) for t in tables
            ]
        for view in self._views():
            keyword = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            definition = view.definition.strip().rstrip(";")
            # Best effort: a view may call functions relsynth does not carry (they are warnings).
            self._post.append(
                _Statement(
                    f"CREATE {keyword} {self._quote(self._names[view.name])} AS {definition}",
                    optional=True,
                    label=f"view {view.name}",
                    by_name=True,
                )
            )
            self._post += [
                _Statement(ix.definition, optional=True, label=f"index {ix.name} on {view.name}", by_name=True)
                for ix in view.indexes
                if ix.definition
            ]
        self._comments()
        self._triggers()

    def _exclusion_constraints(self) -> None:
        """PostgreSQL's EXCLUDE constraints, after the data (which relsynth made to respect them)."""
        from relsynth.values.exclusion import resolvable  # what generation can honour

        for table in self.schema.tables:
            for constraint in table.exclusion_constraints:
                if not self.same_engine:
                    self._warn(f"exclusion constraint {constraint.name} on {table.name} is not carried to {self.dialect}")
                    continue
                for extension in constraint.extensions:  # btree_gist: trusted, a database owner may create it
                    self._post.append(_Statement(f"CREATE EXTENSION IF NOT EXISTS {self._preparer.quote(extension)}"))
                name = f"CONSTRAINT {self._preparer.quote(constraint.name)} " if constraint.name else ""
                sql = f"ALTER TABLE {self._quote(self._names[table.name])} ADD {name}{constraint.definition}"
                # One whose conflicts the generator cannot resolve is best effort: refused, it is a warning.
                label = f"exclusion constraint {constraint.name} on {table.name}"
                self._post.append(_Statement(sql, optional=not resolvable(table, constraint), label=label))

    def _routines(self) -> None:
        """User functions and aggregates (views and triggers call them), same engine only."""
        if not self.schema.routines:
            return
        if not self.same_engine:
            for routine in self.schema.routines:
                self._warn(f"{routine.kind} {routine.name}{routine.signature} is not carried to {self.dialect}")
            return
        # As pg_dump does: a SQL function's body may name tables that do not exist yet.
        self._pre.append(_Statement("SET LOCAL check_function_bodies = false"))
        for routine in self.schema.routines:
            self._pre.append(_Statement(routine.definition.strip().rstrip(";"), label=f"{routine.kind} {routine.name}"))

    def _triggers(self) -> None:
        """Triggers last, after the data: they must not rewrite the generated rows as they load."""
        for trigger in self.schema.triggers:
            if not self.same_engine:
                self._warn(f"trigger {trigger.name} on {trigger.table} is not carried to {self.dialect}")
                continue
            self._post.append(
                _Statement(
                    trigger.definition, optional=True, label=f"trigger {trigger.name} on {trigger.table}", by_name=True
                )
            )

    def _index(self, table: Table, index: Index) -> None:
        if self.same_engine and index.definition:
            self._post.append(_Statement(index.definition))
            return
        sa_table = self._tables[table.name]
        expressions: list[object] = []
        for expression in index.expressions:
            if expression in sa_table.c:
                expressions.append(sa_table.c[expression])
            elif self.same_engine:
                expressions.append(sa.text(expression))
            elif (translated := self._index_expression(expression, table, index)) is not None:
                expressions.append(sa.text(f"({translated})"))  # parenthesised: SQLite and PostgreSQL want it so
            else:
                self._warn(f"index {index.name} on {table.name}: expression {expression} is not carried")
                return
        kwargs: dict[str, object] = {}
        if index.where is not None:
            if self.same_engine:
                kwargs[f"{self.dialect}_where"] = sa.text(index.where)
            elif (translated := self._index_expression(index.where, table, index)) is not None:
                kwargs[f"{self.dialect}_where"] = sa.text(translated)
            elif index.unique:
                self._warn(f"partial unique index {index.name} on {table.name} is not carried to {self.dialect}")
                return
            else:
                self._warn(f"index {index.name} on {table.name} covers all rows on {self.dialect} (was partial)")
        if index.method and self.same_engine and self.dialect == "postgresql":
            kwargs["postgresql_using"] = index.method
        elif index.method and index.method.lower() not in ("btree", "") and not self.same_engine:
            self._warn(f"index {index.name} on {table.name}: method {index.method} becomes the default")
        if not any(isinstance(e, sa.Column) for e in expressions):
            kwargs["_table"] = sa_table  # expressions alone do not tell SQLAlchemy the table
        sa_index = sa.Index(self._object_name(index.name), *expressions, unique=index.unique, **kwargs)
        self._post.append(_Statement(self._compile(sa.schema.CreateIndex(sa_index))))

    def _index_expression(self, sql: str, table: Table, index: Index) -> str | None:
        """An index's expression or predicate in the target's syntax, where the target has such
        indexes (PostgreSQL and SQLite; MariaDB has neither partial nor expression indexes)."""
        if self.dialect not in ("postgresql", "sqlite"):
            return None
        source = capabilities_for(self.schema.dialect).sqlglot_dialect
        try:  # an enum or domain is a plain type elsewhere: ``feeling = 'happy'::mood`` compares the text
            tree = sqlglot.parse_one(sql, read=source).transform(
                lambda n: n.this if isinstance(n, exp.Cast) and n.to.this == exp.DataType.Type.USERDEFINED else n
            )
            sql = tree.sql(dialect=source)
        except sqlglot.errors.SqlglotError:
            pass  # _expression says why it cannot carry it
        return self._expression(sql, table, what=f"index {index.name}", columns=table.column_names)

    def _views(self) -> list[View]:
        if not self.schema.views:
            return []
        if not self.same_engine:
            for view in self.schema.views:
                self._warn(f"view {view.name} is not carried to {self.dialect} (its SQL is {self.schema.dialect}'s)")
            return []
        return _dependency_order(self.schema.views)

    def _comments(self) -> None:
        caps = self.capabilities
        commented = [t for t in self.schema.tables if t.comment or any(c.comment for c in t.columns)]
        commented_views = [v for v in self._views() if v.comment]
        if caps.inline_comments:
            for view in commented_views:
                self._warn(f"comment on view {view.name} is not carried to {self.dialect}")
            return
        if not caps.comment_statements:
            if commented or commented_views:
                self._warn(f"comments are not carried to {self.dialect}")
            return
        for table in commented:
            sa_table = self._tables[table.name]
            if table.comment:
                sa_table.comment = table.comment
                self._post.append(_Statement(self._compile(sa.schema.SetTableComment(sa_table))))
            for column in table.columns:
                if column.comment:
                    sa_table.c[column.name].comment = column.comment
                    self._post.append(_Statement(self._compile(sa.schema.SetColumnComment(sa_table.c[column.name]))))
        for view in commented_views:
            keyword = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            self._post.append(
                _Statement(
                    f"COMMENT ON {keyword} {self._quote(self._names[view.name])} IS {self._literal(view.comment or '')}",
                    by_name=True,
                )
            )

    # -- clean-up -------------------------------------------------------------------------------

    def _drops(self) -> None:
        drops: list[str] = []
        for view in reversed(self._views()):
            keyword = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            drops.append(f"DROP {keyword} IF EXISTS {self._quote(self._names[view.name])}")
        tables = [self._quote(n) for n in reversed(self.created_tables)]
        if self.dialect == "postgresql":
            # One statement drops tables that reference each other, without CASCADE to others.
            if tables:
                drops.append(f"DROP TABLE IF EXISTS {', '.join(tables)}")
            if self.same_engine:
                drops += [
                    f"DROP {r.kind.upper()} IF EXISTS {self._quote_source(r.name)}{r.signature}"
                    for r in reversed(self.schema.routines)
                ]
                drops += [f"DROP SEQUENCE IF EXISTS {self._quote_source(s.name)}" for s in reversed(self.schema.sequences)]
                drops += [f"DROP DOMAIN IF EXISTS {self._quote_source(d.name)}" for d in reversed(self.schema.domains)]
                drops += [f"DROP TYPE IF EXISTS {self._quote_source(e.name)}" for e in reversed(self.schema.enums)]
        elif self.dialect == "mysql":
            drops.append("SET FOREIGN_KEY_CHECKS = 0")
            drops += [f"DROP TABLE IF EXISTS {t}" for t in tables]
            drops.append("SET FOREIGN_KEY_CHECKS = 1")
        else:
            drops += [f"DROP TABLE IF EXISTS {t}" for t in tables]
        self._drop = drops


def _action(action: str | None) -> str | None:
    """ON DELETE/UPDATE: NO ACTION is the default everywhere, so it is left unsaid."""
    if action is None or action.upper() == "NO ACTION":
        return None
    return action.upper()


def _portable_default(default: str, kind: TypeKind, target: str, literal: object) -> str | None:
    """A default that means the same on ``target``: literals and the current time; else None."""
    text = default.strip()
    while True:
        if text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1].strip()
            continue
        cast = _CAST.match(text)
        if cast is not None:
            text = cast.group(1).strip()
            continue
        break
    if text.upper() == "NULL":
        return None
    if _TIMESTAMP_DEFAULT.match(text):
        if kind is TypeKind.DATE:
            return "(CURRENT_DATE)" if target == "mysql" else "CURRENT_DATE"
        if kind is not TypeKind.TIMESTAMP:
            return None
        return {"postgresql": "CURRENT_TIMESTAMP", "mysql": "CURRENT_TIMESTAMP(6)", "sqlite": "CURRENT_TIMESTAMP"}[target]
    if _DATE_DEFAULT.match(text):
        return "(CURRENT_DATE)" if target == "mysql" else "CURRENT_DATE"
    if kind is TypeKind.BOOLEAN:
        value = text.strip("'").lower()
        if value in ("true", "t", "1", "yes", "y", "on", "b'1'"):
            return "true" if target == "postgresql" else "1"
        if value in ("false", "f", "0", "no", "n", "off", "b'0'"):
            return "false" if target == "postgresql" else "0"
        return None
    if kind in (TypeKind.ARRAY, TypeKind.JSON, TypeKind.BINARY, TypeKind.OTHER, TypeKind.INTERVAL):
        return None
    if _NUMBER.match(text):
        if kind in (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL, TypeKind.TEXT, TypeKind.ENUM):
            return text if kind is not TypeKind.TEXT and kind is not TypeKind.ENUM else literal(text)  # type: ignore[operator]
        return None
    string = _STRING.match(text)
    if string is not None:
        value = string.group(1).replace("''", "'")
        if kind in (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL):
            return value if _NUMBER.match(value) else None
        return literal(value)  # type: ignore[operator]
    return None


def _any_array_to_in(node: exp.Expression) -> exp.Expression:
    """PostgreSQL prints ``x IN ('a', 'b')`` as ``x = ANY (ARRAY['a', 'b'])``; other engines need IN."""
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        inner = node.expression.this
        while isinstance(inner, (exp.Cast, exp.Paren)) and not isinstance(inner, exp.Array):
            inner = inner.this
        if isinstance(inner, exp.Array):
            values = [v.this if isinstance(v, exp.Cast) else v for v in inner.expressions]
            return exp.In(this=node.this, expressions=values)
    return node


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def _sqlite_accepts(expression: str, columns: Iterable[str]) -> bool:
    """Whether SQLite can parse ``expression`` as a CHECK over ``columns`` (checked in memory)."""
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns) or "x"
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(f"CREATE TABLE t ({cols}, CHECK ({expression}))")
        return True
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def _dependency_order(views: Iterable[View]) -> list[View]:
    """Views after the views their definition names (a view may select from another)."""
    pending = list(views)
    ordered: list[View] = []
    while pending:
        for view in pending:
            others = [v for v in pending if v is not view]
            if not any(re.search(rf"\b{re.escape(o.name.name)}\b", view.definition) for o in others):
                break
        else:
            view = pending[0]  # a cycle of names: keep the source's order
        ordered.append(view)
        pending.remove(view)
    return ordered


# -- functions over a schema ---------------------------------------------------------------------


def pre_data(schema: Schema, dialect: str) -> list[str]:
    return SchemaWriter(schema, dialect).pre_data()


def post_data(schema: Schema, dialect: str, *, validate_not_valid: bool = True) -> list[str]:
    return SchemaWriter(schema, dialect, validate_not_valid=validate_not_valid).post_data()


def drop_statements(schema: Schema, dialect: str) -> list[str]:
    return SchemaWriter(schema, dialect).drop_statements()


# -- executing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloneSchemaResult:
    statements: tuple[str, ...]  # every statement executed, in order
    warnings: tuple[str, ...]  # what the target could not hold, one line each


def _existing(connection: Connection, writer: SchemaWriter) -> list[tuple[str, str]]:
    """(kind, name) of every object ``writer`` would create that the target already holds."""
    inspector = sa.inspect(connection)
    wanted_tables = {(n.schema, n.name) for n in writer.created_tables}
    wanted_views = {(n.schema, n.name) for n in writer.created_views}
    found: list[tuple[str, str]] = []
    for namespace in sorted({s for s, _ in wanted_tables | wanted_views}, key=lambda s: s or ""):
        if namespace is not None and namespace not in inspector.get_schema_names():
            continue
        names = set(inspector.get_table_names(schema=namespace))
        views = set(inspector.get_view_names(schema=namespace))
        if writer.dialect == "postgresql":
            views |= set(inspector.get_materialized_view_names(schema=namespace))
        for schema_name, name in sorted(wanted_tables | wanted_views, key=lambda x: x[1]):
            if schema_name != namespace:
                continue
            label = name if schema_name is None else f"{schema_name}.{name}"
            if name in names:
                found.append(("TABLE", label))
            elif name in views:
                found.append(("VIEW", label))
    if writer.dialect == "postgresql" and writer.same_engine:
        default = "public"
        for kind, objects, relkinds in (
            ("TYPE", writer.schema.enums, None),
            ("DOMAIN", writer.schema.domains, None),
            ("SEQUENCE", writer.schema.sequences, "S"),
        ):
            for obj in objects:
                namespace = obj.name.schema or default
                if relkinds is None:
                    query = (
                        "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                        "WHERE n.nspname = :ns AND t.typname = :name"
                    )
                else:
                    query = (
                        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :ns AND c.relname = :name AND c.relkind = 'S'"
                    )
                if connection.execute(sa.text(query), {"ns": namespace, "name": obj.name.name}).first():
                    found.append((kind, str(obj.name)))
    return found


def _replace_statements(writer: SchemaWriter, found: list[tuple[str, str]]) -> list[str]:
    """Drops of exactly the clashing objects, in dependency order; nothing else is touched."""
    clashing = {label for _, label in found}
    keep = [s for s in writer.drop_statements() if not s.startswith("DROP TABLE")]
    statements = [s for s in keep if any(_mentions(s, label, writer) for label in clashing) or s.startswith("SET")]
    tables = [n for n in writer.created_tables if str(n) in clashing]
    if not tables:
        return [s for s in statements if not s.startswith("SET")]
    quoted = [writer._quote(n) for n in reversed(tables)]
    if writer.dialect == "postgresql":
        table_drops = [f"DROP TABLE {', '.join(quoted)}"]
    else:
        table_drops = [f"DROP TABLE {q}" for q in quoted]
    views = [s for s in statements if " VIEW " in s]
    rest = [s for s in statements if " VIEW " not in s and not s.startswith("SET")]
    # The schema's own routines are re-created (CREATE OR REPLACE); one taking a table's row type
    # would keep that table from being dropped, so they go too.
    routines = [s for s in keep if s.startswith(_ROUTINE_DROPS)]
    rest = [s for s in rest if s not in routines]
    if writer.dialect == "mysql":
        table_drops = ["SET FOREIGN_KEY_CHECKS = 0", *table_drops, "SET FOREIGN_KEY_CHECKS = 1"]
    return views + routines + table_drops + rest


_ROUTINE_DROPS = ("DROP FUNCTION ", "DROP PROCEDURE ", "DROP AGGREGATE ")


def _drop_in_dependency_order(connection: Connection, statements: list[str]) -> list[str]:
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
                f"--replace cannot drop `{_short(statement)}`: {_one_line(exc)}; "
                "nothing was kept (the transaction was rolled back)"
            ) from exc
        pending = [statement for statement, _ in refused]
    return done


def _mentions(statement: str, label: str, writer: SchemaWriter) -> bool:
    schema, _, name = label.rpartition(".")
    quoted = writer._quote(QualifiedName(schema or None, name))
    return statement.endswith(" " + quoted)


def _one_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _short(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."


def _execute(connection: Connection, writer: SchemaWriter, statements: list[_Statement]) -> list[str]:
    done: list[str] = []
    for statement in statements:
        try:
            if statement.optional and writer.capabilities.transactional_ddl:
                with connection.begin_nested():
                    connection.exec_driver_sql(statement.sql)
            else:
                connection.exec_driver_sql(statement.sql)
        except SQLAlchemyError as exc:
            if statement.optional:
                what = statement.label or _short(statement.sql)
                writer._warn(f"{what} is not created: {writer.dialect} refused it: {_one_line(exc)}")
                continue
            if not writer.capabilities.transactional_ddl:
                drop_created(connection, writer)
            raise SchemaCreationError(
                f"the target refused `{_short(statement.sql)}`: {_one_line(exc)}; "
                + (
                    "nothing was kept (the transaction was rolled back)"
                    if writer.capabilities.transactional_ddl
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
            log.warning("clean-up statement failed: %s: %s", _short(statement), _one_line(exc))
    if connection.in_transaction():
        connection.commit()


def _not_empty(found: list[tuple[str, str]]) -> TargetNotEmpty:
    names = ", ".join(label for _, label in found)
    return TargetNotEmpty(
        f"the target already holds {len(found)} object(s) that relsynth would create: {names}; "
        "use --replace to drop exactly these first, or choose an empty target"
    )


def refuse_clashes(connection: Connection, writer: SchemaWriter) -> None:
    """Raise ``TargetNotEmpty`` when the target holds an object ``writer`` would create: the check
    ``apply_pre_data`` makes, run before anything is learnt so that a refusal comes at once."""
    found = _existing(connection, writer)
    if found:
        raise _not_empty(found)


def check_target(connection: Connection, writer: SchemaWriter, *, replace: bool) -> list[tuple[str, str]]:
    """(kind, name) of the objects ``writer`` would create that the target already holds.

    Raises ``TargetNotEmpty`` when there are any and ``replace`` is False.
    """
    found = _existing(connection, writer)
    if found and not replace:
        raise _not_empty(found)
    return found


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
        drops = _replace_statements(writer, found)
        if writer.capabilities.transactional_ddl:
            executed += _drop_in_dependency_order(connection, drops)
        else:
            executed += _execute(connection, writer, [_Statement(s) for s in drops])
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
