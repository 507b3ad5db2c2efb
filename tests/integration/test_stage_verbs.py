"""The public verbs take values and return values, and compose into what ``clone`` does.

introspect -> plan -> train(schema, plan) -> generate (a stream) -> load(stream) -> report, on
SQLite: the plan given to train is the one the run keeps, the stream loads without naming its
schema again, and the same seed gives the same clone as ``generate_into``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

import relsynth
from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.errors import ConfigurationError
from relsynth.modeling.config import ModelConfig

SMALL = RelsynthConfig(model=ModelConfig(epochs=2, hidden_dim=16))


def _rows(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            names = sa.inspect(connection).get_table_names()
            return {name: sorted(connection.execute(sa.text(f'SELECT * FROM "{name}"')).all(), key=repr) for name in names}
    finally:
        engine.dispose()


@pytest.mark.slow  # trains, generates and loads twice
def test_the_verbs_compose_into_a_clone(tmp_path: Path) -> None:
    source = build_demo_database(tmp_path / "shop.sqlite", customers=60)
    schema = relsynth.introspect(source)
    plan = relsynth.plan(schema)
    run = relsynth.train(source, schema=schema, plan=plan, config=SMALL, workspace=tmp_path / "run")
    assert run.plan is plan and run.schema is schema  # trained on the values given, not read again

    rows = relsynth.generate(run, scale=0.5, seed=3)
    assert rows.schema == schema  # nothing excluded
    target = f"sqlite:///{tmp_path / 'clone.sqlite'}"
    loaded = relsynth.load(rows, target)
    assert set(loaded.rows) == {str(t.name) for t in schema.tables} and loaded.rows["customer"] > 0

    again = f"sqlite:///{tmp_path / 'again.sqlite'}"
    relsynth.generate_into(tmp_path / "run", again, scale=0.5, seed=3)
    assert _rows(target) == _rows(again)  # the verbs do what generate_into does

    measured = relsynth.report(source, target, run=run, scale=0.5)
    assert measured.report.integrity_violations == 0
    assert measured.privacy and "no formal guarantee" in measured.privacy[0]
    assert '"figures"' in measured.to_json() and "<html" in measured.html().lower()


def test_train_refuses_a_plan_made_for_another_schema(tmp_path: Path) -> None:
    source = build_demo_database(tmp_path / "shop.sqlite", customers=20)
    schema = relsynth.introspect(source)
    other = relsynth.plan(replace(schema, tables=schema.tables[:1]))
    with pytest.raises(ConfigurationError, match="plan was made for another schema"):
        relsynth.train(source, schema=schema, plan=other, config=SMALL)


def test_load_of_a_bare_stream_asks_for_its_schema(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="needs the schema"):
        relsynth.load(iter(()), f"sqlite:///{tmp_path / 'never.sqlite'}")
    assert not (tmp_path / "never.sqlite").exists()
