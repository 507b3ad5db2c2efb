"""The FK graph: edges child -> parent, components, FK properties, dangling references."""

from __future__ import annotations

from relsynth.graph import (
    cyclic_components,
    dangling_foreign_keys,
    edge_key,
    fk_graph,
    is_deferrable,
    is_nullable,
    is_one_to_one,
    strongly_connected_components,
)
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


def table(name: str, *fks: ForeignKey, nullable: frozenset[str] = frozenset(), **kw) -> Table:
    cols = ["id"] + [c for f in fks for c in f.constrained_columns if c != "id"]
    columns = tuple(Column(c, INT, nullable=c in nullable) for c in dict.fromkeys(cols))
    return Table(q(name), columns, PrimaryKey(None, ("id",)), foreign_keys=fks, **kw)


def test_one_edge_per_foreign_key_from_child_to_parent() -> None:
    a, b = fk("film", ("language_id",), "language", name="f1"), fk("film", ("orig_id",), "language")
    schema = Schema("postgresql", (table("language"), table("film", a, b)))
    graph = fk_graph(schema)
    assert set(graph.nodes) == {q("language"), q("film")}
    edges = sorted(graph.edges(keys=True, data="foreign_key"), key=lambda e: e[2])
    assert [(u, v) for u, v, _, _ in edges] == [(q("film"), q("language"))] * 2
    assert {k for _, _, k, _ in edges} == {"f1", b.label}
    assert {f for *_, f in edges} == {a, b}
    assert edge_key(b) == b.label


def test_identical_unnamed_foreign_keys_keep_two_edges() -> None:
    a = fk("c", ("p_id",), "p")
    schema = Schema("sqlite", (table("p"), table("c", a, a)))
    assert fk_graph(schema).number_of_edges(q("c"), q("p")) == 2


def test_foreign_key_to_table_outside_schema_is_reported_not_an_edge() -> None:
    outside = fk("orders", ("region_id",), "other.region")
    schema = Schema("postgresql", (table("orders", outside),))
    graph = fk_graph(schema)
    assert graph.number_of_edges() == 0
    assert list(graph.nodes) == [q("orders")]
    assert graph.graph["dangling"] == (outside,)
    assert dangling_foreign_keys(schema) == (outside,)


def test_components_find_cycles_and_self_loops() -> None:
    schema = Schema(
        "postgresql",
        (
            table("a", fk("a", ("b_id",), "b")),
            table("b", fk("b", ("a_id",), "a")),
            table("emp", fk("emp", ("boss_id",), "emp")),
            table("leaf", fk("leaf", ("a_id",), "a")),
        ),
    )
    graph = fk_graph(schema)
    assert strongly_connected_components(graph) == ((q("a"), q("b")), (q("emp"),), (q("leaf"),))
    assert cyclic_components(graph) == ((q("a"), q("b")), (q("emp"),))


def test_nullable_only_when_every_constrained_column_is_nullable() -> None:
    composite = fk("c", ("x", "y"), "p")
    both = table("c", composite, nullable=frozenset({"x", "y"}))
    one = table("c", composite, nullable=frozenset({"x"}))
    assert is_nullable(composite, both)
    assert not is_nullable(composite, one)


def test_deferrable() -> None:
    assert not is_deferrable(fk("c", ("p_id",), "p"))
    assert is_deferrable(fk("c", ("p_id",), "p", deferrable=Deferrability.INITIALLY_DEFERRED))
    assert is_deferrable(fk("c", ("p_id",), "p", deferrable=Deferrability.INITIALLY_IMMEDIATE))


def test_one_to_one_when_constrained_columns_hold_a_key() -> None:
    loan = fk("loan", ("account_id",), "account")
    unique = table("loan", loan, unique_constraints=(UniqueConstraint("u", ("account_id",)),))
    plain = table("loan", loan)
    assert is_one_to_one(loan, unique)
    assert not is_one_to_one(loan, plain)
    # Extension table: the FK column is the whole primary key.
    ext = fk("detail", ("id",), "customer")
    assert is_one_to_one(ext, table("detail", ext))
    # Link table: each FK is only part of the primary key, so many children per parent.
    link_fk = fk("pt", ("playlist_id",), "playlist")
    link = Table(
        q("pt"),
        (Column("playlist_id", INT, nullable=False), Column("track_id", INT, nullable=False)),
        PrimaryKey(None, ("playlist_id", "track_id")),
        foreign_keys=(link_fk,),
    )
    assert not is_one_to_one(link_fk, link)
