"""Generation honours every key the target enforces (issue #10 item 4, issue #12 item 1).

Each fixture is built so that generated rows collide: a partial unique index over a category,
composite natural keys (text plus timestamp) filling a dense grid, and TPC-H's overlapping foreign
keys. The target creates every constraint after loading, so a clone that loads honours them; the
tests also check that the constraints exist, that no row was dropped for a key, and no orphan.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fixtures import load_fixture

from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone
from relsynth.schema.ddl import clone_schema
from relsynth.schema.introspection import introspect

FAST = RelsynthConfig(model=ModelConfig(max_training_seconds=2.0))


def _scalar(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(sql).scalar_one())
    finally:
        engine.dispose()


def _orphans(url: str, child: str, parent: str, pairs: list[tuple[str, str]]) -> int:
    join = " AND ".join(f"p.{p} = c.{c}" for c, p in pairs)
    return _scalar(url, f"SELECT count(*) FROM {child} c WHERE NOT EXISTS (SELECT 1 FROM {parent} p WHERE {join})")


def _no_key_drops(warnings: list[str]) -> None:
    assert not [w for w in warnings if "dropped" in w], warnings


@pytest.mark.slow  # clones
@pytest.mark.parametrize(
    ("engine", "target_engine"),
    [("postgresql", "postgresql"), ("sqlite", "sqlite"), ("postgresql", "sqlite"), ("sqlite", "postgresql")],
)
def test_partial_and_expression_unique_indexes_are_recreated_and_honoured(engine: str, target_engine: str, make_database) -> None:
    source = load_fixture(make_database(engine), "partial_unique")
    target = make_database(target_engine)
    result = clone(source, target, config=FAST)
    indexes = {ix.name: ix for ix in introspect(target).table("member").indexes}
    assert indexes["member_code_active"].unique and indexes["member_code_active"].where is not None
    assert indexes["member_email_lower"].unique and "lower" in indexes["member_email_lower"].expressions[0].lower()
    active = _scalar(target, "SELECT count(*) FROM member WHERE active")
    assert active > 20  # enough active members for codes to collide without the index honoured
    assert _scalar(target, "SELECT count(DISTINCT code) FROM member WHERE active") == active
    assert _scalar(target, "SELECT count(DISTINCT lower(email)) FROM member") == _scalar(target, "SELECT count(*) FROM member")
    assert _orphans(target, "visit", "member", [("member_id", "member_id")]) == 0
    _no_key_drops(result.warnings)


@pytest.mark.slow  # clones
@pytest.mark.parametrize("engine", ["postgresql", "sqlite", "mysql"])
def test_composite_natural_keys_move_colliding_rows_instead_of_dropping_them(engine: str, make_database) -> None:
    source = load_fixture(make_database(engine), "composite_natural_key")
    target = make_database(engine)
    result = clone(source, target, config=FAST)
    schema = introspect(target)
    assert schema.table("production_run").primary_key.constrained_columns == ("line_name", "started_at")
    assert any(fk.referred_table.name == "production_run" for fk in schema.table("quality_sample").foreign_keys)
    runs = _scalar(target, "SELECT count(*) FROM production_run")
    assert runs == _scalar(source, "SELECT count(*) FROM production_run")  # none dropped for its key
    assert _scalar(target, "SELECT count(*) FROM (SELECT DISTINCT line_name, started_at FROM production_run) k") == runs
    assert _orphans(target, "quality_sample", "production_run", [("line_name", "line_name"), ("run_started_at", "started_at")]) == 0
    if engine == "postgresql":  # the key that includes a foreign key (a station's shifts)
        assert _scalar(target, "SELECT count(*) FROM shift") == _scalar(source, "SELECT count(*) FROM shift")
        assert _orphans(target, "incident", "shift", [("station_code", "station_code"), ("shift_started_at", "started_at")]) == 0
        # a key over a self-reference, kept once the self-reference is filled, without dropping rows
        assert schema.table("crew_member").unique_constraints[0].columns == ("mentor_id", "rank")
        assert _scalar(target, "SELECT count(*) FROM crew_member") == _scalar(source, "SELECT count(*) FROM crew_member")
    _no_key_drops(result.warnings)


@pytest.mark.slow  # clones
@pytest.mark.parametrize("engine", ["postgresql", "sqlite", "mysql"])
def test_overlapping_foreign_keys_are_filled_from_the_widest(engine: str, make_database) -> None:
    source = load_fixture(make_database(engine), "overlapping_fk")
    target = make_database(engine)
    clone(source, target, config=FAST)
    fks = {fk.referred_table.name: fk for fk in introspect(target).table("lineitem").foreign_keys}
    assert set(fks) == {"orders", "part", "supplier", "partsupp"}
    assert fks["partsupp"].constrained_columns == ("l_partkey", "l_suppkey")
    assert _scalar(target, "SELECT count(*) FROM lineitem") > 0
    pairs = [("l_partkey", "ps_partkey"), ("l_suppkey", "ps_suppkey")]
    assert _orphans(target, "lineitem", "partsupp", pairs) == 0
    assert _orphans(target, "lineitem", "part", [("l_partkey", "p_partkey")]) == 0
    assert _orphans(target, "lineitem", "supplier", [("l_suppkey", "s_suppkey")]) == 0
    if engine == "sqlite":
        sqlite = sa.create_engine(target)
        with sqlite.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        sqlite.dispose()


def test_partial_and_expression_indexes_are_translated_for_sqlite(make_database) -> None:
    source = introspect(load_fixture(make_database("postgresql"), "types_zoo"))
    target = make_database("sqlite")
    clone_schema(source, target)
    engine = sa.create_engine(target)
    with engine.connect() as connection:
        sql = dict(connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall())
    engine.dispose()
    assert "WHERE (feeling = 'happy')" in sql["zoo_happy_idx"]  # the enum cast would make it a number on SQLite
    assert "LOWER(" in sql["zoo_lower_code_idx"].upper()
