"""Reading source rows: streamed in chunks, inside the caller's read-only snapshot."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from relsynth.engines import RowHash, capabilities_for
from relsynth.schema.elements import QualifiedName, Table, TypeKind

CHUNK_ROWS = 50_000
HASH_MODULUS = 4_294_967_291  # a prime just under 2**32: a row's hash lies in [0, HASH_MODULUS)
MAX_KEYS_PER_QUERY = 10_000  # parent keys sent in one IN list when reading their children


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


def _ordered_select(table: Table, columns: Sequence[str], source: sa.FromClause | None = None) -> sa.Select:
    clause = table_clause(table.name, columns)
    source = clause if source is None else source
    query = sa.select(*(read_as(table, source, column) for column in columns))
    # A stable order makes sampling reproducible for a given seed.
    order = table.primary_key.constrained_columns if table.primary_key else ()
    if order and set(order) <= set(columns):
        query = query.order_by(*(source.c[column] for column in order))
    return query


def stream_rows(connection: Connection, table: Table, columns: Sequence[str]) -> Iterator[pd.DataFrame]:
    """Yield the table's rows as DataFrames of at most ``CHUNK_ROWS`` rows."""
    return _frames(connection, table, columns, _ordered_select(table, columns))


def _streamed(connection: Connection, query: sa.Select) -> sa.CursorResult:
    """``query``'s rows as the server sends them (a server-side cursor where there is one).

    Set for this statement only: set on the connection (SQLAlchemy 2 sets options in place),
    every later statement of the snapshot would run through a cursor too, and PostgreSQL plans
    no parallel scan for a cursor."""
    return connection.execute(query, execution_options={"stream_results": True})


def _frames(connection: Connection, table: Table, columns: Sequence[str], query: sa.Select) -> Iterator[pd.DataFrame]:
    result = _streamed(connection, query)
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
    return _concat(chunks, columns)


def _concat(chunks: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    if not chunks:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.concat(chunks, ignore_index=True)


def can_sample_in_sql(connection: Connection) -> bool:
    """Whether the engine draws a seeded sample itself (TABLESAMPLE, or a hash of each row's key)."""
    capabilities = capabilities_for(connection.dialect.name)
    return capabilities.tablesample or capabilities.row_hash is not RowHash.NONE


def sample_rows(
    connection: Connection,
    table: Table,
    *,
    columns: Sequence[str],
    fraction: float,
    seed: int,
    only_null: Sequence[str] = (),
) -> pd.DataFrame:
    """About ``fraction`` of the table's rows, drawn by the database, the same rows for a seed.

    PostgreSQL: ``TABLESAMPLE BERNOULLI`` with ``REPEATABLE (seed)``; elsewhere a seeded hash of
    each row's primary key (``RowHash``). Only the sampled rows cross the wire. With
    ``only_null``, only rows with a NULL in one of those columns are considered.
    """
    columns = list(columns)
    capabilities = capabilities_for(connection.dialect.name)
    key = list(table.primary_key.constrained_columns) if table.primary_key else list(table.column_names)
    clause = table_clause(table.name, list(dict.fromkeys([*columns, *key, *only_null])))
    source: sa.FromClause = clause
    if capabilities.tablesample:
        source = sa.tablesample(clause, sa.func.bernoulli(100.0 * fraction), name="sampled", seed=sa.literal(seed % HASH_MODULUS))
        query = _ordered_select(table, columns, source)
    else:
        query = _ordered_select(table, columns, clause).where(_row_hash(capabilities.row_hash, table, clause, key, seed) < int(fraction * HASH_MODULUS))
    if only_null:
        query = query.where(sa.or_(*(source.c[column].is_(None) for column in only_null)))
    return _concat(list(_frames(connection, table, columns, query)), columns)


def _row_hash(method: RowHash, table: Table, clause: sa.TableClause, key: list[str], seed: int) -> sa.ColumnElement:
    """A seeded hash of each row, spread over [0, HASH_MODULUS)."""
    if method is RowHash.CRC32:
        return sa.func.crc32(sa.func.concat_ws(",", str(seed), *(clause.c[column] for column in key)))
    if method is RowHash.ROWID:
        integer_key = len(key) == 1 and table.column(key[0]).type.kind is TypeKind.INTEGER
        number = clause.c[key[0]] if integer_key else sa.literal_column("rowid")
        # A multiplicative (Knuth) hash of the key moved by a seeded offset (adjacent seeds give
        # unrelated samples); the first modulus keeps the product inside 64 bits.
        offset = (seed * 2_654_435_761) % 2_147_483_647
        return (((sa.func.abs(number) + offset) % 2_147_483_647) * 2_654_435_761) % HASH_MODULUS
    raise ValueError(f"no SQL row hash for {method}")


def read_children(
    connection: Connection,
    table: Table,
    *,
    columns: Sequence[str],
    key_columns: Sequence[str],
    parent_keys: pd.DataFrame,
) -> pd.DataFrame:
    """The rows whose ``key_columns`` equal one of ``parent_keys``' rows (the parents' own key
    values, in the same column order): a sampled parent's whole family, fetched by key in
    batches of at most ``MAX_KEYS_PER_QUERY`` keys."""
    columns = list(columns)
    clause = table_clause(table.name, list(dict.fromkeys([*columns, *key_columns])))
    capabilities = capabilities_for(connection.dialect.name)
    per_query = max(1, min(MAX_KEYS_PER_QUERY, capabilities.max_bind_parameters // len(key_columns) - 1))
    keys = [tuple(_bindable(value) for value in row) for row in parent_keys.dropna().itertuples(index=False)]
    target = clause.c[key_columns[0]] if len(key_columns) == 1 else sa.tuple_(*(clause.c[c] for c in key_columns))
    chunks = []
    for start in range(0, len(keys), per_query):
        batch = keys[start : start + per_query]
        values = [k[0] for k in batch] if len(key_columns) == 1 else batch
        chunks += list(_frames(connection, table, columns, _ordered_select(table, columns, clause).where(target.in_(values))))
    return _concat(chunks, columns)


def _bindable(value: object) -> object:
    """A driver-ready Python value (NumPy scalars are not bound by every driver)."""
    return value.item() if isinstance(value, np.generic) else value


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


def children_per_parent_sets(
    connection: Connection, child: QualifiedName, key_sets: Sequence[Sequence[str]]
) -> list[pd.DataFrame]:
    """``children_per_parent`` of each of ``key_sets`` (several foreign keys of one child table),
    in their order: in one scan of the table where the engine has GROUPING SETS, else one query
    each. Key columns are objects there (a NULL key column stays None, never a float)."""
    distinct = list(dict.fromkeys(frozenset(columns) for columns in key_sets))
    if len(distinct) < 2 or not capabilities_for(connection.dialect.name).grouping_sets:
        return [children_per_parent(connection, child, columns) for columns in key_sets]
    columns = list(dict.fromkeys(column for key in key_sets for column in key))
    clause = table_clause(child, columns)
    sets = sa.func.grouping_sets(*(sa.tuple_(*(clause.c[c] for c in columns if c in key)) for key in distinct))
    # GROUPING(c) is 1 where c is not in the row's grouping set: it tells a set's rows apart
    # from another's, and a NULL key value from a column left out of the set.
    flags = [sa.func.grouping(clause.c[column]).label(f"__grouping{i}") for i, column in enumerate(columns)]
    query = sa.select(*(clause.c[c] for c in columns), *flags, sa.func.count().label("__count")).group_by(sets)
    found_rows = [tuple(row) for row in connection.execute(query)]
    rows = np.array(found_rows, dtype=object).reshape(-1, 2 * len(columns) + 1)
    grouped = rows[:, len(columns) : 2 * len(columns)].astype(np.int64) == 0
    found = []
    for key in key_sets:
        wanted = np.array([column in key for column in columns])
        part = rows[(grouped == wanted).all(axis=1)]
        frame = pd.DataFrame({c: part[:, columns.index(c)] for c in key} | {"__count": part[:, -1].astype(np.int64)})
        found.append(frame.infer_objects())
    return found


def null_key_rows(connection: Connection, child: QualifiedName, columns: Sequence[str]) -> int:
    """Rows of ``child`` with a NULL in one of ``columns``."""
    clause = table_clause(child, columns)
    query = sa.select(sa.func.count()).select_from(clause).where(sa.or_(*(clause.c[c].is_(None) for c in columns)))
    return int(connection.execute(query).scalar_one())


def distinct_values(connection: Connection, table: Table, column: str, *, seen_fewer_than: int | None = None) -> Iterator[pd.Series]:
    """The column's distinct non-NULL values over the whole table, in chunks, read as training
    reads them; with ``seen_fewer_than``, only the values seen fewer times than that."""
    clause = table_clause(table.name, [column])
    query = sa.select(read_as(table, clause, column)).where(clause.c[column].is_not(None)).group_by(clause.c[column])
    if seen_fewer_than is not None:
        query = query.having(sa.func.count() < seen_fewer_than)
    result = _streamed(connection, query)
    while rows := result.fetchmany(CHUNK_ROWS):
        yield pd.Series([row[0] for row in rows], dtype=object)
