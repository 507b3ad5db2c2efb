"""The report's verdict tells the truth: an empty, partial or leaky clone fails, in red, on real engines."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from browser import clipped_text
from rich.console import Console
from sqlalchemy.engine import make_url

from relsynth.connections import parse_url
from relsynth.reporting import build_report, check_thresholds, evaluate, render_html, render_terminal
from relsynth.reporting.render_html import _CSS
from relsynth.schema.elements import QualifiedName

pytestmark = pytest.mark.slow  # every test builds full reports, most through the command line

RELSYNTH = [sys.executable, "-m", "relsynth.cli"]
CUSTOMER = QualifiedName(None, "customer_loyalty_membership")  # long enough to wrap in 80 columns

_DDL = [
    "CREATE TABLE customer_loyalty_membership (id INTEGER PRIMARY KEY, age INTEGER, income FLOAT, segment VARCHAR(10))",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer_loyalty_membership (id), "
    "amount FLOAT, channel VARCHAR(10))",
]


def _rows(customers: int = 400, orders: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    age = rng.integers(18, 80, customers)
    customer = pd.DataFrame({"id": np.arange(customers), "age": age,
                             "income": np.round(age * 900 + rng.normal(0, 5000, customers), 2),
                             "segment": rng.choice(["retail", "business", "student"], customers)})
    owner = rng.integers(0, customers, orders)
    order = pd.DataFrame({"id": np.arange(orders), "customer_id": owner,
                          "amount": np.round(customer["income"].to_numpy()[owner] / 1000 + rng.gamma(2, 10, orders), 2),
                          "channel": rng.choice(["web", "store"], orders)})
    return customer, order


def _write(url: str, customer: pd.DataFrame | None, order: pd.DataFrame | None, *, tables: int = 2) -> str:
    engine = sa.create_engine(parse_url(url))
    with engine.begin() as connection:
        for statement in _DDL[:tables]:
            connection.exec_driver_sql(statement)
        for name, frame in ((CUSTOMER.name, customer), ("orders", order)):
            if frame is not None and len(frame):
                columns = ", ".join(frame.columns)
                values = ", ".join(f":{c}" for c in frame.columns)
                connection.execute(sa.text(f"INSERT INTO {name} ({columns}) VALUES ({values})"),
                                   frame.astype(object).to_dict("records"))
    engine.dispose()
    return url


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RELSYNTH, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "80"})


@pytest.fixture
def source(make_database) -> str:
    return _write(make_database("sqlite"), *_rows())


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mysql"])
def test_cli_report_against_an_empty_clone_fails(source, make_database, engine, tmp_path):
    target = make_database(engine)  # a database without a single table
    if engine == "sqlite":  # an empty file: a path to nothing is no database at all (see below)
        sqlite3.connect(make_url(target).database).close()
    page = tmp_path / "report.html"
    result = _cli("report", source, target, "--html", str(page), "--json", str(tmp_path / "report.json"))
    assert result.returncode == 5, result.stdout + result.stderr
    error = " ".join(result.stderr.split())  # the console wraps at 80 columns
    assert "missing_tables 2 > 0" in error and "row_count_difference 1 > 0.25" in error
    assert "FAIL" in result.stdout and "PASS" not in result.stdout
    assert "<b>FAIL</b>" in page.read_text(encoding="utf-8")
    assert "Traceback" not in result.stderr


def test_a_report_on_a_target_that_does_not_exist_says_so(source, tmp_path):
    result = _cli("report", source, f"sqlite:///{tmp_path / 'nowhere.sqlite'}")
    assert result.returncode != 0 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "nowhere.sqlite").exists()


def test_partial_clones_fail_each_for_its_reason(source, make_database):
    customer, order = _rows()
    cases = {
        "missing_tables": _write(make_database("postgresql"), customer, None, tables=1),
        "empty_tables": _write(make_database("postgresql"), customer, None),
        "tables_off_scale": _write(make_database("postgresql"), customer, order.iloc[:150]),
    }
    for reason, target in cases.items():
        report = build_report(source, target, scale=1.0)
        failures = check_thresholds(report)
        assert any(f.startswith(reason + " 1 > 0") for f in failures), (reason, failures)
    whole = _write(make_database("postgresql"), customer, order)
    assert check_thresholds(build_report(source, whole, scale=1.0), defaults=False) == []
    # At half the scale a whole copy is twice the rows it should have: the CLI's --scale says so.
    result = _cli("report", source, whole, "--scale", "0.5")
    assert result.returncode == 5 and "tables_off_scale 2 > 0" in " ".join(result.stderr.split()), result.stderr


def _leaky_report(source: str, make_database) -> tuple:
    """A 'clone' that is the training rows themselves, with the rest held out: every member exposed."""
    customer, order = _rows()
    members, held_out = customer.iloc[:300], customer.iloc[300:]
    target = _write(make_database("sqlite"), members, order[order["customer_id"] < 300])
    report = build_report(source, target, holdout={CUSTOMER: held_out.reset_index(drop=True)}, scale=0.75)
    return report, evaluate(report)


def test_high_membership_advantage_fails_and_renders_red(source, make_database):
    report, gate = _leaky_report(source, make_database)
    assert report.figures["mia_advantage"] > 0.9
    assert gate.status("mia_advantage") == "fail" and gate.status("exact_match_excess") == "fail"
    assert gate.status("tables_off_scale") == "pass"  # 300 of 400 rows at scale 0.75
    console = Console(width=80, record=True, force_terminal=True, color_system="standard")
    console.print(render_terminal(report, gate=gate))
    lines = console.export_text(styles=True).splitlines()
    mia = next(line for line in lines if "mia_advantage" in line)
    assert "\x1b[1;31m" in mia  # bold red
    integrity = next(line for line in lines if "integrity_violations" in line)
    assert "\x1b[32m" in integrity and "\x1b[1;31m" not in integrity  # green: it passes
    quality = next(line for line in lines if line.lstrip().startswith(("quality", "\x1b[1mquality")) or " quality " in line)
    assert "\x1b[31m" not in quality and "\x1b[32m" not in quality  # no limit: neither red nor green
    html = render_html(report, gate=gate)
    assert re.search(r'<div class="card fail"[^>]*><span>MIA advantage</span>', html)
    assert re.search(r'<div class="card pass"[^>]*><span>integrity violations</span>', html)
    assert re.search(r'<div class="card "[^>]*><span>quality</span>', html)


def test_terminal_table_fits_80_columns_without_cutting_names(source, make_database):
    report, gate = _leaky_report(source, make_database)
    console = Console(width=80, record=True)
    console.print(render_terminal(report, gate=gate))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text and "..." not in text
    # A long table name wraps: its pieces start the lines of its row, in order.
    first_tokens = "".join(line.split()[0] for line in lines if line.split() and not line.lstrip().startswith("─"))
    assert CUSTOMER.name in first_tokens
    for name in report.figures:
        assert re.search(rf"^\s*{name}\s", text, re.MULTILINE), name


def test_html_has_a_glossary_and_titles_that_are_not_cut(source, make_database, tmp_path):
    report, gate = _leaky_report(source, make_database)
    html = render_html(report, gate=gate)
    assert "<h2>Glossary</h2>" in html
    for name in report.figures:
        assert f"<dt id='g-{name}'>{name}</dt>" in html
    assert "text-overflow" not in _CSS and "overflow:hidden" not in _CSS.replace(" ", "")
    assert clipped_text(html, tmp_path) == []


def test_a_library_warning_becomes_one_note_not_raw_output(source, make_database, monkeypatch):
    import warnings

    from relsynth.reporting import report as report_module

    original = report_module.compute_detection

    def noisy(*args, **kwargs):
        warnings.warn("X does not have valid feature names", UserWarning, stacklevel=1)
        warnings.warn("X does not have valid feature names", UserWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(report_module, "compute_detection", noisy)
    customer, order = _rows()
    report = build_report(source, _write(make_database("sqlite"), customer, order))  # would raise if it escaped
    notices = [n for n in report.notes if n.startswith("library notice")]
    assert len(notices) == 1 and "(test_report_gate, UserWarning): X does not have valid feature names" in notices[0]
