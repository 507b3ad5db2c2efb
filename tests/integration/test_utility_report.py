"""Utility in the report, as a user meets it: a parent's column predicted with its children's aggregates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from relsynth.demo import build_demo_database

pytestmark = pytest.mark.slow  # trains and scores utility models

FIELDS = {"table", "target", "task", "metric", "real", "synthetic", "ratio", "ci_low", "ci_high", "importance_correlation"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "relsynth.cli", *args], capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def cloned(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path, Path]:
    folder = tmp_path_factory.mktemp("utility")
    source = build_demo_database(folder / "shop.sqlite", customers=400)
    target = f"sqlite:///{folder / 'clone.sqlite'}"
    config = folder / "small.toml"
    config.write_text("[model]\nepochs = 30\nmax_training_seconds = 100000\n", encoding="utf-8")
    result = run("clone", source, target, "--workspace", str(folder / "run"), "--config", str(config), "--seed", "1")
    assert result.returncode == 0, result.stderr
    return source, target, folder / "run", folder


def test_a_named_parent_target_is_scored_with_its_childrens_aggregates(cloned) -> None:  # type: ignore[no-untyped-def]
    source, target, workspace, folder = cloned
    out = folder / "report.json"
    result = run("report", source, target, "--workspace", str(workspace), "--utility-target", "customer.segment",
                 "--json", str(out), "--html", str(folder / "report.html"))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    [score] = report["utility"]
    assert FIELDS <= set(score) and score["table"].endswith("customer") and score["target"] == "segment"
    assert score["task"] == "classification" and score["features"] > 3  # own columns and the orders' aggregates
    assert score["ci_low"] <= score["ratio"] <= score["ci_high"]
    assert report["figures"]["utility"] == score["ratio"]
    assert "utility: trained on real vs on the clone" in (folder / "report.html").read_text(encoding="utf-8")


def test_the_gate_fails_on_utility_and_a_run_without_holdout_says_why(cloned) -> None:  # type: ignore[no-untyped-def]
    source, target, workspace, _ = cloned
    gated = run("report", source, target, "--workspace", str(workspace), "--fail-under", "utility=1.5")
    assert gated.returncode == 5 and "utility" in gated.stderr
    proposed = run("report", source, target, "--workspace", str(workspace))
    assert "utility targets proposed" in proposed.stdout
    without = run("report", source, target)
    assert "no utility figure" in without.stdout
