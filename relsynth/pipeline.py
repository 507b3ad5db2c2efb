"""The public verbs, composed from the stages: introspect, plan, train, generate, load, report, clone."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from relsynth import preflight
from relsynth.config import RelsynthConfig, TableMode, resolve_table_names
from relsynth.errors import ConfigurationError
from relsynth.identity import DatabaseIdentity
from relsynth.interrupts import terminate_as_interrupt
from relsynth.loaders import load_frame
from relsynth.loaders.atomic import write_target
from relsynth.progress import Progress, no_progress
from relsynth.runs import Run, check_workspace, load_run, save_run
from relsynth.schema.ddl import SchemaWriter
from relsynth.schema.elements import QualifiedName, Schema
from relsynth.schema.introspection import introspect

if TYPE_CHECKING:  # training and generation import torch and scikit-learn: on first use only
    from relsynth.generation import SyntheticDatabase
    from relsynth.planning import GenerationPlan
    from relsynth.reporting import Gate, Report

log = logging.getLogger(__name__)


@dataclass
class LoadResult:
    rows: dict[str, int]
    warnings: tuple[str, ...]


@dataclass
class CloneResult:
    rows: dict[str, int]
    seconds: dict[str, float]  # per stage
    warnings: list[str] = field(default_factory=list)
    workspace: Path | None = None
    run: Run | None = None  # what was trained (or loaded), for the report's holdout and budget
    rare_rows: dict[str, dict[str, int]] = field(default_factory=dict)  # SyntheticDatabase.rare_rows, for the report


def without_excluded(schema: Schema, config: RelsynthConfig) -> tuple[Schema, list[str]]:
    """The schema minus tables in ``exclude`` mode, and the foreign keys that pointed at them."""
    excluded = {t.name for t in schema.tables if config.override_for(str(t.name)).mode is TableMode.EXCLUDE}
    if not excluded:
        return schema, []
    warnings = []
    tables = []
    for table in schema.tables:
        if table.name in excluded:
            continue
        kept = tuple(fk for fk in table.foreign_keys if fk.referred_table not in excluded)
        warnings += [f"foreign key {fk.label} is dropped: its parent table is excluded" for fk in table.foreign_keys if fk not in kept]
        tables.append(replace(table, foreign_keys=kept))
    return replace(schema, tables=tuple(tables)), warnings


def train(
    source_url: str,
    *,
    workspace: Path | str | None = None,
    config: RelsynthConfig | None = None,
    schemas: list[str] | None = None,
    schema: Schema | None = None,
    plan: GenerationPlan | None = None,
    progress: Progress | None = None,
    replace_workspace: bool = False,
) -> Run:
    """Learn the source database; save the run under ``workspace`` when given.

    ``schema`` (what ``introspect`` returned) and ``plan`` (what ``plan`` made of it) are computed
    when absent. A workspace that already holds a run is refused before any training, unless
    ``replace_workspace``: then the previous run's files are removed as the new run is saved.
    """
    config = (config or RelsynthConfig()).validated()
    if workspace is not None:
        check_workspace(Path(workspace), replace=replace_workspace)
    source = preflight.probe_source(source_url, schemas)
    schema, config = _read_source(source_url, source, config, schemas, schema=schema)
    return _learn(source_url, source, schema, config, plan=plan, workspace=workspace, progress=progress,
                  replace_workspace=replace_workspace)


def _read_source(
    source_url: str, source: preflight.SourceFacts, config: RelsynthConfig, schemas: list[str] | None,
    *, schema: Schema | None = None,
) -> tuple[Schema, RelsynthConfig]:
    """The source's schema (introspected unless given; refused when it holds no table) and
    ``config`` with its table names checked against it, before a single row is read."""
    schema = schema if schema is not None else introspect(source_url, schemas=schemas)
    preflight.require_tables(schema, source_url, schemas)
    return schema, resolve_table_names(config, schema, source.default_namespace)


def _learn(
    source_url: str,
    source: preflight.SourceFacts,
    schema: Schema,
    config: RelsynthConfig,
    *,
    plan: GenerationPlan | None = None,
    workspace: Path | str | None,
    progress: Progress | None,
    replace_workspace: bool = False,
) -> Run:
    from relsynth.learning import train as learn  # torch: only when a model is trained

    if plan is not None and {t.table for t in plan.tables} != set(schema.table_names):
        raise ConfigurationError(
            "the plan was made for another schema than the source's: make it with relsynth.plan(schema) "
            "from the schema being trained, or pass no plan"
        )
    run = learn(source_url, config=config, progress=progress, schema=schema, generation_plan=plan)
    run.source = source.identity.to_dict() if source.identity else None  # generate refuses to write it
    if workspace is not None:
        save_run(run, Path(workspace), replace=replace_workspace)
    return run


@dataclass
class GeneratedRows:
    """A run's synthetic rows: a stream of (table, rows) batches in plan order, to consume once.

    ``schema`` is what ``load`` creates (the run's schema less excluded tables); ``result`` holds
    the generator's warnings and its dropped and rare rows, complete once the stream is consumed.
    """

    schema: Schema
    result: SyntheticDatabase
    batches: Iterator[tuple[QualifiedName, pd.DataFrame]]
    warnings: list[str] = field(default_factory=list)  # foreign keys dropped with excluded tables

    def __iter__(self) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        return self.batches


def generate(run: Run, *, scale: float | None = None, seed: int | None = None, progress: Progress | None = None) -> GeneratedRows:
    """Stream synthetic rows from a trained run, parents first; nothing is written anywhere."""
    from relsynth.generation import generate_stream  # torch: only when a model is sampled
    from relsynth.generation_memory import with_frozen_heap

    schema, warnings = without_excluded(run.schema, run.config)
    generator, stream = generate_stream(run, scale=scale, seed=seed, progress=progress)
    return GeneratedRows(schema=schema, result=generator.result, batches=with_frozen_heap(stream), warnings=warnings)


def load(
    data: GeneratedRows | SyntheticDatabase | Iterable[tuple[QualifiedName, pd.DataFrame]],
    target_url: str,
    *,
    schema: Schema | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> LoadResult:
    """Create the schema in the target and load ``data``: tables, rows, then keys and indexes.

    ``data`` is what ``generate`` returned (it knows its schema), a generated database, or any
    stream of (table, rows) with the ``schema`` to create; a stream is consumed as it comes, so
    that only one table's rows are in memory at a time.

    All or nothing on every engine (``relsynth.loaders.atomic``): after a failure, Ctrl-C or
    SIGTERM the target is as it was, with ``replace`` its previous tables and rows included.
    The target verifies every constraint as it is created (SQLite: ``foreign_key_check``).
    """
    schema = schema if schema is not None else getattr(data, "schema", None)
    if schema is None:
        raise ConfigurationError("load needs the schema to create: pass schema=..., or load what relsynth.generate returned")
    progress = progress or no_progress
    rows: dict[str, int] = {}
    loadable = set(schema.table_names)

    def write_rows(connection: sa.Connection, writer: SchemaWriter) -> None:
        tables = data.tables.items() if isinstance(getattr(data, "tables", None), Mapping) else data
        for name, frame in tables:
            if name not in loadable:
                continue
            progress("load", str(name), 0.0)
            written = load_frame(connection, schema.table(name), frame, target_name=writer.table_name(name))
            rows[str(name)] = rows.get(str(name), 0) + written  # a table may come in several batches
            del frame  # not held while the next table is generated
            progress("load", str(name), 1.0)

    with terminate_as_interrupt():
        warnings = write_target(target_url, schema, write_rows, replace=replace)
    return LoadResult(rows=rows, warnings=warnings)


class _Stopwatch:
    """Time spent inside an iterator, so interleaved generation and loading are timed apart."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def timed(self, items: Iterable):
        iterator = iter(items)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                self.seconds += time.perf_counter() - started
                return
            self.seconds += time.perf_counter() - started
            yield item
            del item  # the consumer is done with it: not held while the next one is made


def clone(
    source_url: str,
    target_url: str,
    *,
    config: RelsynthConfig | None = None,
    workspace: Path | str | None = None,
    schemas: list[str] | None = None,
    replace: bool = False,
    schema_only: bool = False,
    create_target: bool = False,
    progress: Progress | None = None,
    replace_workspace: bool = False,
) -> CloneResult:
    """Learn ``source_url`` and write a synthetic clone into ``target_url``.

    Everything that would make the clone fail on the target is checked before the source is read:
    the target is not the source (whatever the URLs look like), exists (or is created with
    ``create_target``), accepts new tables, and holds none of them unless ``replace``.
    """
    config = (config or RelsynthConfig()).validated()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if workspace is not None and not schema_only:
        check_workspace(Path(workspace), replace=replace_workspace)
    source = preflight.probe_source(source_url, schemas)
    namespaces = preflight.namespaces_written(schemas, source.default_namespace)
    sources = [source.identity] if source.identity else []
    preflight.check_target(target_url, sources=sources, create=create_target, namespaces=namespaces)
    full_schema, config = _read_source(source_url, source, config, schemas)
    schema, warnings = without_excluded(full_schema, config)
    if schema_only:
        seconds["introspect"] = round(time.perf_counter() - started, 3)
        result = load((), target_url, schema=schema, replace=replace)  # all or nothing, as a full clone
        seconds["schema"] = round(time.perf_counter() - started - seconds["introspect"], 3)
        return CloneResult(rows={}, seconds=seconds, warnings=warnings + list(result.warnings))
    if not replace:
        preflight.check_no_clashes(schema, target_url)
    run = _learn(source_url, source, full_schema, config, workspace=workspace, progress=progress, replace_workspace=replace_workspace)
    seconds["train"] = round(time.perf_counter() - started, 3)
    return _generate_and_load(run, target_url, replace=replace, progress=progress, seconds=seconds, workspace=workspace)


def generate_into(
    workspace: Path | str,
    target_url: str,
    *,
    scale: float | None = None,
    seed: int | None = None,
    replace: bool = False,
    create_target: bool = False,
    progress: Progress | None = None,
) -> CloneResult:
    """Generate from a saved run (no access to the source) and load into ``target_url``.

    The target is checked first, as in ``clone``; the database the run was trained from, while it
    is still there, is refused as a target.
    """
    run = load_run(Path(workspace))
    recorded = DatabaseIdentity.from_dict(run.source)
    sources = [recorded] if recorded is not None and recorded.still_present() else []
    preflight.check_target(target_url, sources=sources, create=create_target, namespaces=run.schema.namespaces)
    if not replace:
        preflight.check_no_clashes(without_excluded(run.schema, run.config)[0], target_url)
    return _generate_and_load(run, target_url, scale=scale, seed=seed, replace=replace, progress=progress, seconds={}, workspace=workspace)


def _generate_and_load(
    run: Run,
    target_url: str,
    *,
    scale: float | None = None,
    seed: int | None = None,
    replace: bool,
    progress: Progress | None,
    seconds: dict[str, float],
    workspace: Path | str | None,
) -> CloneResult:
    rows = generate(run, scale=scale, seed=seed, progress=progress)
    generating = _Stopwatch()
    started = time.perf_counter()
    result = load(generating.timed(rows), target_url, schema=rows.schema, replace=replace, progress=progress)
    seconds["generate"] = round(generating.seconds, 3)
    seconds["load"] = round(time.perf_counter() - started - generating.seconds, 3)
    data = rows.result
    warnings = list(rows.warnings)
    warnings += list(run.plan.warnings) + list(result.warnings) + data.warnings
    warnings += [f"{table}: {count} generated row(s) dropped to keep a constraint" for table, count in data.dropped_rows.items()]
    return CloneResult(
        rows=result.rows, seconds=seconds, warnings=warnings, workspace=Path(workspace) if workspace else None, run=run,
        rare_rows=data.rare_rows,
    )


@dataclass(frozen=True)
class CloneReport:
    """A clone measured against its source, judged by the thresholds, with the run's privacy."""

    report: Report
    gate: Gate
    privacy: tuple[str, ...] = ()  # the run's guarantee (or its absence), one line each; empty without a run

    @property
    def failures(self) -> list[str]:
        return self.gate.failures

    def terminal(self):
        """The report as a rich renderable, for a terminal."""
        from relsynth.reporting import render_terminal

        return render_terminal(self.report, gate=self.gate)

    def html(self) -> str:
        """The report as one self-contained HTML page."""
        from relsynth.reporting import render_html

        return render_html(self.report, gate=self.gate)

    def to_json(self) -> str:
        return self.report.to_json()


def report(
    source_url: str,
    target_url: str,
    *,
    run: Run | None = None,
    config: RelsynthConfig | None = None,
    scale: float | None = None,
    utility_targets: Sequence[str] | None = None,
    rare_rows: Mapping[str, Mapping[str, int]] | None = None,
    fail_under: Mapping[str, float] | None = None,
    fail_over: Mapping[str, float] | None = None,
) -> CloneReport:
    """Measure the clone at ``target_url`` against ``source_url`` (both only read) and judge it.

    ``run`` (the trained run) brings its holdout (distance and membership figures), its DP
    budget, each table's mode and, when ``scale`` is None, its configured scale. ``config`` gives
    the seed; utility targets and thresholds come from the arguments, else from its [report]
    section, over the default limits. ``rare_rows`` is ``CloneResult.rare_rows``.
    """
    from relsynth.privacy.accountant import describe
    from relsynth.reporting import build_report, evaluate
    from relsynth.reporting.completeness import modes_from_run

    config = config or RelsynthConfig()
    measured = build_report(
        source_url, target_url, seed=config.seed, sample_rows=config.report_sample_rows,
        holdout=run.holdout if run is not None else None,
        copied=tuple(run.copied) if run is not None else (),
        epsilon=run.privacy["epsilon"] if run is not None and run.privacy else None,
        delta=run.privacy["delta"] if run is not None and run.privacy else None,
        scale=scale if scale is not None else run.config.scale if run is not None else None,
        scale_basis="given" if scale is not None else "workspace",
        modes=modes_from_run(run) if run is not None else None,
        utility_targets=tuple(utility_targets or config.report_utility_targets),
        # the generator's own identifying columns and k, so the report measures what generation did
        identifying_columns=run.identifying_columns() if run is not None else None,
        min_count=(run.config if run is not None else config).privacy.min_count, rare_rows=rare_rows,
        rules=run.rules if run is not None else None, rules_config=config.rules,
    )
    gate = evaluate(measured, fail_under=fail_under or config.report_fail_under, fail_over=fail_over or config.report_fail_over)
    return CloneReport(report=measured, gate=gate, privacy=tuple(describe(run.privacy)) if run is not None else ())
