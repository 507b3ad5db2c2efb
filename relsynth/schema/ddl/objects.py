"""What surrounds the tables on the same engine: namespaces, enums, domains, sequences and their
owners, routines, and declarative partitions with what each partition declares itself."""

from __future__ import annotations

import sqlalchemy as sa

from relsynth.schema.ddl.constraints import ConstraintsPart
from relsynth.schema.ddl.defaults import serial_sequence
from relsynth.schema.ddl.statements import Statement
from relsynth.schema.elements import QualifiedName, Table


class ObjectsPart(ConstraintsPart):
    """CREATE SCHEMA / TYPE / DOMAIN / SEQUENCE / FUNCTION and partitions."""

    def _namespaces(self) -> list[str]:
        names = [n.schema for n in self._names.values()]
        names += [o.name.schema for o in (*self.schema.enums, *self.schema.domains, *self.schema.sequences)]
        names += list(self.schema.namespaces)
        default = self.capabilities.default_namespace
        return list(dict.fromkeys(n for n in names if n is not None and n != default))

    def _named_types(self) -> None:
        schema = self.schema
        if not self.capabilities.named_types or not self.same_engine:
            for seq in schema.sequences:
                if not self._sequence_is_serial(seq.name):
                    self._warn(f"sequence {seq.name} is not carried to {self.dialect}")
            return
        for enum in schema.enums:
            labels = ", ".join(self._literal(v) for v in enum.values)
            self._pre.append(Statement(f"CREATE TYPE {self._quote_source(enum.name)} AS ENUM ({labels})"))
        for domain in schema.domains:
            parts = [f"CREATE DOMAIN {self._quote_source(domain.name)} AS {domain.type.sql}"]
            if domain.default is not None:
                parts.append(f"DEFAULT {domain.default}")
            if not domain.nullable:
                parts.append("NOT NULL")
            for check in domain.checks:
                name = f"CONSTRAINT {self._preparer.quote(check.name)} " if check.name else ""
                parts.append(f"{name}CHECK ({check.sqltext})")
            self._pre.append(Statement(" ".join(parts)))
        for seq in schema.sequences:
            self._pre.append(
                Statement(
                    f"CREATE SEQUENCE {self._quote_source(seq.name)} "
                    f"START WITH {seq.start} INCREMENT BY {seq.increment}"
                )
            )

    def _sequence_is_serial(self, name: QualifiedName) -> bool:
        return any(serial_sequence(c) == name for t in self.schema.tables for c in t.columns)

    def _sequence_ownership(self) -> None:
        if not (self.capabilities.named_types and self.same_engine):
            return
        for seq in self.schema.sequences:
            if seq.owned_by is None:
                continue
            table, column = seq.owned_by
            self._pre.append(
                Statement(
                    f"ALTER SEQUENCE {self._quote_source(seq.name)} OWNED BY "
                    f"{self._quote(self._names[table])}.{self._preparer.quote(column)}"
                )
            )

    def _routines(self) -> None:
        """User functions and aggregates (views and triggers call them), same engine only."""
        if not self.schema.routines:
            return
        if not self.same_engine:
            for routine in self.schema.routines:
                self._warn(f"{routine.kind} {routine.name}{routine.signature} is not carried to {self.dialect}")
            return
        # As pg_dump does: a SQL function's body may name tables that do not exist yet.
        self._pre.append(Statement("SET LOCAL check_function_bodies = false"))
        for routine in self.schema.routines:
            self._pre.append(Statement(routine.definition.strip().rstrip(";"), label=f"{routine.kind} {routine.name}"))

    # -- partitions -----------------------------------------------------------------------------

    def _partitions(self, table: Table) -> None:
        if table.partitioning is None:
            return
        if not (self.capabilities.partitioning and self.same_engine):
            self._warn(f"partitions of {table.name} become one plain table on {self.dialect}")
            return
        parent = self._quote(self._names[table.name])
        for partition in table.partitioning.partitions:
            self._pre.append(
                Statement(f"CREATE TABLE {self._quote_source(partition.name)} PARTITION OF {parent} {partition.bound}")
            )

    def _partition_declarations(self, table: Table) -> None:
        """Foreign keys and indexes that the source declares on single partitions, declared there."""
        if table.partitioning is None:
            return
        parent = self._tables[table.name]
        metadata = sa.MetaData()  # partitions are not tables of the model: keep them apart
        for partition in table.partitioning.partitions:
            if partition.foreign_keys:
                sa_partition = sa.Table(
                    partition.name.name, metadata, *(sa.Column(c.name, c.type) for c in parent.columns),
                    schema=partition.name.schema,
                )
                for fk in partition.foreign_keys:
                    constraint = self._foreign_key(fk)
                    if constraint is not None:
                        sa_partition.append_constraint(constraint)
                        self._post.append(Statement(self._compile(sa.schema.AddConstraint(constraint))))
            self._post += [Statement(index.definition) for index in partition.indexes if index.definition]

    def _partition_names(self) -> tuple[QualifiedName, ...]:
        if not (self.capabilities.partitioning and self.same_engine):
            return ()
        default = self.capabilities.default_namespace
        return tuple(
            QualifiedName(None if p.name.schema == default else p.name.schema, p.name.name)
            for t in self.schema.tables
            if t.partitioning is not None
            for p in t.partitioning.partitions
        )
