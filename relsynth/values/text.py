"""Free text (descriptions, comments, titles) synthesised from a word-level Markov chain.

Only words seen at least ``min_count`` times enter the chain, so a rare word (a name, an order
number, a typo that identifies its writer) can never come out; a sentence of frequent words that
happens to equal a training value is regenerated. Training values are remembered only as salted
hashes, so the saved state holds no value. Lengths (in words) follow the source's distribution.
When a column has too few frequent words, a lorem-like Faker vocabulary fills in.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from faker import Faker

from relsynth.errors import ArtifactError, TrainingError
from relsynth.values.identifying import apply_case, case_of
from relsynth.values.text_chain import ChainTables, draws, sentences

log = logging.getLogger(__name__)

__all__ = ["TextModel"]

FORMAT_VERSION = 1
_MIN_VOCABULARY = 20  # fewer frequent words than this: add Faker's lorem words
_MAX_TRIES = 20
_CASE_CHANGES = {"upper": str.upper, "lower": str.lower, "title": str.title}
_BATCH = 1 << 20  # uniforms drawn at a time: bounds the memory of a large sample


def _cut(text: str, max_length: int) -> str:
    """``text`` cut at a space to fit ``max_length`` (mid-word when its first word is longer)."""
    cut = text[:max_length]
    return cut.rsplit(" ", 1)[0] if " " in cut[1:] else cut


def _hash(text: str, salt: str) -> str:
    """A salted hash of ``text`` up to case and spacing, so near-copies count as copies."""
    normal = " ".join(text.casefold().split())
    return hashlib.blake2b(f"{salt}\x00{normal}".encode(), digest_size=10).hexdigest()


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

    def sample(
        self,
        n: int,
        *,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
        max_length: int | None = None,
    ) -> pd.Series:
        """``n`` synthetic texts (NULLs at the source's rate), none equal to a training value.

        Drawn in tries: every text's first try (in row order), then the texts that equal a
        training value all try again, and so on; each try of each text takes its own run of
        uniforms (relsynth.values.text_chain.draws), so all of a try's texts are drawn at once."""
        if rng is None:
            rng = np.random.default_rng(self.seed if seed is None else seed)
        lengths = np.asarray(self.lengths or (1,))
        counts = np.asarray(self.length_counts or (1,), dtype=float)
        drawn = lengths[rng.choice(len(lengths), size=n, p=counts / counts.sum())]
        kinds = rng.random(n)
        empty_below = self.null_rate + (1 - self.null_rate) * self.empty_rate
        out = np.where(kinds < self.null_rate, None, "").astype(object)  # an empty string may repeat the source's
        rows = np.flatnonzero(kinds >= empty_below)
        wanted = np.maximum(drawn[rows], 1)  # words
        for tries in range(_MAX_TRIES):
            if not rows.size:
                break
            # Short texts retrace real ones easily (a two-word title is one transition):
            # later tries leave the chain more often, and past ten tries grow longer.
            texts = self._texts(wanted + max(tries - 10, 0) // 3, rng, max_length, jump=min(0.2 * tries, 0.8))
            new = _unseen(texts, self.salt, self._seen_digests)
            out[rows[new]] = np.array(texts, dtype=object)[new]
            rows, wanted = rows[~new], wanted[~new]
        for row in rows.tolist():  # a tight max_length can force repeats
            out[row] = self._fallback(rng, max_length)
        return pd.Series(out, dtype=object)

    def _texts(self, lengths: np.ndarray, rng: np.random.Generator, max_length: int | None, jump: float) -> list[str]:
        """One text per length (relsynth.values.text_chain.sentences), a batch of rows at a time."""
        texts: list[str] = []
        step = max(_BATCH * len(lengths) // max(int(draws(lengths, jump).sum()), 1), 1)  # rows of _BATCH uniforms
        for start in range(0, len(lengths), step):
            batch = lengths[start:start + step]
            ids = sentences(self._tables, batch, rng.random(int(draws(batch, jump).sum())), jump)
            words = self._words[ids].tolist()
            ends = np.cumsum(batch).tolist()
            texts += [" ".join(words[a:b]) for a, b in itertools.pairwise([0, *ends])]
        if max_length is not None:
            texts = [_cut(text, max_length) if len(text) > max_length else text for text in texts]
        change = _CASE_CHANGES.get(self.case)  # apply_case's, without a call per text
        return texts if change is None else list(map(change, texts))

    @cached_property
    def _tables(self) -> ChainTables:
        return ChainTables.build(self.unigram, self.starts, self.transitions, self.order)

    @cached_property
    def _words(self) -> np.ndarray:
        return np.array(self.vocabulary, dtype=object)

    @cached_property
    def _seen_digests(self) -> frozenset[bytes]:
        return frozenset(bytes.fromhex(digest) for digest in self.seen)

    def _is_seen(self, text: str) -> bool:
        return _hash(text, self.salt) in self.seen

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
                transitions={  # map: read once per generated chunk, with many states
                    state: (tuple(map(int, ids)), tuple(map(int, weights)))
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


def _unseen(texts: list[str], salt: str, digests: frozenset[bytes]) -> np.ndarray:
    """Which ``texts`` are not empty and no training value (``digests``: the ``seen`` hashes as
    bytes): ``_hash`` with the salt hashed once, and the spacing left as it is (words of no space,
    joined by one)."""
    salted = hashlib.blake2b(f"{salt}\x00".encode(), digest_size=10)

    def digest(text: str) -> bytes:
        hashed = salted.copy()
        hashed.update(text.casefold().encode())
        return hashed.digest()

    return np.array([bool(text) and digest(text) not in digests for text in texts], dtype=bool)


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
