"""Benchmark: how good and how private are relsynth's clones of the six real datasets?

For each dataset (a PostgreSQL database of that name), clone it at scale 1 into a scratch database
(created and dropped here), then measure:

  (a) SDMetrics' multi-table QualityReport: overall quality, column shapes, column pair trends,
      cardinality, intertable trends. Metadata comes from relsynth's introspected schema. Tables are
      sampled to at most --sample-rows rows (default 20,000), so SDMetrics finishes in bounded time;
      on a sampled table the cardinality and intertable scores are approximate.
  (b) relsynth's own report (relsynth.reporting.build_report): quality and mean detection accuracy
      of the real-vs-synthetic classifier (0.5 = indistinguishable), when the module works.
  (c) privacy: share of synthetic rows identical to a real row on the non-key columns, next to the
      source's own share of rows duplicated within itself.

Bars: SDMetrics quality >= 0.85; detection accuracy <= 0.75 on average over the datasets.

Usage: python benchmarks/bench_quality.py [pagila chinook northwind hr berka stats]
          [--seed 0] [--sample-rows 20000] [--max-training-seconds S] [--no-relsynth-report] [--details N]
Server: RELSYNTH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import CloneRun, database_url, run_clone, scratch_database, server_url

from relsynth.connections import create_engine, redact
from relsynth.schema.elements import Schema, Table, TypeKind
from relsynth.schema.introspection import introspect
from relsynth.values.detection import is_free_text

QUALITY_BAR = 0.85
DETECTION_BAR = 0.75
DATASETS = ["pagila", "chinook", "northwind", "hr", "berka", "stats"]
NUMERICAL = {TypeKind.INTEGER, TypeKind.FLOAT, TypeKind.DECIMAL}
DATETIME = {TypeKind.DATE, TypeKind.TIMESTAMP}
CATEGORICAL = {TypeKind.ENUM}
# json, arrays, binary, uuid, time, interval, other: SDMetrics cannot score them; dropped.


@dataclass
class Metadata:
    """SDMetrics' multi-table metadata, and what could not go into it."""

    tables: dict[str, dict] = field(default_factory=dict)
    relationships: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    dropped_columns: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"tables": self.tables, "relationships": self.relationships}


@dataclass
class Figures:
    dataset: str
    clone: CloneRun | None = None
    quality: float | None = None
    column_shapes: float | None = None
    pair_trends: float | None = None
    cardinality: float | None = None
    intertable: float | None = None
    rs_quality: float | None = None
    detection: float | None = None
    quality_with_identifying: float | None = None
    exact_match: float | None = None
    source_duplicates: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def key_columns(table: Table) -> set[str]:
    keys = set(table.primary_key.constrained_columns) if table.primary_key else set()
    for fk in table.foreign_keys:
        keys |= set(fk.constrained_columns)
    keys |= {c.name for c in table.columns if c.identity is not None or c.sequence is not None}
    return keys


def _sdtype(kind: TypeKind, series: pd.Series) -> str | None:
    if kind in NUMERICAL:
        return "numerical"
    if kind in DATETIME:
        return "datetime"
    if kind is TypeKind.BOOLEAN:
        return "boolean"
    if kind in CATEGORICAL:
        return "categorical"
    if kind is TypeKind.TEXT:
        # free text (relsynth's one rule, as generation and the report apply it): not comparable value by value
        return "id" if is_free_text(series) else "categorical"
    return None


def identifying_columns(schema: Schema, real: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Columns relsynth replaces with fake values (names, addresses, ...), by its own role rules."""
    from relsynth.config import TableOverride
    from relsynth.roles import Role, assign_roles

    out: dict[str, set[str]] = {}
    for table in schema.tables:
        plans = assign_roles(table, real[str(table.name)], TableOverride())
        out[str(table.name)] = {p.name for p in plans if p.role is Role.IDENTIFYING}
    return out


def build_metadata(schema: Schema, real: dict[str, pd.DataFrame], *, as_id: dict[str, set[str]] | None = None) -> Metadata:
    """``as_id``: columns to mark 'id' (SDMetrics ignores them), as SDV does with PII sdtypes."""
    meta = Metadata()
    for table in schema.tables:
        name = str(table.name)
        keys = key_columns(table) | (as_id or {}).get(name, set())
        columns: dict[str, dict] = {}
        dropped = []
        for column in table.columns:
            sdtype = "id" if column.name in keys else _sdtype(column.type.kind, real[name][column.name])
            if sdtype is None:
                dropped.append(f"{column.name} ({column.type.kind.value})")
                continue
            columns[column.name] = {"sdtype": sdtype}
            if sdtype == "datetime":
                columns[column.name]["datetime_format"] = "%Y-%m-%d %H:%M:%S"
        entry: dict = {"columns": columns}
        pk = table.primary_key.constrained_columns if table.primary_key else ()
        if len(pk) == 1:
            entry["primary_key"] = pk[0]
        meta.tables[name] = entry
        if dropped:
            meta.dropped_columns[name] = dropped
    for fk in schema.foreign_keys:
        child, parent = str(fk.table), str(fk.referred_table)
        if len(fk.constrained_columns) > 1:
            meta.skipped.append(f"{fk.label}: composite key (SDMetrics relationships take one column)")
        elif fk.is_self_reference:
            meta.skipped.append(f"{fk.label}: self-reference")
        elif meta.tables[parent].get("primary_key") != fk.referred_columns[0]:
            meta.skipped.append(f"{fk.label}: refers to a column that is not the parent's single-column primary key")
        else:
            meta.relationships.append(
                {
                    "parent_table_name": parent,
                    "parent_primary_key": fk.referred_columns[0],
                    "child_table_name": child,
                    "child_foreign_key": fk.constrained_columns[0],
                }
            )
    return meta


def read_tables(url: str, schema: Schema, *, sample_rows: int, seed: int) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Every table as a DataFrame, sampled to ``sample_rows`` (seeded); also the full row counts."""
    engine = create_engine(url)
    frames: dict[str, pd.DataFrame] = {}
    counts: dict[str, int] = {}
    try:
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            connection.exec_driver_sql(f"SELECT setseed({(seed % 1000) / 1000.0})")
            for table in schema.tables:
                qualified = ".".join(quote(p) for p in (table.name.schema, table.name.name) if p)
                columns = ", ".join(quote(c) for c in table.column_names)
                counts[str(table.name)] = connection.exec_driver_sql(f"SELECT count(*) FROM {qualified}").scalar_one()
                sql = f"SELECT {columns} FROM {qualified}"
                if counts[str(table.name)] > sample_rows:
                    sql += f" ORDER BY random() LIMIT {sample_rows}"
                frames[str(table.name)] = normalise(pd.read_sql_query(sa_text(sql), connection), table)
    finally:
        engine.dispose()
    return frames, counts


def sa_text(sql: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    return sa.text(sql.replace(":", r"\:"))


def normalise(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Decimals to floats, timestamps to naive UTC, so SDMetrics sees plain dtypes."""
    for column in table.columns:
        series = frame[column.name]
        kind = column.type.kind
        if kind is TypeKind.DECIMAL:
            frame[column.name] = pd.to_numeric(series, errors="coerce").astype("float64")
        elif kind in DATETIME:
            converted = pd.to_datetime(series, errors="coerce", utc=column.type.timezone)
            frame[column.name] = converted.dt.tz_convert(None) if column.type.timezone else converted
        elif kind is TypeKind.INTEGER:
            frame[column.name] = pd.to_numeric(series, errors="coerce")
    return frame


def _worst_entries(report, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The ``count`` lowest-scored entries of each SDMetrics property, one line each: what to fix first."""
    lines = []
    for prop in report.get_properties()["Property"]:
        details = report.get_details(prop)
        if "Score" not in details:
            continue
        figures = [c for c in ("Real Correlation", "Synthetic Correlation", "Real Association") if c in details]
        for _, row in details.dropna(subset=["Score"]).nsmallest(count, "Score").iterrows():
            names = " / ".join(str(row[c]) for c in details.columns if isinstance(row[c], str) and c != "Error")
            extra = "".join(f", {c.lower()} {row[c]:+.2f}" for c in figures if pd.notna(row[c]))
            lines.append(f"{prop}: {row['Score']:.3f} {names}{extra}")
    return lines


def sdmetrics_quality(real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame], meta: Metadata,
                      worst: int = 0) -> dict:
    from sdmetrics.reports.multi_table import QualityReport

    keep = {name: list(entry["columns"]) for name, entry in meta.tables.items()}
    real = {name: frame[keep[name]] for name, frame in real.items()}
    synthetic = {name: frame[keep[name]] for name, frame in synthetic.items()}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic, meta.as_dict(), verbose=False)
    properties = report.get_properties().set_index("Property")["Score"].to_dict()
    errors = {}
    for prop, score in properties.items():
        if score is None or (isinstance(score, float) and math.isnan(score)):
            details = report.get_details(prop)
            errors[prop] = str(details["Error"].dropna().iloc[0]) if "Error" in details and details["Error"].notna().any() else "no pair to score"
    return {
        "errors": errors,
        "worst": _worst_entries(report, worst) if worst else [],
        "quality": report.get_score(),
        "column_shapes": properties.get("Column Shapes"),
        "pair_trends": properties.get("Column Pair Trends"),
        "cardinality": properties.get("Cardinality"),
        "intertable": properties.get("Intertable Trends"),
    }


def exact_matches(schema: Schema, real: dict[str, pd.DataFrame], synthetic: dict[str, pd.DataFrame],
                  copied: set[str] = frozenset()) -> tuple[float, float]:
    """(share of synthetic rows equal to some real row, share of real rows duplicated in the real table),
    on non-key columns, pooled over the synthesized tables (row-weighted). Tables with only key
    columns are skipped, and so are ``copied`` tables: reference data copied as it is on purpose."""
    matched = synthetic_total = duplicated = real_total = 0
    for table in schema.tables:
        name = str(table.name)
        if name in copied:
            continue
        columns = [c.name for c in table.columns if c.name not in key_columns(table)
                   and c.type.kind not in {TypeKind.JSON, TypeKind.ARRAY, TypeKind.BINARY}]
        if not columns or real[name].empty:
            continue
        real_keys = pd.util.hash_pandas_object(real[name][columns].astype(str), index=False)
        duplicated += int(real_keys.duplicated(keep=False).sum())
        real_total += len(real_keys)
        if synthetic[name].empty:
            continue
        synth_keys = pd.util.hash_pandas_object(synthetic[name][columns].astype(str), index=False)
        matched += int(synth_keys.isin(set(real_keys)).sum())
        synthetic_total += len(synth_keys)
    return (matched / synthetic_total if synthetic_total else math.nan, duplicated / real_total if real_total else math.nan)


def measure(dataset: str, args: argparse.Namespace) -> Figures:
    figures = Figures(dataset)
    source = database_url(dataset)
    model = {"max_training_seconds": args.max_training_seconds} if args.max_training_seconds is not None else {}
    with scratch_database("rs_bench_quality") as target:
        run = run_clone(source, target, dataset=dataset, scale=1.0, seed=args.seed, model=model, timeout=args.timeout)
        figures.clone = run
        if not run.ok:
            figures.notes.append("clone failed:\n" + run.error)
            return figures
        started = time.perf_counter()
        schema = introspect(source)
        real, real_rows = read_tables(source, schema, sample_rows=args.sample_rows, seed=args.seed)
        synthetic, synthetic_rows = read_tables(target, schema, sample_rows=args.sample_rows, seed=args.seed)
        sampled = [f"{n} ({real_rows[n]:,}/{synthetic_rows[n]:,} rows)" for n in real_rows
                   if max(real_rows[n], synthetic_rows[n]) > args.sample_rows]
        if sampled:
            figures.notes.append(f"sampled to {args.sample_rows:,} rows for SDMetrics and exact matches: " + ", ".join(sampled))
        figures.seconds["read"] = time.perf_counter() - started

        started = time.perf_counter()
        try:
            as_id = identifying_columns(schema, real)
        except Exception as exc:  # noqa: BLE001 - roles.py is still changing; score everything then
            as_id = {}
            figures.notes.append(f"cannot ask relsynth which columns are identifying: {type(exc).__name__}: {exc}")
        if any(as_id.values()):
            figures.notes.append(
                "identifying columns (faked by relsynth) marked 'id' for quality; q+ident scores them too: "
                + "; ".join(f"{t}: {', '.join(sorted(c))}" for t, c in as_id.items() if c)
            )
        meta = build_metadata(schema, real, as_id=as_id)
        figures.notes += [f"relationship skipped: {s}" for s in meta.skipped]
        if meta.dropped_columns:
            figures.notes.append(
                "columns left out of SDMetrics: " + "; ".join(f"{t}: {', '.join(c)}" for t, c in meta.dropped_columns.items())
            )
        try:
            scores = sdmetrics_quality(real, synthetic, meta, worst=args.details)
            figures.quality, figures.column_shapes = scores["quality"], scores["column_shapes"]
            figures.notes += [f"lowest score, {line}" for line in scores["worst"]]
            figures.notes += [f"SDMetrics left {prop} unscored (quality averages the others); first error: {error}"
                              for prop, error in scores["errors"].items()]
            figures.pair_trends, figures.cardinality, figures.intertable = (
                scores["pair_trends"], scores["cardinality"], scores["intertable"])
            if any(as_id.values()):
                figures.quality_with_identifying = sdmetrics_quality(real, synthetic, build_metadata(schema, real))["quality"]
            else:
                figures.quality_with_identifying = figures.quality
        except Exception as exc:  # noqa: BLE001 - report and go on
            figures.notes.append(f"SDMetrics failed: {type(exc).__name__}: {exc}")
        figures.seconds["sdmetrics"] = time.perf_counter() - started

        if run.copied_tables:
            figures.notes.append("copied as reference data (left out of exact matches): " + ", ".join(run.copied_tables))
        figures.exact_match, figures.source_duplicates = exact_matches(schema, real, synthetic, set(run.copied_tables))

        if not args.no_relsynth_report:
            started = time.perf_counter()
            try:
                from relsynth.reporting import build_report

                report = build_report(source, target, schema=schema, sample_rows=min(args.sample_rows, 10_000), seed=args.seed)
                figures.rs_quality = report.fidelity.quality
                figures.detection = report.detection_score
            except Exception as exc:  # noqa: BLE001 - the report module is still in progress
                figures.notes.append(f"relsynth report failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            figures.seconds["relsynth report"] = time.perf_counter() - started
    return figures


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", default=DATASETS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sample-rows", type=int, default=20_000, help="most rows per table read for the metrics")
    parser.add_argument("--max-training-seconds", type=float, help="cap on each table's training (default: relsynth's)")
    parser.add_argument("--no-relsynth-report", action="store_true", help="skip relsynth's own report")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a clone is killed")
    parser.add_argument("--details", type=int, default=0, metavar="N", help="print the N lowest SDMetrics scores of each property")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    training = f"max_training_seconds={args.max_training_seconds:g}" if args.max_training_seconds is not None else "default model config"
    print(f"server {redact(server_url())}; scale 1, seed {args.seed}, {training}; SDMetrics on at most {args.sample_rows:,} rows per table")
    results = []
    for dataset in args.datasets:
        figures = measure(dataset, args)
        results.append(figures)
        clone = figures.clone
        print(f"\n== {dataset}: clone {'ok' if clone and clone.ok else 'FAILED'}"
              + (f" in {clone.wall_seconds:.1f} s" if clone and clone.ok else "")
              + ("; " + ", ".join(f"{k} {v:.1f}s" for k, v in figures.seconds.items()) if figures.seconds else ""))
        for note in figures.notes:
            print("  " + note.replace("\n", "\n    "))
        sys.stdout.flush()

    header = (f"{'dataset':<10} {'quality':>7} {'shapes':>7} {'pairs':>7} {'card':>7} {'inter':>7} "
              f"{'q+ident':>7} {'rs qual':>7} {'detect':>7} {'exact':>7} {'src dup':>7} {'clone s':>8}")
    print("\n" + header)
    print("-" * len(header))
    for f in results:
        clone_s = _fmt(f.clone.wall_seconds, ".1f") if f.clone and f.clone.ok else "FAILED"
        print(f"{f.dataset:<10} {_fmt(f.quality):>7} {_fmt(f.column_shapes):>7} {_fmt(f.pair_trends):>7} {_fmt(f.cardinality):>7} "
              f"{_fmt(f.intertable):>7} {_fmt(f.quality_with_identifying):>7} {_fmt(f.rs_quality):>7} {_fmt(f.detection):>7} {_fmt(f.exact_match, '.2%'):>7} "
              f"{_fmt(f.source_duplicates, '.2%'):>7} {clone_s:>8}")
    print("\nquality = SDMetrics multi-table QualityReport, identifying columns as 'id' (ignored), as SDV does with PII; "
          "shapes/pairs/card/inter = its properties; q+ident = quality with identifying columns scored as categorical; rs qual / detect = relsynth's report (detection: mean "
          "classifier accuracy, 0.5 = indistinguishable); exact = synthetic rows equal to a real row on non-key "
          "columns; src dup = real rows duplicated within the source")
    qualities = [f.quality for f in results if f.quality is not None]
    detections = [f.detection for f in results if f.detection is not None]
    if qualities:
        below = [f.dataset for f in results if f.quality is not None and f.quality < QUALITY_BAR]
        print(f"bar quality >= {QUALITY_BAR}: {'PASS' if not below else 'FAIL'}"
              + (f" (below: {', '.join(below)})" if below else "") + f"; mean {sum(qualities) / len(qualities):.3f}")
    if detections:
        mean = sum(detections) / len(detections)
        print(f"bar detection accuracy <= {DETECTION_BAR} on average: {'PASS' if mean <= DETECTION_BAR else 'FAIL'} (mean {mean:.3f} over {len(detections)} datasets)")
    missing = [f.dataset for f in results if f.quality is None]
    if missing:
        print(f"no SDMetrics figure for: {', '.join(missing)} (see above)")


if __name__ == "__main__":
    main()
