"""Membership inference: can someone holding the clone tell training rows from held-out rows?

Every attack scores each real row (members: training rows; others: rows held out of training)
from the synthetic rows alone, higher meaning "more likely a member"; its advantage is 2 * AUC - 1
(0: chance; 1: every member found; threshold-free). Three attacks run and the strongest counts:

* ``closest_synthetic``: minus the distance to the closest synthetic record (a member has a
  synthetic near-copy);
* ``density_ratio``: DOMIAS (van Breugel et al., 2023) with nearest-neighbour densities, k = 1:
  the distance to the closest other real row of the scored pool over the distance to the closest
  synthetic row, so rows in dense regions, near everything, no longer pass for members;
* ``density_ratio_k5``: the same ratio with the 5th neighbours, which finds a model that puts too
  much mass around its training rows without copying them.

The interval is a percentile bootstrap over the members and the others (each resampled with
replacement, the attacks' scores fixed; deterministic for a seed) of the strongest attack, at
level 1 - 0.05 / 3 (Bonferroni): whichever attack is picked, an interval that excludes 0 for a
clone that knows nothing of its members happens at most 5% of the time. (Taking the maximum
within every replicate instead was measured to exclude 0 for independent samples.) An interval
that holds 0 means the figure is within noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

BOOTSTRAP_REPLICATES = 400
CONFIDENCE = 0.95
_DENSITY_K = 5


@dataclass(frozen=True)
class Attack:
    """The strongest attack's advantage, its 95% bootstrap interval and its name."""

    advantage: float
    low: float
    high: float
    name: str

    @property
    def within_noise(self) -> bool:
        return self.low <= 0.0 <= self.high

    def verdict(self) -> str:
        if self.within_noise:
            return "within noise (the 95% interval holds 0)"
        return "members told apart above chance" if self.low > 0 else "below chance"


def attack_scores(x_members: np.ndarray, x_others: np.ndarray, x_syn: np.ndarray) -> dict[str, np.ndarray]:
    """Each attack's score of every pooled row (members first, then the others)."""
    pool = np.vstack([x_members, x_others])
    k = max(1, min(_DENSITY_K, len(x_syn), len(pool) - 1))
    # brute force: measured 5-7x faster than the trees here (one-hot columns make many dimensions)
    d_syn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(x_syn).kneighbors(pool)[0]
    # neighbour 0 of a pooled row among the pool is itself: the others start at 1; members and
    # non-members alike see both kinds, so this reference favours neither
    d_real = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(pool).kneighbors(pool)[0][:, 1:]
    scale = float(np.median(np.r_[d_syn[:, 0], d_real[:, 0]])) or 1.0
    floor = 1e-3 * scale  # exact twins (distance 0) stay comparable
    return {
        "closest_synthetic": -d_syn[:, 0],
        "density_ratio": np.log((d_real[:, 0] + floor) / (d_syn[:, 0] + floor)),
        "density_ratio_k5": np.log((d_real[:, k - 1] + floor) / (d_syn[:, k - 1] + floor)),
    }


def advantage(is_member: np.ndarray, score: np.ndarray) -> float:
    """2 * AUC - 1 (Mann-Whitney, ties counted half): 0 when the score says nothing of membership."""
    is_member = np.asarray(is_member, dtype=bool)
    weights = np.where(is_member, 1.0, 0.0)[None, :], np.where(is_member, 0.0, 1.0)[None, :]
    return float(_weighted_advantages(np.asarray(score, dtype=np.float64), *weights)[0])


def _weighted_advantages(score: np.ndarray, members: np.ndarray, others: np.ndarray) -> np.ndarray:
    """2 * AUC - 1 per row of the weight matrices (replicates x rows): a bootstrap replicate is a
    multinomial weight per row. Rows with the same score are one cell, so ties count half."""
    cells, cell = np.unique(score, return_inverse=True)
    replicates, width = members.shape[0], cells.size
    index = (cell[None, :] + width * np.arange(replicates)[:, None]).ravel()
    per_cell = lambda w: np.bincount(index, weights=w.ravel(), minlength=replicates * width).reshape(replicates, width)  # noqa: E731
    member_mass, other_mass = per_cell(members), per_cell(others)
    below = np.cumsum(other_mass, axis=1) - other_mass  # others' weight strictly below each cell
    pairs = members.sum(axis=1) * others.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (member_mass * (below + 0.5 * other_mass)).sum(axis=1) / pairs
    return 2 * auc - 1


def strongest_attack(x_members: np.ndarray, x_others: np.ndarray, x_syn: np.ndarray, *, seed: int = 0) -> Attack:
    """The strongest attack on these rows with its bootstrap interval (see the module docstring)."""
    scores = attack_scores(x_members, x_others, x_syn)
    m, n = len(x_members), len(x_others)
    is_member = np.r_[np.ones(m, dtype=bool), np.zeros(n, dtype=bool)]
    found = {name: advantage(is_member, s) for name, s in scores.items()}
    best = max(found, key=lambda name: found[name])
    rng = np.random.default_rng(seed)  # one draw of replicates for every attack
    members = np.hstack([rng.multinomial(m, np.full(m, 1.0 / m), BOOTSTRAP_REPLICATES), np.zeros((BOOTSTRAP_REPLICATES, n))])
    others = np.hstack([np.zeros((BOOTSTRAP_REPLICATES, m)), rng.multinomial(n, np.full(n, 1.0 / n), BOOTSTRAP_REPLICATES)])
    replicates = _weighted_advantages(scores[best], members, others)
    tail = (1 - CONFIDENCE) / 2 / len(scores) * 100  # Bonferroni: the strongest of len(scores) is chosen
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return Attack(found[best], float(low), float(high), best)


def compare(protected: Attack | None, baseline: Attack | None) -> str:
    """How an attack on a protected clone (under DP, say) stands against one on the baseline:
    lower only when the intervals do not overlap, else within noise."""
    if protected is None or baseline is None or math.isnan(protected.advantage) or math.isnan(baseline.advantage):
        return "not measured"
    if protected.high < baseline.low:
        return "lower"
    if protected.low > baseline.high:
        return "higher"
    return "within noise"


__all__ = ["Attack", "advantage", "attack_scores", "compare", "strongest_attack"]
