"""Introspection: a live database's catalog -> ``Schema``.

The only caller of SQLAlchemy's ``Inspector``. Reflection dicts are turned into the frozen
dataclasses of ``relsynth.schema.elements`` once, here. PostgreSQL facts the Inspector lacks come
from ``pg_catalog``. Everything runs inside one read-only snapshot; nothing is written.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Connection, Inspector
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import SAWarning, SQLAlchemyError
from sqlalchemy.sql import sqltypes
from sqlglot import expressions as exp

from relsynth.connections import create_engine, read_snapshot, redact
from relsynth.errors import IntrospectionError, RelsynthError
from relsynth.schema import pg_catalog
from relsynth.schema.elements import (
    CheckConstraint,
    Column,
    ColumnType,
    Deferrability,
    Domain,
    EnumType,
    ExclusionConstraint,
    ForeignKey,
    Identity,
    Index,
    Partition,
    Partitioning,
    PrimaryKey,
    QualifiedName,
    Routine,
    Schema,
    Table,
    Trigger,
    TypeKind,
    UniqueConstraint,
    View,
)
from relsynth.schema.elements import Sequence as SequenceElement

__all__ = ["introspect"]

log = logging.getLogger(__name__)

_INTEGER_BITS = {sqltypes.SmallInteger: 16, sqltypes.BigInteger: 64}


def introspect(url: str, *, schemas: Sequence[str] | None = None) -> Schema:
    """Read the structure of the database at ``url`` (read-only, one snapshot) into a ``Schema``.

    ``schemas`` None means the default schema (``public``, the MySQL database, SQLite's ``main``);
    a list names the namespaces to read. Tables in the default schema get ``QualifiedName.schema``
    None, the others their namespace name.
    """
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SAWarning)
            try:
                reader = _Reader(connection, schemas)
                schema = reader.read()
            except RelsynthError:
                raise
            except SQLAlchemyError as exc:
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                raise IntrospectionError(
                    f"cannot read the catalog of {redact(url)}: {reason}; check that the user may read "
                    "the system catalog of this database"
                ) from exc
        seen = [str(w.message) for w in caught if issubclass(w.category, SAWarning) and not _handled_type(str(w.message))]
        seen = [m for m in seen if not (m.startswith("Skipped unsupported reflection of expression-based index") and m.split()[-1] in reader.recovered_indexes)]
        for other in caught:
            if not issubclass(other.category, SAWarning):
                warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
        if seen:
            schema = _with_warnings(schema, seen)
        return schema
    finally:
        engine.dispose()


def _handled_type(message: str) -> bool:
    """SQLAlchemy's "Did not recognize type 'point'" for a type relsynth reads as text and learns."""
    from relsynth.values.pgtypes import family_of  # values import the schema elements, not the reverse

    found = re.match(r"Did not recognize type '([^']+)'", message)
    return found is not None and family_of(ColumnType(TypeKind.OTHER, found.group(1))) is not None


def _with_warnings(schema: Schema, extra: list[str]) -> Schema:
    return replace(schema, warnings=schema.warnings + tuple(dict.fromkeys(extra)))


def _sort_key(name: QualifiedName) -> tuple[bool, str, str]:
    return (name.schema is not None, name.schema or "", name.name)


class _Reader:
    """One introspection: the connection, the namespaces, and what was learnt along the way."""

    def __init__(self, connection: Connection, schemas: Sequence[str] | None) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.backend = connection.dialect.name
        self.inspector: Inspector = sa.inspect(connection)
        self.default = self.inspector.default_schema_name
        self.warnings: list[str] = []
        self.recovered_indexes: set[str] = set()  # SQLite expression indexes SQLAlchemy skipped
        self.namespaces = self._resolve_namespaces(schemas)
        self.pg = self.backend == "postgresql"

    # -- namespaces -------------------------------------------------------------------------
    def _resolve_namespaces(self, schemas: Sequence[str] | None) -> list[str | None]:
        if schemas is None:
            return [None]
        if isinstance(schemas, str):
            schemas = [schemas]
        existing = self.inspector.get_schema_names()
        unknown = [s for s in schemas if s not in existing and s != self.default]
        if unknown:
            raise IntrospectionError(
                f"schema {', '.join(map(repr, unknown))} does not exist in this database; "
                f"the schemas that exist are: {', '.join(sorted(existing))}"
            )
        resolved: list[str | None] = []
        for name in dict.fromkeys(schemas):
            resolved.append(None if name == self.default else name)
        return resolved

    def qualified(self, schema: str | None, name: str) -> QualifiedName:
        return QualifiedName(None if schema in (None, self.default) else schema, name)

    @property
    def real_namespaces(self) -> list[str]:
        return [self.default if s is None else s for s in self.namespaces]

    # -- the whole schema --------------------------------------------------------------------
    def read(self) -> Schema:
        pg_state = _PgState.load(self) if self.pg else None
        tables: list[Table] = []
        views: list[View] = []
        for namespace in self.namespaces:
            tables.extend(self._tables(namespace, pg_state))
            views.extend(self._views(namespace))
        enums, domains, sequences, routines, triggers = (), (), (), (), ()
        if pg_state is not None:
            enums, domains, sequences = self._pg_types(pg_state)
            routines = tuple(
                Routine(self.qualified(r.nspname, r.proname), r.kind, r.signature, r.definition)
                for r in pg_catalog.routines(self.connection, self.real_namespaces)
            )
            triggers = tuple(
                Trigger(r.tgname, self.qualified(r.nspname, r.relname), r.definition)
                for r in pg_catalog.triggers(self.connection, self.real_namespaces)
            )
            self.warnings.extend(pg_catalog.unsupported_objects(self.connection, self.real_namespaces))
        else:
            self.warnings.extend(self._other_unsupported())
        tables.sort(key=lambda t: _sort_key(t.name))
        views.sort(key=lambda v: _sort_key(v.name))
        return Schema(
            dialect=self.backend,
            tables=tuple(tables),
            views=tuple(views),
            enums=enums,
            domains=domains,
            sequences=sequences,
            routines=routines,
            triggers=triggers,
            namespaces=tuple(sorted(s for s in self.namespaces if s is not None)),
            server_version=self._server_version(),
            warnings=tuple(self.warnings),
        )

    def _server_version(self) -> str | None:
        query = {"postgresql": "SHOW server_version", "mysql": "SELECT VERSION()", "sqlite": "SELECT sqlite_version()"}
        sql = query.get(self.backend)
        if sql is None:
            return None
        return str(self.connection.exec_driver_sql(sql).scalar())

    # -- tables ------------------------------------------------------------------------------
    def _tables(self, namespace: str | None, pg: _PgState | None) -> list[Table]:
        insp = self.inspector
        kind = ObjectKind.TABLE
        columns = insp.get_multi_columns(schema=namespace, kind=kind)
        pks = insp.get_multi_pk_constraint(schema=namespace, kind=kind)
        uniques = insp.get_multi_unique_constraints(schema=namespace, kind=kind)
        checks = insp.get_multi_check_constraints(schema=namespace, kind=kind)
        indexes = insp.get_multi_indexes(schema=namespace, kind=kind)
        fks = insp.get_multi_foreign_keys(schema=namespace, kind=kind)
        comments = (
            insp.get_multi_table_comment(schema=namespace, kind=kind) if self.dialect.supports_comments else {}
        )
        real_ns = self.default if namespace is None else namespace
        if self.backend == "mysql":
            columns, pks, uniques, indexes = map(_unescape_backticks, (columns, pks, uniques, indexes))
            fks = self._mysql_foreign_keys(namespace, real_ns)

        sqlite_sql = self._sqlite_table_sql() if self.backend == "sqlite" else {}
        mysql_types = self._mysql_types(real_ns) if self.backend == "mysql" else {}
        if self.backend == "sqlite":
            fks = {key: self._sqlite_fk_actions(key[1], fk_list) for key, fk_list in fks.items()}
            uniques = {key: self._sqlite_inline_uniques(key[1], uniques.get(key, [])) for key in columns}
            indexes = {key: indexes.get(key, []) + self._sqlite_expression_indexes(key[1], indexes.get(key, [])) for key in columns}

        # Partitions are folded into their root: their FKs and indexes are lifted, they are not tables.
        lifted_fks: dict[str, list[dict[str, Any]]] = {}
        lifted_ix: dict[str, list[dict[str, Any]]] = {}
        if pg is not None:
            for (_, name), fk_list in fks.items():
                root = pg.root_of.get((real_ns, name))
                if root is not None and root[0] == real_ns:
                    lifted_fks.setdefault(root[1], []).extend(dict(fk, _on=name) for fk in fk_list)
            for (_, name), ix_list in indexes.items():
                root = pg.root_of.get((real_ns, name))
                if root is not None and root[0] == real_ns:
                    lifted_ix.setdefault(root[1], []).extend(ix_list)

        tables = []
        for (_, name), column_list in columns.items():
            if pg is not None and (real_ns, name) in pg.root_of:
                continue
            key = (namespace, name)
            qname = self.qualified(namespace, name)
            pk = pks.get(key) or {}
            pk_columns = tuple(pk.get("constrained_columns") or ())
            built_columns = tuple(
                self._column(real_ns, name, c, pg, pk_columns, sqlite_sql.get(name)) for c in column_list
            )
            if self.backend == "mysql":
                built_columns = tuple(_mysql_refined(c, mysql_types.get((name, c.name))) for c in built_columns)
            unique_list = sorted(
                (UniqueConstraint(u.get("name"), tuple(u["column_names"])) for u in uniques.get(key, [])),
                key=lambda u: (u.name or "", u.columns),
            )
            check_list = sorted(
                (CheckConstraint(c.get("name"), c["sqltext"]) for c in checks.get(key, [])),
                key=lambda c: (c.name or "", c.sqltext),
            )
            index_list = self._indexes(real_ns, indexes.get(key, []), unique_list, pg)
            if lifted_ix.get(name):
                lifted_list = self._indexes(real_ns, lifted_ix[name], [], pg, lifted=True)
                index_list = _merge_lifted_indexes(index_list, [replace(ix, on_partitions=True) for ix in lifted_list])
            fk_list = [self._foreign_key(qname, real_ns, name, fk, pg) for fk in fks.get(key, [])]
            for fk in lifted_fks.get(name, []):
                fk_list.append(replace(self._foreign_key(qname, real_ns, fk["_on"], fk, pg), on_partitions=True))
            partitioning = pg.partitioning(real_ns, name, self) if pg is not None else None
            if partitioning is not None:
                # Each partition keeps what it declares itself, so the clone can declare it there too.
                parts = []
                for part in partitioning.partitions:
                    part_key = (part.name.schema, part.name.name)
                    own_fks = [self._foreign_key(part.name, real_ns, part.name.name, fk, pg) for fk in fks.get(part_key, [])]
                    own_ix = [
                        ix for ix in self._indexes(real_ns, indexes.get(part_key, []), [], pg)
                        if not pg.indexes[(real_ns, ix.name)].is_partition
                    ]
                    parts.append(replace(part, foreign_keys=tuple(own_fks), indexes=tuple(sorted(own_ix, key=lambda i: i.name))))
                partitioning = replace(partitioning, partitions=tuple(parts))
            tables.append(
                Table(
                    name=qname,
                    columns=built_columns,
                    primary_key=PrimaryKey(pk.get("name"), pk_columns) if pk_columns else None,
                    unique_constraints=tuple(unique_list),
                    check_constraints=tuple(check_list),
                    indexes=tuple(sorted(index_list, key=lambda i: i.name)),
                    foreign_keys=_dedupe_fks(fk_list),
                    comment=(comments.get(key) or {}).get("text"),
                    partitioning=partitioning,
                    exclusion_constraints=pg.exclusion_constraints(real_ns, name) if pg is not None else (),
                )
            )
        return tables

    def _mysql_types(self, namespace: str) -> dict[tuple[str, str], str]:
        """(table, column) -> what SQLAlchemy does not say: ``json`` for MariaDB's JSON (longtext
        with a json_valid check), the type name of spatial columns (``point``, ``geometry``, ...)."""
        found: dict[tuple[str, str], str] = {}
        spatial = "'" + "','".join(_MYSQL_SPATIAL) + "'"
        rows = self.connection.exec_driver_sql(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
            f"WHERE TABLE_SCHEMA = %s AND DATA_TYPE IN ({spatial})",
            (namespace,),
        )
        found.update({(t, c): str(d).lower() for t, c, d in rows})
        try:
            rows = self.connection.exec_driver_sql(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = %s AND LEVEL = 'Column'",
                (namespace,),
            )
        except sa.exc.DBAPIError:  # MySQL has no LEVEL column, and reports JSON columns as JSON itself
            return found
        for table, column, clause in rows:
            if re.fullmatch(rf"json_valid\(`{re.escape(column)}`\)", str(clause).strip(), re.IGNORECASE):
                found[(table, column)] = "json"
        return found

    # -- columns -----------------------------------------------------------------------------
    def _column(
        self,
        namespace: str,
        table: str,
        col: dict[str, Any],
        pg: _PgState | None,
        pk_columns: tuple[str, ...],
        sqlite_sql: str | None,
    ) -> Column:
        extra = pg.columns.get((namespace, table, col["name"])) if pg is not None else None
        column_type = self._column_type(col["type"], extra)
        identity = None
        sequence = None
        default = col.get("default")
        if col.get("identity"):
            ident = col["identity"]
            identity = Identity(
                always=bool(ident.get("always")),
                start=int(ident.get("start") or 1),
                increment=int(ident.get("increment") or 1),
            )
        elif self.backend == "mysql" and col.get("autoincrement") is True:
            identity = Identity()
        elif self.backend == "sqlite" and self._is_rowid_alias(table, col, pk_columns, sqlite_sql):
            identity = Identity()
            col = dict(col, nullable=False)  # the rowid is never NULL, whatever the pragma says
        if extra is not None and extra.serial_sequence is not None:
            sequence = self.qualified(*extra.serial_sequence)
        computed = col.get("computed")
        if computed is not None and not computed.get("sqltext") and sqlite_sql:
            computed = dict(computed, sqltext=_sqlite_generated_expression(sqlite_sql, col["name"]) or "")
        collation = extra.collation if extra is not None else getattr(col["type"], "collation", None)
        return Column(
            name=col["name"],
            type=column_type,
            nullable=bool(col.get("nullable", True)),
            default=None if computed else default,
            identity=identity,
            sequence=sequence,
            computed=computed["sqltext"] if computed else None,
            computed_stored=bool(computed.get("persisted", True)) if computed else True,
            comment=col.get("comment"),
            collation=collation,
        )

    def _column_type(self, type_: sqltypes.TypeEngine[Any], extra: pg_catalog.ColumnExtra | None) -> ColumnType:
        if extra is not None:
            sql = extra.sql
        else:
            sql = self._compile(type_)
        built = self._type(type_, sql)
        if extra is not None and built.kind is TypeKind.ARRAY and extra.dimensions > built.dimensions:
            built = replace(built, dimensions=extra.dimensions)  # declared integer[][]: attndims
        if extra is not None and extra.domain is not None:
            built = replace(built, domain=self.qualified(*extra.domain))
        return built

    def _compile(self, type_: sqltypes.TypeEngine[Any]) -> str:
        if isinstance(type_, sqltypes.NullType):
            return ""
        try:
            if getattr(type_, "collation", None):
                # The collation is a column property here, not part of the type text.
                type_ = type_.copy()
                type_.collation = None  # type: ignore[attr-defined]
            return type_.compile(dialect=self.dialect)
        except Exception as exc:  # a type the dialect cannot print: keep its class name
            log.debug("cannot compile %r: %s", type_, exc)
            return str(type(type_).__name__)

    def _type(self, type_: sqltypes.TypeEngine[Any], sql: str) -> ColumnType:
        if self.pg and type(type_).__name__ == "DOMAIN":
            type_ = type_.data_type  # type: ignore[attr-defined]  # the domain itself is recorded apart
        kind = type_kind(type_)
        if kind is TypeKind.ARRAY:
            item_type = type_.item_type  # type: ignore[attr-defined]
            item_sql = re.sub(r"(\[\d*\])+$", "", sql) if sql.endswith("]") else self._compile(item_type)
            dims = getattr(type_, "dimensions", None) or max(sql.count("[]"), 1)
            return ColumnType(kind=kind, sql=sql, item=self._type(item_type, item_sql), dimensions=dims)
        length = precision = scale = None
        timezone = False
        enum = None
        enum_values: tuple[str, ...] = ()
        if kind is TypeKind.ENUM:
            enum_values = tuple(type_.enums)  # type: ignore[attr-defined]
            enum_name = getattr(type_, "name", None)
            if enum_name and self.pg:
                enum = self.qualified(getattr(type_, "schema", None), enum_name)
        elif kind is TypeKind.TEXT or kind is TypeKind.BINARY:
            length = getattr(type_, "length", None)
        elif kind in (TypeKind.DECIMAL, TypeKind.FLOAT):
            precision = getattr(type_, "precision", None)
            scale = getattr(type_, "scale", None) if kind is TypeKind.DECIMAL else None
            if type(type_).__name__ == "MONEY":
                precision, scale = 19, 2  # a 64-bit count of cents
        elif kind is TypeKind.INTEGER:
            precision = next((bits for cls, bits in _INTEGER_BITS.items() if isinstance(type_, cls)), 32)
            if getattr(type_, "unsigned", False):
                precision += 1  # MySQL's INT UNSIGNED holds 2**32 - 1: a bigint elsewhere
        elif kind in (TypeKind.TIMESTAMP, TypeKind.TIME):
            timezone = bool(getattr(type_, "timezone", False))
            precision = getattr(type_, "precision", None) or getattr(type_, "fsp", None)
        return ColumnType(
            kind=kind,
            sql=sql,
            length=length,
            precision=precision,
            scale=scale,
            timezone=timezone,
            enum=enum,
            enum_values=enum_values,
        )

    # -- indexes and keys --------------------------------------------------------------------
    def _indexes(
        self,
        namespace: str,
        raw: list[dict[str, Any]],
        uniques: list[UniqueConstraint],
        pg: _PgState | None,
        *,
        lifted: bool = False,
    ) -> list[Index]:
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

    def _foreign_key(
        self, table: QualifiedName, namespace: str, declared_on: str, fk: dict[str, Any], pg: _PgState | None
    ) -> ForeignKey:
        options = fk.get("options") or {}
        deferrable = Deferrability.NOT_DEFERRABLE
        if options.get("deferrable"):
            initially = str(options.get("initially") or "").upper()
            deferrable = (
                Deferrability.INITIALLY_DEFERRED if initially == "DEFERRED" else Deferrability.INITIALLY_IMMEDIATE
            )
        referred_schema = fk.get("referred_schema")
        if referred_schema is None and not self.pg:
            referred_schema = namespace  # MySQL/SQLite leave it out when the parent is beside the child
        validated = True
        if pg is not None and fk.get("name"):
            validated = pg.validated.get((namespace, declared_on, fk["name"]), True)
        referred = self.qualified(referred_schema, fk["referred_table"])
        if pg is not None:
            # A partition as parent is the partitioned table, logically.
            root = pg.root_of.get((referred_schema or self.default, fk["referred_table"]))
            if root is not None:
                referred = self.qualified(*root)
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

    def _mysql_foreign_keys(self, namespace: str | None, real_ns: str) -> dict[tuple[str | None, str], list[dict[str, Any]]]:
        """Foreign keys from information_schema, in the inspector's shape.

        SQLAlchemy parses them out of SHOW CREATE TABLE and silently skips one whose names hold
        a backtick; the catalog has them all.
        """
        rows = self.connection.execute(
            sa.text(
                "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME,"
                " k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE"
                " FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
                " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME"
                " WHERE k.TABLE_SCHEMA = :s AND k.REFERENCED_TABLE_NAME IS NOT NULL"
                " ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
            ),
            {"s": real_ns},
        ).all()
        found: dict[tuple[str | None, str], dict[str, dict[str, Any]]] = {}
        for table, name, column, ref_schema, ref_table, ref_column, on_update, on_delete in rows:
            fk = found.setdefault((namespace, table), {}).setdefault(name, {
                "name": name, "constrained_columns": [], "referred_table": ref_table, "referred_columns": [],
                "referred_schema": None if ref_schema == real_ns else ref_schema,
                # MySQL's RESTRICT is NO ACTION (checked at once either way): both are the default
                "options": {k: v for k, v in (("onupdate", on_update), ("ondelete", on_delete)) if v not in ("RESTRICT", "NO ACTION")},
            })
            fk["constrained_columns"].append(column)
            fk["referred_columns"].append(ref_column)
        return {key: list(by_name.values()) for key, by_name in found.items()}

    # -- views -------------------------------------------------------------------------------
    def _views(self, namespace: str | None) -> list[View]:
        insp = self.inspector
        result = []
        names = [(n, False) for n in insp.get_view_names(schema=namespace)]
        if self.pg:
            names += [(n, True) for n in insp.get_materialized_view_names(schema=namespace)]
        for name, materialized in names:
            definition = str(insp.get_view_definition(name, schema=namespace) or "").strip()
            if not self.pg:
                # MySQL and SQLite return the whole CREATE VIEW statement; keep only its query.
                definition = re.sub(r"^CREATE\b.*?\bVIEW\b.*?\bAS\s+", "", definition, count=1, flags=re.I | re.S)
            indexes: tuple[Index, ...] = ()
            if materialized:
                real_ns = namespace or self.default
                rows = self.connection.execute(
                    sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = :t ORDER BY 1"),
                    {"s": real_ns, "t": name},
                )
                indexes = tuple(
                    Index(r.indexname, (), unique=r.indexdef.startswith("CREATE UNIQUE"), definition=r.indexdef) for r in rows
                )
            result.append(View(self.qualified(namespace, name), definition, materialized=materialized, indexes=indexes))
        return result

    # -- PostgreSQL types ----------------------------------------------------------------------
    def _pg_types(self, pg: _PgState) -> tuple[tuple[EnumType, ...], tuple[Domain, ...], tuple[SequenceElement, ...]]:
        wanted = set(self.real_namespaces)
        enums = []
        for e in self.inspector.get_enums(schema="*"):
            if e["schema"] in wanted:
                enums.append(EnumType(self.qualified(e["schema"], e["name"]), tuple(e["labels"])))
        domains = []
        for d in self.inspector.get_domains(schema="*"):
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
                    name=self.qualified(d["schema"], d["name"]),
                    type=_enum_base(_type_from_pg_sql(base, self), enums),
                    nullable=bool(d.get("nullable", True)),
                    default=d.get("default"),
                    checks=checks,
                )
            )
        sequences = [
            SequenceElement(
                name=self.qualified(s.schema, s.name),
                start=s.start,
                increment=s.increment,
                owned_by=(self.qualified(*s.owned_by[0]), s.owned_by[1]) if s.owned_by else None,
            )
            for s in pg.sequences
            if not s.identity
        ]
        return (
            tuple(sorted(enums, key=lambda e: _sort_key(e.name))),
            tuple(sorted(domains, key=lambda d: _sort_key(d.name))),
            tuple(sorted(sequences, key=lambda s: _sort_key(s.name))),
        )

    # -- other engines -------------------------------------------------------------------------
    def _sqlite_table_sql(self) -> dict[str, str]:
        rows = self.connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        return {name: sql or "" for name, sql in rows}

    def _is_rowid_alias(
        self, table: str, col: dict[str, Any], pk_columns: tuple[str, ...], table_sql: str | None
    ) -> bool:
        """SQLite: a single-column ``INTEGER PRIMARY KEY`` (exactly that type name) aliases the rowid."""
        if pk_columns != (col["name"],) or table_sql is None:
            return False
        if re.search(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$", table_sql, re.IGNORECASE):
            return False
        rows = self.connection.exec_driver_sql(f"PRAGMA main.table_info({_sqlite_quote(table)})")
        declared = {row[1]: (row[2] or "") for row in rows}
        return declared.get(col["name"], "").strip().upper() == "INTEGER"

    def _sqlite_inline_uniques(self, table: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add the column-level ``UNIQUE`` constraints SQLAlchemy's parser misses: SQLite backs
        every UNIQUE constraint with an automatic index whose origin is 'u'."""
        known = {tuple(u["column_names"]) for u in found}
        result = list(found)
        for _seq, index, _unique, origin, _partial in self.connection.exec_driver_sql(f"PRAGMA main.index_list({_sqlite_quote(table)})"):
            if origin != "u":
                continue
            info = self.connection.exec_driver_sql(f"PRAGMA main.index_info({_sqlite_quote(index)})")
            columns = tuple(row[2] for row in sorted(info, key=lambda row: row[0]))
            if columns and None not in columns and columns not in known:
                known.add(columns)
                result.append({"name": None, "column_names": list(columns)})
        return result

    def _sqlite_expression_indexes(self, table: str, known: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Indexes over expressions (``unique (lower(email))``), which SQLAlchemy skips on SQLite,
        read from their CREATE INDEX statement."""
        names = {ix["name"] for ix in known}
        rows = self.connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name", (table,)
        )
        found = []
        for name, sql in rows:
            if name in names:
                continue
            try:
                tree = sqlglot.parse_one(sql, read="sqlite")
            except sqlglot.errors.ParseError:
                continue
            params = tree.this.args.get("params") if isinstance(tree, exp.Create) and isinstance(tree.this, exp.Index) else None
            if params is None or not params.args.get("columns"):
                continue
            parts = [part.this if isinstance(part, exp.Ordered) else part for part in params.args["columns"]]
            where = params.args.get("where")
            self.recovered_indexes.add(name)
            found.append({
                "name": name,
                "expressions": [p.name if isinstance(p, exp.Column) else p.sql(dialect="sqlite") for p in parts],
                "unique": bool(tree.args.get("unique")),
                "dialect_options": {"sqlite_where": where.this.sql(dialect="sqlite")} if where is not None else {},
                "definition": sql,
            })
        return found

    def _sqlite_fk_actions(self, table: str, fk_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Fill ON DELETE / ON UPDATE from the pragma where SQLAlchemy's parser missed them (inline REFERENCES)."""
        rows = list(self.connection.exec_driver_sql(f"PRAGMA main.foreign_key_list({_sqlite_quote(table)})"))
        by_id: dict[int, dict[str, Any]] = {}
        for fk_id, _seq, parent, source, _target, on_update, on_delete, _match in rows:
            entry = by_id.setdefault(fk_id, {"parent": parent, "cols": [], "upd": on_update, "del": on_delete})
            entry["cols"].append(source)
        result = []
        for fk in fk_list:
            options = dict(fk.get("options") or {})
            for entry in by_id.values():
                if entry["parent"] == fk["referred_table"] and tuple(entry["cols"]) == tuple(fk["constrained_columns"]):
                    options.setdefault("ondelete", entry["del"])
                    options.setdefault("onupdate", entry["upd"])
                    break
            result.append(dict(fk, options=options))
        return result

    def _other_unsupported(self) -> list[str]:
        if self.backend == "sqlite":
            rows = self.connection.exec_driver_sql(
                "SELECT type, name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            )
            return [f"trigger {name} is not carried to the target" for _, name in rows]
        if self.backend == "mysql":
            found: list[str] = []
            for schema in self.real_namespaces:
                rows = self.connection.execute(
                    sa.text(
                        "SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = :s "
                        "UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME FROM information_schema.ROUTINES "
                        "WHERE ROUTINE_SCHEMA = :s ORDER BY 1, 2"
                    ),
                    {"s": schema},
                )
                found += [f"{kind} {schema}.{name} is not carried to the target" for kind, name in rows]
            return found
        return []


class _PgState:
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
    def load(cls, reader: _Reader) -> _PgState:
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

    def partitioning(self, namespace: str, name: str, reader: _Reader) -> Partitioning | None:
        found = self.partitioned.get((namespace, name))
        if found is None:
            return None
        parts = tuple(
            Partition(reader.qualified(p.schema, p.name), p.bound)
            for p in self.partitions
            if p.parent == (namespace, name)
        )
        return Partitioning(strategy=found[0], key=found[1], partitions=parts)


# -- helpers ---------------------------------------------------------------------------------------
def type_kind(type_: sqltypes.TypeEngine[Any]) -> TypeKind:
    """The logical kind of a reflected SQLAlchemy type; anything unknown is OTHER."""
    checks: list[tuple[type | tuple[type, ...], TypeKind]] = [
        (sqltypes.NullType, TypeKind.OTHER),
        (sqltypes.ARRAY, TypeKind.ARRAY),
        (sqltypes.Enum, TypeKind.ENUM),
        (sqltypes.Boolean, TypeKind.BOOLEAN),
        (sqltypes.Integer, TypeKind.INTEGER),
        (sqltypes.Float, TypeKind.FLOAT),
        (sqltypes.Numeric, TypeKind.DECIMAL),
        (sqltypes.DateTime, TypeKind.TIMESTAMP),
        (sqltypes.Date, TypeKind.DATE),
        (sqltypes.Time, TypeKind.TIME),
        (sqltypes._AbstractInterval, TypeKind.INTERVAL),
        (sqltypes.Uuid, TypeKind.UUID),
        (sqltypes.JSON, TypeKind.JSON),
        (sqltypes._Binary, TypeKind.BINARY),
    ]
    if type(type_).__name__ == "MONEY":
        return TypeKind.DECIMAL  # PostgreSQL's money: a number of cents, read and written as numeric
    if type(type_).__name__ == "TINYINT" and getattr(type_, "display_width", None) == 1:
        return TypeKind.BOOLEAN  # MySQL's BOOLEAN is TINYINT(1)
    for cls, kind in checks:
        if isinstance(type_, cls):
            return kind
    if isinstance(type_, sqltypes.String):
        name = type(type_).__name__.upper()
        if name in ("SET",):  # MySQL SET: a multi-valued enum, carried as text by the source
            return TypeKind.OTHER
        return TypeKind.TEXT
    name = type(type_).__name__.upper()
    if name == "YEAR":
        return TypeKind.INTEGER
    return TypeKind.OTHER


_MYSQL_SPATIAL = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection")


def _mysql_refined(column: Column, found: str | None) -> Column:
    if found == "json" and column.type.kind is TypeKind.TEXT:
        return replace(column, type=ColumnType(kind=TypeKind.JSON, sql="JSON"), collation=None)
    if found in _MYSQL_SPATIAL:
        return replace(column, type=ColumnType(kind=TypeKind.OTHER, sql=found.upper()))
    return column


def _enum_base(built: ColumnType, enums: list[EnumType]) -> ColumnType:
    """A domain over an enum keeps its labels, so other engines can keep them too."""
    if built.kind is not TypeKind.OTHER:
        return built
    name = built.sql.replace('"', "")
    for enum in enums:
        if name in (enum.name.name, str(enum.name)):
            return replace(built, kind=TypeKind.ENUM, enum=enum.name, enum_values=enum.values)
    return built


def _type_from_pg_sql(sql: str, reader: _Reader) -> ColumnType:
    """A ColumnType from PostgreSQL's type text (for domain base types, which the Inspector gives as text)."""
    base = re.sub(r"\(.*\)", "", sql).replace("[]", "").strip()
    args = [int(a) for a in re.findall(r"\d+", sql.partition("(")[2].partition(")")[0])] if "(" in sql else []
    names = reader.dialect.ischema_names  # type: ignore[attr-defined]
    type_cls = names.get(base)
    if type_cls is None and base.endswith((" with time zone", " without time zone")):
        type_cls = names.get(base.replace(" with time zone", "").replace(" without time zone", ""))
        type_cls = type_cls or names.get("timestamp")
    if type_cls is None:
        return ColumnType(kind=TypeKind.OTHER, sql=sql)
    try:
        type_ = type_cls()
    except TypeError:
        return ColumnType(kind=TypeKind.OTHER, sql=sql)
    if sql.endswith("[]"):
        return ColumnType(kind=TypeKind.ARRAY, sql=sql, item=reader._type(type_, sql[:-2]), dimensions=sql.count("[]"))
    built = reader._type(type_, sql)
    if built.kind is TypeKind.TEXT and args:
        built = replace(built, length=args[0])
    elif built.kind is TypeKind.DECIMAL and args:
        built = replace(built, precision=args[0], scale=args[1] if len(args) > 1 else 0)
    if "with time zone" in sql:
        built = replace(built, timezone=True)
    return built


def _action(value: object) -> str | None:
    if not value:
        return None
    text = str(value).upper()
    return None if text == "NO ACTION" else text


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_generated_expression(table_sql: str, column: str) -> str | None:
    """The expression of SQLite generated column ``column``, read from its CREATE TABLE text."""
    quoted = [re.escape(_sqlite_quote(column)), re.escape(f"`{column}`"), re.escape(f"[{column}]")]
    if re.fullmatch(r"\w+", column):
        quoted.append(rf"\b{re.escape(column)}\b")
    # the column's definition starts after "(" or ","; its type may hold commas, e.g. NUMERIC(12, 3)
    pattern = rf"[(,]\s*(?:{'|'.join(quoted)}).*?\bAS\s*\("
    match = re.search(pattern, table_sql, re.IGNORECASE | re.DOTALL)
    if match is None:
        return None
    depth, start = 1, match.end()
    for position in range(start, len(table_sql)):
        char = table_sql[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return table_sql[start:position].strip()
    return None


_NAME_KEYS = frozenset({"name", "constrained_columns", "referred_columns", "column_names", "referred_table"})


def _unescape_backticks(multi: dict[Any, Any]) -> dict[Any, Any]:
    """SQLAlchemy's MySQL reflection parses SHOW CREATE TABLE and keeps a name's backticks doubled."""

    def name(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("``", "`")
        return [name(v) for v in value] if isinstance(value, list) else value

    def item(entry: dict[str, Any]) -> dict[str, Any]:
        return {key: name(value) if key in _NAME_KEYS else value for key, value in entry.items()}

    return {key: [item(e) for e in value] if isinstance(value, list) else item(value) for key, value in multi.items()}


def _dedupe_fks(fks: list[ForeignKey]) -> tuple[ForeignKey, ...]:
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


def _merge_lifted_indexes(own: list[Index], lifted: list[Index]) -> list[Index]:
    result = list(own)
    seen = {(ix.expressions, ix.unique, ix.method, ix.where) for ix in own}
    for ix in sorted(lifted, key=lambda i: i.name):
        identity = (ix.expressions, ix.unique, ix.method, ix.where)
        if identity not in seen:
            seen.add(identity)
            result.append(ix)
    return result
