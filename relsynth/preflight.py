"""Checks made before anything is learnt, so that a clone that cannot succeed is refused at once.

The source must exist (it is only ever opened read-only) and hold tables; the target must exist
(or be created with ``create``), accept new tables, not already hold the tables relsynth would
create (unless ``replace``), and above all not be the source, however the two URLs are spelled.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from relsynth.connections import create_engine, parse_url, redact, sqlite_path
from relsynth.engines import PrivilegeProbe, known_capabilities
from relsynth.errors import (
    ConnectionFailed,
    SourceEmpty,
    TargetIsSource,
    TargetMissing,
    TargetNotWritable,
    driver_reason,
)
from relsynth.identity import DatabaseIdentity, file_identity, identify, identify_url
from relsynth.schema.ddl import SchemaWriter, refuse_clashes
from relsynth.schema.elements import Schema

log = logging.getLogger(__name__)

_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class SourceFacts:
    identity: DatabaseIdentity | None  # None: an in-memory SQLite database
    default_namespace: str | None  # public, the MySQL database, main


def probe_source(source_url: str, schemas: list[str] | None = None) -> SourceFacts:
    """Open the source read-only (a missing SQLite file is an error, never created) and identify it."""
    engine = create_engine(source_url, read_only=True)
    try:
        identity, default = identify_url(engine, tuple(schemas or ()))
    finally:
        engine.dispose()
    return SourceFacts(identity, default)


def require_tables(schema: Schema, source_url: str, schemas: list[str] | None) -> None:
    if not schema.tables:
        where = f"schema(s) {', '.join(schemas)}" if schemas else "its default schema"
        raise SourceEmpty(
            f"the source {redact(source_url)} holds no tables in {where}, so there is nothing to clone; "
            "check the database name in the URL (and --schema)"
        )


def check_target(
    target_url: str, *, sources: list[DatabaseIdentity], create: bool = False, namespaces: tuple[str, ...] = ()
) -> None:
    """Refuse a target that is one of ``sources``, is missing (unless ``create``) or refuses new tables.

    ``namespaces``: the schemas besides the default that the clone will write (PostgreSQL).
    """
    if _is_file(parse_url(target_url)):
        _check_sqlite_target(target_url, sources, create)
        return
    engine = _open_server_target(target_url, create)
    try:
        with engine.connect() as connection:
            _refuse_source(identify(connection), sources, target_url)
            caps = known_capabilities(connection.dialect.name)
            probe = caps.privilege_probe if caps is not None else PrivilegeProbe.NONE
            if probe is PrivilegeProbe.SCHEMA_GRANTS:
                _check_postgres_privileges(connection, namespaces)
            elif probe is PrivilegeProbe.PROBE_TABLE:
                _check_mysql_privileges(connection)
            if connection.in_transaction():
                connection.rollback()
    finally:
        engine.dispose()


def check_no_clashes(schema: Schema, target_url: str) -> None:
    """Raise ``TargetNotEmpty`` now, rather than after training, when the target holds a table
    (or view, type, sequence) that the clone of ``schema`` would create."""
    path = path_of(target_url)
    if path is not None and not path.exists():
        return  # a new file: nothing in it, and connecting would create it
    writer = SchemaWriter(schema, parse_url(target_url).get_backend_name())
    engine = create_engine(target_url)
    try:
        with engine.connect() as connection:
            refuse_clashes(connection, writer)
            if connection.in_transaction():
                connection.rollback()
    finally:
        engine.dispose()


def _refuse_source(target: DatabaseIdentity | None, sources: list[DatabaseIdentity], target_url: str) -> None:
    if target is not None and any(target.overlaps(source) for source in sources):
        raise TargetIsSource(
            f"the target {redact(target_url)} is the source database ({target.describe()}), however the URLs are "
            "spelled; relsynth never writes to its source: choose another target database"
        )


# -- SQLite --------------------------------------------------------------------------------------


def _check_sqlite_target(target_url: str, sources: list[DatabaseIdentity], create: bool) -> None:
    path = sqlite_path(target_url)
    if path is None:
        return  # in memory: a database of its own
    folder = path.parent
    if not folder.is_dir():
        if not create:
            raise TargetMissing(
                f"the folder {folder} of the target SQLite database does not exist; create it, or pass --create-target"
            )
        folder.mkdir(parents=True)
    _refuse_source(file_identity(path), sources, target_url)
    if path.exists():
        if not path.is_file() or not os.access(path, os.R_OK | os.W_OK):
            raise TargetNotWritable(f"the target {path} is not a file this user may write; check its permissions")
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
        if head and head != _SQLITE_MAGIC:
            raise TargetNotWritable(f"the target {path} is not an SQLite database; choose a new file name")
    if not os.access(folder, os.W_OK | os.X_OK):  # SQLite writes its journal beside the file
        raise TargetNotWritable(f"this user may not write in {folder}, where the target SQLite database lives; check its permissions")


# -- servers -------------------------------------------------------------------------------------


def _open_server_target(target_url: str, create: bool) -> sa.Engine:
    try:
        return create_engine(target_url)
    except ConnectionFailed:
        parsed = parse_url(target_url)
        if not parsed.database or _database_exists(parsed) is not False:
            raise
        if not create:
            raise TargetMissing(
                f"the target database {parsed.database!r} does not exist on {redact(parsed._replace(database=None))}; "
                "create it, or pass --create-target"
            ) from None
    _create_database(parse_url(target_url))
    return create_engine(target_url)


def _maintenance_urls(parsed: URL) -> list[URL]:
    """Where to ask the server about its databases: PostgreSQL's maintenance databases, MySQL's none."""
    caps = known_capabilities(parsed.get_backend_name())
    if caps is None or not caps.maintenance_databases:  # an undeclared engine: connect to no database
        return [parsed._replace(database=None)]
    return [parsed.set(database=name) if name else parsed._replace(database=None) for name in caps.maintenance_databases]


def _database_exists(parsed: URL) -> bool | None:
    """Whether the server holds ``parsed.database``; None when it cannot be asked."""
    caps = known_capabilities(parsed.get_backend_name())
    sql = caps.database_exists_sql if caps is not None else None
    # An undeclared engine is asked through the standard information_schema, as before.
    query = sa.text(sql or "SELECT 1 FROM information_schema.schemata WHERE schema_name = :name")
    for url in _maintenance_urls(parsed):
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                return connection.execute(query, {"name": parsed.database}).first() is not None
        except SQLAlchemyError:
            continue
        finally:
            engine.dispose()
    return None


def _create_database(parsed: URL) -> None:
    for url in _maintenance_urls(parsed):
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                quoted = connection.dialect.identifier_preparer.quote_identifier(parsed.database)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
                log.info("created database %s", parsed.database)
                return
        except SQLAlchemyError as exc:
            reason = driver_reason(exc)
            raise TargetNotWritable(
                f"cannot create the target database {parsed.database!r}: {reason}; create it yourself, "
                "or ask for the CREATEDB (PostgreSQL) or CREATE (MySQL) privilege"
            ) from exc
        finally:
            engine.dispose()


def _check_postgres_privileges(connection: Connection, namespaces: tuple[str, ...]) -> None:
    user, schema, may_create, read_only = connection.exec_driver_sql(
        "SELECT current_user, current_schema(), "
        "current_schema() IS NOT NULL AND has_schema_privilege(current_schema(), 'CREATE'), "
        "current_setting('transaction_read_only') = 'on'"
    ).one()
    if read_only:
        raise TargetNotWritable("the target server accepts reads only (a standby, or default_transaction_read_only); choose a writable one")
    if schema is None:
        raise TargetNotWritable(f"the target has no schema on {user}'s search_path to create tables in; create one, or set search_path")
    if not may_create:
        raise TargetNotWritable(
            f"user {user} may not create tables in schema {schema} of the target; "
            f'run GRANT CREATE ON SCHEMA "{schema}" TO "{user}", or use a database that {user} owns'
        )
    for namespace in namespaces:
        exists = connection.execute(sa.text("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = :n"), {"n": namespace}).first()
        check = "has_schema_privilege(:n, 'CREATE')" if exists else "has_database_privilege(current_database(), 'CREATE')"
        if not connection.execute(sa.text(f"SELECT {check}"), {"n": namespace}).scalar():
            what = f"tables in schema {namespace}" if exists else f"schema {namespace}"
            raise TargetNotWritable(f"user {user} may not create {what} in the target; grant CREATE on it, or leave --schema {namespace} out")


def _check_mysql_privileges(connection: Connection) -> None:
    """Create and drop an empty probe table: MySQL's grants (wildcards, roles) are read most
    reliably by the server itself."""
    if connection.exec_driver_sql("SELECT @@global.read_only").scalar():
        raise TargetNotWritable("the target server is read-only (read_only = ON); choose a writable one")
    probe = connection.dialect.identifier_preparer.quote_identifier(f"relsynth_probe_{uuid.uuid4().hex[:12]}")
    try:
        connection.exec_driver_sql(f"CREATE TABLE {probe} (id INT)")
    except SQLAlchemyError as exc:
        reason = driver_reason(exc)
        raise TargetNotWritable(f"the target refuses new tables: {reason}; grant CREATE, ALTER, INDEX and DROP on it") from exc
    try:
        connection.exec_driver_sql(f"DROP TABLE {probe}")
    except SQLAlchemyError as exc:
        reason = driver_reason(exc)
        raise TargetNotWritable(f"the target refuses DROP TABLE ({reason}); drop {probe} by hand and grant DROP") from exc


def namespaces_written(schemas: list[str] | None, source_default: str | None) -> tuple[str, ...]:
    """The schemas besides the default that a clone of ``schemas`` creates in the target."""
    return tuple(s for s in dict.fromkeys(schemas or ()) if s != source_default)


def path_of(url: str) -> Path | None:
    """The file of an SQLite URL; None for other engines and in-memory databases."""
    return sqlite_path(url) if _is_file(parse_url(url)) else None


def _is_file(parsed: URL) -> bool:
    """Whether ``parsed`` names a database file (SQLite) rather than a server."""
    caps = known_capabilities(parsed.get_backend_name())
    return caps is not None and caps.database_is_file
