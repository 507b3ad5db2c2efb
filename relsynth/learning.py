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
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pandas as pd

from relsynth.checks import column_bounds
from relsynth.clustering import ParentClusters, child_weights, fit_clusters
from relsynth.config import RelsynthConfig, TableMode
from relsynth.connections import create_engine, read_snapshot
from relsynth.extraction import children_per_parent, count_rows
from relsynth.modeling import ColumnSpec, TableModel
from relsynth.modeling.encoding import MIN_EXACT_COUNT, NUMERIC_KINDS
from relsynth.planning import GenerationPlan, plan
from relsynth.progress import Progress, no_progress
from relsynth.reference import is_reference, times_seen
from relsynth.roles import Role, assign_roles
from relsynth.rules import discovery
from relsynth.rules.categories import as_categories
from relsynth.rules.model import Rule
from relsynth.rules.steering import effective_rules
from relsynth.runs import Run, TableArtifact
from relsynth.schema.elements import ForeignKey, QualifiedName, Schema, Table, TypeKind
from relsynth.schema.introspection import introspect
from relsynth.training_sample import TrainingSample, choose_samples, exact_denylists
from relsynth.values import families, identifying, keys, opaque, pgtypes, text
from relsynth.values.detection import COMMON_VALUE_KINDS, is_birth_date
from relsynth.values.rarity import calendar_day, fingerprint, rare_values, row_fingerprints

log = logging.getLogger(__name__)

CHILDREN = "__children__{}"
DEGREE = "__degree__{}"
REF = "__ref__{}"


def _rare_rows(frame: pd.DataFrame, columns: list[str], min_count: int = MIN_EXACT_COUNT) -> list[str]:
    """Fingerprints of the value combinations seen fewer than ``min_count`` times: a generated
    row equal to one of them would copy a record that stands out in the source, so it is redrawn.
    Combinations shared by several rows are safe to repeat (and a faithful model must)."""
    if not columns or frame.empty or min_count <= 1:
        return []
    counts = pd.Series(row_fingerprints(frame, columns)).value_counts()
    return sorted(counts.index[counts < min_count])


def _domain_checks(schema: Schema, table: Table) -> list[tuple[str, str]]:
    """(sqltext, column) for every domain CHECK that applies to a column of ``table``."""
    domains = {d.name: d for d in schema.domains}
    found = []
    for column in table.columns:
        domain = domains.get(column.type.domain) if column.type.domain else None
        for check in domain.checks if domain else ():
            found.append((check.sqltext, column.name))
    return found


def _spec(
    table: Table, column: str, bounds: dict[str, tuple[float | None, float | None]], values: pd.Series | None = None
) -> ColumnSpec:
    if (part := pgtypes.part_spec(table, column)) is not None:
        return part
    element = table.column(column)
    kind = element.type.kind
    if values is not None:  # a SQLite column declared without a type: learned as the values' kind
        kind = families.untyped_kind(element.type, values) or kind
    low, high = bounds.get(column, (None, None))
    return ColumnSpec(
        name=column,
        kind=kind,
        scale=element.type.scale if kind is TypeKind.DECIMAL else None,
        timezone=element.type.timezone,
        nullable=element.nullable,
        low=low,
        high=high,
    )


def _key_frame(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Key columns as text, so keys join whatever the driver returned (int, Decimal, all-NULL)."""
    return pd.DataFrame(
        {column: frame[column].map(_key_text, na_action="ignore").astype(object) for column in columns},
        index=frame.index,
    )


def _key_text(value: object) -> str:
    """One text per key value: 7, 7.0 (an integer column with NULLs) and Decimal('7') agree."""
    if isinstance(value, (float, Decimal)) and value == int(value):
        return str(int(value))
    return str(value)


def _counts_for(parent: pd.DataFrame, fk: ForeignKey, counts: pd.DataFrame) -> np.ndarray:
    """For each parent row, the number of child rows whose ``fk`` points at it."""
    if parent.empty:
        return np.zeros(0, dtype=np.int64)
    renamed = _key_frame(counts, fk.constrained_columns).rename(
        columns=dict(zip(fk.constrained_columns, fk.referred_columns, strict=True))
    )
    renamed["__count"] = counts["__count"]
    renamed = renamed.dropna(subset=list(fk.referred_columns))
    merged = _key_frame(parent, fk.referred_columns).merge(renamed, how="left", on=list(fk.referred_columns))
    return pd.to_numeric(merged["__count"], errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _parent_lookup(child: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """``values`` (aligned with ``parent``'s rows) looked up for each child row through ``fk``."""
    # Join on internal names: a key column may also be one of ``values``' columns.
    names = [f"__key{i}" for i in range(len(fk.referred_columns))]
    parent_keys = _key_frame(parent, fk.referred_columns).reset_index(drop=True)
    parent_keys.columns = names
    keyed = pd.concat([parent_keys, values.reset_index(drop=True)], axis=1).drop_duplicates(subset=names)
    child_keys = _key_frame(child, fk.constrained_columns).reset_index(drop=True)
    child_keys.columns = names
    merged = child_keys.merge(keyed, how="left", on=names)
    return merged[list(values.columns)]


def _joined_with_parent(frames, model_frames, fk: ForeignKey, parent_columns: list[str]) -> pd.DataFrame:
    """The child's model columns, each row next to its parent's ``parent_columns`` (``__parent__*``)."""
    child = frames[fk.table]
    mine = [c for c in model_frames[fk.table].columns if not c.startswith("__")]
    parent = _parent_lookup(child, fk, frames[fk.referred_table], model_frames[fk.referred_table][parent_columns])
    parent.columns = [f"__parent__{c}" for c in parent_columns]
    return pd.concat([model_frames[fk.table][mine].reset_index(drop=True), parent.reset_index(drop=True)], axis=1)


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
        with read_snapshot(engine) as connection:
            rules = _rules(connection, schema, config) if rules is None else tuple(rules)
            run = _train(connection, schema, generation_plan, config, progress, rules=rules)
            run.rules = rules
            return run
    finally:
        engine.dispose()


def _train(
    connection, schema: Schema, generation_plan: GenerationPlan, config: RelsynthConfig, progress: Progress, *, rules: tuple[Rule, ...] = ()
) -> Run:
    fk_ids = {fk: index for index, fk in enumerate(schema.foreign_keys)}
    modes = {t.name: config.override_for(str(t.name)).mode or TableMode.SYNTHESIZE for t in schema.tables}
    frames: dict[QualifiedName, pd.DataFrame] = {}
    artifacts: dict[QualifiedName, TableArtifact] = {}
    copied: dict[QualifiedName, pd.DataFrame] = {}
    holdout: dict[QualifiedName, pd.DataFrame] = {}
    seeds = np.random.SeedSequence(config.seed).spawn(len(generation_plan.tables))
    table_seed = {tp.table: int(seq.generate_state(1)[0]) for tp, seq in zip(generation_plan.tables, seeds, strict=True)}

    public = _public_tables(schema, config)
    # 1. Read every table and decide each column's role. Exact row counts come from SQL; large
    # tables are read as whole families of units the database samples (training_sample.py).
    row_counts = {tp.table: count_rows(connection, tp.table) for tp in generation_plan.tables}
    synthesized = {name for name, mode in modes.items() if mode is TableMode.SYNTHESIZE}
    training_rows = TrainingSample(choose_samples(generation_plan, row_counts, synthesized, max_rows=config.max_training_rows))
    for table_plan in generation_plan.tables:
        table = schema.table(table_plan.table)
        mode = modes[table.name]
        progress("read", str(table.name), 0.0)
        rows = row_counts[table.name]
        domains = {d.name: d for d in schema.domains}
        columns = tuple(assign_roles(table, pd.DataFrame(), config.override_for(str(table.name)), domains))
        readable = [c.name for c in columns if c.role not in (Role.COMPUTED, Role.KEEP_OUT)]
        if mode in (TableMode.EMPTY, TableMode.EXCLUDE):
            frame = pd.DataFrame({c: pd.Series(dtype=object) for c in readable})
        else:
            limit = None if mode is TableMode.COPY else config.max_training_rows
            frame = training_rows.read(connection, table, columns=readable, max_rows=limit, seed=table_seed[table.name])
            frame = pgtypes.as_literals(table, frame)  # ranges and shapes as literal text, not driver objects
        frames[table.name] = frame
        # Under differential privacy a private table's roles come from the schema and column names
        # alone: a choice made by looking at its values would escape the accountant.
        sample = frame if table.name in public else pd.DataFrame()
        columns = assign_roles(table, sample, config.override_for(str(table.name)), domains, min_count=config.privacy.min_count)
        if config.privacy.epsilon is None:  # code columns as categories (under DP roles read no values)
            columns = as_categories(columns, table.name, rules, config.override_for(str(table.name)))
        # Under DP only a public table may be copied, its references counted from public children
        # alone: a count of a private table's rows would escape the accountant.
        automatic = config.override_for(str(table.name)).mode is None and table.name in public
        copied_tables = {n for n, a in artifacts.items() if a.mode is TableMode.COPY}
        weights = times_seen(connection, schema, table, frame, public) if automatic and 0 < rows <= config.reference_max_rows else None
        if automatic and is_reference(table, columns, frame, rows, config, copied_tables, weights):
            log.info("%s looks like reference data: copied as it is", table.name)
            mode = TableMode.COPY
        artifacts[table.name] = TableArtifact(table=table.name, mode=mode, source_rows=rows, columns=columns)
        progress("read", str(table.name), 1.0)

    # Differential privacy: bound each unit's rows, plan the budget (fails here when impossible).
    dp = _privacy_session(schema, generation_plan, frames, artifacts, config)

    # 2. Model frames: each table's model columns plus the relational helpers.
    model_frames: dict[QualifiedName, pd.DataFrame] = {}
    for name, artifact in artifacts.items():
        own = frames[name][[c.name for c in artifact.columns if c.role is Role.MODEL]]
        model_frames[name] = pgtypes.decompose(schema.table(name), own).reset_index(drop=True)

    context_fks = {tp.table: tp.context_fk for tp in generation_plan.tables}
    assigned_fks = [fk for tp in generation_plan.tables for fk in tp.secondary_fks]
    assigned_fks += [d.foreign_key for d in generation_plan.deferred_fks]
    for child, fk in context_fks.items():
        if fk is None:
            continue
        counts = _child_counts(connection, dp, frames, child, fk)
        column = CHILDREN.format(fk_ids[fk])
        parent = fk.referred_table
        model_frames[parent][column] = _counts_for(frames[parent], fk, counts)
        if dp is not None:
            model_frames[parent][column] = dp.helper_counts(child, parent, model_frames[parent][column].to_numpy())
        artifacts[parent].children[fk_ids[fk]] = column
        null_rows = counts[counts[list(fk.constrained_columns)].isna().any(axis=1)]["__count"].sum()
        artifacts[child].null_context_rows = int(null_rows) if dp is None else dp.noisy_null_rows(child, int(null_rows))
    clusters: dict[QualifiedName, ParentClusters] = {}
    for fk in assigned_fks:
        parent = fk.referred_table
        counts = _child_counts(connection, dp, frames, fk.table, fk)
        column = DEGREE.format(fk_ids[fk])
        model_frames[parent][column] = _counts_for(frames[parent], fk, counts)
        if dp is not None:
            model_frames[parent][column] = dp.helper_counts(fk.table, parent, model_frames[parent][column].to_numpy())
        artifacts[parent].degrees[fk_ids[fk]] = column
        if parent not in clusters:
            own = [c for c in model_frames[parent].columns if not c.startswith("__")]
            if dp is not None and dp.is_private(parent):  # one cluster: k-means on private rows is not DP
                clusters[parent] = ParentClusters({}, {}, centroids=((0.0,),))
            else:
                weights = None
                if dp is None:  # the weights read the children's rows, which may be private under DP
                    joined = [_joined_with_parent(frames, model_frames, f, own) for f in assigned_fks if f.referred_table == parent]
                    weights = child_weights(model_frames[parent][own], joined)
                clusters[parent] = fit_clusters(model_frames[parent][own], seed=table_seed[parent], weights=weights)
            artifacts[parent].clusters = clusters[parent].to_dict()
    parent_cluster_labels = {
        name: pd.DataFrame({"__cluster": [f"c{i}" for i in found.assign(model_frames[name])]})
        for name, found in clusters.items()
    }
    for fk in assigned_fks:
        column = REF.format(fk_ids[fk])
        labels = _parent_lookup(frames[fk.table], fk, frames[fk.referred_table], parent_cluster_labels[fk.referred_table])
        model_frames[fk.table][column] = labels["__cluster"].to_numpy()
        artifacts[fk.table].refs[fk_ids[fk]] = column

    # Reference tables in copy mode keep their rows, with the helpers their children need.
    for name, artifact in artifacts.items():
        if artifact.mode is TableMode.COPY:
            # helpers, and the parts of ranges and shapes, which a child's model reads as context
            helpers = model_frames[name][[c for c in model_frames[name].columns if c not in frames[name].columns]]
            copied[name] = pd.concat([frames[name].reset_index(drop=True), helpers], axis=1)
            artifact.model_columns = tuple(model_frames[name].columns)

    # Rows kept out of training, for the report's distance and membership figures.
    holdout_masks: dict[QualifiedName, np.ndarray] = {}
    for name, artifact in artifacts.items():
        rows = len(frames[name])
        # Under differential privacy the run may be shared, so it holds no real rows.
        private = config.privacy.epsilon is not None
        if artifact.mode is TableMode.SYNTHESIZE and config.holdout_fraction > 0 and rows >= config.holdout_min_rows and not private:
            mask = np.zeros(rows, dtype=bool)
            mask[np.random.default_rng(table_seed[name] + 1).choice(rows, int(rows * config.holdout_fraction), replace=False)] = True
            holdout_masks[name] = mask
            plain = [c.name for c in artifact.columns if c.role not in (Role.KEY, Role.FOREIGN_KEY)]
            held = frames[name].loc[mask, [c for c in plain if c in frames[name].columns]]
            holdout[name] = held.reset_index(drop=True)

    # 3. Train in plan order, each child conditioned on its context parent's model row.
    run = Run(schema=schema, plan=generation_plan, config=config, tables={}, copied=copied, holdout=holdout)
    for table_plan in generation_plan.tables:
        name = table_plan.table
        table = schema.table(name)
        artifact = artifacts[name]
        started = time.perf_counter()
        if artifact.mode is TableMode.SYNTHESIZE:
            private = dp is not None and dp.is_private(name)  # private: generators fitted on no rows
            _fit_values(artifact, table, frames[name].iloc[:0] if private else frames[name], config, table_seed[name], schema)
            if training_rows.is_sampled(name) and not private:  # the denylists of the whole table, not the sample's
                exact_denylists(connection, table, artifact.values, min_count=config.privacy.min_count)
            _fit_model(
                artifact, table, schema, table_plan.context_fk, model_frames, frames, config, table_seed[name], progress,
                dp=dp, artifacts=artifacts, holdout=holdout_masks.get(name),
            )
        run.training_seconds[str(name)] = round(time.perf_counter() - started, 3)
        run.tables[name] = artifact
    if dp is not None:
        run.privacy = dp.summary()
    return run


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


def _child_counts(connection, dp, frames, child: QualifiedName, fk: ForeignKey) -> pd.DataFrame:
    """Children per parent key: from the bounded rows of a private child, else exact in SQL."""
    counts = dp.children_counts(frames, child, fk) if dp is not None else None
    return counts if counts is not None else children_per_parent(connection, child, fk.constrained_columns)


DERIVED_SHARE = 0.98  # a child column equal to a parent column in this share of rows is a copy


def _copied_from_context(frame: pd.DataFrame, context: pd.DataFrame) -> dict[str, str]:
    """Child columns that repeat a column of their parent row (an invoice's billing country is
    its customer's country): generated by copying the synthetic parent's value, not learned."""
    derived = {}
    present = context.notna().any(axis=1).to_numpy()
    if present.sum() < 10:
        return derived
    for column in frame.columns:
        if column.startswith("__"):
            continue
        child = frame[column][present].map(str, na_action="ignore")
        best, best_share = None, DERIVED_SHARE
        for candidate in context.columns:
            if candidate.startswith("__"):
                continue
            parent = context[candidate][present].map(str, na_action="ignore")
            same = ((child == parent) | (child.isna() & parent.isna())).mean()
            if same >= best_share and child.nunique() > 1:
                best, best_share = candidate, same
        if best is not None:
            derived[column] = best
    return derived


def _fit_model(
    artifact: TableArtifact,
    table: Table,
    schema: Schema,
    context_fk: ForeignKey | None,
    model_frames: dict[QualifiedName, pd.DataFrame],
    frames: dict[QualifiedName, pd.DataFrame],
    config: RelsynthConfig,
    seed: int,
    progress: Progress,
    dp=None,
    artifacts: dict[QualifiedName, TableArtifact] | None = None,
    holdout: np.ndarray | None = None,
) -> None:
    name = table.name
    keep = None
    frame = model_frames[name]
    training = ~holdout if holdout is not None else np.ones(len(frame), dtype=bool)
    bounds: dict[str, tuple[float | None, float | None]] = {}
    checks = [c.sqltext for c in table.check_constraints]
    for sqltext in checks:
        for column, bound in column_bounds(sqltext, dialect=schema.dialect).items():
            bounds[column] = bound
    for sqltext, column in _domain_checks(schema, table):
        low, high = column_bounds(sqltext, dialect=schema.dialect).get("VALUE", column_bounds(sqltext, dialect=schema.dialect).get("value", (None, None)))
        if low is not None or high is not None:
            bounds[column] = (low, high)
    artifact.checks = tuple(checks) + tuple(f"{column}\x00{sqltext}" for sqltext, column in _domain_checks(schema, table))
    specs = []
    for column in frame.columns:
        if column.startswith("__ref__"):
            fk = schema.foreign_keys[int(column.removeprefix("__ref__"))]
            nullable = all(table.column(c).nullable for c in fk.constrained_columns)
            specs.append(ColumnSpec(name=column, kind=TypeKind.TEXT, nullable=nullable))
        elif column.startswith(("__children__", "__degree__")):
            specs.append(ColumnSpec(name=column, kind=TypeKind.INTEGER, nullable=False, low=0))
        else:
            specs.append(_spec(table, column, bounds, frame[column] if dp is None else None))
    context = None
    context_specs: list[ColumnSpec] = []
    if context_fk is not None:
        parent = context_fk.referred_table
        parent_model = model_frames[parent]
        context = _parent_lookup(frames[name], context_fk, frames[parent], parent_model)
        # Child rows whose (non-NULL) parent was not read (sampled away) teach nothing about it.
        keys_present = frames[name][list(context_fk.constrained_columns)].notna().all(axis=1).to_numpy()
        parent_found = context.notna().any(axis=1).to_numpy() | (len(parent_model.columns) == 0)
        keep = (~keys_present | parent_found) & training
        frame, context = frame[keep].reset_index(drop=True), context[keep].reset_index(drop=True)
        parent_artifact = (artifacts or {}).get(parent)
        parent_table = schema.table(parent)
        for column in parent_model.columns:
            if column.startswith("__ref__"):
                context_specs.append(ColumnSpec(name=column, kind=TypeKind.TEXT))
            elif column.startswith(("__children__", "__degree__")):
                context_specs.append(ColumnSpec(name=column, kind=TypeKind.INTEGER))
            else:
                values = parent_model[column] if dp is None else None
                context_specs.append(replace(_spec(parent_table, column, {}, values), nullable=True))
        if not context_specs:
            context = None
        else:
            artifact.derived = _copied_from_context(frame, context)
    elif holdout is not None:
        keep = training
        frame = frame[keep].reset_index(drop=True)
    artifact.model_columns = tuple(frame.columns)
    progress("train", str(name), 0.0)
    artifact.model = TableModel.fit(
        frame,
        specs=specs,
        context=context,
        context_specs=context_specs,
        config=config.model,
        seed=seed,
        on_epoch=lambda epoch, loss: progress("train", str(name), min(0.99, epoch / max(1, config.model.epochs))),
        parent_encoders=_encoders_by_column(parent_artifact) if context is not None else None,
        parent_frame=_parent_rows(model_frames, context_fk, dp) if context is not None else None,
        privacy=None if dp is None else dp.component(name, keep),
        min_count=config.privacy.min_count,
    )
    progress("train", str(name), 1.0)


def _encoders_by_column(artifact: TableArtifact | None) -> dict:
    """The encoders of a table's own model, by column (none for a copied or empty table)."""
    if artifact is None or artifact.model is None:
        return {}
    return {encoder.spec.name: encoder for encoder in artifact.model.encoders}


def _parent_rows(model_frames: dict[QualifiedName, pd.DataFrame], fk: ForeignKey, dp) -> pd.DataFrame:
    """The parent's rows, once each, for context bins its model lacks (a copied or empty parent);
    none of a private parent's rows under DP."""
    rows = model_frames[fk.referred_table]
    return rows.iloc[:0] if dp is not None and dp.is_private(fk.referred_table) else rows


def _opaque_model(values: pd.Series, kind: TypeKind, seed: int, min_count: int):
    if kind is TypeKind.BINARY:
        return opaque.BinaryModel.fit(values)
    if kind is TypeKind.UUID:
        return opaque.UuidModel.fit(values)
    return opaque.JsonModel.fit(values, seed=seed, min_count=max(min_count, 2))


def _fit_values(
    artifact: TableArtifact, table: Table, frame: pd.DataFrame, config: RelsynthConfig, seed: int, schema: Schema | None = None
) -> None:
    """Fit the non-model generators: keys, identifying values, free text, opaque values."""
    states: dict[str, dict] = {"keys": {}, "identifying": {}, "text": {}, "opaque": {}, "forbidden": {}, "rare_values": {}}
    domains = {d.name: d for d in schema.domains} if schema is not None else {}
    k = config.privacy.min_count
    for column in artifact.columns:
        values = frame[column.name] if column.name in frame.columns else pd.Series(dtype=object)
        element = table.column(column.name)
        if column.role is Role.KEY:
            key_kind = {TypeKind.INTEGER: keys.KeyKind.INTEGER, TypeKind.UUID: keys.KeyKind.UUID}.get(element.type.kind, keys.KeyKind.TEXT)
            states["keys"][column.name] = keys.KeyGenerator.fit(values, seed=seed, kind=key_kind, max_length=element.type.length).to_dict()
        elif column.role is Role.IDENTIFYING:
            present = values.dropna()
            states["identifying"][column.name] = {
                "kind": column.identifying_kind.value,
                "null_rate": 0.0 if not element.nullable or len(values) == 0 else float(values.isna().mean()),
                "max_length": element.type.length,
                "unique": column.unique,
                "profile": identifying.ValueProfile.fit(values, column.identifying_kind).to_dict(),
            }
            if column.identifying_kind not in COMMON_VALUE_KINDS:
                states["forbidden"][column.name] = sorted({fingerprint(v) for v in present})
        elif column.role is Role.MODEL and is_birth_date(column.name) and element.type.kind in (TypeKind.DATE, TypeKind.TIMESTAMP):
            # Learned like any date, but a generated value equal to a real birth date is moved.
            states["forbidden"][column.name] = sorted({fingerprint(calendar_day(v)) for v in values.dropna()})
        elif column.role is Role.TEXT:
            states["text"][column.name] = text.TextModel.fit(values, seed=seed, min_count=max(k, 2)).to_dict()
        elif column.role is Role.OPAQUE and (family := families.family_of(element.type, domains)) is not None:
            states["opaque"][column.name] = {"kind": family, "state": families.fit(family, values, element.type, seed=seed, domains=domains)}
        elif column.role is Role.OPAQUE:
            states["opaque"][column.name] = {"kind": element.type.kind.value, "state": _opaque_model(values, element.type.kind, seed, k).to_dict()}
    # A first name or a city alone identifies nobody; a real (first, last) pair is never emitted.
    names = {c.identifying_kind: c.name for c in artifact.columns if c.role is Role.IDENTIFYING}
    first, last = names.get(identifying.IdentifyingKind.FIRST_NAME), names.get(identifying.IdentifyingKind.LAST_NAME)
    if first and last and first in frame.columns and last in frame.columns:
        pairs = frame[[first, last]].dropna()
        states["forbidden_pairs"] = {
            "columns": [first, last],
            "prints": sorted({fingerprint(f"{a}\x00{b}") for a, b in pairs.itertuples(index=False)}),
        }
    own = [c.name for c in artifact.columns if c.role is Role.MODEL and c.name in frame.columns]
    view = pgtypes.decompose(table, frame[own])  # as the model frame holds them (ranges as parts)
    states["rare_rows"] = {"columns": list(view.columns), "prints": _rare_rows(view, list(view.columns), k)}
    # Numbers and dates are drawn within bins: one that lands on a value seen fewer than k times
    # is moved off it at generation (categories seen so rarely are never learned at all).
    # The numeric parts of a structured value (a range's bound, a box's corner) are such values too.
    for column in view.columns:
        part = pgtypes.part_spec(table, column)
        kind = part.kind if part is not None else table.column(column).type.kind
        if kind in NUMERIC_KINDS:
            prints = rare_values(view[column], kind, k)
            if prints:
                states["rare_values"][column] = prints
    artifact.values = states
