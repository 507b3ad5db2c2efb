"""Sets of flags: bit strings (PostgreSQL bit(n) and bit varying, MySQL BIT(n)) and MySQL SET.

Whole values shared by at least ``min_count`` rows come back at their rate (a status mask seen
a hundred times is a category, not a secret); the other rows get each bit, or each SET label,
at its own learned rate, with the source's lengths. Bit strings come out as text of 0s and 1s of
a valid length (MySQL's loader binds them as integers); SET values as their labels joined by commas.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import ColumnType
from relsynth.values.families import base_name, draw, null_rate

_MAX_FREQUENT = 50


def _declared_bits(column_type: ColumnType) -> tuple[int | None, bool]:
    """(length, varying): ``bit(8)`` is (8, False), ``bit varying(16)`` (16, True), ``bit`` (1, False)."""
    varying = base_name(column_type.sql) in ("bit varying", "varbit")
    found = re.search(r"\((\d+)\)", column_type.sql)
    if found:
        return int(found.group(1)), varying
    return (None, True) if varying else (1, False)


def _bit_text(value: Any, length: int | None) -> str | None:
    if isinstance(value, bytes | bytearray | memoryview):  # MySQL: big-endian bytes
        number, width = int.from_bytes(bytes(value), "big"), length or len(bytes(value)) * 8
        return format(number, f"0{width}b")[-width:]
    if isinstance(value, int | np.integer):
        return format(int(value), f"0{length or 1}b")
    text = str(value).strip()
    return text if re.fullmatch(r"[01]*", text) else None


def _frequent(values: list[str], min_count: int) -> tuple[list[str], list[int]]:
    kept = [(v, c) for v, c in Counter(values).most_common(_MAX_FREQUENT) if c >= min_count]
    return [v for v, _ in kept], [c for _, c in kept]


@dataclass(frozen=True)
class BitModel:
    length: int | None  # the declared length (the maximum when varying), None when unbounded
    varying: bool
    frequent: list[str]
    frequent_counts: list[int]
    lengths: dict[str, int]  # lengths of the other values -> rows
    ones: list[float]  # each position's share of 1s among the other values
    rest: int  # rows not covered by a frequent value
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> BitModel:
        length, varying = _declared_bits(column_type)
        texts = [t for t in (_bit_text(v, length) for v in values.dropna()) if t is not None]
        frequent, counts = _frequent(texts, min_count)
        others = [t for t in texts if t not in set(frequent)]
        widest = max((len(t) for t in others), default=length or 0)
        ones = [float(np.mean([t[i] == "1" for t in others if len(t) > i] or [0.5])) for i in range(widest)]
        lengths = Counter(str(len(t)) for t in others)
        return cls(length, varying, frequent, counts, dict(lengths), ones, len(others), null_rate(values))

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        share = sum(self.frequent_counts) / max(sum(self.frequent_counts) + self.rest, 1)
        whole = (rng.random(n) < share) & bool(self.frequent)
        chosen = draw(self.frequent, self.frequent_counts, n, rng) if self.frequent else [None] * n
        sizes = self._sizes(n, rng)
        width = max(int(sizes.max(initial=0)), 1)
        ones = np.asarray((self.ones + [0.5] * width)[:width])
        bits = np.where(rng.random((n, width)) < ones, "1", "0")
        out = [
            None if nulls[i] else chosen[i] if whole[i] else "".join(bits[i, : sizes[i]])
            for i in range(n)
        ]
        return pd.Series(out, dtype=object)

    def _sizes(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if not self.varying and self.length:
            return np.full(n, self.length)
        if self.lengths:
            sizes = np.asarray(draw(list(self.lengths), list(self.lengths.values()), n, rng), dtype=int)
        else:
            sizes = np.full(n, self.length or 1)
        return np.minimum(sizes, self.length) if self.length else sizes

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BitModel:
        return cls(**data)


def set_labels(column_type: ColumnType) -> list[str]:
    """The labels a MySQL ``SET('a','b')`` declares, in order."""
    inner = column_type.sql.partition("(")[2].rpartition(")")[0]
    return [m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')*)'", inner)]


def _set_members(value: Any) -> tuple[str, ...]:
    if isinstance(value, set | frozenset | list | tuple):
        return tuple(sorted(str(v) for v in value))
    return tuple(sorted(part for part in str(value).split(",") if part))


@dataclass(frozen=True)
class SetModel:
    labels: list[str]
    frequent: list[str]  # frequent whole values, as their text
    frequent_counts: list[int]
    label_rates: list[float]  # each label's share among the other rows
    rest: int
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> SetModel:
        labels = set_labels(column_type)
        members = [_set_members(v) for v in values.dropna()]
        order = {label: i for i, label in enumerate(labels)}
        texts = [",".join(sorted((m for m in ms if m in order), key=order.__getitem__)) for ms in members]
        frequent, counts = _frequent(texts, min_count)
        others = [set(t.split(",")) for t in texts if t not in set(frequent)]
        rates = [float(np.mean([label in o for o in others])) if others else 0.0 for label in labels]
        return cls(labels, frequent, counts, rates, len(others), null_rate(values))

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        share = sum(self.frequent_counts) / max(sum(self.frequent_counts) + self.rest, 1)
        out: list[str | None] = []
        for null in nulls:
            if null:
                out.append(None)
            elif self.frequent and rng.random() < share:
                out.append(draw(self.frequent, self.frequent_counts, 1, rng)[0])
            else:
                chosen = rng.random(len(self.labels)) < np.asarray(self.label_rates)
                out.append(",".join(label for label, keep in zip(self.labels, chosen, strict=True) if keep))
        return pd.Series(out, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SetModel:
        return cls(**data)
