"""Keys and checks on the target: unique constraints, CHECKs, foreign keys (deferrable, MATCH,
actions, staged names) and PostgreSQL's exclusion constraints."""

from __future__ import annotations

import sqlalchemy as sa

from relsynth.schema.ddl.base import WriterBase
from relsynth.schema.ddl.statements import Statement
from relsynth.schema.elements import Deferrability, ForeignKey, Table


class ConstraintsPart(WriterBase):
    """The constraints of the writer's tables, as SQLAlchemy constraints or ALTER statements."""

    def _unique_constraints(self, table: Table) -> list[sa.UniqueConstraint]:
        return [sa.UniqueConstraint(*u.columns, name=self._object_name(u.name)) for u in table.unique_constraints]

    def _checks(self, table: Table) -> list[sa.CheckConstraint]:
        checks = []
        for check in table.check_constraints:
            expression = self._expression(check.sqltext, table, what=f"check {check.name}", columns=table.column_names)
            if expression is not None:
                checks.append(sa.CheckConstraint(sa.text(expression), name=self._object_name(check.name)))
        return checks

    def _foreign_key(self, fk: ForeignKey) -> sa.ForeignKeyConstraint | None:
        caps = self.capabilities
        parent = self._tables.get(fk.referred_table)
        if parent is None:
            self._warn(f"foreign key {fk.label}: {fk.referred_table} is not part of the schema; not created")
            return None
        deferrable: bool | None = None
        initially: str | None = None
        if fk.deferrable is not Deferrability.NOT_DEFERRABLE:
            if caps.deferrable_constraints:
                deferrable = True
                initially = "DEFERRED" if fk.deferrable is Deferrability.INITIALLY_DEFERRED else "IMMEDIATE"
            else:
                self._warn(f"foreign key {fk.label} is not DEFERRABLE on {self.dialect}")
        match = fk.match if fk.match and fk.match.upper() != "SIMPLE" else None
        if match is not None and not caps.fk_match:
            self._warn(f"foreign key {fk.label}: MATCH {match} is not carried to {self.dialect}")
            match = None
        name = self._object_name(fk.name)
        temporary = self.staging.foreign_key_name(name) if self.staging is not None and name else None
        if temporary is not None:
            self.staged_foreign_keys[fk] = temporary
        return sa.ForeignKeyConstraint(
            list(fk.constrained_columns),
            [parent.c[c] for c in fk.referred_columns],
            name=temporary or name,
            ondelete=_action(fk.on_delete),
            onupdate=_action(fk.on_update),
            deferrable=deferrable,
            initially=initially,
            match=match,
        )

    def _add(self, table: Table, constraint: sa.Constraint, *, optional: bool = False, suffix: str = "") -> None:
        """ALTER TABLE ... ADD ``constraint``, after the data."""
        self._tables[table.name].append_constraint(constraint)
        label = f"{type(constraint).__name__} {constraint.name or ''} on {table.name}".replace("  ", " ")
        self._post.append(Statement(self._compile(sa.schema.AddConstraint(constraint)) + suffix, optional, label))

    def _exclusion_constraints(self) -> None:
        """PostgreSQL's EXCLUDE constraints, after the data (which relsynth made to respect them)."""
        from relsynth.values.exclusion import resolvable  # what generation can honour

        for table in self.schema.tables:
            for constraint in table.exclusion_constraints:
                if not self.same_engine:
                    self._warn(f"exclusion constraint {constraint.name} on {table.name} is not carried to {self.dialect}")
                    continue
                for extension in constraint.extensions:  # btree_gist: trusted, a database owner may create it
                    self._post.append(Statement(f"CREATE EXTENSION IF NOT EXISTS {self._preparer.quote(extension)}"))
                name = f"CONSTRAINT {self._preparer.quote(constraint.name)} " if constraint.name else ""
                sql = f"ALTER TABLE {self._quote(self._names[table.name])} ADD {name}{constraint.definition}"
                # One whose conflicts the generator cannot resolve is best effort: refused, it is a warning.
                label = f"exclusion constraint {constraint.name} on {table.name}"
                self._post.append(Statement(sql, optional=not resolvable(table, constraint), label=label))


def _action(action: str | None) -> str | None:
    """ON DELETE/UPDATE: NO ACTION is the default everywhere, so it is left unsaid."""
    if action is None or action.upper() == "NO ACTION":
        return None
    return action.upper()
