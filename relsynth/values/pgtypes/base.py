"""What a structured type family is: its parts, and how it splits and joins values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from relsynth.schema.elements import ColumnType, TypeKind


@dataclass(frozen=True)
class Part:
    """One learned part of a structured value.

    The first part of a family says whether the value is NULL (it is NULL exactly then); the others
    are never NULL when the value is present, unless ``optional`` (a range's missing bound).
    """

    suffix: str
    kind: TypeKind
    optional: bool = False
    low: float | None = None
    high: float | None = None
    timezone: bool = False


class Family(Protocol):
    name: str

    def matches(self, column_type: ColumnType) -> bool: ...

    def parts(self, column_type: ColumnType) -> tuple[Part, ...]: ...

    def literal(self, value: Any, column_type: ColumnType) -> str:
        """A driver value (or literal text) as PostgreSQL literal text."""
        ...

    def split(self, text: str, column_type: ColumnType) -> tuple[Any, ...]:
        """A literal's parts, in ``parts`` order."""
        ...

    def join(self, parts: Sequence[Any], column_type: ColumnType, rng: np.random.Generator) -> str | None:
        """A valid literal from generated parts (first part present), or None."""
        ...


def is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value
