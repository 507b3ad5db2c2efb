"""Assigning secondary and deferred foreign keys: which synthetic parent each child row points to.

Each synthetic parent row carries a learned target degree (how many children it should have) and a
cluster; each child row carries the learned cluster of the parent it wants. Children are dealt the
parents' slots within their cluster, so both the degree distribution and the child-parent
correlation survive. Pure numpy: no model, no database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.modeling.encoding.base import per_distinct

NO_PARENT = -1


def wanted_clusters(labels: pd.Series) -> np.ndarray:
    """The cluster each child row wants, from its ``__ref__`` label ("c<i>"); NO_PARENT for NULL.
    Each distinct label is read once."""
    def cluster(v: object) -> int:
        return NO_PARENT if v is None or v is pd.NA or v != v else int(str(v)[1:])

    return per_distinct(labels, cluster).astype(np.int64)


def parent_values(values: pd.Series, parent_index: np.ndarray) -> pd.Series:
    """Each child row's value from its parent row (``parent_index`` into ``values``), None where
    it has no parent (NO_PARENT)."""
    out = np.full(len(parent_index), None, dtype=object)
    has = parent_index != NO_PARENT
    if has.any():
        out[has] = values.to_numpy(dtype=object)[parent_index[has]]
    return pd.Series(out, dtype=object)


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


class DealtDegrees:
    """A secondary parent's degrees dealt over the planned rows of a child table made in chunks.

    The parents' slots (each one's share by degree, as ``assign_parents`` deals them) are split
    among the chunks as a random permutation of all slots cut at the chunks' sizes would split
    them, but drawn chunk by chunk (a multivariate hypergeometric draw from the slots left), so
    nothing the size of the table is held. The degree distribution holds over the whole table
    however it is cut, and each chunk's share is its own parents' degrees."""

    def __init__(self, degrees: np.ndarray, total: int, rng: np.random.Generator) -> None:
        self.left = _quotas(np.maximum(degrees, 0), total, rng)
        self.rng = rng

    def take(self, rows: int) -> np.ndarray:
        """The degrees of the next chunk of ``rows`` planned rows."""
        rows = min(rows, int(self.left.sum()))
        taken = self.rng.multivariate_hypergeometric(self.left, rows, method="marginals") if rows else np.zeros_like(self.left)
        self.left -= taken
        return taken


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


def matching_parents(
    fixed: pd.DataFrame, parent_keys: pd.DataFrame, index: np.ndarray, degrees: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``index`` with each child's parent changed, where needed, to one that matches ``fixed``.

    ``fixed`` holds, per child, the values another foreign key already set for some of this key's
    columns (named as the parent's columns, ``parent_keys``). A child whose parent does not match
    gets one of the matching parents, weighted by degree; a child with a NULL there keeps its
    parent. Returns (index, rows that no parent matches).
    """
    index = index.copy()
    unmatched = np.zeros(len(index), dtype=bool)
    if len(index) == 0:
        return index, unmatched
    # One group number per distinct key over parents and children alike.
    both = pd.concat([parent_keys.reset_index(drop=True), fixed.reset_index(drop=True)], ignore_index=True)
    group = both.groupby(list(both.columns), dropna=True, sort=False).ngroup().to_numpy()
    parent_group, child_group = group[: len(parent_keys)], group[len(parent_keys) :]
    present = fixed.notna().all(axis=1).to_numpy()
    has = index != NO_PARENT
    matches = np.zeros(len(index), dtype=bool)
    matches[has] = parent_group[index[has]] == child_group[has]
    wrong = np.flatnonzero(present & ~matches)
    # Parents sorted by group: each group is a run, and one draw on the running sum of the
    # weights within a child's run picks its parent (all children at once, no loop over keys).
    weights = np.maximum(degrees.astype(float), 0) + 1.0  # every matching parent stays possible
    order = np.argsort(parent_group, kind="stable")
    sorted_groups = parent_group[order]
    running = np.concatenate([[0.0], np.cumsum(weights[order])])
    first = np.searchsorted(sorted_groups, child_group[wrong])
    stop = np.searchsorted(sorted_groups, child_group[wrong], side="right")
    none = first == stop
    unmatched[wrong[none]] = True
    index[wrong[none]] = NO_PARENT
    rows, first, stop = wrong[~none], first[~none], stop[~none]
    draws = running[first] + rng.random(len(rows)) * (running[stop] - running[first])
    index[rows] = order[np.clip(np.searchsorted(running, draws, side="right") - 1, first, stop - 1)]
    return index, unmatched
