"""Tree walks (relsynth/walks.py): which children are made under each chunk of their parent, and
in what order the tables are then made. Planned on a TPC-H-shaped SQLite schema (introspected,
nothing trained); readers come from ``Retention`` as in generation."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from relsynth.generation_memory import Retention
from relsynth.planning import plan
from relsynth.schema.elements import QualifiedName
from relsynth.schema.introspection.reader import introspect
from relsynth.walks import WalkProgress, plan_walks

TPCH = """
CREATE TABLE nation (n_nationkey INTEGER PRIMARY KEY, n_name TEXT);
CREATE TABLE customer (c_custkey INTEGER PRIMARY KEY, c_nationkey INTEGER NOT NULL REFERENCES nation);
CREATE TABLE orders (o_orderkey INTEGER PRIMARY KEY, o_custkey INTEGER NOT NULL REFERENCES customer);
CREATE TABLE part (p_partkey INTEGER PRIMARY KEY, p_price REAL);
CREATE TABLE supplier (s_suppkey INTEGER PRIMARY KEY, s_nationkey INTEGER NOT NULL REFERENCES nation);
CREATE TABLE partsupp (ps_partkey INTEGER NOT NULL REFERENCES part, ps_suppkey INTEGER NOT NULL REFERENCES supplier,
                       PRIMARY KEY (ps_partkey, ps_suppkey));
CREATE TABLE lineitem (l_orderkey INTEGER NOT NULL REFERENCES orders, l_linenumber INTEGER NOT NULL,
                       l_partkey INTEGER NOT NULL REFERENCES part, l_suppkey INTEGER NOT NULL REFERENCES supplier,
                       PRIMARY KEY (l_orderkey, l_linenumber),
                       FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp (ps_partkey, ps_suppkey));
"""


def q(name: str) -> QualifiedName:
    return QualifiedName(None, name)


def _shop(tmp_path: Path, extra: str = "") -> SimpleNamespace:
    path = tmp_path / "tpch.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(TPCH + extra)
    schema = introspect(f"sqlite:///{path}")
    artifact = SimpleNamespace(children={}, degrees={}, model=SimpleNamespace(context_specs=[]))
    return SimpleNamespace(plan=plan(schema), schema=schema, tables={name: artifact for name in schema.table_names})


def _walks(shop: SimpleNamespace, large: set[str], *, unchunked: frozenset[str] = frozenset()):
    readers = Retention(shop, SimpleNamespace(reads={}, late=[]), waiting=set()).readers
    return plan_walks(
        shop.plan.tables, readers, chunked=lambda tp: tp.table.name not in unchunked, large=lambda name: name.name in large
    )


def _parents_first(walks) -> None:
    made: set[QualifiedName] = set()
    for tp in walks.order:
        inputs = {fk.referred_table for fk in (tp.context_fk, *tp.secondary_fks) if fk is not None}
        assert inputs <= made, f"{tp.table} is made before {inputs - made}"
        made.add(tp.table)


def test_line_items_walk_under_orders_made_after_the_parts_they_point_at(tmp_path: Path) -> None:
    shop = _shop(tmp_path)
    walks = _walks(shop, {"orders"})
    assert {str(k): [str(c.table) for c in v] for k, v in walks.children.items()} == {"orders": ["lineitem"]}
    order = [tp.table.name for tp in walks.order]
    assert order.index("lineitem") == order.index("orders") + 1  # the walk is one unit
    assert order.index("orders") > order.index("partsupp")  # its inputs come first
    _parents_first(walks)
    readers = Retention(shop, SimpleNamespace(reads={}, late=[]), waiting=set()).readers
    assert walks.consumed(q("orders"), readers)  # nothing but its line items reads orders: never kept whole


def test_walks_nest_when_the_grandparent_is_large_too(tmp_path: Path) -> None:
    walks = _walks(_shop(tmp_path), {"customer", "orders"})
    assert [c.table.name for c in walks.children[q("customer")]] == ["orders"]
    assert [c.table.name for c in walks.children[q("orders")]] == ["lineitem"]
    assert walks.walked == {q("orders"), q("lineitem")}
    _parents_first(walks)


def test_nothing_is_walked_under_a_parent_of_one_chunk(tmp_path: Path) -> None:
    shop = _shop(tmp_path)
    walks = _walks(shop, set())
    assert walks.children == {} and [tp.table for tp in walks.order] == [tp.table for tp in shop.plan.tables]


def test_a_table_another_table_reads_is_not_walked(tmp_path: Path) -> None:
    # a shipment names two line items (two keys to one parent): it needs every line item, so line
    # items are kept whole and not walked; under its own parent a shipment is walked as usual
    shop = _shop(tmp_path, "CREATE TABLE shipment (s_id INTEGER PRIMARY KEY, s_order INTEGER, s_line INTEGER,"
                           " r_order INTEGER, r_line INTEGER,"
                           " FOREIGN KEY (s_order, s_line) REFERENCES lineitem (l_orderkey, l_linenumber),"
                           " FOREIGN KEY (r_order, r_line) REFERENCES lineitem (l_orderkey, l_linenumber));")
    walks = _walks(shop, {"orders", "lineitem"})
    assert q("shipment") not in walks.walked and q("lineitem") not in walks.walked
    _parents_first(walks)


def test_a_second_key_to_the_same_parent_needs_every_parent_row(tmp_path: Path) -> None:
    shop = _shop(tmp_path, "CREATE TABLE refund (r_id INTEGER PRIMARY KEY, r_order INTEGER NOT NULL REFERENCES orders,"
                           " r_replacement INTEGER REFERENCES orders);")
    walks = _walks(shop, {"orders"})
    assert q("refund") not in walks.walked and q("lineitem") in walks.walked
    readers = Retention(shop, SimpleNamespace(reads={}, late=[]), waiting=set()).readers
    assert not walks.consumed(q("orders"), readers)  # the refunds' second key reads all orders


def test_a_table_made_in_one_piece_is_neither_walked_nor_walked_under(tmp_path: Path) -> None:
    shop = _shop(tmp_path)
    assert _walks(shop, {"orders"}, unchunked=frozenset({"lineitem"})).children == {}
    assert _walks(shop, {"orders"}, unchunked=frozenset({"orders"})).children == {}


@pytest.mark.parametrize("target", [0, 1, 7, 1000, 12_345])
def test_parent_chunks_share_the_target_exactly(target: int) -> None:
    walk = WalkProgress(target=target, parent_total=1003, null_rows=0)
    cuts = [0, 200, 401, 700, 1003]
    shares = [walk.share(a, b - a) for a, b in zip(cuts, cuts[1:], strict=False)]
    assert sum(shares) == target
    for share, a, b in zip(shares, cuts, cuts[1:], strict=False):
        assert abs(share - target * (b - a) / 1003) < 1  # in proportion to the parent's planned rows
