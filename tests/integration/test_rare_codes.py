"""Rare codes on real engines: a code column's codes seen fewer than k times never come out, but
their share does, as new codes of their shape (chinook's customer.state: 24 of 59 customers hold a
state seen once or twice; they all came out "CA" or "SP", and a dependency ``state -> country``
then gave them those states' country)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine
from relsynth.generation import generate
from relsynth.modeling import ModelConfig
from relsynth.pipeline import train

pytestmark = pytest.mark.slow  # trains a model

# epochs bound training, so the result does not depend on the machine's speed
CONFIG = RelsynthConfig(seed=2, reference_max_rows=0, model=ModelConfig(epochs=15))
FREQUENT = {"CA": "USA", "NY": "USA", "ON": "Canada"}  # each seen 40 times
RARE = [chr(65 + i) + chr(90 - i) for i in range(25)]  # AZ, BY, ... each seen twice: below k = 3, all Brazil's


def _customers() -> pd.DataFrame:
    states = [s for s in FREQUENT for _ in range(40)] + [s for s in RARE for _ in range(2)] + [None] * 30
    countries = [FREQUENT.get(s, "Brazil") if s else "France" for s in states]
    order = np.random.default_rng(0).permutation(len(states))
    grades = ["A"] * 100 + ["B"] * 94 + ["C", "C", "D", "D", "E", "E"]  # C, D, E rare
    return pd.DataFrame({
        "id": range(1, len(states) + 1),
        "state": [states[i] for i in order],
        "country": [countries[i] for i in order],
        "grade": [grades[i] for i in order],
    })


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_rare_codes_come_out_as_new_codes_of_their_shape_never_as_real_ones(make_database, engine: str) -> None:
    url = make_database(engine)
    source = _customers()
    connection_engine = create_engine(url)
    with connection_engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, state VARCHAR(40), country VARCHAR(40), "
            "grade VARCHAR(1) NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'E')))"
        )
        source.to_sql("customer", connection, if_exists="append", index=False)
    connection_engine.dispose()

    run = train(url, config=CONFIG)  # discovery: state is a code, and state -> country
    assert {r.kind.value for r in run.rules if r.column == "state"} >= {"category"}
    assert {r.kind.value for r in run.rules if r.column == "grade"} >= {"category"}
    out = next(frame for name, frame in generate(run).tables.items() if name.name == "customer")
    states = out["state"].dropna()
    assert not set(states) & set(RARE)  # no code seen fewer than k times
    assert states.str.fullmatch("[A-Z]{2}").all()  # codes, of the rare codes' shape
    new = ~states.isin(list(FREQUENT))
    source_share = source["state"].isin(RARE).mean()  # 0.25
    assert new.sum() / len(out) > source_share / 2, out["state"].value_counts()  # the rare share stays
    assert states[new].nunique() > 5  # many codes, as in the source, not one stand-in
    # the dependency keeps each new code's own country: Brazil is not folded into the frequent states'
    assert (out["country"] == "Brazil").mean() > (source["country"] == "Brazil").mean() / 2, out.value_counts(["state", "country"])
    # a code a CHECK lists: its rare codes come out as kept ones (a new one would break the CHECK,
    # and its row be redrawn or dropped), so its encoder has no new codes
    encoders = {e.spec.name: e for e in next(a for n, a in run.tables.items() if n.name == "customer").model.encoders}
    assert encoders["state"].novel and not encoders["grade"].novel
    assert set(out["grade"]) <= {"A", "B"} and len(out) == len(source)
