"""Secondary foreign keys: children dealt to parents by cluster and learned degree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.assignment import NO_PARENT, assign_parents, matching_parents


def test_children_keep_their_cluster_and_the_parents_degree_shape() -> None:
    rng = np.random.default_rng(0)
    parent_clusters = np.array([0, 0, 0, 1, 1])
    degrees = np.array([10, 20, 30, 5, 0])
    wanted = np.array([0] * 120 + [1] * 10 + [NO_PARENT] * 3)  # twice the slots of cluster 0
    index = assign_parents(wanted_clusters=wanted, parent_clusters=parent_clusters, parent_degrees=degrees, rng=rng)
    assert (index[-3:] == NO_PARENT).all()
    assert (parent_clusters[index[:130]] == wanted[:130]).all()
    counts = np.bincount(index[:130], minlength=5)
    assert counts.tolist() == [20, 40, 60, 10, 0]  # scaled degrees, exactly: no sampling noise


def test_a_one_to_one_key_uses_each_parent_once() -> None:
    rng = np.random.default_rng(1)
    index = assign_parents(
        wanted_clusters=np.zeros(8, dtype=np.int64), parent_clusters=np.zeros(5, dtype=np.int64),
        parent_degrees=np.ones(5, dtype=np.int64), rng=rng, unique=True,
    )
    taken = index[index != NO_PARENT]
    assert len(taken) == 5 and len(set(taken.tolist())) == 5


def test_a_key_sharing_columns_with_another_takes_a_parent_that_matches_them() -> None:
    rng = np.random.default_rng(2)
    # partsupp fixed (l_partkey, l_suppkey); the part key must agree on p_partkey.
    parts = pd.DataFrame({"p_partkey": [10, 20, 30]})
    fixed = pd.DataFrame({"p_partkey": [20, 30, 40, None]})
    index, unmatched = matching_parents(fixed, parts, np.array([0, 2, 1, 0]), np.ones(3, dtype=np.int64), rng)
    assert index[:2].tolist() == [1, 2]  # re-pointed to the only matching part, or kept where it matched
    assert unmatched.tolist() == [False, False, True, False]  # no part 40: the caller drops the row
    assert index[3] == 0  # a NULL constrains nothing


def test_matching_parents_are_drawn_within_the_key_by_degree() -> None:
    rng = np.random.default_rng(3)
    # four partsupp rows per part: children fixed on the part are re-pointed to one of its four
    parents = pd.DataFrame({"ps_partkey": np.repeat([1, 2, 3], 4)})
    degrees = np.tile([0, 1, 3, 11], 3)  # drawn in proportion to degree + 1: 1, 2, 4, 12
    fixed = pd.DataFrame({"ps_partkey": np.tile([1, 2, 3], 20_000)})
    index, unmatched = matching_parents(fixed, parents, np.full(60_000, NO_PARENT), degrees, rng)
    assert not unmatched.any()
    assert (parents["ps_partkey"].to_numpy()[index] == fixed["ps_partkey"].to_numpy()).all()
    shares = np.bincount(index, minlength=12).reshape(3, 4) / 20_000
    assert np.allclose(shares, np.array([1, 2, 4, 12]) / 19, atol=0.01)
