"""The accountant: its epsilon is Opacus' own, budgets are planned before anything runs, mechanisms."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from opacus.accountants import RDPAccountant
from opacus.grad_sample.embedding_norm_sample import compute_embedding_norm_sample

from relsynth.errors import PrivacyBudgetError
from relsynth.modeling.encoding import ColumnSpec
from relsynth.modeling.network import TabularNetwork
from relsynth.privacy import entropy
from relsynth.privacy.accountant import (
    PrivacyAccountant,
    SgdComponent,
    describe,
    plan_budget,
)
from relsynth.privacy.dpsgd import _embedding_norm_sample, fast_epsilon, train_units
from relsynth.privacy.mechanisms import (
    Noise,
    _found_cells,
    _smoothed,
    dp_categorical_encoder,
    dp_numeric_encoder,
    dp_vocabulary,
)
from relsynth.privacy.session import _one_child_per_parent
from relsynth.schema.elements import (
    Column,
    ColumnType,
    ForeignKey,
    PrimaryKey,
    QualifiedName,
    Schema,
    Table,
    TypeKind,
    UniqueConstraint,
)


def test_total_epsilon_is_opacus_accountant_for_the_same_steps() -> None:
    accountant = PrivacyAccountant(delta=1e-6)
    accountant.gaussian("t/statistics", "count", noise_multiplier=50.0)
    accountant.gaussian("t/statistics", "histogram", noise_multiplier=50.0)
    accountant.dpsgd("t/model", noise_multiplier=1.1, sample_rate=0.01, steps=800)
    accountant.dpsgd("u/model", noise_multiplier=1.1, sample_rate=0.05, steps=160)

    opacus = RDPAccountant()
    for _ in range(2):
        opacus.step(noise_multiplier=50.0, sample_rate=1.0)
    for _ in range(800):
        opacus.step(noise_multiplier=1.1, sample_rate=0.01)
    for _ in range(160):
        opacus.step(noise_multiplier=1.1, sample_rate=0.05)
    assert accountant.epsilon() == pytest.approx(opacus.get_epsilon(1e-6), rel=1e-9)
    parts = accountant.breakdown()
    assert set(parts) == {"t/statistics", "t/model", "u/model"}
    assert max(parts.values()) < accountant.epsilon() < sum(parts.values())  # composition beats the sum


def test_state_round_trips_and_spends_nothing_more() -> None:
    accountant = PrivacyAccountant(delta=1e-6, target_epsilon=4.0)
    accountant.gaussian("a/statistics", "vocabulary", noise_multiplier=15.0, selection_delta=1e-8)
    accountant.dpsgd("a/model", noise_multiplier=2.0, sample_rate=0.1, steps=50)
    again = PrivacyAccountant.from_dict(accountant.to_dict())
    assert again.epsilon() == accountant.epsilon()
    assert again.rdp_delta == pytest.approx(1e-6 - 1e-8)
    assert "epsilon" in describe({**accountant.to_dict(), "summary": accountant.summary(), "unit": "a"})[0]
    assert "no formal guarantee" in describe(None)[0]


def test_plan_meets_the_target_exactly_enough() -> None:
    sgd = [SgdComponent("a/model", 0.02, 400), SgdComponent("b/model", 0.1, 80)]
    plan = plan_budget(epsilon=4.0, delta=1e-6, statistics_mechanisms=30, vocabulary_mechanisms=10, sgd=sgd,
                       statistics_share=0.2, selection_delta_share=0.1, max_noise_multiplier=20.0)
    assert 3.9 < plan.epsilon <= 4.0 + 1e-9
    accountant = PrivacyAccountant(delta=1e-6)
    for _ in range(30):
        accountant.gaussian("s", "count", noise_multiplier=plan.statistics_noise, selection_delta=plan.selection_delta / 3)
    for s in sgd:
        accountant.dpsgd(s.component, noise_multiplier=plan.sgd_noise, sample_rate=s.sample_rate, steps=s.steps)
    assert accountant.epsilon() <= 4.0 + 1e-6


def test_an_impossible_budget_fails_before_training() -> None:
    with pytest.raises(PrivacyBudgetError, match="epsilon=0.001.*Raise --epsilon"):
        plan_budget(epsilon=0.001, delta=1e-6, statistics_mechanisms=10, vocabulary_mechanisms=2,
                    sgd=[SgdComponent("a/model", 1.0, 2000)], statistics_share=0.2, selection_delta_share=0.1,
                    max_noise_multiplier=20.0)


@pytest.fixture(autouse=True)
def repeatable_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """DP noise reads os.urandom by design (privacy/entropy.py); these tests assert statistical
    properties of the mechanisms, so they read a seeded byte stream instead: same outcome every run."""
    monkeypatch.setattr(entropy, "os", SimpleNamespace(urandom=np.random.default_rng(7).bytes))


def _noise(bound: int = 1, z: float = 2.0) -> Noise:
    return Noise(PrivacyAccountant(delta=1e-6), "t/statistics", z, 1e-8, bound)


def test_vocabulary_suppresses_rare_values() -> None:
    values = ["common"] * 500 + ["usual"] * 300 + [f"rare{i}" for i in range(50)]
    noise = _noise()
    kept, counts, rest = dp_vocabulary(values, noise, max_size=100)
    assert kept == ["common", "usual"]
    assert abs(counts[0] - 500) < 40 and rest >= 0
    assert noise.accountant.selection_delta == pytest.approx(1e-8)
    encoder = dp_categorical_encoder(pd.Series(["a"] * 400 + [None] * 100 + ["x"]), ColumnSpec("c", TypeKind.TEXT), _noise(), max_categories=10)
    assert encoder.categories == ["a"] and encoder.counts[0] > 50  # NULL kept with its rate


def test_numeric_bins_come_from_noisy_histograms() -> None:
    rng = np.random.default_rng(1)
    values = pd.Series(rng.lognormal(5, 1, 5000))
    noise = _noise(z=3.0)
    encoder = dp_numeric_encoder(values, ColumnSpec("amount", TypeKind.FLOAT), noise, max_bins=32)
    assert 0 <= encoder.edges[0] <= np.quantile(values, 0.01) and encoder.edges[-1] >= np.quantile(values, 0.95)
    assert encoder.edges[-1] < 10 * values.max()
    assert len(noise.accountant.entries) == 2  # bounds + histogram, both recorded
    small = dp_numeric_encoder(pd.Series(rng.integers(0, 5, 2000)), ColumnSpec("k", TypeKind.INTEGER), _noise(), max_bins=32)
    assert small.values.tolist() == [0, 1, 2, 3, 4] and small.n_bins == 0  # exact codes for a small range


def test_dpsgd_runs_the_planned_steps_and_leaves_a_clean_network() -> None:
    torch.manual_seed(0)
    network = TabularNetwork(column_codes=[3, 4], context_codes=[], embedding_dim=4, hidden_dim=8, dropout=0.0)
    before = {k: v.clone() for k, v in network.state_dict().items()}
    codes = torch.randint(0, 3, (300, 2))
    units = np.repeat(np.arange(100), 3)
    result = train_units(network, codes, torch.zeros(300, 0, dtype=torch.long), units, noise_multiplier=1.0,
                         sample_rate=0.2, steps=20, bound=3, max_grad_norm=1.0, learning_rate=0.01,
                         deadline=float("inf"))
    assert result.steps == 20 and result.stopped_by == "privacy_budget"
    assert any(not torch.equal(before[k], v) for k, v in network.state_dict().items())
    assert not any(hasattr(p, "grad_sample") or hasattr(p, "_norm_sample") for p in network.parameters())
    assert set(network.state_dict()) == set(before)


def test_unit_weights_make_every_histogram_sensitivity_one() -> None:
    # 3 units with 1, 2 and 40 rows: each unit weighs 1 in total, whatever its number of rows
    units = np.repeat([0, 1, 2], [1, 2, 40])
    _, inverse, sizes = np.unique(units, return_inverse=True, return_counts=True)
    noise = Noise(PrivacyAccountant(delta=1e-6), "t/statistics", 2.0, 1e-8, 40, 1.0 / sizes[inverse])
    assert noise.sensitivity == 1.0 and noise.sigma == 2.0
    assert noise.bincount(np.zeros(43, dtype=np.int64), 1)[0] == pytest.approx(3.0)
    dp_vocabulary(["a"] * 43, noise, max_size=5)
    assert noise.accountant.entries[0].noise_multiplier == pytest.approx(2.0)  # sigma / sensitivity 1


def test_fast_embedding_norm_matches_opacus() -> None:
    layer = torch.nn.Embedding(7, 3)
    ids = torch.randint(0, 7, (50,))
    backprops = torch.randn(50, 3)
    ours = _embedding_norm_sample(layer, [ids], backprops)[layer.weight]
    theirs = compute_embedding_norm_sample(layer, [ids[:, None]], backprops[:, None, :])[layer.weight]
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_each_row_is_clipped_by_its_own_units_rows() -> None:
    # one unit with 5 rows: its summed gradient must stay within C even with no noise
    torch.manual_seed(0)
    network = TabularNetwork(column_codes=[3], context_codes=[], embedding_dim=4, hidden_dim=8, dropout=0.0)
    before = [p.detach().clone() for p in network.parameters()]
    codes = torch.zeros(5, 1, dtype=torch.long)
    train_units(network, codes, torch.zeros(5, 0, dtype=torch.long), np.zeros(5, dtype=np.int64), noise_multiplier=1e-9,
                sample_rate=1.0, steps=1, bound=5, max_grad_norm=1.0, learning_rate=1.0, deadline=float("inf"))
    assert any(not torch.equal(b, p) for b, p in zip(before, network.parameters(), strict=True))
    with pytest.raises(ValueError, match="above its bound"):
        train_units(network, codes, torch.zeros(5, 0, dtype=torch.long), np.zeros(5, dtype=np.int64), noise_multiplier=1.0,
                    sample_rate=1.0, steps=1, bound=4, max_grad_norm=1.0, learning_rate=0.01, deadline=float("inf"))


def test_integer_order_search_never_exceeds_the_exact_epsilon() -> None:
    for history in ([(2.4, 0.25, 160)], [(1.5, 0.05, 800), (18.0, 1.0, 36)]):
        assert fast_epsilon(history, 1e-6, integer_orders=True) >= fast_epsilon(history, 1e-6) - 1e-12
    plan = plan_budget(epsilon=8.0, delta=1e-6, statistics_mechanisms=36, vocabulary_mechanisms=5,
                       sgd=[SgdComponent("a/model", 0.25, 32)] * 5, statistics_share=0.5, selection_delta_share=0.1,
                       max_noise_multiplier=20.0)
    assert 7.6 < plan.epsilon <= 8.0


def test_a_small_tables_range_is_found_from_blocks_of_cells() -> None:
    rng = np.random.default_rng(0)
    counts = np.zeros(512)
    counts[300:312] = 45.0  # 540 rows over 12 cells: no single cell passes its threshold under sigma 18
    noisy = counts + rng.normal(0, 18.0, 512)
    found = _found_cells(noisy, 18.0)
    assert found.size and 296 <= found[0] <= 304 and 308 <= found[-1] <= 315
    assert not (noisy[300:312] > 18.0 * 3.8).all()  # the single cells alone would not do
    mass = _smoothed(noisy[280:344], 18.0)
    assert (mass >= 0).all() and mass.sum() > 0


def test_loan_per_account_needs_no_cap_budget() -> None:
    integer = ColumnType(TypeKind.INTEGER, "integer")
    account, loan, order = QualifiedName(None, "account"), QualifiedName(None, "loan"), QualifiedName(None, "order")
    tables = (
        Table(account, (Column("id", integer, False),), PrimaryKey("pk", ("id",))),
        Table(loan, (Column("id", integer, False), Column("account_id", integer, False)), PrimaryKey("pk", ("id",)),
              unique_constraints=(UniqueConstraint("u", ("account_id",)),),
              foreign_keys=(ForeignKey("f", loan, ("account_id",), account, ("id",)),)),
        Table(order, (Column("id", integer, False), Column("account_id", integer, False)), PrimaryKey("pk", ("id",)),
              foreign_keys=(ForeignKey("g", order, ("account_id",), account, ("id",)),)),
    )
    schema = Schema("postgresql", tables)
    assert _one_child_per_parent(schema, tables[1].foreign_keys[0])
    assert not _one_child_per_parent(schema, tables[2].foreign_keys[0])


def test_a_public_domain_keeps_values_valid_when_the_budget_selects_nothing() -> None:
    # Ten rows of a status under heavy noise: selecting a vocabulary finds no value, and the
    # CHECK's IN list (public: it is in the schema) is what the column may hold.
    spec = ColumnSpec("status", TypeKind.TEXT, nullable=False)
    rows = pd.Series(["A"] * 6 + ["C"] * 4)
    selected = dp_categorical_encoder(rows, spec, _noise(z=1e4), max_categories=10)
    assert selected.categories == [""]  # the placeholder a CHECK would reject
    public = dp_categorical_encoder(rows, spec, _noise(z=1e4), max_categories=10, domain=["A", "B", "C", "D"])
    decoded = set(public.decode(np.full(200, 1), np.random.default_rng(0)))  # rare codes decode by the counts
    assert decoded <= {"A", "B", "C", "D"} and decoded
