"""Short code columns (state codes, ISO codes, flags) are learned as categories, never as free text.

A ``category`` rule acts before training, not after generation: a column that the role heuristics
took for free text (so the clone held "ARGUE" or "CA MODERN" where the source held "CA") is learned
by the table's model as a category of the source's codes instead. A role the config asks for wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from relsynth.config import TableOverride
from relsynth.roles import ColumnPlan, Role
from relsynth.rules.model import Rule, RuleKind
from relsynth.schema.elements import QualifiedName


def as_categories(
    columns: tuple[ColumnPlan, ...], table: QualifiedName, rules: Iterable[Rule], override: TableOverride
) -> tuple[ColumnPlan, ...]:
    """``columns`` with each code column of ``table`` that was to be free text learned by the model.

    Every discovered code column counts, whatever its support: a category is learned, not forced,
    so its values keep their source shares.
    """
    codes = {r.column for r in rules if r.kind is RuleKind.CATEGORY and r.table == table and r.enabled}
    return tuple(
        replace(c, role=Role.MODEL) if c.name in codes and c.role is Role.TEXT and c.name not in override.columns else c
        for c in columns
    )
