"""The categorical family's encoder: one code per kept category, for BOOLEAN, TEXT, ENUM, JSON,
ARRAY and OTHER. TEXT, ENUM and OTHER are keyed by their text; BOOLEAN (``boolean``) and
JSON/ARRAY (``structured``) have canonical keys and decoded types of their own."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from relsynth.modeling.encoding.base import NULL_CODE, RARE_CODE, ColumnSpec, Encoder, _is_null
from relsynth.modeling.encoding.boolean import boolean_key, booleans
from relsynth.modeling.encoding.structured import STRUCTURED_KINDS, structured_key, structured_values
from relsynth.schema.elements import TypeKind


def _category_key(value: Any, kind: TypeKind) -> Any:
    """The canonical, JSON-storable form of a non-NULL value."""
    if kind is TypeKind.BOOLEAN:
        return boolean_key(value)
    if kind in STRUCTURED_KINDS:
        return structured_key(value, kind)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _keys(series: pd.Series, kind: TypeKind) -> list[Any]:
    """``_category_key`` of each value, None for NULL; a plain string is its own key."""
    if kind is TypeKind.BOOLEAN or kind in STRUCTURED_KINDS:
        return [None if _is_null(v) else _category_key(v, kind) for v in series.tolist()]
    return [v if type(v) is str else None if _is_null(v) else _category_key(v, kind) for v in series.tolist()]


_TEXT_TYPES = frozenset({str, type(None)})


def _lookup(categories: list[Any]) -> np.ndarray:
    """What each code decodes to: NULL, then (as ``categories[c - 2]`` reads it) the last
    category for the rare code, then the categories."""
    table = np.empty(2 + len(categories), dtype=object)
    for code, value in enumerate([None, categories[-1] if categories else None, *categories]):
        table[code] = value  # one by one: NumPy would read a sequence as a row
    return table


class CategoricalEncoder(Encoder):
    """Codes: 0 NULL, 1 rare/unseen, 2.. the kept categories, most frequent first.

    ``novel``: new values (never real ones) that the rare code decodes to, drawn uniformly; a
    code column's rare codes keep their share this way (``relsynth.values.codes``). Without
    them the rare code decodes to a kept category drawn by frequency.
    """

    def __init__(self, spec: ColumnSpec, *, categories: list[Any], counts: np.ndarray, novel: list[str] | None = None) -> None:
        self.spec = spec
        self.categories = list(categories)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.novel = list(novel or [])
        self._index = {key: i for i, key in enumerate(self.categories)}

    @classmethod
    def fit(
        cls, series: pd.Series, spec: ColumnSpec, *, max_categories: int, min_count: int = 1
    ) -> CategoricalEncoder:
        """Keep the ``max_categories`` most frequent values seen ``min_count`` times or more (a
        value seen fewer times points at its row); the others decode as kept ones. Booleans and
        enum labels are declared by the schema, not learned, so every one of them may be kept."""
        keys = _keys(series, spec.kind)
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
        items = series.tolist()
        if kind is not TypeKind.BOOLEAN and kind not in STRUCTURED_KINDS and set(map(type, items)) <= _TEXT_TYPES:
            # plain text (each its own key) and None: each distinct text looked up once
            found, texts = pd.factorize(np.asarray(items, dtype=object))
            return np.append(self._codes(texts.tolist()), NULL_CODE)[found]
        return self._codes(_keys(series, kind))

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> pd.Series:
        codes = np.asarray(codes, dtype=np.int64).copy()
        rare = codes == RARE_CODE
        if rare.any() and self.novel and self.spec.kind not in STRUCTURED_KINDS | {TypeKind.BOOLEAN}:
            return self._with_novel(codes, rare, rng)
        if rare.any():
            kept = self.counts[2:]
            if kept.sum() > 0:  # a rare code stands for a kept category drawn by frequency
                codes[rare] = 2 + rng.choice(kept.size, size=int(rare.sum()), p=kept / kept.sum())
            else:
                codes[rare] = NULL_CODE
        kind = self.spec.kind
        if kind is TypeKind.BOOLEAN:
            return booleans(codes, self.categories, self.spec.name)
        if kind in STRUCTURED_KINDS:
            items = structured_values(codes, self.categories)
        else:
            items = _lookup(self.categories)[codes]
        return pd.Series(items, dtype=object, name=self.spec.name)

    def _with_novel(self, codes: np.ndarray, rare: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Kept categories as they are, each rare code as a new value from ``novel``."""
        items = [None if c == NULL_CODE else "" if c == RARE_CODE else self.categories[c - 2] for c in codes.tolist()]
        drawn = rng.choice(len(self.novel), size=int(rare.sum()))
        for row, pick in zip(np.flatnonzero(rare).tolist(), drawn.tolist(), strict=True):
            items[row] = self.novel[pick]
        return pd.Series(items, dtype=object, name=self.spec.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "categorical",
            "spec": self.spec.to_dict(),
            "categories": self.categories,
            "counts": self.counts.tolist(),
            "novel": self.novel,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalEncoder:
        return cls(
            ColumnSpec.from_dict(data["spec"]),
            categories=data["categories"],
            counts=np.array(data["counts"], dtype=np.int64),
            novel=data.get("novel"),
        )


