"""The statements a schema writer produces, and how they are named in messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from relsynth.schema.elements import QualifiedName


@dataclass(frozen=True)
class Statement:
    sql: str
    optional: bool = False  # a best-effort translation: on failure warn and go on
    label: str = ""  # what the statement creates, for the warning when an optional one fails
    by_name: bool = False  # names tables it does not belong to (views, triggers): run once they have their final names


class Staging(Protocol):
    """Temporary names to build the tables under, before one atomic rename puts them in place."""

    def table_name(self, name: QualifiedName) -> QualifiedName: ...

    def foreign_key_name(self, name: str) -> str | None:
        """A temporary name when ``name`` is still held by a table being replaced, else None."""
        ...


def one_line(error: BaseException) -> str:
    """The first line of a driver's error, for a one-line message."""
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def short(statement: str) -> str:
    """``statement`` on one line, cut to 200 characters."""
    flat = " ".join(statement.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."
