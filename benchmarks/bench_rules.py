"""Benchmark: do the rules the source obeys hold in the clone? And can a classifier tell a parent
row with its children's aggregates apart from a synthetic one (aggregation detection)?

For each dataset (a PostgreSQL database of that name): discover the source's rules (timed: it
must take seconds), clone it (seed 1) into a scratch database (created and dropped here), and print

  (a) each rule's share of rows in the source and in the clone: ``low`` where the clone keeps it
      on less than 99% of the source's share (the issue's bar), ``broken`` where it is more than
      the report's margin (0.01) below;
  (b) aggregation detection per parent table (SyntheRela's DDA): a gradient-boosted classifier on
      each parent row's own columns plus, per child table, its children's count, the mean of each
      numeric child column and the distinct count of every child column; real against synthetic,
      3-fold cross-validated accuracy on up to 2,000 rows a side (0.5 = indistinguishable). The
      classifier is the report's detection classifier (relsynth.reporting.detection).

Usage: python benchmarks/bench_rules.py [pagila chinook northwind hr berka stats tpch_sf0_1]
          [--seed 1] [--no-clone] [--json out.json]
Server: RELSYNTH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
from _common import database_url, run_clone, scratch_database

from relsynth.connections import create_engine, read_snapshot
from relsynth.extraction import read_table
from relsynth.reporting.detection import CHILDREN_PREFIX, compute_detection
from relsynth.rules.discovery import discover
from relsynth.rules.expressions import NUMERIC
from relsynth.rules.measure import measure
from relsynth.rules.model import Rule
from relsynth.schema.elements import Schema, Table, TypeKind
from relsynth.schema.introspection import introspect

DATASETS = ["pagila", "chinook", "northwind", "hr", "berka", "stats", "tpch_sf0_1"]
ISSUE_BAR = 0.99  # clone share >= 99% of the source's
MARGIN = 0.01  # the report's default [rules] margin
SAMPLE_ROWS = 50_000
# Child columns whose distinct values are counted (arrays and JSON are lists and dicts in pandas).
HASHABLE = NUMERIC | {TypeKind.TEXT, TypeKind.ENUM, TypeKind.BOOLEAN, TypeKind.DATE, TypeKind.TIMESTAMP, TypeKind.TIME, TypeKind.UUID}


@dataclass
class RuleFigure:
    rule: str
    kind: str
    source: float | None
    clone: float | None

    @property
    def verdict(self) -> str:
        if self.source is None or self.clone is None:
            return "n/a"
        if self.clone < self.source - MARGIN:
            return "broken"
        return "low" if self.clone < ISSUE_BAR * self.source else "ok"


@dataclass
class DatasetFigures:
    dataset: str
    discovery_seconds: float
    clone_seconds: float | None = None
    rules: list[RuleFigure] = field(default_factory=list)
    dda: dict[str, float] = field(default_factory=dict)  # parent table -> accuracy
    error: str = ""


def _shares(url: str, schema: Schema, rules: tuple[Rule, ...]) -> dict:
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            return measure(connection, schema, rules, sample_rows=SAMPLE_ROWS)
    finally:
        engine.dispose()


def _frames(url: str, schema: Schema) -> dict:
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            return {t.name: read_table(connection, t) for t in schema.tables}
    finally:
        engine.dispose()


def aggregated(schema: Schema, table: Table, frames: dict) -> pd.DataFrame:
    """The parent's rows with, per child FK, the children's count, numeric means and distinct counts."""
    frame = frames[table.name].reset_index(drop=True)
    extra: dict[str, pd.Series] = {}
    for child in schema.tables:
        for fk in (fk for fk in child.foreign_keys if fk.referred_table == table.name):
            rows = frames[child.name]
            keys = list(fk.constrained_columns)
            others = [c for c in child.columns if c.name not in keys and c.type.kind in HASHABLE]
            rows = rows.dropna(subset=keys)
            # Key values are arbitrary labels (the clone owns its own): their means would tell real from
            # synthetic for no reason; how many distinct parents the children point at does mean something.
            keyed = {c for fk in child.foreign_keys for c in fk.constrained_columns}
            keyed |= set(child.primary_key.constrained_columns if child.primary_key else ())
            others = [c for c in others if not (child.primary_key and (c.name,) == child.primary_key.constrained_columns)]
            numbers = pd.DataFrame({c.name: pd.to_numeric(rows[c.name], errors="coerce") for c in others
                                    if c.type.kind in NUMERIC and c.name not in keyed}, index=rows.index)
            groups = rows.groupby(keys)
            stats = pd.DataFrame({"count": groups.size()})
            if not numbers.empty:
                means = numbers.groupby([rows[k] for k in keys]).mean()
                for name in numbers.columns:
                    stats[f"mean {name}"] = means[name]
            for column in others:
                stats[f"distinct {column.name}"] = groups[column.name].nunique()
            index = pd.MultiIndex.from_frame(frame[list(fk.referred_columns)]) if len(keys) > 1 else frame[fk.referred_columns[0]]
            joined = stats.reindex(index)
            for name in stats.columns:
                values = joined[name].to_numpy(dtype=float)
                extra[f"{CHILDREN_PREFIX}{child.name}({','.join(keys)}) {name}"] = pd.Series(values).fillna(0 if name == "count" else float("nan"))
    return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1) if extra else frame


def dda(schema: Schema, real: dict, synthetic: dict) -> dict[str, float]:
    """Aggregation detection accuracy per table that has children."""
    out = {}
    for table in schema.tables:
        if not any(fk.referred_table == table.name for fk in schema.foreign_keys if fk.table != table.name):
            continue
        alone = replace(schema, tables=(replace(table, foreign_keys=()),))  # no parent columns: the children only
        found = compute_detection(alone, {table.name: aggregated(schema, table, real)},
                                  {table.name: aggregated(schema, table, synthetic)}, seed=0)
        if found:
            out[str(table.name)] = found[0].accuracy
    return out


def bench(dataset: str, *, seed: int, clone: bool) -> DatasetFigures:
    url = database_url(dataset)
    schema = introspect(url)
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            started = time.perf_counter()
            rules = discover(connection, schema)
            figures = DatasetFigures(dataset, time.perf_counter() - started)
    finally:
        engine.dispose()
    source = _shares(url, schema, rules)
    if not clone:
        figures.rules = [RuleFigure(r.describe(), r.kind.value, source.get(r.key()), None) for r in rules]
        return figures
    with scratch_database("rules_find_bench") as target:
        run = run_clone(url, target, dataset=dataset, seed=seed)
        figures.clone_seconds = run.wall_seconds
        if not run.ok:
            figures.error = run.error
            return figures
        clone_shares = _shares(target, schema, rules)
        figures.rules = [RuleFigure(r.describe(), r.kind.value, source.get(r.key()), clone_shares.get(r.key())) for r in rules]
        try:
            figures.dda = dda(schema, _frames(url, schema), _frames(target, schema))
        except Exception as exc:  # noqa: BLE001 - the rule figures stand without the DDA
            figures.error = f"aggregation detection failed: {exc}"
    return figures


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:7.2%}"


def report(figures: DatasetFigures) -> None:
    clone = "" if figures.clone_seconds is None else f", clone {figures.clone_seconds:.1f} s"
    print(f"\n== {figures.dataset}: {len(figures.rules)} rules, discovery {figures.discovery_seconds:.2f} s{clone}")
    if figures.error:
        print("  FAILED:\n    " + figures.error.replace("\n", "\n    "))
    for r in figures.rules:
        print(f"  {_pct(r.source)} {_pct(r.clone)}  {r.verdict:6s} {r.rule}")
    counts = {v: sum(r.verdict == v for r in figures.rules) for v in ("ok", "low", "broken")}
    if figures.clone_seconds is not None:
        print(f"  rules kept (>= 99% of the source's share): {counts['ok']}/{len(figures.rules)}; low {counts['low']}, broken {counts['broken']}")
    for table, accuracy in sorted(figures.dda.items(), key=lambda item: -item[1]):
        print(f"  DDA {accuracy:.3f}  {table}")
    if figures.dda:
        print(f"  DDA worst table: {max(figures.dda.values()):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", default=DATASETS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-clone", action="store_true", help="Discovery and source shares only.")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args()
    results = []
    for dataset in args.datasets:
        figures = bench(dataset, seed=args.seed, clone=not args.no_clone)
        report(figures)
        sys.stdout.flush()
        results.append(figures)
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=2))


if __name__ == "__main__":
    main()
