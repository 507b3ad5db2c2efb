"""Discovery of the rules the source's data obeys."""

from __future__ import annotations

from typing import Any

from relsynth.rules.model import Rule
from relsynth.schema.elements import Schema


# placeholder until rules-find lands
def discover(connection: Any, schema: Schema, *, sample_rows: int = 50_000, min_support: float = 0.95) -> tuple[Rule, ...]:
    return ()
