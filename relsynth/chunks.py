"""Cutting one table's generation into chunks, so that memory follows the chunk, not the table.

A table's rows are generated, checked and loaded a chunk at a time. Chunks are cut between
parents, never inside one parent's children, so everything decided among siblings (numbering
1..k, a composite key that includes the parent's key) holds within a chunk. Each chunk has its
own seed (the run's seed, the table and the chunk's index) and its own range of owned integer
keys (its first planned row), so a chunk's rows do not depend on which worker makes it or when.

A table whose generation needs all its rows at once is made in one piece; ``whole_table_reason``
says why, so that the choice is visible in the log.
"""

from __future__ import annotations

import numpy as np

from relsynth.assignment import NO_PARENT
from relsynth.planning import TablePlan
from relsynth.roles import Role
from relsynth.runs import TableArtifact
from relsynth.schema.elements import Table


def chunk_spans(parent_index: np.ndarray, chunk_rows: int) -> list[tuple[int, int]]:
    """``[start, stop)`` row ranges of about ``chunk_rows`` rows that cover ``parent_index``, cut only
    where the parent changes (rows without a parent may be cut anywhere). A parent with more than
    ``chunk_rows`` children makes one longer chunk."""
    n = len(parent_index)
    if n <= chunk_rows:
        return [(0, n)]
    changes = (parent_index[1:] != parent_index[:-1]) | (parent_index[1:] == NO_PARENT)
    starts = np.concatenate([[0], np.flatnonzero(changes) + 1])  # the first row of each parent's children
    wanted = np.arange(chunk_rows, n, chunk_rows)
    at = np.searchsorted(starts, wanted)  # the first parent that starts at or after each wanted cut
    cuts = np.unique(starts[at[at < len(starts)]])
    bounds = [0, *(int(c) for c in cuts if 0 < c < n), n]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def whole_table_reason(
    table: Table, table_plan: TablePlan, artifact: TableArtifact, *, waiting: bool, rules_need_all: bool
) -> str | None:
    """Why ``table`` must be generated in one piece, or None when chunks can make it."""
    context = set(table_plan.context_fk.constrained_columns) if table_plan.context_fk is not None else set()
    owned = {c.name for c in artifact.columns if c.role is Role.KEY}
    if waiting:
        return "it waits for later tables (a deferred key or a rule over its children)"
    if rules_need_all:
        return "a rule compares rows across its parents (a sequence under another key, or through a self-reference)"
    if any(index.unique and index.where is not None for index in table.indexes):
        return "a partial unique index is kept among all its rows"
    if table.exclusion_constraints:
        return "an exclusion constraint compares every pair of rows"
    if any(fk.is_self_reference or fk in table_plan.unique_fks for fk in table_plan.secondary_fks):
        return "a one-to-one or self-referencing key is dealt over the whole table"
    if any(state.get("kind") == "text" for name, state in (artifact.values.get("keys") or {}).items() if name in owned):
        return "its text keys are drawn at random, unique only among the keys of one piece"
    for key in table.unique_keys():
        if not (set(key) & owned or context and context <= set(key)):
            return f"its unique key ({', '.join(key)}) is kept unique among all its rows"
    return None
