"""Views and materialized views: their query, and a materialized view's indexes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from relsynth.schema.elements import Index, View
from relsynth.schema.introspection.postgresql import materialized_view_indexes

if TYPE_CHECKING:
    from relsynth.schema.introspection.reader import Reader


def read_views(reader: Reader, namespace: str | None) -> list[View]:
    insp = reader.inspector
    result = []
    names = [(n, False) for n in insp.get_view_names(schema=namespace)]
    if reader.materialized_views:
        names += [(n, True) for n in insp.get_materialized_view_names(schema=namespace)]
    for name, materialized in names:
        definition = str(insp.get_view_definition(name, schema=namespace) or "").strip()
        if reader.view_definition_is_statement:
            # MySQL and SQLite return the whole CREATE VIEW statement; keep only its query.
            definition = re.sub(r"^CREATE\b.*?\bVIEW\b.*?\bAS\s+", "", definition, count=1, flags=re.I | re.S)
        indexes: tuple[Index, ...] = ()
        if materialized:
            indexes = materialized_view_indexes(reader.connection, namespace or reader.default, name)
        result.append(View(reader.qualified(namespace, name), definition, materialized=materialized, indexes=indexes))
    return result
