"""What every column encoder shares: the column's spec, the NULL and rare codes, the interface."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import TypeKind

NULL_CODE = 0
RARE_CODE = 1  # categorical only


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


def per_distinct(values: pd.Series, convert: Callable[[Any], Any], *, alike: Callable[[Any], bool] | None = None) -> np.ndarray:
    """``convert`` of every value (an object array), called once per distinct value (a date, a
    category) rather than once per row: the same results wherever equal values convert alike.
    Rows whose value ``alike`` rejects (a zero, equal to -0.0 though it prints otherwise) and
    NULL-like rows (pandas groups None, NaN, NaT and Decimal NaN) are converted one by one."""
    items = values.to_numpy(dtype=object)
    codes, distinct = pd.factorize(items)
    table = np.empty(len(distinct) + 1, dtype=object)
    single = np.zeros(len(distinct) + 1, dtype=bool)
    single[-1] = True  # code -1: NULL-like
    for i, value in enumerate(distinct.tolist()):
        if alike is None or alike(value):
            table[i] = convert(value)
        else:
            single[i] = True
    out = table[codes]
    for i in np.flatnonzero(single[codes]).tolist():
        out[i] = convert(items[i])
    return out


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


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
