"""The schema model: frozen dataclasses, no SQLAlchemy.

Names follow SQLAlchemy's reflection vocabulary (``constrained_columns``, ``referred_table``,
``referred_columns``) so that nothing is translated twice. Collections are tuples so that every
object is hashable and comparable; ``Schema`` offers lookups by qualified name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, order=True)
class QualifiedName:
    """A table (or view, enum, domain) name with its namespace; ``schema`` None means the default."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


class TypeKind(str, Enum):
    """The logical kind of a column: what the models and the type mapper reason about."""

    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    TEXT = "text"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"
    INTERVAL = "interval"
    UUID = "uuid"
    JSON = "json"
    BINARY = "binary"
    ENUM = "enum"
    ARRAY = "array"
    OTHER = "other"  # e.g. tsvector, geometry: carried as text by the source dialect


@dataclass(frozen=True)
class ColumnType:
    """A column's type: the logical kind plus everything needed to recreate it.

    ``sql`` is the type as the source dialect writes it (``character varying(40)``); it is what a
    same-engine clone uses. The other fields let a different engine pick its nearest equivalent.
    """

    kind: TypeKind
    sql: str
    length: int | None = None  # characters for text, bytes for binary
    precision: int | None = None  # digits for decimal, bits for float/integer
    scale: int | None = None
    timezone: bool = False  # for TIMESTAMP and TIME
    enum: QualifiedName | None = None  # the named enum type, for ENUM
    enum_values: tuple[str, ...] = ()  # ENUM's labels in their declared order
    item: ColumnType | None = None  # element type, for ARRAY
    dimensions: int = 0  # array dimensions, for ARRAY
    domain: QualifiedName | None = None  # set when the column is declared with a domain


@dataclass(frozen=True)
class Identity:
    """``GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY`` or MySQL/SQLite auto-increment."""

    always: bool = False
    start: int = 1
    increment: int = 1


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    default: str | None = None  # server default as SQL text; None when there is none
    identity: Identity | None = None
    sequence: QualifiedName | None = None  # the sequence a serial column's default draws from
    computed: str | None = None  # generation expression of a generated (computed) column
    computed_stored: bool = True
    comment: str | None = None
    collation: str | None = None


@dataclass(frozen=True)
class PrimaryKey:
    name: str | None
    constrained_columns: tuple[str, ...]


@dataclass(frozen=True)
class UniqueConstraint:
    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CheckConstraint:
    name: str | None
    sqltext: str  # the boolean expression, without CHECK and its parentheses


@dataclass(frozen=True)
class ExclusionConstraint:
    """PostgreSQL's ``EXCLUDE USING gist (room_id WITH =, during WITH &&)``."""

    name: str | None
    definition: str  # as pg_get_constraintdef prints it: ``EXCLUDE USING gist (...)``
    elements: tuple[tuple[str, str], ...]  # (column or expression, operator), in order
    extensions: tuple[str, ...] = ()  # extensions its operator classes come from (btree_gist)


@dataclass(frozen=True)
class Index:
    """A non-constraint index. ``expressions`` holds column names, or SQL for expression parts."""

    name: str
    expressions: tuple[str, ...]
    unique: bool = False
    method: str | None = None  # btree, gin, gist, ... (PostgreSQL)
    where: str | None = None  # predicate of a partial index
    definition: str | None = None  # the engine's full CREATE INDEX statement, for same-engine clones
    on_partitions: bool = False  # declared on each partition in the source, not on the parent


class Deferrability(str, Enum):
    NOT_DEFERRABLE = "not_deferrable"
    INITIALLY_IMMEDIATE = "initially_immediate"
    INITIALLY_DEFERRED = "initially_deferred"


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key from ``table`` (the child) to ``referred_table`` (the parent)."""

    name: str | None
    table: QualifiedName
    constrained_columns: tuple[str, ...]
    referred_table: QualifiedName
    referred_columns: tuple[str, ...]
    deferrable: Deferrability = Deferrability.NOT_DEFERRABLE
    on_delete: str | None = None
    on_update: str | None = None
    match: str | None = None  # FULL / PARTIAL / SIMPLE when declared
    validated: bool = True  # False for PostgreSQL's NOT VALID: source rows may violate it
    on_partitions: bool = False  # declared on each partition in the source (lifted to the parent)

    @property
    def is_self_reference(self) -> bool:
        return self.table == self.referred_table

    @property
    def label(self) -> str:
        """A stable human-readable identity: ``child(cols) -> parent(cols)``."""
        return (
            f"{self.table}({', '.join(self.constrained_columns)}) -> "
            f"{self.referred_table}({', '.join(self.referred_columns)})"
        )


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned table (PostgreSQL declarative partitioning)."""

    name: QualifiedName
    bound: str  # ``FOR VALUES FROM (...) TO (...)``, ``DEFAULT``, ...
    foreign_keys: tuple[ForeignKey, ...] = ()  # declared on this partition alone
    indexes: tuple[Index, ...] = ()  # declared on this partition alone


@dataclass(frozen=True)
class Partitioning:
    strategy: str  # RANGE, LIST, HASH
    key: str  # the partition key expression, e.g. ``payment_date``
    partitions: tuple[Partition, ...] = ()


@dataclass(frozen=True)
class Table:
    name: QualifiedName
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    check_constraints: tuple[CheckConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    comment: str | None = None
    partitioning: Partitioning | None = None
    exclusion_constraints: tuple[ExclusionConstraint, ...] = ()

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def unique_keys(self, *, with_indexes: bool = True) -> tuple[tuple[str, ...], ...]:
        """The column sets no two rows may share: the primary key, then the UNIQUE constraints, then
        (``with_indexes``) the unique indexes over every row (no WHERE), whose parts may be SQL."""
        keys = [self.primary_key.constrained_columns] if self.primary_key is not None else []
        keys += [c.columns for c in self.unique_constraints]
        if with_indexes:
            keys += [ix.expressions for ix in self.indexes if ix.unique and ix.where is None]
        return tuple(tuple(key) for key in keys)

    def is_unique(self, columns: tuple[str, ...]) -> bool:
        """True when ``columns`` (in any order) are exactly one of the ``unique_keys``."""
        wanted = frozenset(columns)
        return any(frozenset(key) == wanted for key in self.unique_keys())


@dataclass(frozen=True)
class View:
    name: QualifiedName
    definition: str  # the SELECT, as the source engine prints it
    materialized: bool = False
    comment: str | None = None
    indexes: tuple[Index, ...] = ()  # a materialized view's indexes


@dataclass(frozen=True)
class EnumType:
    name: QualifiedName
    values: tuple[str, ...]


@dataclass(frozen=True)
class Domain:
    name: QualifiedName
    type: ColumnType  # the base type
    nullable: bool = True
    default: str | None = None
    checks: tuple[CheckConstraint, ...] = ()


@dataclass(frozen=True)
class Sequence:
    """A standalone sequence (serial columns' sequences are recorded on their column too)."""

    name: QualifiedName
    start: int = 1
    increment: int = 1
    owned_by: tuple[QualifiedName, str] | None = None  # (table, column) for a serial's sequence


@dataclass(frozen=True)
class Routine:
    """A user-defined function, procedure or aggregate, as its engine's own CREATE statement.

    Carried only to the same engine; relsynth never runs it, the target's views and triggers do.
    """

    name: QualifiedName
    kind: str  # function, procedure, aggregate
    signature: str  # the argument types, e.g. ``(text, integer)``: names can be overloaded
    definition: str  # CREATE OR REPLACE ... as the engine prints it


@dataclass(frozen=True)
class Trigger:
    name: str
    table: QualifiedName
    definition: str  # CREATE TRIGGER ... as the engine prints it


@dataclass(frozen=True)
class Schema:
    """Everything relsynth knows about a database's structure. Immutable; built by introspection."""

    dialect: str  # "postgresql", "mysql", "sqlite"
    tables: tuple[Table, ...]
    views: tuple[View, ...] = ()
    enums: tuple[EnumType, ...] = ()
    domains: tuple[Domain, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    routines: tuple[Routine, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    namespaces: tuple[str, ...] = ()  # the schemas (namespaces) introspected, besides the default
    server_version: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def table(self, name: QualifiedName | str) -> Table:
        """Look a table up by qualified name, or by ``"name"`` / ``"schema.name"``."""
        for table in self.tables:
            if table.name == name or str(table.name) == name:
                return table
        raise KeyError(f"no table {name}")

    @property
    def table_names(self) -> tuple[QualifiedName, ...]:
        return tuple(table.name for table in self.tables)

    @property
    def foreign_keys(self) -> tuple[ForeignKey, ...]:
        return tuple(fk for table in self.tables for fk in table.foreign_keys)
