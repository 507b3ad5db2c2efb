"""SQLAlchemy Core expressions for a Schema's tables: every identifier quoted by the dialect."""

from __future__ import annotations

import sqlalchemy as sa

from relsynth.schema.elements import Table


def core_table(table: Table) -> sa.TableClause:
    """A lightweight ``sa.table`` for ``table``; the compiler quotes its names for the dialect."""
    return sa.table(table.name.name, *(sa.column(c) for c in table.column_names), schema=table.name.schema)
