"""Which generator owns each column: the decisions that keep real values out of a clone."""

from __future__ import annotations

import pandas as pd

from relsynth.config import TableOverride
from relsynth.roles import Role, assign_roles
from relsynth.schema.elements import Column, ColumnType, PrimaryKey, QualifiedName, Table, TypeKind


def _table(*columns: tuple[str, TypeKind]) -> Table:
    return Table(
        name=QualifiedName(None, "t"),
        columns=tuple(Column(name, ColumnType(kind, "text" if kind is TypeKind.TEXT else "integer")) for name, kind in columns),
        primary_key=PrimaryKey(None, ("id",)),
    )


def _roles(table: Table, frame: pd.DataFrame) -> dict[str, Role]:
    return {plan.name: plan.role for plan in assign_roles(table, frame, TableOverride())}


def test_a_small_tables_names_seen_once_each_are_synthesized_not_copied_as_categories() -> None:
    table = _table(("id", TypeKind.INTEGER), ("department_name", TypeKind.TEXT), ("budget", TypeKind.INTEGER))
    frame = pd.DataFrame({"id": range(12), "department_name": [f"Dept {i}" for i in range(12)], "budget": range(12)})
    assert _roles(table, frame)["department_name"] is Role.TEXT


def test_repeated_values_and_a_handful_of_distinct_names_stay_categories() -> None:
    table = _table(("id", TypeKind.INTEGER), ("status", TypeKind.TEXT))
    repeated = pd.DataFrame({"id": range(40), "status": ["open", "closed", "held", "void"] * 10})
    few = pd.DataFrame({"id": range(5), "status": ["open", "closed", "held", "void", "lost"]})
    assert _roles(table, repeated)["status"] is Role.MODEL
    assert _roles(table, few)["status"] is Role.MODEL  # too few to tell a label from a category
