"""Keys the target enforces, kept by generated rows: what is compared, and how a repeating row moves."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from relsynth.checks import compile_check
from relsynth.schema.elements import (
    Column,
    ColumnType,
    Index,
    PrimaryKey,
    QualifiedName,
    Table,
    TypeKind,
    UniqueConstraint,
)
from relsynth.uniqueness import enforced_keys, move_repeats

TEXT = ColumnType(TypeKind.TEXT, "varchar(8)", length=8)
STAMP = ColumnType(TypeKind.TIMESTAMP, "timestamp")


def _table(*indexes: Index, primary: tuple[str, ...] | None = None, columns=None) -> Table:
    columns = columns or {"code": TEXT, "email": ColumnType(TypeKind.TEXT, "text"), "active": ColumnType(TypeKind.BOOLEAN, "boolean")}
    return Table(
        QualifiedName(None, "t"),
        tuple(Column(name, kind) for name, kind in columns.items()),
        primary_key=PrimaryKey("pk", primary) if primary else None,
        indexes=indexes,
    )


def test_a_partial_unique_index_holds_among_the_rows_its_predicate_selects() -> None:
    table = _table(Index("code_active", ("code",), unique=True, where="active"))
    rows = pd.DataFrame({"code": ["C1", "C1", "C1", "C1"], "email": list("abcd"), "active": [True, True, False, None]})
    keys, warnings = enforced_keys(table, "postgresql", rows)
    assert warnings == []
    assert keys[0].repeats(rows).tolist() == [False, True, False, False]  # inactive and NULL rows are not covered
    stuck = move_repeats(rows, keys, {"code": TEXT})
    assert not stuck.any()
    assert rows["code"].tolist() == ["C1", "C1-2", "C1", "C1"]


def test_an_expression_index_compares_the_expression_and_suffixes_emails_before_the_at() -> None:
    table = _table(Index("email_lower", ("lower((email)::text)",), unique=True))
    rows = pd.DataFrame({"code": ["a", "b", "c"], "email": ["Ann@x.org", "ann@X.org", "bo@x.org"], "active": [True] * 3})
    keys, _ = enforced_keys(table, "postgresql", rows)
    assert keys[0].repeats(rows).tolist() == [False, True, False]
    assert not move_repeats(rows, keys, {"email": ColumnType(TypeKind.TEXT, "text")}).any()
    assert rows["email"].tolist() == ["Ann@x.org", "ann2@X.org", "bo@x.org"]


def test_an_expression_relsynth_cannot_evaluate_keeps_its_columns_unique_and_says_so() -> None:
    table = _table(Index("code_soundex", ("soundex(code)",), unique=True))
    rows = pd.DataFrame({"code": ["a", "A ", "b"], "email": list("xyz"), "active": [True] * 3})
    keys, warnings = enforced_keys(table, "postgresql", rows)
    assert len(warnings) == 1 and "code" in warnings[0] and "kept unique" in warnings[0]
    assert keys[0].repeats(rows).tolist() == [False, True, False]  # compared case- and pad-insensitively


def test_a_timestamp_moves_along_its_own_grid_and_a_text_suffix_fits_the_column() -> None:
    columns = {"line": TEXT, "started_at": STAMP}
    table = _table(primary=("line", "started_at"), columns=columns)
    slots = pd.to_datetime(["2024-03-01 06:00", "2024-03-01 06:00", "2024-03-01 14:00", "2024-03-01 06:00"]).astype("datetime64[us]")
    rows = pd.DataFrame({"line": ["press", "press", "press", "mill"], "started_at": slots})
    keys, _ = enforced_keys(table, "postgresql", rows)
    assert not move_repeats(rows, keys, columns).any()
    assert rows["started_at"].dt.strftime("%H:%M").tolist() == ["06:00", "22:00", "14:00", "06:00"]  # 8-hour slots
    long = pd.DataFrame({"line": ["abcdefgh", "abcdefgh"], "started_at": slots[:2].where([True, True], slots[0])})
    moved = move_repeats(long, keys, {"line": TEXT})  # only the text may move here
    assert not moved.any() and long["line"].tolist() == ["abcdefgh", "abcdefg2"]


def test_a_move_that_breaks_a_check_is_not_taken() -> None:
    columns = {"day": ColumnType(TypeKind.DATE, "date"), "n": ColumnType(TypeKind.INTEGER, "integer")}
    table = _table(primary=("day", "n"), columns=columns)
    rows = pd.DataFrame({"day": [dt.date(2024, 1, 1)] * 3, "n": pd.array([1, 1, 2], dtype="Int64")})
    keys, _ = enforced_keys(table, "postgresql", rows)
    check = compile_check("n <= 3")
    stuck = move_repeats(rows, keys, {"n": columns["n"]}, [check])
    assert not stuck.any() and rows["n"].tolist() == [1, 3, 2]  # the repeat moves past the taken 2
    full = pd.DataFrame({"day": [dt.date(2024, 1, 1)] * 4, "n": pd.array([1, 2, 3, 3], dtype="Int64")})
    stuck = move_repeats(full, keys, {"n": columns["n"]}, [check])  # 4 and beyond break the CHECK
    assert stuck.tolist() == [False, False, False, True] and full["n"].tolist() == [1, 2, 3, 3]
    assert np.array_equal(keys[0].repeats(full), stuck)


def test_a_predicate_that_fails_on_the_generated_values_keeps_the_columns_unique_among_all_rows() -> None:
    table = _table(Index("code_recent", ("code",), unique=True, where="seen > 'soon'"), columns={"code": TEXT, "seen": ColumnType(TypeKind.DATE, "date")})
    rows = pd.DataFrame({"code": ["a", "a"], "seen": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]})
    keys, warnings = enforced_keys(table, "postgresql", rows)
    assert "kept unique among all rows" in warnings[-1]
    assert keys[0].repeats(rows).tolist() == [False, True]


def test_unique_keys_are_the_primary_key_then_constraints_then_indexes_over_every_row() -> None:
    table = replace(
        _table(
            Index("email_lower", ("lower((email)::text)",), unique=True),
            Index("code_active", ("code",), unique=True, where="active"),  # partial: not a key of every row
            Index("by_active", ("active",)),  # not unique
            primary=("code", "active"),
        ),
        unique_constraints=(UniqueConstraint("email_key", ("email",)),),
    )
    assert table.unique_keys() == (("code", "active"), ("email",), ("lower((email)::text)",))
    assert table.unique_keys(with_indexes=False) == (("code", "active"), ("email",))
    assert table.is_unique(("active", "code")) and table.is_unique(("email",))
    assert not table.is_unique(("code",))
