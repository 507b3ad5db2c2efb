"""Introspection on real engines: topology fixtures and the six datasets."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fixtures import load_fixture

from relsynth.errors import ConnectionFailed, IntrospectionError
from relsynth.schema.elements import Deferrability, QualifiedName, Schema, TypeKind
from relsynth.schema.introspection import introspect
from relsynth.schema.snapshot import from_json, to_json

Q = QualifiedName


@pytest.fixture
def pg_fixture(make_database: Callable[[str], str]) -> Callable[..., Schema]:
    def load(name: str, **options: object) -> Schema:
        url = load_fixture(make_database("postgresql"), name)
        return introspect(url, **options)  # type: ignore[arg-type]

    return load


# -- PostgreSQL topology fixtures -----------------------------------------------------------------
def test_composite_fk_keeps_column_order(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("composite_fk")
    assert schema.dialect == "postgresql" and schema.server_version
    assert schema.table_names == (Q(None, "stock_item"), Q(None, "warehouse_bin"))
    parent = schema.table("warehouse_bin")
    assert parent.primary_key is not None
    assert parent.primary_key.constrained_columns == ("warehouse_code", "aisle", "bin_no")
    (fk,) = schema.table("stock_item").foreign_keys
    assert fk.name == "stock_item_bin_fkey"
    assert fk.constrained_columns == ("warehouse_code", "aisle", "bin_no")
    assert fk.referred_columns == ("warehouse_code", "aisle", "bin_no")
    assert (fk.on_delete, fk.on_update, fk.match) == ("CASCADE", "CASCADE", "FULL")
    assert schema.table("stock_item").column_names == ("item_id", "sku", "bin_no", "warehouse_code", "aisle", "quantity")


def test_fk_to_unique_non_pk_key(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("natural_key_fk")
    (fk,) = schema.table("city").foreign_keys
    assert fk.referred_table == Q(None, "country") and fk.referred_columns == ("iso_code",)
    country = schema.table("country")
    assert country.is_unique(("iso_code",))
    assert country.column("iso_code").type.sql == "character(2)"
    assert country.column("iso_code").type.length == 2


def test_text_keys(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("text_keys")
    author = schema.table("author").column("handle")
    assert (author.type.kind, author.type.sql, author.type.length) == (TypeKind.TEXT, "character varying(32)", 32)
    assert schema.table("post_tag").primary_key.constrained_columns == ("post_slug", "tag")  # type: ignore[union-attr]
    assert {fk.label for fk in schema.foreign_keys} == {
        "post(author_handle) -> author(handle)",
        "post_tag(post_slug) -> post(slug)",
    }


def test_table_without_primary_key(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("no_pk")
    log = schema.table("reading_log")
    assert log.primary_key is None
    assert log.foreign_keys[0].referred_table == Q(None, "device")


def test_not_valid_fk_is_marked(pg_fixture: Callable[..., Schema]) -> None:
    (fk,) = pg_fixture("not_valid_fk").table("purchase").foreign_keys
    assert fk.validated is False


def test_not_null_cycle_deferrability(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("not_null_cycle")
    (captain,) = schema.table("team").foreign_keys
    (team,) = schema.table("player").foreign_keys
    assert captain.deferrable is Deferrability.INITIALLY_DEFERRED
    assert team.deferrable is Deferrability.INITIALLY_IMMEDIATE
    assert not schema.table("team").column("captain_id").nullable
    assert not schema.table("player").column("team_id").nullable


def test_self_references(pg_fixture: Callable[..., Schema]) -> None:
    fks = pg_fixture("self_ref").table("employee").foreign_keys
    assert [fk.name for fk in fks] == ["employee_manager_id_fkey", "employee_mentor_fkey"]
    assert all(fk.is_self_reference for fk in fks)
    assert fks[0].on_delete == "SET NULL"


def test_multi_schema(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("multi_schema", schemas=["public", "sales"])
    assert schema.namespaces == ("sales",)
    assert schema.table_names == (Q(None, "product"), Q("sales", "order_line"), Q("sales", "product"))
    labels = {fk.label for fk in schema.foreign_keys}
    assert labels == {
        "sales.product(product_id) -> product(product_id)",
        "sales.order_line(sales_product_id) -> sales.product(sales_product_id)",
        "sales.order_line(product_id) -> product(product_id)",
    }
    only_sales = pg_fixture("multi_schema", schemas=["sales"])
    assert only_sales.table("sales.product").foreign_keys[0].referred_table == Q(None, "product")
    assert pg_fixture("multi_schema").table_names == (Q(None, "product"),)


def test_unknown_schema_names_the_existing_ones(pg_fixture: Callable[..., Schema]) -> None:
    with pytest.raises(IntrospectionError, match=r"'nope'.*public.*sales"):
        pg_fixture("multi_schema", schemas=["nope"])


def test_odd_identifiers(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("odd_identifiers")
    assert schema.table_names == (Q(None, "Mixed Case"), Q(None, "group"), Q(None, "order"))
    assert schema.table("group").column_names == ("id", "Mixed Case", "with space", 'it"s', "größe")
    assert {fk.label for fk in schema.foreign_keys} == {
        "order(group) -> group(id)",
        "Mixed Case(order ref) -> order(order)",
    }


def test_types_zoo(pg_fixture: Callable[..., Schema]) -> None:
    schema = pg_fixture("types_zoo")
    zoo = schema.table("zoo")
    kinds = {c.name: c.type.kind for c in zoo.columns}
    assert kinds == {
        "id": TypeKind.INTEGER, "serial_no": TypeKind.INTEGER, "feeling": TypeKind.ENUM, "feelings": TypeKind.ARRAY,
        "legs": TypeKind.INTEGER, "tags": TypeKind.ARRAY, "matrix": TypeKind.ARRAY, "doc": TypeKind.JSON,
        "docb": TypeKind.JSON, "uid": TypeKind.UUID, "blob": TypeKind.BINARY, "span": TypeKind.INTERVAL,
        "price": TypeKind.DECIMAL, "ratio": TypeKind.FLOAT, "small": TypeKind.INTEGER, "big": TypeKind.INTEGER,
        "flag": TypeKind.BOOLEAN, "code": TypeKind.TEXT, "fixed": TypeKind.TEXT, "born": TypeKind.DATE,
        "wake": TypeKind.TIME, "wake_tz": TypeKind.TIME, "seen": TypeKind.TIMESTAMP, "seen_tz": TypeKind.TIMESTAMP,
        "search": TypeKind.OTHER, "start_date": TypeKind.DATE, "end_date": TypeKind.DATE,
        "price_with_tax": TypeKind.DECIMAL,
    }
    ident = zoo.column("id").identity
    assert ident is not None and (ident.always, ident.start, ident.increment) == (True, 10, 2)
    assert schema.table("keeper").column("keeper_id").identity.always is False  # type: ignore[union-attr]
    serial = zoo.column("serial_no")
    assert serial.identity is None and serial.sequence == Q(None, "zoo_serial_no_seq")
    feeling = zoo.column("feeling").type
    assert feeling.enum == Q(None, "mood") and feeling.enum_values == ("sad", "ok", "happy")
    assert zoo.column("feelings").type.item.enum_values == ("sad", "ok", "happy")  # type: ignore[union-attr]
    assert zoo.column("matrix").type.dimensions == 2
    assert zoo.column("tags").type.item.kind is TypeKind.TEXT  # type: ignore[union-attr]
    legs = zoo.column("legs").type
    assert legs.domain == Q(None, "positive_int") and legs.sql == "positive_int"
    price = zoo.column("price")
    assert (price.type.sql, price.type.precision, price.type.scale, price.comment) == ("numeric(12,3)", 12, 3, "in euro")
    assert zoo.column("seen_tz").type.timezone and not zoo.column("seen").type.timezone
    assert zoo.column("wake_tz").type.timezone
    assert zoo.column("code").collation == "C" and zoo.column("fixed").collation is None
    assert zoo.column("flag").default == "true"
    generated = zoo.column("price_with_tax")
    assert generated.computed is not None and "price" in generated.computed and generated.computed_stored
    assert zoo.comment == "every type once"
    assert [c.sqltext for c in zoo.check_constraints] == ["end_date > start_date"]
    assert [u.columns for u in zoo.unique_constraints] == [("code",)]
    indexes = {ix.name: ix for ix in zoo.indexes}
    assert set(indexes) == {"zoo_docb_idx", "zoo_happy_idx", "zoo_lower_code_idx"}
    assert indexes["zoo_happy_idx"].where == "(feeling = 'happy'::mood)"
    assert indexes["zoo_docb_idx"].method == "gin"
    assert indexes["zoo_lower_code_idx"].definition.startswith("CREATE INDEX zoo_lower_code_idx")  # type: ignore[union-attr]
    # named types and sequences
    assert [(e.name, e.values) for e in schema.enums] == [(Q(None, "mood"), ("sad", "ok", "happy"))]
    (domain,) = schema.domains
    assert (domain.type.kind, domain.type.sql, domain.nullable, domain.default) == (
        TypeKind.INTEGER, "integer", False, "1")
    assert [c.sqltext for c in domain.checks] == ["VALUE > 0"]
    sequences = {s.name.name: s for s in schema.sequences}
    assert set(sequences) == {"standalone_seq", "zoo_serial_no_seq"}  # identity sequences are implicit
    assert (sequences["standalone_seq"].start, sequences["standalone_seq"].increment) == (100, 5)
    assert sequences["zoo_serial_no_seq"].owned_by == (Q(None, "zoo"), "serial_no")
    # views
    views = {v.name.name: v for v in schema.views}
    assert not views["happy_zoo"].materialized and views["zoo_counts"].materialized
    assert "happy" in views["happy_zoo"].definition
    # partitioning: one logical table, partition-only FKs and indexes lifted once
    assert Q(None, "event_log_2023") not in schema.table_names
    log = schema.table("event_log")
    assert log.partitioning is not None
    assert (log.partitioning.strategy, log.partitioning.key) == ("RANGE", "happened")
    assert [(p.name.name, p.bound) for p in log.partitioning.partitions] == [
        ("event_log_2023", "FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')"),
        ("event_log_2024", "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"),
        ("event_log_other", "DEFAULT"),
    ]
    assert [fk.label for fk in log.foreign_keys] == ["event_log(keeper_id) -> keeper(keeper_id)"]
    assert [ix.expressions for ix in log.indexes] == [("keeper_id",)]
    # things seen but not carried
    # PostgreSQL triggers and their functions are carried (to the same engine), not warned about.
    assert [t.name for t in schema.triggers] == ["zoo_touch"]
    assert any(r.kind == "function" for r in schema.routines)
    assert [r.name.name for r in schema.routines] == ["touch"]
    # the snapshot format carries all of it
    assert from_json(to_json(schema)) == schema


def test_introspection_needs_no_writes_and_leaves_the_source_alone(
    make_database: Callable[[str], str],
) -> None:
    """A source that refuses every write (like a hot standby) can be introspected, and is unchanged."""
    url = load_fixture(make_database("postgresql"), "types_zoo")
    database = sa.engine.make_url(url).database
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    catalog = (
        "SELECT string_agg(format('%s:%s:%s', c.relname, c.relkind, c.relnatts), ',' ORDER BY c.relname) "
        "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
    )
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
            before = connection.exec_driver_sql(catalog).scalar()
            rows_before = connection.exec_driver_sql("SELECT count(*), sum(id) FROM zoo").one()
        first = introspect(url)
        second = introspect(url)
        with admin.connect() as connection:
            after = connection.exec_driver_sql(catalog).scalar()
            rows_after = connection.exec_driver_sql("SELECT count(*), sum(id) FROM zoo").one()
    finally:
        admin.dispose()
    assert first == second and first.table_names
    assert (after, rows_after) == (before, rows_before)


def test_unreachable_server_is_a_connection_error() -> None:
    with pytest.raises(ConnectionFailed):
        introspect("postgresql://nobody@127.0.0.1:1/none")


# -- SQLite and MySQL variants --------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["sqlite", "mysql"])
def test_composite_fk_and_self_ref_on_other_engines(engine: str, make_database: Callable[[str], str]) -> None:
    url = load_fixture(make_database(engine), "composite_fk")
    load_fixture(url, "self_ref")
    schema = introspect(url)
    assert schema.dialect == engine
    assert schema.table_names == (Q(None, "employee"), Q(None, "stock_item"), Q(None, "warehouse_bin"))
    (fk,) = schema.table("stock_item").foreign_keys
    assert fk.constrained_columns == ("warehouse_code", "aisle", "bin_no")
    assert fk.referred_columns == ("warehouse_code", "aisle", "bin_no")
    assert (fk.on_delete, fk.on_update) == ("CASCADE", "CASCADE")
    assert schema.table("warehouse_bin").primary_key.constrained_columns == (  # type: ignore[union-attr]
        "warehouse_code", "aisle", "bin_no")
    assert schema.table("stock_item").column("item_id").identity is not None
    self_fks = schema.table("employee").foreign_keys
    assert len(self_fks) == 2 and all(fk.is_self_reference for fk in self_fks)
    assert {fk.on_delete for fk in self_fks} == {"SET NULL", None}
    if engine == "sqlite":
        assert any(fk.deferrable is Deferrability.INITIALLY_DEFERRED for fk in self_fks)


@pytest.mark.parametrize("engine", ["sqlite", "mysql"])
def test_odd_identifiers_on_other_engines(engine: str, make_database: Callable[[str], str]) -> None:
    schema = introspect(load_fixture(make_database(engine), "odd_identifiers"))
    expected_quote = 'it"s' if engine == "sqlite" else "it's"
    assert schema.table("group").column_names == ("id", "Mixed Case", "with space", expected_quote, "größe")
    assert [fk.label for fk in schema.foreign_keys] == ["order(group) -> group(id)"]


def test_types_on_sqlite(make_database: Callable[[str], str]) -> None:
    schema = introspect(load_fixture(make_database("sqlite"), "types_zoo"))
    zoo = schema.table("zoo")
    assert zoo.column("id").identity is not None and not zoo.column("id").nullable  # rowid alias
    assert schema.table("keyed").column("k").identity is None  # INT PRIMARY KEY is no rowid alias
    price = zoo.column("price").type
    assert (price.kind, price.precision, price.scale) == (TypeKind.DECIMAL, 12, 3)
    assert zoo.column("code").type.length == 10
    assert zoo.column("blob").type.kind is TypeKind.BINARY
    assert zoo.column("seen").type.kind is TypeKind.TIMESTAMP
    stored, virtual = zoo.column("price_with_tax"), zoo.column("code_lower")
    assert stored.computed == "price * 1.2" and stored.computed_stored
    assert virtual.computed == "lower(code)" and not virtual.computed_stored
    assert [c.sqltext for c in zoo.check_constraints] == ["end_date > start_date"]
    assert [ix.name for ix in zoo.indexes] == ["zoo_born_idx"]
    assert [(v.name.name, v.definition) for v in schema.views] == [
        ("happy_zoo", "SELECT id, code FROM zoo WHERE flag = 1")]
    assert any("zoo_touch" in w for w in schema.warnings)


def test_sqlite_column_level_unique_is_a_constraint(make_database: Callable[[str], str]) -> None:
    # SQLAlchemy's SQLite parser reports only table-level UNIQUE (...); a clone without the
    # column-level ones would accept duplicate e-mails.
    url = make_database("sqlite")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, a INT, b INT, UNIQUE (a, b))"
        )
    engine.dispose()
    uniques = {u.columns for u in introspect(url).table("person").unique_constraints}
    assert uniques == {("email",), ("a", "b")}


def test_types_on_mysql(make_database: Callable[[str], str]) -> None:
    schema = introspect(load_fixture(make_database("mysql"), "types_zoo"))
    zoo = schema.table("zoo")
    assert zoo.comment == "every type once"
    assert zoo.column("id").identity is not None
    feeling = zoo.column("feeling")
    assert feeling.type.kind is TypeKind.ENUM and feeling.type.enum_values == ("sad", "ok", "happy")
    price = zoo.column("price")
    assert (price.type.precision, price.type.scale, price.comment) == (12, 3, "in euro")
    assert zoo.column("flag").type.kind is TypeKind.BOOLEAN
    assert zoo.column("blob_col").type.kind is TypeKind.BINARY
    assert zoo.column("wake").type.kind is TypeKind.TIME
    assert zoo.column("price_with_tax").computed_stored and not zoo.column("code_lower").computed_stored
    assert "price" in (zoo.column("price_with_tax").computed or "")
    assert [u.columns for u in zoo.unique_constraints] == [("code",)]
    assert [c.name for c in zoo.check_constraints] == ["zoo_dates_check"]
    assert "zoo_born_idx" in {ix.name for ix in zoo.indexes}
    assert "zoo_code_key" not in {ix.name for ix in zoo.indexes}  # the unique constraint, not an index
    (view,) = schema.views
    assert view.name.name == "happy_zoo" and view.definition.lower().startswith("select")


# -- the six datasets ----------------------------------------------------------------------------
DATASET_PROFILES = {
    "pagila": (15, 21), "chinook": (11, 11), "northwind": (14, 13), "hr": (7, 10), "berka": (7, 7), "stats": (5, 6),
}


def _composite_pks(schema: Schema) -> set[str]:
    return {t.name.name for t in schema.tables if t.primary_key and len(t.primary_key.constrained_columns) > 1}


def _self_refs(schema: Schema) -> set[str]:
    return {f"{fk.table.name}({','.join(fk.constrained_columns)})" for fk in schema.foreign_keys if fk.is_self_reference}


@pytest.mark.parametrize("name", sorted(DATASET_PROFILES))
def test_dataset_profile(name: str, load_dataset: Callable[[str], str]) -> None:
    url = load_dataset(name)
    started = time.perf_counter()
    schema = introspect(url)
    elapsed = time.perf_counter() - started
    tables, fks = DATASET_PROFILES[name]
    assert (len(schema.tables), len(schema.foreign_keys)) == (tables, fks)
    assert all(t.primary_key is not None for t in schema.tables)
    assert not any(len(fk.constrained_columns) > 1 for fk in schema.foreign_keys)  # no composite FKs
    assert from_json(to_json(schema)) == schema
    assert elapsed < 2.0, f"introspecting {name} took {elapsed:.2f}s"
    expected = {
        "pagila": ({"film_actor", "film_category", "payment"}, set()),
        "chinook": ({"playlist_track"}, {"employee(reports_to)"}),
        "northwind": ({"customer_customer_demo", "employee_territories", "order_details"}, {"employees(reports_to)"}),
        "hr": ({"job_history"}, {"employees(manager_id)"}),
        "berka": (set(), set()),
        "stats": (set(), set()),
    }[name]
    assert (_composite_pks(schema), _self_refs(schema)) == expected


def test_pagila_details(load_dataset: Callable[[str], str]) -> None:
    schema = introspect(load_dataset("pagila"))
    payment = schema.table("payment")
    assert payment.partitioning is not None
    assert (payment.partitioning.strategy, payment.partitioning.key) == ("RANGE", "payment_date")
    assert len(payment.partitioning.partitions) == 7
    assert not any(t.name.startswith("payment_p") for t in schema.table_names)
    assert payment.primary_key.constrained_columns == ("payment_date", "payment_id")  # type: ignore[union-attr]
    assert sorted((fk.constrained_columns, fk.referred_table.name) for fk in payment.foreign_keys) == [
        (("customer_id",), "customer"), (("rental_id",), "rental"), (("staff_id",), "staff")]
    assert sum(fk.referred_table.name == "language" for fk in schema.table("film").foreign_keys) == 2
    film = schema.table("film")
    assert film.column("rating").type.enum_values == ("G", "PG", "PG-13", "R", "NC-17")
    assert film.column("release_year").type.domain == Q(None, "year")
    assert film.column("special_features").type.item.kind is TypeKind.TEXT  # type: ignore[union-attr]
    assert film.column("fulltext").type.kind is TypeKind.OTHER
    assert film.column("film_id").sequence == Q(None, "film_film_id_seq")
    assert {d.name.name: d.type.sql for d in schema.domains} == {"bıgınt": "bigint", "year": "integer"}
    assert [e.name.name for e in schema.enums] == ["mpaa_rating"]
    assert sum(not v.materialized for v in schema.views) == 7  # the profile counts plain views
    assert [v.name.name for v in schema.views if v.materialized] == ["rental_by_category"]
    assert len(schema.triggers) == 15
    assert {r.kind for r in schema.routines} == {"function", "aggregate"} and len(schema.routines) == 10
    group_concat = next(r for r in schema.routines if r.name.name == "group_concat")
    assert group_concat.definition.startswith("CREATE OR REPLACE AGGREGATE") and group_concat.signature == "(text)"


def test_hr_deferrable_cycle(load_dataset: Callable[[str], str]) -> None:
    schema = introspect(load_dataset("hr"))
    (manager,) = [fk for fk in schema.table("departments").foreign_keys if fk.constrained_columns == ("manager_id",)]
    assert manager.deferrable is Deferrability.INITIALLY_DEFERRED
    assert any("end_date > start_date" in c.sqltext for c in schema.table("job_history").check_constraints)
    assert schema.table("employees").is_unique(("email",))


def test_berka_reserved_word_table(load_dataset: Callable[[str], str]) -> None:
    schema = introspect(load_dataset("berka"))
    assert Q(None, "order") in schema.table_names
    assert len([c for t in schema.tables for c in t.check_constraints]) == 5
    assert schema.table("loan").is_unique(("account_id",))


def test_mysql_other_database_as_namespace(make_database: Callable[[str], str]) -> None:
    home = make_database("mysql")
    other = load_fixture(make_database("mysql"), "self_ref")
    name = sa.engine.make_url(other).database
    schema = introspect(home, schemas=[name])  # type: ignore[list-item]
    assert schema.namespaces == (name,)
    assert all(fk.table == fk.referred_table == Q(name, "employee") for fk in schema.foreign_keys)
    with pytest.raises(IntrospectionError, match="does not exist"):
        introspect(home, schemas=["rs_no_such_database"])


def test_mysql_names_with_backticks_are_read_as_written(make_database: Callable[[str], str]) -> None:
    url = make_database("mysql")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE `o``k` (`id` INT PRIMARY KEY, `back``tick` INT, UNIQUE (`back``tick`))")
        connection.exec_driver_sql("CREATE TABLE `child` (`p``id` INT, FOREIGN KEY (`p``id`) REFERENCES `o``k` (`id`))")
    engine.dispose()
    schema = introspect(url)
    parent = schema.table(QualifiedName(None, "o`k")) if QualifiedName(None, "o`k") in schema.table_names else next(
        t for t in schema.tables if t.name.name == "o`k")
    assert parent.column_names == ("id", "back`tick")
    assert parent.unique_constraints[0].columns == ("back`tick",)
    fk = next(t for t in schema.tables if t.name.name == "child").foreign_keys[0]
    assert fk.constrained_columns == ("p`id",) and fk.referred_table.name == "o`k"
