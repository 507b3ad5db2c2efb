"""The numeric family's encoder: exact codes for few distinct values, else spikes plus quantile bins.

It serves INTEGER, FLOAT and DECIMAL (``quantities``) and the temporal kinds as numbers
(``temporal``). At most ``max_bins`` distinct values are kept exactly; otherwise frequent exact
values ("spikes", e.g. 0 or 9.99) get codes of their own and the rest fall into quantile bins,
decoded through a finer quantile table within the bin and rounded to the column's step (1 for
integers, 10^-scale for decimals, a whole second for timestamps that only hold whole seconds,
...). Quantile bins follow heavy tails and several modes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from relsynth.errors import TrainingError
from relsynth.modeling.encoding.base import ColumnSpec, Encoder
from relsynth.modeling.encoding.quantities import (
    INTEGER_STEPS,
    QUANTITY_KINDS,
    decimal_steps,
    quantity_from_numbers,
    quantity_to_numbers,
)
from relsynth.modeling.encoding.temporal import (
    TEMPORAL_KINDS,
    TEMPORAL_STEPS,
    temporal_from_numbers,
    temporal_to_numbers,
)
from relsynth.schema.elements import TypeKind

# Candidate steps (the granularity a decoded value is rounded to), coarsest first. The coarsest
# that divides every observed value wins, so whole-second timestamps decode to whole seconds.
_STEPS: dict[TypeKind, tuple[float, ...]] = {TypeKind.INTEGER: INTEGER_STEPS, **TEMPORAL_STEPS}
# A numeric value seen fewer times than this is never stored for exact reproduction: in a small
# table a birth date or a salary seen once identifies its row. Such values are binned instead.
MIN_EXACT_COUNT = 3
MIN_BINS = 8
FINE_ROWS = 10  # rows per step of a binned column's within-bin inverse CDF (tables below ~16k rows)


def to_numbers(series: pd.Series, kind: TypeKind) -> np.ndarray:
    """The column as float64 numbers in the encoder's unit (package docstring); NaN is NULL."""
    if kind in QUANTITY_KINDS:
        return quantity_to_numbers(series)
    if kind in TEMPORAL_KINDS:
        return temporal_to_numbers(series, kind)
    raise TrainingError(f"column kind {kind.value} is not numeric; this is a bug in relsynth")


def _from_numbers(values: np.ndarray, spec: ColumnSpec, step: float | None) -> pd.Series:
    """Numbers (already rounded to the step, NaN = NULL) as the kind's decoded dtype."""
    if spec.kind in QUANTITY_KINDS:
        return quantity_from_numbers(values, spec, step)
    return temporal_from_numbers(values, spec)


def _infer_step(values: np.ndarray, spec: ColumnSpec) -> float | None:
    """The coarsest candidate step that divides every observed value."""
    if spec.kind is TypeKind.FLOAT:
        return None
    if spec.kind is TypeKind.DECIMAL:
        candidates = decimal_steps(spec.scale)
    else:
        candidates = _STEPS[spec.kind]
    sample = values
    if sample.size == 0:
        return (
            candidates[-1] if spec.kind is not TypeKind.DECIMAL or spec.scale is not None else None
        )
    largest = float(np.max(np.abs(sample)))
    for step in candidates:
        if step > largest > 0:  # 0.1 / 1e6 is within the tolerance below, yet no whole step
            continue
        ratio = sample / step
        # float noise only: 998.9999999 is 999 steps of 0.01, but 2.7e7 + 0.5 is not a whole step
        # ... and a value is never a whole number of a step larger than itself (1 is not 0 x 10^6)
        whole = np.abs(ratio - np.round(ratio)) <= 1e-6 + 1e-9 * np.abs(ratio)
        if np.all(whole & ((np.round(ratio) != 0) | (sample == 0))):
            return float(step)
    # integers and temporal values always divide by their finest candidate; decimals may not
    return candidates[-1] if spec.kind is not TypeKind.DECIMAL or spec.scale is not None else None


class NumericEncoder(Encoder):
    """Exact codes for few distinct values; else spike codes plus quantile bins.

    Codes: 0 NULL, 1..len(values) exact values (all of them, or the spikes), then one code per
    bin between consecutive ``edges``. A bin decodes through ``fine``, a finer table of quantiles
    of the non-spike values: a quantile level is drawn uniformly within the bin and mapped through
    the piecewise-linear inverse CDF, so a bin that holds both ordinary values and a far outlier
    decodes mostly to ordinary values (heavy tails keep their shape).
    """

    def __init__(
        self,
        spec: ColumnSpec,
        *,
        values: np.ndarray,
        edges: np.ndarray,
        fine: np.ndarray,
        step: float | None,
        counts: np.ndarray,
    ) -> None:
        self.spec = spec
        self.values = np.asarray(values, dtype=np.float64)  # sorted exact values / spikes
        self.edges = np.asarray(edges, dtype=np.float64)  # empty when exact
        self.fine = np.asarray(fine, dtype=np.float64)  # empty when exact
        self.step = step
        self.counts = np.asarray(counts, dtype=np.int64)

    @property
    def n_bins(self) -> int:
        return max(0, self.edges.size - 1)

    def positions(self) -> np.ndarray:
        centres = self.values
        if self.n_bins:
            centres = np.concatenate([self.values, (self.edges[:-1] + self.edges[1:]) / 2])
        places = np.zeros(self.n_codes)
        if centres.size:
            ranks = np.argsort(np.argsort(centres, kind="stable"), kind="stable")
            places[1 : 1 + centres.size] = ranks / max(centres.size - 1, 1)
        return places

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, *, max_bins: int, spike_fraction: float,
        min_count: int = MIN_EXACT_COUNT,
    ) -> NumericEncoder:
        numbers = to_numbers(series, spec.kind)
        present = numbers[~np.isnan(numbers)]
        step = _infer_step(present, spec)
        distinct, freq = np.unique(present, return_counts=True)
        edges = fine = np.empty(0)
        if distinct.size <= max_bins and (freq.size == 0 or freq.min() >= min_count):
            values = distinct
        else:
            values = _spikes(distinct, freq, rows=present.size, max_bins=max_bins,
                             spike_fraction=spike_fraction, min_count=min_count)
            rest = present[~np.isin(present, values)]
            if rest.size:
                edges, fine = _quantile_tables(rest, spec, n_bins_left=max_bins - values.size,
                                               min_count=min_count)
        encoder = cls(
            spec,
            values=values,
            edges=edges,
            fine=fine,
            step=step,
            counts=np.zeros(1, dtype=np.int64),
        )
        codes = encoder._codes(numbers)
        encoder.counts = np.bincount(codes, minlength=1 + values.size + encoder.n_bins)
        return encoder

    def _codes(self, numbers: np.ndarray) -> np.ndarray:
        codes = np.zeros(numbers.size, dtype=np.int64)
        present = ~np.isnan(numbers)
        x = numbers[present]
        out = np.zeros(x.size, dtype=np.int64)
        assigned = np.zeros(x.size, dtype=bool)
        if self.values.size:
            pos = np.clip(np.searchsorted(self.values, x), 0, self.values.size - 1)
            exact = np.isclose(self.values[pos], x, rtol=1e-12, atol=0.0)
            if self.n_bins == 0:  # exact mode: unseen values go to the nearest known value
                left = np.clip(pos - 1, 0, self.values.size - 1)
                nearer_left = np.abs(self.values[left] - x) < np.abs(self.values[pos] - x)
                pos = np.where(exact, pos, np.where(nearer_left, left, pos))
                exact[:] = True
            out[exact] = 1 + pos[exact]
            assigned = exact
        if self.n_bins:
            rest = ~assigned
            found = np.searchsorted(self.edges, x[rest], side="right") - 1
            out[rest] = 1 + self.values.size + np.clip(found, 0, self.n_bins - 1)
        codes[present] = out
        return codes

    def encode(self, series: pd.Series) -> np.ndarray:
        return self._codes(to_numbers(series, self.spec.kind))

    def decode(self, codes: np.ndarray, rng: np.random.Generator, uniforms: np.ndarray | None = None) -> pd.Series:
        """Values for ``codes``; ``uniforms`` (one per row), when given, place each binned value
        within its bin instead of fresh draws from ``rng`` (see ``bin_positions``)."""
        codes = np.asarray(codes, dtype=np.int64)
        numbers = np.full(codes.size, np.nan)
        n_exact = self.values.size
        exact = (codes >= 1) & (codes <= n_exact)
        numbers[exact] = self.values[codes[exact] - 1]
        binned = codes > n_exact
        if binned.any():
            draws = rng.random(int(binned.sum())) if uniforms is None else np.asarray(uniforms, dtype=np.float64)[binned]
            numbers[binned] = self._draw_in_bins(codes[binned] - 1 - n_exact, draws)
        return _from_numbers(self._bounded(numbers), self.spec, self.step)

    def moved(self, series: pd.Series, steps: int, step: float | None = None) -> pd.Series:
        """``series`` moved by ``steps`` of ``step`` (default the column's step; a FLOAT column,
        which has none, by a millionth of each value), within the column's bounds and the span it
        decodes to (a move off the source's rare maximum must not leave the source's range); NULL
        where either stops it."""
        numbers = to_numbers(series, self.spec.kind)
        step = step if step is not None else self.step
        step = step if step is not None else np.maximum(np.abs(numbers) * 1e-6, 1e-9)
        shifted = numbers + steps * step
        bounded = self._bounded(shifted)
        shifted[bounded != shifted] = np.nan
        support = np.concatenate([self.values, self.edges])
        if support.size:
            shifted[(shifted < support.min()) | (shifted > support.max())] = np.nan
        return _from_numbers(shifted, self.spec, self.step)

    def bin_positions(self, series: pd.Series) -> np.ndarray:
        """Where each value lies within its bin, on the scale of the uniform that ``decode``
        draws to place it (0 at the bin's start, 1 at its end); NaN for NULL and exact values."""
        numbers = to_numbers(series, self.spec.kind)
        codes = self._codes(numbers)
        out = np.full(numbers.size, np.nan)
        binned = codes > self.values.size
        if binned.any() and self.n_bins:
            start, stop = self._fine_span(codes[binned] - 1 - self.values.size)
            position = np.interp(numbers[binned], self.fine, np.arange(self.fine.size, dtype=np.float64))
            out[binned] = np.clip((position - start) / np.maximum(stop - start, 1e-12), 0.0, 1.0)
        return out

    def _fine_span(self, bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions in the fine table where each bin starts and ends."""
        low, high = self.edges[bins], self.edges[bins + 1]
        start = np.searchsorted(self.fine, low, side="left").astype(np.float64)
        stop = np.where(
            bins == self.n_bins - 1,
            float(self.fine.size - 1),
            np.searchsorted(self.fine, high, side="left").astype(np.float64),
        )
        return start, np.maximum(stop, start)

    def _draw_in_bins(self, bins: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        start, stop = self._fine_span(bins)
        position = start + uniforms * (stop - start)
        drawn = np.interp(position, np.arange(self.fine.size, dtype=np.float64), self.fine)
        if self.step is not None:
            drawn = np.round(drawn / self.step) * self.step
        return np.clip(drawn, self.edges[bins], self.edges[bins + 1])

    def _bounded(self, numbers: np.ndarray) -> np.ndarray:
        if self.spec.kind not in (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL):
            return numbers
        low, high = self.spec.low, self.spec.high
        if self.step is not None:
            low = None if low is None else math.ceil(low / self.step - 1e-12) * self.step
            high = None if high is None else math.floor(high / self.step + 1e-12) * self.step
        if low is None and high is None:
            return numbers
        return np.clip(numbers, -np.inf if low is None else low, np.inf if high is None else high)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "numeric",
            "spec": self.spec.to_dict(),
            "values": self.values.tolist(),
            "edges": self.edges.tolist(),
            "fine": self.fine.tolist(),
            "step": self.step,
            "counts": self.counts.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumericEncoder:
        return cls(
            ColumnSpec.from_dict(data["spec"]),
            values=np.array(data["values"], dtype=np.float64),
            edges=np.array(data["edges"], dtype=np.float64),
            fine=np.array(data["fine"], dtype=np.float64),
            step=data["step"],
            counts=np.array(data["counts"], dtype=np.int64),
        )




def _spikes(distinct: np.ndarray, freq: np.ndarray, *, rows: int, max_bins: int, spike_fraction: float,
            min_count: int) -> np.ndarray:
    """Values frequent enough for an exact code of their own, sorted; at most half the codes."""
    is_spike = (freq / rows >= spike_fraction) & (freq >= min_count)
    spikes, spike_freq = distinct[is_spike], freq[is_spike]
    if spikes.size > max_bins // 2:  # keep the most frequent, leave room for bins
        top = np.argsort(-spike_freq, kind="stable")[: max_bins // 2]
        spikes = np.sort(spikes[top])
    return spikes


def _quantile_tables(rest: np.ndarray, spec: ColumnSpec, *, n_bins_left: int,
                     min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """The bin edges and the finer within-bin inverse CDF of the non-spike values ``rest``."""
    # About sqrt(rows) bins: 64 bins over 300 rows leave a handful of rows per code,
    # too few to learn a correlation from.
    n_bins = int(min(n_bins_left, max(MIN_BINS, np.sqrt(rest.size))))
    # observed values as edges keep decoded values on the column's step
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.unique(np.quantile(rest, levels, method="inverted_cdf"))
    if edges.size == 1:  # one remaining value: a zero-width bin
        edges = np.array([edges[0], edges[0]])
    # Each step of the fine inverse CDF spans FINE_ROWS rows: one step per row would
    # put a step's mass between two neighbouring training values, a density peaked on
    # the rows themselves (measured on berka's loan: a one-column membership attack
    # at advantage 0.27-0.30, 0.07-0.10 at 10 rows a step).
    n_fine = min(16 * n_bins, max(rest.size // FINE_ROWS, 2 * n_bins), max(rest.size, 1))
    fine = np.quantile(rest, np.linspace(0.0, 1.0, n_fine + 1), method="inverted_cdf")
    # A repeated entry is a flat step of the inverse CDF: an atom that decodes to that
    # real value over and over. Fine for a value seen MIN_EXACT_COUNT times or more (it
    # keeps a discrete column's shape); a value seen once or twice (a small table's
    # minimum, say) keeps a single entry, so it is no likelier than its neighbours.
    # Helper columns (children per parent) are counts, not values of the clone.
    if not spec.name.startswith("__"):
        seen, times = np.unique(rest, return_counts=True)
        repeated = np.r_[False, fine[1:] == fine[:-1]]
        fine = fine[~(repeated & ~np.isin(fine, seen[times >= min_count]))]
    return edges, fine
