"""One clone, loaded into SQLite, PostgreSQL and MariaDB, scores the same on each.

The engines hand back booleans, decimals, dates and CHECK texts differently; the report brings
them to one form first, so its figures describe the clone, not the engine it sits in.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.modeling import ModelConfig
from relsynth.pipeline import generate_into, train
from relsynth.reporting import build_report

pytestmark = pytest.mark.slow  # clones into every engine and reports

ENGINES = ("sqlite", "postgresql", "mysql")
SCORES = ("quality", "column_shapes", "column_pair_trends", "cardinality", "intertable_trends", "exact_match_share")


def test_the_same_clone_scores_within_002_on_every_engine(make_database, tmp_path):
    source = build_demo_database(tmp_path / "shop.sqlite", customers=60)
    # Small settings that end by epochs, not by the clock: the same clone on every machine.
    config = RelsynthConfig(seed=1, model=replace(ModelConfig(), epochs=5, max_training_seconds=600))
    run = train(source, workspace=tmp_path / "run", config=config)
    reports = {}
    for engine in ENGINES:
        target = make_database(engine)
        generate_into(tmp_path / "run", target, seed=2)
        reports[engine] = build_report(source, target, holdout=run.holdout or None, copied=tuple(run.copied),
                                       scale=1.0)
    figures = {engine: report.figures for engine, report in reports.items()}
    for name in SCORES:
        values = [figures[engine][name] for engine in ENGINES]
        assert None not in values, (name, values)
        assert max(values) - min(values) <= 0.02, (name, dict(zip(ENGINES, values, strict=True)))
    for engine, report in reports.items():
        # CHECKs written for SQLite are evaluated in each engine's own dialect: none fails.
        assert report.integrity_violations == 0, (engine, report.integrity)
        assert figures[engine]["missing_tables"] == 0 and figures[engine]["empty_tables"] == 0
    rows = {engine: [(str(t.name), t.target_rows) for t in report.tables] for engine, report in reports.items()}
    assert rows["sqlite"] == rows["postgresql"] == rows["mysql"]
