"""What generation keeps of a written table, and when it releases it (relsynth/generation_memory.py).

Tested on the plan of the demo shop (introspected from SQLite, nothing trained): a self-referencing
org chart (a deferred key, so ``employee`` waits), customers under employees, orders under
customers, order lines under orders with a secondary key to products, products under categories.
The run's artifacts are reduced to what ``Retention`` reads: children, degree and context columns.
"""

from __future__ import annotations

import gc
import weakref
from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd
import pytest

from relsynth.demo import build_demo_database
from relsynth.generation_memory import END, Retention, with_frozen_heap
from relsynth.planning import plan
from relsynth.schema.elements import QualifiedName
from relsynth.schema.introspection.reader import introspect


def q(name: str) -> QualifiedName:
    return QualifiedName(None, name)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    schema = introspect(build_demo_database(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=5, seed=1))
    ids = {fk.label: index for index, fk in enumerate(schema.foreign_keys)}
    to_order = ids["order_line(order_id) -> order(order_id)"]
    to_product = ids["order_line(product_id) -> product(product_id)"]

    def artifact(children=None, degrees=None, context=()):
        model = SimpleNamespace(context_specs=[SimpleNamespace(name=c) for c in context])
        return SimpleNamespace(children=children or {}, degrees=degrees or {}, model=model)

    tables = {name: artifact() for name in schema.table_names}
    tables[q("order")] = artifact(children={to_order: "__children__3"}, context=("segment",))
    tables[q("product")] = artifact(degrees={to_product: "__degree__4"})
    tables[q("order_line")] = artifact(context=("status", "ordered_on"))
    return SimpleNamespace(plan=plan(schema), schema=schema, tables=tables)


@dataclass(frozen=True)
class RuleOn:
    """What ``Retention`` reads of a rule: the table it computes a column of."""

    table: QualifiedName


def no_rules():
    return SimpleNamespace(reads={}, late=[])


def retention(shop, rules=None) -> Retention:
    waiting = {tp.table for tp in shop.plan.tables if tp.deferred_fks}
    return Retention(shop, rules or no_rules(), waiting=waiting)


def position(shop, name: str) -> int:
    return shop.plan.order.index(q(name))


def test_a_context_parent_keeps_its_key_children_count_and_the_childs_context_columns(shop) -> None:
    kept = retention(shop)
    order_rows = pd.DataFrame({"order_id": [1, 2], "customer_id": [3, 4], "status": ["a", "b"], "ordered_on": [0, 1]})
    order_model = pd.DataFrame({"status": ["a", "b"], "ordered_on": [0, 1], "segment": [0, 0], "__children__3": [2, 1]})
    assert list(kept.kept_rows(q("order"), order_rows).columns) == ["order_id"]
    assert len(kept.kept_rows(q("order"), order_rows)) == 2  # parents are counted even with no column left
    assert list(kept.kept_model(q("order"), order_model).columns) == ["status", "ordered_on", "__children__3"]
    assert not kept.keeps_clusters(q("order")), "order is no parent of a secondary or deferred key"


def test_a_secondary_parent_keeps_its_clusters_degrees_and_key(shop) -> None:
    kept = retention(shop)
    product_model = pd.DataFrame({"price": [1.0], "__degree__4": [3], "name": ["x"]})
    assert kept.keeps_clusters(q("product"))
    assert list(kept.kept_model(q("product"), product_model).columns) == ["__degree__4"]
    assert kept.needs[q("product")].rows == {"product_id"}


def test_a_table_is_released_after_its_last_reader_and_a_leaf_at_once(shop) -> None:
    kept = retention(shop)
    assert q("order") in kept.released_after(position(shop, "order_line"))
    assert q("product") in kept.released_after(position(shop, "order_line"))
    assert q("category") in kept.released_after(position(shop, "product"))
    assert q("order_line") in kept.released_after(position(shop, "order_line"))
    assert kept.needs[q("order_line")].rows == frozenset() and kept.needs[q("order_line")].model == frozenset()


def test_waiting_tables_and_parents_of_deferred_keys_stay_to_the_end(shop) -> None:
    kept = retention(shop)
    assert kept.needs[q("employee")].last_reader == END
    assert kept.keeps_clusters(q("employee")), "its deferred self-reference is filled from its clusters"
    released = [name for index in range(len(shop.plan.tables)) for name in kept.released_after(index)]
    assert q("employee") not in released


def test_rule_inputs_are_kept_until_the_rule_runs(shop) -> None:
    early = RuleOn(q("order"))  # order.x = customer.city, run when order is generated
    late = RuleOn(q("customer"))  # an aggregate over orders, run at the end
    rules = SimpleNamespace(
        reads={early: SimpleNamespace(reads=frozenset({(q("customer"), "city")})),
               late: SimpleNamespace(reads=frozenset({(q("order"), "customer_id"), (q("order"), "status")}))},
        late=[late],
    )
    kept = retention(shop, rules)
    assert "city" in kept.needs[q("customer")].rows
    assert {"customer_id", "status"} <= kept.needs[q("order")].rows
    assert kept.needs[q("order")].last_reader == END, "the late aggregate reads order at the end"
    assert q("order") not in kept.released_after(position(shop, "order_line"))


def test_a_stream_leaves_the_objects_alive_before_it_out_of_collections_until_it_ends() -> None:
    class Node:
        pass

    def stream():
        assert gc.get_freeze_count() > 0  # what was alive before generation is left out
        node = Node()
        node.me = node  # a cycle made while generating is still collected
        gone = weakref.ref(node)
        del node
        gc.collect()
        yield gone() is None

    assert gc.get_freeze_count() == 0
    assert list(with_frozen_heap(stream())) == [True]
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a caller that froze objects itself keeps its own state
    try:
        frozen = gc.get_freeze_count()
        assert list(with_frozen_heap(stream())) == [True]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
