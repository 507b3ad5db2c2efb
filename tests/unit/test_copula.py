"""BinCopula: the within-bin correlation of numeric columns, fitted on rows and drawn as uniforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kstest

from relsynth.modeling.copula import MIN_PAIRED_ROWS, BinCopula
from relsynth.modeling.encoding import ColumnSpec, NumericEncoder, fit_encoder
from relsynth.schema.elements import TypeKind


def _encoders(frame: pd.DataFrame, kinds: dict[str, TypeKind], *, max_bins: int = 8):
    return [
        fit_encoder(frame[name], ColumnSpec(name, kind), max_bins=max_bins, max_categories=100, spike_fraction=0.5)
        for name, kind in kinds.items()
    ]


def _salaries(rows: int, *, seed: int = 0, sign: float = 1.0) -> pd.DataFrame:
    """Two float columns that move together far more tightly than 8 bins can say."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(2_000, 20_000, rows)
    return pd.DataFrame({"low": low, "high": sign * low * 2 + rng.normal(0, 20, rows)})


def _decoded(encoders, frame: pd.DataFrame, copula: BinCopula | None, *, seed: int) -> pd.DataFrame:
    """The rows' own codes decoded again: bins kept, positions within the bins drawn anew."""
    rng = np.random.default_rng(seed)
    placed = copula.uniforms(len(frame), rng) if copula is not None else {}
    out = {}
    for i, encoder in enumerate(encoders):
        codes = encoder.encode(frame[encoder.spec.name])
        out[encoder.spec.name] = (
            encoder.decode(codes, rng, placed[i]) if i in placed else encoder.decode(codes, rng)
        ).to_numpy(dtype=float, na_value=np.nan)
    return pd.DataFrame(out)


def _unexplained(frame: pd.DataFrame) -> float:
    return 1.0 - abs(frame["low"].corr(frame["high"]))


def test_correlated_columns_stay_correlated_within_their_bins() -> None:
    frame = _salaries(2_000)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    assert all(e.n_bins > 0 for e in encoders)
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None and copula.columns == (0, 1)
    assert copula.correlation[0][1] > 0.8
    with_copula = _decoded(encoders, frame, copula, seed=1)
    independent = _decoded(encoders, frame, None, seed=1)
    assert with_copula["low"].corr(with_copula["high"]) == pytest.approx(frame["low"].corr(frame["high"]), abs=0.005)
    # what makes the copula worth having: independent draws within the bins lose much more
    assert _unexplained(with_copula) < _unexplained(independent) / 3


def test_a_negative_correlation_keeps_its_sign() -> None:
    frame = _salaries(2_000, sign=-1.0)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None and copula.correlation[0][1] < -0.8
    decoded = _decoded(encoders, frame, copula, seed=2)
    assert decoded["low"].corr(decoded["high"]) == pytest.approx(frame["low"].corr(frame["high"]), abs=0.005)
    assert _unexplained(decoded) < _unexplained(_decoded(encoders, frame, None, seed=2)) / 3


def test_correlated_draws_stay_in_their_bins_and_keep_each_marginal() -> None:
    frame = _salaries(3_000, seed=3)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None
    uniforms = copula.uniforms(20_000, np.random.default_rng(4))
    for column in copula.columns:  # each uniform on its own is uniform: the bins' marginals hold
        assert kstest(uniforms[column], "uniform").pvalue > 0.01
    decoded = _decoded(encoders, frame, copula, seed=5)
    for encoder in encoders:
        name = encoder.spec.name
        # every value decodes inside the bin its row was in
        assert np.array_equal(encoder.encode(decoded[name]), encoder.encode(frame[name]))
        assert kstest(decoded[name], frame[name]).statistic < 0.03


def test_the_same_seed_draws_the_same_uniforms_also_after_a_round_trip() -> None:
    frame = _salaries(1_000, seed=6)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None
    first = copula.uniforms(500, np.random.default_rng(7))
    again = BinCopula.from_dict(copula.to_dict()).uniforms(500, np.random.default_rng(7))
    other = copula.uniforms(500, np.random.default_rng(8))
    assert BinCopula.from_dict(copula.to_dict()) == copula
    for column in copula.columns:
        assert np.array_equal(first[column], again[column])
        assert not np.array_equal(first[column], other[column])
    assert BinCopula.fit(encoders, frame) == copula  # fitting is deterministic too


def test_independent_columns_need_no_copula() -> None:
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"a": rng.normal(0, 1, 5_000), "b": rng.normal(0, 1, 5_000)})
    assert BinCopula.fit(_encoders(frame, {"a": TypeKind.FLOAT, "b": TypeKind.FLOAT}), frame) is None


def test_a_constant_column_is_left_out() -> None:
    frame = _salaries(1_000, seed=10).assign(flat=7.0)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "flat": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    assert encoders[1].n_bins == 0  # one value: an exact code, nothing to place within a bin
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None and copula.columns == (0, 2)
    decoded = _decoded(encoders, frame, copula, seed=11)
    assert (decoded["flat"] == 7.0).all()
    # with the constant column the only other numeric one, there is nothing to correlate
    assert BinCopula.fit(encoders[:2], frame) is None


def test_only_binned_numeric_columns_take_part() -> None:
    frame = _salaries(1_000, seed=12)
    frame["grade"] = np.where(frame["low"] > 10_000, "senior", "junior")
    frame["year"] = np.arange(len(frame)) % 5 + 2020  # five values: exact codes, no bins
    encoders = _encoders(
        frame, {"grade": TypeKind.TEXT, "low": TypeKind.FLOAT, "year": TypeKind.INTEGER, "high": TypeKind.FLOAT}
    )
    assert not isinstance(encoders[0], NumericEncoder) and encoders[2].n_bins == 0
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None and copula.columns == (1, 3)  # indices into the encoders given


@pytest.mark.parametrize("rows", [0, 1, MIN_PAIRED_ROWS - 1])
def test_too_few_rows_give_no_copula(rows: int) -> None:
    frame = _salaries(200, seed=13)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    assert BinCopula.fit(encoders, frame.iloc[:rows]) is None


def test_nulls_are_left_out_of_the_correlation_and_decode_as_nulls() -> None:
    frame = _salaries(2_000, seed=14)
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT})
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None
    rng = np.random.default_rng(15)
    extra = pd.DataFrame({"low": rng.uniform(2_000, 20_000, 1_000), "high": np.nan})  # no partner: no pair
    with_nulls = pd.concat([frame, extra], ignore_index=True)
    again = BinCopula.fit(encoders, with_nulls)
    assert again is not None
    assert np.allclose(again.correlation, copula.correlation, atol=1e-9)
    decoded = _decoded(encoders, with_nulls, again, seed=16)
    assert decoded["high"].isna().equals(with_nulls["high"].isna())
    assert decoded["low"].notna().all()


def test_inconsistent_pairwise_correlations_still_give_a_drawable_matrix() -> None:
    # Each pair seen on other rows (NULLs elsewhere): low ~ high, low ~ third, yet high ~ -third,
    # which no correlation matrix allows. One bin per column: positions are the columns' ranks.
    rng = np.random.default_rng(17)
    u, v, w = (rng.uniform(0, 1, 500) for _ in range(3))
    nothing = np.full(500, np.nan)
    frame = pd.DataFrame({
        "low": np.concatenate([u, v, nothing]),
        "high": np.concatenate([u + rng.normal(0, 0.01, 500), nothing, w]),
        "third": np.concatenate([nothing, v + rng.normal(0, 0.01, 500), 1 - w]),
    })
    encoders = _encoders(frame, {"low": TypeKind.FLOAT, "high": TypeKind.FLOAT, "third": TypeKind.FLOAT}, max_bins=1)
    assert all(e.n_bins == 1 for e in encoders)
    copula = BinCopula.fit(encoders, frame)
    assert copula is not None
    correlation = np.asarray(copula.correlation)
    assert np.allclose(correlation, correlation.T) and np.allclose(np.diag(correlation), 1.0)
    assert np.all(np.linalg.eigvalsh(correlation) > 0)
    assert correlation[0][1] > 0 and correlation[0][2] > 0 and correlation[1][2] < 0  # the signs survive
    uniforms = copula.uniforms(5_000, np.random.default_rng(18))
    assert all(np.all((u > 0) & (u < 1)) for u in uniforms.values())
    drawn = pd.DataFrame(uniforms)
    assert drawn[0].corr(drawn[1]) > 0.3 and drawn[1].corr(drawn[2]) < -0.3
