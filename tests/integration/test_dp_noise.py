"""DP noise nobody can replay: same seed, same source, different noise; nothing stored rebuilds it.

Unit = customer of the demo shop (SQLite): customer, order and order_line are private.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
import torch

from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.modeling import ModelConfig
from relsynth.pipeline import generate_into, train
from relsynth.privacy import PrivacyConfig, entropy
from relsynth.runs import load_run

DP = RelsynthConfig(
    seed=11,
    model=ModelConfig(max_training_seconds=120.0, epochs=5),  # epochs bound it, not the clock
    privacy=PrivacyConfig(epsilon=4.0, delta=1e-6, unit="customer", max_children=8, epochs=1, batch_rows=2048),
)
PRIVATE = ("customer", "order", "order_line")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two DP trainings of one source with one config and one seed."""
    root = tmp_path_factory.mktemp("dp_noise")
    build_demo_database(root / "shop.sqlite", customers=150)
    for name in ("a", "b"):
        train(f"sqlite:///{root / 'shop.sqlite'}", config=DP, workspace=root / name)
    return root / "a", root / "b"


def _rows(url: str, table: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY 1')]
    finally:
        engine.dispose()


def _seeds(value, path: str = "") -> dict[str, object]:
    """Every value stored under a key that names a seed, by its path in the JSON."""
    found: dict[str, object] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if "seed" in key.lower():
                found[f"{path}/{key}"] = item
            found.update(_seeds(item, f"{path}/{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(_seeds(item, f"{path}[{index}]"))
    return found


@pytest.mark.slow  # trains under DP twice
def test_two_dp_trainings_with_one_seed_give_different_models_and_clones(runs, make_database) -> None:
    first, second = load_run(runs[0]), load_run(runs[1])
    for name in PRIVATE:
        a = first.tables[next(n for n in first.tables if n.name == name)].model
        b = second.tables[next(n for n in second.tables if n.name == name)].model
        weights_a, weights_b = a.network.state_dict(), b.network.state_dict()
        assert any(not torch.equal(weights_a[k], weights_b[k]) for k in weights_a), f"{name}: same DP-SGD noise twice"
    targets = [make_database("sqlite") for _ in range(3)]
    generate_into(runs[0], targets[0], seed=5)
    generate_into(runs[1], targets[1], seed=5)
    generate_into(runs[0], targets[2], seed=5)
    assert _rows(targets[0], "order") != _rows(targets[1], "order")
    # generation from one saved run with one seed is reproducible byte for byte
    for table in PRIVATE:
        assert _rows(targets[0], table) == _rows(targets[2], table)


@pytest.mark.slow  # trains under DP twice
def test_a_dp_runs_files_hold_nothing_that_rebuilds_its_noise(runs) -> None:
    """Every seed-like value stored is the same in both runs, yet their noisy figures differ: no
    stored value determines the noise. The accountant's state holds no seed at all."""
    stored = [{str(p.relative_to(run)): json.loads(p.read_text(encoding="utf-8")) for p in sorted(run.rglob("*.json"))} for run in runs]
    assert stored[0].keys() == stored[1].keys()
    assert _seeds(stored[0]) == _seeds(stored[1])
    assert not _seeds(stored[0]["run.json"]["privacy"])
    noisy = [[e["counts"] for t in s.values() if "encoders" in t for e in t["encoders"] if "counts" in e] for s in stored]
    assert noisy[0] != noisy[1]  # the noisy histograms of the private encoders differ


def test_entropy_draws_are_gaussian_and_never_repeat() -> None:
    draws = entropy.gaussian(2.0, (200_000,))
    assert abs(draws.mean()) < 0.05 and draws.std() == pytest.approx(2.0, rel=0.02)
    assert not np.array_equal(entropy.gaussian(1.0, 64), entropy.gaussian(1.0, 64))
    assert entropy.gaussian(1.0, (3, 4)).shape == (3, 4)
