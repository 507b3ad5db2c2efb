"""The text model's word chain as flat NumPy tables, to draw the words of many sentences at once.

Every state (any word, first words, the last word, the last two words) is one segment of a
single array of next-word ids, with one running sum of their integer weights over all segments.
A draw ``u`` in a segment of total ``T`` is the first next word whose running weight exceeds
``u * T``: the same word ``bisect_right`` picks in per-state cumulative lists, because the weights
are integers, so ``w > u * T`` exactly when ``w > floor(u * T)``; the segment's offset is then
added without rounding, and the word is found by one lookup in the ids repeated by weight.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ChainTables", "draws", "sentences"]

_START_SHARE = 0.95  # a sentence opens with a first word seen in the source this often
EXPANDED_LIMIT = 1 << 24  # total weight up to which draws are lookups (4 bytes each), beyond a binary search


@dataclass(frozen=True)
class ChainTables:
    """Each state's next words as one segment of ``ids`` and of the running weights (state 0:
    any word, 1: first words, then the chain's), and how a word or a pair finds its state."""

    ids: np.ndarray  # next-word ids, segment after segment
    running: np.ndarray  # int64 running sum of the weights over all segments
    offsets: np.ndarray  # int64 running weight before each segment
    totals: np.ndarray  # float64 total weight of each segment (the ``cum[-1]`` of a list)
    lasts: np.ndarray  # the last position inside each segment: offset + total - 1
    expanded: np.ndarray | None  # each id repeated by its weight: a draw by one lookup (None: too large)
    singles: np.ndarray  # state after each word id: its own, else ANY's
    pairs: pd.Index  # ``i * size + j`` of each pair with a state of its own
    pair_states: np.ndarray
    first_state: int  # the first words' state, or -1 when no source text had one
    size: int
    two: bool  # order 2: the last two words choose the state when they have one

    ANY = 0  # the unigram state

    @classmethod
    def build(cls, unigram: Sequence[int], starts: Sequence[tuple[int, int]],
              transitions: Mapping[str, tuple[Sequence[int], Sequence[int]]], order: int) -> ChainTables:
        size = len(unigram)
        names = [name for name, (ids, _) in transitions.items() if len(ids)]  # an empty state: no next word
        segments = [(range(size), unigram), tuple(zip(*starts, strict=True)) or ((), ()), *(transitions[n] for n in names)]
        ends = np.cumsum([len(ids) for ids, _ in segments])
        ids = np.fromiter(itertools.chain.from_iterable(ids for ids, _ in segments), dtype=np.int64, count=int(ends[-1]))
        weights = np.fromiter(itertools.chain.from_iterable(w for _, w in segments), dtype=np.int64, count=int(ends[-1]))
        running = np.cumsum(weights)
        bounds = np.concatenate([[0], running])[np.concatenate([[0], ends])]  # running weight at each segment's edges
        singles = np.full(size, cls.ANY, dtype=np.int64)
        pairs: dict[int, int] = {}
        for state, name in enumerate(names, start=2):
            first, _, second = name.partition(",")
            if second:
                pairs[int(first) * size + int(second)] = state
            else:
                singles[int(first)] = state
        return cls(
            ids=ids, running=running, offsets=bounds[:-1], totals=np.diff(bounds).astype(np.float64), lasts=bounds[1:] - 1,
            expanded=np.repeat(ids.astype(np.int32), weights) if running[-1] <= EXPANDED_LIMIT else None,
            singles=singles, pairs=pd.Index(list(pairs), dtype=np.int64), pair_states=np.array(list(pairs.values()), dtype=np.int64),
            first_state=1 if starts else -1, size=size, two=order == 2,
        )

    def state_of(self, before: np.ndarray | None, last: np.ndarray) -> np.ndarray:
        """The state after ``before, last`` (``before`` None: the first word): the pair's, else
        the last word's, else any word's."""
        states = self.singles[last]
        if self.two and before is not None and len(self.pairs):
            at = self.pairs.get_indexer(before * self.size + last)
            states = np.where(at >= 0, self.pair_states[at], states)
        return states

    def pick(self, states: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One next word per state for the uniforms ``u``, by weight (``u * T`` truncated is its
        floor; the last word where it rounds up to ``T``, as ``min(bisect_right(...), len - 1)``)."""
        targets = np.minimum((u * self.totals[states]).astype(np.int64) + self.offsets[states], self.lasts[states])
        if self.expanded is not None:
            return self.expanded[targets]
        return self.ids[np.searchsorted(self.running, targets, side="right")]


def draws(lengths: np.ndarray, jump: float) -> np.ndarray:
    """Uniforms each sentence takes: one to choose first words or any word, one per word, and
    with ``jump`` one more per later word (whether it leaves the chain)."""
    return 2 * lengths if jump else lengths + 1


def sentences(tables: ChainTables, lengths: np.ndarray, u: np.ndarray, jump: float = 0.0) -> np.ndarray:
    """The word ids of one sentence per length, end to end, from ``u`` (``draws`` per sentence, in
    order); each later word leaves the chain for any word with probability ``jump``."""
    starts = np.cumsum(lengths) - lengths  # where each sentence's words go
    order = np.argsort(-lengths, kind="stable")  # longest first: the sentences still going are a prefix
    going = np.searchsorted(-lengths[order], -np.arange(int(lengths.max(initial=0))), side="left")
    at, first = starts[order], (np.cumsum(draws(lengths, jump)) - draws(lengths, jump))[order]
    opening = np.full(len(at), tables.ANY, dtype=np.int64)
    if tables.first_state >= 0:  # the uniform is taken either way
        opening[u[first] < _START_SHARE] = tables.first_state
    words = np.empty(int(lengths.sum()), dtype=np.int64)
    last = tables.pick(opening, u[first + 1])
    words[at] = last
    before = None
    for step, count in enumerate(going[1:].tolist(), start=1):
        states = tables.state_of(None if before is None else before[:count], last[:count])
        if jump:
            states[u[first[:count] + 2 * step] < jump] = tables.ANY
        before, last = last[:count], tables.pick(states, u[first[:count] + (2 * step + 1 if jump else step + 1)])
        words[at[:count] + step] = last
    return words
