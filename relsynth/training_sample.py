"""Which source rows training reads: whole tables, or whole families of units sampled in SQL.

A table no larger than ``max_rows`` whose context descendants are no larger either is read whole,
as it always was. Otherwise the highest table on the context path that still yields enough units
is sampled by the database (``extraction.sample_rows``) at the fraction that brings the largest
table of its family down to ``max_rows``, and every context descendant is read as the families
of the sampled rows (``extraction.read_children``): every sampled child has its sampled parent,
and a sampled parent has all of its children. Statistics that need every row (row counts,
children per parent, degrees) are not taken from these frames: learning asks SQL for them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from relsynth.extraction import (
    can_sample_in_sql,
    count_rows,
    distinct_values,
    null_key_rows,
    read_children,
    read_table,
    sample_rows,
)
from relsynth.modeling.encoding import NUMERIC_KINDS
from relsynth.planning import GenerationPlan
from relsynth.schema.elements import ForeignKey, QualifiedName, Table, TypeKind
from relsynth.values.rarity import calendar_day, fingerprint, rare_values

log = logging.getLogger(__name__)

UNITS_SHARE = 10  # a table becomes a sampling unit when it yields at least max_rows / UNITS_SHARE rows


@dataclass(frozen=True)
class SampleChoice:
    """How one table is read: whole (``fraction`` 1, no ``family_of``), as sampled units
    (``fraction`` < 1), or as the families of its context parent's sampled rows (``family_of``,
    rows whose context key is NULL sampled at ``fraction``)."""

    fraction: float = 1.0
    family_of: ForeignKey | None = None

    @property
    def sampled(self) -> bool:
        return self.fraction < 1.0 or self.family_of is not None


def choose_samples(
    generation_plan: GenerationPlan, rows: dict[QualifiedName, int], sampled: set[QualifiedName], *, max_rows: int
) -> dict[QualifiedName, SampleChoice]:
    """Each table's ``SampleChoice``; only the tables in ``sampled`` may be sampled (the others
    are read whole or not at all), and a family never reaches through one that is not."""
    context = {tp.table: tp.context_fk for tp in generation_plan.tables}
    largest = {name: rows.get(name, 0) if name in sampled else 0 for name in context}
    for table_plan in reversed(generation_plan.tables):  # children come after their parents
        fk = table_plan.context_fk
        if fk is not None and table_plan.table in sampled and fk.referred_table in sampled:
            largest[fk.referred_table] = max(largest[fk.referred_table], largest[table_plan.table])
    choices: dict[QualifiedName, SampleChoice] = {}
    for table_plan in generation_plan.tables:
        name, fk = table_plan.table, table_plan.context_fk
        parent = choices.get(fk.referred_table) if fk is not None else None
        if name not in sampled:
            choices[name] = SampleChoice()
        elif parent is not None and parent.sampled and fk.referred_table in sampled:
            choices[name] = SampleChoice(fraction=parent.fraction, family_of=fk)
        elif largest[name] > max_rows and (rows[name] > max_rows or rows[name] * max_rows / largest[name] >= max_rows / UNITS_SHARE):
            choices[name] = SampleChoice(fraction=max_rows / largest[name])
        else:
            choices[name] = SampleChoice()
    return choices


class TrainingSample:
    """Reads tables in plan order as ``choose_samples`` decided, keeping sampled parents' keys."""

    def __init__(self, choices: dict[QualifiedName, SampleChoice]) -> None:
        self.choices = choices
        self._frames: dict[QualifiedName, pd.DataFrame] = {}
        self._read_as_families: set[ForeignKey] = set()

    def read(self, connection: Connection, table: Table, *, columns: Sequence[str], max_rows: int | None, seed: int) -> pd.DataFrame:
        """``table``'s training rows (``max_rows`` None: every row, as for a copied table)."""
        choice = self.choices.get(table.name, SampleChoice())
        if max_rows is None or not choice.sampled:
            frame = read_table(connection, table, columns=columns, max_rows=max_rows, seed=seed)
        elif not can_sample_in_sql(connection):  # no seeded sample in SQL: drawn as the rows stream
            frame = read_table(connection, table, columns=columns, max_rows=max(1, round(choice.fraction * count_rows(connection, table.name))), seed=seed)
        elif choice.family_of is not None and self._has_keys(choice.family_of):
            frame = self._families(connection, table, choice, columns, seed)
            self._read_as_families.add(choice.family_of)
        else:
            frame = sample_rows(connection, table, columns=columns, fraction=choice.fraction, seed=seed)
        self._frames[table.name] = frame
        return frame

    def is_sampled(self, name: QualifiedName) -> bool:
        return name in self._frames and self.choices.get(name, SampleChoice()).sampled

    def has_families(self, table: Table, fk: ForeignKey) -> bool:
        """Whether ``table`` was read as the whole families of its parent's sampled rows through
        ``fk`` on integer keys: then its rows give each of those parents' children exactly.
        (Text keys may compare equal in SQL and not in Python: case, trailing spaces.)"""
        return (
            fk.table == table.name and fk in self._read_as_families
            and set(fk.constrained_columns) <= set(self._frames[table.name].columns)
            and all(table.column(c).type.kind is TypeKind.INTEGER for c in fk.constrained_columns)
        )

    def family_counts(self, connection: Connection, table: Table, fk: ForeignKey) -> pd.DataFrame:
        """``extraction.children_per_parent`` of ``fk`` for the parents read, where ``has_families``:
        counted in the rows read, but for rows whose key has a NULL (sampled on their own), which
        SQL counts, under the all-NULL key."""
        columns = list(fk.constrained_columns)
        keys = self._frames[table.name][columns]
        counts = keys.dropna().value_counts(sort=False).rename("__count").reset_index()
        nullable = [c for c in columns if table.column(c).nullable]
        null_rows = null_key_rows(connection, table.name, nullable) if nullable else 0
        if null_rows:
            nulls = pd.DataFrame({**{c: [None] for c in columns}, "__count": [null_rows]})
            counts = pd.concat([counts.astype({c: object for c in columns}), nulls], ignore_index=True)
        return counts.astype({"__count": np.int64})

    def _has_keys(self, fk: ForeignKey) -> bool:
        parent = self._frames.get(fk.referred_table)
        return parent is not None and set(fk.referred_columns) <= set(parent.columns)

    def _families(self, connection: Connection, table: Table, choice: SampleChoice, columns: Sequence[str], seed: int) -> pd.DataFrame:
        fk = choice.family_of
        assert fk is not None
        keys = self._frames[fk.referred_table][list(fk.referred_columns)]
        frame = read_children(connection, table, columns=columns, key_columns=fk.constrained_columns, parent_keys=keys)
        nullable = [c for c in fk.constrained_columns if table.column(c).nullable]
        if nullable:  # rows without a parent: sampled on their own, at the family's rate
            orphans = sample_rows(connection, table, columns=columns, fraction=choice.fraction, seed=seed, only_null=nullable)
            frame = pd.concat([frame, orphans], ignore_index=True) if len(orphans) else frame
        log.info("%s: %d rows read as the families of %d sampled %s rows", table.name, len(frame), len(keys), fk.referred_table)
        return frame



def exact_denylists(connection: Connection, table: Table, values: dict, *, min_count: int) -> None:
    """Replace the denylists ``fitting.fit_values`` drew from a sample with the whole table's,
    counted in SQL: a value seen fewer than ``min_count`` times in the source, or a real
    identifying value or birth date, may be missing from a sample, and then would not be refused.
    (The categories a model learns need no such care: a sample never counts a value more often
    than the table does, so one rare in the table is rare in the sample too.)"""
    for column in values["rare_rows"]["columns"] if min_count > 1 else ():
        if column in table.column_names and table.column(column).type.kind in NUMERIC_KINDS:
            kind = table.column(column).type.kind
            prints = [p for chunk in distinct_values(connection, table, column, seen_fewer_than=min_count)
                      for p in rare_values(chunk, kind, min_count=2)]  # each value once: all of them rare
            if prints:
                values["rare_values"][column] = sorted(prints)
            else:
                values["rare_values"].pop(column, None)
    for column in values["forbidden"]:
        identifying = column in values["identifying"]
        values["forbidden"][column] = sorted({
            fingerprint(value if identifying else calendar_day(value))  # birth dates by calendar day
            for chunk in distinct_values(connection, table, column) for value in chunk
        })
