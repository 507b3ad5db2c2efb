"""Rule discovery and measurement on a small shop built on every engine, with rules planted in it."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from relsynth.connections import create_engine, read_snapshot
from relsynth.rules.discovery import discover
from relsynth.rules.measure import measure
from relsynth.rules.model import Rule, RuleKind
from relsynth.schema.elements import QualifiedName
from relsynth.schema.introspection import introspect

STATES = ("CA", "NY", "TX", "WA", "QC", "ON", "SP", "RJ", "NSW", "BC")
CITIES = {"Paris": "France", "Lyon": "France", "Berlin": "Germany", "Hamburg": "Germany", "Oslo": "Norway", "Rome": "Italy"}
ORDERS = 300
LATE = 30  # orders delivered before they were placed: the delivery order holds on 90% of rows


def _shop(metadata: sa.MetaData) -> None:
    money = sa.Numeric(12, 2)
    sa.Table("customer", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("city", sa.String(20)), sa.Column("country", sa.String(20)),
             sa.Column("state", sa.String(10)), sa.Column("signup", sa.Date), sa.Column("birth", sa.Date))
    sa.Table("product", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("price", money))
    sa.Table("orders", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False),
             sa.Column("placed", sa.Date), sa.Column("shipped", sa.Date), sa.Column("delivered", sa.Date),
             sa.Column("placed_year", sa.Integer), sa.Column("cost", money), sa.Column("noise", sa.Integer))
    sa.Table("order_line", metadata,
             sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), primary_key=True),
             sa.Column("line_no", sa.Integer, primary_key=True),
             sa.Column("product_id", sa.Integer, sa.ForeignKey("product.id"), nullable=False),
             sa.Column("quantity", sa.Integer), sa.Column("unit_cost", money), sa.Column("amount", money))
    sa.Table("payment", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False))


def _rows(rng: random.Random) -> dict[str, list[dict]]:
    start = date(2020, 1, 1)
    customers = []
    for i in range(1, 61):
        city = rng.choice(sorted(CITIES))
        customers.append({"id": i, "city": city, "country": CITIES[city], "state": rng.choice(STATES),
                          "signup": start + timedelta(rng.randrange(300)), "birth": start + timedelta(rng.randrange(-400, 800))})
    products = [{"id": i, "price": rng.randrange(100, 5000) / 100} for i in range(1, 31)]
    orders, lines, payments = [], [], []
    for i in range(1, ORDERS + 1):
        customer = rng.choice(customers)
        placed = customer["signup"] + timedelta(1 + rng.randrange(400))
        delivered = placed + timedelta(-3 if i <= LATE else 3)
        cost = 0.0
        for line_no in range(1, rng.randrange(1, 6) + 1):
            product = rng.choice(products)
            quantity, unit_cost = rng.randrange(1, 9), rng.randrange(50, 900) / 100
            cost += quantity * unit_cost
            lines.append({"order_id": i, "line_no": line_no, "product_id": product["id"], "quantity": quantity,
                          "unit_cost": unit_cost, "amount": round(quantity * product["price"], 2)})
        orders.append({"id": i, "customer_id": customer["id"], "placed": placed,
                       "shipped": placed + timedelta(1 + rng.randrange(60)), "delivered": delivered,
                       "placed_year": placed.year, "cost": round(cost, 2), "noise": rng.randrange(1000, 3000)})
        payments.append({"id": i, "order_id": i, "customer_id": customer["id"]})
    return {"customer": customers, "product": products, "orders": orders, "order_line": lines, "payment": payments}


def _build(url: str) -> str:
    metadata = sa.MetaData()
    _shop(metadata)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            for name, rows in _rows(random.Random(7)).items():
                connection.execute(metadata.tables[name].insert(), rows)
    finally:
        engine.dispose()
    return url


def _discover(url: str) -> tuple[Rule, ...]:
    schema = introspect(url)
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            return discover(connection, schema)
    finally:
        engine.dispose()


def _rule(kind: RuleKind, table: str, column: str, op: str = "", inputs: tuple[str, ...] = (), *,
          child: str | None = None, via: tuple[str, ...] = ()) -> tuple:
    parent_of = None if child is None else QualifiedName(None, child)
    return Rule(kind, QualifiedName(None, table), column, op, inputs, parent_of, via).key()


PLANTED = [
    _rule(RuleKind.EQUAL, "payment", "customer_id", inputs=("order_id->customer_id",)),  # a diamond
    _rule(RuleKind.ORDER, "orders", "shipped", "gt", ("placed",)),
    _rule(RuleKind.ORDER, "orders", "placed", "gt", ("customer_id->signup",)),
    _rule(RuleKind.AGGREGATE, "orders", "cost", "sum", ("quantity", "unit_cost"), child="order_line", via=("order_id",)),
    _rule(RuleKind.FORMULA, "order_line", "amount", "mul", ("quantity", "product_id->price")),
    _rule(RuleKind.FORMULA, "orders", "placed_year", "year", ("placed",)),
    _rule(RuleKind.SEQUENCE, "order_line", "line_no", "number", via=("order_id",)),
    _rule(RuleKind.CATEGORY, "customer", "state"),
    _rule(RuleKind.DEPENDENCY, "customer", "country", inputs=("city",)),
]


@pytest.fixture
def shop(any_engine: str, make_database) -> str:
    return _build(make_database(any_engine))


def test_discovery_finds_the_planted_rules_and_nothing_that_does_not_hold(shop: str) -> None:
    found = {rule.key(): rule for rule in _discover(shop)}
    missing = [key for key in PLANTED if key not in found]
    assert not missing, f"not discovered: {missing}; found: {[r.describe() for r in found.values()]}"
    assert all(found[key].support == 1.0 for key in PLANTED)
    # Delivery precedes placing on 10% of the orders: below min_support, so no rule.
    assert _rule(RuleKind.ORDER, "orders", "delivered", "gt", ("placed",)) not in found
    assert _rule(RuleKind.ORDER, "orders", "delivered", "ge", ("placed",)) not in found
    # Independent columns: no rule names them.
    assert not [r for r in found.values() if "noise" in (r.column, *r.inputs) or "birth" in (r.column, *r.inputs)]
    assert _rule(RuleKind.CATEGORY, "customer", "city") not in found


def test_measure_counts_the_violations(shop: str) -> None:
    schema = introspect(shop)
    late = Rule(RuleKind.ORDER, QualifiedName(None, "orders"), "delivered", "ge", ("placed",))
    shipped = Rule(RuleKind.ORDER, QualifiedName(None, "orders"), "shipped", "gt", ("placed",))
    engine = create_engine(shop, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            shares = measure(connection, schema, [late, shipped])
            sampled = measure(connection, schema, [late], sample_rows=LATE * 2)  # the first rows: half late
    finally:
        engine.dispose()
    assert shares[late.key()] == pytest.approx(1 - LATE / ORDERS)
    assert shares[shipped.key()] == 1.0
    assert sampled[late.key()] == pytest.approx(0.5)


def test_inspect_lists_the_rules_with_their_support(tmp_path) -> None:
    url = _build(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    env = {**os.environ, "COLUMNS": "200"}
    command = [sys.executable, "-m", "relsynth.cli", "inspect", url, "--rules"]
    text = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert text.returncode == 0, text.stderr
    assert "payment.customer_id = order_id->customer_id" in text.stdout
    assert "orders.cost = sum(order_line.quantity * unit_cost) by order_id" in text.stdout
    as_json = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    listed = {(r["kind"], r["table"]["name"], r["column"]): r for r in document["rules"]}
    assert listed[("sequence", "order_line", "line_no")]["support"] == 1.0
    assert listed[("category", "customer", "state")]["description"] == "customer.state is a code (a category)"
    assert len(document["schema"]["tables"]) == 5


def test_the_report_shows_each_rule_in_source_and_clone_and_fails_a_broken_one(tmp_path) -> None:
    from rich.console import Console

    from relsynth.reporting import build_report, evaluate, render_html, render_terminal

    source = _build(f"sqlite:///{tmp_path / 'source.sqlite'}")
    clone = _build(f"sqlite:///{tmp_path / 'clone.sqlite'}")
    engine = create_engine(clone)
    try:
        with engine.begin() as connection:  # every other payment names another customer: the diamond breaks
            connection.execute(sa.text("UPDATE payment SET customer_id = 1 + customer_id % 60 WHERE id % 2 = 0"))
    finally:
        engine.dispose()
    report = build_report(source, clone, sample_rows=500)
    by_rule = {r.rule: r for r in report.rules}
    diamond = by_rule["payment.customer_id = order_id->customer_id"]
    assert (diamond.source, diamond.clone, diamond.broken) == (1.0, 0.5, True)
    kept = by_rule["orders.cost = sum(order_line.quantity * unit_cost) by order_id"]
    assert (kept.source, kept.clone, kept.broken) == (1.0, 1.0, False)
    assert report.figures["rules_broken"] == 1.0
    gate = evaluate(report, fail_over={"rules_broken": 0})
    assert any(f.startswith("rules_broken 1") for f in gate.failures)
    assert json.loads(report.to_json())["rules"][0]["source"] is not None
    assert "<h2 id='rules'>" in render_html(report, gate=gate)
    console = Console(width=120, record=True)
    console.print(render_terminal(report, gate=gate))
    assert "payment.customer_id = order_id->customer_id" in console.export_text()
