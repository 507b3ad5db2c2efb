"""Tables and their columns on the target: types (through ``type_mapping``), collations, NULL,
defaults, generated columns, identity and auto-increment, and the constraints that must be
declared inside CREATE TABLE."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import sqlalchemy as sa

from relsynth.schema.ddl.constraints import ConstraintsPart
from relsynth.schema.ddl.defaults import NEXTVAL, portable_default, serial_sequence
from relsynth.schema.elements import Column, Identity, Table, TypeKind
from relsynth.schema.type_mapping import RawType, TargetType, map_type


@dataclass(frozen=True)
class _Numbering:
    """How a column computes or numbers its values on the target."""

    args: tuple[sa.Computed | sa.Identity, ...] = ()
    autoincrement: bool = False
    integer_type: bool = False  # declared plain INTEGER: the only type that numbers itself there
    keeps_default: bool = True  # False: an identity replaces the source's nextval() default


class TablesPart(ConstraintsPart):
    """CREATE TABLE for each table of the schema, as SQLAlchemy tables."""

    def _keyed_columns(self, table: Table) -> set[str]:
        keyed: set[str] = set()
        if table.primary_key is not None:
            keyed.update(table.primary_key.constrained_columns)
        for uc in table.unique_constraints:
            keyed.update(uc.columns)
        for ix in table.indexes:
            keyed.update(e for e in ix.expressions if e in table.column_names)
        for fk in table.foreign_keys:
            keyed.update(fk.constrained_columns)
        for other in self.schema.tables:
            for fk in other.foreign_keys:
                if fk.referred_table == table.name:
                    keyed.update(fk.referred_columns)
        return keyed

    def _sa_table(self, table: Table) -> sa.Table:
        caps = self.capabilities
        target = self._names[table.name]
        keyed = self._keyed_columns(table)
        pk_columns = table.primary_key.constrained_columns if table.primary_key else ()
        columns: list[sa.Column] = []
        column_checks: list[sa.CheckConstraint] = []
        for column in table.columns:
            built, checks = self._sa_column(table, column, in_key=column.name in keyed, pk_columns=pk_columns)
            columns.append(built)
            column_checks.extend(checks)
        kwargs: dict[str, object] = {}
        if table.comment is not None and caps.inline_comments:
            kwargs["comment"] = table.comment
        if table.partitioning is not None and caps.partitioning and self.same_engine:
            kwargs["postgresql_partition_by"] = f"{table.partitioning.strategy} ({table.partitioning.key})"
        sa_table = sa.Table(target.name, self._metadata, *columns, schema=target.schema, **kwargs)
        # Constraints attached here render inside CREATE TABLE; the others are added in post_data.
        if table.primary_key is not None and (caps.primary_key_at_create or not caps.alter_add_constraint):
            sa_table.append_constraint(
                sa.PrimaryKeyConstraint(*pk_columns, name=self._object_name(table.primary_key.name))
            )
        if not caps.alter_add_constraint:
            for constraint in self._unique_constraints(table) + self._checks(table) + column_checks:
                sa_table.append_constraint(constraint)
        else:
            self._deferred_column_checks[table.name] = column_checks
        return sa_table

    def _sa_column(
        self, table: Table, column: Column, *, in_key: bool, pk_columns: tuple[str, ...]
    ) -> tuple[sa.Column, list[sa.CheckConstraint]]:
        mapped = map_type(
            column.type, source=self.schema.dialect, target=self.dialect, domains=self._domains, in_key=in_key
        )
        for warning in mapped.warnings:
            self._type_losses.setdefault(warning, []).append(f"{table.name}.{column.name}")
        type_ = self._collated(table, column, mapped.type)
        default = self._default(table, column, mapped)
        numbering = self._numbering(table, column, pk_columns)
        if numbering.integer_type:
            type_ = sa.Integer()  # only INTEGER PRIMARY KEY assigns rowids
        keep_default = default is not None and column.computed is None and numbering.keeps_default
        server_default = sa.text(default) if keep_default else None
        if numbering.autoincrement and not self.same_engine:
            server_default = None
        built = sa.Column(
            column.name,
            type_,
            *numbering.args,
            nullable=column.nullable and not mapped.not_null,
            server_default=server_default,
            autoincrement=True if any(isinstance(a, sa.Identity) for a in numbering.args) else numbering.autoincrement,
            comment=column.comment if self.capabilities.inline_comments else None,
        )
        return built, self._mapped_checks(table, column, mapped)

    def _collated(self, table: Table, column: Column, type_: sa.types.TypeEngine) -> sa.types.TypeEngine:
        """The column's type with its collation, on the same engine (collation names do not travel)."""
        if self.same_engine and column.collation:
            return RawType(f"{column.type.sql} COLLATE {self._preparer.quote(column.collation)}")
        if column.collation and not self.same_engine:
            self._warn(f"{table.name}.{column.name}: collation {column.collation} is not carried to {self.dialect}")
        return type_

    def _numbering(self, table: Table, column: Column, pk_columns: tuple[str, ...]) -> _Numbering:
        """Generated, identity or auto-increment: what the column becomes on the target."""
        caps = self.capabilities
        serial = serial_sequence(column) is not None or column.identity is not None
        numbering = _Numbering()
        if column.computed is not None:
            expression = self._expression(column.computed, table, what="generated column", columns=None)
            if expression is not None:
                numbering = _Numbering((sa.Computed(sa.text(expression), persisted=column.computed_stored),))
        elif column.identity is not None and self.same_engine and caps.identity_columns:
            identity = column.identity
            numbering = _Numbering((sa.Identity(always=identity.always, start=identity.start, increment=identity.increment),))
        elif serial and not self.same_engine and caps.identity_columns and column.type.kind is TypeKind.INTEGER:
            # MySQL AUTO_INCREMENT and SQLite's rowid key become an identity on PostgreSQL.
            identity = column.identity or Identity()
            numbering = _Numbering(
                (sa.Identity(always=False, start=identity.start, increment=identity.increment),), keeps_default=False
            )
        elif serial and not self.same_engine:
            eligible = (
                column.type.kind is TypeKind.INTEGER and pk_columns == (column.name,) and caps.primary_key_at_create
            )
            if eligible:
                numbering = _Numbering(autoincrement=True, integer_type=caps.autoincrement_needs_integer_type)
            else:
                self._warn(f"{table.name}.{column.name}: auto-increment is not carried to {self.dialect}")
        if self.same_engine and column.identity is not None and not caps.identity_columns:
            numbering = replace(numbering, autoincrement=pk_columns == (column.name,))
        return numbering

    def _mapped_checks(self, table: Table, column: Column, mapped: TargetType) -> list[sa.CheckConstraint]:
        """The CHECKs that say on the target what the source's type said (enum labels, domain checks)."""
        checks: list[sa.CheckConstraint] = []
        for check in mapped.checks:
            text = check.replace("VALUE", "\x00")
            text = re.sub(r"\x00", lambda _: self._source_quote(column.name), text)
            expression = self._expression(text, table, what="check on " + column.name, columns=table.column_names)
            if expression is not None:
                checks.append(sa.CheckConstraint(sa.text(expression)))
        return checks

    def _default(self, table: Table, column: Column, mapped: TargetType) -> str | None:
        default = column.default
        if default is None and mapped.default is not None:
            default = mapped.default  # a domain's default, on an engine without domains
        if default is None or column.identity is not None:
            return None
        if self.same_engine:
            return default
        portable = portable_default(default, column.type.kind, self.capabilities, self._literal)
        if portable is None and NEXTVAL.match(default.strip()) is None:
            self._warn(f"{table.name}.{column.name}: default {default} is not carried to {self.dialect}")
        return portable
