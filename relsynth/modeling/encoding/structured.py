"""JSON and ARRAY: one canonical text per value (sorted keys, no spaces), parsed back on decode."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from relsynth.modeling.encoding.base import NULL_CODE
from relsynth.schema.elements import TypeKind

STRUCTURED_KINDS = frozenset({TypeKind.JSON, TypeKind.ARRAY})


def structured_key(value: Any, kind: TypeKind) -> str:
    if isinstance(value, str) and kind is TypeKind.JSON:
        try:  # a driver that hands JSON over as text
            value = json.loads(value)
        except ValueError:
            pass
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def structured_values(codes: np.ndarray, categories: list[Any]) -> list[Any]:
    """Categorical codes (rare codes already resolved) as Python values, NULL as None."""
    parsed = [json.loads(c) for c in categories]
    return [None if c == NULL_CODE else parsed[c - 2] for c in codes.tolist()]
