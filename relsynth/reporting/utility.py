"""Utility: train on synthetic, test on real (TSTR) against train real, test real (TRTR).

For each target column a boosted-tree model is fitted twice, once on the clone's rows and once on
the real rows the run trained on, and both are scored on the real rows the run held out. A row's
features are its own columns, its parents' columns along each foreign key, and aggregates of its
children in every child table (count, mean of each number, distinct count of each category): the
question a user of a relational database asks. The ratio TSTR / TRTR is the headline, with a
bootstrap interval over the test rows; feature-importance agreement is the rank correlation of the
two models' permutation importances.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from relsynth.reporting.columns import Shape, as_category, as_numeric, modeled_columns
from relsynth.reporting.sql import core_table
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table, TypeKind

MAX_ROWS = 200_000  # rows read per table; a larger table is cut (the note says so)
MAX_CLASSES = 20  # a category with more values is not proposed as a target
MIN_TEST_ROWS = 30  # fewer held-out rows give no utility figure for the table
BOOTSTRAP_ROUNDS = 200
_NUMERIC = {TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL}
_TEMPORAL = {TypeKind.DATE, TypeKind.TIMESTAMP}


@dataclass(frozen=True)
class UtilityScore:
    table: str
    target: str
    task: str  # "classification" | "regression"
    metric: str  # "auc" (two classes), "macro_f1" (more), "r2"
    real: float  # TRTR
    synthetic: float  # TSTR
    ratio: float | None  # synthetic / real; None where the real model does not predict
    ci_low: float | None
    ci_high: float | None
    importance_correlation: float | None
    accuracy_or_mae: tuple[float, float]  # accuracy (classification) or MAE (regression): real, synthetic
    train_rows: tuple[int, int]  # real, synthetic
    test_rows: int
    features: int


@dataclass(frozen=True)
class Utility:
    scores: tuple[UtilityScore, ...]
    proposed: tuple[str, ...]  # targets relsynth chose itself ("table.column")
    notes: tuple[str, ...]

    @property
    def worst_ratio(self) -> float | None:
        ratios = [s.ratio for s in self.scores if s.ratio is not None]
        return min(ratios) if ratios else None


def propose_target(schema: Schema, table: Table, frame: pd.DataFrame, excluded: Sequence[str] = ()) -> str | None:
    """A low-cardinality category, else a number with spread; never a key, free text or identifying."""
    best: tuple[float, str] | None = None
    for name, shape in modeled_columns(schema, table, frame).items():
        values = frame[name].dropna()
        if name in excluded or len(values) < MIN_TEST_ROWS:
            continue
        shares = as_category(values).value_counts(normalize=True)
        if 2 <= len(shares) <= MAX_CLASSES and shares.iloc[0] < 0.95:
            entropy = float(-(shares * np.log(shares)).sum())
            best = max(best or (entropy + 10.0, name), (entropy + 10.0, name))  # categories first
        elif shape is Shape.NUMERICAL and values.nunique() >= 20 and float(as_numeric(values, shape).std()) > 0:
            best = max(best or (0.0, name), (math.log(values.nunique()), name))
    return best[1] if best else None


def compute_utility(
    schema: Schema,
    real: Mapping[QualifiedName, pd.DataFrame],
    synthetic: Mapping[QualifiedName, pd.DataFrame],
    holdout: Mapping[QualifiedName, pd.DataFrame],
    *,
    targets: Sequence[str] = (),
    identifying: Mapping[QualifiedName, Sequence[str]] | None = None,
    seed: int = 0,
) -> Utility:
    """TSTR against TRTR for ``targets`` ("table.column"), or one proposed target per held-out table."""
    from threadpoolctl import threadpool_limits

    notes: list[str] = []
    chosen, proposed = _targets(schema, real, holdout, targets, identifying or {}, notes)
    scores = []
    with threadpool_limits(1):  # OpenMP threads on a busy machine spin: measured 100x slower
        for table, column in chosen:
            try:
                score = _score(schema, table, column, real, synthetic, holdout, seed, notes)
            except ValueError as error:  # a figure the data cannot give must not cost the whole report
                notes.append(f"utility target {table.name}.{column}: no figure ({str(error).splitlines()[0][:160]})")
                continue
            if score is not None:
                scores.append(score)
    return Utility(tuple(scores), tuple(proposed), tuple(notes))


def _targets(schema, real, holdout, targets, identifying, notes):  # type: ignore[no-untyped-def]
    chosen: list[tuple[Table, str]] = []
    for target in targets:
        table_name, _, column = target.rpartition(".")
        table = _find_table(schema, table_name)
        if table is None or column not in table.column_names:
            notes.append(f"utility target {target} is not a column of the source; skipped")
        elif table.name not in holdout:
            notes.append(f"utility target {target}: the run held out no rows of {table.name}, so there is no real test set")
        else:
            chosen.append((table, column))
    proposed = []
    if not targets:
        for name in holdout:
            if name in real and name in schema.table_names:
                table = schema.table(name)
                column = propose_target(schema, table, real[name], identifying.get(name, ()))
                if column is not None:
                    chosen.append((table, column))
                    proposed.append(f"{name}.{column}")
    if not holdout:
        notes.append("no utility figure: the run kept no holdout rows (pass --workspace of a run trained with holdout_fraction > 0)")
    return chosen, proposed


def _find_table(schema: Schema, name: str) -> Table | None:
    """``name`` as ``schema.table`` (the default schema written out or not) or a bare name."""
    namespace, _, bare = name.rpartition(".")
    for table in schema.tables:
        if name in (str(table.name), table.name.name) or bare == table.name.name and table.name.schema in (None, namespace):
            return table
    return None


def tables_needed(schema: Schema, targets: Sequence[QualifiedName]) -> list[QualifiedName]:
    """The target tables with their parents and children: what relational features read."""
    needed = set(targets)
    for fk in schema.foreign_keys:
        if fk.table in targets or fk.referred_table in targets:
            needed |= {fk.table, fk.referred_table}
    return [name for name in schema.table_names if name in needed]


def read_frames(connection: Connection, schema: Schema, names: Sequence[QualifiedName], notes: list[str]) -> dict[QualifiedName, pd.DataFrame]:
    """Whole tables (up to ``MAX_ROWS`` each), with the schema's column names."""
    frames = {}
    for name in names:
        table = schema.table(name)
        rows = connection.execute(sa.select(core_table(table)).limit(MAX_ROWS + 1)).all()
        if len(rows) > MAX_ROWS:
            notes.append(f"utility reads the first {MAX_ROWS} rows of {name}")
        frames[name] = pd.DataFrame.from_records(rows[:MAX_ROWS], columns=list(table.column_names))
    return frames


# -- features ---------------------------------------------------------------------------------
def relational_features(schema: Schema, table: Table, frames: Mapping[QualifiedName, pd.DataFrame], shapes) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """One row per row of ``frames[table]``: own columns, parents' columns, children's aggregates.

    ``shapes`` maps a table to its modelled columns (decided once on the real rows, so both
    sides get the same features).
    """
    frame = frames[table.name]
    parts = [_own(frame, shapes[table.name])]
    for index, fk in enumerate(table.foreign_keys):
        if fk.referred_table in frames and fk.referred_table in shapes:
            parts.append(_parent(frame, fk, frames[fk.referred_table], shapes[fk.referred_table], f"parent{index}."))
    for child in schema.tables:
        for index, fk in enumerate(child.foreign_keys):
            if fk.referred_table == table.name and child.name in frames and child.name in shapes:
                prefix = f"{child.name.name}{index}."
                parts.append(_children(frame, fk, frames[child.name], shapes[child.name], prefix))
    return pd.concat(parts, axis=1)


def _own(frame: pd.DataFrame, shapes: Mapping[str, Shape]) -> pd.DataFrame:
    columns = {}
    for name, shape in shapes.items():
        columns[name] = as_numeric(frame[name], shape) if shape.continuous else as_category(frame[name])
    return pd.DataFrame(columns, index=frame.index)


def _keys(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """A row's key as one label (NULL where any part is NULL), comparable across engines."""
    parts = [as_category(frame[c]) for c in columns]
    joined = pd.Series(["\x1f".join(p) if None not in p else None for p in zip(*parts, strict=True)], index=frame.index, dtype=object)
    return joined if parts else pd.Series(None, index=frame.index, dtype=object)


def _parent(frame: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame, shapes, prefix: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    own = _own(parent, shapes).add_prefix(prefix)
    own.index = _keys(parent, fk.referred_columns)
    own = own[~own.index.duplicated()]
    return own.reindex(_keys(frame, fk.constrained_columns)).set_axis(frame.index)


def _children(frame: pd.DataFrame, fk: ForeignKey, child: pd.DataFrame, shapes, prefix: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    own = _own(child, shapes)
    own["__key"] = _keys(child, fk.constrained_columns)
    groups = own.dropna(subset=["__key"]).groupby("__key", sort=False)
    aggregates = {f"{prefix}count": groups.size()}
    for name, shape in shapes.items():
        aggregates[f"{prefix}{name}.{'mean' if shape.continuous else 'distinct'}"] = (
            groups[name].mean() if shape.continuous else groups[name].nunique()
        )
    table = pd.DataFrame(aggregates).reindex(_keys(frame, fk.referred_columns)).set_axis(frame.index)
    table[f"{prefix}count"] = table[f"{prefix}count"].fillna(0)
    return table


def _held_out(real: pd.DataFrame, held: pd.DataFrame) -> np.ndarray:
    """Which real rows are the run's holdout (matched on the holdout's columns, duplicates in turn)."""
    columns = [c for c in held.columns if c in real.columns]
    if not columns or held.empty:
        return np.zeros(len(real), dtype=bool)

    def occurrences(frame: pd.DataFrame) -> pd.Series:
        rows = pd.Series(list(zip(*(as_category(frame[c]) for c in columns), strict=True)), dtype=object)
        return rows.map(str) + "#" + rows.groupby(rows.map(str)).cumcount().astype(str)

    return occurrences(real.reset_index(drop=True)).isin(set(occurrences(held))).to_numpy()


def _matrix(features: pd.DataFrame, categories: Mapping[str, list[str]]) -> pd.DataFrame:
    """Numbers as floats and categories as pandas categoricals over the real training categories."""
    out = features.copy()
    for name, kept in categories.items():
        out[name] = pd.Categorical(out[name].where(out[name].isin(kept)), categories=kept)
    return out


# -- models -----------------------------------------------------------------------------------
def _score(schema, table, column, real, synthetic, holdout, seed, notes) -> UtilityScore | None:  # type: ignore[no-untyped-def]
    if table.name not in synthetic:
        notes.append(f"utility target {table.name}.{column}: the clone has no table {table.name}")
        return None
    shapes = {n: modeled_columns(schema, schema.table(n), f) for n, f in real.items() if n in schema.table_names}
    shapes[table.name] = {k: v for k, v in shapes[table.name].items() if k != column}
    kind = table.column(column).type.kind
    real_y, synthetic_y = real[table.name][column].reset_index(drop=True), synthetic[table.name][column].reset_index(drop=True)
    regression = kind in _NUMERIC and real_y.nunique() > MAX_CLASSES
    real_x = relational_features(schema, table, real, shapes).reset_index(drop=True)
    synthetic_x = relational_features(schema, table, synthetic, shapes).reset_index(drop=True)
    test = _held_out(real[table.name], holdout[table.name])
    if test.sum() < MIN_TEST_ROWS:
        notes.append(f"utility target {table.name}.{column}: only {int(test.sum())} held-out rows, fewer than {MIN_TEST_ROWS}")
        return None
    categorical = [c for c in real_x.columns if real_x[c].dtype == object]
    categories = {c: real_x.loc[~test, c].value_counts().index[:50].tolist() for c in categorical}
    real_x, synthetic_x = _matrix(real_x, categories), _matrix(synthetic_x.reindex(columns=real_x.columns), categories)
    target = (lambda v: as_numeric(v, Shape.NUMERICAL)) if regression else as_category
    real_y, synthetic_y = target(real_y), target(synthetic_y)
    train, synthetic_rows, test = ~test & real_y.notna().to_numpy(), synthetic_y.notna().to_numpy(), test & real_y.notna().to_numpy()
    fit = _Fit(regression, seed)
    real_model = fit.model(real_x[train], real_y[train])
    synthetic_model = fit.model(synthetic_x[synthetic_rows], synthetic_y[synthetic_rows])
    if real_model is None or synthetic_model is None:
        notes.append(f"utility target {table.name}.{column}: a training set has a single value; no model")
        return None
    x_test, y_test = real_x[test], real_y[test]
    metric, real_score, synthetic_score, interval = fit.compare(real_model, synthetic_model, x_test, y_test)
    secondary = fit.secondary(real_model, x_test, y_test), fit.secondary(synthetic_model, x_test, y_test)
    ratio = synthetic_score / real_score if real_score > 0.05 else None
    if ratio is None:
        notes.append(f"utility target {table.name}.{column}: the real model does not predict it ({metric} {real_score:.3f}); no ratio")
    return UtilityScore(
        str(table.name), column, "regression" if regression else "classification", metric, real_score, synthetic_score,
        ratio, *(interval if ratio is not None else (None, None)),
        fit.importance_agreement(real_model, synthetic_model, x_test, y_test),
        secondary, (int(train.sum()), int(synthetic_rows.sum())), int(test.sum()), real_x.shape[1],
    )


class _Fit:
    """Boosted trees (scikit-learn's histogram GBM, seeded), their metrics and their bootstrap."""

    def __init__(self, regression: bool, seed: int) -> None:
        self.regression, self.seed = regression, seed

    def model(self, x: pd.DataFrame, y: pd.Series):  # type: ignore[no-untyped-def]
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        if y.nunique() < 2 or len(y) < 10:
            return None
        kind = HistGradientBoostingRegressor if self.regression else HistGradientBoostingClassifier
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # no early stopping: its stratified split fails on a class seen once, and 100 rounds are cheap
            return kind(random_state=self.seed, categorical_features="from_dtype", max_iter=100, early_stopping=False).fit(x, y)

    def _predict(self, model, x: pd.DataFrame, classes: list[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
        if self.regression:
            return model.predict(x)
        if len(classes) == 2:  # probability of the second class, 0 where the model never saw it
            known = list(model.classes_)
            return model.predict_proba(x)[:, known.index(classes[1])] if classes[1] in known else np.zeros(len(x))
        return model.predict(x)

    def _metric(self, y: np.ndarray, predicted: np.ndarray, classes: list[str]) -> float:
        from sklearn.metrics import f1_score, r2_score, roc_auc_score

        if self.regression:
            return float(r2_score(y, predicted))
        if len(classes) == 2:
            return float(roc_auc_score(y == classes[1], predicted)) if len(set(y)) == 2 else math.nan
        return float(f1_score(y, predicted, average="macro", labels=classes, zero_division=0))

    def compare(self, real_model, synthetic_model, x: pd.DataFrame, y: pd.Series):  # type: ignore[no-untyped-def]
        """(metric name, TRTR, TSTR, bootstrap 95% interval of the ratio over the test rows)."""
        y_values = y.to_numpy()
        classes = sorted(set(y_values)) if not self.regression else []
        name = "r2" if self.regression else "auc" if len(classes) == 2 else "macro_f1"
        real_p, synthetic_p = self._predict(real_model, x, classes), self._predict(synthetic_model, x, classes)
        real_score, synthetic_score = self._metric(y_values, real_p, classes), self._metric(y_values, synthetic_p, classes)
        rng = np.random.default_rng(self.seed)
        ratios = []
        for _ in range(BOOTSTRAP_ROUNDS):
            pick = rng.integers(0, len(y_values), len(y_values))
            base = self._metric(y_values[pick], real_p[pick], classes)
            if base > 0.05:
                ratios.append(self._metric(y_values[pick], synthetic_p[pick], classes) / base)
        ratios = [r for r in ratios if not math.isnan(r)]
        interval = (float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))) if ratios else (None, None)
        return name, real_score, synthetic_score, interval

    def secondary(self, model, x: pd.DataFrame, y: pd.Series) -> float:  # type: ignore[no-untyped-def]
        """Accuracy (classification) or mean absolute error (regression)."""
        predicted = model.predict(x)
        if self.regression:
            return float(np.mean(np.abs(predicted - y.to_numpy())))
        return float(np.mean(predicted == y.to_numpy()))

    def importance_agreement(self, real_model, synthetic_model, x: pd.DataFrame, y: pd.Series) -> float | None:  # type: ignore[no-untyped-def]
        """Spearman correlation of the two models' permutation importances on the test rows."""
        from scipy.stats import spearmanr
        from sklearn.inspection import permutation_importance

        if x.shape[1] < 3:
            return None
        x, y = x.iloc[:2000], y.iloc[:2000]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            real = permutation_importance(real_model, x, y, n_repeats=3, random_state=self.seed).importances_mean
            synthetic = permutation_importance(synthetic_model, x, y, n_repeats=3, random_state=self.seed).importances_mean
            if np.ptp(real) == 0 or np.ptp(synthetic) == 0:
                return None
            return float(spearmanr(real, synthetic).statistic)
