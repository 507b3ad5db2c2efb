"""Which database a connection reaches, as its server tells it, not as its URL spells it.

Two URLs can name one database in many ways (``localhost`` or ``127.0.0.1``, a default port
written out, query parameters, a relative, absolute or symlinked SQLite path), so relsynth never
compares URLs: it asks each server.

- PostgreSQL: the cluster's system identifier (``pg_control_system()``) and the database's oid.
- MySQL / MariaDB: the server's ``server_uuid`` (MySQL) or ``server_uid`` with host name, port and
  data directory (MariaDB), and the databases ("schemas") read or written.
- SQLite: the file's device and inode (links and relative paths resolve to the same pair).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.engines import IdentityBy, capabilities_for, known_capabilities
from relsynth.schema.introspection import default_namespace

# The system identifier when this role may read it (every role may, by default, since 9.6);
# else the server's address, which is weaker but never says two servers are one.
_PG_IDENTITY = """
SELECT CASE WHEN has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
            THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system())
            ELSE coalesce(host(inet_server_addr()), 'socket') || ':' || inet_server_port()::text END,
       (SELECT oid::text FROM pg_catalog.pg_database WHERE datname = current_database())
"""

_MYSQL_VARIABLES = ("server_uuid", "server_uid", "hostname", "port", "datadir")


@dataclass(frozen=True)
class DatabaseIdentity:
    """A database as its server knows it; two identities that overlap reach the same data."""

    engine: str  # postgresql | mysql | sqlite
    server: str  # PostgreSQL system identifier, MySQL/MariaDB server id, SQLite device
    databases: tuple[str, ...]  # PostgreSQL database oid, MySQL databases, SQLite inode
    path: str | None = None  # SQLite: the file, so that a recorded source can be found again

    def overlaps(self, other: DatabaseIdentity) -> bool:
        return (self.engine, self.server) == (other.engine, other.server) and bool(set(self.databases) & set(other.databases))

    def describe(self) -> str:
        """How the match was found, for the refusal."""
        how = capabilities_for(self.engine).identity_by
        if how is IdentityBy.FILE:
            return f"both open the file {self.path}"
        if how is IdentityBy.SYSTEM_IDENTIFIER:
            return f"same cluster (system identifier {self.server}), same database (oid {self.databases[0]})"
        return f"same server ({self.server}), database {', '.join(self.databases)}"

    def still_present(self) -> bool:
        """A recorded SQLite identity is trusted only while its file is still there with the same
        inode: after a delete, a new file may be given the freed inode."""
        if capabilities_for(self.engine).identity_by is not IdentityBy.FILE or self.path is None:
            return True
        try:
            return _file_identity(Path(self.path)) == self
        except OSError:
            return False

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "server": self.server, "databases": list(self.databases), "path": self.path}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DatabaseIdentity | None:
        if not data:
            return None
        return cls(data["engine"], data["server"], tuple(data["databases"]), data.get("path"))


def identify(connection: Connection, namespaces: tuple[str, ...] = ()) -> DatabaseIdentity | None:
    """The identity of the database ``connection`` reaches; None for an in-memory SQLite database.

    ``namespaces``: on MySQL, the other databases of the server that are read or written too.
    """
    caps = known_capabilities(connection.dialect.name)
    how = caps.identity_by if caps is not None else None  # an undeclared engine: no identity, as an in-memory one
    if how is IdentityBy.SYSTEM_IDENTIFIER:
        system, oid = connection.exec_driver_sql(_PG_IDENTITY).one()
        return DatabaseIdentity("postgresql", str(system), (str(oid),))
    if how is IdentityBy.SERVER_VARIABLES:
        names = ", ".join(f"'{name}'" for name in _MYSQL_VARIABLES)
        found = dict(connection.exec_driver_sql(f"SHOW VARIABLES WHERE Variable_name IN ({names})").all())
        server = found.get("server_uuid") or ":".join(str(found.get(k, "")) for k in _MYSQL_VARIABLES[1:])
        current = connection.exec_driver_sql("SELECT DATABASE()").scalar()
        databases = tuple(dict.fromkeys(n for n in (current, *namespaces) if n))
        return DatabaseIdentity("mysql", server, databases)
    if how is IdentityBy.FILE:
        files = {row[1]: row[2] for row in connection.exec_driver_sql("PRAGMA database_list")}
        return _file_identity(Path(files["main"])) if files.get("main") else None
    return None


def file_identity(path: Path) -> DatabaseIdentity | None:
    """The identity of the SQLite database in ``path``; None when there is no such file yet."""
    try:
        return _file_identity(path)
    except FileNotFoundError:
        return None


def _file_identity(path: Path) -> DatabaseIdentity:
    status = os.stat(path)  # follows symbolic links: a link and its file are one database
    return DatabaseIdentity("sqlite", str(status.st_dev), (str(status.st_ino),), str(path.resolve()))


def identify_url(engine: sa.Engine, namespaces: tuple[str, ...] = ()) -> tuple[DatabaseIdentity | None, str | None]:
    """(identity, default namespace name) of the database behind ``engine``."""
    with engine.connect() as connection:
        identity = identify(connection, namespaces)
        default = default_namespace(connection)
        connection.rollback()
    return identity, default
