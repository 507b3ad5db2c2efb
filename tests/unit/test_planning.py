"""The generation plan: order, context parents, deferred FKs; unit cases and graph properties."""

from __future__ import annotations

import itertools
import json
from unittest.mock import patch

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relsynth import planning
from relsynth.errors import ArtifactError
from relsynth.graph import cyclic_components, fk_graph, is_nullable
from relsynth.planning import DeferredForeignKey, GenerationPlan, TablePlan, plan
from relsynth.schema.elements import (
    Column,
    ColumnType,
    Deferrability,
    ForeignKey,
    PrimaryKey,
    QualifiedName,
    Schema,
    Table,
    TypeKind,
    UniqueConstraint,
)

INT = ColumnType(kind=TypeKind.INTEGER, sql="integer")


def q(name: str) -> QualifiedName:
    return QualifiedName(None, name)


def fk(
    child: str, cols: tuple[str, ...], parent: str, *, name: str | None = None, **kw: object
) -> ForeignKey:
    parent_name = QualifiedName(*parent.split(".")) if "." in parent else q(parent)
    return ForeignKey(name, q(child), cols, parent_name, ("id",) * len(cols), **kw)


def table(
    name: str,
    *fks: ForeignKey,
    nullable: tuple[str, ...] = (),
    pk: tuple[str, ...] = ("id",),
    unique: tuple[tuple[str, ...], ...] = (),
) -> Table:
    cols = list(pk) + [c for f in fks for c in f.constrained_columns]
    columns = tuple(Column(c, INT, nullable=c in nullable) for c in dict.fromkeys(cols))
    return Table(
        q(name),
        columns,
        PrimaryKey(None, pk),
        unique_constraints=tuple(UniqueConstraint(None, u) for u in unique),
        foreign_keys=fks,
    )


def schema(*tables: Table) -> Schema:
    return Schema("postgresql", tables)


# -- unit cases ---------------------------------------------------------------------------------


def test_chain_orders_parents_first_with_context_parents() -> None:
    s = schema(
        table("c", fk("c", ("b_id",), "b")),
        table("b", fk("b", ("a_id",), "a")),
        table("a"),
    )
    p = plan(s)
    assert p.order == (q("a"), q("b"), q("c"))
    assert p.table("a").context_fk is None
    assert p.table("b").context_fk == s.table("b").foreign_keys[0]
    assert p.table("c").context_fk == s.table("c").foreign_keys[0]
    assert p.deferred_fks == () and p.warnings == ()
    assert [t.component for t in p.tables] == [0, 1, 2]


def test_self_reference_is_deferred_by_nullability() -> None:
    boss = fk("emp", ("boss_id",), "emp")
    nullable = plan(schema(table("emp", boss, nullable=("boss_id",))))
    not_null = plan(schema(table("emp", boss)))
    expected = DeferredForeignKey(boss, "self-reference", "update")
    assert nullable.table("emp").deferred_fks == (expected,)
    assert nullable.table("emp").context_fk is None
    assert not_null.table("emp").deferred_fks[0].fill == "before_constraints"


def test_two_table_cycle_defers_the_nullable_edge() -> None:
    # staff.store_id NOT NULL, store.manager_id nullable (pagila-like).
    to_store = fk("staff", ("store_id",), "store")
    to_staff = fk("store", ("manager_id",), "staff")
    p = plan(schema(table("staff", to_store), table("store", to_staff, nullable=("manager_id",))))
    assert p.order == (q("store"), q("staff"))
    assert p.table("staff").context_fk == to_store
    (deferred,) = p.deferred_fks
    assert deferred.foreign_key == to_staff and deferred.fill == "update"
    assert "cycle" in deferred.reason
    assert p.table("store").component == p.table("staff").component


def test_cycle_prefers_deferrable_over_plain_not_null() -> None:
    plain = fk("a", ("b_id",), "b")
    deferrable = fk("b", ("a_id",), "a", deferrable=Deferrability.INITIALLY_DEFERRED)
    p = plan(schema(table("a", plain), table("b", deferrable)))
    assert [d.foreign_key for d in p.deferred_fks] == [deferrable]


def test_the_plan_names_each_cycle_as_the_fk_graph_does() -> None:
    ab, bc, ca = fk("a", ("b_id",), "b"), fk("b", ("c_id",), "c"), fk("c", ("a_id",), "a")
    boss = fk("emp", ("boss_id",), "emp")
    s = schema(table("a", ab), table("b", bc), table("c", ca), table("emp", boss, nullable=("boss_id",)),
               table("d", fk("d", ("a_id",), "a")))
    expected = {frozenset(component) for component in cyclic_components(fk_graph(s))}
    assert {frozenset(cycle) for cycle in plan(s).cycles} == expected == {frozenset({q("a"), q("b"), q("c")}), frozenset({q("emp")})}
    assert plan(schema(table("a"), table("d", fk("d", ("a_id",), "a")))).cycles == ()


def test_all_not_null_cycle_still_gets_a_plan() -> None:
    ab, bc, ca = fk("a", ("b_id",), "b"), fk("b", ("c_id",), "c"), fk("c", ("a_id",), "a")
    p = plan(schema(table("a", ab), table("b", bc), table("c", ca)))
    assert len(p.order) == 3
    (deferred,) = p.deferred_fks
    assert deferred.fill == "before_constraints"
    assert any("NOT NULL in a cycle" in w for w in p.warnings)
    # The order of the tables in the schema does not matter.
    assert plan(schema(table("c", ca), table("a", ab), table("b", bc))) == p


def test_several_cycles_in_one_component_cut_by_one_shared_edge() -> None:
    # a<->b and a<->c: cutting b->a and c->a (nullable) would be two; a->b plus a->c are NOT NULL.
    # The cheapest cut defers the two nullable edges into a.
    s = schema(
        table("a", fk("a", ("b_id",), "b"), fk("a", ("c_id",), "c")),
        table("b", fk("b", ("a_id",), "a"), nullable=("a_id",)),
        table("c", fk("c", ("a_id",), "a"), nullable=("a_id",)),
    )
    p = plan(s)
    assert {d.foreign_key.table for d in p.deferred_fks} == {q("b"), q("c")}
    assert p.order == (q("b"), q("c"), q("a"))


def test_one_not_null_edge_on_every_cycle_is_cheaper_than_many_not_null() -> None:
    # Two cycles a->b->a and a->c->a share nothing but a; b->a is nullable, c->a and a->c are not.
    s = schema(
        table("a", fk("a", ("b_id",), "b"), fk("a", ("c_id",), "c")),
        table("b", fk("b", ("a_id",), "a"), nullable=("a_id",)),
        table("c", fk("c", ("a_id",), "a")),
    )
    p = plan(s)
    deferred = {(d.foreign_key.label, d.fill) for d in p.deferred_fks}
    # b -> a is the only nullable way to cut a<->b; a<->c costs one NOT NULL edge either way,
    # and the tie is broken deterministically.
    assert deferred == {("b(a_id) -> a(id)", "update"), ("a(c_id) -> c(id)", "before_constraints")}
    assert p.order == (q("b"), q("a"), q("c"))


def test_composite_foreign_key() -> None:
    comp = ForeignKey("fk", q("line"), ("order_id", "order_no"), q("orders"), ("id", "no"))
    p = plan(schema(table("orders", pk=("id", "no")), table("line", comp)))
    assert p.order == (q("orders"), q("line"))
    assert p.table("line").context_fk == comp


def test_two_foreign_keys_to_the_same_parent_one_context_one_secondary() -> None:
    lang = fk("film", ("language_id",), "language")
    orig = fk("film", ("original_language_id",), "language")
    film_table = table("film", lang, orig, nullable=("original_language_id",))
    p = plan(schema(table("language"), film_table))
    film = p.table("film")
    assert film.context_fk == lang and film.secondary_fks == (orig,)
    assert film.parents == (q("language"),)


def test_link_table_takes_first_primary_key_column_as_context() -> None:
    playlist, track = fk("pt", ("playlist_id",), "playlist"), fk("pt", ("track_id",), "track")
    # track is deeper (track -> album) and sorts later, yet the first PK column wins.
    s = schema(
        table("album"),
        table("track", fk("track", ("album_id",), "album")),
        table("playlist"),
        table("pt", track, playlist, pk=("playlist_id", "track_id")),
    )
    pt = plan(s).table("pt")
    assert pt.context_fk == playlist and pt.secondary_fks == (track,)
    assert not pt.context_unique


def test_context_prefers_not_null_then_deepest_parent() -> None:
    deep = fk("x", ("b_id",), "b")
    shallow = fk("x", ("c_id",), "c")
    optional = fk("x", ("d_id",), "d")
    s = schema(
        table("a"),
        table("b", fk("b", ("a_id",), "a")),
        table("c"),
        table("d", fk("d", ("b_id",), "b")),
        table("x", optional, shallow, deep, nullable=("d_id",)),
    )
    x = plan(s).table("x")
    assert x.context_fk == deep
    assert x.secondary_fks == (shallow, optional)


def test_one_to_one_is_marked() -> None:
    loan = fk("loan", ("account_id",), "account")
    p = plan(schema(table("account"), table("loan", loan, unique=(("account_id",),))))
    assert p.table("loan").context_unique
    assert p.table("loan").unique_fks == (loan,)
    assert "one-to-one" in p.render()


def test_foreign_key_outside_schema_is_a_warning_and_left_out() -> None:
    outside = fk("orders", ("region_id",), "other.region")
    p = plan(schema(table("orders", outside)))
    assert p.order == (q("orders"),)
    orders = p.table("orders")
    assert orders.context_fk is None and orders.secondary_fks == () and orders.deferred_fks == ()
    assert p.external_fks == (outside,)
    assert len(p.warnings) == 1 and "other.region" in p.warnings[0]


def test_render_lists_order_parents_and_deferred_reasons() -> None:
    s = schema(
        table("staff", fk("staff", ("store_id",), "store")),
        table("store", fk("store", ("manager_id",), "staff"), nullable=("manager_id",)),
        table("emp", fk("emp", ("boss_id",), "emp"), nullable=("boss_id",)),
    )
    text = plan(s).render()
    assert text.splitlines()[0] == "Generation plan: 3 tables, 2 deferred foreign keys"
    assert "1. emp" in text and "2. store" in text and "3. staff" in text
    assert "context parent: store_id -> store(id)" in text
    assert "fill=update  (self-reference)" in text
    assert "breaks a cycle among staff, store" in text


def test_json_round_trip_is_stable() -> None:
    s = schema(
        table(
            "staff",
            fk("staff", ("store_id",), "store", deferrable=Deferrability.INITIALLY_DEFERRED),
        ),
        table("store", fk("store", ("manager_id",), "staff", name="m"), nullable=("manager_id",)),
        table("x", fk("x", ("r",), "other.r")),
    )
    p = plan(s)
    assert GenerationPlan.from_dict(p.to_dict()) == p
    assert GenerationPlan.from_json(p.to_json()) == p
    assert p.to_json() == plan(s).to_json()
    assert json.loads(p.to_json())["format_version"] == 1


def test_from_dict_rejects_other_versions_and_damage() -> None:
    data = plan(schema(table("a"))).to_dict()
    with pytest.raises(ArtifactError, match="format version"):
        GenerationPlan.from_dict({**data, "format_version": 99})
    with pytest.raises(ArtifactError, match="damaged"):
        GenerationPlan.from_dict({"format_version": 1, "tables": [{"table": {}}]})


def test_table_lookup() -> None:
    p = plan(schema(table("a")))
    assert isinstance(p.table("a"), TablePlan) and p.table(q("a")).table == q("a")
    with pytest.raises(KeyError):
        p.table("nope")


# -- properties on random FK graphs -------------------------------------------------------------

EDGE = st.tuples(
    st.integers(0, 6),  # child index
    st.integers(0, 7),  # parent index; == n means "outside the schema"
    st.integers(1, 2),  # number of columns
    st.lists(st.booleans(), min_size=2, max_size=2),  # nullability per column
    st.booleans(),  # deferrable
    st.booleans(),  # unique in the child
    st.booleans(),  # part of the primary key
)


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    n = draw(st.integers(1, 7))
    edges = draw(st.lists(EDGE, max_size=14))
    fks: dict[int, list[ForeignKey]] = {i: [] for i in range(n)}
    columns: dict[int, dict[str, bool]] = {i: {"id": False} for i in range(n)}
    uniques: dict[int, list[tuple[str, ...]]] = {i: [] for i in range(n)}
    pks: dict[int, list[str]] = {i: ["id"] for i in range(n)}
    for j, (child, parent, ncols, nulls, deferrable, unique, in_pk) in enumerate(edges):
        child %= n
        parent_name = q(f"t{parent}") if parent < n else QualifiedName("ext", "gone")
        cols = tuple(f"f{j}_{k}" for k in range(ncols))
        for col, null in zip(cols, nulls, strict=False):  # nulls may be longer than cols
            columns[child][col] = null and not in_pk
        if unique:
            uniques[child].append(cols)
        if in_pk:
            pks[child].extend(cols)
        fks[child].append(
            ForeignKey(
                f"fk{j}" if j % 3 else None,
                q(f"t{child}"),
                cols,
                parent_name,
                ("id", "id2")[:ncols],
                deferrable=(
                    Deferrability.INITIALLY_DEFERRED
                    if deferrable
                    else Deferrability.NOT_DEFERRABLE
                ),
            )
        )
    tables = [
        Table(
            q(f"t{i}"),
            tuple(Column(c, INT, nullable=null) for c, null in columns[i].items()),
            PrimaryKey(None, tuple(pks[i])),
            unique_constraints=tuple(UniqueConstraint(None, u) for u in uniques[i]),
            foreign_keys=tuple(fks[i]),
        )
        for i in range(n)
    ]
    order = draw(st.permutations(range(n)))
    return Schema("postgresql", tuple(tables[i] for i in order))


def _cost(fks: list[ForeignKey], s: Schema) -> tuple[int, int, int]:
    plain = deferrable = nullable = 0
    for f in fks:
        if is_nullable(f, s.table(f.table)):
            nullable += 1
        elif f.deferrable is not Deferrability.NOT_DEFERRABLE:
            deferrable += 1
        else:
            plain += 1
    return (plain, deferrable, nullable)


def _kept(p: GenerationPlan) -> list[ForeignKey]:
    return [
        f for t in p.tables for f in ((t.context_fk,) if t.context_fk else ()) + t.secondary_fks
    ]


FAST = settings(max_examples=150, deadline=None)


@FAST
@given(schemas())
def test_plan_invariants(s: Schema) -> None:
    p = plan(s)
    assert sorted(p.order) == sorted(s.table_names)  # every table exactly once
    position = {name: i for i, name in enumerate(p.order)}
    internal = [f for f in s.foreign_keys if f.referred_table in position]
    deferred = [d.foreign_key for d in p.deferred_fks]
    kept = _kept(p)
    # Every internal FK has exactly one role; external ones are reported, not planned.
    assert sorted(map(repr, kept + deferred)) == sorted(map(repr, internal))
    assert sorted(map(repr, p.external_fks)) == sorted(
        repr(f) for f in s.foreign_keys if f.referred_table not in position
    )
    for t in p.tables:
        for f in ((t.context_fk,) if t.context_fk else ()) + t.secondary_fks:
            assert f.table == t.table
            assert position[f.referred_table] < position[t.table]  # parents come earlier
        assert t.context_fk not in [d.foreign_key for d in t.deferred_fks]
        if t.context_fk is None:
            assert t.secondary_fks == ()
        for d in t.deferred_fks:
            assert d.foreign_key.table == t.table
            nullable = is_nullable(d.foreign_key, s.table(t.table))
            assert d.fill == ("update" if nullable else "before_constraints")
    # What is kept is acyclic, and every deferred edge is needed (putting its pair back cycles).
    dag = nx.DiGraph([(f.table, f.referred_table) for f in kept])
    assert nx.is_directed_acyclic_graph(dag)
    for f in deferred:
        if f.table != f.referred_table:
            assert nx.has_path(dag, f.referred_table, f.table)
    # Deterministic, independent of the order of tables, and JSON round-trips.
    assert plan(s) == p
    assert plan(Schema(s.dialect, tuple(reversed(s.tables)))) == p
    assert GenerationPlan.from_json(p.to_json()) == p


@FAST
@given(schemas())
def test_cut_is_cheapest_possible(s: Schema) -> None:
    """Against brute force over all orders: no plan defers fewer NOT NULL (then deferrable,
    then nullable) edges."""
    p = plan(s)
    names = s.table_names
    internal = [
        f for f in s.foreign_keys if f.referred_table in names and f.table != f.referred_table
    ]
    got = _cost([d.foreign_key for d in p.deferred_fks if d.reason != "self-reference"], s)
    best = min(
        _cost([f for f in internal if pos.index(f.table) < pos.index(f.referred_table)], s)
        for pos in itertools.permutations(names)
    )
    assert got == best


def test_large_cycle_is_cut_greedily_at_its_nullable_edge() -> None:
    # A ring of 20 tables is beyond the exact solver: the greedy cut must still find the one
    # nullable edge and nothing else.
    n = 20
    tables = [
        table(
            f"t{i:02}",
            fk(f"t{i:02}", ("p_id",), f"t{(i + 1) % n:02}"),
            nullable=("p_id",) if i == 7 else (),
        )
        for i in range(n)
    ]
    p = plan(schema(*tables))
    (deferred,) = p.deferred_fks
    assert deferred.foreign_key.table == q("t07") and deferred.fill == "update"
    assert p.order[0] == q("t07") and p.order[-1] == q("t08")


@FAST
@given(schemas())
def test_greedy_cut_keeps_the_invariants(s: Schema) -> None:
    with patch.object(planning, "_EXACT_LIMIT", 1):
        p = plan(s)
    kept = _kept(p)
    dag = nx.DiGraph([(f.table, f.referred_table) for f in kept])
    position = {name: i for i, name in enumerate(p.order)}
    assert all(position[f.referred_table] < position[f.table] for f in kept)
    for d in p.deferred_fks:
        f = d.foreign_key
        if f.table != f.referred_table:
            assert nx.has_path(dag, f.referred_table, f.table)  # minimal: every cut is needed
