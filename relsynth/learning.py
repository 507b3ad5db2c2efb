"""Training: read the source once, learn every table in plan order, return a Run.

Each table's model learns its own columns plus helper columns that carry the relational shape:

- ``__children__<fk>``: on a parent, how many rows of a child table hang from it through the
  child's context foreign key (zero included), learned conditionally on the parent's attributes;
- ``__degree__<fk>``: on a parent, how many rows point at it through a secondary or deferred FK;
- ``__ref__<fk>``: on a child, the cluster of the parent row its secondary/deferred FK points at.

A child table's model is conditioned on its context parent's model row (attributes and helpers).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from relsynth.alongside import Alongside
from relsynth.checks import referenced_columns
from relsynth.child_counts import ChildCounts
from relsynth.clustering import ParentClusters, child_weights, fit_clusters
from relsynth.config import ExecutorKind, RelsynthConfig, TableMode
from relsynth.connections import create_engine, read_snapshot
from relsynth.executors import Executor, executor_for
from relsynth.extraction import count_rows, distinct_values
from relsynth.fitting import TASK_MODULES, TableTask, fit_model, fit_values, model_encoders, model_inputs, train_table
from relsynth.joins import counts_for, joined_with_parent, parent_lookup
from relsynth.planning import GenerationPlan, TablePlan, plan
from relsynth.progress import Progress, no_progress
from relsynth.reference import is_reference, times_seen
from relsynth.roles import Role, assign_roles
from relsynth.rules import discovery
from relsynth.rules.categories import as_categories, with_new_codes
from relsynth.rules.model import Rule
from relsynth.rules.steering import effective_rules
from relsynth.runs import Run, TableArtifact
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table
from relsynth.schema.introspection import introspect
from relsynth.training_sample import TrainingSample, choose_samples, exact_denylists
from relsynth.values import pgtypes

log = logging.getLogger(__name__)

CHILDREN = "__children__{}"
DEGREE = "__degree__{}"
REF = "__ref__{}"


def train(
    source_url: str,
    *,
    config: RelsynthConfig,
    schemas: list[str] | None = None,
    progress: Progress | None = None,
    schema: Schema | None = None,
    generation_plan: GenerationPlan | None = None,
    rules: tuple[Rule, ...] | None = None,
) -> Run:
    """Learn ``source_url``: introspect (unless ``schema`` is given), plan (unless
    ``generation_plan`` is given), read in one snapshot, train each table.

    ``rules``: the relational rules to generate by; None discovers them in the source.
    """
    progress = progress or no_progress
    schema = schema or introspect(source_url, schemas=schemas)
    generation_plan = plan(schema) if generation_plan is None else generation_plan
    engine = create_engine(source_url, read_only=True)
    try:
        # The executor's workers start while the source is read. Under differential privacy there
        # is none: the accountant spends the budget as each table trains, in this process, in turn.
        workers = nullcontext() if config.privacy.enabled else executor_for(config.executor, jobs=config.jobs, preload=TASK_MODULES)
        with workers as executor, read_snapshot(engine) as connection:
            with _timed("rules discovered" if rules is None else "rules given"):
                rules = _rules(connection, schema, config) if rules is None else tuple(rules)
            run = _train(connection, schema, generation_plan, config, progress, rules=rules, executor=executor)
            run.rules = rules
            return run
    finally:
        engine.dispose()


@dataclass
class _Training:
    """What one training run reads and builds, stage by stage (``_train`` lists the stages)."""

    connection: Connection
    schema: Schema
    plan: GenerationPlan
    config: RelsynthConfig
    progress: Progress
    rules: tuple[Rule, ...]
    fk_ids: dict[ForeignKey, int]
    table_seed: dict[QualifiedName, int]
    public: set[QualifiedName]
    row_counts: dict[QualifiedName, int]
    sample: TrainingSample
    frames: dict[QualifiedName, pd.DataFrame] = field(default_factory=dict)
    artifacts: dict[QualifiedName, TableArtifact] = field(default_factory=dict)
    model_frames: dict[QualifiedName, pd.DataFrame] = field(default_factory=dict)
    copied: dict[QualifiedName, pd.DataFrame] = field(default_factory=dict)
    holdout: dict[QualifiedName, pd.DataFrame] = field(default_factory=dict)
    holdout_masks: dict[QualifiedName, np.ndarray] = field(default_factory=dict)
    dp: Any = None  # the PrivacySession under differential privacy
    counts: ChildCounts | None = None  # children per parent key, exact, for the keys SQL counts
    executor: Executor | None = None  # runs the training tasks; None under differential privacy

    @property
    def assigned_fks(self) -> list[ForeignKey]:
        """Secondary and deferred foreign keys: assigned by parent cluster and learned degree."""
        fks = [fk for tp in self.plan.tables for fk in tp.secondary_fks]
        return fks + [d.foreign_key for d in self.plan.deferred_fks]


def _train(
    connection, schema: Schema, generation_plan: GenerationPlan, config: RelsynthConfig, progress: Progress, *,
    rules: tuple[Rule, ...] = (), executor: Executor | None = None,
) -> Run:
    seeds = np.random.SeedSequence(config.seed).spawn(len(generation_plan.tables))
    modes = _modes(schema, config)
    # Exact row counts come from SQL; large tables are read as whole families of units the
    # database samples (training_sample.py).
    with _timed("rows counted"):
        row_counts = {tp.table: count_rows(connection, tp.table) for tp in generation_plan.tables}
    synthesized = {name for name, mode in modes.items() if mode is TableMode.SYNTHESIZE}
    state = _Training(
        connection, schema, generation_plan, config, progress, rules,
        fk_ids={fk: index for index, fk in enumerate(schema.foreign_keys)},
        table_seed={tp.table: int(seq.generate_state(1)[0]) for tp, seq in zip(generation_plan.tables, seeds, strict=True)},
        public=_public_tables(schema, config), row_counts=row_counts,
        sample=TrainingSample(choose_samples(generation_plan, row_counts, synthesized, max_rows=config.max_training_rows)),
        executor=executor,
    )
    with _timed("tables read"):
        for table_plan in generation_plan.tables:  # 1. read every table and decide each column's role
            _read_table(state, schema.table(table_plan.table), modes[table_plan.table])
    # Differential privacy: bound each unit's rows, plan the budget (fails here when impossible).
    state.dp = _privacy_session(schema, generation_plan, state.frames, state.artifacts, config)
    state.counts = _child_counter(state)
    _model_frames(state)  # 2. each table's model columns plus the relational helpers
    with _timed("children per parent counted"):
        _children_counts(state)
    with _timed("parents clustered, references and degrees counted"):
        _clusters_and_refs(state)
    _keep_copied(state)
    _hold_out(state)
    with _timed("tables trained"):
        return _fit_tables(state)  # 3. train in plan order, each child conditioned on its context parent


@contextmanager
def _timed(stage: str) -> Iterator[None]:
    """Log (``--verbose``) how long a stage took: where the time goes on a large source."""
    started = time.perf_counter()
    yield
    log.info("training: %s in %.1f s", stage, time.perf_counter() - started)


def _modes(schema: Schema, config: RelsynthConfig) -> dict[QualifiedName, TableMode]:
    return {t.name: config.override_for(str(t.name)).mode or TableMode.SYNTHESIZE for t in schema.tables}


def _read_table(state: _Training, table: Table, mode: TableMode) -> None:
    """Read ``table`` (whole, or its share of the sample) and decide each column's role."""
    config, override = state.config, state.config.override_for(str(table.name))
    state.progress("read", str(table.name), 0.0)
    rows = state.row_counts[table.name]
    domains = {d.name: d for d in state.schema.domains}
    columns = tuple(assign_roles(table, pd.DataFrame(), override, domains))
    readable = [c.name for c in columns if c.role not in (Role.COMPUTED, Role.KEEP_OUT)]
    if mode in (TableMode.EMPTY, TableMode.EXCLUDE):
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in readable})
    else:
        limit = None if mode is TableMode.COPY else config.max_training_rows
        frame = state.sample.read(state.connection, table, columns=readable, max_rows=limit, seed=state.table_seed[table.name])
        frame = pgtypes.as_literals(table, frame)  # ranges and shapes as literal text, not driver objects
    state.frames[table.name] = frame
    # Under differential privacy a private table's roles come from the schema and column names
    # alone: a choice made by looking at its values would escape the accountant.
    sample = frame if table.name in state.public else pd.DataFrame()
    columns = assign_roles(table, sample, override, domains, min_count=config.privacy.min_count)
    if config.privacy.epsilon is None:  # code columns as categories (under DP roles read no values)
        columns = as_categories(columns, table.name, state.rules, override, frame=frame, min_count=config.privacy.min_count)
    # Under DP only a public table may be copied, its references counted from public children
    # alone: a count of a private table's rows would escape the accountant.
    automatic = override.mode is None and table.name in state.public
    copied_tables = {n for n, a in state.artifacts.items() if a.mode is TableMode.COPY}
    weights = (
        times_seen(state.connection, state.schema, table, frame, state.public)
        if automatic and 0 < rows <= config.reference_max_rows else None
    )
    if automatic and is_reference(table, columns, frame, rows, config, copied_tables, weights):
        log.info("%s looks like reference data: copied as it is", table.name)
        mode = TableMode.COPY
    state.artifacts[table.name] = TableArtifact(table=table.name, mode=mode, source_rows=rows, columns=columns)
    state.progress("read", str(table.name), 1.0)


def _model_frames(state: _Training) -> None:
    for name, artifact in state.artifacts.items():
        own = state.frames[name][[c.name for c in artifact.columns if c.role is Role.MODEL]]
        state.model_frames[name] = pgtypes.decompose(state.schema.table(name), own).reset_index(drop=True)


def _children_counts(state: _Training) -> None:
    """Each parent learns how many children it has under every context foreign key."""
    dp, frames, model_frames, artifacts = state.dp, state.frames, state.model_frames, state.artifacts
    for table_plan in state.plan.tables:
        child, fk = table_plan.table, table_plan.context_fk
        if fk is None:
            continue
        counts = _child_counts(state, child, fk)
        column = CHILDREN.format(state.fk_ids[fk])
        parent = fk.referred_table
        model_frames[parent][column] = counts_for(frames[parent], fk, counts)
        if dp is not None:
            model_frames[parent][column] = dp.helper_counts(child, parent, model_frames[parent][column].to_numpy())
        artifacts[parent].children[state.fk_ids[fk]] = column
        null_rows = counts[counts[list(fk.constrained_columns)].isna().any(axis=1)]["__count"].sum()
        artifacts[child].null_context_rows = int(null_rows) if dp is None else dp.noisy_null_rows(child, int(null_rows))


def _clusters_and_refs(state: _Training) -> None:
    """Secondary and deferred keys: each parent learns its degree and is clustered on what its
    children depend on; each child learns which cluster its parent is in."""
    dp, frames, model_frames, artifacts = state.dp, state.frames, state.model_frames, state.artifacts
    assigned_fks = state.assigned_fks
    clusters: dict[QualifiedName, ParentClusters] = {}
    for fk in assigned_fks:
        parent = fk.referred_table
        counts = _child_counts(state, fk.table, fk)
        column = DEGREE.format(state.fk_ids[fk])
        model_frames[parent][column] = counts_for(frames[parent], fk, counts)
        if dp is not None:
            model_frames[parent][column] = dp.helper_counts(fk.table, parent, model_frames[parent][column].to_numpy())
        artifacts[parent].degrees[state.fk_ids[fk]] = column
        if parent not in clusters:
            clusters[parent] = _parent_clusters(state, parent, assigned_fks)
            artifacts[parent].clusters = clusters[parent].to_dict()
    labels = {
        name: pd.DataFrame({"__cluster": [f"c{i}" for i in found.assign(model_frames[name])]})
        for name, found in clusters.items()
    }
    for fk in assigned_fks:
        column = REF.format(state.fk_ids[fk])
        found = parent_lookup(frames[fk.table], fk, frames[fk.referred_table], labels[fk.referred_table])
        model_frames[fk.table][column] = found["__cluster"].to_numpy()
        artifacts[fk.table].refs[state.fk_ids[fk]] = column


def _parent_clusters(state: _Training, parent: QualifiedName, assigned_fks: list[ForeignKey]) -> ParentClusters:
    own = [c for c in state.model_frames[parent].columns if not c.startswith("__")]
    if state.dp is not None and state.dp.is_private(parent):  # one cluster: k-means on private rows is not DP
        return ParentClusters({}, {}, centroids=((0.0,),))
    weights = None
    if state.dp is None:  # the weights read the children's rows, which may be private under DP
        joined = [
            joined_with_parent(state.frames, state.model_frames, f, own) for f in assigned_fks if f.referred_table == parent
        ]
        weights = child_weights(state.model_frames[parent][own], joined)
    return fit_clusters(state.model_frames[parent][own], seed=state.table_seed[parent], weights=weights)


def _keep_copied(state: _Training) -> None:
    """Reference tables in copy mode keep their rows, with the helpers their children need."""
    for name, artifact in state.artifacts.items():
        if artifact.mode is TableMode.COPY:
            # helpers, and the parts of ranges and shapes, which a child's model reads as context
            model_frame, frame = state.model_frames[name], state.frames[name]
            helpers = model_frame[[c for c in model_frame.columns if c not in frame.columns]]
            state.copied[name] = pd.concat([frame.reset_index(drop=True), helpers], axis=1)
            artifact.model_columns = tuple(model_frame.columns)


def _hold_out(state: _Training) -> None:
    """Rows kept out of training, for the report's distance and membership figures. Under
    differential privacy the run may be shared, so it holds no real rows."""
    config = state.config
    for name, artifact in state.artifacts.items():
        frame = state.frames[name]
        rows = len(frame)
        private = config.privacy.epsilon is not None
        if artifact.mode is TableMode.SYNTHESIZE and config.holdout_fraction > 0 and rows >= config.holdout_min_rows and not private:
            mask = np.zeros(rows, dtype=bool)
            mask[np.random.default_rng(state.table_seed[name] + 1).choice(rows, int(rows * config.holdout_fraction), replace=False)] = True
            state.holdout_masks[name] = mask
            plain = [c.name for c in artifact.columns if c.role not in (Role.KEY, Role.FOREIGN_KEY)]
            state.holdout[name] = frame.loc[mask, [c for c in plain if c in frame.columns]].reset_index(drop=True)


def _fit_tables(state: _Training) -> Run:
    """Train every table, each child conditioned on its context parent's model row."""
    config = state.config
    run = Run(schema=state.schema, plan=state.plan, config=config, tables={}, copied=state.copied, holdout=state.holdout)
    synthesized = [tp for tp in state.plan.tables if state.artifacts[tp.table].mode is TableMode.SYNTHESIZE]
    if state.dp is None:
        seconds = _fit_on_executor(state, synthesized)
    else:  # the accountant spends the budget as each table trains: in this process, in plan order
        seconds = {tp.table: _fit_private(state, tp) for tp in synthesized}
        run.privacy = state.dp.summary()
    for table_plan in state.plan.tables:
        run.training_seconds[str(table_plan.table)] = seconds.get(table_plan.table, 0.0)
        run.tables[table_plan.table] = state.artifacts[table_plan.table]
    return run


def _fit_on_executor(state: _Training, synthesized: list[TablePlan]) -> dict[QualifiedName, float]:
    """Cut training into one task per table and run them on the configured executor; seconds
    per table. Progress is told per table as its task ends: tasks may run in other processes."""
    tasks = _table_tasks(state, synthesized)
    for task in tasks:
        state.progress("train", str(task.table.name), 0.0)
    ordered = sorted(tasks, key=lambda task: -task.work)  # the largest first: the last to end is small
    seconds = {}
    executor = state.executor or executor_for(ExecutorKind.LOCAL, jobs=1)
    # The whole table's denylists are counted by the database while the next tables train.
    with Alongside(state.connection) as alongside:
        for trained in executor.map(train_table, ordered):
            name = trained.artifact.table
            if state.sample.is_sampled(name):  # the denylists of the whole table, not the sample's
                alongside.submit(_exact_denylists, state.schema.table(name), trained.artifact.values, min_count=state.config.privacy.min_count)
            state.artifacts[name], seconds[name] = trained.artifact, trained.seconds
            # a code column's rare codes decode to new codes, none a rare value of the whole table (reads it)
            _new_codes(state, state.schema.table(name), trained.artifact, state.table_seed[name])
            state.progress("train", str(name), 1.0)
    return seconds


def _exact_denylists(connection: Connection, table: Table, values: dict, *, min_count: int) -> None:
    with _timed(f"{table.name}: whole-table denylists counted"):
        exact_denylists(connection, table, values, min_count=min_count)


def _table_tasks(state: _Training, synthesized: list[TablePlan]) -> list[TableTask]:
    """One task per table, in plan order. Each table's encoders are fitted here, before any
    training: a child's context is encoded with its parent's encoders, which it then need not
    wait for. Tables train on real rows only, so no task waits for another."""
    encoders: dict[QualifiedName, dict] = {}  # each trained table's own encoders, by column
    tasks = []
    for table_plan in synthesized:
        name, fk = table_plan.table, table_plan.context_fk
        table, artifact = state.schema.table(name), state.artifacts[name]
        inputs = model_inputs(artifact, table, state.schema, fk, state.model_frames, state.frames, holdout=state.holdout_masks.get(name))
        fitted = model_encoders(inputs, state.config, encoders.get(fk.referred_table, {}) if fk is not None else {})
        encoders[name] = fitted.by_column()
        inputs.parent_frame = None  # read by the context's encoders only, fitted now: not sent along
        tasks.append(TableTask(artifact, table, state.schema, state.frames[name], inputs, fitted, state.config, state.table_seed[name]))
    return tasks


def _fit_private(state: _Training, table_plan: TablePlan) -> float:
    """Train one table under differential privacy, in this process; its seconds."""
    name, dp, config = table_plan.table, state.dp, state.config
    table, artifact = state.schema.table(name), state.artifacts[name]
    started = time.perf_counter()
    private = dp.is_private(name)  # private: generators fitted on no rows
    frame = state.frames[name]
    fit_values(artifact, table, frame.iloc[:0] if private else frame, config, state.table_seed[name], state.schema)
    if state.sample.is_sampled(name) and not private:  # the denylists of the whole table, not the sample's
        exact_denylists(state.connection, table, artifact.values, min_count=config.privacy.min_count)
    inputs = model_inputs(artifact, table, state.schema, table_plan.context_fk, state.model_frames, state.frames, dp=dp,
                          holdout=state.holdout_masks.get(name))
    parent = state.artifacts.get(table_plan.context_fk.referred_table) if table_plan.context_fk is not None else None
    state.progress("train", str(name), 0.0)
    fit_model(
        artifact, inputs, config, state.table_seed[name],
        parent_encoders={e.spec.name: e for e in parent.model.encoders} if parent is not None and parent.model is not None else {},
        privacy=dp.component(name, inputs.keep),
        on_epoch=lambda epoch, loss: state.progress("train", str(name), min(0.99, epoch / max(1, config.model.epochs))),
    )
    state.progress("train", str(name), 1.0)
    return round(time.perf_counter() - started, 3)


def _new_codes(state: _Training, table: Table, artifact: TableArtifact, seed: int) -> None:
    """New codes for each code column's rare codes, none equal to a rare value of the whole table."""
    k, frame = state.config.privacy.min_count, state.frames[table.name]
    override = state.config.override_for(str(table.name))

    def rare_in_table(column: str) -> set[str]:  # a sample may lack a rare value: the table's own are avoided
        return {str(v) for chunk in distinct_values(state.connection, table, column, seen_fewer_than=k) for v in chunk}

    # a column a CHECK or a domain reads keeps its rare codes as kept ones: a new code might break it
    checked = {c for check in table.check_constraints
               for c in (referenced_columns(check.sqltext, dialect=state.schema.dialect) or table.column_names)}
    checked |= {c.name for c in table.columns if c.type.domain}
    sampled = state.sample.is_sampled(table.name)
    with_new_codes(artifact.model, table.name, state.rules, override, frame, min_count=k, seed=seed,
                   rare_elsewhere=rare_in_table if sampled else None, checked=checked)


def _rules(connection, schema: Schema, config: RelsynthConfig) -> tuple[Rule, ...]:
    """The rules discovered in the source as the config steers them (``[rules]``, ``[[rules.rule]]``).

    Under differential privacy only the config's own rules: the accountant does not count what
    discovery reads (a rule's support is a statistic of the private rows).
    """
    discovered = () if config.privacy.epsilon is not None else discovery.discover(connection, schema)
    return effective_rules(discovered, config)


def _public_tables(schema: Schema, config: RelsynthConfig) -> set[QualifiedName]:
    """Tables whose values roles may read: all without DP; under DP, those outside the unit's
    tree (public data), known once the unit is (a proposed unit is found later: then none)."""
    if not config.privacy.enabled:
        return set(schema.table_names)
    if config.privacy.unit is None:
        return set()
    from relsynth.privacy.units import resolve_table, unit_tree

    tree = unit_tree(schema, resolve_table(schema, config.privacy.unit), max_children=config.privacy.max_children)
    return {t.name for t in schema.tables if not tree.is_private(t.name)}


def _privacy_session(schema: Schema, generation_plan: GenerationPlan, frames, artifacts, config: RelsynthConfig):
    """A PrivacySession when ``config.privacy`` sets an epsilon, else None."""
    if not config.privacy.enabled:
        return None
    from relsynth.privacy.session import PrivacySession

    return PrivacySession(
        schema=schema,
        config=config.privacy,
        frames=frames,
        artifacts=artifacts,
        context_fks={tp.table: tp.context_fk for tp in generation_plan.tables},
        assigned_fks=[fk for tp in generation_plan.tables for fk in tp.secondary_fks] + [d.foreign_key for d in generation_plan.deferred_fks],
        seed=config.seed,
        explicit_copy={t.name for t in schema.tables if config.override_for(str(t.name)).mode is TableMode.COPY},
    )


def _child_counter(state: _Training) -> ChildCounts:
    """Counts for each context and assigned foreign key whose child is not private (under
    differential privacy those come from its bounded rows: ``_child_counts``)."""
    fks = [tp.context_fk for tp in state.plan.tables if tp.context_fk is not None] + state.assigned_fks
    public = [fk for fk in fks if state.dp is None or not state.dp.is_private(fk.table)]
    return ChildCounts(state.connection, state.schema, state.sample, public, families=state.dp is None)


def _child_counts(state: _Training, child: QualifiedName, fk: ForeignKey) -> pd.DataFrame:
    """Children per parent key: from the bounded rows of a private child, else exact."""
    counts = state.dp.children_counts(state.frames, child, fk) if state.dp is not None else None
    return counts if counts is not None else state.counts(fk)

