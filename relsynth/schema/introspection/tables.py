"""Tables of one namespace: SQLAlchemy's multi-table reflection, corrected where an engine's
reflection falls short, turned into ``Table`` values. Partitions are folded into their root:
their foreign keys and indexes are lifted onto it, and they are not tables of their own."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine.reflection import ObjectKind

from relsynth.engines import Catalog
from relsynth.schema.elements import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Partitioning,
    PrimaryKey,
    QualifiedName,
    Table,
    UniqueConstraint,
)
from relsynth.schema.introspection import mariadb, sqlite
from relsynth.schema.introspection.columns import read_column
from relsynth.schema.introspection.keys import dedupe_fks, merge_lifted_indexes, read_foreign_key, read_indexes

if TYPE_CHECKING:
    from relsynth.schema.introspection.postgresql import PgState
    from relsynth.schema.introspection.reader import Reader

_Multi = dict[tuple[str | None, str], Any]  # the Inspector's get_multi_* result: (schema, table) -> ...


@dataclass
class _Reflected:
    """What the Inspector and the engine's own catalog say about the tables of one namespace."""

    columns: _Multi
    pks: _Multi
    uniques: _Multi
    checks: _Multi
    indexes: _Multi
    fks: _Multi
    comments: _Multi
    table_sql: dict[str, str] = field(default_factory=dict)  # SQLite: CREATE TABLE text by table
    column_types: dict[tuple[str, str], str] = field(default_factory=dict)  # MySQL: JSON and spatial columns


def read_tables(reader: Reader, namespace: str | None, pg: PgState | None) -> list[Table]:
    """The tables of ``namespace`` (None: the default one)."""
    return _Namespace(reader, namespace, pg).tables()


def _reflect(reader: Reader, namespace: str | None, real_ns: str) -> _Reflected:
    insp = reader.inspector
    kind = ObjectKind.TABLE
    found = _Reflected(
        columns=insp.get_multi_columns(schema=namespace, kind=kind),
        pks=insp.get_multi_pk_constraint(schema=namespace, kind=kind),
        uniques=insp.get_multi_unique_constraints(schema=namespace, kind=kind),
        checks=insp.get_multi_check_constraints(schema=namespace, kind=kind),
        indexes=insp.get_multi_indexes(schema=namespace, kind=kind),
        fks=insp.get_multi_foreign_keys(schema=namespace, kind=kind),
        comments=insp.get_multi_table_comment(schema=namespace, kind=kind) if reader.dialect.supports_comments else {},
    )
    if reader.catalog is Catalog.INFORMATION_SCHEMA:
        found.columns, found.pks, found.uniques, found.indexes = map(
            mariadb.unescape_backticks, (found.columns, found.pks, found.uniques, found.indexes)
        )
        found.fks = mariadb.foreign_keys(reader.connection, namespace, real_ns)
        found.column_types = mariadb.column_types(reader.connection, real_ns)
    if reader.catalog is Catalog.SQLITE_MASTER:
        c = reader.connection
        found.table_sql = sqlite.table_sql(c)
        found.fks = {key: sqlite.fk_actions(c, key[1], fk_list) for key, fk_list in found.fks.items()}
        found.uniques = {key: sqlite.inline_uniques(c, key[1], found.uniques.get(key, [])) for key in found.columns}
        found.indexes = {
            key: found.indexes.get(key, [])
            + sqlite.expression_indexes(c, key[1], found.indexes.get(key, []), reader.recovered_indexes)
            for key in found.columns
        }
    return found


class _Namespace:
    """The tables of one namespace, built from one reflection of it."""

    def __init__(self, reader: Reader, namespace: str | None, pg: PgState | None) -> None:
        self.reader = reader
        self.namespace = namespace
        self.real_ns = reader.default if namespace is None else namespace
        self.pg = pg
        self.found = _reflect(reader, namespace, self.real_ns)
        self.lifted_fks: dict[str, list[dict[str, Any]]] = {}  # root -> its partitions' foreign keys
        self.lifted_ix: dict[str, list[dict[str, Any]]] = {}  # root -> its partitions' indexes
        if pg is not None:
            self._lift(pg)

    def _lift(self, pg: PgState) -> None:
        for (_, name), fk_list in self.found.fks.items():
            root = pg.root_of.get((self.real_ns, name))
            if root is not None and root[0] == self.real_ns:
                self.lifted_fks.setdefault(root[1], []).extend(dict(fk, _on=name) for fk in fk_list)
        for (_, name), ix_list in self.found.indexes.items():
            root = pg.root_of.get((self.real_ns, name))
            if root is not None and root[0] == self.real_ns:
                self.lifted_ix.setdefault(root[1], []).extend(ix_list)

    def tables(self) -> list[Table]:
        pg = self.pg
        return [
            self._table(name, column_list)
            for (_, name), column_list in self.found.columns.items()
            if pg is None or (self.real_ns, name) not in pg.root_of
        ]

    def _table(self, name: str, column_list: list[dict[str, Any]]) -> Table:
        found, pg, key = self.found, self.pg, (self.namespace, name)
        pk = found.pks.get(key) or {}
        pk_columns = tuple(pk.get("constrained_columns") or ())
        unique_list = sorted(
            (UniqueConstraint(u.get("name"), tuple(u["column_names"])) for u in found.uniques.get(key, [])),
            key=lambda u: (u.name or "", u.columns),
        )
        check_list = sorted(
            (CheckConstraint(c.get("name"), c["sqltext"]) for c in found.checks.get(key, [])),
            key=lambda c: (c.name or "", c.sqltext),
        )
        return Table(
            name=self.reader.qualified(self.namespace, name),
            columns=self._columns(name, column_list, pk_columns),
            primary_key=PrimaryKey(pk.get("name"), pk_columns) if pk_columns else None,
            unique_constraints=tuple(unique_list),
            check_constraints=tuple(check_list),
            indexes=tuple(sorted(self._indexes(name, unique_list), key=lambda i: i.name)),
            foreign_keys=dedupe_fks(self._foreign_keys(name)),
            comment=(found.comments.get(key) or {}).get("text"),
            partitioning=self._partitioning(name),
            exclusion_constraints=pg.exclusion_constraints(self.real_ns, name) if pg is not None else (),
        )

    def _columns(self, name: str, column_list: list[dict[str, Any]], pk_columns: tuple[str, ...]) -> tuple[Column, ...]:
        table_sql = self.found.table_sql.get(name)
        built = tuple(read_column(self.reader, self.real_ns, name, c, self.pg, pk_columns, table_sql) for c in column_list)
        if self.reader.catalog is Catalog.INFORMATION_SCHEMA:
            built = tuple(mariadb.refined(c, self.found.column_types.get((name, c.name))) for c in built)
        return built

    def _indexes(self, name: str, uniques: list[UniqueConstraint]) -> list[Index]:
        index_list = read_indexes(self.real_ns, self.found.indexes.get((self.namespace, name), []), uniques, self.pg)
        if self.lifted_ix.get(name):
            lifted = read_indexes(self.real_ns, self.lifted_ix[name], [], self.pg, lifted=True)
            index_list = merge_lifted_indexes(index_list, [replace(ix, on_partitions=True) for ix in lifted])
        return index_list

    def _foreign_keys(self, name: str) -> list[ForeignKey]:
        qname = self.reader.qualified(self.namespace, name)
        fks = [self._foreign_key(qname, name, fk) for fk in self.found.fks.get((self.namespace, name), [])]
        for fk in self.lifted_fks.get(name, []):
            fks.append(replace(self._foreign_key(qname, fk["_on"], fk), on_partitions=True))
        return fks

    def _foreign_key(self, table: QualifiedName, declared_on: str, fk: dict[str, Any]) -> ForeignKey:
        return read_foreign_key(self.reader, table, self.real_ns, declared_on, fk, self.pg)

    def _partitioning(self, name: str) -> Partitioning | None:
        """The table's partitions, each keeping what it declares itself, so the clone can declare it there too."""
        pg = self.pg
        partitioning = pg.partitioning(self.real_ns, name, self.reader) if pg is not None else None
        if pg is None or partitioning is None:
            return partitioning
        parts = []
        for part in partitioning.partitions:
            part_key = (part.name.schema, part.name.name)
            own_fks = [self._foreign_key(part.name, part.name.name, fk) for fk in self.found.fks.get(part_key, [])]
            own_ix = [
                ix for ix in read_indexes(self.real_ns, self.found.indexes.get(part_key, []), [], pg)
                if not pg.indexes[(self.real_ns, ix.name)].is_partition
            ]
            parts.append(replace(part, foreign_keys=tuple(own_fks), indexes=tuple(sorted(own_ix, key=lambda i: i.name))))
        return replace(partitioning, partitions=tuple(parts))
