"""Secondary foreign keys: children dealt to parents by cluster and learned degree."""

from __future__ import annotations

import numpy as np

from relsynth.assignment import NO_PARENT, assign_parents


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
