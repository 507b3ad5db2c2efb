"""Fidelity and detection metrics on DataFrames, checked against SDMetrics on the same inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from relsynth.reporting import augment, compute_detection, compute_fidelity
from relsynth.reporting.fidelity import count_histogram, histogram_ks_complement
from relsynth.schema.elements import (
    Column,
    ColumnType,
    ForeignKey,
    PrimaryKey,
    QualifiedName,
    Schema,
    Table,
    TypeKind,
)

PARENT, CHILD = QualifiedName(None, "customer"), QualifiedName(None, "orders")
INT, FLOAT, TEXT = (ColumnType(TypeKind.INTEGER, "integer"), ColumnType(TypeKind.FLOAT, "double precision"),
                    ColumnType(TypeKind.TEXT, "text"))
FK = ForeignKey("orders_customer_fk", CHILD, ("customer_id",), PARENT, ("id",))
SCHEMA = Schema(
    "postgresql",
    (
        Table(PARENT, (Column("id", INT, False), Column("age", INT), Column("segment", TEXT)), PrimaryKey("pk", ("id",))),
        Table(
            CHILD,
            (Column("id", INT, False), Column("customer_id", INT), Column("amount", FLOAT), Column("channel", TEXT)),
            PrimaryKey("opk", ("id",)),
            foreign_keys=(FK,),
        ),
    ),
)


def make_tables(seed: int, n: int = 400) -> dict[QualifiedName, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    age = np.where(segment == "a", rng.integers(18, 40, n), rng.integers(40, 90, n))
    parent = pd.DataFrame({"id": np.arange(n), "age": age, "segment": segment})
    children = rng.poisson(np.where(segment == "a", 1, 4))
    owner = np.repeat(np.arange(n), children)
    m = len(owner)
    amount = age[owner] * 2.0 + rng.normal(0, 5, m)
    channel = np.where(amount > 100, rng.choice(["web", "store"], m, p=[0.8, 0.2]), rng.choice(["web", "store"], m, p=[0.2, 0.8]))
    child = pd.DataFrame({"id": np.arange(m), "customer_id": owner, "amount": amount, "channel": channel})
    return {PARENT: parent, CHILD: child}


def test_identical_tables_score_perfectly():
    real = make_tables(0)
    fidelity = compute_fidelity(SCHEMA, real, {k: v.copy() for k, v in real.items()})
    assert fidelity.quality == pytest.approx(1.0)
    assert all(v == pytest.approx(1.0) for v in fidelity.property_scores.values())
    # keys are left out: only the non-key columns are compared
    assert {(str(s.table), s.column) for s in fidelity.column_shapes} == {
        ("customer", "age"), ("customer", "segment"), ("orders", "amount"), ("orders", "channel")}


def test_constant_column_lowers_its_shape_only():
    real = make_tables(0)
    synth = {k: v.copy() for k, v in real.items()}
    synth[CHILD]["amount"] = 50.0
    fidelity = compute_fidelity(SCHEMA, real, synth)
    shapes = {s.column: s.score for s in fidelity.column_shapes}
    assert shapes["amount"] < 0.2
    assert shapes["channel"] == pytest.approx(1.0)


def test_shuffled_column_lowers_pair_trends_not_shapes():
    real = make_tables(0)
    synth = {k: v.copy() for k, v in real.items()}
    synth[CHILD]["amount"] = np.random.default_rng(1).permutation(synth[CHILD]["amount"].to_numpy())
    base = compute_fidelity(SCHEMA, real, real)
    shuffled = compute_fidelity(SCHEMA, real, synth)
    assert shuffled.shapes_score(CHILD) == pytest.approx(1.0)
    assert shuffled.pairs_score(CHILD) < base.pairs_score(CHILD) - 0.15
    # the parent's age no longer predicts the amount either
    assert shuffled.property_scores["intertable_trends"] < 0.95


def test_cardinality_drops_when_children_are_spread_evenly():
    real = make_tables(0)
    synth = {k: v.copy() for k, v in real.items()}
    synth[CHILD]["customer_id"] = np.arange(len(synth[CHILD])) % len(synth[PARENT])
    fidelity = compute_fidelity(SCHEMA, real, synth)
    assert fidelity.property_scores["cardinality"] < 0.8


def test_histogram_ks_equals_scipy_on_expanded_samples():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(3)
    a, b = pd.Series(rng.poisson(2, 300)), pd.Series(rng.poisson(3, 200))
    expected = 1 - ks_2samp(a, b).statistic
    assert histogram_ks_complement(count_histogram(a), count_histogram(b)) == pytest.approx(expected)


def _sdv_metadata() -> dict:
    return {
        "tables": {
            "customer": {"primary_key": "id", "columns": {"id": {"sdtype": "id"}, "age": {"sdtype": "numerical"},
                                                           "segment": {"sdtype": "categorical"}}},
            "orders": {"primary_key": "id", "columns": {"id": {"sdtype": "id"}, "customer_id": {"sdtype": "id"},
                                                         "amount": {"sdtype": "numerical"},
                                                         "channel": {"sdtype": "categorical"}}},
        },
        "relationships": [{"parent_table_name": "customer", "parent_primary_key": "id",
                           "child_table_name": "orders", "child_foreign_key": "customer_id"}],
    }


def test_agrees_with_sdmetrics_quality_report():
    from sdmetrics.reports import QualityReport

    real, synth = make_tables(0), make_tables(7, n=350)
    synth[CHILD]["amount"] = synth[CHILD]["amount"] * 1.1  # some disagreement to measure
    ours = compute_fidelity(SCHEMA, real, synth).property_scores
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate({"customer": real[PARENT], "orders": real[CHILD]},
                        {"customer": synth[PARENT], "orders": synth[CHILD]}, _sdv_metadata(), verbose=False)
    theirs = report.get_properties().set_index("Property")["Score"]
    assert ours["column_shapes"] == pytest.approx(theirs["Column Shapes"], abs=0.02)
    assert ours["column_pair_trends"] == pytest.approx(theirs["Column Pair Trends"], abs=0.02)
    assert ours["cardinality"] == pytest.approx(theirs["Cardinality"], abs=0.02)
    assert ours["intertable_trends"] == pytest.approx(theirs["Intertable Trends"], abs=0.02)
    assert ours["column_shapes"] < 0.99  # the comparison is not between two perfect scores


def test_detection_is_chance_on_identical_and_high_on_broken_data():
    real = make_tables(0, n=600)
    same = compute_detection(SCHEMA, augment(SCHEMA, real), augment(SCHEMA, {k: v.copy() for k, v in real.items()}))
    assert {str(d.table) for d in same} == {"customer", "orders"}
    assert all(d.accuracy < 0.6 for d in same)
    broken = {k: v.copy() for k, v in real.items()}
    broken[PARENT]["age"] = 30
    flagged = {str(d.table): d.accuracy for d in compute_detection(SCHEMA, augment(SCHEMA, real), augment(SCHEMA, broken))}
    assert flagged["customer"] > 0.8
    # the orders themselves are unchanged: their parent's columns (a feature) give them away
    assert flagged["orders"] > 0.8


def test_the_report_compares_as_categories_the_text_the_generator_learns_as_categories() -> None:
    """One rule for category versus free text: a lookup table's labels, each seen once, are free
    text to the generator (never copied as categories), so the report does not score them as a
    category either; repeated labels are a category to both."""
    from relsynth.config import TableOverride
    from relsynth.reporting.columns import modeled_columns
    from relsynth.roles import Role, assign_roles

    table = Table(QualifiedName(None, "genre"), (Column("id", INT, False), Column("label", TEXT), Column("kind", TEXT)), PrimaryKey("gpk", ("id",)))
    labels = ["Action", "Animation", "Children", "Classics", "Comedy", "Documentary", "Drama", "Family",
              "Foreign", "Games", "Horror", "Music", "New", "Sci-Fi", "Sports", "Travel"]
    real = pd.DataFrame({"id": range(16), "label": labels, "kind": ["film", "series"] * 8})
    roles = {plan.name: plan.role for plan in assign_roles(table, real, TableOverride())}
    shapes = modeled_columns(Schema("postgresql", (table,)), table, real)
    assert roles["label"] is Role.TEXT and "label" not in shapes  # the distinct-share rule alone needed 20 rows
    assert roles["kind"] is Role.MODEL and "kind" in shapes
