"""Column encoders: each turns one column into integer codes and back.

Every encoder reserves code 0 for NULL, so NULLs keep their real rate in every kind. Two families:

* ``NumericEncoder`` for INTEGER, FLOAT, DECIMAL and the temporal kinds (as numbers: DATE in days
  since 1970-01-01, TIMESTAMP in microseconds since the epoch (UTC), TIME in microseconds since
  midnight, INTERVAL in microseconds). At most ``max_bins`` distinct values are kept exactly;
  otherwise frequent exact values ("spikes", e.g. 0 or 9.99) get codes of their own and the rest
  fall into quantile bins, decoded through a finer quantile table within the bin and rounded to the
  column's step (1 for integers, 10^-scale for decimals, a whole second for timestamps that only
  hold whole seconds, ...). Quantile bins follow heavy tails and several modes.
* ``CategoricalEncoder`` for BOOLEAN, TEXT, ENUM, JSON, ARRAY and OTHER: one code per category,
  code 1 for rare or unseen values.

Decoded dtypes (what ``decode`` returns, NULL as shown):

=========  ==================================================================  ==========
kind       dtype / Python type                                                 NULL
=========  ==================================================================  ==========
INTEGER    pandas ``Int64``                                                    ``<NA>``
FLOAT      ``float64``                                                         NaN
DECIMAL    object of ``decimal.Decimal``, quantized to ``scale`` places         None
DATE       object of ``datetime.date`` (covers years 1-9999, unlike [ns])       None
TIMESTAMP  ``datetime64[us]``; ``datetime64[us, UTC]`` when ``timezone``         NaT
TIME       object of ``datetime.time``                                         None
INTERVAL   ``timedelta64[ns]`` (elements are ``pd.Timedelta``)                 NaT
BOOLEAN    pandas ``boolean``                                                  ``<NA>``
TEXT/ENUM  object of ``str``                                                   None
OTHER      object of ``str``                                                   None
JSON/ARRAY object of Python values (``json.loads`` of the canonical form)        None
=========  ==================================================================  ==========
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.errors import ArtifactError, TrainingError
from relsynth.schema.elements import TypeKind

NULL_CODE = 0
RARE_CODE = 1  # categorical only

_US_PER_DAY = 86_400_000_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

NUMERIC_KINDS = frozenset(
    {
        TypeKind.INTEGER,
        TypeKind.FLOAT,
        TypeKind.DECIMAL,
        TypeKind.DATE,
        TypeKind.TIME,
        TypeKind.TIMESTAMP,
        TypeKind.INTERVAL,
    }
)
CATEGORICAL_KINDS = frozenset(
    {
        TypeKind.BOOLEAN,
        TypeKind.TEXT,
        TypeKind.ENUM,
        TypeKind.JSON,
        TypeKind.ARRAY,
        TypeKind.OTHER,
    }
)

# Candidate steps (the granularity a decoded value is rounded to), coarsest first. The coarsest
# that divides every observed value wins, so whole-second timestamps decode to whole seconds.
_TIME_STEPS = (3_600_000_000, 60_000_000, 1_000_000, 1_000, 1)
_STEPS: dict[TypeKind, tuple[float, ...]] = {
    TypeKind.INTEGER: (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1),
    TypeKind.DATE: (1,),
    TypeKind.TIMESTAMP: (_US_PER_DAY, *_TIME_STEPS),
    TypeKind.INTERVAL: (_US_PER_DAY, *_TIME_STEPS),
    TypeKind.TIME: _TIME_STEPS,
}
_MAX_DECIMAL_PLACES = 12
# A numeric value seen fewer times than this is never stored for exact reproduction: in a small
# table a birth date or a salary seen once identifies its row. Such values are binned instead.
MIN_EXACT_COUNT = 3
MIN_BINS = 8
FINE_ROWS = 10  # rows per step of a binned column's within-bin inverse CDF (tables below ~16k rows)


@dataclass(frozen=True)
class ColumnSpec:
    """One column as the model sees it.

    ``scale``: decimal places kept for DECIMAL (inferred from the data when None).
    ``timezone``: TIMESTAMP WITH TIME ZONE, decoded tz-aware in UTC.
    ``nullable``: when False the model never produces NULL.
    ``low``/``high``: hard bounds (from CHECK constraints) for INTEGER, FLOAT and DECIMAL;
    decoded values are clipped into them. Ignored for other kinds.
    """

    name: str
    kind: TypeKind
    scale: int | None = None
    timezone: bool = False
    nullable: bool = True
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "scale": self.scale,
            "timezone": self.timezone,
            "nullable": self.nullable,
            "low": self.low,
            "high": self.high,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnSpec:
        return cls(**{**data, "kind": TypeKind(data["kind"])})


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


# ---------------------------------------------------------------------------------------------
# values <-> numbers for the numeric family


def _timestamp_us(value: Any) -> float:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return float(value.to_datetime64().astype("datetime64[us]").astype(np.int64))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return float(np.datetime64(value, "us").astype(np.int64))
    if isinstance(value, dt.date):
        return float((value.toordinal() - _EPOCH_ORDINAL) * _US_PER_DAY)
    return float(np.datetime64(value, "us").astype(np.int64))


def _date_days(value: Any) -> float:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(value.toordinal() - _EPOCH_ORDINAL)
    return float(np.datetime64(value, "D").astype(np.int64))


def _time_us(value: Any) -> float:
    if isinstance(value, str):
        value = dt.time.fromisoformat(value)
    if isinstance(value, dt.time):
        return float(
            ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
        )
    # MySQL drivers return TIME as a timedelta
    return _interval_us(value)


def _interval_us(value: Any) -> float:
    if isinstance(value, pd.Timedelta):
        return float(value.to_timedelta64().astype("timedelta64[us]").astype(np.int64))
    if isinstance(value, dt.timedelta):
        return float((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds)
    if isinstance(value, np.timedelta64):
        return float(value.astype("timedelta64[us]").astype(np.int64))
    return _interval_us(pd.Timedelta(value))


def _elementwise(series: pd.Series, convert: Any) -> np.ndarray:
    return np.array(
        [np.nan if _is_null(v) else convert(v) for v in series.tolist()], dtype=np.float64
    )


def to_numbers(series: pd.Series, kind: TypeKind) -> np.ndarray:
    """The column as float64 numbers in the encoder's unit (module docstring); NaN is NULL."""
    if kind in (TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL):
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype("float64")
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    dtype = series.dtype
    if kind is TypeKind.TIMESTAMP:
        if isinstance(dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            dtype = series.dtype
        if pd.api.types.is_datetime64_dtype(dtype):
            values = series.to_numpy().astype("datetime64[us]")
            out = values.astype(np.int64).astype(np.float64)
            out[np.isnat(values)] = np.nan
            return out
        return _elementwise(series, _timestamp_us)
    if kind is TypeKind.DATE:
        if pd.api.types.is_datetime64_any_dtype(dtype):
            if isinstance(dtype, pd.DatetimeTZDtype):
                series = series.dt.tz_localize(None)
            values = series.to_numpy().astype("datetime64[D]")
            out = values.astype(np.int64).astype(np.float64)
            out[np.isnat(values)] = np.nan
            return out
        return _elementwise(series, _date_days)
    if kind is TypeKind.INTERVAL:
        if pd.api.types.is_timedelta64_dtype(dtype):
            values = series.to_numpy().astype("timedelta64[us]")
            out = values.astype(np.int64).astype(np.float64)
            out[np.isnat(values)] = np.nan
            return out
        return _elementwise(series, _interval_us)
    if kind is TypeKind.TIME:
        return _elementwise(series, _time_us)
    raise TrainingError(f"column kind {kind.value} is not numeric; this is a bug in relsynth")


def _from_numbers(values: np.ndarray, spec: ColumnSpec, step: float | None) -> pd.Series:
    """Numbers (already rounded to the step, NaN = NULL) as the kind's decoded dtype."""
    null = np.isnan(values)
    kind = spec.kind
    if kind is TypeKind.INTEGER and np.nanmax(values, initial=0) >= 2.0**63:  # MySQL's BIGINT UNSIGNED
        unsigned = np.minimum(np.where(null, 0, values), np.nextafter(2.0**64, 0))
        out = pd.array(unsigned.astype(np.uint64), dtype="UInt64")
        out[null] = pd.NA
        return pd.Series(out, name=spec.name)
    if kind is TypeKind.INTEGER:
        out = pd.array(np.where(null, 0, values).astype(np.int64), dtype="Int64")
        out[null] = pd.NA
        return pd.Series(out, name=spec.name)
    if kind is TypeKind.FLOAT:
        return pd.Series(values.astype(np.float64), name=spec.name)
    if kind is TypeKind.DECIMAL:
        places = spec.scale if spec.scale is not None else _places(step)
        quantum = decimal.Decimal(1).scaleb(-places) if places is not None else None
        items: list[Any] = []
        for value, is_null in zip(values.tolist(), null.tolist(), strict=True):
            if is_null:
                items.append(None)
            elif quantum is None:
                items.append(decimal.Decimal(repr(value)))
            else:
                items.append(decimal.Decimal(f"{value:.{places}f}").quantize(quantum))
        return pd.Series(items, dtype=object, name=spec.name)
    ints = np.where(null, 0, np.round(values)).astype(np.int64)
    if kind is TypeKind.TIMESTAMP:
        stamps = ints.astype("datetime64[us]")
        stamps[null] = np.datetime64("NaT")
        series = pd.Series(stamps, name=spec.name)
        return series.dt.tz_localize("UTC") if spec.timezone else series
    if kind is TypeKind.INTERVAL:
        deltas = ints.astype("timedelta64[us]").astype("timedelta64[ns]")
        deltas[null] = np.timedelta64("NaT")
        return pd.Series(deltas, name=spec.name)
    if kind is TypeKind.DATE:
        return pd.Series(
            [
                None if is_null else dt.date.fromordinal(int(days) + _EPOCH_ORDINAL)
                for days, is_null in zip(ints.tolist(), null.tolist(), strict=True)
            ],
            dtype=object,
            name=spec.name,
        )
    # TIME: wrap into one day so rounding never yields 24:00
    items = []
    for micros, is_null in zip(ints.tolist(), null.tolist(), strict=True):
        if is_null:
            items.append(None)
            continue
        micros %= _US_PER_DAY
        seconds, micro = divmod(micros, 1_000_000)
        items.append(dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro))
    return pd.Series(items, dtype=object, name=spec.name)


def _places(step: float | None) -> int | None:
    if step is None:
        return None
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _infer_step(values: np.ndarray, spec: ColumnSpec) -> float | None:
    """The coarsest candidate step that divides every observed value."""
    if spec.kind is TypeKind.FLOAT:
        return None
    if spec.kind is TypeKind.DECIMAL:
        finest = spec.scale if spec.scale is not None else _MAX_DECIMAL_PLACES
        candidates: tuple[float, ...] = tuple(10.0**k for k in range(6, -finest - 1, -1))
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


# ---------------------------------------------------------------------------------------------
# encoders


class Encoder:
    """Common interface: ``n_codes``, ``counts``, ``encode``, ``decode``, ``to_dict``."""

    spec: ColumnSpec
    counts: np.ndarray  # training rows per code; codes never seen are never sampled

    @property
    def n_codes(self) -> int:
        return int(self.counts.size)

    def allowed(self) -> np.ndarray:
        """Codes the sampler may draw: seen in training, and never NULL for a NOT NULL column."""
        mask = self.counts > 0
        if not self.spec.nullable:
            mask[NULL_CODE] = False
        if not mask.any():  # nothing seen (0 rows): the least wrong fallback
            mask[:] = True
            if not self.spec.nullable and self.n_codes > 1:
                mask[NULL_CODE] = False
        return mask

    def positions(self) -> np.ndarray:
        """Each code's place on the column's own scale, in [0, 1] (0 where there is none).

        The network sees it next to the code's embedding, so a numeric column's neighbouring
        bins share what is learned about them: small tables then keep their correlations.
        """
        return np.zeros(self.n_codes)

    def encode(self, series: pd.Series) -> np.ndarray:
        raise NotImplementedError

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


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
            is_spike = (freq / present.size >= spike_fraction) & (freq >= min_count)
            spikes, spike_freq = distinct[is_spike], freq[is_spike]
            if spikes.size > max_bins // 2:  # keep the most frequent, leave room for bins
                top = np.argsort(-spike_freq, kind="stable")[: max_bins // 2]
                spikes = np.sort(spikes[top])
            rest = present[~np.isin(present, spikes)]
            if rest.size:
                # About sqrt(rows) bins: 64 bins over 300 rows leave a handful of rows per code,
                # too few to learn a correlation from.
                n_bins = int(min(max_bins - spikes.size, max(MIN_BINS, np.sqrt(rest.size))))
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
            values = spikes
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


def _category_key(value: Any, kind: TypeKind) -> Any:
    """The canonical, JSON-storable form of a non-NULL value."""
    if kind is TypeKind.BOOLEAN:
        if isinstance(value, str):
            return value.strip().lower() in ("t", "true", "1", "y", "yes", "on")
        return bool(value)
    if kind in (TypeKind.JSON, TypeKind.ARRAY):
        if isinstance(value, str) and kind is TypeKind.JSON:
            try:  # a driver that hands JSON over as text
                value = json.loads(value)
            except ValueError:
                pass
        if isinstance(value, np.ndarray):
            value = value.tolist()
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class CategoricalEncoder(Encoder):
    """Codes: 0 NULL, 1 rare/unseen, 2.. the kept categories, most frequent first."""

    def __init__(self, spec: ColumnSpec, *, categories: list[Any], counts: np.ndarray) -> None:
        self.spec = spec
        self.categories = list(categories)
        self.counts = np.asarray(counts, dtype=np.int64)
        self._index = {key: i for i, key in enumerate(self.categories)}

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, *, max_categories: int, min_count: int = 1
    ) -> CategoricalEncoder:
        """Keep the ``max_categories`` most frequent values seen ``min_count`` times or more (a
        value seen fewer times points at its row); the others decode as kept ones. Booleans and
        enum labels are declared by the schema, not learned, so every one of them may be kept."""
        keys = [None if _is_null(v) else _category_key(v, spec.kind) for v in series.tolist()]
        present = pd.Series([k for k in keys if k is not None], dtype=object)
        freq = present.value_counts(sort=False)
        if spec.kind not in (TypeKind.BOOLEAN, TypeKind.ENUM) and not spec.name.startswith("__"):
            freq = freq[freq >= min_count]
        # most frequent first, ties by the key's text so the order does not depend on row order
        ordered = sorted(freq.items(), key=lambda item: (-item[1], str(item[0])))
        categories = [key for key, _ in ordered[:max_categories]]
        encoder = cls(spec, categories=categories, counts=np.zeros(2 + len(categories)))
        encoder.counts = np.bincount(encoder._codes(keys), minlength=2 + len(categories)).astype(
            np.int64
        )
        return encoder

    def _codes(self, keys: list[Any]) -> np.ndarray:
        index = self._index
        return np.array(
            [NULL_CODE if k is None else 2 + index[k] if k in index else RARE_CODE for k in keys],
            dtype=np.int64,
        )

    def encode(self, series: pd.Series) -> np.ndarray:
        kind = self.spec.kind
        return self._codes(
            [None if _is_null(v) else _category_key(v, kind) for v in series.tolist()]
        )

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        codes = np.asarray(codes, dtype=np.int64).copy()
        rare = codes == RARE_CODE
        if rare.any():
            kept = self.counts[2:]
            if kept.sum() > 0:  # a rare code stands for a kept category drawn by frequency
                codes[rare] = 2 + rng.choice(kept.size, size=int(rare.sum()), p=kept / kept.sum())
            else:
                codes[rare] = NULL_CODE
        kind = self.spec.kind
        if kind is TypeKind.BOOLEAN:
            table = np.array([False, False, *[bool(c) for c in self.categories]], dtype=bool)
            out = pd.array(table[codes], dtype="boolean")
            out[codes == NULL_CODE] = pd.NA
            return pd.Series(out, name=self.spec.name)
        if kind in (TypeKind.JSON, TypeKind.ARRAY):
            parsed = [json.loads(c) for c in self.categories]
            items = [None if c == NULL_CODE else parsed[c - 2] for c in codes.tolist()]
        else:
            items = [None if c == NULL_CODE else self.categories[c - 2] for c in codes.tolist()]
        return pd.Series(items, dtype=object, name=self.spec.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "categorical",
            "spec": self.spec.to_dict(),
            "categories": self.categories,
            "counts": self.counts.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalEncoder:
        return cls(
            ColumnSpec.from_dict(data["spec"]),
            categories=data["categories"],
            counts=np.array(data["counts"], dtype=np.int64),
        )


def fit_encoder(
    series: pd.Series,
    spec: ColumnSpec,
    *,
    max_bins: int,
    max_categories: int,
    spike_fraction: float,
    min_count: int | None = None,
) -> Encoder:
    """Fit the encoder for ``spec.kind`` on ``series``; ``min_count`` is the privacy k (None:
    exact numbers need MIN_EXACT_COUNT occurrences, and every category is kept)."""
    if spec.kind in NUMERIC_KINDS:
        try:
            return NumericEncoder.fit(
                series, spec, max_bins=max_bins, spike_fraction=spike_fraction,
                min_count=MIN_EXACT_COUNT if min_count is None else min_count,
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise TrainingError(
                f"column {spec.name!r} is declared {spec.kind.value} but holds values that are "
                f"not: {exc}; fix the column's ColumnSpec kind"
            ) from exc
    if spec.kind in CATEGORICAL_KINDS:
        return CategoricalEncoder.fit(series, spec, max_categories=max_categories, min_count=min_count or 1)
    raise TrainingError(
        f"column {spec.name!r} has kind {spec.kind.value}, which the table model does not learn "
        "(keys, UUIDs and binary columns are generated elsewhere); leave it out of the specs"
    )


def encoder_from_dict(data: dict[str, Any]) -> Encoder:
    kind = data.get("type")
    if kind == "numeric":
        return NumericEncoder.from_dict(data)
    if kind == "categorical":
        return CategoricalEncoder.from_dict(data)
    raise ArtifactError(f"saved encoder has unknown type {kind!r}; the artifact is damaged")
