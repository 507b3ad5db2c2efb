"""Introspection: a live database's catalog -> ``Schema`` (see ``reader``)."""

from relsynth.schema.introspection.reader import introspect, type_kind

__all__ = ["introspect", "type_kind"]
