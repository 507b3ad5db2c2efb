"""Arrays of a type family (``inet[]``, ``macaddr[]``, ...), of an enum (``mood[]``) or of uuid.

Learned: the array lengths, and the elements through the item's own model, fitted on every
element of every array (an enum's elements by label frequency). Arrays come out as Python lists;
the loaders write them as PostgreSQL array literals, or as JSON where the target has no arrays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relsynth.schema.elements import ColumnType, TypeKind
from relsynth.values import families
from relsynth.values.opaque import UuidModel

_MAX_FREQUENT = 50


def parse_literal(text: str) -> list[Any]:
    """A one-level PostgreSQL array literal (``{a,"b c",NULL}``) as a list; nesting is flattened."""
    items: list[Any] = []
    current, quoted, escaped, was_quoted = [], False, False, False
    for ch in text.strip().lstrip("{").rstrip("}") + ",":
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted, was_quoted = not quoted, True
        elif ch in "{}" and not quoted:
            continue
        elif ch == "," and not quoted:
            word = "".join(current)
            items.append(None if word == "NULL" and not was_quoted else word)
            current, was_quoted = [], False
        else:
            current.append(ch)
    return [] if items == [""] else items


def _elements(value: Any) -> list[Any]:
    if isinstance(value, str):
        return parse_literal(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    flat: list[Any] = []
    for item in value:
        flat.extend(_elements(item) if isinstance(item, list | tuple | np.ndarray) else [item])
    return flat


@dataclass(frozen=True)
class ArrayModel:
    lengths: dict[str, int]  # array length -> rows of the other arrays
    item_family: str | None  # None: enum labels
    item_state: dict[str, Any]
    null_rate: float
    frequent: list[list[Any]] = field(default_factory=list)  # whole arrays seen in min_count rows
    frequent_counts: list[int] = field(default_factory=list)

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> ArrayModel:
        arrays = [_elements(v) for v in values.dropna()]
        elements = pd.Series([e for a in arrays for e in a], dtype=object)
        item = families.resolve_domain(column_type.item or ColumnType(TypeKind.TEXT, "text"), domains)
        family = "uuid" if item.kind is TypeKind.UUID else families.family_of(item, domains)
        if family is not None and family != "array":
            state = families.fit(family, elements, item, seed=seed, domains=domains)
        else:  # enum labels: schema, not data; their frequencies are learned
            found = Counter(str(e) for e in elements.dropna())
            labels = list(item.enum_values) or sorted(found)
            state = {"labels": labels, "counts": [found.get(label, 0) for label in labels]}
            family = None
        # A whole array shared by several rows ({red,blue} on every row) is a category, and comes back.
        whole = Counter(tuple(str(e) for e in a) for a in arrays)
        kept = [(list(a), c) for a, c in whole.most_common(_MAX_FREQUENT) if c >= min_count]
        shared = {tuple(a) for a, _ in kept}
        lengths = Counter(str(len(a)) for a in arrays if tuple(str(e) for e in a) not in shared)
        return cls(dict(lengths), family, state, families.null_rate(values), [a for a, _ in kept], [c for _, c in kept])

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        rest = sum(self.lengths.values())
        whole = (rng.random(n) < sum(self.frequent_counts) / max(sum(self.frequent_counts) + rest, 1)) & ~nulls
        chosen = families.draw(self.frequent, self.frequent_counts, n, rng) if self.frequent else [None] * n
        whole &= np.asarray([c is not None for c in chosen], dtype=bool)
        sizes = [int(s) for s in families.draw(list(self.lengths), list(self.lengths.values()), n, rng)] if self.lengths else [0] * n
        fresh = ~nulls & ~whole
        items = self._items(sum(size for size, new in zip(sizes, fresh, strict=True) if new), rng)
        out: list[list[Any] | None] = []
        start = 0
        for i in range(n):
            if whole[i]:
                out.append(list(chosen[i]))
            elif fresh[i]:
                out.append(items[start : start + sizes[i]])
                start += sizes[i]
            else:
                out.append(None)
        return pd.Series(out, dtype=object)

    def _items(self, total: int, rng: np.random.Generator) -> list[Any]:
        if self.item_family is not None:
            return families.sample(self.item_family, self.item_state, total, rng).tolist()
        labels, counts = self.item_state["labels"], self.item_state["counts"]
        if not labels:
            return [None] * total
        weights = counts if sum(counts) else [1] * len(labels)
        return families.draw(labels, weights, total, rng)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArrayModel:
        return cls(**data)


class UuidItems(UuidModel):
    """Fresh version-4 UUIDs as array elements (never the source's)."""

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> UuidItems:
        return cls(null_rate=0.0, as_text=True)
