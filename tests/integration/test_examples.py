"""Every file in examples/ does what examples/README.md says: each is run (or parsed) here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from fixtures import require_module

from relsynth.config import ColumnRole, TableMode, load_config
from relsynth.connections import create_engine
from relsynth.demo import build_demo_database
from relsynth.pipeline import clone

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
QUICK_MODEL = "[model]\nepochs = 3\n"  # ends by epochs: deterministic


def _rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url, read_only=True)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=900)


def test_readme_lists_every_example() -> None:
    listed = set(re.findall(r"\]\(([^)]+)\)", (EXAMPLES / "README.md").read_text(encoding="utf-8")))
    present = {p.name for p in EXAMPLES.iterdir()} - {"README.md"}
    assert listed == present


# -- relsynth.toml ------------------------------------------------------------------------------


def test_example_config_loads_with_the_values_it_shows() -> None:
    config = load_config(EXAMPLES / "relsynth.toml")
    assert (config.seed, config.scale, config.model.max_training_work) == (7, 1.0, 2000)
    assert config.tables["category"].mode is TableMode.COPY
    assert config.tables["customer"].columns == {"city": ColumnRole.KEEP_OUT, "email": ColumnRole.IDENTIFYING}
    assert config.privacy.min_count == 3 and config.privacy.epsilon is None
    assert config.report_fail_under == {"quality": 0.7} and config.report_utility_targets == ("customer.segment",)


def test_every_option_the_example_config_comments_out_is_a_real_one(tmp_path: Path) -> None:
    text = (EXAMPLES / "relsynth.toml").read_text(encoding="utf-8")
    option = re.compile(r"^# ?((?:\w+ = \S.*)|(?:\[[^\]]+\].*))$", re.MULTILINE)
    assert len(option.findall(text)) >= 8
    uncommented = tmp_path / "all.toml"
    uncommented.write_text(option.sub(r"\1", text), encoding="utf-8")
    config = load_config(uncommented)  # an unknown key would be an error
    assert config.tables["employee"].mode is TableMode.EMPTY
    assert (config.privacy.epsilon, config.privacy.unit, config.model.batch_size) == (4, "customer", 256)
    assert (config.jobs, config.executor.value) == (2, "local")


@pytest.mark.slow
def test_example_config_clones_the_demo_shop_as_it_says(tmp_path: Path, make_database) -> None:
    source = build_demo_database(tmp_path / "shop.sqlite", customers=120)
    config = load_config(EXAMPLES / "relsynth.toml")
    config = replace(config, model=replace(config.model, epochs=3))
    target = make_database("postgresql")
    clone(source, target, config=config)
    source_categories = _rows(source, 'SELECT category_id, name FROM "category" ORDER BY 1')
    assert _rows(target, 'SELECT category_id, name FROM "category" ORDER BY 1') == source_categories  # copied
    assert _rows(target, 'SELECT count(*) FROM "customer" WHERE city IS NOT NULL') == [(0,)]  # kept out
    real_emails = {r[0] for r in _rows(source, 'SELECT email FROM "customer"')}
    fake_emails = [r[0] for r in _rows(target, 'SELECT email FROM "customer"')]
    assert fake_emails and not real_emails & set(fake_emails)
    real_names = {r[0] for r in _rows(source, 'SELECT name FROM "product"')}
    assert not real_names & {r[0] for r in _rows(target, 'SELECT name FROM "product"')}  # synthesised text


# -- python_api.py ------------------------------------------------------------------------------


@pytest.mark.slow
def test_python_api_example_runs_end_to_end(tmp_path: Path) -> None:
    done = _run([sys.executable, str(EXAMPLES / "python_api.py"), "--dir", str(tmp_path), "--quick", "--customers", "150"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "deferred: employee(reports_to) -> employee(employee_id)" in done.stdout
    assert (tmp_path / "report.json").exists()
    for name in ("clone.sqlite", "clone_half.sqlite"):
        url = f"sqlite:///{tmp_path / name}"
        assert _rows(url, "PRAGMA foreign_key_check") == []
        assert _rows(url, 'SELECT count(*) FROM "order_line"')[0][0] > 0
    half = _rows(f"sqlite:///{tmp_path / 'clone_half.sqlite'}", 'SELECT count(*) FROM "customer"')[0][0]
    assert half == pytest.approx(75, abs=8)  # generated at scale 0.5 of 150 customers


# -- nightly_staging.sh -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("engine", "fail_under", "expected"), [("sqlite", "quality=0.1", 0), ("postgresql", "quality=1.01", 5)])
def test_nightly_staging_refreshes_and_exits_non_zero_when_the_gate_fails(
    tmp_path: Path, make_database, engine: str, fail_under: str, expected: int
) -> None:
    source = build_demo_database(tmp_path / "prod.sqlite", customers=150)
    staging = make_database(engine)
    config = tmp_path / "quick.toml"
    config.write_text(QUICK_MODEL, encoding="utf-8")
    env = {
        "RELSYNTH_SOURCE_URL": source, "RELSYNTH_STAGING_URL": staging, "RELSYNTH_CONFIG": str(config),
        "RELSYNTH_OUT": str(tmp_path / "nightly"), "RELSYNTH_FAIL_UNDER": fail_under, "RELSYNTH_FAIL_OVER": "",
        "RELSYNTH": f"{sys.executable} -m relsynth.cli",
    }
    done = _run(["bash", str(EXAMPLES / "nightly_staging.sh")], env)
    assert done.returncode == expected, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "nightly" / "report.json").exists()
    assert _rows(staging, 'SELECT count(*) FROM "customer"')[0][0] > 100  # staging was refreshed
    if expected:
        assert "gate failed" in done.stderr and "quality" in done.stdout + done.stderr
    # Run again: --replace refreshes a staging database that already holds the tables.
    if engine == "sqlite":
        again = _run(["bash", str(EXAMPLES / "nightly_staging.sh")], env)
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]


def test_nightly_staging_needs_its_urls() -> None:
    done = _run(["bash", str(EXAMPLES / "nightly_staging.sh")], {"RELSYNTH_SOURCE_URL": "", "RELSYNTH_STAGING_URL": ""})
    assert done.returncode != 0 and "RELSYNTH_SOURCE_URL" in done.stderr


# -- docker.md ----------------------------------------------------------------------------------


def test_docker_text_matches_the_compose_file() -> None:
    yaml = require_module("yaml", "test")
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    text = (EXAMPLES / "docker.md").read_text(encoding="utf-8")
    started = re.search(r"docker compose -f docker/compose\.yaml up -d --wait ([\w ]+)\n", text)
    assert started is not None
    named = started.group(1).split()
    assert named and set(named) <= set(services)
    published = {}
    for service in services.values():
        for mapping in service["ports"]:
            host, container = str(mapping).split(":")
            assert container == "5432"
            published[host] = service
    urls = re.findall(r"postgresql://(\w+):(\w+)@localhost:(\d+)/(\w+)", text)
    assert urls
    for user, password, port, _database in urls:
        assert port in published, f"port {port} is not published by docker/compose.yaml"
        assert (user, password) == ("postgres", published[port]["environment"]["POSTGRES_PASSWORD"])
    prose = " ".join(text.split())
    for name in named:  # "`source` on port 55432 (database `source`)"
        service = services[name]
        port = str(service["ports"][0]).split(":")[0]
        assert f"`{name}` on port {port} (database `{service['environment']['POSTGRES_DB']}`)" in prose
