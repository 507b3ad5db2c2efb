"""Generation: how many rows, under which parents, and what every generated row must hold.

The calibration helpers are tested on their contract (a total pinned to a target, the learned
shape kept); ``generate`` is tested on a run trained once on a small demo shop in SQLite (a
self-referencing org chart, UNIQUE emails and names, a composite primary key made of two
foreign keys), with few epochs so that training takes seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.errors import GenerationError
from relsynth.generation import SyntheticDatabase, generate
from relsynth.modeling import ModelConfig
from relsynth.pipeline import train
from relsynth.row_counts import calibrated as _calibrated
from relsynth.row_counts import scaled as _scaled
from relsynth.runs import Run

TINY = RelsynthConfig(model=ModelConfig(epochs=3), holdout_fraction=0.0)

counts_lists = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=40)


# -- children per parent ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(counts=counts_lists, target=st.integers(min_value=0, max_value=400), seed=st.integers(0, 2**16))
def test_calibrated_counts_total_the_target_and_never_go_negative(counts: list[int], target: int, seed: int) -> None:
    learned = np.array(counts, dtype=np.int64)
    result = _calibrated(learned, target, np.random.default_rng(seed), unique=False)
    assert result.shape == learned.shape
    assert (result >= 0).all()
    assert result.sum() == target  # also when no parent learned a child: spread over all of them


@settings(max_examples=60, deadline=None)
@given(counts=counts_lists, extra=st.integers(min_value=1, max_value=300), seed=st.integers(0, 2**16))
def test_added_children_go_only_to_parents_that_have_some(counts: list[int], extra: int, seed: int) -> None:
    learned = np.array(counts, dtype=np.int64)
    if learned.sum() == 0:
        learned[0] = 1
    result = _calibrated(learned, int(learned.sum()) + extra, np.random.default_rng(seed), unique=False)
    assert (result >= learned).all()
    assert (result[learned == 0] == 0).all(), "a parent learned childless got children"


@settings(max_examples=60, deadline=None)
@given(counts=counts_lists, seed=st.integers(0, 2**16), data=st.data())
def test_removed_children_leave_every_parent_that_had_one_with_one(counts: list[int], seed: int, data) -> None:
    learned = np.array(counts, dtype=np.int64)
    parents_with_children = int((learned > 0).sum())
    assume(learned.sum() > parents_with_children)  # some parent has more than one child to remove
    target = data.draw(st.integers(min_value=parents_with_children, max_value=int(learned.sum()) - 1))
    result = _calibrated(learned, target, np.random.default_rng(seed), unique=False)
    assert result.sum() == target
    assert (result <= learned).all()
    assert (result[learned > 0] >= 1).all(), "a parent lost its only child while others had several"


def test_unique_children_are_at_most_one_per_parent_and_favour_parents_that_had_one() -> None:
    learned = np.array([0] * 50 + [1] * 50)
    result = _calibrated(learned, 30, np.random.default_rng(0), unique=True)
    assert set(np.unique(result)) <= {0, 1}
    assert result.sum() == 30
    assert result[50:].sum() == 30, "children went to parents learned without one"
    assert _calibrated(np.ones(5, dtype=np.int64), 9, np.random.default_rng(0), unique=True).sum() == 5


def test_calibration_keeps_the_skew_of_the_learned_counts() -> None:
    learned = np.array([1000, 10, 10, 10, 0, 0])  # one language with nearly every film
    result = _calibrated(learned, 515, np.random.default_rng(1), unique=False)
    assert result.sum() == 515
    assert result[0] > 0.9 * result.sum()
    assert result[4:].sum() == 0


def test_calibration_is_deterministic_for_a_seed() -> None:
    learned = np.random.default_rng(0).poisson(3, 200)
    first = _calibrated(learned, 700, np.random.default_rng(5), unique=False)
    assert (first == _calibrated(learned, 700, np.random.default_rng(5), unique=False)).all()


# -- rows per table -----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "scale"), [(10, 0.25), (7, 1.5), (3, 0.01), (1000, 0.333)])
def test_scaled_rounds_stochastically_around_count_times_scale(count: int, scale: float) -> None:
    rng = np.random.default_rng(0)
    exact = count * scale
    draws = np.array([_scaled(count, scale, rng) for _ in range(4000)])
    assert set(np.unique(draws)) <= {int(np.floor(exact)), int(np.ceil(exact))}
    assert draws.mean() == pytest.approx(exact, abs=0.05)  # expected size kept, even for tiny tables


def test_scaled_keeps_empty_tables_empty_and_roots_non_empty() -> None:
    rng = np.random.default_rng(0)
    assert _scaled(0, 5.0, rng) == 0
    assert _scaled(0, 5.0, rng, at_least_one=True) == 0
    assert all(_scaled(3, 0.01, rng, at_least_one=True) == 1 for _ in range(50))


# -- generate on a trained run ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, dict[str, int]]:
    source = build_demo_database(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=40, seed=1)
    run = train(source, config=TINY)
    return run, {str(name): artifact.source_rows for name, artifact in run.tables.items()}


@pytest.fixture(scope="module")
def generated(shop_run) -> dict[int, SyntheticDatabase]:
    """Clones at scale 1.5 by seed, shared by the tests that only read them."""
    run, _ = shop_run
    return {seed: generate(run, scale=1.5, seed=seed) for seed in (0, 1)}


def _by_name(data: SyntheticDatabase) -> dict[str, pd.DataFrame]:
    return {str(name): frame for name, frame in data.tables.items()}


def test_same_seed_same_database_other_seed_another(shop_run, generated) -> None:
    run, _ = shop_run
    first, again, other = _by_name(generated[0]), _by_name(generate(run, scale=1.5, seed=0)), _by_name(generated[1])
    assert list(first) == list(again)
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert any(not first[name].equals(other[name]) for name in first if len(first[name]) > 1)


def test_scale_sets_the_rows_of_every_table(shop_run) -> None:
    run, source_rows = shop_run
    for scale in (0.5, 2.0):
        rows = generate(run, scale=scale, seed=0).row_counts
        assert set(rows) == set(source_rows)
        for name, count in source_rows.items():
            if count >= 50:  # small tables round; dropped rows (keys, CHECKs) are few
                assert rows[name] == pytest.approx(count * scale, rel=0.15), (name, scale)


def test_scale_out_of_range_is_refused(shop_run) -> None:
    run, _ = shop_run
    with pytest.raises(GenerationError, match="out of range"):
        generate(run, scale=0.001)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_foreign_key_points_at_a_generated_parent(shop_run, generated, seed: int) -> None:
    run, _ = shop_run
    tables = generated[seed].tables
    checked = 0
    for fk in run.schema.foreign_keys:
        child = tables[fk.table][list(fk.constrained_columns)].dropna()
        parents = tables[fk.referred_table][list(fk.referred_columns)]
        parent_keys = set(parents.itertuples(index=False, name=None))
        orphans = [key for key in child.itertuples(index=False, name=None) if key not in parent_keys]
        assert not orphans, f"{fk.label}: {len(orphans)} rows point at no generated parent, e.g. {orphans[:3]}"
        checked += len(child)
    assert checked > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_primary_and_unique_keys_hold_in_generated_rows(shop_run, generated, seed: int) -> None:
    run, _ = shop_run
    tables = generated[seed].tables
    keys_checked = 0
    for table in run.schema.tables:
        keys = [c.columns for c in table.unique_constraints]
        keys += [table.primary_key.constrained_columns] if table.primary_key else []
        keys += [tuple(i.expressions) for i in table.indexes if i.unique and set(i.expressions) <= set(table.column_names)]
        frame = tables[table.name]
        for columns in keys:
            values = frame[list(columns)].dropna()
            assert not values.duplicated().any(), f"{table.name}: key {columns} repeats"
            keys_checked += 1
    assert keys_checked >= 6  # every table's primary key, customer.email, category.name
