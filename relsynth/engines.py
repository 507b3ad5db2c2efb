"""What each engine can do, declared once.

The DDL writer, the loaders and the pipeline ask these flags; nothing else in relsynth compares
dialect names. Adding an engine means adding one ``Capabilities`` here, not hunting for
``if dialect == ...`` branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from relsynth.errors import ConfigurationError


class RowHash(str, Enum):
    """A deterministic per-row hash in SQL, for seeded samples where TABLESAMPLE does not exist."""

    NONE = "none"  # no usable hash: training samples are drawn while the rows stream past
    CRC32 = "crc32"  # MySQL/MariaDB: CRC32() of the primary key's text (any key types, composite too)
    ROWID = "rowid"  # SQLite: a multiplicative hash of the integer key or the rowid


class SequenceReset(str, Enum):
    """How an engine's auto-numbering is moved past the loaded keys."""

    SETVAL = "setval"  # PostgreSQL: sequences (serial and identity) via setval()
    AUTO_INCREMENT = "auto_increment"  # MySQL/MariaDB: ALTER TABLE ... AUTO_INCREMENT = n
    SQLITE_SEQUENCE = "sqlite_sequence"  # SQLite: the sqlite_sequence row of AUTOINCREMENT tables


@dataclass(frozen=True)
class Capabilities:
    copy: bool  # bulk COPY FROM STDIN (through psycopg 3)
    # CREATE/ALTER roll back with the transaction (SQLite: only once the driver leaves transactions
    # to SQLAlchemy, see ``explicit_begin``).
    transactional_ddl: bool
    deferrable_constraints: bool  # DEFERRABLE INITIALLY DEFERRED foreign keys
    alter_add_constraint: bool  # ALTER TABLE ... ADD CONSTRAINT (FOREIGN KEY / CHECK) after the data
    primary_key_at_create: bool  # the primary key goes into CREATE TABLE (MySQL's AUTO_INCREMENT needs it)
    fk_match: bool  # MATCH FULL / PARTIAL on foreign keys (MySQL refuses it with ON DELETE/UPDATE)
    named_types: bool  # CREATE TYPE / DOMAIN / SEQUENCE
    namespaces: bool  # several schemas inside one database (MySQL's "schemas" are databases)
    partitioning: bool  # declarative PARTITION OF
    comment_statements: bool  # COMMENT ON ...
    inline_comments: bool  # COMMENT '...' inside CREATE TABLE
    sqlglot_dialect: str  # the dialect name sqlglot uses to parse and write this engine's SQL
    max_identifier_length: int
    max_bind_parameters: int  # bind parameters one statement may carry
    native_arrays: bool  # ARRAY columns exist (elsewhere they are JSON text)
    native_interval: bool  # INTERVAL columns exist (elsewhere: seconds or text, as the column's type says)
    native_uuid: bool  # a UUID type exists (elsewhere: 36-character text)
    timezone_aware_timestamps: bool  # TIMESTAMP WITH TIME ZONE keeps the instant (elsewhere: naive UTC)
    temporal_as_text: bool  # dates and times are stored as ISO text (SQLite)
    binds_decimal: bool  # the driver binds decimal.Decimal (sqlite3 does not: sent as text)
    schemas: bool  # tables live in named schemas (namespaces) besides the default
    sequence_reset: SequenceReset
    ddl_commits_transaction: bool  # ALTER/CREATE commit the open transaction implicitly (MySQL)
    # The driver opens and commits transactions around DDL by itself (pysqlite); a target engine
    # sets it to autocommit and sends BEGIN itself so that CREATE TABLE rolls back with the rows.
    explicit_begin: bool = False
    # One RENAME TABLE a TO b, c TO d swaps several tables atomically: where DDL is not
    # transactional, a target is built under staging names and renamed into place at the end.
    atomic_rename: bool = False
    # Foreign keys are not enforced as rows load (SQLite's default): PRAGMA foreign_key_check
    # verifies them all before the load commits.
    verify_foreign_keys: bool = False
    # TABLESAMPLE BERNOULLI (p) REPEATABLE (seed): a seeded sample drawn by the server.
    tablesample: bool = False
    row_hash: RowHash = RowHash.NONE  # how a seeded sample is drawn in SQL without TABLESAMPLE


_POSTGRESQL = Capabilities(
    copy=True,
    transactional_ddl=True,
    deferrable_constraints=True,
    alter_add_constraint=True,
    primary_key_at_create=False,
    fk_match=True,
    named_types=True,
    namespaces=True,
    partitioning=True,
    comment_statements=True,
    inline_comments=False,
    sqlglot_dialect="postgres",
    max_identifier_length=63,
    max_bind_parameters=65535,
    native_arrays=True,
    native_interval=True,
    native_uuid=True,
    timezone_aware_timestamps=True,
    temporal_as_text=False,
    binds_decimal=True,
    schemas=True,
    sequence_reset=SequenceReset.SETVAL,
    ddl_commits_transaction=False,
    tablesample=True,
)

_MYSQL = Capabilities(
    copy=False,
    transactional_ddl=False,
    deferrable_constraints=False,
    alter_add_constraint=True,
    primary_key_at_create=True,
    fk_match=False,
    named_types=False,
    namespaces=False,
    partitioning=False,
    comment_statements=False,
    inline_comments=True,
    sqlglot_dialect="mysql",
    max_identifier_length=64,
    max_bind_parameters=65535,
    native_arrays=False,
    native_interval=False,
    native_uuid=False,  # MariaDB >= 10.7 has UUID, MySQL does not: CHAR(36) works on both
    timezone_aware_timestamps=False,
    temporal_as_text=False,
    binds_decimal=True,
    schemas=True,  # a MySQL "schema" is a database on the same server
    sequence_reset=SequenceReset.AUTO_INCREMENT,
    ddl_commits_transaction=True,
    atomic_rename=True,
    row_hash=RowHash.CRC32,
)

_SQLITE = Capabilities(
    copy=False,
    transactional_ddl=True,
    deferrable_constraints=True,
    alter_add_constraint=False,  # constraints must be declared in CREATE TABLE
    primary_key_at_create=True,
    fk_match=True,
    named_types=False,
    namespaces=False,
    partitioning=False,
    comment_statements=False,
    inline_comments=False,
    sqlglot_dialect="sqlite",
    max_identifier_length=1024,  # no real limit; keep names sane
    max_bind_parameters=32766,  # SQLITE_MAX_VARIABLE_NUMBER since 3.32
    native_arrays=False,
    native_interval=False,
    native_uuid=False,
    timezone_aware_timestamps=False,
    temporal_as_text=True,
    binds_decimal=False,
    schemas=False,
    sequence_reset=SequenceReset.SQLITE_SEQUENCE,
    ddl_commits_transaction=False,
    explicit_begin=True,
    verify_foreign_keys=True,
    row_hash=RowHash.ROWID,
)

_BY_DIALECT = {"postgresql": _POSTGRESQL, "mysql": _MYSQL, "mariadb": _MYSQL, "sqlite": _SQLITE}


def capabilities_for(dialect_name: str) -> Capabilities:
    """The declared capabilities of ``dialect_name`` (SQLAlchemy's ``dialect.name``)."""
    try:
        return _BY_DIALECT[dialect_name]
    except KeyError:
        known = ", ".join(sorted(_BY_DIALECT))
        raise ConfigurationError(
            f"relsynth cannot load into a {dialect_name!r} database: supported targets are {known}"
        ) from None
