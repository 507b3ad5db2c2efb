"""Opaque values: binary blobs, UUIDs that are not keys, and JSON too varied for categories.

None is modelled for meaning: binaries are random bytes of the source's lengths (behind the
common file signature, such as PNG's, when the values share one); UUIDs are fresh version-4
ones; JSON keeps the source's structure (keys present with their rates, arrays of their lengths,
scalars of their types) while every leaf value is synthesised. Only object keys and string values
seen in at least ``min_count`` rows are kept, so nothing unique to one row appears.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from relsynth.errors import ArtifactError, GenerationError

log = logging.getLogger(__name__)

__all__ = ["BinaryModel", "JsonModel", "UuidModel"]

FORMAT_VERSION = 1
_MAX_LENGTHS = 200  # distinct lengths kept; more are binned to quantiles
_MAX_DEPTH = 6
_MAX_KEYS = 100
_MAX_STRINGS = 50


def _check_version(data: Mapping[str, Any], what: str) -> None:
    if data.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"{what} state has format version {data.get('format_version')!r}, this relsynth reads "
            f"{FORMAT_VERSION}; train the run again with this version"
        )


def _length_distribution(lengths: list[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    counts = Counter(lengths)
    if len(counts) > _MAX_LENGTHS:
        # Many distinct sizes: keep quantiles, so a rare exact size is never stored.
        quantiles = np.quantile(np.asarray(lengths), np.linspace(0, 1, _MAX_LENGTHS))
        counts = Counter(int(round(q)) for q in quantiles)
    ordered = sorted(counts)
    return tuple(ordered), tuple(counts[k] for k in ordered)


def _draw_lengths(
    lengths: tuple[int, ...], counts: tuple[int, ...], n: int, rng: np.random.Generator
) -> np.ndarray:
    if not lengths:
        return np.zeros(n, dtype=int)
    p = np.asarray(counts, dtype=float)
    return np.asarray(lengths)[rng.choice(len(lengths), size=n, p=p / p.sum())]


def _generator(rng: np.random.Generator | None, seed: int | None) -> np.random.Generator:
    if rng is not None:
        return rng
    if seed is None:
        raise GenerationError("sample() needs an rng or a seed: relsynth never draws unseeded")
    return np.random.default_rng(seed)


def _null_rate(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else 0.0


@dataclass(frozen=True)
class BinaryModel:
    """Random bytes with the source's length distribution, behind its shared file signature."""

    lengths: tuple[int, ...]
    counts: tuple[int, ...]
    prefix: bytes
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, *, max_prefix: int = 8) -> BinaryModel:
        blobs = [bytes(v) for v in values.dropna()]
        lengths, counts = _length_distribution([len(b) for b in blobs])
        prefix = b""
        # A signature shared by (almost) all of several values is a format, not content.
        if len(blobs) >= 2:
            for size in range(max_prefix, 0, -1):
                common = Counter(b[:size] for b in blobs if len(b) >= size).most_common(1)
                if common and common[0][1] >= max(2, 0.9 * len(blobs)):
                    prefix = common[0][0]
                    break
        return cls(lengths=lengths, counts=counts, prefix=prefix, null_rate=_null_rate(values))

    def sample(
        self, n: int, *, rng: np.random.Generator | None = None, seed: int | None = None
    ) -> pd.Series:
        rng = _generator(rng, seed)
        sizes = _draw_lengths(self.lengths, self.counts, n, rng)
        nulls = rng.random(n) < self.null_rate
        out: list[bytes | None] = []
        for size, null in zip(sizes, nulls, strict=True):
            if null:
                out.append(None)
                continue
            size = int(size)
            out.append((self.prefix + rng.bytes(max(size - len(self.prefix), 0)))[:size])
        return pd.Series(out, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "lengths": list(self.lengths),
            "counts": list(self.counts),
            "prefix": self.prefix.hex(),
            "null_rate": self.null_rate,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BinaryModel:
        _check_version(data, "binary model")
        return cls(
            lengths=tuple(int(x) for x in data["lengths"]),
            counts=tuple(int(x) for x in data["counts"]),
            prefix=bytes.fromhex(data["prefix"]),
            null_rate=float(data["null_rate"]),
        )


@dataclass(frozen=True)
class UuidModel:
    """Fresh version-4 UUIDs (as text, or ``uuid.UUID`` when the source held those)."""

    null_rate: float
    as_text: bool = True

    @classmethod
    def fit(cls, values: pd.Series) -> UuidModel:
        present = values.dropna()
        as_text = not (len(present) and isinstance(present.iloc[0], uuid.UUID))
        return cls(null_rate=_null_rate(values), as_text=as_text)

    def sample(
        self, n: int, *, rng: np.random.Generator | None = None, seed: int | None = None
    ) -> pd.Series:
        rng = _generator(rng, seed)
        raw = rng.bytes(16 * n)
        nulls = rng.random(n) < self.null_rate
        out: list[Any] = []
        for i in range(n):
            if nulls[i]:
                out.append(None)
                continue
            value = uuid.UUID(bytes=raw[16 * i : 16 * i + 16], version=4)
            out.append(str(value) if self.as_text else value)
        return pd.Series(out, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "null_rate": self.null_rate,
            "as_text": self.as_text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UuidModel:
        _check_version(data, "uuid model")
        return cls(null_rate=float(data["null_rate"]), as_text=bool(data["as_text"]))


# ---------------------------------------------------------------------------------------------
# JSON: a merged structure ("node") of every value, as plain JSON-able dicts.


def _new_node() -> dict[str, Any]:
    return {"n": 0, "types": {}}


def _observe(node: dict[str, Any], value: Any, depth: int) -> None:
    node["n"] += 1
    kind = _json_type(value)
    node["types"][kind] = node["types"].get(kind, 0) + 1
    if depth >= _MAX_DEPTH:
        return
    if kind == "object":
        keys = node.setdefault("keys", {})
        for key, item in value.items():
            child = keys.setdefault(str(key), _new_node())
            _observe(child, item, depth + 1)
    elif kind == "array":
        node.setdefault("lengths", []).append(len(value))
        item_node = node.setdefault("item", _new_node())
        for item in value:
            _observe(item_node, item, depth + 1)
    elif kind in ("integer", "number"):
        node.setdefault("numbers", []).append(float(value))
    elif kind == "string":
        node.setdefault("strings", []).append(value)
    elif kind == "boolean":
        node["true"] = node.get("true", 0) + int(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _summarise(node: dict[str, Any], min_count: int) -> dict[str, Any]:
    """Replace raw observations by safe statistics; drop keys seen in fewer than ``min_count``."""
    out: dict[str, Any] = {"n": node["n"], "types": node["types"]}
    if "keys" in node:
        keys = {
            key: _summarise(child, min_count)
            for key, child in node["keys"].items()
            if child["n"] >= min_count
        }
        out["keys"] = dict(sorted(keys.items(), key=lambda kv: -kv[1]["n"])[:_MAX_KEYS])
    if "lengths" in node:
        lengths, counts = _length_distribution(node["lengths"])
        out["lengths"], out["length_counts"] = list(lengths), list(counts)
        out["item"] = _summarise(node["item"], min_count)
    if "numbers" in node:
        numbers = np.asarray(node["numbers"])
        out["mean"], out["std"] = float(numbers.mean()), float(numbers.std())
        # Bounds from quantiles, not min/max: an extreme value can identify its row.
        out["low"], out["high"] = (float(q) for q in np.quantile(numbers, [0.02, 0.98]))
    if "strings" in node:
        counts = Counter(node["strings"])
        frequent = [(s, c) for s, c in counts.most_common(_MAX_STRINGS) if c >= min_count]
        out["values"] = [s for s, _ in frequent]
        out["value_counts"] = [c for _, c in frequent]
        out["categorical"] = sum(c for _, c in frequent) >= 0.8 * len(node["strings"])
        lengths, length_counts = _length_distribution([len(s.split()) for s in node["strings"]])
        out["words"], out["word_counts"] = list(lengths), list(length_counts)
    if "true" in node:
        out["true"] = node["true"]
    return out


@dataclass(frozen=True)
class JsonModel:
    """Structurally similar JSON: the same keys at their rates, leaves synthesised by type."""

    structure: Mapping[str, Any]
    null_rate: float
    as_text: bool
    seed: int = 0

    @classmethod
    def fit(cls, values: pd.Series, *, seed: int, min_count: int = 2) -> JsonModel:
        present = values.dropna()
        as_text = bool(len(present)) and isinstance(present.iloc[0], str)
        root = _new_node()
        for value in present:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue  # not JSON: it counts as absent structure
            _observe(root, value, 0)
        return cls(
            structure=_summarise(root, min_count),
            null_rate=_null_rate(values),
            as_text=as_text,
            seed=seed,
        )

    def sample(
        self, n: int, *, rng: np.random.Generator | None = None, seed: int | None = None
    ) -> pd.Series:
        rng = _generator(rng, self.seed if seed is None else seed)
        faker = Faker("en_US")
        faker.seed_instance(int(rng.integers(2**31)))
        nulls = rng.random(n) < self.null_rate
        out: list[Any] = []
        for i in range(n):
            if nulls[i] or not self.structure.get("n"):
                out.append(None)
                continue
            value = self._value(self.structure, rng, faker)
            out.append(json.dumps(value, ensure_ascii=False) if self.as_text else value)
        return pd.Series(out, dtype=object)

    def _value(self, node: Mapping[str, Any], rng: np.random.Generator, faker: Faker) -> Any:
        types = node.get("types") or {"null": 1}
        names = sorted(types)
        p = np.asarray([types[t] for t in names], dtype=float)
        kind = names[int(rng.choice(len(names), p=p / p.sum()))]
        if kind == "object":
            total = max(types["object"], 1)
            return {
                key: self._value(child, rng, faker)
                for key, child in node.get("keys", {}).items()
                if rng.random() < min(child["n"] / total, 1.0)
            }
        if kind == "array":
            lengths = tuple(node.get("lengths", ()))
            size = int(_draw_lengths(lengths, tuple(node.get("length_counts", ())), 1, rng)[0])
            item = node.get("item", _new_node())
            return [self._value(item, rng, faker) for _ in range(size)] if item.get("n") else []
        if kind in ("integer", "number"):
            low, high = node.get("low", 0.0), node.get("high", 1.0)
            draw = float(
                np.clip(rng.normal(node.get("mean", 0.0), node.get("std", 1.0)), low, high)
            )
            return int(round(draw)) if kind == "integer" else round(draw, 6)
        if kind == "boolean":
            return bool(rng.random() < node.get("true", 0) / max(types["boolean"], 1))
        if kind == "string":
            values = node.get("values", [])
            if values and (node.get("categorical") or rng.random() < 0.5):
                p = np.asarray(node["value_counts"], dtype=float)
                return values[int(rng.choice(len(values), p=p / p.sum()))]
            words = tuple(node.get("words", (1,)))
            size = int(_draw_lengths(words, tuple(node.get("word_counts", (1,))), 1, rng)[0])
            return " ".join(faker.words(max(size, 1)))
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "structure": self.structure,
            "null_rate": self.null_rate,
            "as_text": self.as_text,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JsonModel:
        _check_version(data, "json model")
        return cls(
            structure=data["structure"],
            null_rate=float(data["null_rate"]),
            as_text=bool(data["as_text"]),
            seed=int(data.get("seed", 0)),
        )
