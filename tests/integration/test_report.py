"""build_report on real databases: perfect on itself, each defect flagged by its metric."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rich.console import Console

from relsynth.errors import ConfigurationError
from relsynth.reporting import build_report, check_thresholds, render_html, render_terminal

IN_CI = os.environ.get("CI", "").lower() == "true"

_DDL = [
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, age INTEGER, "
    "segment VARCHAR(10), CHECK (age >= 0))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer (id), "
    "amount FLOAT, channel VARCHAR(10))",
]


def _fill(url: str, *, broken: bool) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if broken:  # let the defective rows in, as a careless loader would
            connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        for statement in _DDL:
            connection.exec_driver_sql(statement)
        customers = [{"id": i, "name": f"person {i}", "age": 20 + (i * 7) % 60, "segment": "abc"[i % 3]} for i in range(200)]
        orders = [{"id": j, "customer_id": j % 150, "amount": float(10 + (j % 150) * 3 + j % 7), "channel": "web" if j % 4 else "store"}
                  for j in range(600)]
        if broken:
            for row in orders[:25]:
                row["customer_id"] = 10_000 + row["id"]  # orphans (SQLite does not enforce FKs by default)
            for row in customers[:10]:
                row["age"] = -1  # CHECK (age >= 0) fails
        connection.execute(sa.text("INSERT INTO customer VALUES (:id, :name, :age, :segment)"), customers)
        connection.execute(sa.text("INSERT INTO orders VALUES (:id, :customer_id, :amount, :channel)"), orders)
    engine.dispose()


def test_identical_sqlite_databases_score_perfectly(make_database):
    url = make_database("sqlite")
    _fill(url, broken=False)
    report = build_report(url, url)
    figures = report.figures
    assert figures["quality"] == pytest.approx(1.0)
    assert figures["detection"] == pytest.approx(0.5, abs=0.1)
    assert report.integrity_violations == 0
    assert report.schema_differences == ()
    assert check_thresholds(report, fail_under={"quality": 0.85}, fail_over={"detection": 0.7}, defaults=False) == []
    # A copy is no clone: its rows are the source's, beyond the source's own duplicates, and it
    # holds every text value the source holds fewer than k times.
    assert check_thresholds(report) == ["exact_match_excess 1 > 0.1", f"verbatim_identifiers {report.privacy.verbatim_identifiers} > 0"]
    assert report.privacy.verbatim_identifiers > 0


def test_defects_are_flagged_by_their_metrics(make_database):
    source, target = make_database("sqlite"), make_database("sqlite")
    _fill(source, broken=False)
    _fill(target, broken=True)
    report = build_report(source, target)
    kinds = {(i.kind, str(i.table)): i.count for i in report.integrity}
    assert kinds[("orphans", "orders")] == 25
    assert kinds[("check", "customer")] == 10
    failures = check_thresholds(report, fail_under={"quality": 0.99999}, fail_over={"integrity_violations": 0, "orphans": 0})
    assert any(f.startswith("orphans 25 > 0") for f in failures)
    assert any(f.startswith("quality ") for f in failures)
    payload = json.loads(report.to_json())
    assert payload["figures"]["orphans"] == 25
    with pytest.raises(ConfigurationError, match="known figures: .*quality"):
        check_thresholds(report, fail_under={"qualty": 0.9})


def test_postgres_sequence_behind_and_duplicates(make_database):
    url = make_database("postgresql")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE item (id SERIAL PRIMARY KEY, code TEXT)")
        connection.exec_driver_sql("INSERT INTO item (id, code) SELECT g, 'c' || g FROM generate_series(1, 50) g")
    engine.dispose()
    report = build_report(url, url)
    behind = [i for i in report.integrity if i.kind == "sequence_behind"]
    assert behind and behind[0].constraint == "id" and behind[0].count == 50


def test_chinook_against_itself_is_perfect_and_fast(load_dataset, tmp_path):
    url = load_dataset("chinook")
    started = time.monotonic()
    report = build_report(url, url)
    assert time.monotonic() - started < 60
    figures = report.figures
    assert figures["quality"] == pytest.approx(1.0)
    assert figures["detection"] == pytest.approx(0.5, abs=0.1)
    assert figures["integrity_violations"] == 0
    assert figures["schema_differences"] == 0
    assert figures["exact_match_share"] == pytest.approx(1.0)  # a copy is a copy
    assert len(report.tables) == 11 and all(t.source_rows == t.target_rows for t in report.tables)
    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") > 20  # histograms, heatmaps, children-per-parent plots, the FK graph
    console = Console(width=80, record=True)
    console.print(render_terminal(report))
    assert "track" in console.export_text()
    _screenshot(html, tmp_path)


def _screenshot(html: str, tmp_path: Path) -> None:
    """Open the page in a real headless browser; its plots must render (a non-blank screenshot)."""
    binary = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if binary is None:
        if IN_CI:
            pytest.fail("no chromium binary: CI must run the browser check")
        pytest.skip("no chromium binary (apt-get install -y chromium)")
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}", "--window-size=1280,2400",
         page.as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 30_000  # a blank page compresses far smaller


@pytest.mark.slow  # trains a clone and reports
def test_the_attack_interval_and_its_verdict_are_in_every_rendering(make_database):
    import pandas as pd

    from relsynth.schema.elements import QualifiedName

    url = make_database("sqlite")
    _fill(url, broken=False)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        held = pd.read_sql("SELECT amount, channel FROM orders WHERE id >= 450", connection)
    engine.dispose()
    # the "clone" is the source itself: held-out rows are in it as much as training rows
    report = build_report(url, url, holdout={QualifiedName(None, "orders"): held}, seed=1)
    attack = report.privacy.mia_attack
    assert attack is not None and attack.within_noise
    assert f"[{attack.low:.3f}, {attack.high:.3f}]" in render_html(report) and "within noise" in render_html(report)
    console = Console(width=200, record=True)
    console.print(render_terminal(report))
    assert "within noise" in console.export_text()
    orders = next(t for t in json.loads(report.to_json())["tables"] if t["name"] == "orders")
    assert orders["mia_attack"]["low"] <= orders["mia_advantage"] <= orders["mia_attack"]["high"]
