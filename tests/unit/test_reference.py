"""Which small tables are copied as public reference data without being asked."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from relsynth.config import RelsynthConfig, TableOverride
from relsynth.privacy.config import PrivacyConfig
from relsynth.reference import is_reference
from relsynth.roles import assign_roles
from relsynth.schema.elements import Column, ColumnType, ForeignKey, PrimaryKey, QualifiedName, Table, TypeKind

REGIONS = QualifiedName(None, "regions")
TEXT, INTEGER, STAMP = ColumnType(TypeKind.TEXT, "text"), ColumnType(TypeKind.INTEGER, "integer"), ColumnType(TypeKind.TIMESTAMP, "timestamp")


def _lookup(name: str, *extra: Column, region: bool = True) -> Table:
    columns = (Column("id", INTEGER, False), Column("label", TEXT), *extra)
    fks = ()
    if region:
        columns += (Column("region_id", INTEGER),)
        fks = (ForeignKey(None, QualifiedName(None, name), ("region_id",), REGIONS, ("id",)),)
    return Table(QualifiedName(None, name), columns, PrimaryKey(None, ("id",)), foreign_keys=fks)


def _decide(table: Table, frame: pd.DataFrame, copied: set[QualifiedName], *, min_count: int = 1) -> bool:
    """The copy decision, by default with k = 1 (the k rule is tested on its own below)."""
    config = replace(RelsynthConfig(), privacy=PrivacyConfig(min_count=min_count))
    columns = assign_roles(table, frame, TableOverride(), min_count=min_count)
    return is_reference(table, columns, frame, len(frame), config, copied)


def _frame(labels: list[str], **more: list) -> pd.DataFrame:
    return pd.DataFrame({"id": range(len(labels)), "label": labels, "region_id": [1] * len(labels), **more})


def test_a_table_of_names_under_a_copied_lookup_table_is_reference_data() -> None:
    countries = _frame([f"Country {i}" for i in range(25)])
    assert _decide(_lookup("countries"), countries, {REGIONS})
    assert not _decide(_lookup("countries"), countries, set())  # its parent is synthesized


def test_prose_and_event_dates_are_never_copied_without_being_asked() -> None:
    notes = _frame([f"called on day {i} and said the order from her store was late again" for i in range(25)])
    assert not _decide(_lookup("notes"), notes, {REGIONS})
    visits = _frame([f"Visit {i}" for i in range(25)], visited_at=pd.date_range("2024-01-01", periods=25).tolist())
    assert not _decide(_lookup("visits", Column("visited_at", STAMP)), visits, {REGIONS})
    audited = _frame([f"Genre {i}" for i in range(25)], last_update=[pd.Timestamp("2022-02-15")] * 25)
    assert _decide(_lookup("genres", Column("last_update", STAMP)), audited, {REGIONS})


def test_a_value_seen_fewer_than_k_times_keeps_a_table_from_being_copied() -> None:
    countries = _frame([f"Country {i}" for i in range(25)])
    assert not _decide(_lookup("countries"), countries, {REGIONS}, min_count=3)  # each name seen once
    kinds = _frame([f"Kind {i % 5}" for i in range(25)])  # each label five times
    assert _decide(_lookup("kinds"), kinds, {REGIONS}, min_count=3)
    assert not _decide(_lookup("kinds"), kinds, {REGIONS}, min_count=6)


def test_a_column_of_peoples_names_with_a_name_that_says_nothing_is_never_copied() -> None:
    managers = ["Anna Schmidt", "John Miller", "Maria Garcia", "Peter Jones", "Linda Brown"] * 4
    branches = _frame([f"Branch {i}" for i in range(20)], manager_name=managers)
    table = _lookup("branches", Column("manager_name", TEXT))
    assert not _decide(table, branches, {REGIONS})
    plans = {c.name: c for c in assign_roles(table, branches, TableOverride())}
    assert plans["manager_name"].role.value == "identifying"
