"""Reading source rows on real engines: typed values, reproducible samples, exact child counts."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from relsynth.connections import create_engine
from relsynth.extraction import children_per_parent, read_table
from relsynth.schema.elements import QualifiedName, Table
from relsynth.schema.introspection import introspect

ROWS = 1_000
ENGINES = ["sqlite", "postgresql"]


def _build(url: str) -> None:
    """A parent and a child with a nullable composite foreign key and one column of each kind."""
    metadata = sa.MetaData()
    sa.Table(
        "parent",
        metadata,
        sa.Column("region", sa.String(10), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
    )
    child = sa.Table(
        "child",
        metadata,
        sa.Column("child_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("region", sa.String(10)),
        sa.Column("number", sa.Integer),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("visits", sa.Integer),  # NULL in some rows: stays an integer
        sa.Column("born", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        sa.ForeignKeyConstraint(["region", "number"], ["parent.region", "parent.number"]),
    )
    rng = np.random.default_rng(0)
    parents = [{"region": region, "number": n} for region in ("north", "south") for n in range(1, 6)]
    rows = []
    for i in range(ROWS):
        parent = parents[int(rng.integers(0, 4))] if rng.random() < 0.9 else {"region": None, "number": None}
        rows.append(
            {
                "child_id": i + 1,
                **parent,
                "amount": decimal.Decimal(int(rng.integers(100, 100_000))) / 100,
                "visits": None if i % 7 == 0 else int(rng.integers(0, 50)),
                "born": dt.date(1990, 1, 1) + dt.timedelta(days=int(rng.integers(0, 9000))),
                "note": None if i % 3 == 0 else f"note {i}",
            }
        )
    engine = create_engine(url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(metadata.tables["parent"].insert(), parents)
        connection.execute(child.insert(), rows)
    engine.dispose()


@pytest.fixture(params=ENGINES)
def source(request: pytest.FixtureRequest, make_database) -> tuple[str, Table]:
    url = make_database(request.param)
    _build(url)
    return url, introspect(url).table(QualifiedName(None, "child"))


def _read(url: str, table: Table, **options) -> pd.DataFrame:
    engine = create_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            return read_table(connection, table, **options)
    finally:
        engine.dispose()


def _scalar(url: str, sql: str):
    engine = create_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).scalar_one()
    finally:
        engine.dispose()


def test_reads_every_row_with_python_typed_values(source) -> None:
    url, table = source
    frame = _read(url, table)
    assert list(frame.columns) == list(table.column_names)
    assert len(frame) == ROWS
    assert frame["child_id"].tolist() == list(range(1, ROWS + 1))  # in primary key order
    assert str(frame["visits"].dtype) == "Int64" and frame["visits"].isna().sum() == len(range(0, ROWS, 7))
    # Numbers, not text: Decimal on PostgreSQL; SQLite stores NUMERIC as REAL and returns floats.
    assert all(isinstance(v, decimal.Decimal | float) for v in frame["amount"])
    assert float(sum(frame["amount"])) == pytest.approx(float(_scalar(url, 'SELECT sum("amount") FROM "child"')), abs=0.01)
    # Dates as the driver gives them: date on PostgreSQL, ISO text on SQLite (parsed when encoded).
    born = frame["born"].map(lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v))
    assert all(type(v) is dt.date for v in born)
    if url.startswith("postgresql"):
        assert all(type(v) is dt.date for v in frame["born"])
    assert born.min() >= dt.date(1990, 1, 1) and born.max() < dt.date(1990, 1, 1) + dt.timedelta(days=9000)
    assert frame["note"].isna().sum() == len(range(0, ROWS, 3))
    assert frame.loc[1, "note"] == "note 1"


def test_a_sample_is_about_max_rows_and_the_same_for_a_seed(source) -> None:
    url, table = source
    first = _read(url, table, max_rows=200, seed=3)
    again = _read(url, table, max_rows=200, seed=3)
    other = _read(url, table, max_rows=200, seed=4)
    pd.testing.assert_frame_equal(first, again)
    assert set(first["child_id"]) != set(other["child_id"])
    for sample in (first, other):  # within 4 standard deviations of a binomial(1000, 0.2)
        assert abs(len(sample) - 200) <= 4 * np.sqrt(ROWS * 0.2 * 0.8)
        assert sample["child_id"].is_unique and set(sample["child_id"]) <= set(range(1, ROWS + 1))
    # A sample draws from the whole table, not from its first rows.
    assert first["child_id"].max() > 0.8 * ROWS and first["child_id"].min() < 0.2 * ROWS


def test_max_rows_above_the_table_reads_it_all(source) -> None:
    url, table = source
    assert len(_read(url, table, max_rows=ROWS, seed=9)) == ROWS
    assert _read(url, table, columns=["child_id", "born"], max_rows=5 * ROWS)["child_id"].tolist() == list(range(1, ROWS + 1))


def test_children_per_parent_matches_a_group_by(source) -> None:
    url, table = source
    engine = create_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            counts = children_per_parent(connection, table.name, ["region", "number"])
            expected = connection.exec_driver_sql(
                'SELECT "region", "number", count(*) FROM "child" GROUP BY "region", "number"'
            ).all()
    finally:
        engine.dispose()
    assert list(counts.columns) == ["region", "number", "__count"]

    def keyed(rows) -> dict[tuple, int]:
        return {(None if pd.isna(r) else r, None if pd.isna(n) else int(n)): int(c) for r, n, c in rows}

    got = keyed(counts.itertuples(index=False, name=None))
    assert got == keyed(expected)
    assert sum(got.values()) == ROWS
    assert got[(None, None)] > 0  # rows without a parent are counted under the all-NULL key
    assert len(got) == 5  # 4 parents used, plus NULL; parents without children are absent
