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
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pandas as pd

from relsynth.connections import redact
from relsynth.progress import Progress
from relsynth.reporting import rules as rule_section
from relsynth.reporting.completeness import Completeness, assess
from relsynth.reporting.detection import Detection, compute_detection
from relsynth.reporting.fidelity import Fidelity, compute_fidelity
from relsynth.reporting.integrity import IntegrityIssue
from relsynth.reporting.membership import Attack
from relsynth.reporting.normalise import normalise_frame
from relsynth.reporting.privacy import MIN_COUNT, Privacy, compute_privacy
from relsynth.reporting.reading import Readings, ReportSteps, read_databases
from relsynth.reporting.schema_diff import diff_schemas
from relsynth.reporting.utility import Utility, UtilityScore, compute_utility
from relsynth.rules.model import Rule
from relsynth.rules.steering import RulesConfig
from relsynth.schema.elements import QualifiedName, Schema

log = logging.getLogger(__name__)

# The violations that count against integrity ("unchecked" CHECKs are listed, not counted).
VIOLATION_KINDS = ("orphans", "duplicate_key", "not_null", "check", "sequence_behind")
# Tables with fewer synthetic rows seen are left out of the exact-match excess: one matching row
# of a 12-row table is already 8 points.
MIN_EXCESS_ROWS = 30


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
    expected_rows: float | None = None  # source rows x scale (see Report.completeness)
    row_status: str = "ok"  # ok | empty | off_scale
    mia_attack: Attack | None = None  # the advantage's attack and 95% interval


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
    completeness: Completeness | None = None  # every source table's expected and actual rows
    utility: tuple[UtilityScore, ...] = ()  # train on the clone, test on held-out real rows
    rules: tuple[rule_section.RuleShare, ...] = ()  # each rule's share in source and clone

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
        counts = self.completeness or assess({t.name: t.source_rows for t in self.tables},
                                             {t.name: t.target_rows for t in self.tables})
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
            "missing_tables": float(counts.count("missing")),
            "empty_tables": float(counts.count("empty")),
            "tables_off_scale": float(counts.count("off_scale")),
            "row_count_difference": counts.row_count_difference,
            "exact_match_share": self.privacy.exact_match_share,
            "source_duplicate_share": self.privacy.source_duplicate_share,
            "exact_match_excess": self.exact_match_excess,
            "verbatim_identifiers": float(self.privacy.verbatim_identifiers),
            "rare_rows_redrawn": _count(self.privacy.rare_rows_redrawn),
            "rare_rows_dropped": _count(self.privacy.rare_rows_dropped),
            "dcr_share": self.privacy.dcr_share,
            "mia_advantage": self.privacy.mia_advantage,
            "epsilon": self.privacy.epsilon,
            "utility": min((u.ratio for u in self.utility if u.ratio is not None), default=None),
            "rules_broken": float(sum(r.broken for r in self.rules)) if self.rules else None,
        }

    @property
    def exact_match_excess(self) -> float | None:
        """The largest share of a table's synthetic rows equal to a source row beyond the source's own duplicates."""
        values = [t.exact_match_share - (t.source_duplicate_share or 0.0) for t in self.tables
                  if t.exact_match_share is not None and t.target_sample >= MIN_EXCESS_ROWS]
        return max(values) if values else None

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
    completeness: Completeness | None = None,
    utility: Sequence[UtilityScore] = (),
    rules: Sequence[rule_section.RuleShare] = (),
) -> Report:
    """Put computed parts together into a Report (also usable without databases).

    ``completeness`` covers every source table, missing ones included; without it the row
    counts of ``schema``'s tables are checked against a scale inferred from them.
    """
    if completeness is None:
        completeness = assess({t.name: (source_rows or {}).get(t.name, 0) for t in schema.tables},
                              {t.name: (target_rows or {}).get(t.name, 0) for t in schema.tables})
    det = {d.table: d.accuracy for d in detection}
    priv = {p.table: p for p in privacy.tables}
    tables = []
    for table in schema.tables:
        p = priv.get(table.name)
        sr = (source_rows or {}).get(table.name, 0)
        tr = (target_rows or {}).get(table.name, 0)
        count = completeness.of(table.name)
        tables.append(
            TableReport(
                table.name, sr, tr,
                (source_sample or {}).get(table.name, sr), (target_sample or {}).get(table.name, tr),
                fidelity.shapes_score(table.name), fidelity.pairs_score(table.name), det.get(table.name),
                sum(i.count for i in integrity if i.table == table.name and i.kind in VIOLATION_KINDS),
                p.exact_match_share if p else None, p.source_duplicate_share if p else None,
                p.dcr_share if p else None, p.mia_advantage if p else None,
                p.verbatim_identifiers if p else 0,
                count.expected_rows if count else None, count.status if count else "ok",
                p.mia_attack if p else None,
            )
        )
    present = set(schema.table_names)
    fks = tuple((str(fk.table), str(fk.referred_table), fk.label) for fk in schema.foreign_keys if fk.referred_table in present)
    return Report(source, target, seed, sample_rows, seconds, tuple(tables), fidelity, detection, privacy,
                  integrity, schema_differences, fks, tuple(notes), completeness, tuple(utility), tuple(rules))


def _introspect(url: str) -> Schema:
    from relsynth.schema.introspection import introspect  # the schema layer's one entry point

    return introspect(url)


def build_report(source_url: str, target_url: str, **options: Any) -> Report:
    """Measure the clone at ``target_url`` against ``source_url``; both are only read.

    Options as ``measure``'s. A warning a library (pandas, scikit-learn, SciPy) raises while
    measuring is not printed raw: each distinct one becomes a one-line note in the report.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = measure(source_url, target_url, **options)
    notes = list(dict.fromkeys(_warning_note(w) for w in caught))
    return dataclasses.replace(report, notes=report.notes + tuple(notes)) if notes else report


def _warning_note(caught: warnings.WarningMessage) -> str:
    parts = Path(caught.filename).parts
    origin = parts[parts.index("site-packages") + 1] if "site-packages" in parts[:-1] else Path(caught.filename).stem
    message = str(caught.message).strip().splitlines()[0] if str(caught.message).strip() else caught.category.__name__
    return f"library notice ({origin}, {caught.category.__name__}): {message[:200]}"


def measure(
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
    scale: float | None = None,
    scale_basis: str = "given",
    modes: Mapping[QualifiedName, str] | None = None,
    utility_targets: Sequence[str] = (),
    min_count: int = MIN_COUNT,
    rare_rows: Mapping[str, Mapping[str, int]] | None = None,
    rules: Sequence[Rule] | None = None,
    rules_config: RulesConfig | None = None,
) -> Report:
    """Measure the clone at ``target_url`` against ``source_url``; both are only read.

    ``copied``: tables the run copied as reference data; they are left out of the exact-match share.
    ``identifying_columns``: the columns the run generated as identifying (without it, the one
    identifying rule on the source sample); every text column is also checked for values the
    source holds fewer than ``min_count`` times. ``rare_rows``: the generator's counts of rows
    that repeated a rare source combination (``SyntheticDatabase.rare_rows``).

    ``scale`` (rows in the clone per source row; inferred from the clone when None, and said so
    in the notes), ``scale_basis`` (where the scale came from: given | workspace) and ``modes``
    (each table's mode in the run: synthesize | copy | empty | exclude) set the row counts each
    table should have; a missing or empty table fails the report's default gate.

    ``utility_targets`` ("table.column") are predicted by a model trained on the clone and one
    trained on the real rows, both tested on the ``holdout``; without them one target is proposed
    per table with held-out rows.

    ``rules`` (the run's, else those discovered in the source as ``rules_config`` steers them) are
    measured in both databases; one whose share in the clone is more than ``rules_config.margin``
    below the source's is broken.

    ``progress``, when given, is called as ``progress(step: str, done: int, total: int)``.
    """
    started = time.monotonic()
    schema = schema if schema is not None else _introspect(source_url)
    notes: list[str] = []
    differences, target_names = _compare_schemas(schema, target_url, notes)
    # Metrics only look at tables both sides have; missing ones are in the schema differences.
    shared = dataclasses.replace(schema, tables=tuple(t for t in schema.tables if t.name in target_names))
    steps = ReportSteps(progress, total=2 * len(shared.tables) + 4)
    read = read_databases(
        source_url, target_url, schema=schema, shared=shared, target_names=target_names, sample_rows=sample_rows,
        seed=seed, holdout=holdout, identifying_columns=identifying_columns, min_count=min_count, notes=notes,
        progress=steps,
    )
    real, synth = read.real, read.synth
    source_rows = {t.name: real[t.name].rows if t.name in real else read.missing_rows[t.name] for t in schema.tables}
    completeness = assess(source_rows, {n: s.rows for n, s in synth.items()}, scale=scale, basis=scale_basis,
                          modes=modes, copied=copied)
    notes.extend(_completeness_notes(completeness))
    if holdout is not None:  # rows from the workspace: the same one form as rows read from a database
        holdout = {n: normalise_frame(f, {c.name: c.type.kind for c in shared.table(n).columns})
                   for n, f in holdout.items() if n in real}
    fidelity, detection, privacy = _scores(
        shared, read, holdout=holdout, copied=copied, epsilon=epsilon, delta=delta, seed=seed, min_count=min_count,
        rare_rows=rare_rows, progress=steps,
    )
    utility = _utility(shared, read.real_whole, read.synth_whole, holdout, utility_targets, read.identifying_columns, seed)
    notes.extend(utility.notes)
    if utility.proposed:
        notes.append("utility targets proposed (name your own with --utility-target): " + ", ".join(utility.proposed))
    notes.extend(_reading_notes(real, synth, privacy, copied=copied, run_known=modes is not None, holdout=holdout))
    rule_shares = rule_section.measure_both(source_url, target_url, shared, rules=rules,
                                            config=rules_config or RulesConfig(), notes=notes)
    return assemble(
        shared,
        fidelity=fidelity, detection=detection, privacy=privacy, integrity=read.integrity,
        schema_differences=differences,
        source_rows={n: s.rows for n, s in real.items()}, target_rows={n: s.rows for n, s in synth.items()},
        source_sample={n: len(s.frame) for n, s in real.items()}, target_sample={n: len(s.frame) for n, s in synth.items()},
        source=redact(source_url), target=redact(target_url), seed=seed, sample_rows=sample_rows,
        seconds=time.monotonic() - started, notes=notes, completeness=completeness, utility=utility.scores,
        rules=rule_shares,
    )


def _compare_schemas(schema: Schema, target_url: str, notes: list[str]) -> tuple[tuple[str, ...] | None, set[QualifiedName]]:
    """(differences, the target's table names); None and the source's names when the target
    cannot be introspected (said in ``notes``)."""
    try:
        target_schema = _introspect(target_url)
        differences: tuple[str, ...] | None = diff_schemas(schema, target_schema)
    except Exception as exc:  # a report without the schema comparison beats no report
        log.warning("cannot introspect the target %s: %s", redact(target_url), exc)
        notes.append(f"schema comparison unavailable: {exc}")
        return None, set(schema.table_names)
    return differences, set(target_schema.table_names)


def _scores(
    shared: Schema, read: Readings, *, holdout, copied, epsilon, delta, seed: int, min_count: int, rare_rows, progress: Progress,
) -> tuple[Fidelity, tuple[Detection, ...], Privacy]:  # type: ignore[no-untyped-def]
    """Fidelity, detection and privacy of the samples read."""
    real, synth = read.real, read.synth
    base_r = {n: s.base(shared.table(n)) for n, s in real.items()}
    base_s = {n: s.base(shared.table(n)) for n, s in synth.items()}
    parent_columns = {}
    for table in shared.tables:
        for i, fk in enumerate(table.foreign_keys):
            if fk.referred_table in real:
                parent_columns[fk.label] = (real[table.name].with_parent(table, i), synth[table.name].with_parent(table, i))
    cardinality = {k: v for k, v in read.cardinality.items() if len(v) == 2}
    fidelity = compute_fidelity(shared, base_r, base_s, cardinality=cardinality, parent_columns=parent_columns)
    progress.tick("fidelity")
    detection = compute_detection(
        shared,
        {n: s.augmented(shared.table(n)) for n, s in real.items()},
        {n: s.augmented(shared.table(n)) for n, s in synth.items()},
        seed=seed,
    )
    progress.tick("detection")
    privacy = compute_privacy(
        shared, base_r, base_s, holdout=holdout, identifying_columns=read.identifying_columns,
        identifying_values=read.identifying, copied=copied, epsilon=epsilon, delta=delta, seed=seed,
        rare_values=read.rare, min_count=min_count, rare_rows=rare_rows,
    )
    progress.tick("privacy")
    return fidelity, detection, privacy


def _utility(schema: Schema, real, synthetic, holdout, targets, identifying, seed: int) -> Utility:  # type: ignore[no-untyped-def]
    """TSTR / TRTR on the held-out rows, every frame in the one form rows from any engine get."""
    if holdout is None:
        return Utility((), (), ("no utility figure: it needs the run's held-out rows (pass --workspace)",))

    def normal(frames):  # type: ignore[no-untyped-def]
        return {n: normalise_frame(f, {c.name: c.type.kind for c in schema.table(n).columns}) for n, f in frames.items()}

    return compute_utility(schema, normal(real), normal(synthetic), holdout, targets=targets,
                           identifying=identifying, seed=seed)


def _reading_notes(real, synth, privacy: Privacy, *, copied, run_known: bool, holdout) -> list[str]:
    """What the figures rest on: sampled tables, copied tables, the holdout."""
    notes = []
    sampled = [f"{n}: {s.frame.shape[0]} of {s.rows}" for n, s in real.items() if s.sampled]
    sampled += [f"{n} (target): {s.frame.shape[0]} of {s.rows}" for n, s in synth.items() if s.sampled]
    if sampled:
        notes.append("sampled tables (rows seen of rows present): " + "; ".join(sampled))
    copied_here = [str(n) for n in copied if n in real]
    if copied_here:
        notes.append("copied as reference data, so left out of the exact-match share: " + ", ".join(copied_here))
    elif not run_known:
        whole = [str(t.table) for t in privacy.tables if (t.exact_match_share or 0) >= 0.999]
        if whole:
            notes.append("every synthetic row equals a source row in: " + ", ".join(whole)
                         + "; if copied as reference data, pass the run (--workspace) so that the report knows")
    if holdout is None:
        notes.append("distance to closest record and membership inference need a holdout (not given)")
    elif not holdout:
        notes.append("distance to closest record and membership inference need a holdout: the run kept none "
                     "(tables too small, or holdout_fraction = 0)")
    return notes


def _completeness_notes(completeness: Completeness) -> list[str]:
    notes = [completeness.describe_scale()]
    for status, what in (("missing", "missing from the clone"), ("empty", "empty in the clone although the source has rows"),
                         ("off_scale", "far from their expected row count")):
        found = [t for t in completeness.tables if t.status == status]
        if found:
            notes.append(f"tables {what}: " + ", ".join(
                f"{t.table} ({t.target_rows if t.target_rows is not None else 'absent'} of ~{t.expected_rows:.0f})" for t in found))
    return notes
