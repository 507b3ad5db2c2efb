"""PostgreSQL specifics, read from the system catalog (the bulk queries are in ``pg_catalog``):
partitions, exclusion constraints, enums, domains, sequences, routines, triggers, the indexes of
materialized views, and whether a named type or sequence exists in a target."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.schema.elements import (
    CheckConstraint,
    ColumnType,
    Domain,
    EnumType,
    ExclusionConstraint,
    Index,
    Partition,
    Partitioning,
    QualifiedName,
    Routine,
    Trigger,
    TypeKind,
)
from relsynth.schema.elements import Sequence as SequenceElement
from relsynth.schema.introspection import pg_catalog
from relsynth.schema.introspection.columns import type_from_sql

if TYPE_CHECKING:
    from relsynth.schema.introspection.reader import Reader


class PgState:
    """PostgreSQL catalog facts for all namespaces, read once per introspection."""

    def __init__(self) -> None:
        self.columns: dict[tuple[str, str, str], pg_catalog.ColumnExtra] = {}
        self.validated: dict[tuple[str, str, str], bool] = {}
        self.indexes: dict[pg_catalog.Key, pg_catalog.IndexExtra] = {}
        self.partitioned: dict[pg_catalog.Key, tuple[str, str]] = {}
        self.partitions: list[pg_catalog.PartitionRow] = []
        self.root_of: dict[pg_catalog.Key, pg_catalog.Key] = {}
        self.sequences: list[pg_catalog.SequenceRow] = []
        self.domain_bases: dict[pg_catalog.Key, tuple[str, str | None]] = {}
        self.exclusions: dict[pg_catalog.Key, list[Any]] = {}

    @classmethod
    def load(cls, reader: Reader) -> PgState:
        state = cls()
        c, ns = reader.connection, reader.real_namespaces
        state.columns = pg_catalog.column_extras(c, ns)
        state.validated = pg_catalog.fk_validated(c, ns)
        state.indexes = pg_catalog.index_extras(c, ns)
        state.partitioned = pg_catalog.partitioned_tables(c, ns)
        state.partitions = pg_catalog.partitions(c, ns)
        state.sequences = pg_catalog.sequences(c, ns)
        state.domain_bases = pg_catalog.domain_base_types(c, ns)
        state.exclusions = pg_catalog.exclusion_constraints(c, ns)
        parent = {(p.schema, p.name): p.parent for p in state.partitions}
        for child in parent:
            root = parent[child]
            while root in parent:
                root = parent[root]
            state.root_of[child] = root
        return state

    def exclusion_constraints(self, namespace: str, name: str) -> tuple[ExclusionConstraint, ...]:
        return tuple(
            ExclusionConstraint(
                row.conname, row.definition, tuple(zip(row.columns, row.operators, strict=True)), tuple(sorted(row.extensions))
            )
            for row in self.exclusions.get((namespace, name), [])
        )

    def partitioning(self, namespace: str, name: str, reader: Reader) -> Partitioning | None:
        found = self.partitioned.get((namespace, name))
        if found is None:
            return None
        parts = tuple(
            Partition(reader.qualified(p.schema, p.name), p.bound)
            for p in self.partitions
            if p.parent == (namespace, name)
        )
        return Partitioning(strategy=found[0], key=found[1], partitions=parts)


def sort_key(name: QualifiedName) -> tuple[bool, str, str]:
    """Objects of the default namespace first, then by namespace and name."""
    return (name.schema is not None, name.schema or "", name.name)


def named_types(
    reader: Reader, pg: PgState
) -> tuple[tuple[EnumType, ...], tuple[Domain, ...], tuple[SequenceElement, ...]]:
    """The enums, domains and sequences (other than identity columns') of the read namespaces."""
    wanted = set(reader.real_namespaces)
    enums = []
    for e in reader.inspector.get_enums(schema="*"):
        if e["schema"] in wanted:
            enums.append(EnumType(reader.qualified(e["schema"], e["name"]), tuple(e["labels"])))
    domains = []
    for d in reader.inspector.get_domains(schema="*"):
        if d["schema"] not in wanted:
            continue
        base = pg.domain_bases.get((d["schema"], d["name"]), (d["type"], None))[0]
        checks = tuple(
            sorted(
                (CheckConstraint(c.get("name"), c["check"]) for c in d.get("constraints") or ()),
                key=lambda c: (c.name or "", c.sqltext),
            )
        )
        domains.append(
            Domain(
                name=reader.qualified(d["schema"], d["name"]),
                type=_enum_base(type_from_sql(reader, base), enums),
                nullable=bool(d.get("nullable", True)),
                default=d.get("default"),
                checks=checks,
            )
        )
    sequences = [
        SequenceElement(
            name=reader.qualified(s.schema, s.name),
            start=s.start,
            increment=s.increment,
            owned_by=(reader.qualified(*s.owned_by[0]), s.owned_by[1]) if s.owned_by else None,
        )
        for s in pg.sequences
        if not s.identity
    ]
    return (
        tuple(sorted(enums, key=lambda e: sort_key(e.name))),
        tuple(sorted(domains, key=lambda d: sort_key(d.name))),
        tuple(sorted(sequences, key=lambda s: sort_key(s.name))),
    )


def _enum_base(built: ColumnType, enums: list[EnumType]) -> ColumnType:
    """A domain over an enum keeps its labels, so other engines can keep them too."""
    if built.kind is not TypeKind.OTHER:
        return built
    name = built.sql.replace('"', "")
    for enum in enums:
        if name in (enum.name.name, str(enum.name)):
            return replace(built, kind=TypeKind.ENUM, enum=enum.name, enum_values=enum.values)
    return built


def routines(reader: Reader) -> tuple[Routine, ...]:
    return tuple(
        Routine(reader.qualified(r.nspname, r.proname), r.kind, r.signature, r.definition)
        for r in pg_catalog.routines(reader.connection, reader.real_namespaces)
    )


def triggers(reader: Reader) -> tuple[Trigger, ...]:
    return tuple(
        Trigger(r.tgname, reader.qualified(r.nspname, r.relname), r.definition)
        for r in pg_catalog.triggers(reader.connection, reader.real_namespaces)
    )


def unsupported_objects(reader: Reader) -> list[str]:
    """One warning for each object relsynth sees but does not carry (ordered-set aggregates)."""
    return pg_catalog.unsupported_objects(reader.connection, reader.real_namespaces)


def materialized_view_indexes(connection: Connection, namespace: str, name: str) -> tuple[Index, ...]:
    rows = connection.execute(
        sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = :t ORDER BY 1"),
        {"s": namespace, "t": name},
    )
    return tuple(
        Index(r.indexname, (), unique=r.indexdef.startswith("CREATE UNIQUE"), definition=r.indexdef) for r in rows
    )


def named_object_exists(connection: Connection, name: QualifiedName, *, sequence: bool) -> bool:
    """Whether a type or domain (or, with ``sequence``, a sequence) called ``name`` exists;
    ``name.schema`` is the namespace, spelled out."""
    if not sequence:
        query = (
            "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = :ns AND t.typname = :name"
        )
    else:
        query = (
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :ns AND c.relname = :name AND c.relkind = 'S'"
        )
    return connection.execute(sa.text(query), {"ns": name.schema, "name": name.name}).first() is not None
