"""``SchemaWriter``: a ``Schema`` as the ordered DDL of a target engine, computed once.

The writer is assembled from parts, one job each: ``columns`` (tables and column types),
``constraints`` (keys, checks, foreign keys), ``indexes``, ``objects`` (namespaces, named types,
sequences, routines, partitions) and ``views`` (views, comments, triggers). This module puts them
in order: pre-data, post-data, and the drops that undo both.
"""

from __future__ import annotations

import sqlalchemy as sa

from relsynth.engines import capabilities_for
from relsynth.errors import ConfigurationError
from relsynth.schema.ddl.columns import TablesPart
from relsynth.schema.ddl.dialects import compile_dialect
from relsynth.schema.ddl.indexes import IndexesPart
from relsynth.schema.ddl.objects import ObjectsPart
from relsynth.schema.ddl.statements import Staging, Statement
from relsynth.schema.ddl.views import ViewsPart
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema
from relsynth.schema.type_mapping import DIALECTS


class SchemaWriter(TablesPart, ObjectsPart, IndexesPart, ViewsPart):
    """The DDL that recreates ``schema`` on a ``dialect`` engine, computed once.

    ``validate_not_valid``: PostgreSQL ``NOT VALID`` foreign keys are created valid (relsynth's
    rows respect them); pass False to keep them ``NOT VALID`` on a PostgreSQL target.
    """

    def __init__(
        self, schema: Schema, dialect: str, *, validate_not_valid: bool = True, staging: Staging | None = None
    ) -> None:
        if dialect not in DIALECTS:
            raise ConfigurationError(
                f"cannot write DDL for engine {dialect!r}: relsynth supports {', '.join(DIALECTS)}"
            )
        self.schema = schema
        self.dialect = dialect
        self.capabilities = capabilities_for(dialect)
        self.same_engine = schema.dialect == dialect
        self.validate_not_valid = validate_not_valid
        self.staging = staging
        self.staged_foreign_keys: dict[ForeignKey, str] = {}  # foreign key -> its temporary name
        self.foreign_key_statements: dict[ForeignKey, str] = {}  # foreign key -> its ADD CONSTRAINT
        self._sa_dialect = compile_dialect(dialect)
        self._preparer = self._sa_dialect.identifier_preparer
        self._source_preparer = compile_dialect(schema.dialect).identifier_preparer
        self._warnings: dict[str, None] = {}
        self._type_losses: dict[str, list[str]] = {}  # one line per loss, naming its columns
        self._domains = {d.name: d for d in schema.domains}
        self._used_names: set[str] = set()
        self._names = self._target_names()
        self._metadata = sa.MetaData()
        self._tables: dict[QualifiedName, sa.Table] = {}
        self._pre: list[Statement] = []
        self._post: list[Statement] = []
        self._drop: list[str] = []
        self._deferred_column_checks: dict[QualifiedName, list[sa.CheckConstraint]] = {}
        self._build()

    # -- public ---------------------------------------------------------------------------------

    @property
    def warnings(self) -> tuple[str, ...]:
        """Everything the target cannot hold, one line each, deduplicated, in order of discovery."""
        lines = list(self._warnings)
        for loss, columns in self._type_losses.items():
            shown = ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
            lines.append(f"{loss}: {shown}")
        return tuple(lines)

    def pre_data(self) -> list[str]:
        return [s.sql for s in self._pre]

    def post_data(self) -> list[str]:
        return [s.sql for s in self._post]

    def drop_statements(self) -> list[str]:
        return list(self._drop)

    def quote(self, name: QualifiedName) -> str:
        """``name`` (a name on the target) quoted the target's way."""
        return self._quote(name)

    def table_name(self, name: QualifiedName) -> QualifiedName:
        """The name a source table or view has on the target (namespaces flatten on MySQL/SQLite)."""
        return self._names[name]

    @property
    def created_tables(self) -> tuple[QualifiedName, ...]:
        return tuple(self._names[t.name] for t in self.schema.tables) + self._partition_names()

    @property
    def created_views(self) -> tuple[QualifiedName, ...]:
        return tuple(self._names[v.name] for v in self._views())

    # -- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        for table in self.schema.tables:
            self._tables[table.name] = self._sa_table(table)
        if self.capabilities.namespaces:
            for namespace in self._namespaces():
                self._pre.append(Statement(f"CREATE SCHEMA IF NOT EXISTS {self._preparer.quote_schema(namespace)}"))
        self._named_types()
        for table in self.schema.tables:
            self._pre.append(Statement(self._compile(sa.schema.CreateTable(self._tables[table.name]))))
            self._partitions(table)
        self._routines()  # after the tables: a function may return a table's row type
        self._sequence_ownership()
        self._post_data()
        self._drops()

    def _post_data(self) -> None:
        caps = self.capabilities
        if caps.alter_add_constraint:
            self._added_constraints()
        self._exclusion_constraints()
        partitions_carried = caps.partitioning and self.same_engine
        for table in self.schema.tables:
            for index in table.indexes:
                if not (index.on_partitions and partitions_carried):
                    self._index(table, index)
        self._foreign_keys(partitions_carried=partitions_carried)
        if partitions_carried:
            for table in self.schema.tables:
                self._partition_declarations(table)
        if not caps.alter_add_constraint:
            self._pre = [s for s in self._pre if not s.sql.startswith("CREATE TABLE")] + [
                Statement(self._compile(sa.schema.CreateTable(self._tables[t.name]))) for t in self.schema.tables
            ]
        self._view_statements()
        self._comments()
        self._triggers()

    def _added_constraints(self) -> None:
        """Primary keys, unique constraints and checks by ALTER TABLE, after the data."""
        tables = self.schema.tables
        for table in tables:
            if table.primary_key is not None and not self.capabilities.primary_key_at_create:
                pk = table.primary_key
                self._add(table, sa.PrimaryKeyConstraint(*pk.constrained_columns, name=self._object_name(pk.name)))
        for table in tables:
            for unique in self._unique_constraints(table):
                self._add(table, unique)
        optional = not self.same_engine  # translated checks are best effort
        for table in tables:
            for check in self._checks(table) + self._deferred_column_checks.get(table.name, []):
                self._add(table, check, optional=optional)

    def _foreign_keys(self, *, partitions_carried: bool) -> None:
        for table in self.schema.tables:
            for fk in table.foreign_keys:
                if fk.on_partitions and partitions_carried:
                    continue  # declared on each partition, as in the source
                constraint = self._foreign_key(fk)
                if constraint is None:
                    continue
                if self.capabilities.alter_add_constraint:
                    not_valid = " NOT VALID" if (not fk.validated and not self.validate_not_valid) else ""
                    self._add(table, constraint, suffix=not_valid)
                    self.foreign_key_statements[fk] = self._post[-1].sql
                else:
                    # SQLite: foreign keys live in CREATE TABLE; rebuild that statement.
                    self._tables[table.name].append_constraint(constraint)

    # -- clean-up -------------------------------------------------------------------------------

    def _drops(self) -> None:
        caps = self.capabilities
        drops: list[str] = []
        for view in reversed(self._views()):
            keyword = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            drops.append(f"DROP {keyword} IF EXISTS {self._quote(self._names[view.name])}")
        tables = [self._quote(n) for n in reversed(self.created_tables)]
        if caps.drop_tables_together:
            # One statement drops tables that reference each other, without CASCADE to others.
            if tables:
                drops.append(f"DROP TABLE IF EXISTS {', '.join(tables)}")
        else:
            drops += _one_by_one([f"DROP TABLE IF EXISTS {t}" for t in tables], self)
        if caps.named_types and self.same_engine:
            schema = self.schema
            drops += [
                f"DROP {r.kind.upper()} IF EXISTS {self._quote_source(r.name)}{r.signature}"
                for r in reversed(schema.routines)
            ]
            drops += [f"DROP SEQUENCE IF EXISTS {self._quote_source(s.name)}" for s in reversed(schema.sequences)]
            drops += [f"DROP DOMAIN IF EXISTS {self._quote_source(d.name)}" for d in reversed(schema.domains)]
            drops += [f"DROP TYPE IF EXISTS {self._quote_source(e.name)}" for e in reversed(schema.enums)]
        self._drop = drops


def _one_by_one(table_drops: list[str], writer: SchemaWriter) -> list[str]:
    """Tables dropped one at a time: with foreign key checks off where the engine can switch them."""
    if not writer.capabilities.foreign_key_checks_switch:
        return table_drops
    return ["SET FOREIGN_KEY_CHECKS = 0", *table_drops, "SET FOREIGN_KEY_CHECKS = 1"]


# -- functions over a schema ---------------------------------------------------------------------


def pre_data(schema: Schema, dialect: str) -> list[str]:
    return SchemaWriter(schema, dialect).pre_data()


def post_data(schema: Schema, dialect: str, *, validate_not_valid: bool = True) -> list[str]:
    return SchemaWriter(schema, dialect, validate_not_valid=validate_not_valid).post_data()


def drop_statements(schema: Schema, dialect: str) -> list[str]:
    return SchemaWriter(schema, dialect).drop_statements()
