"""Training on an executor: the same seed gives the same run and the byte-identical clone, whatever
the number of jobs and wherever the tasks run (in this process, in worker processes, on Ray)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures import require_module

from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone

pytestmark = pytest.mark.slow  # every test trains and clones

FAST = ModelConfig(max_training_work=400)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_demo_database(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=150)


def _clone(source: str, folder: Path, **settings: object) -> tuple[str, dict[str, bytes]]:
    """The clone's SQL dump and the run's files, less the seconds training took (run.json's
    per table, each model.json's summary): those are the machine's, not the run's."""
    folder.mkdir()
    clone(source, f"sqlite:///{folder / 'clone.sqlite'}", config=RelsynthConfig(seed=5, model=FAST, **settings), workspace=folder / "run")
    with sqlite3.connect(folder / "clone.sqlite") as connection:
        dump = "\n".join(connection.iterdump())
    connection.close()
    files = {str(p.relative_to(folder / "run")): p.read_bytes() for p in sorted((folder / "run").rglob("*")) if p.is_file()}
    for name in [n for n in files if n == "run.json" or n.endswith("model.json")]:
        document = json.loads(files[name])
        document.pop("training_seconds", None)
        document.get("summary", {}).pop("seconds", None)
        files[name] = json.dumps(document, sort_keys=True).encode()
    return dump, files


def test_one_job_and_two_give_the_same_run_and_clone(shop: str, tmp_path: Path) -> None:
    # 200 rows a table at most: order_line is sampled, so its denylists are read in SQL as its task ends
    one = _clone(shop, tmp_path / "one", jobs=1, max_training_rows=200)
    two = _clone(shop, tmp_path / "two", jobs=2, max_training_rows=200)
    assert "INSERT INTO \"order_line\"" in one[0]  # a clone with rows
    assert any(name.endswith("weights.pt") for name in one[1])  # and a run with models
    assert one[0] == two[0]
    assert one[1].keys() == two[1].keys()
    assert [name for name in one[1] if one[1][name] != two[1][name]] == []


@pytest.fixture
def ray_cluster() -> Iterator[None]:
    """A local Ray of two workers, as ``ray.init(num_cpus=2)`` starts it (CI=true: Ray must be there)."""
    ray = require_module("ray", "ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_gives_the_run_and_clone_that_local_processes_give(shop: str, tmp_path: Path, ray_cluster: None) -> None:
    local = _clone(shop, tmp_path / "local", jobs=2)
    on_ray = _clone(shop, tmp_path / "ray", jobs=2, executor="ray")
    assert local[0] == on_ray[0]
    assert [name for name in local[1] if local[1][name] != on_ray[1].get(name)] == []
