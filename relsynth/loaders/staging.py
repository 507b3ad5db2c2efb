"""Building a target under staging names and swapping it in with one atomic RENAME (MariaDB/MySQL).

Staging tables are named ``_rs_<token>_new_<name>``; the tables they replace are renamed to
``_rs_<token>_old_<name>`` in the same statement and dropped after it. MariaDB keeps foreign key
names unique per database, so a foreign key whose name a replaced table still holds is created
under a temporary name and renamed once that table is gone (metadata only, foreign key checks off).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from relsynth.errors import SchemaCreationError
from relsynth.loaders.generic import driver_message
from relsynth.schema.ddl import SchemaWriter, apply_post_data, check_target
from relsynth.schema.elements import QualifiedName

log = logging.getLogger(__name__)

Found = list[tuple[str, str]]  # (kind, label) of the target's objects that clash, from check_target
_KILL_WAIT_SECONDS = 60.0  # how long a killed statement may take to roll back before the drops go ahead


@dataclass
class StagingNames:
    """The temporary names of one load: tables, replaced tables and clashing foreign keys."""

    token: str
    limit: int  # the engine's longest identifier
    taken: frozenset[str]  # foreign key names (lower case) that replaced tables still hold
    foreign_keys: dict[str, str] = field(default_factory=dict)  # final name -> temporary name

    @classmethod
    def fresh(cls, limit: int, taken: Iterable[str]) -> StagingNames:
        return cls(secrets.token_hex(3), limit, frozenset(taken))

    def _name(self, kind: str, name: str) -> str:
        prefix = f"_rs_{self.token}_{kind}_"
        if len(prefix) + len(name) <= self.limit:
            return prefix + name
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        return prefix + name[: self.limit - len(prefix) - 9] + "_" + digest

    def table_name(self, name: QualifiedName) -> QualifiedName:
        return QualifiedName(name.schema, self._name("new", name.name))

    def trash_name(self, name: QualifiedName) -> QualifiedName:
        return QualifiedName(name.schema, self._name("old", name.name))

    def foreign_key_name(self, name: str) -> str | None:
        if name.lower() not in self.taken:
            return None
        return self.foreign_keys.setdefault(name, f"_rs_{self.token}_fk{len(self.foreign_keys) + 1}")


def clashing(connection: Connection, final: SchemaWriter, *, replace: bool) -> Found:
    """The target's objects that the clone would replace (``TargetNotEmpty`` unless ``replace``).

    A table of the target's own that references one of them would be left pointing at a dropped
    table, so it is refused, as PostgreSQL refuses to drop a table others depend on.
    """
    found = check_target(connection, final, replace=replace)
    tables = [label for kind, label in found if kind == "TABLE"]
    if tables:
        query = sa.text(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IN :tables AND TABLE_NAME NOT IN :tables"
        ).bindparams(sa.bindparam("tables", expanding=True))
        outside = connection.execute(query, {"tables": tables}).first()
        if outside is not None:
            child, constraint, parent = outside
            raise SchemaCreationError(
                f"--replace would drop table {parent}, which foreign key {constraint} of table {child} references; "
                f"drop that foreign key or choose another target; the target was left as it was"
            )
    return found


def taken_foreign_keys(connection: Connection, found: Found) -> set[str]:
    """Names of the foreign keys that the clashing tables hold (they stay taken until the swap)."""
    tables = [label for kind, label in found if kind == "TABLE"]
    if not tables:
        return set()
    query = sa.text(
        "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME IN :tables"
    ).bindparams(sa.bindparam("tables", expanding=True))
    return {row[0].lower() for row in connection.execute(query, {"tables": tables})}


def _replaced(final: SchemaWriter, found: Found, names: Iterable[QualifiedName]) -> list[tuple[str, QualifiedName]]:
    """(kind, name) of the target's objects that stand where ``names`` go."""
    kinds = {label: kind for kind, label in found}
    return [(kinds[str(name)], name) for name in names if str(name) in kinds]


def swap_statement(final: SchemaWriter, staged: SchemaWriter, found: Found, names: StagingNames) -> str:
    """One RENAME TABLE: the replaced tables out of the way, then the staging tables into place."""
    moves = [(name, names.trash_name(name)) for _, name in _replaced(final, found, final.created_tables)]
    moves += [(staged.table_name(t.name), final.table_name(t.name)) for t in final.schema.tables]
    return "RENAME TABLE " + ", ".join(f"{final.quote(old)} TO {final.quote(new)}" for old, new in moves)


def finish_swap(connection: Connection, final: SchemaWriter, staged: SchemaWriter, found: Found, names: StagingNames) -> list[str]:
    """After the swap: drop the replaced tables, give foreign keys their names, create views.

    Nothing here can lose data: a statement that fails becomes a warning.
    """
    statements = ["SET FOREIGN_KEY_CHECKS = 0"]
    statements += [f"DROP {kind} {final.quote(names.trash_name(name))}" for kind, name in _replaced(final, found, final.created_tables)]
    for fk, temporary in staged.staged_foreign_keys.items():
        head = f"ALTER TABLE {final.quote(final.table_name(fk.table))} "
        statement = final.foreign_key_statements[fk]
        statements.append(head + f"DROP FOREIGN KEY {final.quote(QualifiedName(None, temporary))}, " + statement[len(head) :])
    views = _replaced(final, found, final.created_views)
    statements += [f"DROP {kind} IF EXISTS {final.quote(name)}" for kind, name in views]
    statements.append("SET FOREIGN_KEY_CHECKS = 1")
    warnings = []
    for statement in statements:
        try:
            connection.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            warnings.append(f"after loading, the target refused `{statement}`: {driver_message(exc)}")
    apply_post_data(connection, final, by_name=True)  # views and triggers: best effort, warned in ``final``
    return warnings


def drop_staging(engine: Engine, connection: Connection, connection_id: int, staged: SchemaWriter) -> None:
    """Drop every staging table, through a fresh connection once ``connection`` is killed.

    ``connection`` may have been cut midway through a statement (Ctrl-C): its protocol state is
    lost and the server may still be running the statement, so it is killed and waited for first.
    """
    if not connection.closed:
        connection.invalidate()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as cleaner:
        try:
            cleaner.exec_driver_sql(f"KILL CONNECTION {int(connection_id)}")
        except sa.exc.DBAPIError:
            pass  # already gone
        deadline = time.monotonic() + _KILL_WAIT_SECONDS
        alive = sa.text("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = :id")
        while cleaner.execute(alive, {"id": connection_id}).first() and time.monotonic() < deadline:
            time.sleep(0.05)
        for statement in staged.drop_statements():
            try:
                cleaner.exec_driver_sql(statement)
            except sa.exc.DBAPIError as exc:  # keep dropping; say what is left
                log.warning("could not drop a staging table: %s: %s", statement, driver_message(exc))
