"""Opening databases: URL normalisation, clear connection errors, read-only snapshots.

This is the only module that turns a user's URL into a SQLAlchemy engine. Passwords never leave it
in clear: every message uses ``redact``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from relsynth.engines import ReadOnlyBy, SnapshotBy, capabilities_for, known_capabilities
from relsynth.errors import ConfigurationError, ConnectionFailed, DriverMissing, SourceMissing

# The driver relsynth installs for each backend; a bare "postgresql://" means this one.
_DEFAULT_DRIVERS = {"postgresql": "psycopg", "postgres": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
_BACKEND_ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}


def parse_url(url: str | URL) -> URL:
    """Parse ``url`` and pick relsynth's bundled driver when none is named."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"cannot parse database URL {url!r}: expected e.g. postgresql://user@host/db or sqlite:///file.db"
        ) from exc
    backend, _, driver = parsed.drivername.partition("+")
    if not driver and backend in _DEFAULT_DRIVERS:
        driver = _DEFAULT_DRIVERS[backend]
    backend = _BACKEND_ALIASES.get(backend, backend)
    return parsed.set(drivername=f"{backend}+{driver}" if driver else backend)


def redact(url: str | URL) -> str:
    """The URL as it may appear in messages and logs: password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def dialect_name(url: str | URL) -> str:
    """``postgresql``, ``mysql`` or ``sqlite`` (MariaDB is ``mysql``)."""
    return parse_url(url).get_backend_name()


def sqlite_path(url: str | URL) -> Path | None:
    """The file an SQLite URL opens, absolute (relative paths are from the working directory);
    None for an in-memory database. Both ``sqlite:///x.db`` and ``sqlite:///file:x.db?uri=true``."""
    parsed = parse_url(url)
    database = parsed.database or ""
    if parsed.query.get("uri", "").lower() in ("true", "1") and database.startswith("file:"):
        if parsed.query.get("mode") == "memory":
            return None
        database = unquote(urlsplit(database).path)
    if database in ("", ":memory:"):
        return None
    return Path(os.path.abspath(database))


def _read_only(parsed: URL) -> tuple[URL, bool]:
    """``parsed`` opened so that no statement can write: (URL, whether the MySQL session needs
    ``SET SESSION TRANSACTION READ ONLY`` on each new connection)."""
    caps = known_capabilities(parsed.get_backend_name())
    how = caps.read_only_by if caps is not None else None  # an undeclared engine: its driver's error comes next
    if how is ReadOnlyBy.CONNECT_OPTION:
        options = f"{parsed.query.get('options', '')} -c default_transaction_read_only=on".strip()
        return parsed.update_query_dict({"options": options}), False
    if how is ReadOnlyBy.FILE_MODE:
        path = sqlite_path(parsed)
        if path is None:
            return parsed, False
        if not path.is_file():
            raise SourceMissing(
                f"the SQLite database {path} does not exist; check the path (relsynth never creates a database it only reads)"
            )
        query = {k: v for k, v in parsed.query.items() if k in ("timeout", "check_same_thread", "detect_types")}
        read_only = parsed.set(database=f"file:{quote(str(path))}", query={**query, "uri": "true", "mode": "ro"})
        return read_only, False
    return parsed, how is ReadOnlyBy.SESSION


def create_engine(url: str | URL, *, read_only: bool = False, **kwargs: object) -> Engine:
    """An engine for ``url`` whose first connection has succeeded, or a one-line error.

    ``read_only`` (for sources) makes every connection refuse writes at the session level:
    PostgreSQL ``default_transaction_read_only``, MySQL/MariaDB a read-only session, SQLite a file
    opened ``mode=ro`` (which also never creates a missing file).
    """
    parsed = parse_url(url)
    session_read_only = False
    if read_only:
        parsed, session_read_only = _read_only(parsed)
    try:
        engine = sa.create_engine(parsed, **kwargs)
        if session_read_only:
            sa.event.listen(engine, "connect", _mysql_read_only_session)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise DriverMissing(
            f"the driver for {parsed.drivername!r} is not installed ({exc}); install it with pip, "
            "or use postgresql://, mysql:// or sqlite:// which relsynth bundles"
        ) from exc
    except ArgumentError as exc:
        raise ConfigurationError(f"invalid database URL {redact(parsed)}: {exc}") from exc
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise ConnectionFailed(
            f"cannot connect to {redact(parsed)}: {reason}; check the host, port, database name and credentials"
        ) from exc
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConnectionFailed(f"cannot connect to {redact(parsed)}: {exc}") from exc
    return engine


def create_target_engine(url: str | URL) -> Engine:
    """An engine for writing a target, whose transactions hold DDL wherever the engine can.

    pysqlite commits before CREATE TABLE on its own; here it is put in autocommit mode and
    SQLAlchemy's BEGIN is sent explicitly (SQLAlchemy's documented recipe), so that tables, rows
    and sequences commit or roll back together.
    """
    engine = create_engine(url)
    if capabilities_for(engine.dialect.name).explicit_begin:
        engine.dispose()  # the probe connection was opened with the driver's own transactions

        @event.listens_for(engine, "connect")
        def _leave_transactions_to_sqlalchemy(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def _mysql_read_only_session(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    try:
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
    finally:
        cursor.close()


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read-only transaction over one consistent snapshot, rolled back after.

    PostgreSQL: REPEATABLE READ, READ ONLY. MySQL/MariaDB: a consistent-snapshot read-only
    transaction. SQLite: ``PRAGMA query_only`` on the connection.
    """
    caps = known_capabilities(engine.dialect.name)
    how = caps.snapshot_by if caps is not None else None  # an undeclared engine gets SQLite's pragma, as before
    with engine.connect() as connection:
        if how is SnapshotBy.READ_ONLY_TRANSACTION:
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            connection.begin()
        elif how is SnapshotBy.CONSISTENT_SNAPSHOT:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        else:
            connection.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield connection
        finally:
            connection.rollback()
            if how is SnapshotBy.QUERY_ONLY:
                connection.exec_driver_sql("PRAGMA query_only = OFF")


@contextmanager
def snapshot_twin(connection: Connection) -> Iterator[Connection | None]:
    """A second connection inside ``connection``'s snapshot (opened by ``read_snapshot``), for
    another thread to read the same data while this one is busy; None where the engine cannot
    share a snapshot (MySQL's and SQLite's are each their own), or its id looks foreign.

    PostgreSQL: ``pg_export_snapshot()`` here, ``SET TRANSACTION SNAPSHOT`` there, in a
    REPEATABLE READ, READ ONLY transaction of a connection that refuses writes as the first does.
    """
    caps = known_capabilities(connection.dialect.name)
    if caps is None or not caps.snapshot_export:
        yield None
        return
    snapshot = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):  # written into the statement: SET takes no parameter
        yield None
        return
    with connection.engine.connect() as twin:
        twin = twin.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        twin.begin()
        try:
            twin.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            yield twin
        finally:
            twin.rollback()
