"""Rows that would copy a source record: how they are recognised, and how the report counts them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from relsynth.fitting import _rare_rows
from relsynth.reporting import compute_privacy
from relsynth.schema.elements import Column, ColumnType, PrimaryKey, QualifiedName, Schema, Table, TypeKind
from relsynth.values.rarity import row_fingerprints


def test_a_value_fingerprints_alike_from_the_driver_and_from_the_model() -> None:
    from_driver = pd.DataFrame({
        "price": [Decimal("18.00"), None],
        "day": [datetime.date(2017, 12, 31), datetime.date(2018, 1, 1)],
        "at": [datetime.datetime(2020, 5, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), None],
        "flag": [True, False],
    })
    from_model = pd.DataFrame({
        "price": [18.0, np.nan],
        "day": [pd.Timestamp("2017-12-31"), pd.Timestamp("2018-01-01")],
        "at": [pd.Timestamp("2020-05-01 10:00", tz="UTC"), pd.NaT],
        "flag": pd.array([True, False], dtype="boolean"),
    })
    columns = list(from_driver.columns)
    assert row_fingerprints(from_driver, columns) == row_fingerprints(from_model, columns)
    from_model.loc[0, "price"] = 18.5
    assert row_fingerprints(from_driver, columns)[0] != row_fingerprints(from_model, columns)[0]


def test_only_combinations_seen_fewer_than_three_times_are_rare() -> None:
    frame = pd.DataFrame({"quantity": [1, 1, 1, 2, 2, 3], "discount": [0, 0, 0, 0, 0, 5]})
    rare = set(_rare_rows(frame, ["quantity", "discount"]))
    prints = row_fingerprints(frame, ["quantity", "discount"])
    assert rare == {prints[3], prints[5]}  # (2, 0) twice and (3, 5) once; (1, 0) three times is safe


def test_tables_copied_as_reference_data_get_no_exact_match_share() -> None:
    name = QualifiedName(None, "country")
    table = Table(
        name,
        (Column("id", ColumnType(TypeKind.INTEGER, "integer"), False), Column("label", ColumnType(TypeKind.TEXT, "text"))),
        PrimaryKey("pk", ("id",)),
    )
    schema = Schema("postgresql", (table,))
    rows = pd.DataFrame({"id": range(20), "label": [f"Land {i}" for i in range(20)]})
    assert compute_privacy(schema, {name: rows}, {name: rows}).exact_match_share == 1.0
    copied = compute_privacy(schema, {name: rows}, {name: rows}, copied={name})
    assert copied.exact_match_share is None and copied.tables[0].exact_match_share is None
