"""Assigning secondary and deferred foreign keys: which synthetic parent each child row points to.

Each synthetic parent row carries a learned target degree (how many children it should have) and a
cluster; each child row carries the learned cluster of the parent it wants. Children are dealt the
parents' slots within their cluster, so both the degree distribution and the child-parent
correlation survive. Pure numpy: no model, no database.
"""

from __future__ import annotations

import numpy as np

NO_PARENT = -1


def assign_parents(
    *,
    wanted_clusters: np.ndarray,
    parent_clusters: np.ndarray,
    parent_degrees: np.ndarray,
    rng: np.random.Generator,
    unique: bool = False,
) -> np.ndarray:
    """The index of the parent row for each child (``NO_PARENT`` where the child wants none).

    ``wanted_clusters[i]`` is the cluster child i points to, or ``NO_PARENT`` for a NULL key.
    With ``unique`` (a one-to-one key) every parent is used at most once; children left without
    a parent get ``NO_PARENT``.
    """
    result = np.full(len(wanted_clusters), NO_PARENT, dtype=np.int64)
    if len(parent_clusters) == 0:
        return result
    degrees = np.maximum(parent_degrees.astype(np.int64), 0)
    used = np.zeros(len(parent_clusters), dtype=bool)
    everyone = np.arange(len(parent_clusters))
    for cluster in np.unique(wanted_clusters[wanted_clusters != NO_PARENT]):
        children = np.flatnonzero(wanted_clusters == cluster)
        rng.shuffle(children)
        members = everyone[parent_clusters == cluster]
        if len(members) == 0:  # the cluster has no synthetic parent: fall back to every parent
            members = everyone
        if not unique:  # every child gets a slot; each parent's share follows its degree
            members = rng.permutation(members)
            slots = np.repeat(members, _quotas(degrees[members], len(children), rng))
            result[children] = rng.permutation(slots)
            continue
        slots = np.repeat(members, degrees[members])
        slots = slots[~used[slots]]
        slots = np.unique(slots)
        rng.shuffle(slots)
        taken = slots[: len(children)]
        result[children[: len(taken)]] = taken
        used[taken] = True
        rest = children[len(taken) :]
        if len(rest) == 0:
            continue
        free = members[~used[members]]
        if len(free) < len(rest):
            free = np.concatenate([free, everyone[~used & (parent_clusters != cluster)]])
        free = rng.permutation(free)[: len(rest)]
        result[rest[: len(free)]] = free
        used[free] = True
    return result


def _quotas(degrees: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` children split over parents in proportion to ``degrees``, each share rounded up
    or down (systematic rounding: one random offset), so the shares sum to ``total`` and the
    degree distribution keeps its shape whether there are more children than slots or fewer."""
    weights = degrees.astype(float)
    if weights.sum() <= 0:
        weights = np.ones(len(degrees))
    bounds = np.concatenate([[0.0], np.cumsum(weights) / weights.sum() * total])
    offset = rng.random()
    return np.diff(np.ceil(bounds - offset)).astype(np.int64)


def assign_self_parents(
    *,
    wanted_clusters: np.ndarray,
    row_clusters: np.ndarray,
    row_degrees: np.ndarray,
    rng: np.random.Generator,
    nullable: bool,
) -> np.ndarray:
    """Like ``assign_parents`` for a self-reference, but the result is a forest (no cycles).

    Rows are ranked by target degree (managers before their reports) and each row may only point
    at a row of lower rank. A row that must have a parent but has none available points at the
    first row (the root), or at itself when it is the root and the key is NOT NULL.
    """
    n = len(wanted_clusters)
    result = np.full(n, NO_PARENT, dtype=np.int64)
    if n == 0:
        return result
    order = np.lexsort((rng.random(n), -row_degrees))  # high degree first, random ties
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    weights = np.maximum(row_degrees.astype(float), 0) + 0.05
    wants = wanted_clusters != NO_PARENT if nullable else np.ones(n, dtype=bool)
    # Pick among earlier rows of the wanted cluster, weighted by degree (vectorised per cluster).
    for cluster in np.unique(np.where(wanted_clusters == NO_PARENT, 0, wanted_clusters)):
        children = np.flatnonzero(wants & (np.where(wanted_clusters == NO_PARENT, 0, wanted_clusters) == cluster))
        members = order[row_clusters[order] == cluster]  # in rank order
        if len(members) == 0:
            members = order
        cumulative = np.cumsum(weights[members])
        eligible = np.searchsorted(position[members], position[children])  # members ranked before
        has = eligible > 0
        draws = rng.random(int(has.sum())) * cumulative[eligible[has] - 1]
        result[children[has]] = members[np.searchsorted(cumulative, draws, side="right").clip(0, len(members) - 1)]
        # No earlier row of that cluster: point at the overall root (or itself when it is the root).
        orphans = children[~has]
        root = order[0]
        result[orphans] = np.where(orphans == root, NO_PARENT if nullable else root, root)
    return result
