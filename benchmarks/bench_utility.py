"""Benchmark: utility (train on synthetic, test on real) of plain and differentially private clones.

For each dataset (a PostgreSQL database of that name) 20% of the privacy unit's rows, with every
row descending from them, are held out (bench_dp.make_training_copy; the unit is pagila's
customer, berka's account, --unit, or relsynth's own proposal). The rest is cloned without DP and
at each epsilon, and relsynth's utility figure (relsynth.reporting.utility) is computed for one
proposed target per table that has held-out rows: a boosted-tree model fitted on the clone (TSTR)
and one fitted on the real training rows (TRTR), both scored on the held-out real rows, with
relational features (parents' columns, children's counts, means and distinct counts).

Prints TRTR, TSTR, the ratio with its bootstrap 95% interval, and the feature-importance rank
correlation per target and setting, then each setting's worst ratio (the report's gate figure).

Usage: python benchmarks/bench_utility.py [chinook berka ...] [--epsilons 1 4 8] [--seed 0] [--unit TABLE]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import database_url, scratch_database
from bench_dp import UNITS, make_training_copy

from relsynth.config import RelsynthConfig
from relsynth.connections import create_engine, read_snapshot
from relsynth.pipeline import clone
from relsynth.privacy import PrivacyConfig
from relsynth.privacy.units import propose_unit
from relsynth.reporting.utility import Utility, compute_utility, read_frames, tables_needed
from relsynth.schema.elements import QualifiedName, Schema
from relsynth.schema.introspection import introspect

DATASETS = ["pagila", "chinook", "northwind", "hr", "berka", "stats"]


def _frames(url: str, schema: Schema, names: list[QualifiedName]) -> dict:
    engine = create_engine(url)
    try:
        with read_snapshot(engine) as connection:
            return read_frames(connection, schema, names, [])
    finally:
        engine.dispose()


def _unit(dataset: str, schema: Schema, given: str | None) -> str:
    if given or dataset in UNITS:
        return given or UNITS[dataset]
    counts = {name: len(frame) for name, frame in _frames(database_url(dataset), schema, list(schema.table_names)).items()}
    return str(propose_unit(schema, counts, identifying=set(), max_children=PrivacyConfig().max_children).table)


def measure(dataset: str, *, epsilons: list[float], seed: int, unit: str | None) -> list[tuple[str, Utility]]:
    source = database_url(dataset)
    schema = introspect(source)
    unit = _unit(dataset, schema, unit)
    results = []
    with scratch_database("rs_util_train") as train_source:
        holdout = make_training_copy(source, train_source, unit, seed=seed)
        names = tables_needed(schema, list(holdout))
        real = _frames(source, schema, names)
        targets: list[str] = []
        for epsilon in [None, *epsilons]:
            config = RelsynthConfig(seed=seed, holdout_fraction=0.0)
            if epsilon is not None:
                config = replace(config, privacy=PrivacyConfig(epsilon=epsilon, delta=1e-6, unit=unit))
            with tempfile.TemporaryDirectory() as workspace, scratch_database("rs_util") as target:
                clone(train_source, target, config=config, workspace=Path(workspace))
                utility = compute_utility(schema, real, _frames(target, schema, names), holdout, targets=targets, seed=seed)
            targets = targets or list(utility.proposed)  # the same targets for every setting
            results.append(("no DP" if epsilon is None else f"eps {epsilon:g}", utility))
    return results


def _fmt(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", default=DATASETS)
    parser.add_argument("--epsilons", nargs="*", type=float, default=[1.0, 4.0, 8.0])
    parser.add_argument("--unit", default=None, help="privacy unit and holdout table (default: per dataset)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    print(f"{'dataset':10} {'setting':8} {'target':34} {'metric':8} {'TRTR':>6} {'TSTR':>6} {'ratio':>6} {'95% CI':>13} {'imp. rho':>8}")
    worst = []
    for dataset in args.datasets:
        for setting, utility in measure(dataset, epsilons=args.epsilons, seed=args.seed, unit=args.unit):
            for s in utility.scores:
                interval = f"{_fmt(s.ci_low, '.2f')}-{_fmt(s.ci_high, '.2f')}"
                print(f"{dataset:10} {setting:8} {s.table + '.' + s.target:34} {s.metric:8} {s.real:6.3f} {s.synthetic:6.3f} "
                      f"{_fmt(s.ratio):>6} {interval:>13} {_fmt(s.importance_correlation, '.2f'):>8}", flush=True)
            for note in utility.notes:
                print(f"{dataset:10} {setting:8} note: {note}")
            worst.append((dataset, setting, utility.worst_ratio))
    print(f"\n{'dataset':10} {'setting':8} worst ratio")
    for dataset, setting, ratio in worst:
        print(f"{dataset:10} {setting:8} {_fmt(ratio)}")


if __name__ == "__main__":
    main()
