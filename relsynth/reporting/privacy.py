"""Privacy: how much of the source a clone gives away (pure, on DataFrames).

* exact-match share: synthetic rows whose non-key columns equal some source row's, next to the
  source's own duplicate share (a table of repeated rows matches itself without any leak);
* verbatim values: values of identifying columns (by the one rule of
  ``relsynth.values.detection``, or the columns the run generated as identifying) of the source
  that appear as they are in the clone, and values of any text column of the clone that the source
  holds fewer than k times (a name in a column whose name says nothing, a one-off category);
* distance to closest record (DCR): the share of synthetic rows closer to the training rows than
  to rows held out of training; 0.5 is ideal, above it the model memorised;
* membership inference: the strongest of three attacks telling training rows from held-out rows
  (``relsynth.reporting.membership``); its advantage is 2 * AUC - 1 (0 is ideal), with a 95%
  bootstrap interval that says whether it is within noise.

DCR and the attack need ``holdout`` (real rows kept out of training); without it they are None.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from relsynth.reporting.columns import Shape, as_category, as_numeric, key_columns, modeled_columns
from relsynth.reporting.membership import Attack, advantage, attack_scores, strongest_attack
from relsynth.schema.elements import QualifiedName, Schema, Table, TypeKind
from relsynth.values.detection import COMMON_VALUE_KINDS, detect, is_birth_date

MAX_DISTANCE_ROWS = 2_000  # real rows per side (members, others) scored by the attacks
MAX_SYNTHETIC_ROWS = 20_000  # synthetic rows searched: a near-copy missed by a sample hides a leak
MIN_DISTANCE_ROWS = 30  # fewer holdout rows give figures that are noise (an advantage of 0.5 by chance)
MIN_COUNT = 3  # k: a text value seen fewer times in the source points at its row


@dataclass(frozen=True)
class TablePrivacy:
    table: QualifiedName
    exact_match_share: float | None  # synthetic rows equal (non-key columns) to a source row
    source_duplicate_share: float | None  # source rows equal to another source row
    verbatim_identifiers: int  # distinct synthetic identifying values, or rare text values, found in the source
    identifying_columns: tuple[str, ...]
    dcr_share: float | None  # synthetic rows closer to training than to holdout rows; 0.5 ideal
    mia_advantage: float | None  # 2 * AUC - 1 of the strongest attack; 0 ideal
    mia_attack: Attack | None = None  # that attack, with its 95% bootstrap interval
    rare_values: int = 0  # of verbatim_identifiers: text values the source holds fewer than k times


@dataclass(frozen=True)
class Privacy:
    tables: tuple[TablePrivacy, ...]
    epsilon: float | None = None
    delta: float | None = None
    # generated rows that repeated a value combination seen fewer than k times in the source:
    # redrawn, then dropped (no child row hangs from them) or kept; None when not known (a report
    # made without the clone's generation)
    rare_rows_redrawn: int | None = None
    rare_rows_dropped: int | None = None
    rare_rows_kept: int | None = None

    @property
    def exact_match_share(self) -> float | None:
        return _mean(t.exact_match_share for t in self.tables)

    @property
    def source_duplicate_share(self) -> float | None:
        return _mean(t.source_duplicate_share for t in self.tables)

    @property
    def verbatim_identifiers(self) -> int:
        return sum(t.verbatim_identifiers for t in self.tables)

    @property
    def dcr_share(self) -> float | None:
        return _mean(t.dcr_share for t in self.tables)

    @property
    def mia_advantage(self) -> float | None:
        values = [t.mia_advantage for t in self.tables if t.mia_advantage is not None]
        return max(values) if values else None  # the weakest table is the one an attacker picks

    @property
    def mia_attack(self) -> Attack | None:
        """The attack on the table with the highest advantage (the headline figure's interval)."""
        found = [t for t in self.tables if t.mia_attack is not None and t.mia_advantage is not None]
        return max(found, key=lambda t: t.mia_advantage).mia_attack if found else None


def _mean(values) -> float | None:
    found = [v for v in values if v is not None and not math.isnan(v)]
    return sum(found) / len(found) if found else None


def detect_identifying(table: Table, sample: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Columns that identify a person, by the rule generation uses (``relsynth.values.detection``)
    on ``sample`` (source rows), leaving out kinds whose single values many people share (a first
    name, a city), plus birth dates."""
    sample = sample if sample is not None else pd.DataFrame()
    found = []
    for column in table.columns:
        if column.type.kind in (TypeKind.DATE, TypeKind.TIMESTAMP):
            if is_birth_date(column.name):
                found.append(column.name)
        elif column.type.kind in (TypeKind.TEXT, TypeKind.OTHER):
            values = sample[column.name] if column.name in sample.columns else pd.Series(dtype=object)
            kind = detect(column.name, values, table_name=table.name.name)
            if kind is not None and kind not in COMMON_VALUE_KINDS:
                found.append(column.name)
    return tuple(found)


def text_columns(table: Table) -> tuple[str, ...]:
    """Columns the rare-value check reads: every text column."""
    return tuple(c.name for c in table.columns if c.type.kind in (TypeKind.TEXT, TypeKind.OTHER, TypeKind.ENUM))


def rare_in(values: pd.Series, min_count: int) -> set[str]:
    """The values (as text) seen fewer than ``min_count`` times in ``values``."""
    counts = as_category(values.dropna()).value_counts()
    return set(counts.index[counts < min_count])


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Each row's non-key values as one hashable tuple of strings (NULL kept as None)."""
    parts = [as_category(frame[c]) for c in columns]
    return pd.Series(list(zip(*parts, strict=True)), index=frame.index, dtype=object) if parts else pd.Series([], dtype=object)


def exact_match(real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[str]) -> tuple[float, float]:
    """(share of synthetic rows equal to a real row, share of real rows duplicating another)."""
    r, s = _rows(real, columns), _rows(synthetic, columns)
    if r.empty or s.empty:
        return math.nan, math.nan
    known = set(r)
    return float(s.map(lambda row: row in known).mean()), float(r.duplicated(keep=False).mean())


def verbatim(real: pd.Series, synthetic: pd.Series) -> int:
    """Distinct non-NULL synthetic values that occur in the real column."""
    return len(_verbatim(real, synthetic))


def _verbatim(real: pd.Series, synthetic: pd.Series) -> set[str]:
    real_values = set(as_category(real.dropna()))
    return {v for v in set(as_category(synthetic.dropna())) if v in real_values}


def _matrix(frames: Sequence[pd.DataFrame], reference: pd.DataFrame, shapes: Mapping[str, Shape]) -> list[np.ndarray]:
    """Encode frames alike: continuous columns scaled by the reference's spread, categories one-hot.

    Every column then contributes at most about 1 to a Euclidean distance, so no single wide
    numeric column decides which record is closest.
    """
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for name, shape in shapes.items():
        if shape.continuous:
            ref = as_numeric(reference[name], shape)
            low, high = ref.min(), ref.max()
            span = (high - low) if high > low else 1.0
            for out, frame in zip(blocks, frames, strict=True):
                col = ((as_numeric(frame[name], shape) - low) / span).fillna(-1.0)
                out.append(col.to_numpy(float)[:, None])
        else:
            top = as_category(reference[name]).value_counts(dropna=False).index[:30]
            for out, frame in zip(blocks, frames, strict=True):
                cat = as_category(frame[name])
                out.append(np.column_stack([(cat == v).to_numpy(float) for v in top]) / math.sqrt(2))
    return [np.hstack(b) if b else np.zeros((len(f), 0)) for b, f in zip(blocks, frames, strict=True)]


def distance_figures(
    train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, shapes: Mapping[str, Shape], *, seed: int = 0
) -> tuple[float, Attack | None]:
    """(DCR share, the strongest membership-inference attack) of training rows against held-out rows.

    DCR share: on equal-sized training and holdout samples, the share of synthetic rows nearer to
    a training row than to a holdout row (0.5 ideal).

    Membership inference: the attacker scores each real row (up to ``MAX_DISTANCE_ROWS`` training
    rows, the members, and as many holdout rows, the non-members) and the advantage is 2 * AUC - 1
    of telling them apart (0: no better than chance; 1: every member found; threshold-free, so not
    inflated by picking the best cut-off on the same rows). The attacks search up to
    ``MAX_SYNTHETIC_ROWS`` synthetic rows; see ``relsynth.reporting.membership``.
    """
    rng = np.random.default_rng(seed)
    n = min(len(train), len(holdout), MAX_DISTANCE_ROWS)
    if n < MIN_DISTANCE_ROWS or synthetic.empty or not shapes:
        return math.nan, None
    members = train.iloc[rng.choice(len(train), min(len(train), MAX_DISTANCE_ROWS), replace=False)]
    others = holdout.iloc[rng.choice(len(holdout), n, replace=False)]
    synthetic = synthetic.iloc[rng.choice(len(synthetic), min(len(synthetic), MAX_SYNTHETIC_ROWS), replace=False)]
    x_members, x_others, x_syn = _matrix([members, others, synthetic], pd.concat([members, others]), shapes)
    # DCR share on equal-sized samples (the first n members are a uniform sample of them)
    x_dcr = x_syn[: min(len(x_syn), MAX_DISTANCE_ROWS)]  # a uniform sample of them, as before
    d_train = NearestNeighbors(n_neighbors=1).fit(x_members[:n]).kneighbors(x_dcr)[0][:, 0]
    d_hold = NearestNeighbors(n_neighbors=1).fit(x_others).kneighbors(x_dcr)[0][:, 0]
    dcr = float(np.mean(np.where(d_train < d_hold, 1.0, np.where(d_train == d_hold, 0.5, 0.0))))
    return dcr, strongest_attack(x_members, x_others, x_syn, seed=seed)


def _attack_advantages(x_members: np.ndarray, x_others: np.ndarray, x_syn: np.ndarray) -> dict[str, float]:
    """2 * AUC - 1 of each attack's scores (higher: more likely a member) on members vs others."""
    is_member = np.r_[np.ones(len(x_members)), np.zeros(len(x_others))]
    return {name: advantage(is_member, score) for name, score in attack_scores(x_members, x_others, x_syn).items()}


_advantage = advantage


def compute_privacy(
    schema: Schema,
    real: Mapping[QualifiedName, pd.DataFrame],
    synthetic: Mapping[QualifiedName, pd.DataFrame],
    *,
    holdout: Mapping[QualifiedName, pd.DataFrame] | None = None,
    identifying_columns: Mapping[QualifiedName, Sequence[str]] | None = None,
    identifying_values: Mapping[tuple[QualifiedName, str], pd.Series] | None = None,
    rare_values: Mapping[tuple[QualifiedName, str], pd.Series] | None = None,
    copied: Collection[QualifiedName] = (),
    epsilon: float | None = None,
    delta: float | None = None,
    seed: int = 0,
    min_count: int = MIN_COUNT,
    rare_rows: Mapping[str, Mapping[str, int]] | None = None,
) -> Privacy:
    """Privacy figures per table. ``real`` holds the source rows (training rows plus any holdout).

    ``identifying_values`` (by table and column: every distinct source value) and ``rare_values``
    (every source value seen fewer than ``min_count`` times) let a caller that sampled ``real``
    check against the whole source column. Without ``identifying_columns`` they follow the one
    identifying rule on ``real``. ``copied`` tables hold reference data copied on purpose: their
    rows are the source's, so they get no exact-match share, but their values are checked like any.
    ``rare_rows`` is the generator's count of rows that repeated a rare source combination.
    """
    out = []
    for index, table in enumerate(schema.tables):
        if table.name not in real or table.name not in synthetic:
            continue
        out.append(
            _table_privacy(
                schema, table, real[table.name], synthetic[table.name],
                hold=holdout.get(table.name) if holdout is not None else None,
                identifying=tuple(identifying_columns.get(table.name, ())) if identifying_columns is not None else None,
                identifying_values=identifying_values or {}, rare_values=rare_values or {},
                copied=table.name in copied, min_count=min_count, seed=seed + index,
            )
        )
    totals = _rare_row_totals(rare_rows) if rare_rows is not None else {}
    return Privacy(tuple(out), epsilon, delta, totals.get("redrawn"), totals.get("dropped"), totals.get("kept"))


def _table_privacy(
    schema: Schema,
    table: Table,
    r: pd.DataFrame,
    s: pd.DataFrame,
    *,
    hold: pd.DataFrame | None,
    identifying: tuple[str, ...] | None,
    identifying_values: Mapping[tuple[QualifiedName, str], pd.Series],
    rare_values: Mapping[tuple[QualifiedName, str], pd.Series],
    copied: bool,
    min_count: int,
    seed: int,
) -> TablePrivacy:
    """One table's figures: real rows ``r``, synthetic rows ``s``, held-out rows ``hold``;
    ``identifying`` None follows the one identifying rule on ``r``."""
    shapes = {c: sh for c, sh in modeled_columns(schema, table, r).items() if c in s.columns}
    # Exact matches look at every non-key column, including free text the metrics skip.
    keys = key_columns(schema, table)
    plain = [c.name for c in table.columns if c.name not in keys and c.name in r.columns and c.name in s.columns]
    match, dup = exact_match(r, s, plain) if plain and not copied else (math.nan, math.nan)
    ident = identifying if identifying is not None else detect_identifying(table, r)
    ident = tuple(c for c in ident if c in r.columns and c in s.columns)
    # a table copied as reference data passed k where its values are counted (once more for
    # every child row naming them); counted here within the table alone, each would be rare
    k = 1 if copied else min_count
    found, rare_found = _found_values(table, r, s, ident, identifying_values, rare_values, k)
    dcr, attack = math.nan, None
    if hold is not None and len(hold):
        train = _without(r, hold, plain)
        dcr, attack = distance_figures(train, hold, s, shapes, seed=seed)
    return TablePrivacy(
        table.name,
        None if math.isnan(match) else match,
        None if math.isnan(dup) else dup,
        found,
        ident,
        None if math.isnan(dcr) else dcr,
        None if attack is None or math.isnan(attack.advantage) else attack.advantage,
        attack,
        rare_found,
    )


def _rare_row_totals(rare_rows: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """The generator's rows that repeated a rare source combination, summed over tables."""
    return {key: sum(int(t.get(key, 0)) for t in rare_rows.values()) for key in ("redrawn", "dropped", "kept")}


def _found_values(table: Table, r: pd.DataFrame, s: pd.DataFrame, ident, identifying_values, rare_values, min_count: int):
    """(distinct synthetic values that are real identifying values or rare real text values, of
    which rare text values), per column, each value counted once."""
    found = rare_found = 0
    for column in dict.fromkeys([*ident, *text_columns(table)]):
        if column not in r.columns or column not in s.columns:
            continue
        hits: set[str] = set()
        if column in ident:
            source = identifying_values.get((table.name, column))
            hits = _verbatim(source if source is not None else r[column], s[column])
        if detect(column, r[column], table_name=table.name.name) in COMMON_VALUE_KINDS:
            # first names, last names, cities: generation draws them from Faker's lists, never from
            # the source, so a fake "Ryan" that a source row also holds is chance, not a copy
            found += len(hits)
            continue
        rare = rare_values.get((table.name, column))
        if min_count <= 1:
            rare_set: set[str] = set()
        else:
            rare_set = set(as_category(rare.dropna())) if rare is not None else rare_in(r[column], min_count)
        rare_hits = set(as_category(s[column].dropna())) & rare_set
        found += len(hits | rare_hits)
        rare_found += len(rare_hits - hits)
    return found, rare_found


def _without(real: pd.DataFrame, holdout: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The training rows: source rows that are not in the holdout (compared on ``columns``)."""
    if not columns:
        return real
    held = set(_rows(holdout, columns))
    keep = ~_rows(real, columns).map(lambda row: row in held)
    return real[keep.to_numpy()]
