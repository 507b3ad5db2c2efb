"""Everything a run needs survives save and load: train once, generate later, from the files alone.

Every DDL fixture (PostgreSQL, and the SQLite and MariaDB variants on their engines) round-trips
its schema and plan through a saved workspace; the shared datasets are trained small, saved,
reloaded, compared and generated from. A workspace holding a run is not overwritten unasked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATASET_NAMES
from fixtures import fixture_names, load_fixture

from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.errors import ConfigurationError
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone, generate_into, train
from relsynth.planning import GenerationPlan, plan
from relsynth.runs import Run, load_run, save_run
from relsynth.schema import snapshot
from relsynth.schema.introspection import introspect

# Small and clock-free: training ends by epochs, never by max_training_seconds.
SMALL = RelsynthConfig(max_training_rows=500, model=ModelConfig(epochs=1, max_training_seconds=3600.0, hidden_dim=16))
FIXTURES = [("postgresql", name) for name in fixture_names("postgresql")]
FIXTURES += [(engine, name) for engine in ("sqlite", "mysql") for name in fixture_names(engine)]


@pytest.mark.parametrize(("engine", "fixture"), FIXTURES, ids=[f"{e}-{f}" for e, f in FIXTURES])
def test_every_fixture_schema_and_plan_survive_save_and_load(make_database, tmp_path: Path, engine: str, fixture: str) -> None:
    schema = introspect(load_fixture(make_database(engine), fixture))
    generation_plan = plan(schema)
    assert snapshot.from_json(snapshot.to_json(schema)) == schema
    assert GenerationPlan.from_json(generation_plan.to_json()) == generation_plan
    save_run(Run(schema=schema, plan=generation_plan, config=SMALL, tables={}), tmp_path / "run")
    saved = load_run(tmp_path / "run")
    assert (saved.schema, saved.plan, saved.config) == (schema, generation_plan, SMALL)


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_a_dataset_trained_once_generates_from_its_saved_workspace(load_dataset, make_database, tmp_path: Path, dataset: str) -> None:
    workspace = tmp_path / "run"
    run = train(load_dataset(dataset), workspace=workspace, config=SMALL)
    saved = load_run(workspace)
    assert saved.schema == run.schema and saved.plan == run.plan and saved.config == run.config
    assert [a.to_dict() for a in saved.tables.values()] == [a.to_dict() for a in run.tables.values()]
    assert {name: frame.shape for name, frame in saved.copied.items()} == {name: frame.shape for name, frame in run.copied.items()}
    if dataset == "pagila":  # partitioned: its foreign keys declared on the partitions stay so
        assert any(fk.on_partitions for fk in saved.schema.foreign_keys)
        assert any(fk.on_partitions for t in saved.plan.tables for fk in t.secondary_fks + ((t.context_fk,) if t.context_fk else ()))
    result = generate_into(workspace, make_database("postgresql"), scale=0.05, seed=1)
    assert set(result.rows) <= {str(t.name) for t in run.schema.tables} and sum(result.rows.values()) > 0


def _relsynth(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "relsynth.cli", *args], capture_output=True, text=True, env=env)


@pytest.mark.slow  # trains and runs the command line
def test_a_workspace_holding_a_run_is_refused_unless_replace_workspace(tmp_path: Path) -> None:
    shop = build_demo_database(tmp_path / "shop.sqlite", customers=40)
    config = tmp_path / "small.toml"
    config.write_text("[model]\nepochs = 1\nmax_training_seconds = 3600\n")
    workspace = tmp_path / "run"
    first = _relsynth("train", shop, "--workspace", str(workspace), "--config", str(config))
    assert first.returncode == 0, first.stderr
    trained = (workspace / "run.json").read_text()
    again = _relsynth("train", shop, "--workspace", str(workspace), "--config", str(config))
    assert again.returncode == 2 and "--replace-workspace" in again.stderr and "Traceback" not in again.stderr
    assert (workspace / "run.json").read_text() == trained
    with pytest.raises(ConfigurationError, match="--replace-workspace"):
        clone(shop, f"sqlite:///{tmp_path / 'never.sqlite'}", workspace=workspace, config=SMALL)
    assert not (tmp_path / "never.sqlite").exists() or introspect(f"sqlite:///{tmp_path / 'never.sqlite'}").tables == ()
    (workspace / "holdout").mkdir(exist_ok=True)
    (workspace / "holdout" / "9999.parquet").write_bytes(b"rows of a previous run")
    replaced = _relsynth("train", shop, "--workspace", str(workspace), "--config", str(config), "--replace-workspace")
    assert replaced.returncode == 0, replaced.stderr
    assert not (workspace / "holdout" / "9999.parquet").exists()
    assert load_run(workspace).tables
