"""Numbers that land on a value seen fewer than k times are moved off it: never onto another rare
value, never out of the column type's range, and by the type's finest unit where every nearby
step of the column's own granularity is rare too."""

from __future__ import annotations

import pandas as pd

from relsynth.modeling.encoding import ColumnSpec, NumericEncoder
from relsynth.schema.elements import ColumnType, TypeKind
from relsynth.values.rarity import move_off_rare, rare_values, type_limits, type_unit


def _encoder(source: pd.Series, nullable: bool = True) -> NumericEncoder:
    spec = ColumnSpec(name="n", kind=TypeKind.INTEGER, nullable=nullable)
    return NumericEncoder.fit(source, spec, max_bins=64, spike_fraction=0.01, min_count=3)


def test_type_limits_and_units() -> None:
    assert type_limits(ColumnType(TypeKind.INTEGER, "TINYINT UNSIGNED")) == (0, 255)
    assert type_limits(ColumnType(TypeKind.INTEGER, "smallint")) == (-32768, 32767)
    assert type_limits(ColumnType(TypeKind.INTEGER, "INTEGER(10) UNSIGNED")) == (0, 2**32 - 1)
    assert type_limits(ColumnType(TypeKind.DECIMAL, "DECIMAL(5,2) UNSIGNED", precision=5, scale=2)) == (0, 999.99)
    assert type_unit(ColumnType(TypeKind.DECIMAL, "numeric(8,3)", precision=8, scale=3)) == 0.001
    assert type_unit(ColumnType(TypeKind.TIMESTAMP, "DATETIME(3)", precision=3)) == 1000.0
    assert type_unit(ColumnType(TypeKind.FLOAT, "double precision")) is None


def test_unsigned_column_is_never_moved_below_zero() -> None:
    source = pd.Series(range(1, 241), dtype="Int64")  # every value seen once
    encoder = _encoder(source)
    prints = set(rare_values(source, TypeKind.INTEGER, 3))
    drawn = pd.Series(list(range(1, 14)) + list(range(228, 241)), dtype="Int64")
    moved, count = move_off_rare(drawn, prints, encoder, ColumnType(TypeKind.INTEGER, "TINYINT UNSIGNED"))
    assert count == len(drawn)
    kept = moved.dropna()
    assert kept.between(0, 255).all() and not set(kept) & set(source)
    assert set(kept) <= {0, *range(241, 256)}


def test_a_grid_full_of_rare_values_moves_by_the_types_unit() -> None:
    source = pd.Series([3_000_000_000 + 1000 * g for g in range(1, 241)], dtype="Int64")  # unique, step 1000
    encoder = _encoder(source, nullable=True)
    prints = set(rare_values(source, TypeKind.INTEGER, 3))
    drawn = source.iloc[20:60].reset_index(drop=True)
    moved, count = move_off_rare(drawn, prints, encoder, ColumnType(TypeKind.INTEGER, "INT UNSIGNED"))
    assert count == len(drawn) and moved.notna().all()  # none left NULL
    assert not set(moved) & set(source) and ((moved - drawn).abs() < 1000).all()


def test_a_free_neighbour_step_keeps_the_columns_granularity() -> None:
    common = [1000 * g for g in range(1, 40) for _ in range(3)]  # each seen 3 times: not rare
    source = pd.Series([*common, 55_000], dtype="Int64")  # 55000 seen once; 54000 and 56000 are free
    encoder = _encoder(source)
    prints = set(rare_values(source, TypeKind.INTEGER, 3))
    moved, _ = move_off_rare(pd.Series([55_000], dtype="Int64"), prints, encoder, ColumnType(TypeKind.INTEGER, "integer"))
    assert moved.iloc[0] in (54_000, 56_000)
