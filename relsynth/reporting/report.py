"""The report: integrity, schema, fidelity, detection and privacy of a clone, as one value.

``build_report`` reads both databases read-only and composes the pure metric modules;
``Report.to_dict``/``to_json`` give the same figures the HTML and terminal views show.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pandas as pd

from relsynth.connections import create_engine, read_snapshot, redact
from relsynth.reporting.detection import Detection, compute_detection
from relsynth.reporting.fidelity import Fidelity, compute_fidelity
from relsynth.reporting.integrity import IntegrityIssue, check_integrity
from relsynth.reporting.privacy import MIN_COUNT, Privacy, compute_privacy, detect_identifying, text_columns
from relsynth.reporting.sampling import TableSample, cardinality_histogram, distinct_values, rare_values, read_table
from relsynth.reporting.schema_diff import diff_schemas
from relsynth.schema.elements import QualifiedName, Schema

log = logging.getLogger(__name__)

# The violations that count against integrity ("unchecked" CHECKs are listed, not counted).
VIOLATION_KINDS = ("orphans", "duplicate_key", "not_null", "check", "sequence_behind")


@dataclass(frozen=True)
class TableReport:
    name: QualifiedName
    source_rows: int
    target_rows: int
    source_sample: int  # rows the metrics saw
    target_sample: int
    column_shapes: float | None
    column_pair_trends: float | None
    detection: float | None
    integrity_violations: int
    exact_match_share: float | None
    source_duplicate_share: float | None
    dcr_share: float | None
    mia_advantage: float | None
    verbatim_identifiers: int


@dataclass(frozen=True)
class Report:
    source: str  # redacted URLs
    target: str
    seed: int
    sample_rows: int
    seconds: float
    tables: tuple[TableReport, ...]
    fidelity: Fidelity
    detection: tuple[Detection, ...]
    privacy: Privacy
    integrity: tuple[IntegrityIssue, ...]
    schema_differences: tuple[str, ...] | None  # None when the target could not be introspected
    foreign_keys: tuple[tuple[str, str, str], ...]  # (child, parent, label): the FK graph
    notes: tuple[str, ...] = ()

    @property
    def integrity_violations(self) -> int:
        return sum(i.count for i in self.integrity if i.kind in VIOLATION_KINDS)

    @property
    def detection_score(self) -> float | None:
        values = [d.accuracy for d in self.detection]
        return sum(values) / len(values) if values else None

    @property
    def figures(self) -> dict[str, float | None]:
        """Every headline figure by its threshold name (see ``relsynth.reporting.thresholds``)."""
        props = self.fidelity.property_scores
        row_gap = sum(abs(t.target_rows - t.source_rows) for t in self.tables)
        return {
            "quality": self.fidelity.quality,
            "column_shapes": props["column_shapes"],
            "column_pair_trends": props["column_pair_trends"],
            "cardinality": props["cardinality"],
            "intertable_trends": props["intertable_trends"],
            "detection": self.detection_score,
            "integrity_violations": float(self.integrity_violations),
            "orphans": float(sum(i.count for i in self.integrity if i.kind == "orphans")),
            "schema_differences": None if self.schema_differences is None else float(len(self.schema_differences)),
            "row_count_difference": float(row_gap),
            "exact_match_share": self.privacy.exact_match_share,
            "source_duplicate_share": self.privacy.source_duplicate_share,
            "verbatim_identifiers": float(self.privacy.verbatim_identifiers),
            "rare_rows_redrawn": _count(self.privacy.rare_rows_redrawn),
            "rare_rows_dropped": _count(self.privacy.rare_rows_dropped),
            "dcr_share": self.privacy.dcr_share,
            "mia_advantage": self.privacy.mia_advantage,
            "epsilon": self.privacy.epsilon,
        }

    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        data["figures"] = {k: _num(v) for k, v in self.figures.items()}
        data["fidelity"]["property_scores"] = {k: _num(v) for k, v in self.fidelity.property_scores.items()}
        return data

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _count(value: int | None) -> float | None:
    return None if value is None else float(value)


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses to dicts, names to strings, NaN to null."""
    if isinstance(value, QualifiedName):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return _num(value)
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def assemble(
    schema: Schema,
    *,
    fidelity: Fidelity,
    detection: tuple[Detection, ...],
    privacy: Privacy,
    integrity: tuple[IntegrityIssue, ...] = (),
    schema_differences: tuple[str, ...] | None = (),
    source_rows: Mapping[QualifiedName, int] | None = None,
    target_rows: Mapping[QualifiedName, int] | None = None,
    source_sample: Mapping[QualifiedName, int] | None = None,
    target_sample: Mapping[QualifiedName, int] | None = None,
    source: str = "",
    target: str = "",
    seed: int = 0,
    sample_rows: int = 0,
    seconds: float = 0.0,
    notes: Sequence[str] = (),
) -> Report:
    """Put computed parts together into a Report (also usable without databases)."""
    det = {d.table: d.accuracy for d in detection}
    priv = {p.table: p for p in privacy.tables}
    tables = []
    for table in schema.tables:
        p = priv.get(table.name)
        sr = (source_rows or {}).get(table.name, 0)
        tr = (target_rows or {}).get(table.name, 0)
        tables.append(
            TableReport(
                table.name, sr, tr,
                (source_sample or {}).get(table.name, sr), (target_sample or {}).get(table.name, tr),
                fidelity.shapes_score(table.name), fidelity.pairs_score(table.name), det.get(table.name),
                sum(i.count for i in integrity if i.table == table.name and i.kind in VIOLATION_KINDS),
                p.exact_match_share if p else None, p.source_duplicate_share if p else None,
                p.dcr_share if p else None, p.mia_advantage if p else None,
                p.verbatim_identifiers if p else 0,
            )
        )
    present = set(schema.table_names)
    fks = tuple((str(fk.table), str(fk.referred_table), fk.label) for fk in schema.foreign_keys if fk.referred_table in present)
    return Report(source, target, seed, sample_rows, seconds, tuple(tables), fidelity, detection, privacy,
                  integrity, schema_differences, fks, tuple(notes))


def _introspect(url: str) -> Schema:
    from relsynth.schema.introspection import introspect  # the schema layer's one entry point

    return introspect(url)


def build_report(
    source_url: str,
    target_url: str,
    *,
    schema: Schema | None = None,
    sample_rows: int = 10_000,
    seed: int = 0,
    holdout: Mapping[QualifiedName, pd.DataFrame] | None = None,
    identifying_columns: Mapping[QualifiedName, Sequence[str]] | None = None,
    copied: Collection[QualifiedName] = (),
    epsilon: float | None = None,
    delta: float | None = None,
    progress=None,
    min_count: int = MIN_COUNT,
    rare_rows: Mapping[str, Mapping[str, int]] | None = None,
) -> Report:
    """Measure the clone at ``target_url`` against ``source_url``; both are only read.

    ``copied``: tables the run copied as reference data; they are left out of the exact-match share.
    ``identifying_columns``: the columns the run generated as identifying (without it, the one
    identifying rule on the source sample); every text column is also checked for values the
    source holds fewer than ``min_count`` times. ``rare_rows``: the generator's counts of rows
    that repeated a rare source combination (``SyntheticDatabase.rare_rows``).

    ``progress``, when given, is called as ``progress(step: str, done: int, total: int)``.
    """
    started = time.monotonic()
    schema = schema if schema is not None else _introspect(source_url)
    notes: list[str] = []
    try:
        target_schema = _introspect(target_url)
        differences: tuple[str, ...] | None = diff_schemas(schema, target_schema)
    except Exception as exc:  # a report without the schema comparison beats no report
        log.warning("cannot introspect the target %s: %s", redact(target_url), exc)
        differences = None
        notes.append(f"schema comparison unavailable: {exc}")
        target_schema = None
    target_names = set(target_schema.table_names) if target_schema is not None else set(schema.table_names)
    tables = [t for t in schema.tables if t.name in target_names]
    # Metrics only look at tables both sides have; missing ones are in the schema differences.
    shared = dataclasses.replace(schema, tables=tuple(tables))

    total = 2 * len(tables) + 4
    step = 0

    def tick(what: str) -> None:
        nonlocal step
        step += 1
        if progress is not None:
            progress(what, step, total)

    src_engine, tgt_engine = create_engine(source_url), create_engine(target_url)
    try:
        real: dict[QualifiedName, TableSample] = {}
        synth: dict[QualifiedName, TableSample] = {}
        cardinality: dict[str, tuple] = {}
        identifying: dict[tuple[QualifiedName, str], pd.Series] = {}
        rare: dict[tuple[QualifiedName, str], pd.Series] = {}
        with read_snapshot(src_engine) as connection:
            for table in tables:
                real[table.name] = read_table(connection, shared, table, sample_rows=sample_rows, seed=seed)
                tick(f"read source {table.name}")
            for fk in shared.foreign_keys:
                if fk.referred_table in real:
                    cardinality[fk.label] = (cardinality_histogram(connection, shared, fk),)
            if identifying_columns is None:  # the one rule, on the source sample
                identifying_columns = {t.name: detect_identifying(t, real[t.name].frame) for t in tables}
            for table in tables:
                for column in identifying_columns.get(table.name, ()):
                    if column in table.column_names:
                        identifying[(table.name, column)] = distinct_values(connection, table, column)
                for column in text_columns(table):
                    rare[(table.name, column)] = rare_values(connection, table, column, min_count)
        with read_snapshot(tgt_engine) as connection:
            for table in tables:
                synth[table.name] = read_table(connection, shared, table, sample_rows=sample_rows, seed=seed)
                tick(f"read target {table.name}")
            for fk in shared.foreign_keys:
                if fk.label in cardinality:
                    cardinality[fk.label] = (cardinality[fk.label][0], cardinality_histogram(connection, shared, fk))
            integrity = check_integrity(tgt_engine, connection, shared)
            tick("integrity")
    finally:
        src_engine.dispose()
        tgt_engine.dispose()

    base_r = {n: s.base(shared.table(n)) for n, s in real.items()}
    base_s = {n: s.base(shared.table(n)) for n, s in synth.items()}
    parent_columns = {}
    for table in tables:
        for i, fk in enumerate(table.foreign_keys):
            if fk.referred_table in real:
                parent_columns[fk.label] = (real[table.name].with_parent(table, i), synth[table.name].with_parent(table, i))
    cardinality = {k: v for k, v in cardinality.items() if len(v) == 2}
    fidelity = compute_fidelity(shared, base_r, base_s, cardinality=cardinality, parent_columns=parent_columns)
    tick("fidelity")
    detection = compute_detection(
        shared,
        {n: s.augmented(shared.table(n)) for n, s in real.items()},
        {n: s.augmented(shared.table(n)) for n, s in synth.items()},
        seed=seed,
    )
    tick("detection")
    privacy = compute_privacy(
        shared, base_r, base_s, holdout=holdout, identifying_columns=identifying_columns,
        identifying_values=identifying, copied=copied, epsilon=epsilon, delta=delta, seed=seed,
        rare_values=rare, min_count=min_count, rare_rows=rare_rows,
    )
    tick("privacy")
    sampled = [f"{n}: {s.frame.shape[0]} of {s.rows}" for n, s in real.items() if s.sampled]
    sampled += [f"{n} (target): {s.frame.shape[0]} of {s.rows}" for n, s in synth.items() if s.sampled]
    if sampled:
        notes.append("sampled tables (rows seen of rows present): " + "; ".join(sampled))
    copied_here = [str(n) for n in copied if n in real]
    if copied_here:
        notes.append("copied as reference data, so left out of the exact-match share: " + ", ".join(copied_here))
    if holdout is None:
        notes.append("distance to closest record and membership inference need a holdout (not given)")
    return assemble(
        shared,
        fidelity=fidelity, detection=detection, privacy=privacy, integrity=integrity,
        schema_differences=differences,
        source_rows={n: s.rows for n, s in real.items()}, target_rows={n: s.rows for n, s in synth.items()},
        source_sample={n: len(s.frame) for n, s in real.items()}, target_sample={n: len(s.frame) for n, s in synth.items()},
        source=redact(source_url), target=redact(target_url), seed=seed, sample_rows=sample_rows,
        seconds=time.monotonic() - started, notes=notes,
    )
