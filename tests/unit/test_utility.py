"""Utility (TSTR / TRTR): relational features, honest ratios, proposed targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from relsynth.reporting.utility import compute_utility, propose_target, relational_features
from relsynth.schema.elements import QualifiedName
from relsynth.schema.introspection import introspect

SHOP = QualifiedName(None, "shop")
SALE = QualifiedName(None, "sale")


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path_factory.mktemp('utility') / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE shop (id INTEGER PRIMARY KEY, region TEXT, size REAL, tier TEXT)")
        connection.exec_driver_sql("CREATE TABLE sale (id INTEGER PRIMARY KEY, shop_id INTEGER REFERENCES shop (id), amount REAL)")
    engine.dispose()
    return introspect(url)


def _database(seed: int, shops: int = 600) -> dict[QualifiedName, pd.DataFrame]:
    """A shop's tier is decided by its sales (count and mean amount), not by its own columns."""
    rng = np.random.default_rng(seed)
    busy = rng.random(shops) < 0.5
    counts = np.where(busy, rng.integers(8, 14, shops), rng.integers(0, 5, shops))
    owner = np.repeat(np.arange(shops), counts)
    amount = rng.gamma(2.0, 20.0, len(owner)) + np.repeat(np.where(busy, 30.0, 0.0), counts)
    shop = pd.DataFrame({
        "id": np.arange(shops), "region": rng.choice(["north", "south", "east"], shops),
        "size": rng.normal(100, 20, shops), "tier": np.where(busy, "gold", "basic"),
    })
    sale = pd.DataFrame({"id": np.arange(len(owner)), "shop_id": owner, "amount": amount})
    return {SHOP: shop, SALE: sale}


def test_a_parent_target_is_predicted_from_its_childrens_aggregates(schema) -> None:  # type: ignore[no-untyped-def]
    real = _database(0)
    features = relational_features(schema, schema.table(SHOP), real, _shapes(schema, real))
    assert {"sale0.count", "sale0.amount.mean"} <= set(features.columns)
    counts = real[SALE].groupby("shop_id").size().reindex(real[SHOP]["id"], fill_value=0).to_numpy()
    assert (features["sale0.count"].to_numpy() == counts).all()


def _shapes(schema, frames):  # type: ignore[no-untyped-def]
    from relsynth.reporting.columns import modeled_columns

    return {name: modeled_columns(schema, schema.table(name), frame) for name, frame in frames.items()}


def test_a_faithful_clone_scores_near_one_and_a_broken_one_far_below(schema) -> None:  # type: ignore[no-untyped-def]
    real = _database(0)
    holdout = {SHOP: real[SHOP].iloc[::5].drop(columns=["id"]).reset_index(drop=True)}
    faithful = compute_utility(schema, real, _database(1), holdout, targets=["main.shop.tier"], seed=0)
    broken_clone = _database(1)
    broken_clone[SHOP]["tier"] = np.random.default_rng(2).permutation(broken_clone[SHOP]["tier"].to_numpy())
    broken = compute_utility(schema, real, broken_clone, holdout, targets=["shop.tier"], seed=0)
    good, bad = faithful.scores[0], broken.scores[0]
    assert good.metric == "auc" and good.real > 0.9 and good.test_rows == 120
    assert good.ratio > 0.95 and good.ci_low <= good.ratio <= good.ci_high
    assert bad.ratio < 0.7 and bad.ci_high < good.ci_low
    assert faithful.worst_ratio == good.ratio
    again = compute_utility(schema, real, _database(1), holdout, targets=["shop.tier"], seed=0)
    assert again.scores == faithful.scores  # deterministic for a seed


def test_targets_are_proposed_and_missing_holdouts_explained(schema) -> None:  # type: ignore[no-untyped-def]
    real = _database(0)
    assert propose_target(schema, schema.table(SHOP), real[SHOP]) in {"tier", "region"}
    assert propose_target(schema, schema.table(SALE), real[SALE]) == "amount"
    none = compute_utility(schema, real, _database(1), {}, seed=0)
    assert none.scores == () and any("no holdout" in note for note in none.notes)
    holdout = {SALE: real[SALE].iloc[::5].drop(columns=["id", "shop_id"]).reset_index(drop=True)}
    proposed = compute_utility(schema, real, _database(1), holdout, seed=0)
    assert proposed.proposed == ("sale.amount",) and proposed.scores[0].task == "regression"


def test_a_class_seen_once_in_a_large_training_set_still_gives_a_model() -> None:
    # above 10,000 rows scikit-learn's default early stopping splits by class, and fails on a singleton
    from relsynth.reporting.utility import _Fit

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.normal(size=20_000)})
    y = pd.Series(rng.choice(["a", "b"], 20_000))
    y[3] = "c"
    assert _Fit(regression=False, seed=0).model(x, y) is not None
