"""The foreign-key graph of a schema: one node per table, one edge per foreign key.

Edges run child -> parent, the direction of the reference. The graph is a ``networkx.MultiDiGraph``
because a child may reference the same parent several times (``film.language_id`` and
``film.original_language_id``). Foreign keys whose parent is not in the schema (a namespace that
was not introspected) are left out of the graph and reported by :func:`dangling_foreign_keys`.

Pure: no database access, no driver imports.
"""

from __future__ import annotations

import networkx as nx

from relsynth.schema.elements import Deferrability, ForeignKey, QualifiedName, Schema, Table

__all__ = [
    "cyclic_components",
    "dangling_foreign_keys",
    "edge_key",
    "fk_graph",
    "is_deferrable",
    "is_nullable",
    "is_one_to_one",
    "sort_key",
    "strongly_connected_components",
]


def sort_key(name: QualifiedName) -> tuple[bool, str, str]:
    """A total, deterministic order on table names (``None`` schema first, then by name)."""
    # QualifiedName's own ordering compares None with str and fails on mixed schemas.
    return (name.schema is not None, name.schema or "", name.name)


def edge_key(fk: ForeignKey) -> str:
    """The key of ``fk``'s edge in the graph: its constraint name, else its label."""
    return fk.name if fk.name else fk.label


def dangling_foreign_keys(schema: Schema) -> tuple[ForeignKey, ...]:
    """Foreign keys whose referred (parent) table is not part of ``schema``."""
    present = set(schema.table_names)
    return tuple(fk for fk in schema.foreign_keys if fk.referred_table not in present)


def fk_graph(schema: Schema) -> nx.MultiDiGraph:
    """Build the FK graph: nodes are table names, edges child -> parent with ``foreign_key``.

    Each node carries its ``Table`` as attribute ``table``. Foreign keys to tables outside the
    schema are not edges; they are listed in ``graph.graph["dangling"]``.
    """
    graph = nx.MultiDiGraph()
    for table in schema.tables:
        graph.add_node(table.name, table=table)
    dangling: list[ForeignKey] = []
    for fk in schema.foreign_keys:
        if fk.referred_table not in graph:
            dangling.append(fk)
            continue
        key = edge_key(fk)
        # Two identical unnamed declarations would share a label; keep both edges apart.
        unique_key, n = key, 1
        while graph.has_edge(fk.table, fk.referred_table, unique_key):
            n += 1
            unique_key = f"{key}#{n}"
        graph.add_edge(fk.table, fk.referred_table, key=unique_key, foreign_key=fk)
    graph.graph["dangling"] = tuple(dangling)
    return graph


def is_nullable(fk: ForeignKey, table: Table) -> bool:
    """True when every constrained column of ``fk`` in its child ``table`` accepts NULL.

    Only then can a row be inserted without its reference and the reference filled in later.
    """
    return all(table.column(name).nullable for name in fk.constrained_columns)


def is_deferrable(fk: ForeignKey) -> bool:
    """True when the constraint is declared DEFERRABLE (checked at commit, not per statement)."""
    return fk.deferrable is not Deferrability.NOT_DEFERRABLE


def is_one_to_one(fk: ForeignKey, table: Table) -> bool:
    """True when each parent row can have at most one child row through ``fk``.

    That holds when the constrained columns contain a whole primary key or unique key of the
    child (e.g. berka ``loan.account_id`` under a unique constraint).
    """
    constrained = frozenset(fk.constrained_columns)
    return any(key and frozenset(key) <= constrained for key in table.unique_keys())


def strongly_connected_components(graph: nx.MultiDiGraph) -> tuple[tuple[QualifiedName, ...], ...]:
    """All strongly connected components, each sorted, in a deterministic order."""
    components = [
        tuple(sorted(component, key=sort_key))
        for component in nx.strongly_connected_components(graph)
    ]
    return tuple(sorted(components, key=lambda c: sort_key(c[0])))


def cyclic_components(graph: nx.MultiDiGraph) -> tuple[tuple[QualifiedName, ...], ...]:
    """The components that hold a cycle: several tables, or one table that references itself."""
    return tuple(
        component
        for component in strongly_connected_components(graph)
        if len(component) > 1 or graph.has_edge(component[0], component[0])
    )
