"""Short code columns (state codes, ISO codes, flags) are learned as categories, never as free text.

A ``category`` rule acts before training, not after generation: a column that the role heuristics
took for free text (so the clone held "ARGUE" or "CA MODERN" where the source held "CA") is learned
by the table's model as a category of the source's codes instead. A role the config asks for wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from relsynth.config import TableOverride
from relsynth.roles import ColumnPlan, Role
from relsynth.rules.model import Rule, RuleKind
from relsynth.schema.elements import QualifiedName


def _most_seen(values: pd.Series) -> int:
    counts = values.dropna().value_counts()
    return int(counts.iloc[0]) if len(counts) else 0


def as_categories(
    columns: tuple[ColumnPlan, ...], table: QualifiedName, rules: Iterable[Rule], override: TableOverride,
    *, frame: pd.DataFrame | None = None, min_count: int = 1,
) -> tuple[ColumnPlan, ...]:
    """``columns`` with each code column of ``table`` that was to be free text learned by the model.

    Every discovered code column counts, whatever its support: a category is learned, not forced,
    so its values keep their source shares. But only where some code is seen ``min_count`` (k)
    times in ``frame``: a category emits no value seen fewer times, so a column of codes each seen
    once (a SKU) would come out empty; it stays text, synthesised from frequent characters.
    """
    codes = {r.column for r in rules if r.kind is RuleKind.CATEGORY and r.table == table and r.enabled}
    if frame is not None:
        codes = {c for c in codes if c in frame.columns and _most_seen(frame[c]) >= min_count}
    return tuple(
        replace(c, role=Role.MODEL) if c.name in codes and c.role is Role.TEXT and c.name not in override.columns else c
        for c in columns
    )
