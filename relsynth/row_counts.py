"""How many rows generation makes: each table's count at a scale, and each parent's children
calibrated to the learned counts. Pure functions of counts and a random generator."""

from __future__ import annotations

import numpy as np


def calibrated(counts: np.ndarray, target: int, rng: np.random.Generator, *, unique: bool) -> np.ndarray:
    """Children per parent adjusted so that their total matches ``target``.

    The learned counts give the shape (which parents have many children, which none); the total
    is pinned to the source's row count times the scale, so a small parent table whose counts
    are very skewed (6 languages, one with all 1,000 films) cannot lose or multiply a child table.
    Missing children go to parents in proportion to their counts; surplus children are taken
    from parents with more than one first, so a parent that should have a child keeps one.
    """
    counts = np.maximum(counts, 0).astype(np.int64)
    if len(counts) == 0 or target == 0:
        return np.zeros_like(counts)
    if unique:
        target = min(target, len(counts))
        weights = counts.astype(float) + 1e-9
        chosen = rng.choice(len(counts), size=target, replace=False, p=weights / weights.sum())
        result = np.zeros_like(counts)
        result[chosen] = 1
        return result
    difference = target - int(counts.sum())
    if difference > 0:
        weights = counts.astype(float) if counts.sum() > 0 else np.ones(len(counts))
        return counts + rng.multinomial(difference, weights / weights.sum())
    if difference < 0:
        surplus = np.maximum(counts - 1, 0)
        remove = -difference
        if surplus.sum() >= remove:
            return counts - rng.multivariate_hypergeometric(surplus, remove)
        counts = counts - surplus
        ones = np.flatnonzero(counts > 0)
        counts[rng.choice(ones, size=remove - int(surplus.sum()), replace=False)] -= 1
    return counts


def scaled(count: int, scale: float, rng: np.random.Generator, *, at_least_one: bool = False) -> int:
    """``count * scale`` rounded stochastically, so small tables keep their expected size."""
    if count == 0:
        return 0
    exact = count * scale
    n = int(np.floor(exact)) + int(rng.random() < exact - np.floor(exact))
    return max(n, 1) if at_least_one else n
