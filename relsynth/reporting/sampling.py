"""Reading what the metrics need from a database, in bounded time.

Each table is read with its own columns, its child counts through every FK that refers to it
and its parents' columns along each of its FKs, all computed by the database on the whole
tables; a table above ``sample_rows`` rows is sampled (seeded where the engine allows) and the
sample size is recorded. Children-per-parent histograms are aggregated in SQL on whole tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.engines import SeededRandom, known_capabilities
from relsynth.extraction import read_as
from relsynth.reporting.detection import children_column
from relsynth.reporting.fidelity import PARENT_PREFIX
from relsynth.reporting.normalise import normalise_frame
from relsynth.reporting.sql import core_table
from relsynth.schema.elements import ForeignKey, Schema, Table

log = logging.getLogger(__name__)

MAX_DISTINCT_VALUES = 1_000_000  # identifying values fetched per source column


def fk_prefix(index: int) -> str:
    return f"__fk{index}__"


@dataclass(frozen=True)
class TableSample:
    rows: int  # rows in the table
    frame: pd.DataFrame  # the sampled rows with their extra columns
    sampled: bool

    def base(self, table: Table) -> pd.DataFrame:
        return self.frame[list(table.column_names)]

    def augmented(self, table: Table) -> pd.DataFrame:
        """Own columns, child counts and the first FK's parent columns (``__parent__``)."""
        keep = list(table.column_names) + [c for c in self.frame.columns if c.startswith("__children__")]
        out = self.frame[keep]
        first = fk_prefix(0)
        parent = self.frame[[c for c in self.frame.columns if c.startswith(first)]]
        parent = parent.rename(columns=lambda c: PARENT_PREFIX + c[len(first):])
        return pd.concat([out, parent], axis=1)

    def with_parent(self, table: Table, index: int) -> pd.DataFrame:
        """Own columns and the parent's columns along FK ``index`` (``__parent__`` prefixed)."""
        prefix = fk_prefix(index)
        parent = self.frame[[c for c in self.frame.columns if c.startswith(prefix)]]
        parent = parent.rename(columns=lambda c: PARENT_PREFIX + c[len(prefix):])
        return pd.concat([self.frame[list(table.column_names)], parent], axis=1)


def _order_random(connection: Connection, table: sa.TableClause, seed: int):
    caps = known_capabilities(connection.dialect.name)
    how = caps.seeded_random if caps is not None else SeededRandom.ROWID_HASH  # an undeclared engine: as SQLite
    if how is SeededRandom.SETSEED:
        connection.execute(sa.select(sa.func.setseed((seed % 1000) / 1000.0)))
        return sa.func.random()
    if how is SeededRandom.RAND_SEED:
        return sa.func.rand(seed)
    # SQLite's random() takes no seed: a multiplicative hash of the rowid is deterministic.
    return sa.text(f"(({table.name}.rowid * 2654435761 + {int(seed)}) % 4294967291)")


def sample_table(
    connection: Connection, schema: Schema, table: Table, *, sample_rows: int, seed: int
) -> TableSample:
    present = set(schema.table_names)
    t = core_table(table).alias("t")
    columns = [read_as(table, t, c) for c in table.column_names]  # money as numeric, as training reads it
    # Short SQL labels (PostgreSQL cuts identifiers at 63 bytes); the frame gets the long names.
    names: dict[str, str] = {}
    kinds = {c.name: c.type.kind for c in table.columns}
    source = t
    for i, fk in enumerate(schema.foreign_keys):
        if fk.referred_table != table.name:
            continue
        child = core_table(schema.table(fk.table))
        counts = (
            sa.select(*(child.c[c].label(f"k{j}") for j, c in enumerate(fk.constrained_columns)), sa.func.count().label("n"))
            .where(*(child.c[c].is_not(None) for c in fk.constrained_columns))
            .group_by(*(child.c[c] for c in fk.constrained_columns))
            .subquery(f"cc{i}")
        )
        on = sa.and_(*(t.c[r] == counts.c[f"k{j}"] for j, r in enumerate(fk.referred_columns)))
        source = source.outerjoin(counts, on)
        columns.append(sa.func.coalesce(counts.c.n, 0).label(f"rs_cc{i}"))
        names[f"rs_cc{i}"] = children_column(fk.label)
    for i, fk in enumerate(table.foreign_keys):
        if fk.referred_table not in present:
            continue
        parent_t = schema.table(fk.referred_table)
        parent = core_table(parent_t).alias(f"p{i}")
        on = sa.and_(*(t.c[a] == parent.c[b] for a, b in zip(fk.constrained_columns, fk.referred_columns, strict=True)))
        source = source.outerjoin(parent, on)
        for j, c in enumerate(parent_t.column_names):
            columns.append(parent.c[c].label(f"rs_p{i}_{j}"))
            names[f"rs_p{i}_{j}"] = fk_prefix(i) + c
            kinds[fk_prefix(i) + c] = parent_t.column(c).type.kind
    rows = int(connection.execute(sa.select(sa.func.count()).select_from(core_table(table))).scalar_one())
    query = sa.select(*columns).select_from(source)
    sampled = rows > sample_rows
    if sampled:
        query = query.order_by(_order_random(connection, t, seed)).limit(sample_rows)
    result = connection.execute(query)
    labels = [c.name for c in table.columns] + [names[k] for k in list(result.keys())[len(table.columns):]]
    frame = pd.DataFrame(result.fetchall(), columns=labels)
    # One form per type, so that a clone on another engine compares like for like.
    return TableSample(rows, normalise_frame(frame, kinds), sampled)


def cardinality_histogram(connection: Connection, schema: Schema, fk: ForeignKey) -> tuple[tuple[int, int], ...]:
    """(children per parent, number of parents) over whole tables, zero-children parents included."""
    parent = core_table(schema.table(fk.referred_table)).alias("p")
    child = core_table(schema.table(fk.table)).alias("c")
    on = sa.and_(*(child.c[a] == parent.c[b] for a, b in zip(fk.constrained_columns, fk.referred_columns, strict=True)))
    per_parent = (
        sa.select(sa.func.count(child.c[fk.constrained_columns[0]]).label("n"))
        .select_from(parent.outerjoin(child, on))
        .group_by(*(parent.c[c] for c in fk.referred_columns))
        .subquery("pp")
    )
    query = sa.select(per_parent.c.n, sa.func.count()).group_by(per_parent.c.n).order_by(per_parent.c.n)
    return tuple((int(n), int(k)) for n, k in connection.execute(query))


def distinct_values(connection: Connection, table: Table, column: str) -> pd.Series:
    t = core_table(table)
    query = sa.select(t.c[column]).where(t.c[column].is_not(None)).distinct().limit(MAX_DISTINCT_VALUES)
    return pd.Series([row[0] for row in connection.execute(query)], dtype=object)


def rare_values(connection: Connection, table: Table, column: str, min_count: int) -> pd.Series:
    """The column's non-NULL values seen fewer than ``min_count`` times in the whole table."""
    t = core_table(table)
    query = (
        sa.select(t.c[column]).where(t.c[column].is_not(None)).group_by(t.c[column])
        .having(sa.func.count() < min_count).limit(MAX_DISTINCT_VALUES)
    )
    return pd.Series([row[0] for row in connection.execute(query)], dtype=object)

