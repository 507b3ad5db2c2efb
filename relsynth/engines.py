"""What each engine can do, declared once.

The DDL writer, the loaders, the connections, preflight and the report ask these flags; nothing
else in relsynth compares dialect names (tests/unit/test_engines.py holds that). Adding an engine
means adding one ``Capabilities`` here, not hunting for ``if dialect == ...`` branches.
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
    """How an engine numbers rows: the loaders move it past the loaded keys, the report reads it back."""

    SETVAL = "setval"  # PostgreSQL: sequences (serial and identity) via setval()
    AUTO_INCREMENT = "auto_increment"  # MySQL/MariaDB: ALTER TABLE ... AUTO_INCREMENT = n
    SQLITE_SEQUENCE = "sqlite_sequence"  # SQLite: the sqlite_sequence row of AUTOINCREMENT tables


class Catalog(str, Enum):
    """Where introspection reads what SQLAlchemy's Inspector does not say about a schema."""

    PG_CATALOG = "pg_catalog"  # PostgreSQL: partitions, domains, sequences, routines, triggers, exclusions
    INFORMATION_SCHEMA = "information_schema"  # MySQL/MariaDB: JSON and spatial columns, every foreign key
    SQLITE_MASTER = "sqlite_master"  # SQLite: CREATE statements and PRAGMAs (rowid aliases, inline UNIQUE)


class ReadOnlyBy(str, Enum):
    """How a source connection is made to refuse every write."""

    CONNECT_OPTION = "connect_option"  # PostgreSQL: -c default_transaction_read_only=on in the URL's options
    SESSION = "session"  # MySQL/MariaDB: SET SESSION TRANSACTION READ ONLY on each new connection
    FILE_MODE = "file_mode"  # SQLite: the file opened as a mode=ro URI (never created when missing)


class SnapshotBy(str, Enum):
    """How one consistent, read-only view of the whole database is opened."""

    READ_ONLY_TRANSACTION = "read_only_transaction"  # PostgreSQL: REPEATABLE READ, READ ONLY
    CONSISTENT_SNAPSHOT = "consistent_snapshot"  # MySQL/MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT
    QUERY_ONLY = "query_only"  # SQLite: PRAGMA query_only on the connection


class IdentityBy(str, Enum):
    """What tells one database from another, whatever its URL (see ``relsynth.identity``)."""

    SYSTEM_IDENTIFIER = "system_identifier"  # PostgreSQL: the cluster's system identifier and the database oid
    SERVER_VARIABLES = "server_variables"  # MySQL/MariaDB: the server's uuid/uid and the databases used
    FILE = "file"  # SQLite: the file's device and inode


class PrivilegeProbe(str, Enum):
    """How preflight finds out, before training, whether the target accepts new tables."""

    SCHEMA_GRANTS = "schema_grants"  # PostgreSQL: has_schema_privilege / has_database_privilege
    PROBE_TABLE = "probe_table"  # MySQL/MariaDB: create and drop an empty table (grants are too varied to read)
    NONE = "none"  # SQLite: a writable file is enough


class SeededRandom(str, Enum):
    """How rows are put in a repeatable random order, to sample a large table."""

    SETSEED = "setseed"  # PostgreSQL: setseed() for the session, then ORDER BY random()
    RAND_SEED = "rand_seed"  # MySQL/MariaDB: ORDER BY rand(seed)
    ROWID_HASH = "rowid_hash"  # SQLite: random() takes no seed, so a multiplicative hash of the rowid


@dataclass(frozen=True, kw_only=True)
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
    # GROUP BY GROUPING SETS: several groupings of a table counted in one scan of it.
    grouping_sets: bool = False
    # -- the schema layer (relsynth/schema: DDL and introspection) --------------------------------
    # Where introspection reads the facts the Inspector lacks; None: the Inspector alone.
    catalog: Catalog | None = None
    # The statement that returns the server's version, recorded in the schema snapshot.
    server_version_sql: str | None = None
    # The namespace an unqualified name lands in (PostgreSQL's ``public``): names in it are written
    # unqualified. None where the engine has one namespace per database.
    default_namespace: str | None = None
    # A view's definition reads back as its whole CREATE VIEW statement, not only its query.
    view_definition_is_statement: bool = False
    materialized_views: bool = False  # CREATE MATERIALIZED VIEW
    identity_columns: bool = False  # GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY columns
    # Only a column declared exactly ``INTEGER PRIMARY KEY`` numbers itself (SQLite's rowid alias).
    autoincrement_needs_integer_type: bool = False
    backslash_escapes: bool = False  # a backslash escapes in string literals, so it is written doubled
    boolean_literals: bool = False  # TRUE / FALSE literals (elsewhere a boolean default is 1 / 0)
    current_timestamp_default: str = "CURRENT_TIMESTAMP"  # "now" as a column default
    current_date_default: str = "CURRENT_DATE"  # "today" as a column default
    index_methods: bool = False  # CREATE INDEX ... USING gist / gin / brin / hash
    expression_indexes: bool = False  # indexes over expressions and partial (WHERE) indexes
    # A translated CHECK is first tried on an in-memory SQLite: it goes into CREATE TABLE, where one
    # the engine cannot parse would refuse the whole table.
    checks_tried_in_memory: bool = False
    # DROP TABLE a, b drops tables that reference each other in one statement, without CASCADE.
    drop_tables_together: bool = False
    # SET FOREIGN_KEY_CHECKS = 0 lets tables that reference each other be dropped one at a time.
    foreign_key_checks_switch: bool = False
    integers_hold_64_bits: bool = False  # every integer column holds 64 bits, whatever its declared name
    # Asked by the connections, preflight, identity and report modules rather than the DDL writer.
    database_is_file: bool  # the URL names a file, not a server (no CREATE DATABASE, no privileges to ask)
    read_only_by: ReadOnlyBy  # how a source connection refuses writes
    snapshot_by: SnapshotBy  # how one consistent read-only snapshot is opened
    # A second connection can import an open snapshot (pg_export_snapshot, SET TRANSACTION
    # SNAPSHOT), so two connections read the same data at once.
    snapshot_export: bool = False
    identity_by: IdentityBy  # what tells two databases apart, whatever their URLs
    privilege_probe: PrivilegeProbe  # how preflight asks whether the target accepts new tables
    # Databases to connect to when asking the server about its databases (None: connect to none).
    maintenance_databases: tuple[str | None, ...]
    database_exists_sql: str | None  # whether database :name exists on the server (None: a file)
    seeded_random: SeededRandom  # how the report samples a large table in a repeatable order
    # executemany sends the rows one by one when a bind marker is wrapped in a function
    # (PyMySQL with ST_GeomFromText(%s)): a failing row is then found by counting the rows written.
    wrapped_markers_sent_singly: bool
    # Text equality ignores case under the default collations (MySQL/MariaDB): comparisons that
    # must tell 'CA' from 'ca' compare bytes.
    case_insensitive_text: bool = False


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
    grouping_sets=True,
    catalog=Catalog.PG_CATALOG,
    server_version_sql="SHOW server_version",
    default_namespace="public",
    materialized_views=True,
    identity_columns=True,
    boolean_literals=True,
    index_methods=True,
    expression_indexes=True,
    drop_tables_together=True,
    database_is_file=False,
    read_only_by=ReadOnlyBy.CONNECT_OPTION,
    snapshot_by=SnapshotBy.READ_ONLY_TRANSACTION,
    snapshot_export=True,
    identity_by=IdentityBy.SYSTEM_IDENTIFIER,
    privilege_probe=PrivilegeProbe.SCHEMA_GRANTS,
    maintenance_databases=("postgres", "template1"),
    database_exists_sql="SELECT 1 FROM pg_catalog.pg_database WHERE datname = :name",
    seeded_random=SeededRandom.SETSEED,
    wrapped_markers_sent_singly=False,
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
    catalog=Catalog.INFORMATION_SCHEMA,
    server_version_sql="SELECT VERSION()",
    view_definition_is_statement=True,
    backslash_escapes=True,
    current_timestamp_default="CURRENT_TIMESTAMP(6)",
    current_date_default="(CURRENT_DATE)",  # an expression default must be parenthesised
    foreign_key_checks_switch=True,
    database_is_file=False,
    read_only_by=ReadOnlyBy.SESSION,
    snapshot_by=SnapshotBy.CONSISTENT_SNAPSHOT,
    identity_by=IdentityBy.SERVER_VARIABLES,
    privilege_probe=PrivilegeProbe.PROBE_TABLE,
    maintenance_databases=(None,),  # a MySQL connection needs no database
    database_exists_sql="SELECT 1 FROM information_schema.schemata WHERE schema_name = :name",
    seeded_random=SeededRandom.RAND_SEED,
    wrapped_markers_sent_singly=True,
    case_insensitive_text=True,
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
    catalog=Catalog.SQLITE_MASTER,
    server_version_sql="SELECT sqlite_version()",
    view_definition_is_statement=True,
    autoincrement_needs_integer_type=True,
    expression_indexes=True,
    checks_tried_in_memory=True,
    integers_hold_64_bits=True,
    database_is_file=True,
    read_only_by=ReadOnlyBy.FILE_MODE,
    snapshot_by=SnapshotBy.QUERY_ONLY,
    identity_by=IdentityBy.FILE,
    privilege_probe=PrivilegeProbe.NONE,
    maintenance_databases=(),
    database_exists_sql=None,
    seeded_random=SeededRandom.ROWID_HASH,
    wrapped_markers_sent_singly=False,
)

_BY_DIALECT = {"postgresql": _POSTGRESQL, "mysql": _MYSQL, "mariadb": _MYSQL, "sqlite": _SQLITE}


def capabilities_for(dialect_name: str) -> Capabilities:
    """The declared capabilities of ``dialect_name`` (SQLAlchemy's ``dialect.name``)."""
    found = known_capabilities(dialect_name)
    if found is None:
        known = ", ".join(sorted(_BY_DIALECT))
        raise ConfigurationError(
            f"relsynth cannot load into a {dialect_name!r} database: supported targets are {known}"
        )
    return found


def known_capabilities(dialect_name: str) -> Capabilities | None:
    """Those of ``dialect_name``; None for an engine relsynth does not declare, where the caller
    goes on and lets the driver's own error (often: not installed) say what is wrong."""
    return _BY_DIALECT.get(dialect_name)


def sqlglot_dialect(name: str) -> str:
    """sqlglot's name for the engine ``name``; a name sqlglot already uses (``postgres``) passes through."""
    found = known_capabilities(name)
    return found.sqlglot_dialect if found is not None else name
