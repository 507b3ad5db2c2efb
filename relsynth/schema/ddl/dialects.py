"""Per-engine facts that no capability flag can say: the SQLAlchemy dialect each target's DDL is
compiled against, and SQLite's own parser as the judge of a translated expression."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from sqlalchemy.engine import Dialect


def _postgresql() -> Dialect:
    from sqlalchemy.dialects.postgresql.base import PGDialect

    return PGDialect(paramstyle="named")


def _mariadb() -> Dialect:
    from sqlalchemy.dialects.mysql.base import MySQLDialect

    dialect = MySQLDialect(paramstyle="named")
    dialect.is_mariadb = True  # MariaDB 10.11 is the MySQL-family engine relsynth supports
    return dialect


def _sqlite() -> Dialect:
    from sqlalchemy.dialects.sqlite.base import SQLiteDialect

    return SQLiteDialect(paramstyle="named")


_COMPILERS: dict[str, Callable[[], Dialect]] = {"postgresql": _postgresql, "mysql": _mariadb}


def compile_dialect(name: str) -> Dialect:
    """A dialect for compiling DDL text: ``named`` paramstyle so that ``%`` is never doubled."""
    return _COMPILERS.get(name, _sqlite)()


def sqlite_accepts(expression: str, columns: Iterable[str]) -> bool:
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
