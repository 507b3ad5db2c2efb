"""Fidelity: how closely synthetic tables follow the real ones (pure, on DataFrames).

The four properties and their metrics follow SDMetrics' multi-table QualityReport so that the
figures can be checked against it: column shapes (KS and total-variation complements), column
pair trends (correlation and contingency similarity), cardinality (KS complement of the number
of children per parent, per foreign key) and intertable trends (pair trends between a parent's
column and its child's column, joined along the foreign key).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from relsynth.reporting.columns import Shape, as_category, as_numeric, modeled_columns
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table

NUM_BINS = 10  # SDMetrics' bins for continuous columns in mixed pairs
HIST_BINS = 20  # bins of the histograms the report draws
HIST_TOP = 12  # categories the report draws; the rest are summed as "(other)"
MAX_PAIR_COLUMNS = 24  # pairs grow quadratically: beyond this many columns, the first ones


@dataclass(frozen=True)
class Histogram:
    """Real against synthetic frequencies over shared bins (what the report draws)."""

    labels: tuple[str, ...]
    real: tuple[float, ...]
    synthetic: tuple[float, ...]


@dataclass(frozen=True)
class ColumnShape:
    table: QualifiedName
    column: str
    shape: str  # numerical | datetime | categorical
    metric: str  # KSComplement | TVComplement
    score: float
    histogram: Histogram


@dataclass(frozen=True)
class PairTrend:
    table: QualifiedName
    column_1: str
    column_2: str
    metric: str  # CorrelationSimilarity | ContingencySimilarity
    score: float
    real: float  # association in the real data: Pearson r, or Cramer's V for contingency
    synthetic: float


@dataclass(frozen=True)
class Cardinality:
    foreign_key: str  # ForeignKey.label
    parent: QualifiedName
    child: QualifiedName
    score: float
    real: tuple[tuple[int, int], ...]  # (children per parent, number of parents)
    synthetic: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class IntertableTrend:
    foreign_key: str
    parent_column: str
    child_column: str
    metric: str
    score: float


@dataclass(frozen=True)
class Fidelity:
    column_shapes: tuple[ColumnShape, ...]
    pair_trends: tuple[PairTrend, ...]
    cardinality: tuple[Cardinality, ...]
    intertable_trends: tuple[IntertableTrend, ...]

    def shapes_score(self, table: QualifiedName | None = None) -> float | None:
        return _mean(s.score for s in self.column_shapes if table is None or s.table == table)

    def pairs_score(self, table: QualifiedName | None = None) -> float | None:
        return _mean(p.score for p in self.pair_trends if table is None or p.table == table)

    @property
    def property_scores(self) -> dict[str, float | None]:
        """Each property as SDMetrics scores it: the per-table means averaged over tables."""
        tables = sorted({s.table for s in self.column_shapes}, key=str)
        pair_tables = sorted({p.table for p in self.pair_trends}, key=str)
        return {
            "column_shapes": _mean(self.shapes_score(t) for t in tables),
            "column_pair_trends": _mean(self.pairs_score(t) for t in pair_tables),
            "cardinality": _mean(c.score for c in self.cardinality),
            "intertable_trends": _mean(t.score for t in self.intertable_trends),
        }

    @property
    def quality(self) -> float | None:
        return _mean(self.property_scores.values())


def _mean(values) -> float | None:
    found = [float(v) for v in values if v is not None and not math.isnan(v)]
    return sum(found) / len(found) if found else None


# --- single columns -------------------------------------------------------------------------


def ks_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """1 - the two-sample Kolmogorov-Smirnov statistic; NaN when either side is empty."""
    real, synthetic = real.dropna(), synthetic.dropna()
    if real.empty or synthetic.empty:
        return math.nan
    return float(1.0 - ks_2samp(real.to_numpy(), synthetic.to_numpy()).statistic)


def tv_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """1 - the total-variation distance between the category frequencies."""
    if real.empty or synthetic.empty:
        return math.nan
    freq_r = real.value_counts(normalize=True, dropna=False)
    freq_s = synthetic.value_counts(normalize=True, dropna=False)
    both = freq_r.index.union(freq_s.index, sort=False)
    diff = (freq_r.reindex(both, fill_value=0) - freq_s.reindex(both, fill_value=0)).abs()
    return float(1.0 - diff.sum() / 2)


def _histogram(real: pd.Series, synthetic: pd.Series, shape: Shape) -> Histogram:
    if shape.continuous:
        r, s = real.dropna(), synthetic.dropna()
        if r.empty:
            return Histogram((), (), ())
        low = min(r.min(), s.min()) if not s.empty else r.min()
        high = max(r.max(), s.max()) if not s.empty else r.max()
        edges = np.linspace(low, high if high > low else low + 1, HIST_BINS + 1)
        hr, _ = np.histogram(r, edges)
        hs, _ = np.histogram(s, edges)
        labels = tuple(_edge_label(e, shape) for e in edges[:-1])
        return Histogram(labels, _norm(hr), _norm(hs))
    freq_r = real.value_counts(normalize=True, dropna=False)
    freq_s = synthetic.value_counts(normalize=True, dropna=False)
    top = list(freq_r.index[:HIST_TOP])
    top += [v for v in freq_s.index[:HIST_TOP] if v not in top][: max(0, HIST_TOP - len(top))]
    rv = [float(freq_r.get(v, 0.0)) for v in top]
    sv = [float(freq_s.get(v, 0.0)) for v in top]
    labels = ["NULL" if v is None else str(v)[:24] for v in top]
    if len(freq_r) > len(top) or len(freq_s) > len(top):
        labels.append("(other)")
        rv.append(max(0.0, 1 - sum(rv)))
        sv.append(max(0.0, 1 - sum(sv)))
    return Histogram(tuple(labels), tuple(rv), tuple(sv))


def _edge_label(edge: float, shape: Shape) -> str:
    if shape is Shape.DATETIME:
        return str(pd.Timestamp(int(edge), tz="UTC").date())
    return f"{edge:.4g}"


def _norm(counts: np.ndarray) -> tuple[float, ...]:
    total = counts.sum()
    return tuple(float(c / total) if total else 0.0 for c in counts)


# --- pairs ------------------------------------------------------------------------------------


def correlation_similarity(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[float, float, float]:
    """(score, real r, synthetic r): 1 - |r_real - r_synthetic| / 2 with Pearson's r."""
    r = _pearson(real.dropna())
    if math.isnan(r):
        return math.nan, r, math.nan
    s = _pearson(synthetic.dropna())
    # A constant synthetic column keeps none of the real correlation: score it as r = 0.
    s_eff = 0.0 if math.isnan(s) else s
    return 1.0 - abs(r - s_eff) / 2, r, s


def _pearson(frame: pd.DataFrame) -> float:
    a, b = frame.iloc[:, 0].to_numpy(float), frame.iloc[:, 1].to_numpy(float)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def contingency_similarity(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[float, float, float]:
    """(score, real Cramer's V, synthetic Cramer's V): 1 - total variation of the joint frequencies."""
    cols = list(real.columns)
    if real.empty or synthetic.empty:
        return math.nan, math.nan, math.nan
    freq_r = real.groupby(cols, dropna=False).size() / len(real)
    freq_s = synthetic.groupby(cols, dropna=False).size() / len(synthetic)
    both = freq_r.index.union(freq_s.index, sort=False)
    diff = (freq_r.reindex(both, fill_value=0) - freq_s.reindex(both, fill_value=0)).abs().fillna(0)
    return float(1.0 - diff.sum() / 2), _cramers_v(freq_r), _cramers_v(freq_s)


def _cramers_v(joint: pd.Series) -> float:
    table = joint.unstack(fill_value=0).to_numpy(float)  # noqa: PD010
    if min(table.shape) < 2:
        return math.nan
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
    return math.sqrt(chi2 / (min(table.shape) - 1))


def _bin(real: pd.Series, synthetic: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Discretize a continuous column into 10 equal-width bins (NULL stays NULL).

    As SDMetrics does, each side is binned over its own range: a pair trend then compares how
    the columns move together, and a shifted range is left to the column shape to catch.
    """

    def cut(x: pd.Series) -> pd.Series:
        values = x.dropna()
        if values.empty:
            return x.astype(object)
        try:
            edges = np.histogram_bin_edges(values, bins=NUM_BINS)
        except ValueError:  # a range too narrow for float steps (e.g. nanosecond timestamps): one bin
            edges = np.array([values.min(), values.max()])
        binned = pd.Series(np.digitize(x.fillna(0).to_numpy(float), edges), index=x.index, dtype=object)
        return binned.where(x.notna(), None)

    return cut(real), cut(synthetic)


def _prepared(frame: pd.DataFrame, shapes: Mapping[str, Shape]) -> pd.DataFrame:
    out = {}
    for name, shape in shapes.items():
        out[name] = as_numeric(frame[name], shape) if shape.continuous else as_category(frame[name])
    return pd.DataFrame(out, index=frame.index)


def pair_score(
    real: pd.DataFrame, synthetic: pd.DataFrame, a: str, b: str, shape_a: Shape, shape_b: Shape
) -> tuple[str, float, float, float]:
    """(metric, score, real association, synthetic association) for one prepared column pair."""
    if shape_a.continuous and shape_b.continuous:
        score, r, s = correlation_similarity(real[[a, b]], synthetic[[a, b]])
        return "CorrelationSimilarity", score, r, s
    ra, sa_ = _bin(real[a], synthetic[a]) if shape_a.continuous else (real[a], synthetic[a])
    rb, sb = _bin(real[b], synthetic[b]) if shape_b.continuous else (real[b], synthetic[b])
    score, r, s = contingency_similarity(
        pd.DataFrame({"a": ra.to_numpy(), "b": rb.to_numpy()}), pd.DataFrame({"a": sa_.to_numpy(), "b": sb.to_numpy()})
    )
    return "ContingencySimilarity", score, r, s


# --- cardinality ------------------------------------------------------------------------------


def fan_out(parent: pd.DataFrame, child: pd.DataFrame, fk: ForeignKey) -> pd.Series:
    """For every parent row, how many child rows reference it through ``fk`` (0 included)."""
    keys = child[list(fk.constrained_columns)].dropna()
    keys.columns = list(fk.referred_columns)
    counts = keys.value_counts()
    parent_keys = parent[list(fk.referred_columns)]
    index = pd.MultiIndex.from_frame(parent_keys) if len(fk.referred_columns) > 1 else parent_keys.iloc[:, 0]
    if len(fk.referred_columns) == 1:
        counts.index = counts.index.get_level_values(0)
    return pd.Series(counts.reindex(index, fill_value=0).to_numpy(), dtype=int)


def count_histogram(counts: pd.Series) -> tuple[tuple[int, int], ...]:
    vc = counts.value_counts().sort_index()
    return tuple((int(k), int(v)) for k, v in vc.items())


def histogram_ks_complement(real: tuple[tuple[int, int], ...], synthetic: tuple[tuple[int, int], ...]) -> float:
    """KS complement between two discrete distributions given as (value, count) histograms.

    Equal to ``ks_2samp`` on the expanded samples (the statistic of discrete data is the largest
    gap between the two step CDFs at the observed values), without expanding them.
    """
    if not real or not synthetic:
        return math.nan
    values = sorted({v for v, _ in real} | {v for v, _ in synthetic})
    total_r = sum(c for _, c in real)
    total_s = sum(c for _, c in synthetic)
    dr, ds = dict(real), dict(synthetic)
    cdf_r = np.cumsum([dr.get(v, 0) for v in values]) / total_r
    cdf_s = np.cumsum([ds.get(v, 0) for v in values]) / total_s
    return float(1.0 - np.abs(cdf_r - cdf_s).max())


# --- the whole schema ---------------------------------------------------------------------------


def compute_fidelity(
    schema: Schema,
    real: Mapping[QualifiedName, pd.DataFrame],
    synthetic: Mapping[QualifiedName, pd.DataFrame],
    *,
    cardinality: Mapping[str, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]] | None = None,
    parent_columns: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
) -> Fidelity:
    """Every fidelity figure for the tables present in both ``real`` and ``synthetic``.

    ``cardinality`` (by FK label: real and synthetic children-per-parent histograms) and
    ``parent_columns`` (by FK label: child rows with their parent's columns, real and synthetic)
    let a caller that sampled the tables pass figures computed on the full tables; when absent
    they are computed from the DataFrames, which must then hold whole tables.
    """
    shapes_out: list[ColumnShape] = []
    pairs_out: list[PairTrend] = []
    for table in schema.tables:
        if table.name in real and table.name in synthetic:
            column_shapes, pair_trends = _table_fidelity(schema, table, real[table.name], synthetic[table.name])
            shapes_out.extend(column_shapes)
            pairs_out.extend(pair_trends)

    cards: list[Cardinality] = []
    inter: list[IntertableTrend] = []
    for fk in schema.foreign_keys:
        if fk.table not in real or fk.referred_table not in real:
            continue
        if fk.table not in synthetic or fk.referred_table not in synthetic:
            continue
        card = _cardinality(fk, real, synthetic, cardinality)
        if card is not None:
            cards.append(card)
        inter.extend(_intertable(schema, fk, real, synthetic, parent_columns))
    return Fidelity(tuple(shapes_out), tuple(pairs_out), tuple(cards), tuple(inter))


def _table_fidelity(
    schema: Schema, table: Table, r_frame: pd.DataFrame, s_frame: pd.DataFrame
) -> tuple[list[ColumnShape], list[PairTrend]]:
    """One table's column shapes and column-pair trends (pairs among its first MAX_PAIR_COLUMNS)."""
    shapes = modeled_columns(schema, table, r_frame)
    shapes = {c: sh for c, sh in shapes.items() if c in s_frame.columns}
    if not shapes:
        return [], []
    r, s = _prepared(r_frame, shapes), _prepared(s_frame, shapes)
    # An empty synthetic table reproduces nothing of a non-empty source: 0, not "n/a".
    empty = s_frame.empty and not r_frame.empty
    shapes_out, pairs_out = [], []
    for name, shape in shapes.items():
        if shape.continuous:
            score, metric = ks_complement(r[name], s[name]), "KSComplement"
        else:
            score, metric = tv_complement(r[name], s[name]), "TVComplement"
        score = 0.0 if empty else score
        if not math.isnan(score):
            hist = _histogram(r[name], s[name], shape)
            shapes_out.append(ColumnShape(table.name, name, shape.value, metric, score, hist))
    names = list(shapes)[:MAX_PAIR_COLUMNS]
    for a, b in itertools.combinations(names, 2):
        metric, score, ra, sa_ = pair_score(r, s, a, b, shapes[a], shapes[b])
        score = 0.0 if empty else score
        if not math.isnan(score):
            pairs_out.append(PairTrend(table.name, a, b, metric, score, ra, sa_))
    return shapes_out, pairs_out


def _cardinality(
    fk: ForeignKey,
    real: Mapping[QualifiedName, pd.DataFrame],
    synthetic: Mapping[QualifiedName, pd.DataFrame],
    cardinality: Mapping[str, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]] | None,
) -> Cardinality | None:
    """Children per parent along ``fk``, real against synthetic (given histograms first); None
    when there is no figure."""
    if cardinality is not None and fk.label in cardinality:
        hist_r, hist_s = cardinality[fk.label]
    else:
        hist_r = count_histogram(fan_out(real[fk.referred_table], real[fk.table], fk))
        hist_s = count_histogram(fan_out(synthetic[fk.referred_table], synthetic[fk.table], fk))
    score = histogram_ks_complement(hist_r, hist_s)
    if math.isnan(score):
        return None
    return Cardinality(fk.label, fk.referred_table, fk.table, score, hist_r, hist_s)


PARENT_PREFIX = "__parent__"


def join_parent(parent: pd.DataFrame, child: pd.DataFrame, fk: ForeignKey) -> pd.DataFrame:
    """Child rows with their parent's columns (prefixed ``__parent__``) along ``fk``."""
    right = parent.add_prefix(PARENT_PREFIX)
    return child.merge(
        right,
        how="left",
        left_on=list(fk.constrained_columns),
        right_on=[PARENT_PREFIX + c for c in fk.referred_columns],
    )


def _intertable(schema, fk, real, synthetic, parent_columns) -> list[IntertableTrend]:
    parent_t, child_t = schema.table(fk.referred_table), schema.table(fk.table)
    if parent_columns is not None and fk.label in parent_columns:
        joined_r, joined_s = parent_columns[fk.label]
    else:
        joined_r = join_parent(real[fk.referred_table], real[fk.table], fk)
        joined_s = join_parent(synthetic[fk.referred_table], synthetic[fk.table], fk)
    p_shapes = modeled_columns(schema, parent_t, real[fk.referred_table])
    c_shapes = modeled_columns(schema, child_t, real[fk.table])
    p_names = [c for c in p_shapes if PARENT_PREFIX + c in joined_r and PARENT_PREFIX + c in joined_s]
    c_names = [c for c in c_shapes if c in joined_r and c in joined_s]
    p_names, c_names = p_names[: MAX_PAIR_COLUMNS // 2], c_names[: MAX_PAIR_COLUMNS // 2]
    if not p_names or not c_names:
        return []
    shapes = {PARENT_PREFIX + c: p_shapes[c] for c in p_names} | {c: c_shapes[c] for c in c_names}
    r, s = _prepared(joined_r, shapes), _prepared(joined_s, shapes)
    empty = joined_s.empty and not joined_r.empty
    out = []
    for p in p_names:
        for c in c_names:
            metric, score, _, _ = pair_score(r, s, PARENT_PREFIX + p, c, p_shapes[p], c_shapes[c])
            score = 0.0 if empty else score
            if not math.isnan(score):
                out.append(IntertableTrend(fk.label, p, c, metric, score))
    return out
