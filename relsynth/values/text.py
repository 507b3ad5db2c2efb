"""Free text (descriptions, comments, titles) synthesised from a word-level Markov chain.

Only words seen at least ``min_count`` times enter the chain, so a rare word (a name, an order
number, a typo that identifies its writer) can never come out; a sentence of frequent words that
happens to equal a training value is regenerated. Training values are remembered only as salted
hashes, so the saved state holds no value. Lengths (in words) follow the source's distribution.
When a column has too few frequent words, a lorem-like Faker vocabulary fills in.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from relsynth.errors import ArtifactError, TrainingError
from relsynth.values.identifying import apply_case, case_of

log = logging.getLogger(__name__)

__all__ = ["TextModel"]

FORMAT_VERSION = 1
_MIN_VOCABULARY = 20  # fewer frequent words than this: add Faker's lorem words
_MAX_TRIES = 20


def _hash(text: str, salt: str) -> str:
    """A salted hash of ``text`` up to case and spacing, so near-copies count as copies."""
    normal = " ".join(text.casefold().split())
    return hashlib.blake2b(f"{salt}\x00{normal}".encode(), digest_size=10).hexdigest()


def _cumulative(ids, weights) -> tuple[list[int], list[float]]:  # type: ignore[no-untyped-def]
    return [int(i) for i in ids], list(itertools.accumulate(float(w) for w in weights))


@dataclass(frozen=True)
class TextModel:
    """A fitted text model; build it with ``TextModel.fit``, save it with ``to_dict``.

    ``transitions`` maps a state (one or two word indices joined by ``,``) to parallel lists of
    next-word indices and counts; ``starts`` holds first words with counts.
    """

    vocabulary: tuple[str, ...]
    unigram: tuple[int, ...]
    starts: tuple[tuple[int, int], ...]
    transitions: Mapping[str, tuple[tuple[int, ...], tuple[int, ...]]]
    order: int
    lengths: tuple[int, ...]  # distinct lengths in words
    length_counts: tuple[int, ...]
    null_rate: float
    empty_rate: float
    case: str
    salt: str
    seen: frozenset[str]  # salted hashes of the training values
    seed: int = 0

    # -- fitting --------------------------------------------------------------------------------

    @classmethod
    def fit(cls, values: pd.Series, *, seed: int, min_count: int = 2, order: int = 2) -> TextModel:
        """Learn a chain over words seen ``min_count`` times or more, and the lengths."""
        if order not in (1, 2):
            raise TrainingError(f"text model order {order} is not supported; use 1 or 2")
        if min_count < 1:
            raise TrainingError(f"min_count must be at least 1, got {min_count}")
        total = len(values)
        present = [str(v) for v in values.dropna()]
        null_rate = 1 - len(present) / total if total else 0.0
        texts = [v for v in present if v.strip()]
        empty_rate = 1 - len(texts) / len(present) if present else 0.0
        rng = np.random.default_rng(seed)
        salt = f"{int(rng.integers(2**62)):x}"
        case = case_of(texts)
        docs = [(v if case == "mixed" else v.lower()).split() for v in texts]

        counts = Counter(word for doc in docs for word in doc)
        frequent = _vocabulary(counts, min_count=min_count, seed=seed)
        index = {w: i for i, w in enumerate(frequent)}
        unigram = [0] * len(frequent)
        for word in frequent:
            unigram[index[word]] = max(counts.get(word, 0), 1)
        starts, table = _chain(docs, index, order)
        lengths = Counter(len(doc) for doc in docs)
        return cls(
            vocabulary=tuple(frequent),
            unigram=tuple(unigram),
            starts=tuple(sorted(starts.items())),
            transitions={
                state: (tuple(nexts), tuple(nexts[k] for k in nexts))
                for state, nexts in sorted(table.items())
            },
            order=order,
            lengths=tuple(sorted(lengths)),
            length_counts=tuple(lengths[k] for k in sorted(lengths)),
            null_rate=null_rate,
            empty_rate=empty_rate,
            case=case,
            salt=salt,
            seen=frozenset(_hash(v, salt) for v in present),
            seed=seed,
        )

    # -- sampling -------------------------------------------------------------------------------

    @cached_property
    def _cumulative(self) -> dict[str, tuple[list[int], list[float]]]:
        """Per state: next-word ids and cumulative weights, for O(log n) draws with ``bisect``.
        Python lists: a draw costs several times less than NumPy calls, and the sums are the same
        left-to-right float additions as ``np.cumsum``, so the same words are drawn."""
        table = {state: _cumulative(ids, weights) for state, (ids, weights) in self.transitions.items()}
        table["__any"] = _cumulative(range(len(self.vocabulary)), self.unigram)
        if self.starts:
            ids, weights = zip(*self.starts, strict=True)
            table["__start"] = _cumulative(ids, weights)
        return table

    def _draw(self, state: str, rng: np.random.Generator) -> int | None:
        entry = self._cumulative.get(state)
        if entry is None:
            return None
        ids, cum = entry
        return ids[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(ids) - 1)]

    def _sentence(self, length: int, rng: np.random.Generator, jump: float) -> list[int]:
        """``length`` word ids; each step leaves the chain for a unigram draw with ``jump``."""
        first = self._draw("__start", rng) if rng.random() < 0.95 else None
        words = [first if first is not None else self._draw("__any", rng)]
        while len(words) < length:
            nxt = None
            if jump and rng.random() < jump:
                words.append(self._draw("__any", rng))
                continue
            if self.order == 2 and len(words) >= 2:
                nxt = self._draw(f"{words[-2]},{words[-1]}", rng)
            if nxt is None:
                nxt = self._draw(str(words[-1]), rng)
            words.append(nxt if nxt is not None else self._draw("__any", rng))
        return words  # type: ignore[return-value]

    def _text(
        self, length: int, rng: np.random.Generator, max_length: int | None, jump: float = 0.0
    ) -> str:
        words = [self.vocabulary[i] for i in self._sentence(length, rng, jump)]
        text = " ".join(words)
        if max_length is not None and len(text) > max_length:
            cut = text[:max_length]
            text = cut.rsplit(" ", 1)[0] if " " in cut[1:] else cut
        return apply_case(text, self.case)

    def _is_seen(self, text: str) -> bool:
        return _hash(text, self.salt) in self.seen

    def sample(
        self,
        n: int,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        max_length: int | None = None,
    ) -> pd.Series:
        """``n`` synthetic texts (NULLs at the source's rate), none equal to a training value."""
        if rng is None:
            rng = np.random.default_rng(self.seed if seed is None else seed)
        lengths = np.asarray(self.lengths or (1,))
        counts = np.asarray(self.length_counts or (1,), dtype=float)
        drawn = lengths[rng.choice(len(lengths), size=n, p=counts / counts.sum())]
        kinds = rng.random(n)
        out: list[str | None] = []
        for i in range(n):
            if kinds[i] < self.null_rate:
                out.append(None)
                continue
            if kinds[i] < self.null_rate + (1 - self.null_rate) * self.empty_rate:
                out.append("")  # an empty string tells nothing: it may repeat the source's
                continue
            length = max(int(drawn[i]), 1)
            text = ""
            for tries in range(_MAX_TRIES):
                # Short texts retrace real ones easily (a two-word title is one transition):
                # later tries leave the chain more often, and past ten tries grow longer.
                jump = min(0.2 * tries, 0.8)
                text = self._text(length + max(tries - 10, 0) // 3, rng, max_length, jump)
                if text and not self._is_seen(text):
                    break
            if not text or self._is_seen(text):  # a tight max_length can force repeats
                text = self._fallback(rng, max_length)
            out.append(text)
        return pd.Series(out, dtype=object)

    def _fallback(self, rng: np.random.Generator, max_length: int | None) -> str:
        for _ in range(100):
            word = self.vocabulary[int(rng.integers(len(self.vocabulary)))]
            text = apply_case(word if max_length is None else word[:max_length], self.case)
            if text and not self._is_seen(text):
                return text
        letters = "abcdefghijklmnopqrstuvwxyz"
        size = max_length or 12
        while True:
            text = "".join(letters[i] for i in rng.integers(26, size=size))
            if not self._is_seen(text):
                return text

    # -- state ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "vocabulary": list(self.vocabulary),
            "unigram": list(self.unigram),
            "starts": [list(pair) for pair in self.starts],
            "transitions": {
                state: [list(ids), list(weights)]
                for state, (ids, weights) in self.transitions.items()
            },
            "order": self.order,
            "lengths": list(self.lengths),
            "length_counts": list(self.length_counts),
            "null_rate": self.null_rate,
            "empty_rate": self.empty_rate,
            "case": self.case,
            "salt": self.salt,
            "seen": sorted(self.seen),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TextModel:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ArtifactError(
                f"text model state has format version {version!r}, this relsynth reads "
                f"{FORMAT_VERSION}; train the run again with this version"
            )
        try:
            return cls(
                vocabulary=tuple(data["vocabulary"]),
                unigram=tuple(int(c) for c in data["unigram"]),
                starts=tuple((int(i), int(c)) for i, c in data["starts"]),
                transitions={
                    state: (tuple(int(i) for i in ids), tuple(int(w) for w in weights))
                    for state, (ids, weights) in data["transitions"].items()
                },
                order=int(data["order"]),
                lengths=tuple(int(x) for x in data["lengths"]),
                length_counts=tuple(int(x) for x in data["length_counts"]),
                null_rate=float(data["null_rate"]),
                empty_rate=float(data["empty_rate"]),
                case=str(data["case"]),
                salt=str(data["salt"]),
                seen=frozenset(data["seen"]),
                seed=int(data["seed"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(
                f"text model state is damaged ({exc!r}); train the run again"
            ) from exc


def _vocabulary(counts: Counter[str], *, min_count: int, seed: int) -> list[str]:
    """The words seen ``min_count`` times or more, sorted; padded with lorem words (never the
    column's rare ones) when too few to say anything."""
    frequent = sorted(w for w, c in counts.items() if c >= min_count)
    if len(frequent) < _MIN_VOCABULARY:
        faker = Faker("en_US")
        faker.seed_instance(seed)
        rare = {w.casefold() for w, c in counts.items() if c < min_count}
        lorem = {w for w in faker.words(200, unique=True) if w.casefold() not in rare}
        frequent = sorted(set(frequent) | lorem)
    return frequent


def _chain(docs: list[list[str]], index: dict[str, int], order: int) -> tuple[Counter[int], dict[str, Counter[int]]]:
    """Counts of first words and of transitions (from the last word, and for order 2 from the
    last two words as "i,j"); rare words split a document, so no transition crosses them."""
    starts: Counter[int] = Counter()
    table: dict[str, Counter[int]] = defaultdict(Counter)
    for doc in docs:
        ids = [index.get(w) for w in doc]
        run: list[int] = []
        for pos, idx in enumerate(ids + [None]):
            if idx is None:
                run = []
                continue
            if pos == 0:
                starts[idx] += 1
            if run:
                table[str(run[-1])][idx] += 1
                if order == 2 and len(run) >= 2:
                    table[f"{run[-2]},{run[-1]}"][idx] += 1
            run.append(idx)
    return starts, table
