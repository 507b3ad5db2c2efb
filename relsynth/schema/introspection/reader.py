"""``introspect``: one read-only snapshot of a live database's catalog -> ``Schema``.

``Reader`` holds what one introspection shares (the connection, the Inspector, the namespaces,
what the engine declares it can do, and the warnings learnt along the way); the modules beside
this one build each part of the schema from it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.exc import SAWarning, SQLAlchemyError

from relsynth.connections import create_engine, read_snapshot, redact
from relsynth.engines import Catalog, SequenceReset
from relsynth.errors import IntrospectionError, RelsynthError, driver_reason
from relsynth.schema.elements import ColumnType, QualifiedName, Schema, Table, TypeKind, View
from relsynth.schema.introspection import mariadb, postgresql, sqlite
from relsynth.schema.introspection.inspector import declared_capabilities, inspector_of
from relsynth.schema.introspection.postgresql import PgState, sort_key
from relsynth.schema.introspection.tables import read_tables
from relsynth.schema.introspection.views import read_views


def introspect(url: str, *, schemas: Sequence[str] | None = None) -> Schema:
    """Read the structure of the database at ``url`` (read-only, one snapshot) into a ``Schema``.

    ``schemas`` None means the default schema (``public``, the MySQL database, SQLite's ``main``);
    a list names the namespaces to read. Tables in the default schema get ``QualifiedName.schema``
    None, the others their namespace name.
    """
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SAWarning)
            try:
                reader = Reader(connection, schemas)
                schema = reader.read()
            except RelsynthError:
                raise
            except SQLAlchemyError as exc:
                reason = driver_reason(exc)
                raise IntrospectionError(
                    f"cannot read the catalog of {redact(url)}: {reason}; check that the user may read "
                    "the system catalog of this database"
                ) from exc
        seen = [str(w.message) for w in caught if issubclass(w.category, SAWarning) and not _handled_type(str(w.message))]
        seen = [m for m in seen if not (m.startswith("Skipped unsupported reflection of expression-based index") and m.split()[-1] in reader.recovered_indexes)]
        for other in caught:
            if not issubclass(other.category, SAWarning):
                warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
        if seen:
            schema = _with_warnings(schema, seen)
        return schema
    finally:
        engine.dispose()


def _handled_type(message: str) -> bool:
    """SQLAlchemy's "Did not recognize type 'point'" for a type relsynth reads as text and learns."""
    from relsynth.values.pgtypes import family_of  # values import the schema elements, not the reverse

    found = re.match(r"Did not recognize type '([^']+)'", message)
    return found is not None and family_of(ColumnType(TypeKind.OTHER, found.group(1))) is not None


def _with_warnings(schema: Schema, extra: list[str]) -> Schema:
    return replace(schema, warnings=schema.warnings + tuple(dict.fromkeys(extra)))


class Reader:
    """One introspection: the connection, the namespaces, and what was learnt along the way."""

    def __init__(self, connection: Connection, schemas: Sequence[str] | None) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.backend = connection.dialect.name
        self.inspector: Inspector = inspector_of(connection)
        self.default = self.inspector.default_schema_name
        self.warnings: list[str] = []
        self.recovered_indexes: set[str] = set()  # SQLite expression indexes SQLAlchemy skipped
        self.namespaces = self._resolve_namespaces(schemas)
        caps = declared_capabilities(self.backend)
        self.capabilities = caps
        self.catalog: Catalog | None = caps.catalog if caps is not None else None
        self.named_types = caps is not None and caps.named_types  # enums and domains are named objects
        # A foreign key's missing referred schema is the default namespace (else the child's own).
        self.namespaced = caps is not None and caps.namespaces
        self.auto_increment = caps is not None and caps.sequence_reset is SequenceReset.AUTO_INCREMENT
        self.materialized_views = caps is not None and caps.materialized_views
        self.view_definition_is_statement = caps is None or caps.view_definition_is_statement

    # -- namespaces -------------------------------------------------------------------------
    def _resolve_namespaces(self, schemas: Sequence[str] | None) -> list[str | None]:
        if schemas is None:
            return [None]
        if isinstance(schemas, str):
            schemas = [schemas]
        existing = self.inspector.get_schema_names()
        unknown = [s for s in schemas if s not in existing and s != self.default]
        if unknown:
            raise IntrospectionError(
                f"schema {', '.join(map(repr, unknown))} does not exist in this database; "
                f"the schemas that exist are: {', '.join(sorted(existing))}"
            )
        resolved: list[str | None] = []
        for name in dict.fromkeys(schemas):
            resolved.append(None if name == self.default else name)
        return resolved

    def qualified(self, schema: str | None, name: str) -> QualifiedName:
        return QualifiedName(None if schema in (None, self.default) else schema, name)

    @property
    def real_namespaces(self) -> list[str]:
        return [self.default if s is None else s for s in self.namespaces]

    # -- the whole schema --------------------------------------------------------------------
    def read(self) -> Schema:
        pg_state = PgState.load(self) if self.catalog is Catalog.PG_CATALOG else None
        tables: list[Table] = []
        views: list[View] = []
        for namespace in self.namespaces:
            tables.extend(read_tables(self, namespace, pg_state))
            views.extend(read_views(self, namespace))
        enums, domains, sequences, routines, triggers = (), (), (), (), ()
        if pg_state is not None:
            enums, domains, sequences = postgresql.named_types(self, pg_state)
            routines = postgresql.routines(self)
            triggers = postgresql.triggers(self)
            self.warnings.extend(postgresql.unsupported_objects(self))
        else:
            self.warnings.extend(self._other_unsupported())
        tables.sort(key=lambda t: sort_key(t.name))
        views.sort(key=lambda v: sort_key(v.name))
        return Schema(
            dialect=self.backend,
            tables=tuple(tables),
            views=tuple(views),
            enums=enums,
            domains=domains,
            sequences=sequences,
            routines=routines,
            triggers=triggers,
            namespaces=tuple(sorted(s for s in self.namespaces if s is not None)),
            server_version=self._server_version(),
            warnings=tuple(self.warnings),
        )

    def _server_version(self) -> str | None:
        sql = self.capabilities.server_version_sql if self.capabilities is not None else None
        if sql is None:
            return None
        return str(self.connection.exec_driver_sql(sql).scalar())

    def _other_unsupported(self) -> list[str]:
        if self.catalog is Catalog.SQLITE_MASTER:
            return sqlite.unsupported_objects(self.connection)
        if self.catalog is Catalog.INFORMATION_SCHEMA:
            return mariadb.unsupported_objects(self.connection, self.real_namespaces)
        return []
