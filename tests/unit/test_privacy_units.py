"""The privacy unit: its closure, row bounds, proposal, and contribution bounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ConfigurationError
from relsynth.privacy.units import (
    bound_contributions,
    propose_unit,
    resolve_table,
    unit_tree,
)
from relsynth.schema.elements import (
    Column,
    ColumnType,
    ForeignKey,
    PrimaryKey,
    QualifiedName,
    Schema,
    Table,
    TypeKind,
)

INT = ColumnType(kind=TypeKind.INTEGER, sql="integer")


def q(name: str) -> QualifiedName:
    return QualifiedName(None, name)


def table(name: str, *refs: tuple[str, str]) -> Table:
    """``refs``: (column, parent table) pairs; every table has an ``id`` key and a ``v`` value."""
    columns = [Column("id", INT, False), Column("v", INT)] + [Column(c, INT) for c, _ in refs]
    fks = tuple(ForeignKey(None, q(name), (c,), q(p), ("id",)) for c, p in refs)
    return Table(q(name), tuple(columns), PrimaryKey(None, ("id",)), foreign_keys=fks)


# region -> customer -> orders -> items; orders also reference a public product table
SCHEMA = Schema(
    "postgresql",
    (
        table("region"),
        table("product"),
        table("customer", ("region_id", "region")),
        table("orders", ("customer_id", "customer"), ("product_id", "product")),
        table("items", ("order_id", "orders")),
        table("review", ("customer_id", "customer"), ("order_id", "orders")),
    ),
)


def test_closure_and_bounds_follow_the_foreign_keys() -> None:
    tree = unit_tree(SCHEMA, q("customer"), max_children=5)
    assert set(tree.tables) == {q("customer"), q("orders"), q("items"), q("review")}
    assert tree.bounds == {q("customer"): 1, q("orders"): 5, q("items"): 25, q("review"): 5}
    assert not tree.is_private(q("region")) and not tree.is_private(q("product"))
    text = tree.explain(SCHEMA)
    assert "at most 5 child rows" in text and "product" in text and "region" in text


def test_resolve_table_says_what_exists() -> None:
    assert resolve_table(SCHEMA, "customer") == q("customer")
    with pytest.raises(ConfigurationError, match="not a table.*customer"):
        resolve_table(SCHEMA, "client")


def test_proposal_prefers_people_and_avoids_tiny_roots() -> None:
    rows = {q("region"): 5, q("product"): 50, q("customer"): 2000, q("orders"): 20000, q("items"): 60000, q("review"): 100}
    plain = propose_unit(SCHEMA, rows, identifying=set(), max_children=64)
    assert plain.table == q("customer")  # region covers everything but has only 5 units
    assert "customer" in plain.reason


def _heavy_tailed(seed: int = 0) -> dict[QualifiedName, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"id": np.arange(200), "v": rng.integers(0, 9, 200), "region_id": rng.integers(0, 5, 200)})
    per_customer = np.minimum(rng.zipf(1.6, 200), 400)  # a few customers with hundreds of orders
    owner = np.repeat(customers["id"].to_numpy(), per_customer)
    orders = pd.DataFrame({"id": np.arange(owner.size), "v": rng.integers(0, 9, owner.size), "customer_id": owner, "product_id": rng.integers(0, 50, owner.size)})
    per_order = np.minimum(rng.zipf(1.5, owner.size), 300)
    items_owner = np.repeat(orders["id"].to_numpy(), per_order)
    items = pd.DataFrame({"id": np.arange(items_owner.size), "v": rng.integers(0, 9, items_owner.size), "order_id": items_owner})
    # reviews: some point at an order of another customer (linked to two units)
    review_order = rng.integers(0, owner.size, 300)
    review_customer = np.where(np.arange(300) < 200, owner[review_order], rng.integers(0, 200, 300))
    review = pd.DataFrame({"id": np.arange(300), "v": 0, "customer_id": review_customer, "order_id": review_order})
    return {
        q("region"): pd.DataFrame({"id": np.arange(5), "v": 0}),
        q("product"): pd.DataFrame({"id": np.arange(50), "v": 0}),
        q("customer"): customers,
        q("orders"): orders,
        q("items"): items,
        q("review"): review,
    }


def test_bounding_holds_on_heavy_tailed_children() -> None:
    frames = _heavy_tailed()
    tree = unit_tree(SCHEMA, q("customer"), max_children=4)
    assert frames[q("orders")].groupby("customer_id").size().max() > 50  # the tail is heavy
    bounded = bound_contributions(frames, tree, seed=3)
    for name in tree.tables:
        rows_per_unit = pd.Series(bounded.units[name]).value_counts()
        assert rows_per_unit.max() <= tree.bounds[name], name
        assert len(bounded.units[name]) == len(bounded.frames[name])
    assert bounded.frames[q("orders")].groupby("customer_id").size().max() <= 4
    assert bounded.frames[q("items")].groupby("order_id").size().max() <= 4
    # a review must belong to one unit: its order's customer is its own customer
    reviews = bounded.frames[q("review")].merge(bounded.frames[q("orders")], left_on="order_id", right_on="id", suffixes=("", "_o"))
    assert (reviews["customer_id"] == reviews["customer_id_o"]).all()
    assert len(reviews) == len(bounded.frames[q("review")])
    assert bounded.frames[q("product")] is frames[q("product")]  # public tables untouched


def test_bounding_of_one_unit_never_changes_another() -> None:
    frames = _heavy_tailed()
    tree = unit_tree(SCHEMA, q("customer"), max_children=3)
    full = bound_contributions(frames, tree, seed=1)
    # remove customer 7 and everything that hangs from it (a neighbouring database)
    removed = dict(frames)
    removed[q("customer")] = frames[q("customer")][frames[q("customer")]["id"] != 7]
    gone_orders = set(frames[q("orders")].loc[frames[q("orders")]["customer_id"] == 7, "id"])
    removed[q("orders")] = frames[q("orders")][frames[q("orders")]["customer_id"] != 7]
    removed[q("items")] = frames[q("items")][~frames[q("items")]["order_id"].isin(gone_orders)]
    review = frames[q("review")]
    removed[q("review")] = review[(review["customer_id"] != 7) & ~review["order_id"].isin(gone_orders)]
    neighbour = bound_contributions(removed, tree, seed=1)
    for name in tree.tables:
        a = full.frames[name]
        root_ids = full.frames[q("customer")]["id"].to_numpy()
        owners = root_ids[full.units[name]]
        kept_elsewhere = a[owners != 7].sort_values("id").reset_index(drop=True)
        b = neighbour.frames[name].sort_values("id").reset_index(drop=True)
        pd.testing.assert_frame_equal(kept_elsewhere, b, check_dtype=False)


def test_self_reference_to_another_unit_is_dropped() -> None:
    schema = Schema("postgresql", (table("person", ("manager_id", "person")),))
    frames = {q("person"): pd.DataFrame({"id": [1, 2, 3], "v": [0, 0, 0], "manager_id": [None, 1, 3]})}
    tree = unit_tree(schema, q("person"), max_children=2)
    bounded = bound_contributions(frames, tree, seed=0)
    assert bounded.frames[q("person")]["id"].tolist() == [1, 3]  # 2 points at another unit
