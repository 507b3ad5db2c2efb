"""Free-text synthesis: no training string comes back, no rare word leaks."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ArtifactError, TrainingError
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


def test_sampling_leaves_a_given_rng_where_one_draw_at_a_time_would() -> None:
    """Words come from blocks of uniforms; the caller's rng must still end where single draws
    (and the fallback's integers) would have left it, so what it draws next is unchanged."""
    from relsynth.values.text import _Uniforms

    rng, reference = np.random.default_rng(4), np.random.default_rng(4)
    uniforms = _Uniforms(rng)
    assert [uniforms.draw() for _ in range(5000)] == [reference.random() for _ in range(5000)]
    uniforms.sync()
    assert rng.integers(1000, size=3).tolist() == reference.integers(1000, size=3).tolist()
    assert uniforms.draw() == reference.random()


def test_chain_counts_keep_each_state_s_first_seen_order() -> None:
    """Sampling reads a state's next words in the order they were first seen after it."""
    model = TextModel.fit(pd.Series(["a b c", "a b d", "a c", "x a b d"] * 3), seed=0, min_count=2)
    index = {w: i for i, w in enumerate(model.vocabulary)}
    ids, counts = model.transitions[f"{index['a']},{index['b']}"]
    assert [model.vocabulary[i] for i in ids] == ["c", "d"] and counts == (3, 6)
    ids, counts = model.transitions[str(index["a"])]
    assert [model.vocabulary[i] for i in ids] == ["b", "c"] and counts == (9, 3)
