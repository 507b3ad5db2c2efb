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
import operator
from collections import Counter
from collections.abc import Iterator, Mapping
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


_Entry = tuple[list[int], list[float]]  # next-word ids, cumulative weights


def _cumulative(ids, weights) -> _Entry:  # type: ignore[no-untyped-def]
    return [int(i) for i in ids], list(itertools.accumulate(float(w) for w in weights))


class _Uniforms:
    """``rng.random()`` one number at a time, drawn from ``rng`` in blocks: the same numbers in
    the same order, without a NumPy call per word (``draw`` is a generator's C-level next).
    ``sync`` puts ``rng`` where single draws would have left it, before it draws anything else."""

    BLOCK = 4096

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._restart()

    def _restart(self) -> None:
        self._start: dict | None = None  # the rng's state before the current block
        self._stream = self._blocks()
        self.draw = self._stream.__next__

    def _blocks(self) -> Iterator[float]:
        while True:
            self._start = self.rng.bit_generator.state
            yield from self.rng.random(self.BLOCK).tolist()

    def sync(self) -> None:
        if self._start is not None:
            left = self._stream.gi_yieldfrom  # the current block's iterator: what it has not handed out
            used = self.BLOCK - (operator.length_hint(left) if left is not None else 0)
            self.rng.bit_generator.state = self._start
            self.rng.random(used)  # each double is one draw of the bit generator
        self._restart()


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
            transitions=dict(sorted(table.items())),
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
    def _chains(self) -> tuple[_Entry | None, _Entry, list[_Entry | None], dict[int, _Entry]]:
        """(first words, any word, next words after each word id, next words after each pair
        ``i * len(vocabulary) + j``), as next-word ids and cumulative weights for O(log n) draws
        with ``bisect`` (states saved as "i" and "i,j"). Python lists: a draw costs several
        times less than NumPy calls, and the sums are the same left-to-right float additions as
        ``np.cumsum``, so the same words are drawn."""
        size = len(self.vocabulary)
        singles: list[_Entry | None] = [None] * size
        pairs: dict[int, _Entry] = {}
        for state, (ids, weights) in self.transitions.items():
            first, _, second = state.partition(",")
            if second:
                pairs[int(first) * size + int(second)] = _cumulative(ids, weights)
            else:
                singles[int(first)] = _cumulative(ids, weights)
        starts = _cumulative(*zip(*self.starts, strict=True)) if self.starts else None
        return starts, _cumulative(range(size), self.unigram), singles, pairs

    def _sentence(self, length: int, uniform: _Uniforms, jump: float) -> list[int]:
        """``length`` word ids; each step leaves the chain for a unigram draw with ``jump``, else
        follows the last two words, else the last word, else any word: one draw per word."""
        starts, anywhere, singles, pairs = self._chains
        draw, size, two, bisect_right = uniform.draw, len(self.vocabulary), self.order == 2, bisect.bisect_right
        ids, cum = starts if draw() < 0.95 and starts is not None else anywhere
        last = ids[min(bisect_right(cum, draw() * cum[-1]), len(ids) - 1)]  # by weight
        words, before = [last], -1
        for _ in range(length - 1):
            if jump and draw() < jump:
                ids, cum = anywhere
            else:
                ids, cum = (two and before >= 0 and pairs.get(before * size + last)) or singles[last] or anywhere
            before, last = last, ids[min(bisect_right(cum, draw() * cum[-1]), len(ids) - 1)]
            words.append(last)
        return words

    def _text(self, length: int, uniform: _Uniforms, max_length: int | None, jump: float = 0.0) -> str:
        vocabulary = self.vocabulary
        text = " ".join([vocabulary[i] for i in self._sentence(length, uniform, jump)])
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
        drawn = lengths[rng.choice(len(lengths), size=n, p=counts / counts.sum())].tolist()
        kinds = rng.random(n).tolist()
        empty_below = self.null_rate + (1 - self.null_rate) * self.empty_rate
        uniform = _Uniforms(rng)
        out: list[str | None] = []
        for kind, length in zip(kinds, drawn, strict=True):
            if kind < self.null_rate:
                out.append(None)
            elif kind < empty_below:
                out.append("")  # an empty string tells nothing: it may repeat the source's
            else:
                out.append(self._one(max(int(length), 1), uniform, max_length))
        uniform.sync()  # the caller's rng where one draw at a time would have left it
        return pd.Series(out, dtype=object)

    def _one(self, length: int, uniform: _Uniforms, max_length: int | None) -> str:
        """One text of about ``length`` words that equals no training value."""
        for tries in range(_MAX_TRIES):
            # Short texts retrace real ones easily (a two-word title is one transition):
            # later tries leave the chain more often, and past ten tries grow longer.
            jump = min(0.2 * tries, 0.8)
            text = self._text(length + max(tries - 10, 0) // 3, uniform, max_length, jump)
            if text and not self._is_seen(text):
                return text
        uniform.sync()  # the fallback draws integers: from where single draws would be
        return self._fallback(uniform.rng, max_length)  # a tight max_length can force repeats

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


def _chain(docs: list[list[str]], index: dict[str, int], order: int) -> tuple[Counter[int], dict[str, tuple[tuple[int, ...], tuple[int, ...]]]]:
    """Counts of first words, and per state (the last word "i", and for order 2 the last two
    words "i,j") the next words with their counts, in the order each was first seen after it
    (the order sampling reads the weights in); rare words split a document, so no transition
    crosses them. Counted with NumPy over all documents at once, each ended by a rare mark."""
    ids = np.fromiter((index.get(w, -1) for doc in docs for w in itertools.chain(doc, (None,))), dtype=np.int64)
    ends = np.cumsum([len(doc) + 1 for doc in docs], dtype=np.int64)
    firsts = ids[ends - np.array([len(doc) + 1 for doc in docs], dtype=np.int64)] if docs else ids[:0]
    starts = Counter(firsts[firsts >= 0].tolist())
    size = max(len(index), 1)
    known = ids >= 0
    single = known[:-1] & known[1:]
    table = _by_state(ids[:-1][single], ids[1:][single], size, str)
    if order == 2:
        pair = single[:-1] & known[2:]
        states = ids[:-2][pair] * size + ids[1:-1][pair]
        table |= _by_state(states, ids[2:][pair], size, lambda state: f"{state // size},{state % size}")
    return starts, table


def _by_state(states: np.ndarray, nexts: np.ndarray, size: int, name) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:  # type: ignore[no-untyped-def]
    """Per state (named by ``name``): its next ids (below ``size``) in first-seen order, and
    their counts."""
    if states.size == 0:
        return {}
    if int(states.max()) < 2**62 // size:  # (state, next) as one integer: a fast sort
        keys, first, counts = np.unique(states * size + nexts, return_index=True, return_counts=True)
        distinct = np.stack([keys // size, keys % size], axis=1)
    else:
        distinct, first, counts = np.unique(np.stack([states, nexts], axis=1), axis=0, return_index=True, return_counts=True)
    order = np.lexsort((first, distinct[:, 0]))
    state_ids, next_ids, counts = distinct[order, 0].tolist(), distinct[order, 1].tolist(), counts[order].tolist()
    bounds = [0, *(np.flatnonzero(np.diff(distinct[order, 0])) + 1).tolist(), len(state_ids)]
    return {
        name(state_ids[a]): (tuple(next_ids[a:b]), tuple(counts[a:b]))
        for a, b in itertools.pairwise(bounds)
    }
