"""Free-text synthesis: no training string comes back, no rare word leaks."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ArtifactError, TrainingError
from relsynth.values import text_chain
from relsynth.values.identifying import apply_case
from relsynth.values.text import TextModel

# Shaped like pagila.film.description: templated sentences from a small vocabulary.
SUBJECTS = [
    "Feminist",
    "Mad Scientist",
    "Teacher",
    "Explorer",
    "Car",
    "Dog",
    "Robot",
    "Pastry Chef",
]
PLACES = ["The Canadian Rockies", "Ancient China", "A Shark Tank", "The Gulf of Mexico", "Nigeria"]
STYLES = ["Epic Drama", "Astounding Epistle", "Thoughtful Saga", "Fateful Reflection"]
VERBS = ["Battle", "Find", "Chase", "Outrace", "Sink"]


def _descriptions(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    pick = lambda items: items[int(rng.integers(len(items)))]  # noqa: E731
    return pd.Series(
        [
            f"A {pick(STYLES)} of a {pick(SUBJECTS)} And a {pick(SUBJECTS)} who must "
            f"{pick(VERBS)} a {pick(SUBJECTS)} in {pick(PLACES)}"
            for _ in range(n)
        ]
    )


def test_never_reproduces_a_training_string() -> None:
    source = _descriptions(300)
    model = TextModel.fit(source, seed=1)
    sample = model.sample(1000, seed=2)
    assert not sample.isin(set(source)).any()
    assert not sample.str.casefold().isin(set(source.str.casefold())).any()
    assert sample.nunique() > 900


def test_words_seen_once_never_come_out() -> None:
    source = pd.concat(
        [_descriptions(200), pd.Series(["A Epic Drama of a Zyxquanda who must Battle a Teacher"])],
        ignore_index=True,
    )
    counts = Counter(word for text in source for word in text.split())
    rare = {w for w, c in counts.items() if c < 2}
    assert "Zyxquanda" in rare
    model = TextModel.fit(source, seed=3, min_count=2)
    assert not rare & set(model.vocabulary)
    words = {w for text in model.sample(1000, seed=4) for w in text.split()}
    assert not words & rare
    assert "Zyxquanda" not in json.dumps(model.to_dict())


def test_short_templated_titles_still_avoid_copies() -> None:
    # pagila.film.title: two upper-case words, each title a single chain transition.
    firsts = ["ACADEMY", "ACE", "ADAPTATION", "AFFAIR", "AGENT", "AIRPLANE", "ALABAMA", "ALADDIN"]
    seconds = [
        "DINOSAUR",
        "GOLDFINGER",
        "HOLES",
        "PREJUDICE",
        "TRUMAN",
        "SIERRA",
        "DEVIL",
        "CALENDAR",
    ]
    titles = pd.Series(
        [f"{a} {b}" for a in firsts for b in seconds[:4]]
        + [f"{b} {a}" for a in firsts[:4] for b in seconds]
    )
    model = TextModel.fit(titles, seed=0)
    sample = model.sample(300, seed=1)
    assert not sample.isin(set(titles)).any()
    assert (sample.str.upper() == sample).all()  # the source's case is kept
    assert (sample.str.split().str.len() == 2).mean() > 0.8  # and its length in words


def test_length_distribution_and_null_rate() -> None:
    source = _descriptions(400)
    source[::4] = None
    model = TextModel.fit(source, seed=5)
    sample = model.sample(2000, seed=6)
    assert abs(sample.isna().mean() - 0.25) < 0.04
    source_words = source.dropna().str.split().str.len().mean()
    assert abs(sample.dropna().str.split().str.len().mean() - source_words) < 1.5


def test_max_length() -> None:
    model = TextModel.fit(_descriptions(200), seed=1)
    sample = model.sample(300, seed=2, max_length=25)
    assert sample.str.len().max() <= 25
    assert (sample.str.len() > 0).all()


def test_deterministic_per_seed_and_round_trips_through_json() -> None:
    model = TextModel.fit(_descriptions(200), seed=1)
    restored = TextModel.from_dict(json.loads(json.dumps(model.to_dict())))
    a = model.sample(100, seed=7)
    pd.testing.assert_series_equal(a, restored.sample(100, seed=7))
    pd.testing.assert_series_equal(a, model.sample(100, rng=np.random.default_rng(7)))
    assert not a.equals(model.sample(100, seed=8))


def test_state_holds_no_training_value() -> None:
    source = _descriptions(100)
    state = json.dumps(TextModel.fit(source, seed=1).to_dict())
    assert not any(text in state for text in source)


def test_tiny_column_falls_back_to_lorem_words() -> None:
    source = pd.Series(["Call me at home", "Leaves at noon", None])
    model = TextModel.fit(source, seed=0)
    assert len(model.vocabulary) >= 20
    sample = model.sample(50, seed=1)
    assert sample.notna().sum() > 20
    words = {w for text in sample.dropna() for w in text.split()}
    assert not words & {"Call", "me", "home", "Leaves", "noon"}  # each seen once
    assert not sample.isin(set(source.dropna())).any()


def test_empty_column() -> None:
    model = TextModel.fit(pd.Series([None, None], dtype=object), seed=0)
    assert model.sample(10, seed=0).isna().all()


def test_bad_options_and_damaged_state() -> None:
    with pytest.raises(TrainingError, match="order"):
        TextModel.fit(_descriptions(10), seed=0, order=3)
    with pytest.raises(ArtifactError, match="format version"):
        TextModel.from_dict({"format_version": 99})
    with pytest.raises(ArtifactError, match="damaged"):
        TextModel.from_dict({"format_version": 1})


def _reference(model: TextModel, n: int, seed: int, max_length: int | None) -> tuple[list[str | None], float]:
    """``sample`` one draw and one text at a time, with ``bisect`` on cumulative weight lists;
    returns the texts and the rng's next uniform (where sampling left it)."""
    rng = np.random.default_rng(seed)
    lengths = np.asarray(model.lengths or (1,))
    counts = np.asarray(model.length_counts or (1,), dtype=float)
    drawn = lengths[rng.choice(len(lengths), size=n, p=counts / counts.sum())].tolist()
    kinds = rng.random(n).tolist()
    empty_below = model.null_rate + (1 - model.null_rate) * model.empty_rate
    cumulative = lambda ids, weights: (list(ids), list(itertools.accumulate(float(w) for w in weights)))  # noqa: E731
    anywhere = cumulative(range(len(model.vocabulary)), model.unigram)
    starts = cumulative(*zip(*model.starts, strict=True)) if model.starts else None
    chain = {tuple(int(i) for i in state.split(",")): cumulative(*entry) for state, entry in model.transitions.items()}

    def pick(entry: tuple[list[int], list[float]]) -> int:
        ids, cum = entry
        return ids[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(ids) - 1)]

    def text(length: int, jump: float) -> str:
        words = [pick(starts if rng.random() < 0.95 and starts else anywhere)]
        for _ in range(length - 1):
            if jump and rng.random() < jump:
                entry = anywhere
            else:
                pair = tuple(words[-2:]) if model.order == 2 and len(words) > 1 else None
                entry = chain.get(pair) or chain.get((words[-1],)) or anywhere
            words.append(pick(entry))
        out = " ".join(model.vocabulary[i] for i in words)
        if max_length is not None and len(out) > max_length:
            cut = out[:max_length]
            out = cut.rsplit(" ", 1)[0] if " " in cut[1:] else cut
        return apply_case(out, model.case)

    out: list[str | None] = [None if k < model.null_rate else "" for k in kinds]
    pending = [(row, max(length, 1)) for row, (k, length) in enumerate(zip(kinds, drawn, strict=True)) if k >= empty_below]
    for tries in range(20):
        retry = []
        for row, length in pending:
            out[row] = text(length + max(tries - 10, 0) // 3, min(0.2 * tries, 0.8))
            if not out[row] or model._is_seen(out[row]):
                retry.append((row, length))
        pending = retry
    for row, _ in pending:
        out[row] = model._fallback(rng, max_length)
    return out, rng.random()


def _titles() -> pd.Series:
    firsts = ["ACADEMY", "ACE", "ADAPTATION", "AFFAIR", "AGENT", "AIRPLANE", "ALABAMA", "ALADDIN"]
    return pd.Series([f"{a} {b}" for a in firsts for b in firsts if a != b][:40] * 2)


@pytest.mark.parametrize(
    ("source", "order", "max_length"),
    [
        (_descriptions(300), 2, None),
        (_descriptions(300), 1, 30),
        (_titles(), 2, None),  # most first tries repeat a title: many tries
        (_titles(), 2, 9),
        (pd.Series(["Call me at home", "Leaves at noon", None, ""] * 3), 2, None),  # lorem words, NULLs, empty strings
        (pd.Series(list("abcdefghij") * 2), 2, 1),  # every short text is a training value: the fallback
    ],
)
def test_sample_draws_the_texts_of_one_draw_at_a_time(source: pd.Series, order: int, max_length: int | None, monkeypatch) -> None:
    """All texts of a try are drawn at once by NumPy; they are the texts, and the rng ends where,
    drawing one uniform at a time with bisect over cumulative weights."""
    model = TextModel.fit(source, seed=3, order=order)
    fallbacks, fallback = [], TextModel._fallback
    monkeypatch.setattr(TextModel, "_fallback", lambda *args: fallbacks.append(1) or fallback(*args))
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        texts = model.sample(400, rng=rng, max_length=max_length)
        assert (texts.tolist(), rng.random()) == _reference(model, 400, seed, max_length)
    assert bool(fallbacks) == (max_length == 1)


def test_a_chain_too_large_to_expand_draws_the_same_texts(monkeypatch) -> None:
    """Past ``EXPANDED_LIMIT`` a word is found by binary search instead of one lookup: same words."""
    monkeypatch.setattr(text_chain, "EXPANDED_LIMIT", 0)
    for source, order in ((_descriptions(300), 2), (_titles(), 1)):
        model = TextModel.fit(source, seed=3, order=order)
        assert model._tables.expanded is None
        rng = np.random.default_rng(5)
        assert (model.sample(300, rng=rng).tolist(), rng.random()) == _reference(model, 300, 5, None)


def test_a_seed_gives_the_texts_it_gave_before() -> None:
    """Texts that need one try are drawn as they were one word at a time (frozen digests)."""
    model = TextModel.fit(_descriptions(200), seed=1)
    digest = lambda texts: hashlib.sha256("\n".join(map(str, texts)).encode()).hexdigest()  # noqa: E731
    assert digest(model.sample(300, seed=7)) == "11a11854306072e507edd0b88377b4ad9d2f0ad502710d7ae550ec6150580a78"
    assert digest(model.sample(300, seed=8, max_length=40)) == "5950dcd54b49cd07d32bb1543e3c73aa9d5fd1c076f0e15dbc27d03df7334975"


def test_chain_counts_keep_each_state_s_first_seen_order() -> None:
    """Sampling reads a state's next words in the order they were first seen after it."""
    model = TextModel.fit(pd.Series(["a b c", "a b d", "a c", "x a b d"] * 3), seed=0, min_count=2)
    index = {w: i for i, w in enumerate(model.vocabulary)}
    ids, counts = model.transitions[f"{index['a']},{index['b']}"]
    assert [model.vocabulary[i] for i in ids] == ["c", "d"] and counts == (3, 6)
    ids, counts = model.transitions[str(index["a"])]
    assert [model.vocabulary[i] for i in ids] == ["b", "c"] and counts == (9, 3)
