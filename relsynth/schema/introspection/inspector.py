"""The one place relsynth asks SQLAlchemy for an ``Inspector`` (DESIGN: each third-party library
has one owning module), and the small catalog questions the rest of relsynth asks through it."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Inspector

from relsynth.engines import Capabilities, capabilities_for
from relsynth.errors import ConfigurationError
from relsynth.schema.elements import QualifiedName


def declared_capabilities(dialect_name: str) -> Capabilities | None:
    """What ``dialect_name`` declares, or None for an engine relsynth declares nothing for (read
    with the Inspector alone)."""
    try:
        return capabilities_for(dialect_name)
    except ConfigurationError:
        return None


def inspector_of(connection: Connection) -> Inspector:
    return sa.inspect(connection)


def default_namespace(connection: Connection) -> str | None:
    """The namespace unqualified names land in on this connection (``public``, the MySQL database, ``main``)."""
    return inspector_of(connection).default_schema_name


def declared_column_types(connection: Connection, table: QualifiedName) -> dict[str, str]:
    """The declared type of each column of ``table``, lower-cased, by column name."""
    with warnings.catch_warnings():  # MySQL's spatial types are unknown to SQLAlchemy: "null" is enough here
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        columns = inspector_of(connection).get_columns(table.name, schema=table.schema)
    return {column["name"]: str(column["type"]).lower() for column in columns}


@dataclass(frozen=True)
class Relations:
    """The names of the tables and views (materialized ones too) in one namespace."""

    tables: frozenset[str]
    views: frozenset[str]


def existing_relations(connection: Connection, namespaces: Iterable[str | None]) -> dict[str | None, Relations]:
    """The tables and views of each of ``namespaces`` that exists (None: the default one), in order."""
    caps = declared_capabilities(connection.dialect.name)
    materialized = caps is not None and caps.materialized_views
    inspector = inspector_of(connection)
    found: dict[str | None, Relations] = {}
    for namespace in namespaces:
        if namespace is not None and namespace not in inspector.get_schema_names():
            continue
        tables = frozenset(inspector.get_table_names(schema=namespace))
        views = set(inspector.get_view_names(schema=namespace))
        if materialized:
            views |= set(inspector.get_materialized_view_names(schema=namespace))
        found[namespace] = Relations(tables, frozenset(views))
    return found
