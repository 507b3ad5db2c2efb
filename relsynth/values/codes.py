"""New codes for the rare ones: a code seen fewer than k times is never released, but its share is.

A code column (state codes, bank codes) is learned as a category, whose rare values share one
rare code. Decoded as a frequent code, every rare state became "CA" or "SP" (chinook: 24 of 59
customers), and a dependency on the code (``state -> country``) then gave them one country. So
a rare code stands for a pool of new codes instead: as many as the rare values seen, each of a
shape the rare values have (``AA``: two new capitals), none equal to a value of the column.
Only shapes seen k times count (a one-off ``Dublin`` says ``Aaaaaa``); the pool is synthetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from relsynth.values.identifying import random_like, shape_of

__all__ = ["new_codes"]

_TRIES = 20  # draws per code of the pool before giving up on it (a shape with no room left)


def _shapes(counts: pd.Series, min_count: int) -> Counter[str]:
    """Rows per shape, only shapes seen ``min_count`` times or more."""
    shapes: Counter[str] = Counter()
    for value, times in counts.items():
        shapes[shape_of(value)] += int(times)
    return Counter({shape: times for shape, times in shapes.items() if times >= min_count})


def new_codes(values: pd.Series, *, min_count: int, seed: int, avoid: Iterable[str] = ()) -> list[str]:
    """A pool of new codes standing for the values of ``values`` seen fewer than ``min_count``
    times: one per such value, shaped like them (like the frequent ones where no rare shape is
    seen k times), never equal (case aside) to a value of ``values`` or of ``avoid``. Empty
    when no value is rare, or no shape is seen k times."""
    counts = values.dropna().astype(str).value_counts()
    rare = counts[counts < min_count]
    if rare.empty or min_count <= 1:
        return []
    shapes = _shapes(rare, min_count) or _shapes(counts[counts >= min_count], min_count)
    if not shapes:
        return []
    names = sorted(shapes)  # an order independent of the rows'
    weights = np.array([shapes[s] for s in names], dtype=float)
    taken = {str(v).casefold() for v in counts.index} | {str(v).casefold() for v in avoid}
    rng = np.random.default_rng(seed)
    pool: list[str] = []
    for _ in range(len(rare) * _TRIES):
        if len(pool) == len(rare):
            break
        code = random_like(names[rng.choice(len(names), p=weights / weights.sum())], rng)
        if code.casefold() not in taken:
            taken.add(code.casefold())
            pool.append(code)
    return pool
