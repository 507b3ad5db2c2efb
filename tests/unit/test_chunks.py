"""Generation in chunks: where a table is cut, what each chunk takes of its parents' degrees, and
what a clone made a few hundred rows at a time must still hold (keys, foreign keys, rules, seeds)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from relsynth.assignment import NO_PARENT, DealtDegrees, _quotas
from relsynth.chunks import chunk_spans, whole_table_reason
from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.generation import generate, generate_stream
from relsynth.modeling import ModelConfig
from relsynth.pipeline import generate as generate_rows
from relsynth.pipeline import load, train
from relsynth.runs import Run

TINY = RelsynthConfig(model=ModelConfig(epochs=3), holdout_fraction=0.0)


@settings(max_examples=80, deadline=None)
@given(
    counts=st.lists(st.integers(0, 12), min_size=0, max_size=60),
    orphans=st.integers(0, 30),
    chunk_rows=st.integers(1, 40),
)
def test_chunks_cover_the_rows_in_order_and_never_split_a_parent(counts: list[int], orphans: int, chunk_rows: int) -> None:
    parent_index = np.concatenate([np.repeat(np.arange(len(counts)), counts), np.full(orphans, NO_PARENT)]).astype(np.int64)
    spans = chunk_spans(parent_index, chunk_rows)
    assert spans[0][0] == 0 and spans[-1][1] == len(parent_index)
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))
    for start, _stop in spans[1:]:
        assert parent_index[start] == NO_PARENT or parent_index[start] != parent_index[start - 1]
    longest_family = max(counts, default=0)
    assert all(stop - start < chunk_rows + max(longest_family, 1) for start, stop in spans)


def test_a_table_that_fits_is_one_chunk() -> None:
    assert chunk_spans(np.zeros(5, dtype=np.int64), 5) == [(0, 5)]
    assert chunk_spans(np.zeros(0, dtype=np.int64), 5) == [(0, 0)]


@settings(max_examples=50, deadline=None)
@given(
    degrees=st.lists(st.integers(0, 9), min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 60), min_size=1, max_size=8),
    seed=st.integers(0, 2**16),
)
def test_chunks_share_out_the_degrees_one_table_would_deal(degrees: list[int], cuts: list[int], seed: int) -> None:
    learned = np.array(degrees, dtype=np.int64)
    total = sum(cuts)
    deal = DealtDegrees(learned, total, np.random.default_rng(seed))
    taken = [deal.take(rows) for rows in cuts]
    assert [int(t.sum()) for t in taken] == cuts  # each chunk gets one slot per planned row
    whole = _quotas(learned, total, np.random.default_rng(seed))
    assert (np.sum(taken, axis=0) == whole).all()  # together: the shares of one piece
    if learned.sum() > 0:
        assert np.sum(taken, axis=0)[learned == 0].sum() == 0


def test_dealt_degrees_are_a_random_split_not_the_first_parents_first() -> None:
    deal = DealtDegrees(np.full(1000, 4), 4000, np.random.default_rng(0))
    first = deal.take(400)
    assert (first > 0).sum() > 300  # a tenth of the slots, from most parents (in order: from 100)


# -- clones made in chunks ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    source = build_demo_database(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=80, seed=2)
    return train(source, config=TINY)


def _chunked(run: Run, chunk_rows: int) -> Run:
    return replace(run, config=replace(run.config, chunk_rows=chunk_rows))


def test_which_tables_are_made_whole_and_why(shop_run: Run) -> None:
    reasons = {
        str(tp.table): whole_table_reason(
            shop_run.schema.table(tp.table), tp, shop_run.tables[tp.table], waiting=False, rules_need_all=False
        )
        for tp in shop_run.plan.tables
    }
    assert "email" in reasons["customer"]  # UNIQUE (email): unique over all rows, not per chunk
    assert reasons["order_line"] is None  # its key (order_id, product_id) includes its parent's key
    assert reasons["order"] is None


def test_a_chunked_table_streams_in_several_batches(shop_run: Run) -> None:
    _, stream = generate_stream(_chunked(shop_run, 100), seed=0)
    batches: dict[str, int] = {}
    for name, _rows in stream:
        batches[str(name)] = batches.get(str(name), 0) + 1
    assert batches["order_line"] > 2 and batches["order"] > 1
    assert batches["customer"] == 1  # made whole (UNIQUE email)


def test_a_parent_walked_by_its_children_is_never_held_whole(shop_run: Run) -> None:
    generator, stream = generate_stream(_chunked(shop_run, 100), seed=0)
    order = next(tp.table for tp in shop_run.plan.tables if tp.table.name == "order")
    assert [tp.table.name for tp in generator.walks.children[order]] == ["order_line"]
    held, lines = [], 0
    for name, rows in stream:
        lines += len(rows) if name.name == "order_line" else 0
        held += [len(generator.made[order].rows)] if order in generator.made else []
    assert lines > 300 and 0 < max(held) < 200  # a chunk of orders at a time, never all of them


@pytest.mark.parametrize("seed", [0, 3])
def test_a_clone_made_in_chunks_keeps_every_key_and_foreign_key(shop_run: Run, seed: int) -> None:
    run = _chunked(shop_run, 100)
    tables = generate(run, seed=seed).tables
    for fk in run.schema.foreign_keys:
        child = tables[fk.table][list(fk.constrained_columns)].dropna()
        parents = set(tables[fk.referred_table][list(fk.referred_columns)].itertuples(index=False, name=None))
        orphans = [key for key in child.itertuples(index=False, name=None) if key not in parents]
        assert not orphans, f"{fk.label}: {len(orphans)} orphans, e.g. {orphans[:3]}"
    for table in run.schema.tables:
        for key in table.unique_keys(with_indexes=False):
            assert not tables[table.name][list(key)].dropna().duplicated().any(), f"{table.name} repeats {key}"
    whole = generate(shop_run, seed=seed).row_counts
    chunked = {str(name): len(frame) for name, frame in tables.items()}
    assert chunked == pytest.approx(whole, rel=0.05)  # the same plan of rows, cut differently


def test_chunks_are_seeded_by_position_not_by_timing(shop_run: Run) -> None:
    run = _chunked(shop_run, 100)
    first, again = generate(run, seed=5).tables, generate(run, seed=5).tables
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    whole = generate(shop_run, seed=5).tables
    lines = next(name for name in whole if name.name == "order_line")
    assert not first[lines].equals(whole[lines])  # the cut is part of the clone: chunks draw their own


def test_a_table_loaded_in_batches_counts_every_row(shop_run: Run, tmp_path: Path) -> None:
    run = _chunked(shop_run, 100)
    target = f"sqlite:///{tmp_path / 'clone.sqlite'}"
    loaded = load(generate_rows(run, seed=1), target)  # a stream: order_line comes in several batches
    engine = sa.create_engine(target)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql('SELECT COUNT(*) FROM "order_line"').scalar()
    engine.dispose()
    made = generate(run, seed=1).row_counts["order_line"]
    assert loaded.rows["order_line"] == stored == made
