"""Generation by the rules on real engines: every enforced rule holds on every row of the clone,
and every foreign key, primary key and CHECK still holds (the target verifies them on load).

A small shop is built in the source: customers, products, orders with their lines and shipments.
Its data obeys rules the schema does not declare (a diamond, an order of dates, an aggregate, a
count, line numbers, a lookup, a copied attribute); the run is given them by hand, as discovery
or the config would, and the clone is measured in SQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from relsynth.config import RelsynthConfig
from relsynth.learning import train
from relsynth.modeling import ModelConfig
from relsynth.pipeline import generate_into
from relsynth.rules import Rule, RuleKind
from relsynth.runs import load_run, save_run
from relsynth.schema.elements import QualifiedName

SMALL = RelsynthConfig(seed=3, model=ModelConfig(epochs=2, hidden_dim=16))

DDL = """
CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, address VARCHAR(60) NOT NULL, city VARCHAR(30));
CREATE TABLE product (product_id INTEGER PRIMARY KEY, price NUMERIC(8, 2) NOT NULL);
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer (customer_id),
    billing_address VARCHAR(60), ordered DATE NOT NULL, shipped DATE, total NUMERIC(10, 2), n_lines INTEGER,
    CHECK (n_lines >= 0));
CREATE TABLE order_line (
    order_id INTEGER NOT NULL REFERENCES orders (order_id), line_no INTEGER NOT NULL,
    product_id INTEGER NOT NULL REFERENCES product (product_id), quantity INTEGER NOT NULL CHECK (quantity > 0),
    price NUMERIC(8, 2) NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE shipment (
    shipment_id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (order_id),
    customer_id INTEGER NOT NULL REFERENCES customer (customer_id), carrier VARCHAR(10));
"""

# rule -> the SQL share of rows obeying it (1.0 in the source by construction)
SHARES = {
    "diamond": "SELECT avg(CASE WHEN s.customer_id = o.customer_id THEN 1.0 ELSE 0 END) FROM shipment s JOIN orders o ON o.order_id = s.order_id",
    "order": "SELECT avg(CASE WHEN shipped >= ordered THEN 1.0 ELSE 0 END) FROM orders WHERE shipped IS NOT NULL",
    "copy": "SELECT avg(CASE WHEN o.billing_address = c.address THEN 1.0 ELSE 0 END) FROM orders o JOIN customer c ON c.customer_id = o.customer_id",
    "sum": "SELECT avg(CASE WHEN abs(o.total - l.x) < 0.005 THEN 1.0 ELSE 0 END) FROM orders o "
           "JOIN (SELECT order_id, sum(quantity * price) AS x FROM order_line GROUP BY order_id) l ON l.order_id = o.order_id",
    "count": "SELECT avg(CASE WHEN o.n_lines = (SELECT count(*) FROM order_line l WHERE l.order_id = o.order_id) THEN 1.0 ELSE 0 END) FROM orders o",
    "numbers": "SELECT avg(CASE WHEN l.line_no = (SELECT count(*) FROM order_line m WHERE m.order_id = l.order_id AND m.line_no <= l.line_no) "
               "AND l.line_no >= 1 THEN 1.0 ELSE 0 END) FROM order_line l",
    "lookup": "SELECT avg(CASE WHEN l.price = p.price THEN 1.0 ELSE 0 END) FROM order_line l JOIN product p ON p.product_id = l.product_id",
}
ORPHANS = [
    "SELECT count(*) FROM shipment s LEFT JOIN customer c ON c.customer_id = s.customer_id WHERE c.customer_id IS NULL",
    "SELECT count(*) FROM order_line l LEFT JOIN orders o ON o.order_id = l.order_id WHERE o.order_id IS NULL",
    "SELECT count(*) FROM (SELECT order_id, line_no FROM order_line GROUP BY order_id, line_no HAVING count(*) > 1) d",
]


def _shop(url: str) -> None:
    """The source: 80 customers, 30 products, 300 orders with 1-6 lines each, 200 shipments."""
    rng = np.random.default_rng(11)
    streets = ["Elm St", "Oak Ave", "Pine Rd", "Lake Dr", "Hill Way"]
    customers = [{"customer_id": i, "address": f"{rng.integers(1, 999)} {streets[i % 5]}", "city": ["Oslo", "Lima", "Pune"][i % 3]} for i in range(1, 81)]
    products = [{"product_id": i, "price": round(float(rng.choice([0.99, 1.99, 4.5, 9.99, 12.0])), 2)} for i in range(1, 31)]
    orders, lines = [], []
    for order_id in range(1, 301):
        customer = customers[int(rng.integers(80))]
        ordered = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(300)))
        shipped = ordered + dt.timedelta(days=int(rng.integers(0, 9))) if rng.random() < 0.9 else None
        count = int(rng.integers(1, 7))
        chosen = [products[int(p)] for p in rng.integers(30, size=count)]
        quantities = rng.integers(1, 5, size=count)
        lines += [{"order_id": order_id, "line_no": n + 1, "product_id": p["product_id"], "quantity": int(q), "price": p["price"]}
                  for n, (p, q) in enumerate(zip(chosen, quantities, strict=True))]
        total = round(sum(p["price"] * int(q) for p, q in zip(chosen, quantities, strict=True)), 2)
        orders.append({"order_id": order_id, "customer_id": customer["customer_id"], "billing_address": customer["address"],
                       "ordered": ordered, "shipped": shipped, "total": total, "n_lines": count})
    shipments = [{"shipment_id": i, "order_id": o["order_id"], "customer_id": o["customer_id"], "carrier": ["ups", "dhl"][i % 2]}
                 for i, o in enumerate((orders[int(k)] for k in rng.integers(300, size=200)), start=1)]
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    with engine.begin() as connection:
        for statement in DDL.split(";"):
            if statement.strip():
                connection.exec_driver_sql(statement)
        metadata.reflect(connection)
        for table, rows in (("customer", customers), ("product", products), ("orders", orders), ("order_line", lines), ("shipment", shipments)):
            connection.execute(metadata.tables[table].insert(), rows)
    engine.dispose()


def _rules(names: dict[str, QualifiedName]) -> tuple[Rule, ...]:
    return (
        Rule(RuleKind.EQUAL, names["shipment"], "customer_id", inputs=("order_id->customer_id",)),
        Rule(RuleKind.ORDER, names["orders"], "shipped", op="ge", inputs=("ordered",)),
        Rule(RuleKind.EQUAL, names["orders"], "billing_address", inputs=("customer_id->address",)),
        Rule(RuleKind.AGGREGATE, names["orders"], "total", op="sum", inputs=("quantity", "price"), child=names["order_line"], via=("order_id",)),
        Rule(RuleKind.AGGREGATE, names["orders"], "n_lines", op="count", child=names["order_line"], via=("order_id",)),
        Rule(RuleKind.SEQUENCE, names["order_line"], "line_no", op="number", via=("order_id",)),
        Rule(RuleKind.EQUAL, names["order_line"], "price", inputs=("product_id->price",)),
    )


def _measure(url: str) -> tuple[dict[str, float], list[int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            shares = {name: float(connection.exec_driver_sql(sql).scalar()) for name, sql in SHARES.items()}
            return shares, [int(connection.exec_driver_sql(sql).scalar()) for sql in ORPHANS]
    finally:
        engine.dispose()


@pytest.mark.slow  # trains a model (about 4 s an engine)
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_every_enforced_rule_holds_on_every_row_of_the_clone_and_every_constraint_still_holds(make_database, tmp_path: Path, engine: str) -> None:
    source = make_database(engine)
    _shop(source)
    assert _measure(source)[0] == dict.fromkeys(SHARES, 1.0)
    run = train(source, config=SMALL, rules=())
    names = {name.name: name for name in run.tables}
    run.rules = _rules(names)
    save_run(run, tmp_path / "run")
    assert load_run(tmp_path / "run").rules == run.rules

    target = make_database(engine)
    result = generate_into(tmp_path / "run", target, seed=1)
    shares, orphans = _measure(target)
    assert result.rows["orders"] > 100 and result.rows["order_line"] > 100 and result.rows["shipment"] > 50
    assert shares == dict.fromkeys(SHARES, 1.0), shares
    assert orphans == [0, 0, 0]
    assert not [w for w in result.warnings if "rule" in w]

    run.rules = ()  # the same run without its rules: the clone misses them (the test can fail)
    save_run(run, tmp_path / "plain")
    plain = make_database(engine)
    generate_into(tmp_path / "plain", plain, seed=1)
    before = _measure(plain)[0]
    assert before["diamond"] < 0.9 and before["sum"] < 0.9 and before["copy"] < 0.9
