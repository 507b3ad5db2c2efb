"""The training sample on real engines: drawn by the database, whole families, the same rows
for a seed, and the figures that need every row taken from SQL."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from relsynth.child_counts import ChildCounts
from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine, read_snapshot
from relsynth.extraction import children_per_parent, children_per_parent_sets, count_rows, read_table
from relsynth.joins import counts_for
from relsynth.learning import train
from relsynth.modeling import ModelConfig
from relsynth.planning import plan
from relsynth.schema.elements import QualifiedName, TypeKind
from relsynth.schema.introspection import introspect
from relsynth.training_sample import TrainingSample, choose_samples
from relsynth.values.rarity import rare_values

CUSTOMERS, ORDERS_EACH, ORPHAN_ORDERS, ITEMS_EACH = 300, 3, 30, 3
MAX_ROWS = 200  # far below the largest table (items: 2,790 rows), so the customers are sampled

_DDL = [
    "CREATE TABLE customers (id integer PRIMARY KEY, region varchar(10) NOT NULL)",
    "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer REFERENCES customers (id), amount integer NOT NULL)",
    """CREATE TABLE items (order_id integer NOT NULL REFERENCES orders (id), line integer NOT NULL,
       qty integer NOT NULL, PRIMARY KEY (order_id, line))""",
    """CREATE TABLE notes (id integer PRIMARY KEY, order_id integer NOT NULL, line integer NOT NULL,
       body varchar(20) NOT NULL, FOREIGN KEY (order_id, line) REFERENCES items (order_id, line))""",
]


def _source(url: str) -> str:
    engine = sa.create_engine(url)
    customers = [{"id": i, "region": f"r{i % 7}"} for i in range(1, CUSTOMERS + 1)]
    orders = [{"id": o, "customer_id": None if o > CUSTOMERS * ORDERS_EACH else (o - 1) // ORDERS_EACH + 1,
               "amount": (o * 37) % 500} for o in range(1, CUSTOMERS * ORDERS_EACH + ORPHAN_ORDERS + 1)]
    items = [{"order_id": o["id"], "line": line, "qty": (o["id"] + line) % 9} for o in orders for line in range(1, ITEMS_EACH + 1)]
    notes = [{"id": n, "order_id": item["order_id"], "line": item["line"], "body": f"note {n % 13}"}
             for n, item in enumerate(items[::2], start=1)]
    with engine.begin() as connection:
        for statement in _DDL:
            connection.exec_driver_sql(statement)
        for name, rows in (("customers", customers), ("orders", orders), ("items", items), ("notes", notes)):
            table = sa.table(name, *(sa.column(c) for c in rows[0]))
            connection.execute(sa.insert(table), rows)
    engine.dispose()
    return url


def _read(url: str, *, seed: int, max_rows: int = MAX_ROWS) -> tuple[dict[str, pd.DataFrame], dict]:
    schema = introspect(url)
    generation_plan = plan(schema)
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            rows = {tp.table: count_rows(connection, tp.table) for tp in generation_plan.tables}
            choices = choose_samples(generation_plan, rows, set(rows), max_rows=max_rows)
            sample = TrainingSample(choices)
            frames = {}
            for table_plan in generation_plan.tables:
                table = schema.table(table_plan.table)
                frames[table.name.name] = sample.read(connection, table, columns=table.column_names, max_rows=max_rows, seed=seed)
    finally:
        engine.dispose()
    return frames, {name.name: choice for name, choice in choices.items()}


def _keys(frame: pd.DataFrame, columns: list[str]) -> set[tuple]:
    return {tuple(int(v) for v in row) for row in frame[columns].dropna().itertuples(index=False)}


@pytest.fixture
def source(any_engine: str, make_database) -> str:
    return _source(make_database(any_engine))


def test_the_sample_keeps_whole_families(source: str) -> None:
    frames, choices = _read(source, seed=3)
    assert choices["customers"].fraction < 1 and choices["customers"].family_of is None
    assert {choices[name].family_of.referred_table.name for name in ("orders", "items", "notes")} == {"customers", "orders", "items"}
    customers, orders, items, notes = (frames[n] for n in ("customers", "orders", "items", "notes"))
    assert 0 < len(customers) < CUSTOMERS
    # every sampled child has its sampled parent ...
    assert _keys(orders, ["customer_id"]) <= _keys(customers, ["id"])
    assert _keys(items, ["order_id"]) <= _keys(orders, ["id"])
    assert _keys(notes, ["order_id", "line"]) <= _keys(items, ["order_id", "line"])
    # ... and every sampled parent has all of its children
    assert len(orders[orders["customer_id"].notna()]) == len(customers) * ORDERS_EACH
    assert len(items) == len(orders) * ITEMS_EACH
    assert len(notes) < len(items) and len(notes) > 0
    # rows without a parent are sampled too, at the family's rate (not all of them)
    assert len(orders[orders["customer_id"].isna()]) < ORPHAN_ORDERS


def test_the_sample_is_the_same_for_a_seed(source: str) -> None:
    first, _ = _read(source, seed=3)
    again, _ = _read(source, seed=3)
    other, _ = _read(source, seed=4)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert _keys(first["customers"], ["id"]) != _keys(other["customers"], ["id"])


def test_tables_within_the_limit_are_read_whole(make_database) -> None:
    url = _source(make_database("sqlite"))
    frames, choices = _read(url, seed=3, max_rows=10_000)
    assert not any(choice.sampled for choice in choices.values())
    schema = introspect(url)
    engine = create_engine(url, read_only=True)
    with read_snapshot(engine) as connection:
        for table in schema.tables:
            pd.testing.assert_frame_equal(frames[table.name.name], read_table(connection, table, seed=3))
    engine.dispose()


def test_exact_figures_come_from_sql_not_the_sample(source: str) -> None:
    """On every engine: PostgreSQL counts the denylists on a second connection in the snapshot
    while the next tables train (``alongside``), the others in turn."""
    url = source
    config = RelsynthConfig(seed=1, max_training_rows=MAX_ROWS, holdout_fraction=0.0, model=ModelConfig(epochs=1))
    run = train(url, config=config)
    tables = {name.name: artifact for name, artifact in run.tables.items()}
    assert tables["items"].source_rows == CUSTOMERS * ORDERS_EACH * ITEMS_EACH + ORPHAN_ORDERS * ITEMS_EACH
    assert tables["customers"].source_rows == CUSTOMERS
    assert tables["orders"].null_context_rows == ORPHAN_ORDERS  # every orphan, not the sampled few
    # the values seen fewer than k times in the whole table are refused, not only the sample's
    amounts = pd.Series([(o * 37) % 500 for o in range(1, CUSTOMERS * ORDERS_EACH + ORPHAN_ORDERS + 1)])
    every_rare = rare_values(amounts, TypeKind.INTEGER, config.privacy.min_count)
    assert len(every_rare) > MAX_ROWS  # more than a sample of MAX_ROWS rows could show
    assert tables["orders"].values["rare_values"]["amount"] == every_rare


def _counted(counts: pd.DataFrame, columns: list[str]) -> dict[tuple, int]:
    """Counts by key, NULL (None or NaN) as None, numbers as ints, whatever dtype they came in."""
    return {tuple(None if pd.isna(v) else int(v) for v in row[:-1]): int(row[-1])
            for row in counts[[*columns, "__count"]].itertuples(index=False, name=None)}


def test_several_keys_of_a_table_are_counted_as_one_at_a_time(source: str) -> None:
    """``children_per_parent_sets`` (one GROUPING SETS scan on PostgreSQL) equals a GROUP BY per
    key, NULL keys included; a key given twice, in another column order, too."""
    keys = [("order_id", "line"), ("order_id",), ("line",), ("line", "order_id")]
    engine = create_engine(source, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            sets = children_per_parent_sets(connection, QualifiedName(None, "notes"), keys)
            alone = [children_per_parent(connection, QualifiedName(None, "notes"), key) for key in keys]
            orders = children_per_parent_sets(connection, QualifiedName(None, "orders"), [("customer_id",), ("id",)])
            orders_alone = children_per_parent(connection, QualifiedName(None, "orders"), ["customer_id"])
    finally:
        engine.dispose()
    for key, found, expected in zip(keys, sets, alone, strict=True):
        assert list(found.columns) == [*key, "__count"]
        assert _counted(found, list(key)) == _counted(expected, list(key))
    notes = len(range(0, (CUSTOMERS * ORDERS_EACH + ORPHAN_ORDERS) * ITEMS_EACH, 2))  # every other item has one
    assert sum(_counted(sets[1], ["order_id"]).values()) == notes
    by_customer = _counted(orders[0], ["customer_id"])
    assert by_customer == _counted(orders_alone, ["customer_id"])
    assert by_customer[(None,)] == ORPHAN_ORDERS and by_customer[(1,)] == ORDERS_EACH
    assert set(_counted(orders[1], ["id"]).values()) == {1}


def test_families_give_the_counts_sql_gives_for_the_parents_read(source: str) -> None:
    """A child read as whole families counts its sampled parents' children from its rows, the
    rows whose key is NULL in SQL: the same figure for every parent read as a full count."""
    schema = introspect(source)
    generation_plan = plan(schema)
    engine = create_engine(source, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            rows = {tp.table: count_rows(connection, tp.table) for tp in generation_plan.tables}
            sample = TrainingSample(choose_samples(generation_plan, rows, set(rows), max_rows=MAX_ROWS))
            frames = {tp.table: sample.read(connection, schema.table(tp.table), columns=schema.table(tp.table).column_names,
                                            max_rows=MAX_ROWS, seed=3) for tp in generation_plan.tables}
            fks = [tp.context_fk for tp in generation_plan.tables if tp.context_fk is not None]
            from_rows = ChildCounts(connection, schema, sample, fks)
            from_sql = ChildCounts(connection, schema, sample, fks, families=False)
            assert all(sample.has_families(schema.table(fk.table), fk) for fk in fks)
            found = {fk: (from_rows(fk), from_sql(fk)) for fk in fks}
    finally:
        engine.dispose()
    for fk, (counted, exact) in found.items():
        parent = frames[fk.referred_table]
        assert 0 < len(parent) < rows[fk.referred_table]  # a sample: the SQL counts hold more parents
        assert len(counted) < len(exact)
        assert counts_for(parent, fk, counted).tolist() == counts_for(parent, fk, exact).tolist()
        columns = list(fk.constrained_columns)
        null_rows = {k: v for k, v in _counted(counted, columns).items() if None in k}
        assert null_rows == {k: v for k, v in _counted(exact, columns).items() if None in k}
    orders = next(fk for fk in fks if fk.table.name == "orders")
    assert _counted(found[orders][0], ["customer_id"])[(None,)] == ORPHAN_ORDERS  # every orphan, not the sampled few
