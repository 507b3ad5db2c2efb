"""Structured PostgreSQL values: split into learned parts, joined back into valid literals, and
shifted to keep an exclusion constraint."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from relsynth.schema.elements import Column, ColumnType, ExclusionConstraint, QualifiedName, Table, TypeKind
from relsynth.values import exclusion, pgtypes
from relsynth.values.pgtypes.ranges import parse_range


def _type(sql: str) -> ColumnType:
    return ColumnType(TypeKind.OTHER, sql)


def _round_trip(sql: str, text: str) -> str:
    family = pgtypes.family_of(_type(sql))
    assert family is not None, sql
    parts = family.split(family.literal(text, _type(sql)), _type(sql))
    return family.join(parts, _type(sql), np.random.default_rng(0))


@pytest.mark.parametrize(
    ("sql", "text"),
    [
        ("point", "(1.5,-2)"),
        ("line", "{1,-1,3}"),
        ("lseg", "[(1,2),(4,6)]"),
        ("box", "(3,4),(1,1)"),
        ("circle", "<(1,1),2>"),
        ("int4range", "[1,11)"),
        ("int4range", "empty"),
        ("int8range", "[5,)"),
        ("numrange", "(1.5,2.25]"),
        ("numrange", "(,)"),
        ("daterange", "(,2020-01-02)"),
        ("tsrange", '["2020-01-01 00:00:00","2020-01-02 06:00:00")'),
        ("int4multirange", "{[1,3)}"),
        ("int4multirange", "{}"),
    ],
)
def test_fixed_shapes_and_ranges_survive_a_split_and_join(sql: str, text: str) -> None:
    assert _round_trip(sql, text) == text


def test_a_range_splits_into_form_bound_and_width() -> None:
    family = pgtypes.family_of(_type("tstzrange"))
    form, bound, width = family.split('["2020-01-01 10:00:00+02",)', _type("tstzrange"))
    assert (form, bound, width) == ("[L,)", pd.Timestamp("2020-01-01 08:00:00", tz="UTC"), None)
    assert family.split("[2020-01-01,2020-01-05)", _type("daterange"))[1:] == (dt.date(2020, 1, 1), 4)


def test_joined_values_are_valid_whatever_the_model_draws() -> None:
    rng = np.random.default_rng(1)
    rt = _type("numrange")
    ranges = pgtypes.family_of(rt)
    # a bound missing where the form wants one: that end becomes unbounded, never an error
    assert ranges.join(("[L,U)", None, decimal.Decimal("2")), rt, rng) == "(,)"
    assert ranges.join(("[L,U]", decimal.Decimal("1.5"), decimal.Decimal("-3")), rt, rng) == "[1.5,1.5]"
    box = pgtypes.family_of(_type("box"))
    assert box.join((0, 0, -1.0, 2.0), _type("box"), rng) == "(0,2),(0,0)"
    line = pgtypes.family_of(_type("line"))
    assert line.join((0, 0, 5), _type("line"), rng) == "{0,1,5}"  # A = B = 0 is no line


def test_generated_polygons_keep_centre_size_and_vertex_count() -> None:
    family = pgtypes.family_of(_type("polygon"))
    text = family.join((10.0, -4.0, 3.0, 6), _type("polygon"), np.random.default_rng(2))
    x, y, spread, points = family.split(text, _type("polygon"))
    assert points == 6
    assert (x, y, spread) == pytest.approx((10.0, -4.0, 3.0), abs=1.5)
    path = pgtypes.family_of(_type("path"))
    assert path.join((0.0, 0.0, 1.0, 3, False), _type("path"), np.random.default_rng(3)).startswith("[")


def test_multiranges_join_inside_their_span() -> None:
    family = pgtypes.family_of(_type("datemultirange"))
    text = family.join(("[L,U)", 3, dt.date(2020, 1, 1), 30, 0.5), _type("datemultirange"), np.random.default_rng(4))
    bounds = [parse_range(r, TypeKind.DATE, False) for r in text[1:-1].replace("),", ")|").split("|")]
    assert bounds[0].lower == dt.date(2020, 1, 1) and bounds[-1].upper == dt.date(2020, 1, 31)
    assert all(b.lower <= b.upper for b in bounds)


def test_decompose_replaces_a_column_by_its_parts_in_place() -> None:
    table = Table(
        QualifiedName(None, "t"),
        (Column("id", ColumnType(TypeKind.INTEGER, "integer")), Column("p", _type("point")), Column("n", _type("text"))),
    )
    frame = pd.DataFrame({"id": [1, 2], "p": ["(1,2)", None], "n": ["a", "b"]})
    parts = pgtypes.decompose(table, frame)
    assert list(parts.columns) == ["id", "p::x", "p::y", "n"]
    assert parts["p::x"].tolist()[0] == 1.0 and parts["p::x"].isna().tolist()[1]
    assert pgtypes.part_spec(table, "p::x").kind is TypeKind.DECIMAL
    assert pgtypes.expand(table, ["p", "n"]) == ["p::x", "p::y", "n"]


def _bookings(rows: list[tuple[int | None, str]]) -> tuple[Table, pd.DataFrame]:
    table = Table(
        QualifiedName(None, "booking"),
        (Column("room_id", ColumnType(TypeKind.INTEGER, "integer")), Column("during", _type("int4range"))),
        exclusion_constraints=(
            ExclusionConstraint("no_overlap", "EXCLUDE USING gist (room_id WITH =, during WITH &&)",
                                (("room_id", "pg_catalog.="), ("during", "pg_catalog.&&")), ("btree_gist",)),
        ),
    )
    return table, pd.DataFrame(rows, columns=["room_id", "during"])


def test_overlapping_values_of_one_group_are_shifted_keeping_their_width() -> None:
    table, rows = _bookings([(1, "[0,10)"), (1, "[5,8)"), (2, "[5,8)"), (1, "[10,12)"), (None, "[0,100)"), (1, "empty")])
    assert exclusion.resolve(table, rows) == 2
    assert rows["during"].tolist() == ["[0,10)", "[10,13)", "[5,8)", "[13,15)", "[0,100)", "empty"]


def test_a_value_after_an_unbounded_one_becomes_empty() -> None:
    table, rows = _bookings([(1, "[0,)"), (1, "[5,8)"), (1, "(,3)")])
    exclusion.resolve(table, rows)
    assert rows["during"].tolist() == ["[3,)", "empty", "(,3)"]


def test_a_range_built_from_two_columns_is_shifted_through_both() -> None:
    table = Table(
        QualifiedName(None, "shift"),
        (Column("desk", ColumnType(TypeKind.INTEGER, "integer")),
         Column("starts", ColumnType(TypeKind.TIMESTAMP, "timestamp without time zone")),
         Column("ends", ColumnType(TypeKind.TIMESTAMP, "timestamp without time zone"))),
        exclusion_constraints=(
            ExclusionConstraint("no_overlap", "EXCLUDE USING gist (desk WITH =, tsrange(starts, ends, '[]'::text) WITH &&)",
                                (("desk", "="), ("tsrange(starts, ends, '[]'::text)", "&&")), ("btree_gist",)),
        ),
    )
    rows = pd.DataFrame({
        "desk": [1, 1, 2],
        "starts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-01 09:30"]),
        "ends": pd.to_datetime(["2024-01-01 11:00", "2024-01-01 12:00", "2024-01-01 10:00"]),
    })
    assert exclusion.resolve(table, rows) == 1
    assert rows["starts"].dtype.kind == "M"
    # [9:00, 11:00] and the moved [11:00:00.000001, 13:00:00.000001] share no instant
    assert rows["starts"][1] == pd.Timestamp("2024-01-01 11:00:00.000001")
    assert rows["ends"][1] - rows["starts"][1] == pd.Timedelta(hours=2)
    assert rows["starts"][2] == pd.Timestamp("2024-01-01 09:30")


def test_polygons_are_swept_apart_along_x_and_other_operators_are_not_resolvable() -> None:
    table = Table(
        QualifiedName(None, "plot"),
        (Column("zone", ColumnType(TypeKind.INTEGER, "integer")), Column("shape", _type("polygon"))),
        exclusion_constraints=(
            ExclusionConstraint("apart", "EXCLUDE USING gist (shape WITH &&)", (("shape", "&&"),)),
            ExclusionConstraint("odd", "EXCLUDE USING gist (zone WITH <>)", (("zone", "<>"),)),
        ),
    )
    apart, odd = table.exclusion_constraints
    assert exclusion.resolvable(table, apart) and not exclusion.resolvable(table, odd)
    rows = pd.DataFrame({"zone": [1, 2], "shape": ["((0,0),(2,0),(1,1))", "((1,5),(3,5),(2,6))"]})
    exclusion.resolve(table, rows)
    assert rows["shape"][1].startswith("((2.00001,5),(4.00001,5),(3.00001,6)")
