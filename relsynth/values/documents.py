"""Documents with a grammar: XML, and PostgreSQL's tsvector and tsquery.

XML keeps the source's shape: the same element and attribute names at their rates, the same
repetition counts, numbers where the source has numbers; every text and attribute value is
synthesised (a value shared by at least ``min_count`` rows, such as a status, may come back).
It is learned through ``JsonModel`` on a JSON image of each document. tsvector and tsquery values
are built from lexemes found in at least ``min_count`` rows only, with the source's sizes and
operators.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from relsynth.schema.elements import ColumnType
from relsynth.values.families import draw, null_rate
from relsynth.values.opaque import JsonModel

_WRAPPER = "relsynth-wrapper"
_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_NUMBER = re.compile(r"-?(0|[1-9]\d{0,14})(\.\d+)?")
_MIN_VOCABULARY = 5
_MAX_LEXEMES = 500
_BLOCK_ROWS = 2000  # rows drawn at once: a block x 500 lexemes of floats


def _scalar(text: str) -> Any:
    """Numbers stay numbers, so an id attribute comes back as a number, not as a word."""
    if _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


def _image(element: ET.Element) -> dict[str, Any]:
    node: dict[str, Any] = {f"@{k}": _scalar(v) for k, v in element.attrib.items()}
    if element.text and element.text.strip():
        node["#text"] = _scalar(element.text.strip())
    for child in element:
        node.setdefault(child.tag, []).append(_image(child))
    return node


def _xml_image(value: Any) -> dict[str, Any] | None:
    text = _PROLOG.sub("", str(value))
    try:
        return _image(ET.fromstring(f"<{_WRAPPER}>{text}</{_WRAPPER}>"))
    except ET.ParseError:
        return None  # not well formed (a DOCTYPE, say): it teaches no shape


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _element(tag: str, node: Any) -> ET.Element:
    element = ET.Element(tag)
    if not isinstance(node, dict):
        element.text = _text(node)
        return element
    for key, value in node.items():
        if key.startswith("@"):
            element.set(key[1:], _text(value))
        elif key == "#text":
            element.text = _text(value)
        else:
            for item in value if isinstance(value, list) else [value]:
                element.append(_element(key, item))
    return element


@dataclass(frozen=True)
class XmlModel:
    shape: dict[str, Any]  # a JsonModel state over the documents' JSON images

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> XmlModel:
        images = values.map(_xml_image, na_action="ignore")
        return cls(JsonModel.fit(images.astype(object), seed=seed, min_count=min_count).to_dict())

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        model = JsonModel.from_dict(self.shape)
        if not model.structure.get("n"):  # nothing learned (no rows, or under DP): empty content, still valid
            return pd.Series([""] * n, dtype=object)
        images = model.sample(n, rng=rng)
        return images.map(self._document, na_action="ignore").astype(object)

    @staticmethod
    def _document(image: Any) -> str:
        root = _element(_WRAPPER, image)
        return "".join(ET.tostring(child, encoding="unicode") for child in root)

    def to_dict(self) -> dict[str, Any]:
        return {"shape": self.shape}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> XmlModel:
        return cls(data["shape"])


_LEXEME = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")


def _quoted(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _vocabulary(documents: list[list[str]], min_count: int, seed: int) -> tuple[list[str], list[int]]:
    """Lexemes found in at least ``min_count`` documents (with their counts); Faker's words if none is."""
    found = Counter(lexeme for lexemes in documents for lexeme in set(lexemes))
    # ties in lexeme order, not in set order: that follows str hashing, which differs per process
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))[:_MAX_LEXEMES]
    kept = [(w, c) for w, c in ranked if c >= min_count]
    if not kept:  # no lexeme is shared by enough rows: neutral words, never a real one
        faker = Faker("en_US")
        faker.seed_instance(seed)
        kept = [(w, 1) for w in sorted(set(faker.words(3 * _MIN_VOCABULARY))) if w not in found][:_MIN_VOCABULARY]
    return [w for w, _ in kept], [c for _, c in kept]


@dataclass(frozen=True)
class TsvectorModel:
    lexemes: list[str]
    counts: list[int]
    sizes: dict[str, int]  # lexemes per value -> rows
    positions: bool  # the source's lexemes carry positions
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> TsvectorModel:
        parsed = [_LEXEME.findall(str(v)) for v in values.dropna()]
        documents = [[lexeme.replace("''", "'") for lexeme, _ in tokens] for tokens in parsed]
        lexemes, counts = _vocabulary(documents, min_count, seed)
        sizes = Counter(str(len(d)) for d in documents)
        positions = any(where for tokens in parsed for _, where in tokens)
        return cls(lexemes, counts, dict(sizes), positions, null_rate(values))

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        out: list[str | None] = []
        for start in range(0, n, _BLOCK_ROWS):
            out += self._block(min(_BLOCK_ROWS, n - start), rng)
        return pd.Series(out, dtype=object)

    def _block(self, n: int, rng: np.random.Generator) -> list[str | None]:
        nulls = rng.random(n) < self.null_rate
        sizes = draw(list(self.sizes), list(self.sizes.values()), n, rng) if self.sizes else ["0"] * n
        # Weighted draws without replacement, a block of rows at once: the k largest Gumbel-perturbed log weights.
        logp = np.log(np.asarray(self.counts, dtype=float))
        order = np.argsort(-(logp - np.log(-np.log(rng.random((n, logp.size))))), axis=1)
        out: list[str | None] = []
        for row, (size, null) in enumerate(zip(sizes, nulls, strict=True)):
            if null:
                out.append(None)
                continue
            k = min(int(size), len(self.lexemes))
            chosen = sorted(self.lexemes[i] for i in order[row, :k])
            spots = np.sort(rng.choice(np.arange(1, 2 * k + 2), size=k, replace=False)) if self.positions else []
            if self.positions:
                out.append(" ".join(f"{_quoted(w)}:{int(s)}" for w, s in zip(chosen, rng.permutation(spots), strict=True)))
            else:
                out.append(" ".join(_quoted(w) for w in chosen))
        return out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TsvectorModel:
        return cls(**data)


@dataclass(frozen=True)
class TsqueryModel:
    lexemes: list[str]
    counts: list[int]
    sizes: dict[str, int]  # terms per query -> rows
    operators: dict[str, int]  # "&", "|", "<->" -> uses
    null_rate: float

    @classmethod
    def fit(cls, values: pd.Series, column_type: ColumnType, *, seed: int, min_count: int = 3, domains=None) -> TsqueryModel:
        texts = [str(v) for v in values.dropna()]
        documents = [[lexeme.replace("''", "'") for lexeme, _ in _LEXEME.findall(t)] for t in texts]
        lexemes, counts = _vocabulary(documents, min_count, seed)
        operators = Counter(op for t in texts for op in re.findall(r"<->|&|\|", re.sub(_LEXEME, "", t)))
        sizes = Counter(str(max(len(d), 1)) for d in documents)
        return cls(lexemes, counts, dict(sizes), dict(operators) or {"&": 1}, null_rate(values))

    def sample(self, n: int, *, rng: np.random.Generator) -> pd.Series:
        nulls = rng.random(n) < self.null_rate
        sizes = draw(list(self.sizes), list(self.sizes.values()), n, rng) if self.sizes else ["1"] * n
        out: list[str | None] = []
        for size, null in zip(sizes, nulls, strict=True):
            if null:
                out.append(None)
                continue
            p = np.asarray(self.counts, dtype=float)
            k = min(max(int(size), 1), len(self.lexemes))
            terms = [self.lexemes[i] for i in rng.choice(len(self.lexemes), size=k, replace=False, p=p / p.sum())]
            operators = draw(list(self.operators), list(self.operators.values()), len(terms) - 1, rng)
            query = _quoted(terms[0])
            for operator, term in zip(operators, terms[1:], strict=True):
                query += f" {operator} {_quoted(term)}"
            out.append(query)
        return pd.Series(out, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TsqueryModel:
        return cls(**data)
