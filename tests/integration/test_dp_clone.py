"""A clone under differential privacy, end to end on the demo shop (SQLite).

Unit = customer (with its orders and order lines); categories, products and employees are public.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.errors import PrivacyBudgetError
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone, train
from relsynth.privacy import PrivacyConfig
from relsynth.privacy.accountant import PrivacyAccountant, describe, read_state
from relsynth.privacy.dpsgd import opacus_epsilon
from relsynth.runs import load_run

DP = RelsynthConfig(
    model=ModelConfig(max_training_seconds=120.0, epochs=20),  # epochs bound it; a deadline would make it depend on the clock
    privacy=PrivacyConfig(epsilon=4.0, delta=1e-6, unit="customer", max_children=8, epochs=1, batch_rows=2048),
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dp") / "shop.sqlite"
    build_demo_database(path, customers=400)
    return path


@pytest.mark.slow  # trains under DP
def test_dp_clone_reports_the_epsilon_its_accountant_saved(shop: Path, make_database, tmp_path: Path) -> None:
    target = make_database("sqlite")
    result = clone(f"sqlite:///{shop}", target, config=DP, workspace=tmp_path / "run")
    assert result.rows["customer"] > 0 and result.rows["order"] > 0
    state = read_state(tmp_path / "run")
    assert state is not None and state["unit"] == "customer"
    bounds, caps = state["bounds"], state["caps"]
    assert bounds["customer"] == 1 and 1 <= bounds["order"] <= 8  # caps chosen by DP, at most max_children
    line_cap = next(cap for label, cap in caps.items() if label.startswith("order_line"))
    assert bounds["order_line"] == line_cap * bounds["order"]
    # the saved figure is Opacus' accountant on the saved mechanisms, within the target
    accountant = PrivacyAccountant.from_dict(state)
    assert state["epsilon"] == pytest.approx(opacus_epsilon(accountant.history(), accountant.rdp_delta))
    assert 0 < state["epsilon"] <= 4.0 + 1e-6
    assert {"customer/model", "order/model", "order_line/model"} <= set(state["summary"]["components"])
    assert "epsilon" in describe(state)[0]
    # generating again from the saved run spends nothing more
    run = load_run(tmp_path / "run")
    assert run.privacy["entries"] == state["entries"]


@pytest.mark.slow  # trains under DP twice
def test_changing_one_units_rows_changes_only_private_results(shop: Path, tmp_path: Path) -> None:
    other = tmp_path / "neighbour.sqlite"
    shutil.copy(shop, other)
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as connection:  # one customer's rows get other values, counts unchanged
        connection.exec_driver_sql("UPDATE customer SET segment = 'business', city = 'Nowhere' WHERE customer_id = 5")
        connection.exec_driver_sql(
            'UPDATE "order" SET status = \'cancelled\', ordered_on = \'2001-01-01\', shipped_on = NULL WHERE customer_id = 5'
        )
    engine.dispose()
    first = train(f"sqlite:///{shop}", config=DP)
    second = train(f"sqlite:///{other}", config=DP)
    entries = lambda run: [(e["component"], e["noise_multiplier"], e["sample_rate"], e["steps"]) for e in run.privacy["entries"]]
    assert entries(first) == entries(second)  # the accounting does not depend on one unit's data
    for name, artifact in first.tables.items():
        if str(name) in ("category", "product", "employee") and artifact.model is not None:
            # a public table's own columns are learned from public rows alone: same encoders
            own = lambda run: [e.to_dict() for e in run.tables[name].model.encoders if not e.spec.name.startswith("__")]  # noqa: B023
            assert own(first) == own(second), f"public table {name} changed"
            if str(name) == "category":  # reads nothing private at all (products are public): same weights
                a, b = artifact.model.network.state_dict(), second.tables[name].model.network.state_dict()
                assert all((a[k] == b[k]).all() for k in a), f"public table {name} changed"
            # employee and product also learn noisy counts of their private children (orders,
            # order lines): that noise is fresh in every run, so their weights differ


def test_impossible_budget_fails_before_training(shop: Path) -> None:
    stages: list[str] = []
    config = RelsynthConfig(privacy=PrivacyConfig(epsilon=1e-4, unit="customer"))
    with pytest.raises(PrivacyBudgetError, match="cannot pay for training"):
        train(f"sqlite:///{shop}", config=config, progress=lambda stage, table, fraction: stages.append(stage))
    assert "train" not in stages


@pytest.mark.slow  # trains and reports
def test_without_epsilon_the_report_says_no_guarantee(shop: Path, tmp_path: Path) -> None:
    run = train(f"sqlite:///{shop}", config=RelsynthConfig(model=ModelConfig(max_training_seconds=0.5, epochs=5)), workspace=tmp_path / "plain")
    assert run.privacy is None
    assert "no formal guarantee" in describe(read_state(tmp_path / "plain"))[0]
