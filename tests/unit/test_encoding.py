from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from relsynth.errors import ArtifactError, TrainingError
from relsynth.modeling import ColumnSpec
from relsynth.modeling.encoding import (
    NULL_CODE,
    RARE_CODE,
    CategoricalEncoder,
    NumericEncoder,
    encoder_from_dict,
    fit_encoder,
)
from relsynth.schema.elements import TypeKind


def _fit(series: pd.Series, spec: ColumnSpec, *, max_bins: int = 64):
    return fit_encoder(series, spec, max_bins=max_bins, max_categories=1000, spike_fraction=0.01)


def _round_trip(series: pd.Series, spec: ColumnSpec, *, max_bins: int = 64, seed: int = 0):
    encoder = _fit(series, spec, max_bins=max_bins)
    return encoder, encoder.decode(encoder.encode(series), np.random.default_rng(seed))


def test_float_bimodal_with_spike_and_nulls_survives_binning():
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(10, 1, 4000), rng.lognormal(4.5, 0.8, 4000)])
    values[::10] = np.nan
    values[1::8] = 0.0  # a spike: 12.5% exact zeros
    series = pd.Series(values)
    encoder, out = _round_trip(series, ColumnSpec("x", TypeKind.FLOAT))
    assert isinstance(encoder, NumericEncoder) and encoder.n_bins > 0
    assert 0.0 in encoder.values.tolist()
    assert out.dtype == np.float64
    assert out.isna().mean() == pytest.approx(series.isna().mean(), abs=1e-9)
    assert (out == 0.0).mean() == pytest.approx((series == 0.0).mean(), abs=1e-9)
    assert ks_2samp(out.dropna(), series.dropna(), method="asymp").statistic < 0.02
    # the heavy tail keeps its shape instead of spreading uniformly over the top bin
    assert out.quantile(0.99) == pytest.approx(series.quantile(0.99), rel=0.1)
    assert out.max() <= series.max()


def test_integer_keeps_int64_dtype_integrality_and_bounds():
    rng = np.random.default_rng(2)
    series = pd.Series(rng.integers(-500, 500, 3000)).astype("Int64")
    series[5] = pd.NA
    spec = ColumnSpec("n", TypeKind.INTEGER, low=-100.5, high=250)
    _, out = _round_trip(series, spec)
    assert str(out.dtype) == "Int64"
    assert out.isna().sum() == 1
    present = out.dropna().astype(np.int64)
    assert present.min() >= -100 and present.max() <= 250
    unbounded = _round_trip(series, ColumnSpec("n", TypeKind.INTEGER))[1].dropna().astype(float)
    assert ks_2samp(unbounded, series.dropna().astype(float), method="asymp").statistic < 0.05


def test_few_distinct_values_round_trip_exactly():
    series = pd.Series([1, 5, 5, 7, None, 1000] * 20, dtype="Int64")
    encoder, out = _round_trip(series, ColumnSpec("n", TypeKind.INTEGER))
    assert encoder.n_bins == 0
    pd.testing.assert_series_equal(out, series.rename("n"))


def test_decimal_keeps_scale_and_spike_values():
    rng = np.random.default_rng(3)
    prices = [Decimal(f"{v:.2f}") for v in rng.uniform(1, 200, 2000)]
    prices += [Decimal("9.99")] * 400 + [None] * 50
    series = pd.Series(prices, dtype=object)
    _, out = _round_trip(series, ColumnSpec("price", TypeKind.DECIMAL, scale=2))
    present = out.dropna()
    assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in present)
    assert out.isna().sum() == 50
    assert (out == Decimal("9.99")).sum() == 400
    floats = present.astype(float)
    assert floats.min() >= 1 and floats.max() <= 200


def test_dates_are_date_objects_and_survive_year_9999():
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=7 * k) for k in range(40)]
    series = pd.Series(3 * (days + [dt.date(9999, 12, 31)]) + [None], dtype=object)
    _, out = _round_trip(series, ColumnSpec("d", TypeKind.DATE))
    assert out.tolist() == series.tolist()  # few distinct values, each seen 3 times: exact


def test_values_seen_fewer_than_three_times_are_never_stored_exactly():
    birth_dates = pd.Series([dt.date(1950 + 3 * k, 1 + k % 12, 1 + k) for k in range(8)], dtype=object)
    encoder, out = _round_trip(birth_dates, ColumnSpec("d", TypeKind.DATE))
    assert encoder.values.size == 0  # binned, no exact codes
    assert min(out) >= birth_dates.min() and max(out) <= birth_dates.max()
    wide = pd.Series([dt.date(1990, 1, 1) + dt.timedelta(days=k) for k in range(5000)])
    _, out = _round_trip(wide, ColumnSpec("d", TypeKind.DATE))
    assert all(type(v) is dt.date for v in out)
    assert min(out) >= dt.date(1990, 1, 1) and max(out) <= wide.max()


def test_timestamptz_decodes_to_utc_and_keeps_whole_seconds():
    rng = np.random.default_rng(4)
    offsets = pd.to_timedelta(rng.integers(0, 86_400 * 365, 3000), unit="s")
    start = pd.Timestamp("2021-01-01", tz="Europe/Berlin")
    local = (start + offsets).to_series().reset_index(drop=True)
    local[3] = pd.NaT
    encoder, out = _round_trip(local, ColumnSpec("t", TypeKind.TIMESTAMP, timezone=True))
    assert str(out.dtype) == "datetime64[us, UTC]"
    assert encoder.step == 1_000_000
    assert out.isna().sum() == 1
    assert (out.dropna().dt.microsecond == 0).all()
    assert out.min() >= local.min() and out.max() <= local.max()
    # mixed zones arrive as an object column of aware datetimes (as drivers return them)
    berlin = dt.datetime(2020, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    utc = pd.Timestamp("2020-03-02", tz="UTC")
    _, back = _round_trip(
        pd.Series([berlin, utc] * 3, dtype=object), ColumnSpec("t", TypeKind.TIMESTAMP, timezone=True)
    )
    assert back.tolist() == [pd.Timestamp("2020-03-01 11:00", tz="UTC"), utc] * 3


def test_naive_timestamp_time_and_interval_types():
    stamps = pd.Series(pd.date_range("2020-01-01", periods=100, freq="h"))
    _, out = _round_trip(stamps, ColumnSpec("t", TypeKind.TIMESTAMP))
    assert str(out.dtype) == "datetime64[us]"
    times = pd.Series([dt.time(h, m) for h in range(24) for m in range(0, 60, 5)] + [None])
    _, out = _round_trip(times, ColumnSpec("tm", TypeKind.TIME))
    assert all(isinstance(v, dt.time) for v in out.dropna()) and out.isna().sum() == 1
    assert all(v.second == 0 and v.microsecond == 0 for v in out.dropna())  # whole minutes
    intervals = pd.Series([dt.timedelta(days=d, hours=2) for d in range(100)] + [None])
    _, out = _round_trip(intervals, ColumnSpec("iv", TypeKind.INTERVAL))
    assert str(out.dtype) == "timedelta64[ns]" and out.isna().sum() == 1
    assert isinstance(out.iloc[0], pd.Timedelta)


def test_categorical_null_rate_unseen_values_and_booleans():
    series = pd.Series(["a"] * 50 + ["b"] * 30 + [None] * 20)
    encoder, out = _round_trip(series, ColumnSpec("c", TypeKind.TEXT))
    assert [None if pd.isna(v) else v for v in out] == [None if pd.isna(v) else v for v in series]
    assert encoder.encode(pd.Series(["zzz"])).tolist() == [RARE_CODE]
    decoded = encoder.decode(np.array([RARE_CODE] * 100), np.random.default_rng(0))
    assert set(decoded) <= {"a", "b"}  # a rare code never reveals a value outside the kept ones
    flags = pd.Series([True, False, None, True])
    _, out = _round_trip(flags, ColumnSpec("f", TypeKind.BOOLEAN))
    assert str(out.dtype) == "boolean"
    assert out.tolist() == [True, False, pd.NA, True]


def test_a_rare_code_decodes_to_the_encoders_new_values_when_it_has_some_and_they_survive_saving():
    series = pd.Series(["CA"] * 5 + ["ON", "NT", "AB"] + [None] * 2)
    encoder = CategoricalEncoder.fit(series, ColumnSpec("state", TypeKind.TEXT), max_categories=100, min_count=3)
    encoder.novel = ["QX", "ZJ"]  # new codes (relsynth.values.codes), never real ones
    codes = encoder.encode(series)
    saved = encoder_from_dict(json.loads(json.dumps(encoder.to_dict())))
    out = saved.decode(codes, np.random.default_rng(0)).tolist()
    assert out[:5] == ["CA"] * 5 and out[8:] == [None, None]  # kept categories and NULLs as they were
    assert set(out[5:8]) <= {"QX", "ZJ"}  # each rare code a new value, not "CA"


def test_json_and_array_round_trip_to_python_objects():
    series = pd.Series([{"b": 1, "a": [1, 2]}, {"a": [1, 2], "b": 1}, [1, "x"], None])
    encoder, out = _round_trip(series, ColumnSpec("j", TypeKind.JSON))
    assert isinstance(encoder, CategoricalEncoder)
    assert encoder.n_codes == 4  # NULL, rare, and the two distinct documents
    assert out.tolist() == [{"a": [1, 2], "b": 1}, {"a": [1, 2], "b": 1}, [1, "x"], None]
    _, arrays = _round_trip(pd.Series([[1, 2], [3], None]), ColumnSpec("a", TypeKind.ARRAY))
    assert arrays.tolist() == [[1, 2], [3], None]


def test_not_nullable_column_never_allows_null_code():
    series = pd.Series(["a", None, "b"])
    encoder = _fit(series, ColumnSpec("c", TypeKind.TEXT, nullable=False))
    assert not encoder.allowed()[NULL_CODE]
    assert not encoder.allowed()[RARE_CODE]  # nothing rare was seen
    assert _fit(series, ColumnSpec("c", TypeKind.TEXT)).allowed()[NULL_CODE]


def test_state_survives_json_and_decodes_identically():
    rng = np.random.default_rng(5)
    series = pd.Series(np.round(rng.gamma(2.0, 30.0, 2000), 2))
    for spec in (ColumnSpec("x", TypeKind.DECIMAL, scale=2), ColumnSpec("x", TypeKind.FLOAT)):
        encoder = _fit(series, spec)
        clone = encoder_from_dict(json.loads(json.dumps(encoder.to_dict(), allow_nan=False)))
        codes = encoder.encode(series)
        assert np.array_equal(clone.encode(series), codes)
        first = encoder.decode(codes, np.random.default_rng(9))
        pd.testing.assert_series_equal(clone.decode(codes, np.random.default_rng(9)), first)
    with pytest.raises(ArtifactError):
        encoder_from_dict({"type": "mystery"})


def test_wrong_kind_and_unsupported_kind_raise_training_error():
    with pytest.raises(TrainingError, match="declared integer"):
        _fit(pd.Series(["x", "y"]), ColumnSpec("n", TypeKind.INTEGER))
    with pytest.raises(TrainingError, match="uuid"):
        _fit(pd.Series(["x"]), ColumnSpec("u", TypeKind.UUID))


def test_a_value_seen_once_or_twice_is_no_likelier_than_its_neighbours() -> None:
    # Ten rows: the smallest date and a date seen twice used to decode as atoms (about half of
    # their bins' draws), copying those real values; a date seen three times may stay exact.
    days = [(2011, 6, 17), (2011, 10, 27), (2015, 3, 15), (2016, 7, 24), (2016, 12, 31), (2016, 12, 31),
            (2017, 12, 19), (2017, 12, 31), (2017, 12, 31), (2017, 12, 31)]
    values = pd.Series([dt.date(*d) for d in days])
    encoder = NumericEncoder.fit(values, ColumnSpec("end_date", TypeKind.DATE), max_bins=64, spike_fraction=0.01)
    rng = np.random.default_rng(0)
    for code in range(1, encoder.n_codes):
        decoded = encoder.decode(np.full(2_000, code), rng)
        top = decoded.value_counts().iloc[0] / len(decoded)
        if decoded.iloc[0] == dt.date(2017, 12, 31):
            assert top == 1.0  # the spike, seen three times
        else:
            assert top < 0.05, (code, decoded.value_counts().head(3))


def test_a_mid_size_columns_decoded_values_do_not_crowd_around_its_training_values():
    """One inverse-CDF step per training row puts each step's mass between two neighbouring
    training values: a one-column membership attack then found the training rows (advantage
    0.23-0.31 over five seeds); with a step per 10 rows it scores 0.06-0.14."""
    from relsynth.modeling.encoding import NumericEncoder
    from relsynth.reporting.membership import strongest_attack

    rng = np.random.default_rng(0)
    members, others = (pd.Series(rng.lognormal(10, 0.6, 500).round()) for _ in range(2))
    encoder = NumericEncoder.fit(members, ColumnSpec("amount", TypeKind.INTEGER), max_bins=64, spike_fraction=0.01)
    assert encoder.fine.size <= 500 // 10 + 1
    synthetic = encoder.decode(encoder.encode(members), np.random.default_rng(100)).to_numpy(float)
    attack = strongest_attack(members.to_numpy(float)[:, None], others.to_numpy(float)[:, None], synthetic[:, None], seed=0)
    assert attack.advantage < 0.15


def test_a_bounded_integer_column_of_ones_decodes_to_ones() -> None:
    # 1 is within float noise of 0 x 10^6: the step must not be inferred as a million
    spec = ColumnSpec("quantity", TypeKind.INTEGER, low=1)
    encoder = NumericEncoder.fit(pd.Series([1] * 10), spec, max_bins=64, spike_fraction=0.01)
    assert encoder.decode(encoder.encode(pd.Series([1, 1])), np.random.default_rng(0)).tolist() == [1, 1]


def test_per_distinct_converts_like_row_by_row() -> None:
    """Equal values converted once; zeros of either sign and NULL-likes one by one."""
    from relsynth.modeling.encoding.base import per_distinct

    values = pd.Series([Decimal("0.00"), Decimal("-0.00"), 1.5, None, float("nan"), Decimal("NaN"), "a", 1.5, "a"], dtype=object)
    expected = [repr(v) for v in values.tolist()]
    assert per_distinct(values, repr, alike=lambda v: v != 0).tolist() == expected


def test_decimal_columns_read_as_to_numeric_reads_them() -> None:
    from relsynth.modeling.encoding.quantities import decimals_as_floats

    shared = Decimal("7.25")  # a decoded column shares one object per value: each is read once
    values = pd.Series([Decimal("1.10"), None, Decimal("-0.00"), 2.5, Decimal("12345678901234567890.123"), shared, None,
                        Decimal("1.10"), shared, 2.5], dtype=object)
    fast = decimals_as_floats(values)
    slow = pd.to_numeric(values).to_numpy(dtype=np.float64, na_value=np.nan)
    assert fast is not None and fast.tobytes() == slow.tobytes()
    assert decimals_as_floats(pd.Series(["1"], dtype=object)) is None
