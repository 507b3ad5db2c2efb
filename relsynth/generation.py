"""Generation: execute the plan, parents first, owning every key.

For each table in plan order: decide how many rows (roots: scale x source rows; children: the
learned ``__children__`` count of each synthetic parent), sample the model conditioned on the
parent rows, redraw rows that violate a CHECK, fill keys, identifying values, text and opaque
values, then assign the foreign keys and compute the columns that the run's rules determine.
Deferred foreign keys, and rules over a table's children, are applied once every table exists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relsynth.assignment import (
    NO_PARENT,
    DealtDegrees,
    assign_parents,
    assign_self_parents,
    matching_parents,
    parent_values,
    wanted_clusters,
)
from relsynth.checks import CompiledCheck, Unsupported, compile_check
from relsynth.chunks import chunk_spans, whole_table_reason
from relsynth.clustering import ParentClusters
from relsynth.column_values import column_values
from relsynth.config import TableMode
from relsynth.errors import GenerationError
from relsynth.generation_memory import Retention, give_back_memory
from relsynth.planning import TablePlan
from relsynth.progress import Progress, no_progress
from relsynth.roles import Role
from relsynth.row_counts import calibrated, scaled
from relsynth.rules.enforcement import Enforcement
from relsynth.runs import Run, TableArtifact
from relsynth.schema.elements import ForeignKey, QualifiedName, Table
from relsynth.uniqueness import enforced_keys, move_repeats, overlaps_another, reassign_repeats
from relsynth.values import exclusion
from relsynth.values.rarity import move_off_rare, move_rows_off_rare, row_fingerprints
from relsynth.walks import WalkProgress, plan_walks

log = logging.getLogger(__name__)

_CHUNK = 0xC4  # salts a chunk's seed, so it differs from the table's other seeds
_WALK = 0x3A1C  # salts the seed of a walked table's calibration under one parent chunk


@dataclass
class SyntheticTable:
    rows: pd.DataFrame  # the table's columns, as they will be loaded
    model: pd.DataFrame  # the model frame (model columns and relational helpers)
    clusters: np.ndarray | None = None  # cluster of each row, when other tables point here


@dataclass
class SyntheticDatabase:
    """Generated tables in plan order, ready to load."""

    tables: dict[QualifiedName, pd.DataFrame]
    dropped_rows: dict[str, int] = field(default_factory=dict)  # rows dropped to keep a constraint
    # rows that repeated a value combination seen fewer than k times in the source, by table:
    # {"redrawn": rows redrawn at least once, "dropped": still rare and dropped, "kept": still rare,
    # kept because child rows hang from them, "moved": still rare, moved a step off the combination}
    rare_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    moved_values: dict[str, int] = field(default_factory=dict)  # numbers/dates moved off rare real ones
    warnings: list[str] = field(default_factory=list)

    @property
    def row_counts(self) -> dict[str, int]:
        return {str(name): len(frame) for name, frame in self.tables.items()}


def _checks(artifact: TableArtifact, dialect: str) -> list[CompiledCheck]:
    compiled = []
    for entry in artifact.checks:
        column, _, sqltext = entry.rpartition("\x00")
        check = compile_check(sqltext, dialect=dialect, domain_column=column or None)
        if check is not None:
            compiled.append(check)
    return compiled


class Generator:
    def __init__(self, run: Run, *, scale: float, seed: int, progress: Progress | None = None) -> None:
        self.run = run
        self.scale = scale
        self.progress = progress or no_progress
        self.fk_ids = {fk: index for index, fk in enumerate(run.schema.foreign_keys)}
        order = run.plan.tables
        sequences = np.random.SeedSequence([seed, 0x5EED]).spawn(len(order))
        self.seeds = {tp.table: int(s.generate_state(1)[0]) for tp, s in zip(order, sequences, strict=True)}
        self.made: dict[QualifiedName, SyntheticTable] = {}
        self.result = SyntheticDatabase(tables={})
        synthesized = {name for name, artifact in run.tables.items() if artifact.mode is TableMode.SYNTHESIZE}
        self.rules = Enforcement(run.rules, run.schema, run.plan, generated=synthesized, enforce_at=run.config.rules.enforce_at)
        self.waiting = {tp.table for tp in run.plan.tables if tp.deferred_fks} | self.rules.waiting()
        self.retention = Retention(run, self.rules, waiting=self.waiting)
        self.walks = plan_walks(run.plan.tables, self.retention.readers, chunked=self._chunked, large=self._large)
        if self.walks.children:  # walks move in the order: so do the positions where tables are released
            self.retention = Retention(run, self.rules, waiting=self.waiting, order=[tp.table for tp in self.walks.order])
            log.info("tables made under each chunk of their parent: %s", ", ".join(str(t) for t in sorted(self.walks.walked, key=str)))
        self.walking: dict[QualifiedName, WalkProgress] = {}  # walked tables' progress
        self.planned: dict[QualifiedName, int] = {}  # each table's planned rows
        self.text_models: dict[QualifiedName, dict] = {}  # text models read from the run, per table

    # -- the plan ---------------------------------------------------------------------------

    def stream(self) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        """Yield (table, rows) batches, parents first, each as soon as it is complete.

        A table is made a chunk at a time (relsynth.chunks), each chunk yielded as it is made;
        a child walked under it (relsynth.walks) is made under each chunk, right after it.
        Once yielded, a chunk keeps only what later tables read (``Retention``: key columns,
        rule inputs, model columns of their context, clusters); a table is released after its
        last reader. Tables with a deferred foreign key wait until the tables they point at exist;
        tables with a rule computed from their children (an aggregate, relsynth.rules.enforcement)
        wait until those exist.
        """
        walked = self.walks.walked
        for position, table_plan in enumerate(self.walks.order):
            if table_plan.table not in walked:
                yield from self._made(table_plan)
            self.text_models.pop(table_plan.table, None)  # its chunks are made (walked tables: under the root)
            for released in self.retention.released_after(position):
                self.made.pop(released, None)
        for table_plan in self.run.plan.tables:
            kept_fks = [fk for fk in (table_plan.context_fk, *table_plan.secondary_fks) if fk is not None]
            for deferred in table_plan.deferred_fks:
                fk = deferred.foreign_key
                fixed = {c for other in kept_fks for c in other.constrained_columns} & set(fk.constrained_columns)
                if self._assign(fk, self.made[table_plan.table], fixed=fixed).any():
                    log.warning("%s: some rows match no parent of %s on the columns they share", table_plan.table, fk.label)
        self._enforce_late_rules()
        for table_plan in self.run.plan.tables:
            if table_plan.table in self.waiting:
                self._rekey_after_deferred(table_plan)
                yield table_plan.table, self._written(table_plan.table, self.made[table_plan.table])
        self.made.clear()
        self.result.warnings.extend(self.rules.notes)

    def _made(self, table_plan: TablePlan) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        """One table's batches (and those of the tables walked under its chunks); the table is then
        kept whole for its later readers, unless only its walked children read it."""
        name = table_plan.table
        self.progress("generate", str(name), 0.0)
        consumed = self.walks.consumed(name, self.retention.readers)
        kept: list[SyntheticTable] = []
        for done, first_row, planned, chunk in self._table(table_plan):
            if not consumed:
                kept.append(chunk)
            yield from self._emitted(table_plan, chunk, first_row, planned)
            self.progress("generate", str(name), done)
        yield from self._parentless_walked(table_plan)
        if kept:
            self.made[name] = _joined(kept)
        else:  # only its walked children read it: they are made
            self.made.pop(name, None)

    def _emitted(self, table_plan: TablePlan, chunk: SyntheticTable, first_row: int, planned: int) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        """A chunk written (tables that wait are written at the end), then the tables walked under it."""
        name = table_plan.table
        if name not in self.waiting:
            yield name, self._written(name, chunk)
        for child in self.walks.children.get(name, ()):
            self.made[name] = chunk
            yield from self._walked(child, first_row, planned)
        if planned > self.run.config.chunk_rows // 2:  # between chunks: their garbage is the next one's room
            give_back_memory()

    def _written(self, name: QualifiedName, synthetic: SyntheticTable) -> pd.DataFrame:
        """The rows to load (computed and kept-out columns are the database's); ``synthetic`` keeps
        only what later steps read."""
        rows = synthetic.rows
        # Every key is assigned by now (deferred ones too): the groups of an EXCLUDE are final.
        if moved := exclusion.resolve(self.run.schema.table(name), rows):
            log.info("%s: %d generated values shifted to keep an exclusion constraint", name, moved)
        written = [c.name for c in self.run.tables[name].columns if c.role not in (Role.COMPUTED, Role.KEEP_OUT)]
        synthetic.rows = self.retention.kept_rows(name, rows)
        synthetic.model = self.retention.kept_model(name, synthetic.model)
        if not self.retention.keeps_clusters(name):
            synthetic.clusters = None
        loaded = [c for c in written if c in rows.columns]
        return rows if loaded == list(rows.columns) else rows[loaded]  # no copy when every column loads

    def _table(self, table_plan: TablePlan) -> Iterator[tuple[float, int, int, SyntheticTable]]:
        """The table's rows, a chunk at a time: (share of the table done, the chunk's first planned
        row, its planned rows, chunk)."""
        name = table_plan.table
        table = self.run.schema.table(name)
        artifact = self.run.tables[name]
        rng = np.random.default_rng(self.seeds[name])
        if artifact.mode is TableMode.COPY:
            yield 1.0, 0, len(self.run.copied[name]), self._copied(artifact, table)
            return
        if artifact.mode in (TableMode.EMPTY, TableMode.EXCLUDE) or artifact.model is None:
            yield 1.0, 0, 0, SyntheticTable(rows=_empty(table, artifact), model=pd.DataFrame(), clusters=np.zeros(0, dtype=np.int64))
            return
        parent_rows = self._parent_rows(table_plan, artifact, rng)
        self.planned[name] = len(parent_rows)
        why = self._whole_table_reason(table_plan)
        spans = [(0, len(parent_rows))] if why else chunk_spans(parent_rows, self.run.config.chunk_rows)
        if why and len(parent_rows) > self.run.config.chunk_rows:
            log.info("%s: generated in one piece of %d rows: %s", name, len(parent_rows), why)
        deals = self._deals(table_plan, len(parent_rows)) if len(spans) > 1 else {}
        for chunk, (start, stop) in enumerate(spans):
            chunk_rng = rng if chunk == 0 else np.random.default_rng([self.seeds[name], _CHUNK, chunk])
            degrees = {fk: deal.take(stop - start) for fk, deal in deals.items()}
            made = self._chunk(table_plan, parent_rows[start:stop], chunk_rng, chunk, start, degrees)
            yield stop / max(len(parent_rows), 1), start, stop - start, made

    # -- tree walks (relsynth.walks) ----------------------------------------------------------

    def _chunked(self, table_plan: TablePlan) -> bool:
        """Whether a table is synthesized in chunks and does not wait for the end phase."""
        artifact = self.run.tables[table_plan.table]
        synthesized = artifact.mode is TableMode.SYNTHESIZE and artifact.model is not None
        return synthesized and table_plan.table not in self.waiting and self._whole_table_reason(table_plan) is None

    def _large(self, name: QualifiedName) -> bool:
        """Whether a table expects more rows than one chunk (only under such a parent does a walk save memory)."""
        return self.run.tables[name].source_rows * self.scale > self.run.config.chunk_rows

    def _whole_table_reason(self, table_plan: TablePlan) -> str | None:
        name = table_plan.table
        return whole_table_reason(
            self.run.schema.table(name), table_plan, self.run.tables[name], waiting=name in self.waiting,
            rules_need_all=self.rules.needs_whole_table(name, table_plan.context_fk),
        )

    def _walked(self, table_plan: TablePlan, parent_first: int, parent_planned: int) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        """A walked table's rows under its parent's current chunk (``self.made``): that chunk's
        share of the table's rows, children counts calibrated within it, made in chunks."""
        name = table_plan.table
        walk = self._walk(table_plan)
        parent = self.made[table_plan.context_fk.referred_table]
        count_column = self.run.tables[table_plan.context_fk.referred_table].children.get(self.fk_ids[table_plan.context_fk])
        counts = _numbers(parent.model[count_column]) if count_column in parent.model.columns else np.zeros(len(parent.rows), dtype=np.int64)
        rng = np.random.default_rng([self.seeds[name], _WALK, walk.parent_chunks])
        walk.parent_chunks += 1
        counts = calibrated(counts, walk.share(parent_first, parent_planned), rng, unique=table_plan.context_unique)
        yield from self._walked_spans(table_plan, np.repeat(np.arange(len(counts)), counts))

    def _parentless_walked(self, table_plan: TablePlan) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        """Once a table's chunks are made, the rows without a parent of each table walked under it."""
        for child in self.walks.children.get(table_plan.table, ()):
            walk = self._walk(child)
            if walk.null_rows:
                yield from self._walked_spans(child, np.full(walk.null_rows, NO_PARENT))
            yield from self._parentless_walked(child)

    def _walked_spans(self, table_plan: TablePlan, parent_rows: np.ndarray) -> Iterator[tuple[QualifiedName, pd.DataFrame]]:
        name = table_plan.table
        walk = self.walking[name]
        for start, stop in chunk_spans(parent_rows, self.run.config.chunk_rows):
            chunk, first_row = walk.chunks, walk.planned + start
            walk.chunks += 1
            rng = np.random.default_rng([self.seeds[name], _CHUNK, chunk])
            degrees = {fk: deal.take(stop - start) for fk, deal in walk.deals.items()}
            made = self._chunk(table_plan, parent_rows[start:stop], rng, chunk, first_row, degrees)
            yield from self._emitted(table_plan, made, first_row, stop - start)
            self.progress("generate", str(name), min(1.0, (first_row + stop - start) / max(walk.total, 1)))
        walk.planned += len(parent_rows)

    def _walk(self, table_plan: TablePlan) -> WalkProgress:
        """A walked table's progress, set up when its parent's first chunk is made."""
        name = table_plan.table
        if name not in self.walking:
            artifact = self.run.tables[name]
            rng = np.random.default_rng(self.seeds[name])
            target, null_rows = self._row_targets(table_plan, artifact, rng)
            walk = WalkProgress(target=target, parent_total=self.planned[table_plan.context_fk.referred_table], null_rows=null_rows)
            walk.deals = self._deals(table_plan, walk.total)
            self.planned[name] = walk.total
            self.walking[name] = walk
        return self.walking[name]

    def _deals(self, table_plan: TablePlan, rows: int) -> dict[ForeignKey, DealtDegrees]:
        """Per secondary key of a table made in chunks, its parents' degrees dealt over the table's
        ``rows`` planned rows (``DealtDegrees``): each chunk takes its share in turn."""
        deals = {}
        for fk in table_plan.secondary_fks:
            parent = self.made[fk.referred_table]
            degree_column = self.run.tables[fk.referred_table].degrees.get(self.fk_ids[fk])
            if degree_column is not None and degree_column in parent.model.columns:
                rng = np.random.default_rng([self.seeds[fk.table], self.fk_ids[fk], _CHUNK])
                deals[fk] = DealtDegrees(_numbers(parent.model[degree_column]), rows, rng)
        return deals

    def _chunk(
        self, table_plan: TablePlan, parent_rows: np.ndarray, rng, chunk: int, first_row: int, degrees: dict[ForeignKey, np.ndarray]
    ) -> SyntheticTable:
        """One chunk's rows: the planned ``parent_rows`` (one per row) sampled, filled and checked;
        ``degrees``: the chunk's share of its secondary parents' degrees (none: the learned ones)."""
        name = table_plan.table
        table = self.run.schema.table(name)
        artifact = self.run.tables[name]
        context = self._context(table_plan, artifact, parent_rows)
        model = self._sample(artifact, context, rng, parent_rows)
        del context  # the parents' columns, one row per child: not needed once sampled
        parent_rows = model.pop("__parent_row").to_numpy()
        rows = column_values(
            table, artifact, model, rng, locale=self.run.config.locale, redraws=self.run.config.identifying_redraws,
            chunk=chunk, first_row=first_row, text_models=self.text_models.setdefault(name, {}),
        )
        if table_plan.context_fk is not None:
            self._copy_parent_keys(table_plan.context_fk, rows, parent_rows)
        synthetic = SyntheticTable(rows=rows, model=model)
        if artifact.clusters is not None:
            synthetic.clusters = ParentClusters.from_dict(artifact.clusters).assign(model)
        del rows, model  # ``synthetic`` holds them: a frame it replaces (fewer rows, columns) is freed
        # Foreign keys that share columns (TPC-H's l_partkey, l_suppkey -> partsupp, part,
        # supplier) are filled widest first; later ones choose among parents matching what is set.
        filled = set(table_plan.context_fk.constrained_columns) if table_plan.context_fk else set()
        unmatched = np.zeros(len(synthetic.rows), dtype=bool)
        for fk in sorted(table_plan.secondary_fks, key=lambda fk: -len(fk.constrained_columns)):
            unmatched |= self._assign(fk, synthetic, fixed=filled & set(fk.constrained_columns), chunk=chunk, degrees=degrees.get(fk))
            filled |= set(fk.constrained_columns)
        self._drop(synthetic, unmatched, table.name, "foreign keys that share columns")
        if name not in self.waiting:  # its keys are filled: only what later tables read stays (not ref labels)
            synthetic.model = self.retention.kept_model(name, synthetic.model)
        self._keep_keys_unique(table, table_plan, synthetic, rng)
        self._enforce_rules(name, synthetic.rows, self.rules.early_rules(name))
        self._drop(synthetic, self._whole_row_violations(artifact, synthetic.rows), table.name, "a CHECK")
        return synthetic

    # -- rules (relsynth.rules.enforcement) --------------------------------------------------

    def _enforce_rules(self, name: QualifiedName, rows: pd.DataFrame, rules, *, frozen: set[str] = frozenset()) -> None:
        checks = [c for c in _checks(self.run.tables[name], self.run.schema.dialect) if _applies(c, rows)]
        self.rules.apply(rules, rows, lambda table: self.made[table].rows, checks, frozen=frozen)

    def _enforce_late_rules(self) -> None:
        """Aggregates, and rules reading late values, once every table exists (their tables waited)."""
        for rule in self.rules.late:
            referred = {c for fk in self.run.schema.foreign_keys if fk.referred_table == rule.table for c in fk.referred_columns}
            self._enforce_rules(rule.table, self.made[rule.table].rows, [rule], frozen=referred)

    def _whole_row_violations(self, artifact: TableArtifact, rows: pd.DataFrame) -> np.ndarray:
        """Rows that violate a CHECK reading columns outside the model (keys, fake values)."""
        bad = np.zeros(len(rows), dtype=bool)
        for check in _checks(artifact, self.run.schema.dialect):
            if _applies(check, rows):
                bad |= check.violations(rows)
        return bad

    def _drop(self, synthetic: SyntheticTable, mask: np.ndarray, name: QualifiedName, why: str) -> None:
        if not mask.any():
            return
        log.warning("%s: dropped %d generated rows to keep %s", name, int(mask.sum()), why)
        self.result.dropped_rows[str(name)] = self.result.dropped_rows.get(str(name), 0) + int(mask.sum())
        synthetic.rows = synthetic.rows[~mask].reset_index(drop=True)
        synthetic.model = synthetic.model[~mask].reset_index(drop=True)
        if synthetic.clusters is not None:
            synthetic.clusters = synthetic.clusters[~mask]

    # -- rows and context -------------------------------------------------------------------

    def _parent_rows(self, table_plan: TablePlan, artifact: TableArtifact, rng: np.random.Generator) -> np.ndarray:
        """The parent row of each row to generate (``NO_PARENT`` for a root table's rows and for
        rows without a parent), parents in order: how many rows, and under which parent."""
        fk = table_plan.context_fk
        if fk is None:
            return np.full(scaled(artifact.source_rows, self.scale, rng, at_least_one=True), NO_PARENT)
        target, null_rows = self._row_targets(table_plan, artifact, rng)
        parent = self.made[fk.referred_table]
        parent_artifact = self.run.tables[fk.referred_table]
        count_column = parent_artifact.children.get(self.fk_ids[fk])
        if count_column is not None and count_column in parent.model.columns:
            counts = _numbers(parent.model[count_column])
            if parent_artifact.mode is TableMode.COPY:  # real counts of reference rows: scale them
                counts = rng.binomial(counts, min(1.0, self.scale)) if self.scale <= 1 else np.round(counts * self.scale).astype(np.int64)
        else:
            counts = np.zeros(len(parent.rows), dtype=np.int64)
        counts = calibrated(counts, target, rng, unique=table_plan.context_unique)
        return np.concatenate([np.repeat(np.arange(len(counts)), counts), np.full(null_rows, NO_PARENT)])

    def _row_targets(self, table_plan: TablePlan, artifact: TableArtifact, rng: np.random.Generator) -> tuple[int, int]:
        """A child table's rows at the scale: (rows with a parent, rows without one)."""
        fk = table_plan.context_fk
        null_rows = scaled(artifact.null_context_rows, self.scale, rng)
        if not all(self.run.schema.table(fk.table).column(c).nullable for c in fk.constrained_columns):
            null_rows = 0  # a NOT NULL key has no parentless rows (whatever a noisy count says)
        return scaled(artifact.source_rows - artifact.null_context_rows, self.scale, rng), null_rows

    def _context(self, table_plan: TablePlan, artifact: TableArtifact, parent_rows: np.ndarray) -> pd.DataFrame | None:
        """The context parent's model columns, one row per row to generate (None: no context)."""
        wanted = [spec.name for spec in artifact.model.context_specs]
        if table_plan.context_fk is None or not wanted:
            return None
        parent = self.made[table_plan.context_fk.referred_table]
        # Rows without a parent (or under an empty/excluded parent) get an all-NULL context.
        context = parent.model.reindex(index=parent_rows, columns=wanted).reset_index(drop=True)
        context[parent_rows == NO_PARENT] = np.nan
        return context

    def _draw(self, artifact: TableArtifact, context, n: int, rng) -> pd.DataFrame:
        """``n`` model rows (one per context row), numbers and dates moved off rare real ones."""
        seed = int(rng.integers(2**31))
        if context is not None:
            frame = _with_copies(artifact.model.sample(context=context, seed=seed), context, artifact.derived)
        else:
            frame = artifact.model.sample(n=n, seed=seed)
        encoders = {e.spec.name: e for e in artifact.model.encoders}
        for column, prints in (artifact.values.get("rare_values") or {}).items():
            if column in frame.columns and column in encoders and column not in artifact.derived:
                table = self.run.schema.table(artifact.table)
                # a structured value's part (``during::bound``) has no column type of its own
                column_type = table.column(column).type if column in table.column_names else None
                frame[column], moved = move_off_rare(frame[column], set(prints), encoders[column], column_type)
                if moved:
                    key = str(artifact.table)
                    self.result.moved_values[key] = self.result.moved_values.get(key, 0) + moved
        return frame

    def _sample(self, artifact: TableArtifact, context, rng, parent_rows: np.ndarray) -> pd.DataFrame:
        """Model rows (one per entry of ``parent_rows``) with ``__parent_row``; CHECKs hold.

        A row that repeats a value combination seen fewer than k times in the source (a record
        that stands out) is redrawn, up to ``check_redraws`` (config) times; one still rare has a number or date
        moved a step off the combination (``move_rows_off_rare``), else is dropped when no
        child row will hang from it (no ``__children__`` or ``__degree__``), else kept. Both are
        counted in ``SyntheticDatabase.rare_rows``.
        """
        frame = self._draw(artifact, context, len(parent_rows), rng)
        frame["__parent_row"] = parent_rows
        checks = [c for c in _checks(artifact, self.run.schema.dialect) if _applies(c, frame)]
        rare = artifact.values.get("rare_rows") or {}
        rare_prints = set(rare.get("prints", ()))
        rare_columns = [c for c in rare.get("columns", ()) if c in frame.columns] if rare_prints else []
        if not (checks or rare_columns) or frame.empty:
            return frame
        copying = np.zeros(len(frame), dtype=bool)
        fresh = np.ones(len(frame), dtype=bool)  # rows drawn (or redrawn) in the last round
        redrawn = np.zeros(len(frame), dtype=bool)
        rounds = self.run.config.check_redraws
        for attempt in range(rounds + 1):
            violating = np.zeros(len(frame), dtype=bool)
            for check in checks:
                violating |= check.violations(frame)
            if rare_columns:  # only new rows can newly copy
                rows = np.flatnonzero(fresh)
                prints = row_fingerprints(frame.iloc[rows], rare_columns)
                copying[rows] = np.fromiter((p in rare_prints for p in prints), dtype=bool, count=rows.size)
            bad = violating | copying
            if not bad.any() or attempt == rounds:
                break
            redrawn |= copying
            again = context[bad].reset_index(drop=True) if context is not None else None
            redraw = self._draw(artifact, again, int(bad.sum()), rng)
            for column in redraw.columns:
                frame.loc[bad, column] = redraw[column].to_numpy()
            fresh = bad
        moved = 0
        if copying.any():  # redraws could not leave a rare combination: move a number or date off it
            encoders = {e.spec.name: e for e in artifact.model.encoders}
            still = move_rows_off_rare(frame, copying & ~violating, rare_columns, rare_prints, encoders,
                                       artifact.values.get("rare_values") or {})
            moved, copying = int((copying & ~violating & ~still).sum()), copying & (violating | still)
        drop = violating | copying & ~_referenced(frame)
        self._count_rare(artifact.table, redrawn=int(redrawn.sum()), dropped=int((copying & drop).sum()),
                         kept=int((copying & ~drop).sum()), moved=moved)
        if violating.any():
            key = str(artifact.table)
            self.result.dropped_rows[key] = self.result.dropped_rows.get(key, 0) + int(violating.sum())
            log.warning("%s: dropped %d rows that kept violating a CHECK", artifact.table, int(violating.sum()))
        return frame[~drop].reset_index(drop=True) if drop.any() else frame

    def _count_rare(self, table: QualifiedName, **counts: int) -> None:
        if not any(counts.values()):
            return
        entry = self.result.rare_rows.setdefault(str(table), {"redrawn": 0, "dropped": 0, "kept": 0, "moved": 0})
        for name, count in counts.items():
            entry[name] += count
        if counts["dropped"] or counts["kept"]:
            log.info("%s: rows repeating a rare source combination: %s", table, entry)

    def _copied(self, artifact: TableArtifact, table: Table) -> SyntheticTable:
        frame = self.run.copied[artifact.table].reset_index(drop=True)
        helpers = [c for c in frame.columns if c.startswith("__")]
        rows = frame.drop(columns=helpers)
        model = frame[[c for c in artifact.model_columns if c in frame.columns]]
        clusters = ParentClusters.from_dict(artifact.clusters).assign(model) if artifact.clusters else None
        return SyntheticTable(rows=rows, model=model, clusters=clusters)

    # -- foreign keys -----------------------------------------------------------------------

    def _copy_parent_keys(
        self, fk: ForeignKey, rows: pd.DataFrame, parent_index: np.ndarray, fixed: frozenset[str] | set[str] = frozenset()
    ) -> None:
        parent = self.made[fk.referred_table].rows
        for child_column, parent_column in zip(fk.constrained_columns, fk.referred_columns, strict=True):
            if child_column in fixed:  # set by a wider foreign key; the parent matches it
                continue
            rows[child_column] = parent_values(parent[parent_column], parent_index)

    def _assign(
        self, fk: ForeignKey, child: SyntheticTable, fixed: set[str] | frozenset[str] = frozenset(), *, chunk: int = 0,
        degrees: np.ndarray | None = None,
    ) -> np.ndarray:
        """Fill ``fk`` in ``child`` (chunk ``chunk`` of its table): each row gets a parent of the
        cluster it wants, by learned degree; each chunk shares out the parents' degrees anew.

        Columns in ``fixed`` were set by another foreign key: the parent is chosen among those
        that match them. Returns the rows no parent matches (to be dropped).
        """
        fk_id = self.fk_ids[fk]
        child_artifact = self.run.tables[fk.table]
        parent = self.made[fk.referred_table]
        parent_artifact = self.run.tables[fk.referred_table]
        if len(child.rows) == 0:
            return np.zeros(0, dtype=bool)
        table = self.run.schema.table(fk.table)
        nullable = all(table.column(c).nullable for c in fk.constrained_columns)
        ref_column = child_artifact.refs.get(fk_id)
        wanted = np.zeros(len(child.rows), dtype=np.int64)
        if ref_column is not None and ref_column in child.model.columns:
            labels = child.model[ref_column].reset_index(drop=True)
            wanted = wanted_clusters(labels)
        if not nullable:
            wanted[wanted == NO_PARENT] = 0
        parent_clusters = parent.clusters if parent.clusters is not None else np.zeros(len(parent.rows), dtype=np.int64)
        degree_column = parent_artifact.degrees.get(fk_id)
        if degrees is None:  # else the chunk's share (``_dealt_slots``)
            learned = degree_column is not None and degree_column in parent.model.columns
            degrees = _numbers(parent.model[degree_column]) if learned else np.ones(len(parent.rows), dtype=np.int64)
        rng = np.random.default_rng([self.seeds[fk.table], fk_id] + ([chunk] if chunk else []))
        unique = fk in self.run.plan.table(fk.table).unique_fks
        if fk.is_self_reference:
            index = assign_self_parents(
                wanted_clusters=wanted, row_clusters=parent_clusters, row_degrees=degrees, rng=rng, nullable=nullable
            )
        else:
            index = assign_parents(
                wanted_clusters=wanted, parent_clusters=parent_clusters, parent_degrees=degrees, rng=rng, unique=unique
            )
        missing = (index == NO_PARENT) & (wanted != NO_PARENT)
        if missing.any() and not nullable:
            if len(parent.rows) == 0:
                raise GenerationError(
                    f"{fk.label} is NOT NULL but {fk.referred_table} has no rows in the clone; "
                    f"generate {fk.referred_table} (check its mode in the config) or make the key nullable"
                )
            index[missing] = rng.integers(0, len(parent.rows), int(missing.sum()))
        unmatched = np.zeros(len(child.rows), dtype=bool)
        if fixed:
            pairs = [(c, r) for c, r in zip(fk.constrained_columns, fk.referred_columns, strict=True) if c in fixed]
            wanted_keys = child.rows[[c for c, _ in pairs]].set_axis([r for _, r in pairs], axis=1)
            index, unmatched = matching_parents(wanted_keys, parent.rows[[r for _, r in pairs]], index, degrees, rng)
        self._copy_parent_keys(fk, child.rows, index, fixed)
        return unmatched

    def _keep_keys_unique(self, table: Table, table_plan: TablePlan, synthetic: SyntheticTable, rng) -> None:
        """Every primary key, UNIQUE constraint and unique index (partial, over expressions) holds.

        Rows repeating a key that includes a secondary foreign key first get a parent their group
        does not use yet (link tables); rows still repeating a key are moved to a free one
        (relsynth/uniqueness.py). Rows that no move frees are dropped, and counted in the warnings:
        no child table exists yet, so no child ever points at a dropped row.
        """
        stuck = self._free_repeats(table, table_plan.secondary_fks, synthetic, rng, frozen=set())
        self._drop(synthetic, stuck, table.name, "a primary or unique key")

    def _rekey_after_deferred(self, table_plan: TablePlan) -> None:
        """Keys over a deferred foreign key's columns, once it is filled. Children exist now: no row
        is dropped and no column they refer to moves; a nullable key still repeating is set NULL."""
        table = self.run.schema.table(table_plan.table)
        synthetic = self.made[table.name]
        referred = {c for fk in self.run.schema.foreign_keys if fk.referred_table == table.name for c in fk.referred_columns}
        fks = [d.foreign_key for d in table_plan.deferred_fks]
        rng = np.random.default_rng([self.seeds[table.name], 0xDEF])
        stuck = self._free_repeats(table, fks, synthetic, rng, frozen=referred)
        for deferred in table_plan.deferred_fks:
            if stuck.any() and deferred.fill == "update":
                synthetic.rows.loc[stuck, list(deferred.foreign_key.constrained_columns)] = None
                stuck = self._free_repeats(table, (), synthetic, rng, frozen=referred)
        if stuck.any():
            self.result.warnings.append(f"{table.name}: {int(stuck.sum())} row(s) repeat a key over a deferred foreign key")

    def _free_repeats(self, table: Table, fks, synthetic: SyntheticTable, rng, *, frozen: set[str]) -> np.ndarray:
        """Give rows that repeat a key another parent through ``fks`` or move them; the rows still repeating."""
        artifact = self.run.tables[table.name]
        dialect = self.run.schema.dialect
        owned = {c.name for c in artifact.columns if c.role is Role.KEY}
        keys, notes = enforced_keys(table, dialect, synthetic.rows)
        self.result.warnings.extend(n for n in notes if n not in self.result.warnings)
        keys = [k for k in keys if not (k.plain and set(k.columns) & owned)]  # the key generator's own
        if not keys or synthetic.rows.empty:
            return np.zeros(len(synthetic.rows), dtype=bool)
        for fk in fks:
            if overlaps_another(fk, table):  # its columns are shared: moving them would break the other key
                continue
            for key in keys:
                if key.plain and set(fk.constrained_columns) <= set(key.columns) and key.repeats(synthetic.rows).any():
                    reassign_repeats(synthetic.rows, fk, list(key.columns), self.made[fk.referred_table].rows, rng)
        movable = {
            c.name: table.column(c.name).type
            for c in artifact.columns
            if c.role in (Role.MODEL, Role.TEXT, Role.IDENTIFYING, Role.KEY) and c.name in synthetic.rows.columns and c.name not in frozen
        }
        checks = [c for c in _checks(artifact, dialect) if _applies(c, synthetic.rows)]
        return move_repeats(synthetic.rows, keys, movable, checks)


def _joined(chunks: list[SyntheticTable]) -> SyntheticTable:
    """One table from its chunks (what each kept once written)."""
    if len(chunks) == 1:
        return chunks[0]
    clusters = [c.clusters for c in chunks]
    return SyntheticTable(
        rows=pd.concat([c.rows for c in chunks], ignore_index=True),
        model=pd.concat([c.model for c in chunks], ignore_index=True),
        clusters=None if any(c is None for c in clusters) else np.concatenate(clusters),
    )


def _referenced(frame: pd.DataFrame) -> np.ndarray:
    """Model rows that child rows will hang from: a learned children count or degree above 0."""
    helpers = [c for c in frame.columns if c.startswith(("__children__", "__degree__"))]
    if not helpers:
        return np.zeros(len(frame), dtype=bool)
    return (frame[helpers].apply(pd.to_numeric, errors="coerce").fillna(0) > 0).any(axis=1).to_numpy()


def _with_copies(frame: pd.DataFrame, context: pd.DataFrame, derived: dict[str, str]) -> pd.DataFrame:
    """Columns that copy their parent's value take the synthetic parent's (rows with a parent)."""
    has_parent = context.notna().any(axis=1).to_numpy()
    for column, parent_column in derived.items():
        values = frame[column].astype(object)
        values[has_parent] = context[parent_column].astype(object).to_numpy()[has_parent]
        frame[column] = values
    return frame


def _numbers(values: pd.Series) -> np.ndarray:
    """A learned count column as integers (NULL as 0)."""
    return pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _applies(check: CompiledCheck, frame: pd.DataFrame) -> bool:
    """Whether ``frame`` holds every column ``check`` reads (model frames lack keys, say)."""
    try:
        check.violations(frame.head(1))
    except Unsupported:
        return False
    return True


def _empty(table: Table, artifact: TableArtifact) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in artifact.columns if c.role not in (Role.COMPUTED, Role.KEEP_OUT)})


def _checked_scale(run: Run, scale: float | None) -> float:
    scale = run.config.scale if scale is None else scale
    if not 0.01 <= scale <= 100:
        raise GenerationError(f"scale {scale} is out of range: use a value from 0.01 to 100")
    return scale


def generate_stream(
    run: Run, *, scale: float | None = None, seed: int | None = None, progress: Progress | None = None
) -> tuple[Generator, Iterator[tuple[QualifiedName, pd.DataFrame]]]:
    """The generator (for its warnings once done) and its stream of (table, rows), in plan order."""
    generator = Generator(
        run, scale=_checked_scale(run, scale), seed=run.config.seed if seed is None else seed, progress=progress
    )
    return generator, generator.stream()


def generate(run: Run, *, scale: float | None = None, seed: int | None = None, progress: Progress | None = None) -> SyntheticDatabase:
    """Generate a synthetic database from a trained run, all in memory (``load`` streams instead)."""
    generator, batches = generate_stream(run, scale=scale, seed=seed, progress=progress)
    generated: dict[QualifiedName, list[pd.DataFrame]] = {}
    for name, rows in batches:
        generated.setdefault(name, []).append(rows)
    generator.result.tables = {
        tp.table: pd.concat(generated[tp.table], ignore_index=True) if len(generated[tp.table]) > 1 else generated[tp.table][0]
        for tp in run.plan.tables
    }
    return generator.result
