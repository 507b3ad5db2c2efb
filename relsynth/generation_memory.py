"""What generation keeps of each table once it is written, and when it lets a table go.

A table's rows are written (yielded to the loader) as soon as they are complete, but later
tables still read parts of it: a child's context parent lends its model frame (the context
columns and the children count), a parent of a secondary or deferred key lends its cluster
labels, degree column and referred key columns, and relational rules read columns through
foreign keys. ``Retention`` computes, from the plan and the run's rules alone, which columns
each table must keep and the plan position of its last reader, so that generation holds only
those columns, and nothing at all of a table no later step reads: memory follows what is still
needed, not everything generated.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from relsynth.rules.enforcement import Enforcement
from relsynth.runs import Run
from relsynth.schema.elements import ForeignKey, QualifiedName

END = 1 << 30  # the plan position of the end phase: deferred keys, late rules, waiting tables


@dataclass(frozen=True)
class Needs:
    """What later steps read of one table: row columns, model columns, cluster labels, and until when."""

    rows: frozenset[str]
    model: frozenset[str]
    clusters: bool
    last_reader: int  # plan position of the last table that reads it (``END``: the end phase)


class Retention:
    """Per table, what to keep once it is written and when to release it (pure: plan, run and rules)."""

    def __init__(
        self, run: Run, rules: Enforcement, *, waiting: set[QualifiedName], order: list[QualifiedName] | None = None
    ) -> None:
        """``order``: the order tables are made in (default: the plan's; tree walks reorder it)."""
        order = order if order is not None else [tp.table for tp in run.plan.tables]
        positions = {name: index for index, name in enumerate(order)}
        fk_ids = {fk: index for index, fk in enumerate(run.schema.foreign_keys)}
        rows: dict[QualifiedName, set[str]] = defaultdict(set)
        model: dict[QualifiedName, set[str]] = defaultdict(set)
        clusters: set[QualifiedName] = set()
        last = {name: (END if name in waiting else index) for name, index in positions.items()}
        # who reads each table: a table name, or None for the end phase (deferred keys, late rules)
        self.readers: dict[QualifiedName, set[QualifiedName | None]] = defaultdict(set)
        by_position = {index: name for name, index in positions.items()}

        def read(table: QualifiedName, at: int) -> None:
            last[table] = max(last.get(table, at), at)
            self.readers[table].add(None if at == END else by_position[at])

        def keyed(fk: ForeignKey, at: int) -> None:
            """A key filled from a parent's rows (secondary or deferred): keys, clusters, degrees."""
            parent = fk.referred_table
            rows[parent] |= set(fk.referred_columns)
            clusters.add(parent)
            if (degree := _artifact_map(run, parent, "degrees").get(fk_ids[fk])) is not None:
                model[parent].add(degree)
            read(parent, at)

        for table_plan in run.plan.tables:
            index = positions[table_plan.table]
            if (fk := table_plan.context_fk) is not None:
                parent = fk.referred_table
                rows[parent] |= set(fk.referred_columns)
                model[parent] |= _context_columns(run, table_plan.table)
                if (count := _artifact_map(run, parent, "children").get(fk_ids[fk])) is not None:
                    model[parent].add(count)
                read(parent, index)
            for fk in table_plan.secondary_fks:
                keyed(fk, index)
            for deferred in table_plan.deferred_fks:
                keyed(deferred.foreign_key, END)
        late = set(rules.late)
        for rule, reads in rules.reads.items():
            at = END if rule in late else positions.get(rule.table, END)
            for owner, column in reads.reads:
                if owner == rule.table and rule not in late:  # read within the rows (or chunk) being made
                    continue
                rows[owner].add(column)
                read(owner, at)
        self.needs = {
            name: Needs(rows=frozenset(rows[name]), model=frozenset(model[name]), clusters=name in clusters, last_reader=last[name])
            for name in positions
        }
        self._released_at: dict[int, list[QualifiedName]] = defaultdict(list)
        for name, needs in self.needs.items():
            self._released_at[needs.last_reader].append(name)

    def kept_rows(self, name: QualifiedName, rows: pd.DataFrame) -> pd.DataFrame:
        """``rows`` with only the columns later steps read (the row count stays: parents are counted)."""
        return rows[[c for c in rows.columns if c in self.needs[name].rows]]

    def kept_model(self, name: QualifiedName, model: pd.DataFrame) -> pd.DataFrame:
        return model[[c for c in model.columns if c in self.needs[name].model]]

    def keeps_clusters(self, name: QualifiedName) -> bool:
        return self.needs[name].clusters

    def released_after(self, position: int) -> list[QualifiedName]:
        """Tables that nothing reads once the table at plan ``position`` is generated."""
        return list(self._released_at.get(position, ()))


def _artifact_map(run: Run, table: QualifiedName, attribute: str) -> dict:
    """A table artifact's map from foreign key id to helper column (``children``, ``degrees``)."""
    artifact = run.tables.get(table)
    return (getattr(artifact, attribute, None) or {}) if artifact is not None else {}


def _context_columns(run: Run, child: QualifiedName) -> set[str]:
    """The parent model columns ``child`` is conditioned on (its model's context)."""
    artifact = run.tables.get(child)
    if artifact is None or artifact.model is None:
        return set()
    return {spec.name for spec in artifact.model.context_specs}


def _libc_trim():
    """glibc's ``malloc_trim`` where there is one (Linux): it gives freed heap pages back to the OS."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _libc_trim()


def give_back_memory() -> None:
    """Free what a finished chunk left: cycles among its frames, then the heap pages they held, so
    the next chunk reuses memory instead of growing it (RSS otherwise creeps up chunk by chunk)."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


T = TypeVar("T")


def with_frozen_heap(stream: Iterator[T]) -> Iterator[T]:
    """``stream``, with the objects alive when it starts left out of garbage collection until it ends.

    The run (its artifacts: some 700k small lists on TPC-H SF 0.1) is alive from the start of
    generation to its end and is never garbage, yet every full collection walked it: half a second
    each, for ``give_back_memory`` between chunks and for Python's own. Objects the stream makes
    are collected as before. Left as it is when the caller froze objects itself (``gc.freeze``).
    """
    if gc.get_freeze_count():
        yield from stream
        return
    gc.freeze()
    try:
        yield from stream
    finally:
        gc.unfreeze()
