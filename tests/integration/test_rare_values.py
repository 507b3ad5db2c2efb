"""k on real engines: no value seen fewer than k times in the source comes out, and a generated row
that repeats a rare source combination is redrawn, else dropped, and counted."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine
from relsynth.generation import generate
from relsynth.modeling import ModelConfig
from relsynth.pipeline import train

pytestmark = pytest.mark.slow  # every test trains

# epochs bound training, so the result does not depend on the machine's speed
CONFIG = RelsynthConfig(seed=5, reference_max_rows=0, model=ModelConfig(epochs=15, max_training_seconds=600.0))
WORDS = "red green blue small large round square quiet loud early late warm cold soft hard".split()
N = 300


def _people(rng: np.random.Generator) -> pd.DataFrame:
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 30, N)]
    frame = pd.DataFrame({
        "id": range(1, N + 1),
        "kind": rng.choice(["alpha", "beta", "gamma", "delta"], N),
        "amount": rng.integers(10, 21, N),
        "born": days,
        "note": [" ".join(rng.choice(WORDS, 5)) for _ in range(N)],
    })
    # each seen twice: below k = 3, so none may come out
    frame.loc[[7, 8], "kind"] = "Zanzibar"
    frame.loc[[9, 10], "amount"] = 77777
    frame.loc[[11, 12], "born"] = dt.date(1901, 1, 1)
    frame.loc[[13, 14], "note"] = "red Quetzalcoatl green blue small"
    return frame


def _pairs(rng: np.random.Generator) -> pd.DataFrame:
    # 100 combinations of common values, about 3 rows each: many are seen once or twice
    return pd.DataFrame({"id": range(1, N + 1), "a": rng.choice(list("ABCDEFGHIJ"), N), "b": rng.choice(list("klmnopqrst"), N)})


@pytest.fixture
def source(make_database) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    url = make_database("sqlite")
    rng = np.random.default_rng(0)
    people, pairs = _people(rng), _pairs(rng)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE people (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount INTEGER NOT NULL, born DATE, note TEXT)"
        )
        connection.exec_driver_sql("CREATE TABLE pairs (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT NOT NULL)")
    with engine.begin() as connection:
        people.to_sql("people", connection, if_exists="append", index=False)
        pairs.to_sql("pairs", connection, if_exists="append", index=False)
    engine.dispose()
    return url, people, pairs


def test_values_seen_fewer_than_k_times_never_come_out(source) -> None:
    url, _, _ = source
    run = train(url, config=CONFIG)
    out = {str(name): frame for name, frame in generate(run).tables.items()}["people"]
    assert "Zanzibar" not in set(out["kind"])
    assert 77777 not in set(int(v) for v in out["amount"])
    assert dt.date(1901, 1, 1) not in {pd.Timestamp(v).date() for v in out["born"].dropna()}
    assert not out["note"].dropna().str.contains("Quetzalcoatl").any()
    # the frequent values still come out
    assert {"alpha", "beta", "gamma", "delta"} <= set(out["kind"])


def test_rows_repeating_a_rare_combination_are_redrawn_else_dropped_and_counted(source) -> None:
    url, _, pairs = source
    seen = Counter(zip(pairs["a"], pairs["b"], strict=True))
    run = train(url, config=CONFIG)
    result = generate(run)
    out = {str(name): frame for name, frame in result.tables.items()}["pairs"]
    counts = result.rare_rows["pairs"]
    assert counts["redrawn"] > 0
    assert counts["kept"] == 0  # nothing hangs from these rows, so none had to be kept
    assert len(out) == N - counts["dropped"]
    assert all(seen[(a, b)] in (0, *range(3, N)) for a, b in zip(out["a"], out["b"], strict=True))  # new, or common


def test_a_lookup_table_is_copied_only_when_each_value_is_seen_k_times_in_the_data(tmp_path) -> None:
    """A language named by many films is seen that many times; a city named by one address once."""
    import sqlalchemy as sa

    from relsynth.config import TableMode

    url = f"sqlite:///{tmp_path / 'lookup.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE language (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        connection.exec_driver_sql("CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        connection.exec_driver_sql(
            "CREATE TABLE film (id INTEGER PRIMARY KEY, language_id INTEGER REFERENCES language (id), "
            "city_id INTEGER REFERENCES city (id), length INTEGER)"
        )
        connection.exec_driver_sql("INSERT INTO language VALUES (1, 'English'), (2, 'French'), (3, 'Italian')")
        cities = [(i, f"Town {chr(65 + i)}") for i in range(1, 21)]
        connection.exec_driver_sql("INSERT INTO city VALUES " + ", ".join(f"({i}, '{n}')" for i, n in cities))
        films = [(i, 1 + i % 3, 1 + i % 20 if i < 20 else None, 90 + i % 40) for i in range(60)]
        connection.exec_driver_sql(
            "INSERT INTO film VALUES " + ", ".join(f"({i}, {lang}, {'NULL' if c is None else c}, {n})" for i, lang, c, n in films)
        )
    engine.dispose()
    config = RelsynthConfig(seed=1, model=ModelConfig(epochs=2, max_training_seconds=600.0))
    run = train(url, config=config)
    modes = {str(name): artifact.mode for name, artifact in run.tables.items()}
    assert modes["language"] is TableMode.COPY  # each language named by 20 films
    assert modes["city"] is TableMode.SYNTHESIZE  # each city named by one film: its name points at it
