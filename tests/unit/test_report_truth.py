"""The report's pure parts that keep it honest: one value form per type, expected row counts,
default limits, and chart titles that fit their charts."""

from __future__ import annotations

import datetime as dt
import decimal
import re

import pandas as pd
import pytest

from relsynth.reporting import svg
from relsynth.reporting.completeness import assess, within_tolerance
from relsynth.reporting.glossary import GLOSSARY
from relsynth.reporting.normalise import normalise_column
from relsynth.reporting.thresholds import DEFAULT_FAIL_OVER, KNOWN
from relsynth.schema.elements import QualifiedName, TypeKind

A, B, C = QualifiedName(None, "a"), QualifiedName(None, "b"), QualifiedName(None, "c")


@pytest.mark.parametrize(
    ("kind", "one_engine", "another"),
    [
        (TypeKind.BOOLEAN, [True, False, None], [1, 0, None]),
        (TypeKind.BOOLEAN, [True, False], ["t", "f"]),
        (TypeKind.DECIMAL, [decimal.Decimal("12.50"), None], [12.5, None]),
        (TypeKind.DATE, [dt.date(2021, 3, 4), None], ["2021-03-04", None]),
        (TypeKind.TIMESTAMP, [dt.datetime(2021, 3, 4, 5, 6, 7)], ["2021-03-04 05:06:07.000000"]),
        (TypeKind.TIMESTAMP, [dt.datetime(2021, 3, 4, 5, 6, 7, tzinfo=dt.UTC)], ["2021-03-04 05:06:07+00:00"]),
        (TypeKind.JSON, [{"b": 1, "a": [1, 2]}], ['{"a": [1, 2], "b": 1}']),
    ],
)
def test_values_of_one_kind_read_alike_from_every_engine(kind, one_engine, another):
    left = normalise_column(pd.Series(one_engine, dtype=object), kind)
    right = normalise_column(pd.Series(another, dtype=object), kind)
    assert left.astype(object).where(left.notna(), None).tolist() == right.astype(object).where(right.notna(), None).tolist()


def test_an_empty_or_partial_clone_is_not_complete():
    source = {A: 100, B: 400, C: 10}
    empty = assess(source, {}, scale=1.0)
    assert empty.count("missing") == 3 and empty.row_count_difference == 1.0
    partial = assess(source, {A: 20, B: 0}, scale=0.2)
    assert [t.status for t in partial.tables] == ["ok", "empty", "missing"]
    assert partial.row_count_difference == pytest.approx((80 + 2) / (20 + 80 + 2))


def test_scale_is_inferred_when_not_given_and_copied_tables_keep_their_size():
    counts = assess({A: 1000, B: 5000, C: 12}, {A: 210, B: 990, C: 12})
    assert counts.basis == "inferred" and counts.scale == pytest.approx(0.21)  # the median ratio
    assert all(t.status == "ok" for t in counts.tables)  # c: at the source's size, copied reference data
    synthesized = assess({A: 1000, B: 5000, C: 12}, {A: 210, B: 990, C: 12}, scale=0.2, modes={C: "synthesize"})
    assert [t.status for t in synthesized.tables] == ["ok", "ok", "off_scale"]  # the run says c is no copy: 12 vs 2.4
    noisy = assess({C: 12}, {C: 5}, scale=0.2, modes={C: "synthesize"})
    assert noisy.tables[0].status == "ok"  # 5 rows vs 2.4 expected: within a small count's noise
    off = assess({A: 1000, B: 5000}, {A: 1000, B: 400}, scale=0.2, modes={A: "synthesize", B: "synthesize"})
    assert [t.status for t in off.tables] == ["off_scale", "off_scale"]
    excluded = assess({A: 10, B: 10}, {A: 10}, scale=1.0, modes={B: "exclude"})
    assert excluded.count("missing") == 0 and excluded.row_count_difference == 0.0


def test_tolerance_grows_with_the_count_but_not_without_bound():
    assert within_tolerance(3, 1.0) and within_tolerance(0, 2.0)
    assert within_tolerance(1200, 1000) and not within_tolerance(1300, 1000)
    assert not within_tolerance(500, 1000)


def test_every_figure_has_a_glossary_entry_and_privacy_has_default_limits():
    assert set(GLOSSARY) == set(KNOWN)
    assert {"mia_advantage", "exact_match_excess", "verbatim_identifiers", "missing_tables", "empty_tables"} <= set(
        DEFAULT_FAIL_OVER
    )


@pytest.mark.parametrize("column", ["x", "a_rather_long_column_name_for_a_measurement_in_centimetres"])
def test_chart_titles_fit_their_chart(column):
    title = f"{column} (KSComplement 0.953)"
    chart = svg.bars(["0", "1"], [0.5, 0.5], [0.4, 0.6], title=title)
    width = int(re.search(r'width="(\d+)"', chart).group(1))
    assert width >= len(title) * svg.TITLE_CHAR_WIDTH
    heat = svg.heatmap(["a", "b"], {("a", "b"): 0.5}, title="synthetic association")
    assert int(re.search(r'width="(\d+)"', heat).group(1)) >= len("synthetic association") * svg.TITLE_CHAR_WIDTH
