"""Siblings in time, cloned: the n-th event of a person is numbered 1..k in the order of its date,
and its year agrees with its date, on every row of the clone, by construction.

The source is built on PostgreSQL: people, and their events numbered per person in date order
(``n``), keyed in date order (``event_id``), with the event's year beside its date. Discovery finds
the rules (a numbering, an order in time, a year); the clone is measured in SQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from relsynth.config import RelsynthConfig
from relsynth.learning import train
from relsynth.modeling import ModelConfig
from relsynth.pipeline import generate_into
from relsynth.rules import RuleKind
from relsynth.runs import save_run

SMALL = RelsynthConfig(seed=3, model=ModelConfig(epochs=2, hidden_dim=16))

DDL = """
CREATE TABLE people (person_id INTEGER PRIMARY KEY, born DATE NOT NULL, city VARCHAR(20) NOT NULL);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES people (person_id), n INTEGER NOT NULL,
    event_date DATE NOT NULL, event_year INTEGER NOT NULL, kind VARCHAR(10) NOT NULL, amount INTEGER NOT NULL);
"""

NUMBERED = """SELECT count(*) FROM (SELECT person_id FROM events GROUP BY person_id
              HAVING min(n) <> 1 OR max(n) <> count(*) OR count(DISTINCT n) <> count(*)) bad"""
OUT_OF_ORDER = """SELECT count(*) FROM events a JOIN events b ON a.person_id = b.person_id AND a.n < b.n
                  WHERE a.event_date > b.event_date"""
YEARS = "SELECT count(*) FROM events WHERE event_year <> extract(year FROM event_date)"


def _people_and_events(url: str) -> None:
    """200 people with 1-8 events each, numbered and keyed in the order of their dates."""
    rng = np.random.default_rng(5)
    people, events = [], []
    for person in range(1, 201):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(15_000)))
        people.append({"person_id": person, "born": born, "city": ["Oslo", "Lima", "Pune"][person % 3]})
        first = dt.date(2015, 1, 1) + dt.timedelta(days=int(rng.integers(1_500)))
        dates = sorted(first + dt.timedelta(days=int(d)) for d in rng.integers(0, 2_000, size=int(rng.integers(1, 9))))
        for n, day in enumerate(dates, start=1):
            events.append({"event_id": len(events) + 1, "person_id": person, "n": n, "event_date": day, "event_year": day.year,
                           "kind": ["visit", "call", "mail"][int(rng.integers(3))], "amount": int(rng.integers(1, 500))})
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    with engine.begin() as connection:
        for statement in DDL.split(";"):
            if statement.strip():
                connection.exec_driver_sql(statement)
        metadata.reflect(connection)
        connection.execute(metadata.tables["people"].insert(), people)
        connection.execute(metadata.tables["events"].insert(), events)
    engine.dispose()


def _violations(url: str) -> list[int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [int(connection.exec_driver_sql(sql).scalar()) for sql in (NUMBERED, OUT_OF_ORDER, YEARS)]
    finally:
        engine.dispose()


@pytest.mark.slow  # trains a model (a few seconds)
def test_events_are_numbered_per_person_in_date_order_and_their_year_agrees_in_the_clone(make_database, tmp_path: Path) -> None:
    source = make_database("postgresql")
    _people_and_events(source)
    assert _violations(source) == [0, 0, 0]
    run = train(source, config=SMALL)
    found = {(r.kind, r.column, r.op) for r in run.rules if r.support >= SMALL.rules.enforce_at}
    assert {(RuleKind.SEQUENCE, "n", "number"), (RuleKind.SEQUENCE, "event_date", "time"), (RuleKind.FORMULA, "event_year", "year")} <= found
    save_run(run, tmp_path / "run")
    target = make_database("postgresql")
    result = generate_into(tmp_path / "run", target, seed=1)
    assert result.rows["events"] > 200
    assert _violations(target) == [0, 0, 0]  # numbered 1..k, in date order, years agree: on every row

    run.rules = tuple(r for r in run.rules if r.op != "time")  # without the order in time: numbers ignore the dates
    save_run(run, tmp_path / "untimed")
    untimed = make_database("postgresql")
    generate_into(tmp_path / "untimed", untimed, seed=1)
    assert _violations(untimed)[1] > 0
