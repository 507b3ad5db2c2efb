"""Structured PostgreSQL types learned through numeric parts: geometry, ranges, multiranges.

A value such as a box or a ``tsrange`` has meaning in its numbers (corners, a lower bound and a
width), not in its text. Each such column is split into *parts* (``during::bound``,
``during::width``, ...) that the table model learns as ordinary numeric or categorical columns, so
they keep their distribution and their correlation with the rest of the row; after generation the
parts are joined back into a valid literal. A family says which types it handles, its parts, how
to split a value and how to join parts (``Family``); ``FAMILIES`` is the registry.

Values travel as PostgreSQL literal text everywhere (``as_literals`` turns the driver's objects
into it on reading), which SQLite and MariaDB targets store as text.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from relsynth.modeling.encoding import ColumnSpec
from relsynth.schema.elements import ColumnType, Table, TypeKind
from relsynth.values.pgtypes.base import Family, Part, is_null

__all__ = [
    "FAMILIES",
    "Family",
    "Part",
    "as_literals",
    "decompose",
    "expand",
    "family_of",
    "join_column",
    "part_spec",
]

SEPARATOR = "::"  # ``column::part``: no SQL identifier of a real column reads like this in practice


def _families() -> tuple[Family, ...]:
    from relsynth.values.pgtypes.geometric import GEOMETRIC
    from relsynth.values.pgtypes.ranges import RANGES

    return (*GEOMETRIC, *RANGES)


FAMILIES: tuple[Family, ...] = _families()


def family_of(column_type: ColumnType) -> Family | None:
    if column_type.kind is not TypeKind.OTHER:
        return None
    return next((family for family in FAMILIES if family.matches(column_type)), None)


def part_name(column: str, part: Part) -> str:
    return f"{column}{SEPARATOR}{part.suffix}"


def _structured(table: Table, columns: Iterable[str]) -> dict[str, Family]:
    found = {}
    for name in columns:
        if name in table.column_names and (family := family_of(table.column(name).type)) is not None:
            found[name] = family
    return found


def expand(table: Table, columns: Iterable[str]) -> list[str]:
    """``columns`` with each structured column replaced by its part columns."""
    columns = list(columns)
    families = _structured(table, columns)
    out: list[str] = []
    for name in columns:
        family = families.get(name)
        out += [part_name(name, p) for p in family.parts(table.column(name).type)] if family else [name]
    return out


def as_literals(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with structured columns as literal text (the driver gives objects, or text)."""
    families = _structured(table, frame.columns)
    if not families:
        return frame
    frame = frame.copy()
    for name, family in families.items():
        column_type = table.column(name).type
        frame[name] = pd.Series(
            [None if is_null(v) else family.literal(v, column_type) for v in frame[name].tolist()], dtype=object, index=frame.index
        )
    return frame


def decompose(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each structured column replaced, in place, by its part columns."""
    families = _structured(table, frame.columns)
    if not families:
        return frame
    pieces: dict[str, Any] = {}
    for name in frame.columns:
        family = families.get(name)
        if family is None:
            pieces[name] = frame[name]
            continue
        column_type = table.column(name).type
        parts = family.parts(column_type)
        rows = [
            (None,) * len(parts) if is_null(v) else family.split(family.literal(v, column_type), column_type)
            for v in frame[name].tolist()
        ]
        for i, part in enumerate(parts):
            pieces[part_name(name, part)] = pd.Series([row[i] for row in rows], dtype=object, index=frame.index)
    return pd.DataFrame(pieces, index=frame.index)


def part_spec(table: Table, name: str) -> ColumnSpec | None:
    """The model's spec for a part column ``column::part``; None for any other column."""
    column, sep, suffix = name.rpartition(SEPARATOR)
    if not sep or column not in table.column_names:
        return None
    element = table.column(column)
    family = family_of(element.type)
    part = next((p for p in family.parts(element.type) if p.suffix == suffix), None) if family else None
    if part is None:
        return None
    first = part == family.parts(element.type)[0]
    return ColumnSpec(
        name=name,
        kind=part.kind,
        timezone=part.timezone,
        nullable=element.nullable if first else part.optional,
        low=part.low,
        high=part.high,
    )


def join_column(table: Table, column: str, model: pd.DataFrame, rng: np.random.Generator) -> pd.Series | None:
    """The literals of structured ``column`` joined from its parts in ``model``; None otherwise."""
    element = table.column(column)
    family = family_of(element.type)
    if family is None:
        return None
    names = [part_name(column, p) for p in family.parts(element.type)]
    if not set(names) <= set(model.columns):
        return pd.Series([None] * len(model), dtype=object)
    values = zip(*(model[n].astype(object).tolist() for n in names), strict=True)
    out = [None if is_null(parts[0]) else family.join(parts, element.type, rng) for parts in values]
    return pd.Series(out, dtype=object)
