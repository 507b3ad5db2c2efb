"""Introspection: a live database's catalog -> ``Schema``.

The only caller of SQLAlchemy's ``Inspector`` (``inspector``). Reflection dicts are turned into
the frozen dataclasses of ``relsynth.schema.elements`` once, here. What the Inspector lacks comes
from each engine's own catalog, chosen by the engine's declared ``Catalog``: ``postgresql``
(with ``pg_catalog``, its queries), ``mariadb`` (information_schema), ``sqlite`` (sqlite_master
and PRAGMAs). Everything runs inside one read-only snapshot; nothing is written.

Modules: ``reader`` (``introspect`` and the whole schema), ``tables``, ``columns`` (columns and
types), ``keys`` (indexes and foreign keys), ``views``, the three engine modules, and
``inspector`` (the Inspector itself, and the small catalog questions other packages ask).
"""

from relsynth.schema.introspection.columns import type_kind
from relsynth.schema.introspection.inspector import (
    Relations,
    declared_column_types,
    default_namespace,
    existing_relations,
)
from relsynth.schema.introspection.postgresql import named_object_exists
from relsynth.schema.introspection.reader import introspect

__all__ = [
    "Relations",
    "declared_column_types",
    "default_namespace",
    "existing_relations",
    "introspect",
    "named_object_exists",
    "type_kind",
]
