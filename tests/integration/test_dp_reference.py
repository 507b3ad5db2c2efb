"""Reference tables under differential privacy: a public lookup table is copied as it is without
DP, counting only references from public tables; a count of private rows never decides a copy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from relsynth.config import RelsynthConfig, TableMode
from relsynth.modeling import ModelConfig
from relsynth.pipeline import train
from relsynth.privacy import PrivacyConfig
from relsynth.schema.elements import QualifiedName

pytestmark = pytest.mark.slow  # trains with and without DP

GENRES = ["Drama", "Comedy", "Horror", "Travel", "Music", "Sports"]
CITIES = ["Lyon", "Porto", "Turin", "Ghent"]


def _library(path: Path) -> str:
    """Genres (each named once) under 60 public books; cities (each named once) under 200 readers,
    the privacy unit, who borrow books."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for ddl in (
            "CREATE TABLE genre (genre_id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "CREATE TABLE city (city_id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
            "CREATE TABLE book (book_id INTEGER PRIMARY KEY, genre_id INTEGER NOT NULL REFERENCES genre (genre_id), pages INTEGER)",
            "CREATE TABLE reader (reader_id INTEGER PRIMARY KEY, city_id INTEGER NOT NULL REFERENCES city (city_id), age INTEGER)",
            "CREATE TABLE loan (loan_id INTEGER PRIMARY KEY, reader_id INTEGER NOT NULL REFERENCES reader (reader_id),"
            " book_id INTEGER NOT NULL REFERENCES book (book_id), days INTEGER)",
        ):
            connection.exec_driver_sql(ddl)
        connection.execute(sa.text("INSERT INTO genre VALUES (:i, :n)"), [{"i": i + 1, "n": n} for i, n in enumerate(GENRES)])
        connection.execute(sa.text("INSERT INTO city VALUES (:i, :n)"), [{"i": i + 1, "n": n} for i, n in enumerate(CITIES)])
        connection.execute(sa.text("INSERT INTO book VALUES (:i, :g, :p)"), [{"i": i + 1, "g": i % 6 + 1, "p": 100 + i} for i in range(60)])
        connection.execute(sa.text("INSERT INTO reader VALUES (:i, :c, :a)"), [{"i": i + 1, "c": i % 4 + 1, "a": 20 + i % 50} for i in range(200)])
        connection.execute(
            sa.text("INSERT INTO loan VALUES (:i, :r, :b, :d)"), [{"i": i + 1, "r": i % 200 + 1, "b": i % 60 + 1, "d": i % 20 + 1} for i in range(400)]
        )
    engine.dispose()
    return url


def test_public_lookup_tables_are_copied_under_dp_and_private_references_do_not_count(tmp_path: Path) -> None:
    url = _library(tmp_path / "library.sqlite")
    fast = RelsynthConfig(model=ModelConfig(max_training_seconds=120.0, epochs=2))
    plain = train(url, config=fast)
    assert plain.tables[QualifiedName(None, "genre")].mode is TableMode.COPY
    assert plain.tables[QualifiedName(None, "city")].mode is TableMode.COPY  # named by 50 readers each
    private = replace(fast, privacy=PrivacyConfig(epsilon=8.0, delta=1e-6, unit="reader", epochs=1))
    dp = train(url, config=private)
    # genre is named by ten public books each: public data, copied as without DP
    assert dp.tables[QualifiedName(None, "genre")].mode is TableMode.COPY
    # city is public too, but only private readers name it: its names are each seen once
    assert dp.tables[QualifiedName(None, "city")].mode is TableMode.SYNTHESIZE
