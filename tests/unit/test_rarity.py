"""k on model values: numbers moved off rare source values stay in the column's span, and rows
that repeat a rare combination of common values are moved a step off it."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import numpy as np
import pandas as pd

from relsynth.modeling.encoding import ColumnSpec, NumericEncoder
from relsynth.schema.elements import TypeKind
from relsynth.values.codes import new_codes
from relsynth.values.rarity import (
    _number_prints,
    canonical,
    fingerprint,
    move_off_rare,
    move_rows_off_rare,
    rare_values,
    row_fingerprints,
)


def _encoder(values: list[int], name: str = "x") -> NumericEncoder:
    spec = ColumnSpec(name=name, kind=TypeKind.INTEGER, nullable=False)
    return NumericEncoder.fit(pd.Series(values), spec, max_bins=8, spike_fraction=0.5, min_count=3)


def test_a_rare_maximum_is_moved_down_not_out_of_the_span() -> None:
    source = list(range(10, 60)) * 3 + [60]  # the maximum, 60, is seen once
    encoder = _encoder(source)
    prints = set(rare_values(pd.Series(source), TypeKind.INTEGER, 3))
    out, moved = move_off_rare(pd.Series([60, 60, 10]), prints, encoder)
    assert moved == 2
    assert out.max() <= 60 and out.min() >= 10  # +1 would leave the source's range
    assert 60 not in set(out)


def test_rows_of_a_grid_seen_once_each_are_moved_to_a_new_combination() -> None:
    # every (a, b) of the common values is seen exactly once: no redraw can leave a rare one
    source = pd.DataFrame(list(itertools.product(range(0, 40, 4), range(1, 4))), columns=["a", "b"])
    encoders = {"a": _encoder(source["a"].tolist() * 3, "a"), "b": _encoder(source["b"].tolist() * 3, "b")}
    prints = set(row_fingerprints(source, ["a", "b"]))
    frame = source.sample(20, random_state=0).reset_index(drop=True)
    still = move_rows_off_rare(frame, np.ones(len(frame), dtype=bool), ["a", "b"], prints, encoders, {})
    assert not still.any()
    assert not set(row_fingerprints(frame, ["a", "b"])) & prints
    assert frame["a"].between(0, 36).all() and frame["b"].between(1, 3).all()


def test_new_codes_stand_for_the_rare_codes_with_their_shape_and_are_never_a_real_value() -> None:
    rare = ["AB", "BC", "NT", "WA", "QC", "NS", "MB"]
    values = pd.Series(["CA"] * 5 + ["SP"] * 3 + rare + ["Dublin", "NSW", None, None])
    pool = new_codes(values, min_count=3, seed=1, avoid={"ZZ"})
    assert len(pool) == len(rare) + 2 == len(set(pool))  # one per rare value
    assert all(len(c) == 2 and c.isupper() for c in pool)  # "Dublin", "NSW": shapes seen once, not learned
    assert not set(pool) & set(values.dropna()) and "ZZ" not in pool
    assert pool == new_codes(values.sample(frac=1, random_state=3), min_count=3, seed=1, avoid={"ZZ"})  # row order aside
    assert new_codes(pd.Series(["CA"] * 3 + ["SP"] * 4), min_count=3, seed=1) == []  # nothing rare
    # no rare shape seen k times: the frequent codes' shape
    assert all(len(c) == 2 and c.isupper() for c in new_codes(pd.Series(["CA"] * 3 + ["Dublin"]), min_count=3, seed=1))


def test_row_fingerprints_hash_each_rows_canonical_texts_whatever_the_dtypes() -> None:
    # the columns are read a whole column at a time; each row must still be fingerprint() of its
    # canonical texts joined, as fitting stored them
    frame = pd.DataFrame({
        "int": pd.array([1, None, -3, 2**60 + 1, 0, 7], dtype="Int64"),
        "np_int": np.array([5, 5, -1, 0, 2**62, 9], dtype=np.int64),
        "float": [0.1, -0.0, np.nan, 1e20, 2.5, 0.0],
        "decimal": [Decimal("2.90"), None, Decimal("-0.00"), Decimal("1E+3"), 4.5, Decimal("7")],
        "decimal_nan": [Decimal("NaN"), Decimal("1.5"), None, Decimal("2"), Decimal("0"), Decimal("3")],
        "text": ["Straße", "ΣΑΣ", None, "x", "İstanbul", "ǅ"],
        "date": [dt.date(1995, 3, 1), None, dt.date(1970, 1, 1), dt.date(2000, 2, 29), dt.date(1995, 3, 1), dt.date(1, 1, 1)],
        "stamp": pd.to_datetime(["2020-01-01 10:00:00", None, "1999-12-31 23:59:59", "2020-01-01 00:00:00", "2001-01-01 00:00:01", "2030-06-30 00:00:00"]),
        "flag": [True, False, True, True, False, False],
        "mixed": [1, "a", 2.5, None, Decimal("3.10"), dt.date(2001, 1, 1)],
    })
    for columns in (list(frame.columns), ["decimal", "text"], ["int"]):
        expected = [fingerprint("\x1f".join(canonical(frame[c].iloc[i]) for c in columns)) for i in range(len(frame))]
        assert row_fingerprints(frame, columns) == expected, columns


def test_number_fingerprints_are_those_of_each_numbers_repr() -> None:
    numbers = np.array([0.0, -0.0, 1e20, 1.5e-7, np.inf, -np.inf, 123456789.125, 7.0, -3.25])
    assert _number_prints(numbers) == [fingerprint(repr(float(v))) for v in numbers]
