"""Children per parent key for every foreign key training learns a count or a degree through,
exact over the whole child table (not its training sample), with as few scans as possible.

A child read as the whole families of its parent's sampled rows already holds every child of
each parent read: its counts come from those rows (``TrainingSample.family_counts``), with no
scan. Every other foreign key of a child table is counted when the first of them is asked for,
all in one query where the engine has GROUPING SETS (``extraction.children_per_parent_sets``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pandas as pd
from sqlalchemy.engine import Connection

from relsynth.extraction import children_per_parent_sets
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema
from relsynth.training_sample import TrainingSample

_Key = tuple[QualifiedName, tuple[str, ...]]


class ChildCounts:
    """``counts(fk)``: ``fk``'s key columns in the child with the count of child rows per value,
    for each of ``fks`` (those asked for later); ``families``: whether rows read as families may
    give them (not under differential privacy, whose bounds may drop rows)."""

    def __init__(
        self, connection: Connection, schema: Schema, sample: TrainingSample, fks: Iterable[ForeignKey], *, families: bool = True
    ) -> None:
        self.connection, self.schema, self.sample, self.families = connection, schema, sample, families
        self._pending: dict[QualifiedName, list[tuple[str, ...]]] = {}
        self._uses: Counter[_Key] = Counter()
        for fk in fks:
            if not self._from_families(fk):
                wanted = self._pending.setdefault(fk.table, [])
                wanted += [fk.constrained_columns] if fk.constrained_columns not in wanted else []
                self._uses[(fk.table, fk.constrained_columns)] += 1
        self._found: dict[_Key, pd.DataFrame] = {}

    def __call__(self, fk: ForeignKey) -> pd.DataFrame:
        if self._from_families(fk):
            return self.sample.family_counts(self.connection, self.schema.table(fk.table), fk)
        key = (fk.table, fk.constrained_columns)
        if key not in self._found:
            wanted = self._pending.pop(fk.table, [])
            wanted += [fk.constrained_columns] if fk.constrained_columns not in wanted else []
            for columns, counts in zip(wanted, children_per_parent_sets(self.connection, fk.table, wanted), strict=True):
                self._found[(fk.table, columns)] = counts
        self._uses[key] -= 1
        # held only until its last use: a large child's counts hold a row per parent
        return self._found.pop(key) if self._uses[key] <= 0 else self._found[key]

    def _from_families(self, fk: ForeignKey) -> bool:
        return self.families and self.sample.has_families(self.schema.table(fk.table), fk)
