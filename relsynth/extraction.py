"""Reading source rows: streamed in chunks, inside the caller's read-only snapshot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from relsynth.schema.elements import QualifiedName, Table, TypeKind

CHUNK_ROWS = 50_000


def table_clause(name: QualifiedName, columns: Sequence[str]) -> sa.TableClause:
    """A lightweight SQLAlchemy table: enough to quote every identifier correctly."""
    return sa.table(name.name, *(sa.column(column) for column in columns), schema=name.schema)


def count_rows(connection: Connection, name: QualifiedName) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(table_clause(name, []))).scalar_one())


def read_as(table: Table, clause: sa.TableClause, column: str) -> sa.ColumnElement:
    """The column as read: PostgreSQL's money as numeric (its text form follows the locale)."""
    column_type = table.column(column).type
    if column_type.kind is TypeKind.DECIMAL and (column_type.sql == "money" or column_type.domain is not None):
        return sa.cast(clause.c[column], sa.Numeric()).label(column)
    if column_type.kind is TypeKind.ARRAY and column_type.item is not None and column_type.item.sql == "money":
        return sa.cast(clause.c[column], postgresql.ARRAY(sa.Numeric())).label(column)
    return clause.c[column]


def _ordered_select(table: Table, columns: Sequence[str]) -> sa.Select:
    clause = table_clause(table.name, columns)
    query = sa.select(*(read_as(table, clause, column) for column in columns))
    # A stable order makes sampling reproducible for a given seed.
    order = table.primary_key.constrained_columns if table.primary_key else ()
    if order and set(order) <= set(columns):
        query = query.order_by(*(clause.c[column] for column in order))
    return query


def stream_rows(connection: Connection, table: Table, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
    """Yield the table's rows as DataFrames of at most ``CHUNK_ROWS`` rows."""
    result = connection.execution_options(stream_results=True).execute(_ordered_select(table, columns))
    while True:
        rows = result.fetchmany(CHUNK_ROWS)
        if not rows:
            return
        frame = pd.DataFrame.from_records(rows, columns=list(columns))
        for column in columns:  # integer columns with NULLs would otherwise become floats
            if table.column(column).type.kind is TypeKind.INTEGER and frame[column].dtype == float:
                frame[column] = frame[column].astype("Int64")
        yield frame


def read_table(
    connection: Connection,
    table: Table,
    *,
    columns: Sequence[str] | None = None,
    max_rows: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """All rows of ``table`` (or a uniform sample of about ``max_rows`` of them)."""
    columns = list(columns if columns is not None else table.column_names)
    keep_probability = 1.0
    if max_rows is not None:
        total = count_rows(connection, table.name)
        if total > max_rows:
            keep_probability = max_rows / total
    rng = np.random.default_rng(seed)
    chunks = []
    for chunk in stream_rows(connection, table, columns):
        if keep_probability < 1.0:
            chunk = chunk[rng.random(len(chunk)) < keep_probability]
        chunks.append(chunk)
    if not chunks:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.concat(chunks, ignore_index=True)


def children_per_parent(
    connection: Connection, child: QualifiedName, columns: Sequence[str]
) -> pd.DataFrame:
    """``columns`` (a foreign key's columns in the child) with the count of child rows per value.

    Computed in the database so it is exact even when the child table is sampled for training.
    Rows whose key has a NULL are counted under the all-NULL key.
    """
    clause = table_clause(child, columns)
    keys = [clause.c[column] for column in columns]
    query = sa.select(*keys, sa.func.count().label("__count")).group_by(*keys)
    rows = connection.execute(query).all()
    return pd.DataFrame.from_records(rows, columns=[*columns, "__count"])
