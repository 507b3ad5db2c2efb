"""Canaries planted in a copy of hr (unique names, a number, a date, a category, a rare whole row)
never come out of its clone: the benchmark's check (benchmarks/bench_canaries.py) kept at zero."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from relsynth.config import RelsynthConfig
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_canaries  # noqa: E402

# epochs bound training, so the result does not depend on the machine's speed
CONFIG = RelsynthConfig(seed=3, model=ModelConfig(epochs=10))


@pytest.mark.postgres
def test_no_canary_comes_out_of_a_clone_of_hr(load_dataset, make_database, postgres_server, monkeypatch) -> None:
    load_dataset("hr")
    monkeypatch.setenv("RELSYNTH_BENCH_POSTGRES_URL", postgres_server.render_as_string(hide_password=False))
    target = make_database("postgresql")
    with bench_canaries.template_copy("hr") as source:
        canaries = bench_canaries.plant(source, bench_canaries.CANARIES["hr"])
        result = clone(source, target, config=CONFIG)
    found = bench_canaries.count(target, canaries)
    assert len(found) == len(bench_canaries.CANARIES["hr"])
    assert found == dict.fromkeys(found, 0)
    assert sum(t["redrawn"] for t in result.rare_rows.values()) > 0  # rare rows were met, and redrawn
