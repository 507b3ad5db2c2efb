"""Indexes on the target: the source's own CREATE INDEX on the same engine, otherwise rebuilt from
columns, translated expressions and predicates, where the target has such indexes."""

from __future__ import annotations

import sqlalchemy as sa
import sqlglot
import sqlglot.errors
from sqlglot import exp

from relsynth.engines import capabilities_for
from relsynth.schema.ddl.base import WriterBase
from relsynth.schema.ddl.statements import Statement
from relsynth.schema.elements import Index, Table


class IndexesPart(WriterBase):
    """CREATE INDEX statements, after the data."""

    def _index(self, table: Table, index: Index) -> None:
        if self.same_engine and index.definition:
            self._post.append(Statement(index.definition))
            return
        sa_table = self._tables[table.name]
        expressions: list[object] = []
        for expression in index.expressions:
            if expression in sa_table.c:
                expressions.append(sa_table.c[expression])
            elif self.same_engine:
                expressions.append(sa.text(expression))
            elif (translated := self._index_expression(expression, table, index)) is not None:
                expressions.append(sa.text(f"({translated})"))  # parenthesised: SQLite and PostgreSQL want it so
            else:
                self._warn(f"index {index.name} on {table.name}: expression {expression} is not carried")
                return
        kwargs = self._index_options(table, index)
        if kwargs is None:
            return
        if not any(isinstance(e, sa.Column) for e in expressions):
            kwargs["_table"] = sa_table  # expressions alone do not tell SQLAlchemy the table
        sa_index = sa.Index(self._object_name(index.name), *expressions, unique=index.unique, **kwargs)
        self._post.append(Statement(self._compile(sa.schema.CreateIndex(sa_index))))

    def _index_options(self, table: Table, index: Index) -> dict[str, object] | None:
        """The predicate and method of ``index`` as SQLAlchemy options; None: the index is not carried."""
        kwargs: dict[str, object] = {}
        if index.where is not None:
            if self.same_engine:
                kwargs[f"{self.dialect}_where"] = sa.text(index.where)
            elif (translated := self._index_expression(index.where, table, index)) is not None:
                kwargs[f"{self.dialect}_where"] = sa.text(translated)
            elif index.unique:
                self._warn(f"partial unique index {index.name} on {table.name} is not carried to {self.dialect}")
                return None
            else:
                self._warn(f"index {index.name} on {table.name} covers all rows on {self.dialect} (was partial)")
        if index.method and self.same_engine and self.capabilities.index_methods:
            kwargs[f"{self.dialect}_using"] = index.method
        elif index.method and index.method.lower() not in ("btree", "") and not self.same_engine:
            self._warn(f"index {index.name} on {table.name}: method {index.method} becomes the default")
        return kwargs

    def _index_expression(self, sql: str, table: Table, index: Index) -> str | None:
        """An index's expression or predicate in the target's syntax, where the target has such
        indexes (PostgreSQL and SQLite; MariaDB has neither partial nor expression indexes)."""
        if not self.capabilities.expression_indexes:
            return None
        source = capabilities_for(self.schema.dialect).sqlglot_dialect
        try:  # an enum or domain is a plain type elsewhere: ``feeling = 'happy'::mood`` compares the text
            tree = sqlglot.parse_one(sql, read=source).transform(
                lambda n: n.this if isinstance(n, exp.Cast) and n.to.this == exp.DataType.Type.USERDEFINED else n
            )
            sql = tree.sql(dialect=source)
        except sqlglot.errors.SqlglotError:
            pass  # _expression says why it cannot carry it
        return self._expression(sql, table, what=f"index {index.name}", columns=table.column_names)
