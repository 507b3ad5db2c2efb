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


def test_partial_memorisation_is_found_and_scored_by_auc():
    source = people(0, 1200)
    holdout, train = source.iloc[600:], source.iloc[:600]
    # a fifth of the synthetic rows are copies of training rows, the rest never-seen rows
    leaky = pd.concat([train.iloc[:120], people(7, 480, start=9000)], ignore_index=True)
    privacy = compute_privacy(SCHEMA, {PEOPLE: source}, {PEOPLE: leaky}, holdout={PEOPLE: holdout})
    # the copied fifth is told apart from the holdout for sure, the other members at chance
    assert 0.1 < privacy.mia_advantage < 0.4


def test_advantage_is_two_auc_minus_one_with_ties_half():
    from relsynth.reporting.privacy import _advantage

    members = np.r_[np.ones(50), np.zeros(50)]
    assert _advantage(members, np.r_[np.ones(50), np.zeros(50)]) == pytest.approx(1.0)
    assert _advantage(members, np.r_[np.zeros(50), np.ones(50)]) == pytest.approx(-1.0)
    assert _advantage(members, np.zeros(100)) == pytest.approx(0.0)  # all tied: chance


def test_both_attacks_find_copied_rows_among_lookalikes():
    from relsynth.reporting.privacy import _attack_advantages

    rng = np.random.default_rng(0)
    # members and non-members from one distribution; the synthetic rows copy the sparse members
    # only, and fill the dense region, near members and non-members alike
    dense = lambda n: rng.normal(0, 0.05, (n, 2))  # noqa: E731
    sparse = lambda n: rng.uniform(-5, 5, (n, 2))  # noqa: E731
    members, others = np.vstack([dense(300), sparse(100)]), np.vstack([dense(300), sparse(100)])
    synthetic = np.vstack([dense(300), members[300:] + 1e-3])
    found = _attack_advantages(members, others, synthetic)
    assert found["density_ratio"] > 0.2 and found["closest_synthetic"] > 0.2
    unrelated = _attack_advantages(members, others, np.vstack([dense(300), sparse(100)]))
    assert abs(unrelated["density_ratio"]) < 0.12 and abs(unrelated["closest_synthetic"]) < 0.12


def test_the_attacks_interval_excludes_0_for_copied_rows_and_holds_it_for_an_independent_sample():
    source = people(0, 1200)
    holdout, train = source.iloc[900:], source.iloc[:900]
    copied = compute_privacy(SCHEMA, {PEOPLE: source}, {PEOPLE: train.copy()}, holdout={PEOPLE: holdout}, seed=3)
    attack = copied.mia_attack
    assert attack.advantage > 0.5 and attack.low > 0.3 and not attack.within_noise
    assert attack.low <= attack.advantage <= attack.high
    independent = compute_privacy(SCHEMA, {PEOPLE: source}, {PEOPLE: people(10, 900, start=9000)}, holdout={PEOPLE: holdout}, seed=3)
    attack = independent.mia_attack
    assert attack.low < 0 < attack.high and attack.within_noise
    assert "within noise" in attack.verdict()
    # deterministic for a seed
    again = compute_privacy(SCHEMA, {PEOPLE: source}, {PEOPLE: people(10, 900, start=9000)}, holdout={PEOPLE: holdout}, seed=3)
    assert again.mia_attack == attack


def test_a_protected_clone_is_lower_only_when_the_intervals_part():
    from relsynth.reporting.membership import Attack, compare

    baseline = Attack(0.30, 0.20, 0.40, "closest_synthetic")
    assert compare(Attack(0.05, -0.02, 0.12, "density_ratio"), baseline) == "lower"
    assert compare(Attack(0.22, 0.15, 0.29, "density_ratio"), baseline) == "within noise"
    assert compare(None, baseline) == "not measured"
