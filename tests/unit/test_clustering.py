"""Parent clusters for secondary foreign keys: they must split parents where children care."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.clustering import ParentClusters, child_weights, fit_clusters


def _products(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"price": rng.lognormal(3, 1, n), "stock": rng.normal(50, 20, n), "shelf": rng.normal(0, 1, n)})


def test_a_parent_column_that_decides_its_childrens_values_weighs_most() -> None:
    products = _products()
    rng = np.random.default_rng(1)
    bought = rng.integers(0, len(products), 2_000)
    lines = pd.DataFrame({"line_price": products["price"].to_numpy()[bought] * rng.uniform(0.8, 1.0, bought.size)})
    joined = pd.concat([lines, products.iloc[bought].reset_index(drop=True).add_prefix("__parent__")], axis=1)
    weights = child_weights(products, [joined])
    assert weights["price"] > 3.5
    assert weights["stock"] < 1.6 and weights["shelf"] < 1.6  # chance correlations only


def test_weighted_clusters_keep_the_weighted_column_tight_and_survive_a_round_trip() -> None:
    products = _products()
    plain = fit_clusters(products, seed=0)
    weighted = fit_clusters(products, seed=0, weights={"price": 4.0})

    def price_spread(clusters: ParentClusters) -> float:
        labels = clusters.assign(products)
        ranks = products["price"].rank(pct=True)
        return float(np.mean([ranks[labels == k].std() for k in np.unique(labels) if (labels == k).sum() > 1]))

    assert price_spread(weighted) < 0.6 * price_spread(plain)
    again = ParentClusters.from_dict(weighted.to_dict())
    assert (again.assign(products) == weighted.assign(products)).all()


def test_a_column_of_arrays_reads_as_no_number() -> None:
    # pagila's film.special_features (text[]): a value that is a list is one value, not many
    from relsynth.clustering import _as_number

    values = pd.Series([None, ["Trailers", "Commentaries"], ["Deleted Scenes"]], dtype=object)
    assert _as_number(values).isna().all()
