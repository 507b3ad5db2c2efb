"""How numeric values move together *within* their bins (a Gaussian copula of bin positions).

The network picks each numeric column's bin; the decoder then places the value inside its bin
with a uniform draw. Independent draws flatten correlations inside the bins: in a small table,
with few wide bins, a job's maximum salary no longer follows its minimum. This copula learns the
correlation of the within-bin positions (as normal scores) and the decoder draws correlated
uniforms from it. Its state is a correlation matrix; it is not fitted under differential privacy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from relsynth.modeling.encoding import Encoder, NumericEncoder

MIN_PAIRED_ROWS = 10  # fewer rows binned in both columns: their correlation is left at 0
_EDGE = 1e-3  # positions are clipped off 0 and 1 before the normal scores


@dataclass(frozen=True)
class BinCopula:
    columns: tuple[int, ...]  # indices of the numeric encoders it correlates
    correlation: tuple[tuple[float, ...], ...]

    @classmethod
    def fit(cls, encoders: Sequence[Encoder], frame: pd.DataFrame) -> BinCopula | None:
        """None when fewer than two binned numeric columns are correlated within their bins."""
        columns = [i for i, e in enumerate(encoders) if isinstance(e, NumericEncoder) and e.n_bins > 0]
        if len(columns) < 2:
            return None
        scores = pd.DataFrame({
            i: ndtri(np.clip(encoders[i].bin_positions(frame[encoders[i].spec.name]), _EDGE, 1 - _EDGE)) for i in columns
        })
        correlation = scores.corr(min_periods=MIN_PAIRED_ROWS).fillna(0.0).to_numpy(copy=True)  # pandas 3 hands out read-only views
        np.fill_diagonal(correlation, 1.0)
        # pairwise estimates need not form a valid correlation matrix: the nearest one that does
        values, vectors = np.linalg.eigh(correlation)
        correlation = (vectors * np.clip(values, 1e-6, None)) @ vectors.T
        scale = np.sqrt(np.diag(correlation))
        correlation = correlation / np.outer(scale, scale)
        if np.allclose(correlation, np.eye(len(columns)), atol=0.05):
            return None
        return cls(tuple(columns), tuple(tuple(float(x) for x in row) for row in correlation))

    def uniforms(self, n: int, rng: np.random.Generator) -> dict[int, np.ndarray]:
        """Correlated uniforms, one array of ``n`` per encoder index in ``columns``."""
        factor = np.linalg.cholesky(np.asarray(self.correlation))
        drawn = ndtr(rng.standard_normal((n, len(self.columns))) @ factor.T)
        return {column: drawn[:, k] for k, column in enumerate(self.columns)}

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "correlation": [list(row) for row in self.correlation]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> BinCopula | None:
        if not data:
            return None
        return cls(tuple(int(c) for c in data["columns"]), tuple(tuple(float(x) for x in row) for row in data["correlation"]))
