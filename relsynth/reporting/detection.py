"""Detection: can a classifier tell real rows from synthetic ones? (0.5 = it cannot.)

Per table, a gradient-boosted classifier is cross-validated on a balanced sample of real and
synthetic rows. Its features are the table's own non-key columns, the number of children each
row has through every foreign key that refers to it, and the columns of its parent along its
first foreign key, so that a clone with realistic columns but wrong relationships is caught.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from threadpoolctl import threadpool_limits

from relsynth.reporting.columns import Shape, as_category, as_numeric, modeled_columns
from relsynth.reporting.fidelity import PARENT_PREFIX, fan_out, join_parent
from relsynth.schema.elements import QualifiedName, Schema, Table

CHILDREN_PREFIX = "__children__"
MAX_ROWS = 2_000  # per side: accuracy settles well before this, and it keeps the report fast
FOLDS = 3
MAX_CATEGORIES = 250  # HistGradientBoosting's native categorical limit (minus the NULL bin)


@dataclass(frozen=True)
class Detection:
    table: QualifiedName
    accuracy: float  # mean cross-validated accuracy, floored at 0.5 (= indistinguishable)
    rows: int  # per side
    features: tuple[str, ...]
    raw_accuracy: float = 0.5  # before the floor: below chance when real rows have synthetic twins


def children_column(label: str) -> str:
    return CHILDREN_PREFIX + label


def augment(schema: Schema, tables: Mapping[QualifiedName, pd.DataFrame]) -> dict[QualifiedName, pd.DataFrame]:
    """Add each row's child counts per referring FK and its first parent's columns (whole tables)."""
    out: dict[QualifiedName, pd.DataFrame] = {}
    for table in schema.tables:
        if table.name not in tables:
            continue
        frame = tables[table.name].reset_index(drop=True)
        extra = {}
        for fk in schema.foreign_keys:
            if fk.referred_table == table.name and fk.table in tables:
                extra[children_column(fk.label)] = fan_out(frame, tables[fk.table], fk).to_numpy()
        if extra:
            frame = pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)
        first = _first_fk(table)
        if first is not None and first.referred_table in tables:
            parent = tables[first.referred_table]
            joined = join_parent(parent, frame[list(first.constrained_columns)], first)
            parent_cols = [c for c in joined.columns if c.startswith(PARENT_PREFIX)]
            joined = joined[parent_cols].reset_index(drop=True)
            joined.index = frame.index
            frame = pd.concat([frame, joined], axis=1)
        out[table.name] = frame
    return out


def _first_fk(table: Table):
    return table.foreign_keys[0] if table.foreign_keys else None


def feature_shapes(schema: Schema, table: Table, real: pd.DataFrame) -> dict[str, Shape]:
    shapes = dict(modeled_columns(schema, table, real))
    for column in real.columns:
        if column.startswith(CHILDREN_PREFIX):
            shapes[column] = Shape.NUMERICAL
    first = _first_fk(table)
    if first is not None and first.referred_table in schema.table_names:
        parent = schema.table(first.referred_table)
        parent_real = real[[c for c in real.columns if c.startswith(PARENT_PREFIX)]]
        parent_real = parent_real.rename(columns=lambda c: c[len(PARENT_PREFIX):])
        for name, shape in modeled_columns(schema, parent, parent_real).items():
            shapes[PARENT_PREFIX + name] = shape
    return shapes


def _encode(real: pd.DataFrame, synthetic: pd.DataFrame, shapes: Mapping[str, Shape]):
    columns, categorical = [], []
    for name, shape in shapes.items():
        if shape.continuous:
            columns.append(np.concatenate([as_numeric(real[name], shape), as_numeric(synthetic[name], shape)]))
            categorical.append(False)
            continue
        values = pd.concat([as_category(real[name]), as_category(synthetic[name])], ignore_index=True)
        counts = values.value_counts(dropna=True)
        if len(counts) <= MAX_CATEGORIES:
            codes = values.map({v: i for i, v in enumerate(counts.index)})
            columns.append(codes.to_numpy(float))  # NULL -> NaN, HGB's missing category
            categorical.append(True)
        else:  # frequency encoding for high-cardinality labels
            columns.append(values.map(counts).fillna(0).to_numpy(float))
            categorical.append(False)
    x, categorical = np.column_stack(columns), np.array(categorical)
    # Columns with fewer than two distinct values tell nothing apart (and break the binning).
    informative = np.array([len(np.unique(col[~np.isnan(col)])) > 1 for col in x.T], dtype=bool)
    return x[:, informative], categorical[informative]


def compute_detection(
    schema: Schema,
    real: Mapping[QualifiedName, pd.DataFrame],
    synthetic: Mapping[QualifiedName, pd.DataFrame],
    *,
    seed: int = 0,
    max_rows: int = MAX_ROWS,
) -> tuple[Detection, ...]:
    """Cross-validated real-vs-synthetic accuracy per table, on augmented frames (see ``augment``)."""
    results = []
    for index, table in enumerate(schema.tables):
        if table.name not in real or table.name not in synthetic:
            continue
        r, s = real[table.name], synthetic[table.name]
        n = min(len(r), len(s), max_rows)
        if n < 2 * FOLDS:
            continue
        shapes = {c: sh for c, sh in feature_shapes(schema, table, r).items() if c in s.columns}
        if not shapes:
            continue
        rng = np.random.default_rng([seed, index])
        r = r.iloc[rng.choice(len(r), n, replace=False)]
        s = s.iloc[rng.choice(len(s), n, replace=False)]
        x, categorical = _encode(r, s, shapes)
        if x.shape[1] == 0:
            continue
        y = np.concatenate([np.ones(n), np.zeros(n)])
        model = HistGradientBoostingClassifier(
            max_iter=60, learning_rate=0.1, categorical_features=categorical if categorical.any() else None,
            random_state=seed,
        )
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
        # One OpenMP thread: on a shared, small machine more threads make the boosting far slower.
        with threadpool_limits(1):
            accuracy = float(np.mean(cross_val_score(model, x, y, cv=folds, scoring="accuracy")))
        if not math.isnan(accuracy):
            results.append(Detection(table.name, max(0.5, accuracy), n, tuple(shapes), accuracy))
    return tuple(results)
