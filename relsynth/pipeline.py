"""The public verbs, composed from the stages: introspect, plan, train, generate, load, clone."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from relsynth import preflight
from relsynth.config import RelsynthConfig, TableMode, resolve_table_names
from relsynth.generation import SyntheticDatabase, generate_stream
from relsynth.identity import DatabaseIdentity
from relsynth.interrupts import terminate_as_interrupt
from relsynth.learning import train as learn
from relsynth.loaders import load_frame
from relsynth.loaders.atomic import write_target
from relsynth.progress import Progress, no_progress
from relsynth.runs import Run, check_workspace, load_run, save_run
from relsynth.schema.ddl import SchemaWriter
from relsynth.schema.elements import QualifiedName, Schema
from relsynth.schema.introspection import introspect

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
    progress: Progress | None = None,
    replace_workspace: bool = False,
) -> Run:
    """Learn the source database; save the run under ``workspace`` when given.

    A workspace that already holds a run is refused before any training, unless
    ``replace_workspace``: then the previous run's files are removed as the new run is saved.
    """
    config = (config or RelsynthConfig()).validated()
    if workspace is not None:
        check_workspace(Path(workspace), replace=replace_workspace)
    source = preflight.probe_source(source_url, schemas)
    schema, config = _read_source(source_url, source, config, schemas)
    return _learn(source_url, source, schema, config, schemas=schemas, workspace=workspace, progress=progress, replace_workspace=replace_workspace)


def _read_source(
    source_url: str, source: preflight.SourceFacts, config: RelsynthConfig, schemas: list[str] | None
) -> tuple[Schema, RelsynthConfig]:
    """The source's schema (refused when it holds no table) and ``config`` with its table names
    checked against it, before a single row is read."""
    schema = introspect(source_url, schemas=schemas)
    preflight.require_tables(schema, source_url, schemas)
    return schema, resolve_table_names(config, schema, source.default_namespace)


def _learn(
    source_url: str,
    source: preflight.SourceFacts,
    schema: Schema,
    config: RelsynthConfig,
    *,
    schemas: list[str] | None,
    workspace: Path | str | None,
    progress: Progress | None,
    replace_workspace: bool = False,
) -> Run:
    run = learn(source_url, config=config, schemas=schemas, progress=progress, schema=schema)
    run.source = source.identity.to_dict() if source.identity else None  # generate refuses to write it
    if workspace is not None:
        save_run(run, Path(workspace), replace=replace_workspace)
    return run


def load(
    data: SyntheticDatabase | Iterable[tuple[QualifiedName, pd.DataFrame]],
    target_url: str,
    *,
    schema: Schema,
    replace: bool = False,
    progress: Progress | None = None,
) -> LoadResult:
    """Create the schema in the target and load ``data``: tables, rows, then keys and indexes.

    ``data`` is a generated database, or a stream of (table, rows) that is consumed as it comes,
    so that only one table's rows are in memory at a time.

    All or nothing on every engine (``relsynth.loaders.atomic``): after a failure, Ctrl-C or
    SIGTERM the target is as it was, with ``replace`` its previous tables and rows included.
    The target verifies every constraint as it is created (SQLite: ``foreign_key_check``).
    """
    progress = progress or no_progress
    rows: dict[str, int] = {}
    loadable = set(schema.table_names)

    def write_rows(connection: sa.Connection, writer: SchemaWriter) -> None:
        tables = data.tables.items() if isinstance(data, SyntheticDatabase) else data
        for name, frame in tables:
            if name not in loadable:
                continue
            progress("load", str(name), 0.0)
            rows[str(name)] = load_frame(connection, schema.table(name), frame, target_name=writer.table_name(name))
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
    run = _learn(source_url, source, full_schema, config, schemas=schemas, workspace=workspace, progress=progress, replace_workspace=replace_workspace)
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
    schema, warnings = without_excluded(run.schema, run.config)
    generator, stream = generate_stream(run, scale=scale, seed=seed, progress=progress)
    generating = _Stopwatch()
    started = time.perf_counter()
    result = load(generating.timed(stream), target_url, schema=schema, replace=replace, progress=progress)
    seconds["generate"] = round(generating.seconds, 3)
    seconds["load"] = round(time.perf_counter() - started - generating.seconds, 3)
    data = generator.result
    warnings += list(run.plan.warnings) + list(result.warnings) + data.warnings
    warnings += [f"{table}: {count} generated row(s) dropped to keep a constraint" for table, count in data.dropped_rows.items()]
    return CloneResult(
        rows=result.rows, seconds=seconds, warnings=warnings, workspace=Path(workspace) if workspace else None, run=run,
        rare_rows=data.rare_rows,
    )
