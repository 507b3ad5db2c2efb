"""Views (in the order their definitions need), comments and triggers: same engine only, after
the data, each best effort."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from relsynth.schema.ddl.base import WriterBase
from relsynth.schema.ddl.statements import Statement
from relsynth.schema.elements import View


class ViewsPart(WriterBase):
    """CREATE VIEW, COMMENT ON and CREATE TRIGGER statements."""

    def _views(self) -> list[View]:
        if not self.schema.views:
            return []
        if not self.same_engine:
            for view in self.schema.views:
                self._warn(f"view {view.name} is not carried to {self.dialect} (its SQL is {self.schema.dialect}'s)")
            return []
        return dependency_order(self.schema.views)

    def _view_statements(self) -> None:
        for view in self._views():
            keyword = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            definition = view.definition.strip().rstrip(";")
            # Best effort: a view may call functions relsynth does not carry (they are warnings).
            self._post.append(
                Statement(
                    f"CREATE {keyword} {self._quote(self._names[view.name])} AS {definition}",
                    optional=True,
                    label=f"view {view.name}",
                    by_name=True,
                )
            )
            self._post += [
                Statement(ix.definition, optional=True, label=f"index {ix.name} on {view.name}", by_name=True)
                for ix in view.indexes
                if ix.definition
            ]

    def _comments(self) -> None:
        caps = self.capabilities
        commented = [t for t in self.schema.tables if t.comment or any(c.comment for c in t.columns)]
        commented_views = [v for v in self._views() if v.comment]
        if caps.inline_comments:
            for view in commented_views:
                self._warn(f"comment on view {view.name} is not carried to {self.dialect}")
            return
        if not caps.comment_statements:
            if commented or commented_views:
                self._warn(f"comments are not carried to {self.dialect}")
            return
        for table in commented:
            sa_table = self._tables[table.name]
            if table.comment:
                sa_table.comment = table.comment
                self._post.append(Statement(self._compile(sa.schema.SetTableComment(sa_table))))
            for column in table.columns:
                if column.comment:
                    sa_table.c[column.name].comment = column.comment
                    self._post.append(Statement(self._compile(sa.schema.SetColumnComment(sa_table.c[column.name]))))
        for view in commented_views:
            keyword = "MATERIALIZED VIEW" if view.materialized else "VIEW"
            self._post.append(
                Statement(
                    f"COMMENT ON {keyword} {self._quote(self._names[view.name])} IS {self._literal(view.comment or '')}",
                    by_name=True,
                )
            )

    def _triggers(self) -> None:
        """Triggers last, after the data: they must not rewrite the generated rows as they load."""
        for trigger in self.schema.triggers:
            if not self.same_engine:
                self._warn(f"trigger {trigger.name} on {trigger.table} is not carried to {self.dialect}")
                continue
            self._post.append(
                Statement(
                    trigger.definition, optional=True, label=f"trigger {trigger.name} on {trigger.table}", by_name=True
                )
            )


def dependency_order(views: Iterable[View]) -> list[View]:
    """Views after the views their definition names (a view may select from another)."""
    pending = list(views)
    ordered: list[View] = []
    while pending:
        for view in pending:
            others = [v for v in pending if v is not view]
            if not any(re.search(rf"\b{re.escape(o.name.name)}\b", view.definition) for o in others):
                break
        else:
            view = pending[0]  # a cycle of names: keep the source's order
        ordered.append(view)
        pending.remove(view)
    return ordered
