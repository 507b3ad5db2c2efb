from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures import require_module
from scipy.stats import ks_2samp

from relsynth.errors import ArtifactError, GenerationError
from relsynth.modeling import ColumnSpec, ModelConfig, TableModel
from relsynth.modeling.network import TabularNetwork, _stratified_uniforms
from relsynth.modeling.training import _encode
from relsynth.schema.elements import TypeKind

FAST = ModelConfig(max_training_work=3000)
ROWS = 3000

SPECS = (
    ColumnSpec("kind", TypeKind.TEXT, nullable=False),
    ColumnSpec("amount", TypeKind.FLOAT),
    ColumnSpec("tier", TypeKind.ENUM),
    ColumnSpec("price", TypeKind.DECIMAL, scale=2),
    ColumnSpec("count", TypeKind.INTEGER),
    ColumnSpec("created", TypeKind.TIMESTAMP, timezone=True),
    ColumnSpec("birthday", TypeKind.DATE),
    ColumnSpec("active", TypeKind.BOOLEAN),
)
CONTEXT_SPECS = (
    ColumnSpec("segment", TypeKind.TEXT),
    ColumnSpec("__children__orders", TypeKind.INTEGER),
)


def _data(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A child table whose columns depend on each other and on the parent row (the context)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["retail", "wholesale"], rows, p=[0.6, 0.4])
    kind = rng.choice(["A", "B"], rows, p=[0.55, 0.45])
    amount = np.where(kind == "A", rng.normal(10, 1, rows), rng.normal(100, 8, rows))
    amount[rng.random(rows) < 0.05] = np.nan
    tier = np.where(segment == "retail", "bronze", "gold")
    flip = rng.random(rows) < 0.05
    tier[flip] = "silver"
    price = [Decimal(f"{v:.2f}") for v in rng.gamma(2, 20, rows)]
    created = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 86_400 * 300, rows), unit="s"
    )
    frame = pd.DataFrame(
        {
            "kind": kind,
            "amount": amount,
            "tier": tier,
            "price": pd.Series(price, dtype=object),
            "count": pd.Series(rng.poisson(3, rows)).astype("Int64"),
            "created": created,
            "birthday": [
                dt.date(1950, 1, 1) + dt.timedelta(days=int(d))
                for d in rng.integers(0, 20_000, rows)
            ],
            "active": rng.random(rows) < 0.7,
        }
    )
    context = pd.DataFrame({"segment": segment, "__children__orders": rng.integers(1, 5, rows)})
    return frame, context


@pytest.fixture(scope="module")
def trained() -> tuple[TableModel, pd.DataFrame, pd.DataFrame]:
    frame, context = _data(ROWS)
    model = TableModel.fit(
        frame, specs=SPECS, context=context, context_specs=CONTEXT_SPECS, config=FAST, seed=3
    )
    return model, frame, context


def test_samples_keep_dtypes_and_column_order(trained):
    model, _, context = trained
    out = model.sample(context=context.iloc[:50], seed=1)
    assert list(out.columns) == [s.name for s in SPECS]
    assert len(out) == 50 and isinstance(out.index, pd.RangeIndex)
    assert str(out["amount"].dtype) == "float64"
    assert str(out["count"].dtype) == "Int64"
    assert str(out["created"].dtype) == "datetime64[us, UTC]"
    assert str(out["active"].dtype) == "boolean"
    assert all(
        isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in out["price"].dropna()
    )
    assert all(type(v) is dt.date for v in out["birthday"].dropna())
    assert out["kind"].notna().all()


def test_learns_conditional_structure_and_marginals(trained):
    model, frame, context = trained
    out = model.sample(context=context, seed=7)
    real_means = frame.groupby("kind")["amount"].mean()
    synth_means = out.groupby("kind")["amount"].mean()
    for kind in ("A", "B"):
        assert synth_means[kind] == pytest.approx(real_means[kind], rel=0.15)
    # the parent's segment decides the child's tier
    retail = out["tier"][context["segment"] == "retail"]
    wholesale = out["tier"][context["segment"] == "wholesale"]
    assert (retail == "bronze").mean() > 0.85
    assert (wholesale == "gold").mean() > 0.85
    # bimodal marginal and NULL rate
    ks = ks_2samp(out["amount"].dropna(), frame["amount"].dropna(), method="asymp").statistic
    assert ks < 0.1
    assert out["amount"].isna().mean() == pytest.approx(frame["amount"].isna().mean(), abs=0.03)
    assert out["active"].mean() == pytest.approx(frame["active"].mean(), abs=0.05)


def test_sampling_is_deterministic_per_seed_and_chunked(trained):
    model, _, context = trained
    first = model.sample(context=context.iloc[:500], seed=11)
    pd.testing.assert_frame_equal(first, model.sample(context=context.iloc[:500], seed=11))
    other = model.sample(context=context.iloc[:500], seed=12)
    assert not first["amount"].equals(other["amount"])
    assert len(model.sample(context=context.iloc[:0], seed=1)) == 0


def test_save_load_round_trip_gives_identical_samples(trained, tmp_path: Path):
    model, _, context = trained
    model.save(tmp_path / "orders")
    loaded = TableModel.load(tmp_path / "orders")
    pd.testing.assert_frame_equal(
        loaded.sample(context=context.iloc[:300], seed=5),
        model.sample(context=context.iloc[:300], seed=5),
    )
    meta = json.loads((tmp_path / "orders" / "model.json").read_text())
    assert meta["format_version"] == 1 and meta["specs"][0]["name"] == "kind"
    torch.load(tmp_path / "orders" / "weights.pt", weights_only=True)  # a plain state_dict
    meta["format_version"] = 999
    (tmp_path / "orders" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="format version 999"):
        TableModel.load(tmp_path / "orders")
    with pytest.raises(ArtifactError, match="missing"):
        TableModel.load(tmp_path / "nowhere")


def test_training_is_deterministic_and_leaves_global_rng_alone():
    frame, _ = _data(300, seed=2)
    specs = SPECS[:5]
    before = torch.get_rng_state()
    threads = torch.get_num_threads()
    one = TableModel.fit(frame, specs=specs, config=FAST, seed=4).sample(n=200, seed=0)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.get_num_threads() == threads
    two = TableModel.fit(frame, specs=specs, config=FAST, seed=4).sample(n=200, seed=0)
    pd.testing.assert_frame_equal(one, two)


def test_zero_row_table_samples_empty_frames_with_the_columns():
    frame = pd.DataFrame({s.name: pd.Series([], dtype=object) for s in SPECS})
    model = TableModel.fit(frame, specs=SPECS, seed=0)
    out = model.sample(n=0)
    assert list(out.columns) == [s.name for s in SPECS] and len(out) == 0
    with pytest.raises(GenerationError, match="0 rows"):
        model.sample(n=3)  # "kind" is NOT NULL
    nullable = TableModel.fit(frame[["amount", "count"]], specs=SPECS[1:2] + SPECS[4:5], seed=0)
    filled = nullable.sample(n=3)
    assert filled["amount"].isna().all() and str(filled["count"].dtype) == "Int64"


def test_one_row_table_reproduces_its_only_row(tmp_path: Path):
    frame, context = _data(1)
    model = TableModel.fit(frame, specs=SPECS, context=context, context_specs=CONTEXT_SPECS, seed=0)
    out = model.sample(context=pd.concat([context] * 4, ignore_index=True), seed=0)
    assert len(out) == 4
    assert (out["kind"] == frame["kind"][0]).all()
    assert (out["birthday"] == frame["birthday"][0]).all()
    model.save(tmp_path / "one")
    pd.testing.assert_frame_equal(
        TableModel.load(tmp_path / "one").sample(context=context, seed=2),
        model.sample(context=context, seed=2),
    )


def test_not_null_column_never_sampled_null_and_context_is_required():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.choice(["a", "b", None], 400)})
    model = TableModel.fit(frame, specs=[ColumnSpec("x", TypeKind.TEXT, nullable=False)], seed=0)
    assert model.sample(n=1000, seed=0)["x"].notna().all()
    frame, context = _data(100)
    conditioned = TableModel.fit(
        frame, specs=SPECS[:2], context=context, context_specs=CONTEXT_SPECS, config=FAST
    )
    with pytest.raises(GenerationError, match="context"):
        conditioned.sample(n=5)


# torch warns because the inputs are integer codes that need no gradient; Opacus works regardless
@pytest.mark.filterwarnings("ignore:Full backward hook is firing:UserWarning")
def test_network_supports_opacus_per_sample_gradients(trained):
    opacus = require_module("opacus", "dp")
    model, _, _ = trained
    frame, context = _data(16, seed=9)
    network = model.network
    codes = torch.stack([torch.from_numpy(e.encode(frame[e.spec.name])) for e in model.encoders], 1)
    context_codes = torch.stack(
        [torch.from_numpy(e.encode(context[e.spec.name])) for e in model.context_encoders], 1
    )
    wrapped = opacus.GradSampleModule(network)
    try:
        network.train()
        logits = wrapped(context_codes, codes)
        network.column_losses(logits, codes).sum().backward()
        params = [p for p in network.parameters() if p.requires_grad]
        assert params and all(
            p.grad_sample is not None and p.grad_sample.shape[0] == 16 for p in params
        )
    finally:
        wrapped._close()
        network.zero_grad(set_to_none=True)
        for p in network.parameters():
            p.grad_sample = None
        network.eval()


def test_draws_are_uniform_and_stratified_within_and_across_parents() -> None:
    generator = torch.Generator().manual_seed(0)
    groups = torch.cat([torch.arange(4_000), torch.full((10,), 4_000)])  # 4,000 only children, one parent of 10
    draws = _stratified_uniforms(groups, generator).double()
    assert ((draws >= 0) & (draws < 1)).all()
    # across the single children: one draw per 1/4000 stratum, so the histogram is flat
    counts = torch.histc(draws[:4_000], bins=40, min=0.0, max=1.0)
    assert counts.min() >= 95 and counts.max() <= 105  # i.i.d. draws would spread about +-10
    # within the parent of 10: its draws are evenly spaced, one in each tenth of [0, 1)
    tenths = torch.sort(torch.floor(draws[4_000:] * 10)).values
    assert torch.equal(tenths, torch.arange(10, dtype=torch.float64))
    # and each draw is uniform on its own: the mean over many seeds of one row's draw is 1/2
    means = torch.stack([_stratified_uniforms(groups, torch.Generator().manual_seed(s)).double()[4_005] for s in range(400)])
    assert abs(float(means.mean()) - 0.5) < 0.05


def test_correlated_numbers_stay_correlated_inside_their_bins() -> None:
    # 60 rows get about 8 bins per column; independent draws inside the bins would leave a job's
    # maximum salary only loosely tied to its minimum.
    rng = np.random.default_rng(3)
    low = rng.uniform(2_000, 20_000, 60).round()
    frame = pd.DataFrame({"min_salary": low, "max_salary": (low * 2 + rng.normal(0, 300, 60)).round()})
    specs = (ColumnSpec("min_salary", TypeKind.INTEGER), ColumnSpec("max_salary", TypeKind.INTEGER))
    model = TableModel.fit(frame, specs=specs, config=FAST, seed=0)
    assert model.copula is not None
    sampled = model.sample(n=3_000, seed=1).astype(float)
    assert sampled["min_salary"].corr(sampled["max_salary"]) > 0.985  # the source: 0.999
    model.copula = None
    independent = model.sample(n=3_000, seed=1).astype(float)
    assert independent["min_salary"].corr(independent["max_salary"]) < sampled["min_salary"].corr(sampled["max_salary"])


def test_a_column_drawn_after_another_keeps_its_marginal_within_each_earlier_value() -> None:
    torch.manual_seed(0)
    network = TabularNetwork(column_codes=[3, 5], context_codes=[], embedding_dim=4, hidden_dim=8, dropout=0.0)
    network.eval()
    with torch.no_grad():  # column 0 uniform; column 1 depends on it, arbitrarily
        for parameter in network.heads[1].parameters():
            parameter.mul_(3.0)
        network.heads[0].out.weight.zero_()
        network.heads[0].out.bias.zero_()
    rows = 3_000
    allowed = [torch.ones(3, dtype=torch.bool), torch.ones(5, dtype=torch.bool)]
    codes = network.sample(torch.zeros(rows, 0, dtype=torch.long), allowed, torch.Generator().manual_seed(1))
    for first in range(3):
        rows_with = codes[:, 0] == first
        given = torch.full((1, 1), first, dtype=torch.long)
        p = torch.softmax(network.head_logits(1, torch.zeros(1, 0, dtype=torch.long), given), dim=1)[0]
        expected = p * int(rows_with.sum())
        found = torch.bincount(codes[rows_with, 1], minlength=5).float()
        # rows with the same earlier codes share strata: each count is its expectation rounded up
        # or down (i.i.d. draws would miss by about the square root of it)
        assert torch.all((found - expected).abs() < 1.0 + 1e-4), (first, found, expected)


def test_sampling_through_the_projection_gives_the_heads_logits() -> None:
    # sampling folds each input code's embedding and position into a row of the hidden layer
    torch.manual_seed(0)
    network = TabularNetwork(column_codes=[3, 5, 7], context_codes=[4, 1], embedding_dim=4, hidden_dim=8, dropout=0.2)
    network.eval()
    generator = torch.Generator().manual_seed(0)
    inputs = torch.stack([torch.randint(0, n, (50,), generator=generator) for n in (4, 1, 3, 5, 7)], dim=1)
    for i, head in enumerate(network.heads):
        expected = network.head_logits(i, inputs[:, :2], inputs[:, 2:]).detach()
        assert torch.allclose(head.sampled_logits(inputs, head.projection()), expected, atol=1e-5)


def test_a_new_parent_reads_as_parents_the_child_model_was_trained_on() -> None:
    # 19 parents like jobs: a salary floor and a few parents with many children. A synthetic parent
    # is drawn inside a bin of the parent's model, so its floor is a value no real parent had. Read
    # through the parent's own bins it lands on a context seen in training; bins fitted on the
    # child rows turn each parent with 3 children or more into an exact code no new parent hits.
    rng = np.random.default_rng(4)
    floors = np.sort(rng.uniform(2_000, 20_000, 19)).round()
    children = rng.choice([1, 1, 1, 2, 5, 20], 19)
    parents = pd.DataFrame({"floor": floors, "__children__0": children})
    parent_specs = (ColumnSpec("floor", TypeKind.INTEGER), ColumnSpec("__children__0", TypeKind.INTEGER, nullable=False))
    parent_model = TableModel.fit(parents, specs=parent_specs, config=FAST, seed=0)
    which = np.repeat(np.arange(19), children)
    salaries = pd.DataFrame({"salary": (floors[which] * rng.uniform(1.1, 1.4, which.size)).round()})
    context = parents.iloc[which].reset_index(drop=True)
    child_model = TableModel.fit(
        salaries, specs=(ColumnSpec("salary", TypeKind.INTEGER),), context=context, context_specs=parent_specs,
        config=FAST, seed=0, parent_encoders={e.spec.name: e for e in parent_model.encoders}, parent_frame=parents,
    )
    synthetic_parents = parent_model.sample(n=400, seed=2)
    assert not synthetic_parents["floor"].isin(floors).all()  # new values, inside the parent's bins
    seen = {tuple(row) for row in _encode(child_model.context_encoders, context).tolist()}
    new = [tuple(row) for row in _encode(child_model.context_encoders, synthetic_parents).tolist()]
    assert np.mean([row in seen for row in new]) > 0.95  # child-row bins: 0.61
    synthetic_children = child_model.sample(context=synthetic_parents, seed=3)
    assert synthetic_children["salary"].astype(float).corr(synthetic_parents["floor"].astype(float)) > 0.8


def test_a_small_tables_categories_come_back_in_their_own_proportions() -> None:
    # 91 rows over 12 titles, a second column tied to the first: early stopping leaves the learned
    # marginals smoothed, and the bias shift puts them back on the counts.
    rng = np.random.default_rng(5)
    titles = np.repeat([f"title {i}" for i in range(12)], [30, 17, 12, 8, 6, 5, 4, 3, 2, 2, 1, 1])
    rng.shuffle(titles)
    frame = pd.DataFrame({"title": titles, "country": np.where(rng.random(91) < 0.8, titles, "elsewhere")})
    specs = (ColumnSpec("title", TypeKind.TEXT), ColumnSpec("country", TypeKind.TEXT))
    model = TableModel.fit(frame, specs=specs, config=FAST, seed=0)
    with torch.no_grad():
        codes = _encode(model.encoders, frame)
        for i, encoder in enumerate(model.encoders):
            predicted = torch.softmax(model.network.head_logits(i, torch.zeros(91, 0, dtype=torch.long), codes), dim=1).mean(dim=0)
            found = torch.as_tensor(encoder.counts / encoder.counts.sum(), dtype=torch.float32)
            assert float((predicted - found).abs().sum()) / 2 < 0.01, encoder.spec.name
    sampled = model.sample(n=91, seed=1)
    distance = (sampled["title"].value_counts() - frame["title"].value_counts()).abs().fillna(0).sum() / 2 / 91
    assert distance < 0.05
