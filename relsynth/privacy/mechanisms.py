"""Gaussian mechanisms for everything besides DP-SGD: counts, histograms, vocabularies, bins.

Each function takes the per-unit contribution bound ``bound`` (rows one unit can have in the
table), so the L2 sensitivity of a histogram of one value per row is at most ``bound``; the noise is
``noise_multiplier * bound`` and the mechanism is recorded in the accountant before it returns.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from relsynth.modeling.encoding import (
    NUMERIC_KINDS,
    RARE_CODE,
    CategoricalEncoder,
    ColumnSpec,
    Encoder,
    NumericEncoder,
    _category_key,
    _is_null,
    to_numbers,
)
from relsynth.privacy import entropy
from relsynth.privacy.accountant import PrivacyAccountant
from relsynth.schema.elements import TypeKind

_LOG_RATIO = 1.25  # resolution of the public log-scale grid that finds numeric bounds
_RANGE_CELLS = 512  # cells of the public range of a temporal kind that finds its bounds
_DAY_US = 86_400_000_000
# public ranges of the temporal kinds (as numbers, see encoding.to_numbers): 1900-01-01 .. 2100-01-01
_PUBLIC_RANGE = {
    TypeKind.DATE: (-25_567.0, 47_482.0),
    TypeKind.TIMESTAMP: (-25_567.0 * _DAY_US, 47_482.0 * _DAY_US),
    TypeKind.TIME: (0.0, float(_DAY_US)),
}
_FINE_CELLS = 1024


@dataclass
class Noise:
    """What a mechanism needs: where to record itself and how much noise (drawn from OS entropy)."""

    accountant: PrivacyAccountant
    component: str
    noise_multiplier: float
    selection_delta: float
    bound: int
    weights: np.ndarray | None = None  # per row 1 / (its unit's rows): every unit then weighs 1 in all

    @property
    def sensitivity(self) -> float:
        """L2 sensitivity of a histogram with one entry per row: ``bound`` rows, or weight 1 per unit."""
        return 1.0 if self.weights is not None else float(self.bound)

    @property
    def sigma(self) -> float:
        return self.noise_multiplier * self.sensitivity

    def record(self, mechanism: str, selection_delta: float = 0.0) -> None:
        self.accountant.gaussian(self.component, mechanism, noise_multiplier=self.noise_multiplier, selection_delta=selection_delta)

    def bincount(self, cells: np.ndarray, minlength: int) -> np.ndarray:
        """Rows per cell, or units' weights per cell when weighted."""
        if self.weights is None:
            return np.bincount(cells, minlength=minlength).astype(np.float64)
        return np.bincount(cells, weights=self.weights, minlength=minlength)

    def add(self, counts: np.ndarray) -> np.ndarray:
        return np.asarray(counts, dtype=np.float64) + entropy.gaussian(self.sigma, np.shape(counts))


def noisy_count(n: int, noise: Noise, mechanism: str = "count") -> int:
    """``n`` plus Gaussian noise, rounded and floored at 0."""
    noise.record(mechanism)
    return max(0, int(np.rint(float(noise.add(np.array([n]))[0]))))


def noisy_histogram(counts: np.ndarray, noise: Noise, mechanism: str = "histogram") -> np.ndarray:
    """Counts over a public domain (cells fixed before looking at the data), noised, rounded, >= 0."""
    noise.record(mechanism)
    return np.clip(np.round(noise.add(counts)), 0, None).astype(np.int64)


def selection_threshold(noise: Noise) -> float:
    """Noisy count a value unseen elsewhere must pass: one unit adds at most ``bound`` such values
    of count <= ``sensitivity`` each, so P(any passes) <= bound * P(N(0, sigma) > threshold - sensitivity)."""
    per_value = noise.selection_delta / max(noise.bound, 1)
    if per_value <= 0:
        return math.inf
    return noise.sensitivity + noise.sigma * NormalDist().inv_cdf(1.0 - per_value)


def dp_vocabulary(values: list, noise: Noise, *, max_size: int) -> tuple[list, np.ndarray, int]:
    """(kept values, most frequent first; their noisy counts; noisy count of the suppressed rest).

    Noisy-threshold partition selection: a value is kept only when its noisy count passes
    ``selection_threshold``, which spends ``noise.selection_delta`` besides the Gaussian's RDP.
    """
    counts: Counter = Counter()
    for value, weight in zip(values, noise.weights if noise.weights is not None else np.ones(len(values)), strict=True):
        counts[value] += float(weight)
    noise.record("vocabulary", selection_delta=noise.selection_delta)
    threshold = selection_threshold(noise)
    keys = sorted(counts, key=str)
    noisy = noise.add(np.array([counts[k] for k in keys], dtype=np.float64)) if keys else np.zeros(0)
    order = sorted(range(len(keys)), key=lambda i: (-noisy[i], str(keys[i])))
    kept = [i for i in order if noisy[i] > threshold][:max_size]
    rest = float(sum(max(noisy[i], 0.0) for i in range(len(keys)) if i not in set(kept)))
    return [keys[i] for i in kept], np.array([max(1, int(np.rint(noisy[i]))) for i in kept], dtype=np.int64), int(np.rint(rest))


def dp_categorical_encoder(
    series: pd.Series, spec: ColumnSpec, noise: Noise, *, max_categories: int, domain: list | None = None
) -> CategoricalEncoder:
    """A CategoricalEncoder whose categories and counts come from one DP vocabulary (NULL a value too).

    With a public ``domain`` (booleans; cluster labels; an enum's labels or a CHECK's IN list) it is
    a plain noisy histogram over it instead.
    """
    keys = ["\x00NULL" if _is_null(v) else _category_key(v, spec.kind) for v in series.tolist()]
    if spec.kind is TypeKind.BOOLEAN:
        domain = [False, True]
    if domain is not None:  # nothing to select: values outside the domain count as rare
        index = {value: i for i, value in enumerate(domain)}
        cells = np.array([0 if k == "\x00NULL" else 2 + index[k] if k in index else 1 for k in keys], dtype=np.int64)
        noisy = noisy_histogram(noise.bincount(cells, 2 + len(domain)), noise)
        faint = noisy < 2 * noise.sigma  # post-processing: within noise of 0, never generated
        if (~faint[2:]).any():
            noisy[2:][faint[2:]] = 0
        noisy[1] = 0
        if noisy[2:].sum() <= 0:  # nothing above the noise: every allowed value alike (data-free)
            noisy[2:] = 1
        return CategoricalEncoder(spec, categories=list(domain), counts=noisy)
    kept, counts, rest = dp_vocabulary(keys, noise, max_size=max_categories + 1)
    null_count = 0
    if "\x00NULL" in kept:
        null_count = int(counts[kept.index("\x00NULL")])
        counts = np.delete(counts, kept.index("\x00NULL"))
        kept.remove("\x00NULL")
    kept, counts = kept[:max_categories], counts[:max_categories]
    if not kept and not spec.nullable and spec.kind in (TypeKind.TEXT, TypeKind.OTHER):
        kept, counts = [""], np.array([1], dtype=np.int64)  # all suppressed: a placeholder, never a real value
    all_counts = np.concatenate([[null_count, rest], counts]).astype(np.int64)
    return CategoricalEncoder(spec, categories=kept, counts=all_counts)


def _log_cell(x: np.ndarray) -> np.ndarray:
    """Signed log-scale cell of each value: cell 0 holds |x| < 1, cell k ~ 1.05^(k-1) <= |x| < 1.05^k."""
    magnitude = np.floor(np.log(np.maximum(np.abs(x), 1.0)) / math.log(_LOG_RATIO)).astype(np.int64) + (np.abs(x) >= 1)
    return np.sign(x).astype(np.int64) * magnitude


def _cell_edges(cell: int) -> tuple[float, float]:
    if cell == 0:
        return -1.0, 1.0
    low, high = _LOG_RATIO ** (abs(cell) - 1), _LOG_RATIO ** abs(cell)
    return (low, high) if cell > 0 else (-high, -low)


_BOUND_LEVELS = (1, 2, 4)  # blocks of adjacent grid cells that may reveal a range


def _found_cells(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Grid cells (sorted) that lie in a block of 1, 2 or 4 adjacent cells whose noisy sum
    passes a threshold that no empty block of its level passes but with probability 1%.

    A small table spreads over many cells with too few rows each for one cell to stand out; summed
    (before any clipping, so the noise grows as sqrt(k) while the rows grow as k) its cells do.
    Post-processing of one noisy histogram: the levels cost no budget."""
    found: set[int] = set()
    for k in _BOUND_LEVELS:
        blocks = noisy.size // k
        if blocks < 1:
            break
        sums = noisy[: blocks * k].reshape(blocks, k).sum(axis=1)
        threshold = sigma * math.sqrt(k) * NormalDist().inv_cdf(1 - 0.01 / (blocks * len(_BOUND_LEVELS)))
        for block in np.nonzero(sums > threshold)[0]:
            found.update(range(int(block) * k, int(block) * k + k))
    return np.array(sorted(found), dtype=np.int64)


def _smoothed(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Non-negative mass per cell from a noisy fine histogram: cells summed (unclipped) in
    aligned blocks of 2^j cells, the smallest where a block of average mass holds two noise
    deviations, each block's clipped sum spread evenly over its cells. Few rows under much noise
    give coarse (up to uniform) mass instead of a histogram of noise. Post-processing only."""
    n = max(float(noisy.sum()), 1.0)
    size = 1
    while size < noisy.size and n * size / noisy.size < 2.0 * sigma * math.sqrt(size):
        size *= 2
    size = min(size, noisy.size)
    blocks = np.clip(noisy.reshape(-1, size).sum(axis=1), 0, None)
    if blocks.sum() <= 0:
        blocks = np.ones_like(blocks)
    return np.repeat(blocks / size, size)


def _public_step(spec: ColumnSpec) -> float | None:
    """The decoded step from the declared type only (1 for integers and dates, 10^-scale, 1 s)."""
    if spec.kind in (TypeKind.INTEGER, TypeKind.DATE):
        return 1.0
    if spec.kind is TypeKind.DECIMAL:
        return 10.0 ** -spec.scale if spec.scale is not None else None
    if spec.kind in (TypeKind.TIMESTAMP, TypeKind.TIME, TypeKind.INTERVAL):
        return 1_000_000.0
    return None


def dp_numeric_encoder(series: pd.Series, spec: ColumnSpec, noise: Noise, *, max_bins: int) -> NumericEncoder:
    """A NumericEncoder from two Gaussian histograms over public cells.

    1. Unless ``spec`` bounds both sides, a public grid gives the range: 1900-2100 in 512 cells
       for dates and timestamps, a signed log-scale grid (25% cells) for numbers; the range runs
       between the outermost cells that pass, alone or in a block of up to 4 neighbours, a
       threshold that empty cells miss (``_found_cells``).
    2. A uniform grid of the range (or its integers, when few) gives the NULL count and the CDF,
       smoothed into blocks as coarse as the noise needs (``_smoothed``); quantile bin edges and
       the fine decoding table are read off it.
    """
    numbers = to_numbers(series, spec.kind)
    present = numbers[~np.isnan(numbers)]
    step = _public_step(spec)
    low, high = _dp_range(numbers, present, spec, noise)
    if step is not None:
        low, high = math.floor(low / step) * step, max(math.floor(high / step) * step, math.floor(low / step) * step)
    clipped = np.clip(present, low, high)
    if step is not None and (high - low) / step + 1 <= max_bins:
        return _dp_exact_encoder(numbers, clipped, spec, noise, low=low, high=high, step=step)
    return _dp_binned_encoder(numbers, clipped, spec, noise, low=low, high=high, step=step, max_bins=max_bins)


def _dp_range(numbers: np.ndarray, present: np.ndarray, spec: ColumnSpec, noise: Noise) -> tuple[float, float]:
    """Step 1 of ``dp_numeric_encoder``: the range, within the spec's bounds."""
    low = high = 0.0
    if spec.low is not None and spec.high is not None:
        low, high = float(spec.low), float(spec.high)
    elif spec.kind in _PUBLIC_RANGE:
        low, high = _range_on_public_grid(numbers, present, spec.kind, noise)
    else:
        low, high = _range_on_log_grid(numbers, present, noise)
    if spec.low is not None:
        low = max(low, float(spec.low))
    if spec.high is not None:
        high = min(high, float(spec.high))
    return low, max(high, low)


def _range_on_public_grid(numbers: np.ndarray, present: np.ndarray, kind: TypeKind, noise: Noise) -> tuple[float, float]:
    """The range from a noisy histogram over a uniform grid of the kind's public range."""
    start, stop = _PUBLIC_RANGE[kind]
    width = (stop - start) / _RANGE_CELLS
    cells = np.full(numbers.size, _RANGE_CELLS, dtype=np.int64)
    cells[~np.isnan(numbers)] = np.clip(((present - start) / width).astype(np.int64), 0, _RANGE_CELLS - 1)
    noisy = noise.add(noise.bincount(cells, _RANGE_CELLS + 1)[:_RANGE_CELLS])
    noise.record("bounds")
    found = _found_cells(noisy, noise.sigma)
    if not found.size:  # nothing clear: the fullest noisy cell (still only post-processing)
        found = np.array([int(np.argmax(noisy))])
    return start + width * found[0], start + width * (found[-1] + 1)


def _range_on_log_grid(numbers: np.ndarray, present: np.ndarray, noise: Noise) -> tuple[float, float]:
    """The range from a noisy histogram over a signed log-scale grid."""
    span = int(math.ceil(math.log(1e15) / math.log(_LOG_RATIO))) + 1
    domain = np.arange(-span, span + 1)
    cells = np.full(numbers.size, domain.size, dtype=np.int64)  # NULLs: one extra cell, dropped
    cells[~np.isnan(numbers)] = np.clip(_log_cell(present), -span, span) + span
    counts = noise.bincount(cells, domain.size + 1)[: domain.size]
    noisy = noise.add(counts)
    noise.record("bounds")
    found = _found_cells(noisy, noise.sigma)
    if not found.size:  # nothing clear above the noise: a data-free guess, [0, 1]
        return 0.0, 1.0
    low, high = _cell_edges(int(domain[found[0]]))[0], _cell_edges(int(domain[found[-1]]))[1]
    if domain[found[0]] == 0:  # nothing negative passed: the range starts at 0
        low = 0.0
    return low, high


def _dp_exact_encoder(numbers: np.ndarray, clipped: np.ndarray, spec: ColumnSpec, noise: Noise, *,
                      low: float, high: float, step: float) -> NumericEncoder:
    """Few steps in the range: one exact code per step, counted by a noisy histogram."""
    values = low + step * np.arange(int(np.rint((high - low) / step)) + 1)
    idx = np.clip(np.round((clipped - low) / step).astype(np.int64), 0, values.size - 1)
    cells = np.zeros(numbers.size, dtype=np.int64)
    cells[~np.isnan(numbers)] = 1 + idx
    noisy = noisy_histogram(noise.bincount(cells, 1 + values.size), noise)
    # post-processing: a value whose noisy count is within noise of 0 is never generated
    faint = noisy < 2 * noise.sigma
    if (~faint[1:]).any():
        noisy[1:][faint[1:]] = 0
    return NumericEncoder(spec, values=values, edges=np.empty(0), fine=np.empty(0), step=step, counts=noisy)


def _dp_binned_encoder(numbers: np.ndarray, clipped: np.ndarray, spec: ColumnSpec, noise: Noise, *,
                       low: float, high: float, step: float | None, max_bins: int) -> NumericEncoder:
    """Step 2 of ``dp_numeric_encoder``: quantile bins read off a smoothed noisy CDF."""
    width = (high - low) / _FINE_CELLS if high > low else 1.0
    idx = np.clip(((clipped - low) / width).astype(np.int64), 0, _FINE_CELLS - 1)
    cells = np.zeros(numbers.size, dtype=np.int64)
    cells[~np.isnan(numbers)] = 1 + idx
    raw = noise.add(noise.bincount(cells, 1 + _FINE_CELLS))
    noise.record("histogram")
    null_count = max(0, int(np.rint(raw[0])))
    grid = np.linspace(low, high, _FINE_CELLS + 1)
    smooth = _smoothed(raw[1:], noise.sigma)
    mass = smooth + 1e-9  # every cell a little mass: a monotone CDF
    cdf = np.concatenate([[0.0], np.cumsum(mass) / mass.sum()])
    n_bins = max_bins
    edges = np.unique(np.interp(np.linspace(0, 1, n_bins + 1), cdf, grid))
    if step is not None:
        edges = np.unique(np.round(edges / step) * step)
    if edges.size < 2:
        edges = np.array([low, high if high > low else low + (step or 1.0)])
    fine = np.interp(np.linspace(0, 1, 16 * (edges.size - 1) + 1), cdf, grid)
    encoder = NumericEncoder(spec, values=np.empty(0), edges=edges, fine=fine, step=step, counts=np.zeros(1, dtype=np.int64))
    # counts per bin: post-processing of the noisy fine histogram (cells split by their centres)
    centres = grid[:-1] + width / 2
    bins = np.clip(np.searchsorted(edges, centres, side="right") - 1, 0, edges.size - 2)
    per_bin = np.bincount(bins, weights=smooth, minlength=edges.size - 1)
    encoder.counts = np.concatenate([[null_count], np.ceil(per_bin)]).astype(np.int64)
    return encoder


def dp_encoder(
    series: pd.Series, spec: ColumnSpec, noise: Noise, *, max_bins: int, max_categories: int, domain: list | None = None
) -> Encoder:
    if spec.kind in NUMERIC_KINDS:
        return dp_numeric_encoder(series, spec, noise, max_bins=max_bins)
    return dp_categorical_encoder(series, spec, noise, max_categories=max_categories, domain=domain)


def mechanisms_for(kind: TypeKind) -> int:
    """How many statistics mechanisms ``dp_encoder`` runs for a column of ``kind`` (at most)."""
    return 2 if kind in NUMERIC_KINDS else 1


__all__ = [
    "RARE_CODE",
    "Noise",
    "dp_categorical_encoder",
    "dp_encoder",
    "dp_numeric_encoder",
    "dp_vocabulary",
    "mechanisms_for",
    "noisy_count",
    "noisy_histogram",
    "selection_threshold",
]
