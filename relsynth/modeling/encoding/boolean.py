"""BOOLEAN: its canonical key (True/False, also from text such as 't' or 'yes') and decoded dtype."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from relsynth.modeling.encoding.base import NULL_CODE

_TRUE_TEXTS = ("t", "true", "1", "y", "yes", "on")


def boolean_key(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_TEXTS
    return bool(value)


def booleans(codes: np.ndarray, categories: list[Any], name: str) -> pd.Series:
    """Categorical codes (rare codes already resolved) as pandas ``boolean``, NULL as ``<NA>``."""
    table = np.array([False, False, *[bool(c) for c in categories]], dtype=bool)
    out = pd.array(table[codes], dtype="boolean")
    out[codes == NULL_CODE] = pd.NA
    return pd.Series(out, name=name)
