"""Indexes and foreign keys: reflection dicts -> ``Index`` and ``ForeignKey``, with what the
PostgreSQL catalog adds (methods, predicates, NOT VALID, partitions as parents)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from relsynth.schema.elements import Deferrability, ForeignKey, Index, QualifiedName, UniqueConstraint

if TYPE_CHECKING:
    from relsynth.schema.introspection.postgresql import PgState
    from relsynth.schema.introspection.reader import Reader


def read_indexes(
    namespace: str,
    raw: list[dict[str, Any]],
    uniques: list[UniqueConstraint],
    pg: PgState | None,
    *,
    lifted: bool = False,
) -> list[Index]:
    """The indexes that are not the backing of a unique constraint; ``lifted``: read on a
    partition for its root, where a partition's share of the root's own index is left out."""
    unique_names = {u.name for u in uniques}
    result = []
    for ix in raw:
        if ix.get("duplicates_constraint") or ix["name"] in unique_names:
            continue
        expressions = tuple(
            e if e is not None else "" for e in (ix.get("expressions") or ix.get("column_names") or ())
        )
        options = ix.get("dialect_options") or {}
        method = options.get("postgresql_using")
        where = options.get("postgresql_where") or options.get("sqlite_where")
        definition = ix.get("definition")  # SQLite expression indexes, read from their SQL
        if pg is not None:
            found = pg.indexes.get((namespace, ix["name"]))
            if found is not None:
                if lifted and found.is_partition:
                    continue  # a partition's share of an index declared on the parent
                method, where = found.method, found.where
                definition = None if lifted else found.definition
        result.append(
            Index(
                name=ix["name"],
                expressions=expressions,
                unique=bool(ix.get("unique")),
                method=method,
                where=str(where) if where is not None else None,
                definition=definition,
            )
        )
    return result


def read_foreign_key(
    reader: Reader, table: QualifiedName, namespace: str, declared_on: str, fk: dict[str, Any], pg: PgState | None
) -> ForeignKey:
    """One reflected foreign key of ``table``, declared on ``declared_on`` (the table or one of its partitions)."""
    options = fk.get("options") or {}
    deferrable = Deferrability.NOT_DEFERRABLE
    if options.get("deferrable"):
        initially = str(options.get("initially") or "").upper()
        deferrable = (
            Deferrability.INITIALLY_DEFERRED if initially == "DEFERRED" else Deferrability.INITIALLY_IMMEDIATE
        )
    referred_schema = fk.get("referred_schema")
    if referred_schema is None and not reader.namespaced:
        referred_schema = namespace  # MySQL/SQLite leave it out when the parent is beside the child
    validated = True
    if pg is not None and fk.get("name"):
        validated = pg.validated.get((namespace, declared_on, fk["name"]), True)
    referred = reader.qualified(referred_schema, fk["referred_table"])
    if pg is not None:
        # A partition as parent is the partitioned table, logically.
        root = pg.root_of.get((referred_schema or reader.default, fk["referred_table"]))
        if root is not None:
            referred = reader.qualified(*root)
    match = options.get("match")
    return ForeignKey(
        name=fk.get("name"),
        table=table,
        constrained_columns=tuple(fk["constrained_columns"]),
        referred_table=referred,
        referred_columns=tuple(fk["referred_columns"]),
        deferrable=deferrable,
        on_delete=_action(options.get("ondelete")),
        on_update=_action(options.get("onupdate")),
        match=str(match).upper() if match else None,
        validated=validated,
    )


def _action(value: object) -> str | None:
    if not value:
        return None
    text = str(value).upper()
    return None if text == "NO ACTION" else text


def dedupe_fks(fks: list[ForeignKey]) -> tuple[ForeignKey, ...]:
    """Sorted by name; identical keys (lifted from several partitions) kept once, first name wins."""
    seen: dict[tuple[Any, ...], ForeignKey] = {}
    for fk in sorted(fks, key=lambda f: (f.name or "", f.label)):
        identity = (
            fk.constrained_columns,
            fk.referred_table,
            fk.referred_columns,
            fk.deferrable,
            fk.on_delete,
            fk.on_update,
            fk.match,
        )
        if identity in seen:
            if not fk.validated and seen[identity].validated:
                seen[identity] = replace(seen[identity], validated=False)
            continue
        seen[identity] = fk
    return tuple(seen.values())


def merge_lifted_indexes(own: list[Index], lifted: list[Index]) -> list[Index]:
    """The root's own indexes, plus those its partitions declare alike, each kind once."""
    result = list(own)
    seen = {(ix.expressions, ix.unique, ix.method, ix.where) for ix in own}
    for ix in sorted(lifted, key=lambda i: i.name):
        identity = (ix.expressions, ix.unique, ix.method, ix.where)
        if identity not in seen:
            seen.add(identity)
            result.append(ix)
    return result
