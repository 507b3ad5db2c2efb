"""Clusters of parent rows, so that secondary foreign keys keep child-parent correlations.

A child row's model learns which *cluster* of parent rows it points to (``__ref__`` column); the
generator then picks a concrete synthetic parent from that cluster. The clustering is k-means over
standardised numeric columns and one-hot top categories, each weighted by how strongly it goes
with its children's columns (a product's price decides an order line's price; its stock does
not), so the clusters split the parent rows where it matters to the children. Its state is plain
JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from relsynth.modeling.encoding.base import per_distinct
from relsynth.modeling.encoding.quantities import decimals_as_floats

MAX_CLUSTERS = 12  # about sqrt(rows) clusters, at most this many: enough to carry attributes,
# few enough that each cluster holds several rows whose children the child model can learn from
TOP_CATEGORIES = 8


@dataclass(frozen=True)
class ParentClusters:
    numeric: dict[str, tuple[float, float]]  # column -> (mean, std / weight)
    categorical: dict[str, tuple[str, ...]]  # column -> top categories (one-hot)
    centroids: tuple[tuple[float, ...], ...]
    weights: dict[str, float] = field(default_factory=dict)  # categorical column -> one-hot weight

    @property
    def size(self) -> int:
        return len(self.centroids)

    def _features(self, frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for column, (mean, std) in self.numeric.items():
            values = _as_number(frame[column]) if column in frame.columns else pd.Series(np.nan, index=frame.index)
            parts.append(((values.to_numpy(dtype=float) - mean) / std)[:, None])
        for column, categories in self.categorical.items():
            values = frame[column].astype(str).to_numpy() if column in frame.columns else np.full(len(frame), "")
            one_hot = np.stack([values == category for category in categories], axis=1).astype(float)
            parts.append(one_hot * self.weights.get(column, 1.0))
        if not parts:
            return np.zeros((len(frame), 1))
        return np.nan_to_num(np.concatenate(parts, axis=1), nan=0.0)

    def assign(self, frame: pd.DataFrame) -> np.ndarray:
        """The cluster index of each row."""
        if len(frame) == 0:
            return np.zeros(0, dtype=np.int64)
        features = self._features(frame)
        centroids = np.asarray(self.centroids)
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2, without the (rows x clusters x features) array;
        # |x|^2 is the same for every cluster, so it does not change the nearest one.
        distances = (centroids**2).sum(axis=1)[None, :] - 2.0 * features @ centroids.T
        return distances.argmin(axis=1)

    def to_dict(self) -> dict:
        return {
            "numeric": {k: list(v) for k, v in self.numeric.items()},
            "categorical": {k: list(v) for k, v in self.categorical.items()},
            "centroids": [list(c) for c in self.centroids],
            "weights": dict(self.weights),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ParentClusters:
        return cls(
            numeric={k: (float(v[0]), float(v[1])) for k, v in data["numeric"].items()},
            categorical={k: tuple(v) for k, v in data["categorical"].items()},
            centroids=tuple(tuple(float(x) for x in c) for c in data["centroids"]),
            weights={k: float(v) for k, v in data.get("weights", {}).items()},
        )


def _as_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("int64").where(values.notna()).astype(float) / 1e9
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    if values.dtype == object:
        items = values.tolist()
        if (fast := decimals_as_floats(values)) is not None:
            return pd.Series(fast, index=values.index, name=values.name)
        present = values.notna().to_numpy()  # element-wise, so a list or array value is one value
        first = items[int(np.argmax(present))] if present.any() else None  # the first non-NULL value
        if first is not None and hasattr(first, "toordinal"):
            # each distinct day once; an aware timestamp row by row (its day depends on its zone)
            days = per_distinct(values, lambda v: np.nan if pd.isna(v) else float(v.toordinal()), alike=lambda v: getattr(v, "tzinfo", None) is None)
            return pd.Series(days.astype(float), index=values.index, name=values.name)
        if set(map(type, items)) <= {str, type(None)}:
            # text (categories, mostly): each distinct value parsed once, NULL as NaN
            codes, distinct = pd.factorize(values.to_numpy(dtype=object))
            numbers = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce").to_numpy(dtype=float)
            return pd.Series(np.append(numbers, np.nan)[codes], index=values.index, name=values.name)
    return pd.to_numeric(values, errors="coerce").astype(float)


def child_weights(parent: pd.DataFrame, children: list[pd.DataFrame]) -> dict[str, float]:
    """A weight per parent column: 1 plus 3 times its strongest rank correlation with a column of
    a child row (``children``: one frame per foreign key, each child row's columns next to its
    parent's, named ``__parent__<column>``). Numbers and dates only; categories keep weight 1."""
    weights = {column: 1.0 for column in parent.columns}
    for joined in children:
        ranks = {c: _as_number(joined[c]).rank() for c in joined.columns}
        usable = {c: r for c, r in ranks.items() if r.notna().sum() >= 10 and r.nunique() > 1}
        for column in parent.columns:
            mine = usable.get(f"__parent__{column}")
            if mine is None:
                continue
            for other, theirs in usable.items():
                if other.startswith("__parent__"):
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):  # no variance where both are set: NaN
                    rho = mine.corr(theirs)
                if np.isfinite(rho):
                    weights[column] = max(weights[column], 1.0 + 3.0 * abs(float(rho)))
    return weights


def fit_clusters(frame: pd.DataFrame, *, seed: int, weights: dict[str, float] | None = None) -> ParentClusters:
    """Cluster the parent rows in ``frame`` (its model columns), columns weighted by ``weights``."""
    weights = weights or {}
    numeric: dict[str, tuple[float, float]] = {}
    categorical: dict[str, tuple[str, ...]] = {}
    for column in frame.columns:
        values = frame[column]
        as_number = _as_number(values) if not values.dtype == object or values.dropna().map(
            lambda v: isinstance(v, (int, float)) or hasattr(v, "toordinal")
        ).all() else None
        if as_number is not None and as_number.notna().any() and as_number.nunique() > TOP_CATEGORIES:
            std = float(as_number.std()) or 1.0
            numeric[column] = (float(as_number.mean()), (std if np.isfinite(std) else 1.0) / weights.get(column, 1.0))
        else:
            top = values.astype(str).value_counts().head(TOP_CATEGORIES).index
            if len(top) > 1:
                categorical[column] = tuple(str(v) for v in top)
    k = int(max(1, min(MAX_CLUSTERS, round(np.sqrt(len(frame))))))
    one_hot_weights = {c: weights.get(c, 1.0) for c in categorical}
    clusters = ParentClusters(numeric, categorical, centroids=((0.0,),), weights=one_hot_weights)
    features = clusters._features(frame)
    k = min(k, len(np.unique(features, axis=0)))  # k-means cannot place more centres than points
    if k <= 1 or len(frame) <= k:
        centroids = features.mean(axis=0, keepdims=True) if len(frame) else np.zeros((1, features.shape[1]))
    else:
        # k-means sums in chunks per OpenMP thread: one thread gives the same centres on any machine
        with threadpool_limits(limits=1):
            centroids = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(features).cluster_centers_
    return ParentClusters(numeric, categorical, centroids=tuple(tuple(map(float, c)) for c in centroids), weights=one_hot_weights)
