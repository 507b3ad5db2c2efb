"""What the report reads from both databases, each in one read-only snapshot.

``read_databases`` samples every table both sides have, the whole tables utility needs, the
children-per-parent histograms, the source's identifying and rare values, and checks the
target's integrity. The metric modules then work on these frames only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.engine import Connection

from relsynth.connections import create_engine, read_snapshot
from relsynth.progress import Progress
from relsynth.reporting.integrity import IntegrityIssue, check_integrity, row_count
from relsynth.reporting.privacy import detect_identifying, text_columns
from relsynth.reporting.sampling import TableSample, cardinality_histogram, distinct_values, rare_values, sample_table
from relsynth.reporting.utility import read_frames, tables_needed
from relsynth.schema.elements import QualifiedName, Schema, Table


class ReportSteps:
    """Counts the report's steps for an optional progress callback: ``("report", step, share done)``."""

    def __init__(self, callback: Progress | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def tick(self, what: str) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback("report", what, self.done / max(self.total, 1))


@dataclass
class Readings:
    """Everything read: samples (``real``/``synth``), whole tables for utility, and the rest."""

    real: dict[QualifiedName, TableSample]
    synth: dict[QualifiedName, TableSample]
    missing_rows: dict[QualifiedName, int]  # source rows of the tables the target lacks
    real_whole: dict[QualifiedName, pd.DataFrame]
    synth_whole: dict[QualifiedName, pd.DataFrame]
    cardinality: dict[str, tuple]  # FK label -> (source histogram, target histogram)
    identifying_columns: Mapping[QualifiedName, Sequence[str]]
    identifying: dict[tuple[QualifiedName, str], pd.Series]
    rare: dict[tuple[QualifiedName, str], pd.Series]
    integrity: tuple[IntegrityIssue, ...] = ()


def read_databases(
    source_url: str,
    target_url: str,
    *,
    schema: Schema,
    shared: Schema,
    target_names: set[QualifiedName],
    sample_rows: int,
    seed: int,
    holdout: Mapping[QualifiedName, pd.DataFrame] | None,
    identifying_columns: Mapping[QualifiedName, Sequence[str]] | None,
    min_count: int,
    notes: list[str],
    progress: ReportSteps,
) -> Readings:
    """Read both sides; ``shared`` is ``schema`` restricted to the tables the target has."""
    src_engine, tgt_engine = create_engine(source_url, read_only=True), create_engine(target_url, read_only=True)
    # utility reads whole tables: those with held-out rows, their parents and their children
    utility_tables = tables_needed(shared, [n for n in holdout if n in shared.table_names]) if holdout else []
    try:
        with read_snapshot(src_engine) as connection:
            readings = _read_source(
                connection, schema, shared, target_names, utility_tables, sample_rows=sample_rows, seed=seed,
                identifying_columns=identifying_columns, min_count=min_count, notes=notes, progress=progress,
            )
        with read_snapshot(tgt_engine) as connection:
            for table in shared.tables:
                readings.synth[table.name] = sample_table(connection, shared, table, sample_rows=sample_rows, seed=seed)
                progress.tick(f"read target {table.name}")
            for fk in shared.foreign_keys:
                if fk.label in readings.cardinality:
                    readings.cardinality[fk.label] = (readings.cardinality[fk.label][0], cardinality_histogram(connection, shared, fk))
            readings.integrity = check_integrity(tgt_engine, connection, shared)
            progress.tick("integrity")
            readings.synth_whole = read_frames(connection, shared, utility_tables, [])
    finally:
        src_engine.dispose()
        tgt_engine.dispose()
    return readings


def _read_source(
    connection: Connection,
    schema: Schema,
    shared: Schema,
    target_names: set[QualifiedName],
    utility_tables: Sequence[QualifiedName],
    *,
    sample_rows: int,
    seed: int,
    identifying_columns: Mapping[QualifiedName, Sequence[str]] | None,
    min_count: int,
    notes: list[str],
    progress: ReportSteps,
) -> Readings:
    """The source's side of the readings (the target's are left empty)."""
    tables = shared.tables
    real: dict[QualifiedName, TableSample] = {}
    for table in tables:
        real[table.name] = sample_table(connection, shared, table, sample_rows=sample_rows, seed=seed)
        progress.tick(f"read source {table.name}")
    missing_rows = {t.name: row_count(connection, t) for t in schema.tables if t.name not in target_names}
    real_whole = read_frames(connection, shared, utility_tables, notes)
    cardinality: dict[str, tuple] = {}
    for fk in shared.foreign_keys:
        if fk.referred_table in real:
            cardinality[fk.label] = (cardinality_histogram(connection, shared, fk),)
    if identifying_columns is None:  # the one rule, on the source sample
        identifying_columns = {t.name: detect_identifying(t, real[t.name].frame) for t in tables}
    identifying, rare = _source_values(connection, tables, identifying_columns, min_count)
    return Readings(real, {}, missing_rows, real_whole, {}, cardinality, identifying_columns, identifying, rare)


def _source_values(
    connection: Connection,
    tables: Sequence[Table],
    identifying_columns: Mapping[QualifiedName, Sequence[str]],
    min_count: int,
) -> tuple[dict[tuple[QualifiedName, str], pd.Series], dict[tuple[QualifiedName, str], pd.Series]]:
    """The distinct values of identifying columns, and the rare values of text columns."""
    identifying: dict[tuple[QualifiedName, str], pd.Series] = {}
    rare: dict[tuple[QualifiedName, str], pd.Series] = {}
    for table in tables:
        for column in identifying_columns.get(table.name, ()):
            if column in table.column_names:
                identifying[(table.name, column)] = distinct_values(connection, table, column)
        for column in text_columns(table):
            rare[(table.name, column)] = rare_values(connection, table, column, min_count)
    return identifying, rare
