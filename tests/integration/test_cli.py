"""The command line as a user meets it: real commands, real databases, one clear line on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from relsynth.demo import build_demo_database

pytestmark = pytest.mark.slow  # every test starts the command line in a subprocess (imports torch), most train

RELSYNTH = [sys.executable, "-m", "relsynth.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*RELSYNTH, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_demo_database(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=60)


def test_inspect_prints_tables_and_json(shop: str) -> None:
    text = run("inspect", shop)
    assert text.returncode == 0, text.stderr
    assert "order_line" in text.stdout and "6 tables" in text.stdout
    as_json = run("inspect", shop, "--json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["format"] == "relsynth.schema" and len(document["schema"]["tables"]) == 6


def test_plan_names_the_deferred_self_reference(shop: str) -> None:
    result = run("plan", shop)
    assert result.returncode == 0, result.stderr
    assert "self-reference" in result.stdout
    plan = json.loads(run("plan", shop, "--json").stdout)
    order = [t["table"]["name"] for t in plan["tables"]]
    assert order.index("customer") < order.index("order") < order.index("order_line")


def test_clone_schema_only_then_refuses_a_second_time(shop: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    first = run("clone", shop, target, "--schema-only")
    assert first.returncode == 0, first.stderr
    engine = sa.create_engine(target)
    with engine.connect() as connection:
        assert connection.exec_driver_sql('SELECT count(*) FROM "order"').scalar_one() == 0
    engine.dispose()
    second = run("clone", shop, target, "--schema-only")
    assert second.returncode == 4
    assert "--replace" in second.stderr and "Traceback" not in second.stderr


def test_clone_with_report_and_thresholds(shop: str, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'clone.sqlite'}"
    config = tmp_path / "relsynth.toml"
    config.write_text("[model]\nmax_training_seconds = 2\n")
    html = tmp_path / "report.html"
    result = run("clone", shop, target, "--seed", "3", "--config", str(config), "--report", str(html))
    assert result.returncode == 0, result.stderr
    assert "order_line" in result.stdout and "time per stage" in result.stdout
    assert html.read_text().lstrip().lower().startswith("<!doctype html")
    gate = run("report", shop, target, "--fail-under", "quality=0.999", "--json", str(tmp_path / "r.json"))
    assert gate.returncode == 5 and "quality" in gate.stderr
    figures = json.loads((tmp_path / "r.json").read_text())["figures"]
    assert figures["orphans"] == 0 and figures["integrity_violations"] == 0


@pytest.mark.parametrize(
    ("url", "expected", "code"),
    [
        ("postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere", "cannot connect", 3),
        ("oracle://someone:s3cret-pw@db.example/x", "not installed", 3),
        ("not a url", "cannot parse database URL", 2),
    ],
)
def test_bad_input_is_one_clear_line_without_password(url: str, expected: str, code: int) -> None:
    result = run("inspect", url)
    assert result.returncode == code
    assert expected in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 3


def test_wrong_credentials_on_postgres_say_so(postgres_server) -> None:
    url = postgres_server.set(username="no_such_role", password="s3cret-pw").render_as_string(hide_password=False)
    result = run("inspect", url)
    assert result.returncode == 3
    assert "no_such_role" in result.stderr and "s3cret-pw" not in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_schema_names_the_existing_ones(make_database) -> None:
    url = make_database("postgresql")
    result = run("inspect", url, "--schema", "nope")
    assert result.returncode != 0
    assert "nope" in result.stderr and "public" in result.stderr and "Traceback" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = run("--debug", "inspect", "postgresql://u@127.0.0.1:1/x")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_bad_config_file_says_which_key(shop: str, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[model]\nmax_trainig_seconds = 2\n")
    result = run("clone", shop, f"sqlite:///{tmp_path / 'x.sqlite'}", "--config", str(config))
    assert result.returncode == 2
    assert "max_trainig_seconds" in result.stderr and "Traceback" not in result.stderr


def test_train_then_generate_without_the_source(shop: str, tmp_path: Path) -> None:
    workspace = tmp_path / "run"
    trained = run("train", shop, "--workspace", str(workspace), "--config", str(_fast(tmp_path)))
    assert trained.returncode == 0, trained.stderr
    assert (workspace / "run.json").exists() and not list(workspace.rglob("*.pkl"))
    target = f"sqlite:///{tmp_path / 'gen.sqlite'}"
    generated = run("generate", str(workspace), target, "--scale", "0.5", "--seed", "1")
    assert generated.returncode == 0, generated.stderr
    missing = run("generate", str(tmp_path / "nothing-here"), target)
    assert missing.returncode != 0 and "no trained run" in missing.stderr


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    result = run("demo", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "report.html").exists()
    assert "clone: first rows of customer" in result.stdout


def _fast(tmp_path: Path) -> Path:
    config = tmp_path / "fast.toml"
    config.write_text("[model]\nmax_training_seconds = 2\n")
    return config
