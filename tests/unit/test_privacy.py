"""Privacy figures on DataFrames: exact matches, verbatim identifiers, DCR and membership inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.reporting import compute_privacy
from relsynth.reporting.privacy import detect_identifying
from relsynth.schema.elements import Column, ColumnType, PrimaryKey, QualifiedName, Schema, Table, TypeKind

PEOPLE = QualifiedName(None, "people")
SCHEMA = Schema(
    "postgresql",
    (
        Table(
            PEOPLE,
            (
                Column("id", ColumnType(TypeKind.INTEGER, "integer"), False),
                Column("email", ColumnType(TypeKind.TEXT, "text")),
                Column("age", ColumnType(TypeKind.INTEGER, "integer")),
                Column("income", ColumnType(TypeKind.FLOAT, "double precision")),
                Column("city", ColumnType(TypeKind.TEXT, "text")),
            ),
            PrimaryKey("pk", ("id",)),
        ),
    ),
)


def people(seed: int, n: int, *, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": np.arange(start, start + n),
        "email": [f"user{start + i}@example.com" for i in range(n)],
        "age": rng.integers(18, 90, n),
        "income": rng.lognormal(10, 0.5, n).round(2),
        "city": rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n),
    })


def test_copied_rows_are_exact_matches_even_with_new_keys():
    real = people(0, 500)
    copied = real.copy()
    copied["id"] += 10_000  # keys are the generator's: they must not hide a copy
    privacy = compute_privacy(SCHEMA, {PEOPLE: real}, {PEOPLE: copied})
    assert privacy.exact_match_share == pytest.approx(1.0)
    assert privacy.source_duplicate_share == pytest.approx(0.0)
    fresh = people(1, 500, start=5000)
    assert compute_privacy(SCHEMA, {PEOPLE: real}, {PEOPLE: fresh}).exact_match_share < 0.01


def test_verbatim_identifiers_are_counted_by_detected_or_given_columns():
    assert detect_identifying(SCHEMA.tables[0]) == ("email",)
    real, synth = people(0, 100), people(1, 100, start=90)  # 10 e-mails overlap
    assert compute_privacy(SCHEMA, {PEOPLE: real}, {PEOPLE: synth}).verbatim_identifiers == 10
    given = compute_privacy(SCHEMA, {PEOPLE: real}, {PEOPLE: synth}, identifying_columns={PEOPLE: ["city"]})
    assert given.verbatim_identifiers == 4


def test_distance_figures_need_a_holdout():
    real = people(0, 300)
    privacy = compute_privacy(SCHEMA, {PEOPLE: real}, {PEOPLE: real})
    assert privacy.dcr_share is None and privacy.mia_advantage is None


def test_memorised_training_rows_push_dcr_and_attack_up():
    source = people(0, 1200)
    holdout = source.iloc[600:]
    train = source.iloc[:600]
    leaked = train.copy()
    memorised = compute_privacy(SCHEMA, {PEOPLE: source}, {PEOPLE: leaked}, holdout={PEOPLE: holdout})
    assert memorised.dcr_share > 0.9
    assert memorised.mia_advantage > 0.5
    # rows drawn from the same distribution but never seen: no side is closer
    fresh = people(5, 600, start=9000)
    safe = compute_privacy(SCHEMA, {PEOPLE: source}, {PEOPLE: fresh}, holdout={PEOPLE: holdout})
    assert safe.dcr_share == pytest.approx(0.5, abs=0.08)
    assert abs(safe.mia_advantage) < 0.15


def test_epsilon_is_carried():
    real = people(0, 50)
    privacy = compute_privacy(SCHEMA, {PEOPLE: real}, {PEOPLE: real}, epsilon=3.0, delta=1e-5)
    assert (privacy.epsilon, privacy.delta) == (3.0, 1e-5)
