"""Recreating a schema in a target database: ordered DDL, pg_dump style, on the same or another engine.

``SchemaWriter`` turns a ``Schema`` into three ordered lists of SQL statements for a target engine:

- ``pre_data``: namespaces, enums, domains, sequences, tables (columns, types, NOT NULL, defaults,
  identity, generated columns, partitions). What the engine cannot add later goes here too: on
  SQLite every constraint (no ``ALTER TABLE ADD CONSTRAINT``), on MySQL the primary key (an
  AUTO_INCREMENT column needs its key at creation).
- ``post_data``: primary keys, unique, checks, indexes, foreign keys, views, comments. Keys after
  the data are what lets a cycle of NOT NULL foreign keys be loaded at all.
- ``drop_statements``: removes exactly what the other two create, in reverse order.

Statements are compiled with SQLAlchemy against the target dialect, so identifiers are quoted the
target's way. Everything a target cannot hold is collected in ``warnings`` (one line each). What
the target can do is asked of ``relsynth.engines``, never read from its name.

``clone_schema`` runs it all against a URL; ``apply_pre_data`` / ``apply_post_data`` run the halves
on an open connection so that the data load can sit between them in one PostgreSQL transaction.

Modules: ``writer`` (the order), ``columns`` (tables and column types), ``constraints``,
``indexes``, ``objects`` (namespaces, named types, sequences, routines, partitions), ``views``
(views, comments, triggers), ``defaults``, ``base`` (names, quoting, expression translation),
``dialects`` (per-engine quirks), ``clashes`` (objects already in the target), ``apply`` (running it).
"""

from relsynth.schema.ddl.apply import (
    CloneSchemaResult,
    apply_post_data,
    apply_pre_data,
    clone_schema,
    drop_created,
)
from relsynth.schema.ddl.base import any_array_to_in as _any_array_to_in  # noqa: F401  (reporting.integrity)
from relsynth.schema.ddl.clashes import check_target, refuse_clashes
from relsynth.schema.ddl.statements import Staging
from relsynth.schema.ddl.writer import SchemaWriter, drop_statements, post_data, pre_data

__all__ = [
    "CloneSchemaResult",
    "SchemaWriter",
    "Staging",
    "apply_post_data",
    "apply_pre_data",
    "check_target",
    "clone_schema",
    "drop_created",
    "drop_statements",
    "post_data",
    "pre_data",
    "refuse_clashes",
]
