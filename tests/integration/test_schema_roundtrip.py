"""Round trips on the six real datasets: introspect -> clone_schema -> introspect.

Same engine (PostgreSQL -> PostgreSQL): the clone's schema equals the source's, object by object.
Across engines (PostgreSQL -> MySQL/SQLite): every table, column, primary key and foreign key is there.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import sqlalchemy as sa

from relsynth.connections import create_engine
from relsynth.schema.ddl import clone_schema
from relsynth.schema.elements import Schema
from relsynth.schema.introspection import introspect

DATASETS = ("pagila", "chinook", "northwind", "hr", "berka", "stats")


def _normalise(value: object) -> object:
    """Index definitions print their namespace (``ON public.t``) only sometimes; compare without it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _normalise(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
        if type(value).__name__ == "Index":
            fields["definition"] = None
        return (type(value).__name__, tuple(sorted(fields.items(), key=lambda kv: kv[0])))
    if isinstance(value, tuple):
        return tuple(_normalise(v) for v in value)
    return value


def schema_diff(source: Schema, clone: Schema, *, missing_views_ok: frozenset[str] = frozenset()) -> list[str]:
    """One readable line per object that differs: ``table film: column rating: default 'G' != NULL``."""
    lines: list[str] = []

    def compare(kind: str, left: tuple, right: tuple, key) -> None:
        lmap = {key(x): x for x in left}
        rmap = {key(x): x for x in right}
        for name in sorted(set(lmap) | set(rmap), key=str):
            if name not in rmap:
                if not (kind == "view" and str(name) in missing_views_ok):
                    lines.append(f"{kind} {name}: missing in the clone")
            elif name not in lmap:
                lines.append(f"{kind} {name}: only in the clone")
            elif _normalise(lmap[name]) != _normalise(rmap[name]):
                lines.extend(f"{kind} {name}: {d}" for d in _field_diff(lmap[name], rmap[name]))

    compare("table", source.tables, clone.tables, lambda t: t.name)
    compare("view", source.views, clone.views, lambda v: v.name)
    compare("enum", source.enums, clone.enums, lambda e: e.name)
    compare("domain", source.domains, clone.domains, lambda d: d.name)
    compare("sequence", source.sequences, clone.sequences, lambda s: s.name)
    if source.namespaces != clone.namespaces:
        lines.append(f"namespaces: {source.namespaces} != {clone.namespaces}")
    return lines


def _field_diff(left: object, right: object) -> list[str]:
    out = []
    for field in dataclasses.fields(left):  # type: ignore[arg-type]
        a, b = getattr(left, field.name), getattr(right, field.name)
        if not field.compare or _normalise(a) == _normalise(b):
            continue
        if field.name == "columns":
            for ca, cb in zip(a, b, strict=False):
                if ca != cb:
                    out.extend(f"column {ca.name}: {d}" for d in _field_diff(ca, cb))
            if len(a) != len(b):
                out.append(f"columns: {[c.name for c in a]} != {[c.name for c in b]}")
        elif isinstance(a, tuple):
            only_a = [x for x in a if _normalise(x) not in {_normalise(y) for y in b}]
            only_b = [y for y in b if _normalise(y) not in {_normalise(x) for x in a}]
            out.append(f"{field.name}: source only {only_a}; clone only {only_b}")
        else:
            out.append(f"{field.name}: {a!r} != {b!r}")
    return out


def _views_refused(warnings: tuple[str, ...]) -> frozenset[str]:
    return frozenset(m.group(1) for w in warnings if (m := re.match(r"view (\S+) is not created", w)))


@pytest.mark.parametrize("dataset", DATASETS)
def test_postgresql_clone_equals_its_source(load_dataset, make_database, dataset: str) -> None:
    source = introspect(load_dataset(dataset))
    target = make_database("postgresql")
    result = clone_schema(source, target)
    clone = introspect(target)
    # Every view is created: the functions and aggregates they call (pagila's group_concat) are carried.
    assert _views_refused(result.warnings) == frozenset()
    diff = schema_diff(source, clone, missing_views_ok=frozenset())
    assert diff == [], "\n".join(diff)
    assert {(r.name, r.signature, r.kind) for r in clone.routines} == {(r.name, r.signature, r.kind) for r in source.routines}
    assert {(t.name, t.table) for t in clone.triggers} == {(t.name, t.table) for t in source.triggers}


@pytest.mark.parametrize("engine", ["mysql", "sqlite"])
@pytest.mark.parametrize("dataset", DATASETS)
def test_clone_to_another_engine_keeps_tables_columns_and_keys(
    load_dataset, make_database, dataset: str, engine: str
) -> None:
    source = introspect(load_dataset(dataset))
    target = make_database(engine)
    result = clone_schema(source, target)
    assert len(result.warnings) == len(set(result.warnings))
    eng = sa.create_engine(target)
    try:
        inspector = sa.inspect(eng)
        assert set(inspector.get_table_names()) == {t.name.name for t in source.tables}
        for table in source.tables:
            name = table.name.name
            assert [c["name"] for c in inspector.get_columns(name)] == list(table.column_names)
            if table.primary_key is not None:
                pk = inspector.get_pk_constraint(name)["constrained_columns"]
                assert pk == list(table.primary_key.constrained_columns), name
            fks = {(tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                   for fk in inspector.get_foreign_keys(name)}
            wanted = {(fk.constrained_columns, fk.referred_table.name, fk.referred_columns) for fk in table.foreign_keys}
            assert fks == wanted, name
    finally:
        eng.dispose()


CATALOG_QUERIES = {
    "columns": """
        SELECT table_schema, table_name, column_name, data_type, udt_name, character_maximum_length,
               numeric_precision, numeric_scale, is_nullable, column_default, is_identity, is_generated
        FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
    "constraints": """
        SELECT n.nspname, c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2, 3""",
    "views": """
        SELECT schemaname, viewname FROM pg_views WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
        UNION ALL SELECT schemaname, matviewname FROM pg_matviews ORDER BY 1, 2""",
    "triggers": "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "sequences": "SELECT schemaname, sequencename, data_type, start_value, increment_by FROM pg_sequences ORDER BY 1, 2",
    "types": """
        SELECT n.nspname, t.typname, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2""",
}


@pytest.mark.parametrize("dataset", DATASETS)
def test_postgresql_catalog_matches_object_by_object(load_dataset, make_database, dataset: str) -> None:
    """The clone's own catalog, read without relsynth, equals the source's: nothing lifted or lost."""
    source_url = load_dataset(dataset)
    target_url = make_database("postgresql")
    clone_schema(introspect(source_url), target_url)
    for what, query in CATALOG_QUERIES.items():
        source, target = _catalog(source_url, query), _catalog(target_url, query)
        assert source == target, f"{what} differ: {sorted(set(source) ^ set(target))[:10]}"


def _catalog(url: str, query: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(query)]
    finally:
        engine.dispose()
