"""What every part of the schema writer shares: its state, the names objects get on the target,
quoting, literals, warnings, and SQL expressions translated into the target's syntax."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
import sqlglot
import sqlglot.errors
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import IdentifierPreparer
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from relsynth.engines import Capabilities, capabilities_for
from relsynth.schema.ddl.dialects import sqlite_accepts
from relsynth.schema.ddl.statements import Staging, Statement
from relsynth.schema.elements import Domain, ForeignKey, QualifiedName, Schema, Table


class WriterBase:
    """The state of one ``SchemaWriter`` (set in its ``__init__``) and the helpers all its parts use."""

    schema: Schema
    dialect: str
    capabilities: Capabilities
    same_engine: bool
    validate_not_valid: bool
    staging: Staging | None
    staged_foreign_keys: dict[ForeignKey, str]  # foreign key -> its temporary name
    foreign_key_statements: dict[ForeignKey, str]  # foreign key -> its ADD CONSTRAINT
    _sa_dialect: Dialect
    _preparer: IdentifierPreparer
    _source_preparer: IdentifierPreparer  # quotes names as the source engine writes them
    _warnings: dict[str, None]
    _type_losses: dict[str, list[str]]  # one line per loss, naming its columns
    _domains: dict[QualifiedName, Domain]
    _used_names: set[str]
    _names: dict[QualifiedName, QualifiedName]
    _metadata: sa.MetaData
    _tables: dict[QualifiedName, sa.Table]
    _pre: list[Statement]
    _post: list[Statement]
    _drop: list[str]
    _deferred_column_checks: dict[QualifiedName, list[sa.CheckConstraint]]

    def _warn(self, message: str) -> None:
        self._warnings.setdefault(message, None)

    # -- names ----------------------------------------------------------------------------------

    def _target_names(self) -> dict[QualifiedName, QualifiedName]:
        names = self._final_names()
        if self.staging is None:
            return names
        tables = {t.name for t in self.schema.tables}
        return {n: self.staging.table_name(target) if n in tables else target for n, target in names.items()}

    def _final_names(self) -> dict[QualifiedName, QualifiedName]:
        objects = [t.name for t in self.schema.tables] + [v.name for v in self.schema.views]
        if self.capabilities.namespaces:
            default = self.capabilities.default_namespace
            return {n: QualifiedName(None if n.schema == default else n.schema, n.name) for n in objects}
        counts: dict[str, int] = {}
        for name in objects:
            counts[name.name] = counts.get(name.name, 0) + 1
        names = {}
        for name in objects:
            flat = name.name
            if counts[name.name] > 1 and name.schema is not None:
                flat = f"{name.schema}_{name.name}"
                self._warn(f"{name} is named {flat} on {self.dialect} (one namespace only)")
            names[name] = QualifiedName(None, flat)
        return names

    def _object_name(self, name: str | None) -> str | None:
        """A constraint or index name that fits the target; unique per database off the same engine."""
        if name is None:
            return None
        limit = self.capabilities.max_identifier_length
        if len(name.encode()) > limit:
            digest = hashlib.sha1(name.encode()).hexdigest()[:8]
            name = name.encode()[: limit - 9].decode(errors="ignore") + "_" + digest
        if not self.same_engine:
            # MySQL wants FK names unique per database, PostgreSQL index names per namespace.
            base, n = name, 2
            while name.lower() in self._used_names:
                name = f"{base[: limit - 4]}_{n}"
                n += 1
        self._used_names.add(name.lower())
        return name

    # -- quoting and compiling ------------------------------------------------------------------

    def _quote(self, name: QualifiedName) -> str:
        return self._preparer.format_table(sa.table(name.name, schema=name.schema))

    def _quote_source(self, name: QualifiedName) -> str:
        """A source object (enum, domain, sequence) as the target writes it; same engine only."""
        target = self._names.get(name)
        if target is None:
            default = self.capabilities.default_namespace
            target = QualifiedName(None if name.schema == default else name.schema, name.name)
        return self._quote(target)

    def _source_quote(self, name: str) -> str:
        """A column name quoted as the source engine writes it, inside source SQL to be translated."""
        return self._source_preparer.quote_identifier(name)

    def _literal(self, value: str) -> str:
        escaped = value.replace("'", "''")
        if self.capabilities.backslash_escapes:
            escaped = escaped.replace("\\", "\\\\")
        return f"'{escaped}'"

    def _compile(self, element: sa.schema.ExecutableDDLElement) -> str:
        return str(element.compile(dialect=self._sa_dialect)).strip()

    # -- expressions ----------------------------------------------------------------------------

    def _expression(self, sql: str, table: Table, *, what: str, columns: tuple[str, ...] | None) -> str | None:
        """``sql`` in the target's syntax, or None (with a warning) when it cannot be translated."""
        if self.same_engine:
            return sql
        source = capabilities_for(self.schema.dialect).sqlglot_dialect
        try:
            tree = sqlglot.parse_one(sql, read=source).transform(any_array_to_in)
            translated = tree.sql(dialect=self.capabilities.sqlglot_dialect, unsupported_level=ErrorLevel.RAISE)
        except (sqlglot.errors.SqlglotError, IndexError) as exc:
            self._warn(f"{table.name}: {what} ({sql}) is not carried to {self.dialect}: {exc}".splitlines()[0])
            return None
        if self.capabilities.checks_tried_in_memory and columns is not None and not sqlite_accepts(translated, columns):
            self._warn(f"{table.name}: {what} ({sql}) is not carried to {self.dialect}: SQLite cannot parse it")
            return None
        return translated


def any_array_to_in(node: exp.Expression) -> exp.Expression:
    """PostgreSQL prints ``x IN ('a', 'b')`` as ``x = ANY (ARRAY['a', 'b'])``; other engines need IN."""
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        inner = node.expression.this
        while isinstance(inner, (exp.Cast, exp.Paren)) and not isinstance(inner, exp.Array):
            inner = inner.this
        if isinstance(inner, exp.Array):
            values = [v.this if isinstance(v, exp.Cast) else v for v in inner.expressions]
            return exp.In(this=node.this, expressions=values)
    return node
