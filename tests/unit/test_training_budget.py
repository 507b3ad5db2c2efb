"""Training is bounded by work (column-weighted optimiser steps), not by the clock: a slow machine
gets the same model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import torch
from fixtures import require_module

from relsynth.config import load_config
from relsynth.errors import ConfigurationError
from relsynth.modeling import ColumnSpec, ModelConfig, TableModel
from relsynth.modeling.network import TabularNetwork
from relsynth.privacy.dpsgd import train_units
from relsynth.schema.elements import TypeKind

SPECS = (ColumnSpec("kind", TypeKind.TEXT), ColumnSpec("amount", TypeKind.FLOAT), ColumnSpec("count", TypeKind.INTEGER))
# 3 columns: a step costs 3 + 2 column-steps, so 200 of them make 40 steps; 900 training rows in
# batches of 64 make 15 steps an epoch, so the budget ends inside the third; patience far above it,
# so early stopping never ends training first
BUDGET = ModelConfig(max_training_work=200, batch_size=64, early_stopping_patience=10_000)


def _frame(rows: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    kind = rng.choice(["A", "B", "C"], rows)
    return pd.DataFrame({
        "kind": kind,
        "amount": np.where(kind == "A", rng.normal(10, 1, rows), rng.normal(100, 8, rows)),
        "count": pd.Series(rng.poisson(3, rows)).astype("Int64"),
    })


class _SlowMachine:
    """Every optimiser step takes a minute of (fake) monotonic time: a very slow or busy machine."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now, self.steps = time.monotonic(), 0
        step = torch.optim.Adam.step

        def slow_step(optimizer, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.now += 60.0
            self.steps += 1
            return step(optimizer, *args, **kwargs)

        monkeypatch.setattr(torch.optim.Adam, "step", slow_step)
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


def _weights(model: TableModel) -> dict[str, torch.Tensor]:
    return model.network.state_dict()


def test_the_work_budget_gives_the_same_weights_on_a_fast_and_a_slow_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame()
    fast = TableModel.fit(frame, specs=SPECS, config=BUDGET, seed=7)
    machine = _SlowMachine(monkeypatch)
    slow = TableModel.fit(frame, specs=SPECS, config=BUDGET, seed=7)

    assert machine.steps == 40  # the budget, exactly, though each step "took" a minute
    assert fast.summary.stopped_by == slow.summary.stopped_by == "work_budget"
    assert fast.summary.epochs == slow.summary.epochs == 3
    assert _weights(fast).keys() == _weights(slow).keys()
    for name, tensor in _weights(fast).items():
        assert torch.equal(tensor, _weights(slow)[name]), name
    pd.testing.assert_frame_equal(fast.sample(n=300, seed=1), slow.sample(n=300, seed=1))


def test_the_optional_wall_clock_cap_still_stops_a_slow_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = _SlowMachine(monkeypatch)
    capped = TableModel.fit(_frame(), specs=SPECS, config=ModelConfig(max_training_seconds=90.0, batch_size=64), seed=7)

    assert capped.summary.stopped_by == "time_limit"
    assert machine.steps < 15 and capped.summary.epochs == 1


def test_dpsgd_runs_every_planned_step_however_slow_unless_a_deadline_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    require_module("opacus", "dp")
    machine = _SlowMachine(monkeypatch)
    codes, units = torch.randint(0, 3, (200, 2)), np.repeat(np.arange(100), 2)

    def dpsgd(**deadline: float):  # type: ignore[no-untyped-def]
        network = TabularNetwork(column_codes=[3, 4], context_codes=[], embedding_dim=4, hidden_dim=8, dropout=0.0)
        return train_units(network, codes, torch.zeros(200, 0, dtype=torch.long), units, noise_multiplier=1.0,
                           sample_rate=0.2, steps=12, bound=2, max_grad_norm=1.0, learning_rate=0.01, **deadline)

    released = dpsgd()  # the default: no wall-clock cap, so the accounted steps are what runs
    assert (released.steps, released.stopped_by, machine.steps) == (12, "privacy_budget", 12)
    capped = dpsgd(deadline=machine.now + 150.0)
    assert (capped.steps, capped.stopped_by) == (3, "time_limit")


def test_a_small_budget_ends_training_before_the_epochs_do() -> None:
    model = TableModel.fit(_frame(), specs=SPECS, config=ModelConfig(max_training_work=25, batch_size=64), seed=0)
    assert model.summary.stopped_by == "work_budget" and model.summary.epochs == 1  # 5 of 15 steps


def test_the_wall_clock_cap_is_off_by_default_and_the_budget_is_validated() -> None:
    assert ModelConfig().max_training_seconds is None
    assert ModelConfig(max_training_seconds=2.5).max_training_seconds == 2.5
    for bad in (0, -3, 1.5, True, "100", None):
        with pytest.raises(ConfigurationError, match="max_training_work"):
            ModelConfig(max_training_work=bad)
    with pytest.raises(ConfigurationError, match="max_training_seconds"):
        ModelConfig(max_training_seconds=-1.0)


def test_a_config_file_sets_the_budget_and_the_cap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "relsynth.toml"
    path.write_text("[model]\nmax_training_work = 1200\nmax_training_seconds = 30\n", encoding="utf-8")
    model = load_config(path).model
    assert (model.max_training_work, model.max_training_seconds) == (1200, 30)
