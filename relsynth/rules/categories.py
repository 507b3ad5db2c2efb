"""Short code columns (state codes, ISO codes, flags) are learned as categories, never as free text.

A ``category`` rule acts before training, not after generation: a column that the role heuristics
took for free text (so the clone held "ARGUE" or "CA MODERN" where the source held "CA") is learned
by the table's model as a category of the source's codes instead. A role the config asks for wins.
Once trained, the category's rare code decodes to new codes of the rare codes' shape
(``relsynth.values.codes``), not to frequent ones: the rare share stays, no rare value is released.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from relsynth.config import TableOverride
from relsynth.modeling.encoding import RARE_CODE, CategoricalEncoder
from relsynth.roles import ColumnPlan, Role
from relsynth.rules.model import Rule, RuleKind
from relsynth.schema.elements import QualifiedName, TypeKind
from relsynth.values.codes import new_codes

if TYPE_CHECKING:
    from relsynth.modeling import TableModel


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


def with_new_codes(
    model: TableModel | None, table: QualifiedName, rules: Iterable[Rule], override: TableOverride, frame: pd.DataFrame,
    *, min_count: int, seed: int, rare_elsewhere: Callable[[str], set[str]] | None = None, checked: Iterable[str] = (),
) -> None:
    """Give each code column of ``model`` (a text category under an enabled ``category`` rule
    that the config leaves alone) new codes for its rare code, drawn from ``frame``'s values.
    ``rare_elsewhere``: a column's rare values in the whole table, where ``frame`` is a sample.
    ``checked``: columns a CHECK reads (``state IN ('CA', 'NY')``), left as they are."""
    codes = {r.column for r in rules if r.kind is RuleKind.CATEGORY and r.table == table and r.enabled} - set(checked)
    for encoder in model.encoders if model is not None else ():
        name = encoder.spec.name
        if not isinstance(encoder, CategoricalEncoder) or encoder.spec.kind is not TypeKind.TEXT:
            continue
        if name not in codes or name in override.columns or name not in frame.columns or encoder.counts[RARE_CODE] == 0:
            continue
        avoid = rare_elsewhere(name) if rare_elsewhere is not None else set()
        column_seed = seed ^ zlib.crc32(name.encode())  # two code columns of a table draw apart
        encoder.novel = new_codes(frame[name], min_count=min_count, seed=column_seed, avoid=avoid)
