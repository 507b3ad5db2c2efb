"""A small demo source database in SQLite, generated here (no data is downloaded or shipped).

A shop: employees (a self-referencing org chart), customers with identifying columns, products in
categories, orders with a CHECK between dates, and order lines keyed by (order, product).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from faker import Faker

DDL = [
    """CREATE TABLE "category" (
        "category_id" INTEGER PRIMARY KEY,
        "name" VARCHAR(40) NOT NULL UNIQUE)""",
    """CREATE TABLE "employee" (
        "employee_id" INTEGER PRIMARY KEY,
        "first_name" VARCHAR(40) NOT NULL,
        "last_name" VARCHAR(40) NOT NULL,
        "title" VARCHAR(40) NOT NULL,
        "reports_to" INTEGER REFERENCES "employee" ("employee_id"),
        "hired_on" DATE NOT NULL)""",
    """CREATE TABLE "customer" (
        "customer_id" INTEGER PRIMARY KEY,
        "first_name" VARCHAR(40) NOT NULL,
        "last_name" VARCHAR(40) NOT NULL,
        "email" VARCHAR(80) NOT NULL UNIQUE,
        "city" VARCHAR(60),
        "segment" VARCHAR(10) NOT NULL CHECK ("segment" IN ('consumer', 'business')),
        "support_rep_id" INTEGER REFERENCES "employee" ("employee_id"))""",
    """CREATE TABLE "product" (
        "product_id" INTEGER PRIMARY KEY,
        "category_id" INTEGER NOT NULL REFERENCES "category" ("category_id"),
        "name" VARCHAR(60) NOT NULL,
        "price" NUMERIC(8, 2) NOT NULL CHECK ("price" > 0),
        "discontinued" BOOLEAN NOT NULL)""",
    """CREATE TABLE "order" (
        "order_id" INTEGER PRIMARY KEY,
        "customer_id" INTEGER NOT NULL REFERENCES "customer" ("customer_id"),
        "ordered_on" DATE NOT NULL,
        "shipped_on" DATE,
        "status" VARCHAR(10) NOT NULL,
        CHECK ("shipped_on" IS NULL OR "shipped_on" >= "ordered_on"))""",
    """CREATE TABLE "order_line" (
        "order_id" INTEGER NOT NULL REFERENCES "order" ("order_id"),
        "product_id" INTEGER NOT NULL REFERENCES "product" ("product_id"),
        "quantity" INTEGER NOT NULL CHECK ("quantity" > 0),
        "unit_price" NUMERIC(8, 2) NOT NULL,
        PRIMARY KEY ("order_id", "product_id"))""",
]

CATEGORIES = ["books", "music", "garden", "kitchen", "toys", "sports"]
CATEGORY_PRICE = {"books": 18, "music": 12, "garden": 45, "kitchen": 30, "toys": 22, "sports": 60}


def build_demo_database(path: Path, *, customers: int = 400, seed: int = 0) -> str:
    """Create the demo shop at ``path`` (replacing it) and return its URL."""
    path = Path(path)
    path.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in DDL:
            connection.exec_driver_sql(statement)
        # Rows are drawn table by table in this order, so that a seed always gives the same shop.
        employees = _employees(rng, fake)
        customer_rows = _customers(rng, fake, customers)
        products = _products(rng, fake)
        orders, lines = _orders(rng, customer_rows, products)
        for statement, rows in (
            ('INSERT INTO "category" VALUES (:id, :name)', [{"id": i + 1, "name": n} for i, n in enumerate(CATEGORIES)]),
            ('INSERT INTO "employee" VALUES (:id, :f, :l, :t, :r, :h)', employees),
            ('INSERT INTO "customer" VALUES (:id, :f, :l, :e, :c, :s, :r)', customer_rows),
            ('INSERT INTO "product" VALUES (:id, :c, :n, :p, :d)', products),
            ('INSERT INTO "order" VALUES (:id, :c, :o, :s, :st)', orders),
            ('INSERT INTO "order_line" VALUES (:o, :p, :q, :u)', lines),
        ):
            connection.execute(sa.text(statement), rows)
    engine.dispose()
    return url


def _employees(rng: np.random.Generator, fake: Faker) -> list[dict]:
    """A CEO, three sales managers reporting to the CEO, eight agents reporting to a manager."""
    employees = []
    for i in range(12):
        boss = None if i == 0 else (1 if i < 4 else int(rng.integers(2, 5)))
        title = "CEO" if i == 0 else ("Sales Manager" if i < 4 else "Sales Agent")
        hired = dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2500)))
        employees.append(
            {"id": i + 1, "f": fake.first_name(), "l": fake.last_name(), "t": title, "r": boss, "h": hired}
        )
    return employees


def _customers(rng: np.random.Generator, fake: Faker, count: int) -> list[dict]:
    rows = []
    for i in range(count):
        first, last = fake.first_name(), fake.last_name()
        segment = "business" if rng.random() < 0.3 else "consumer"
        rows.append(
            {
                "id": i + 1,
                "f": first,
                "l": last,
                "e": f"{first}.{last}{i}@{fake.free_email_domain()}".lower(),
                "c": fake.city() if rng.random() > 0.05 else None,
                "s": segment,
                "r": int(rng.integers(5, 13)) if rng.random() > 0.1 else None,
            }
        )
    return rows


def _products(rng: np.random.Generator, fake: Faker) -> list[dict]:
    products = []
    for i in range(120):
        category = int(rng.integers(0, len(CATEGORIES)))
        price = round(float(rng.lognormal(np.log(CATEGORY_PRICE[CATEGORIES[category]]), 0.4)), 2)
        products.append(
            {"id": i + 1, "c": category + 1, "n": fake.catch_phrase()[:60], "p": price, "d": bool(rng.random() < 0.1)}
        )
    return products


def _orders(rng: np.random.Generator, customers: list[dict], products: list[dict]) -> tuple[list[dict], list[dict]]:
    """Orders per customer and their lines; business customers order more often and buy more per order."""
    prices = {p["id"]: p["p"] for p in products}
    orders, lines = [], []
    order_id = 0
    for customer in customers:
        business = customer["s"] == "business"
        for _ in range(int(rng.poisson(6 if business else 2))):
            order_id += 1
            ordered = dt.date(2022, 1, 1) + dt.timedelta(days=int(rng.integers(0, 900)))
            status = str(rng.choice(["shipped", "shipped", "shipped", "pending", "cancelled"]))
            shipped = ordered + dt.timedelta(days=int(rng.integers(0, 8))) if status == "shipped" else None
            orders.append({"id": order_id, "c": customer["id"], "o": ordered, "s": shipped, "st": status})
            chosen = rng.choice(len(products), size=int(rng.integers(1, 6)), replace=False)
            for product in chosen:
                quantity = int(rng.integers(1, 20 if business else 4))
                lines.append({"o": order_id, "p": int(product) + 1, "q": quantity, "u": prices[int(product) + 1]})
    return orders, lines
