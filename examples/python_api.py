"""relsynth's Python API end to end, on a small shop database in SQLite that this script builds.

    python examples/python_api.py                 # writes relsynth-example/ in the current folder
    python examples/python_api.py --dir /tmp/x --quick

Each step is one public verb: introspect -> plan -> train (into a workspace) -> generate (in
memory) -> load into a target -> generate again from the saved run, without the source -> report.
Exits 5 when the report's gate fails, like ``relsynth report``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from rich.console import Console

import relsynth
from relsynth.config import RelsynthConfig
from relsynth.demo import build_demo_database
from relsynth.modeling import ModelConfig
from relsynth.reporting import build_report, evaluate, render_terminal
from relsynth.reporting.completeness import modes_from_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("relsynth-example"), help="where the databases and the run go")
    parser.add_argument("--customers", type=int, default=400, help="customers in the source shop")
    parser.add_argument("--quick", action="store_true", help="a few epochs per table: seconds, not minutes")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)

    # A source database: the demo shop (an org chart, customers with names and emails, orders, lines).
    source = build_demo_database(args.dir / "source.sqlite", customers=args.customers)

    # 1. The schema, as frozen dataclasses: tables, keys, foreign keys, checks.
    schema = relsynth.introspect(source)
    for table in schema.tables:
        parents = sorted({str(fk.referred_table) for fk in table.foreign_keys})
        print(f"{table.name}: {len(table.columns)} columns, parents {parents or '-'}")

    # 2. The plan: generation order, each table's context parent, deferred foreign keys (cycles,
    #    self-references). It is data: print it, diff it, test it.
    generation_plan = relsynth.plan(schema)
    print("order:", " -> ".join(str(t.table) for t in generation_plan.tables))
    for table_plan in generation_plan.tables:
        for deferred in table_plan.deferred_fks:
            print(f"deferred: {deferred.foreign_key.label}")

    # 3. Train once, into a workspace (treat it like the source: it holds the holdout rows).
    config = RelsynthConfig(seed=7)
    if args.quick:
        config = replace(config, model=ModelConfig(epochs=5, max_training_seconds=5))
    workspace = args.dir / "run"
    run = relsynth.train(source, workspace=workspace, config=config, replace_workspace=True)

    # 4. Generate in memory: a SyntheticDatabase of DataFrames in plan order.
    data = relsynth.generate(run, scale=0.5, seed=1)
    print("generated at scale 0.5:", data.row_counts)

    # 5. Load it into a target (created with the schema; all or nothing).
    half = f"sqlite:///{args.dir / 'clone_half.sqlite'}"
    relsynth.load(data, half, schema=run.schema, replace=True)

    # 6. Later, without the source: generate from the saved run straight into a target.
    full = f"sqlite:///{args.dir / 'clone.sqlite'}"
    result = relsynth.generate_into(workspace, full, seed=1, replace=True)
    print("cloned into", full, result.rows)

    # 7. Report: integrity, fidelity, privacy and utility of the clone against its source.
    saved = relsynth.load_run(workspace)
    report = build_report(
        source, full, seed=config.seed, holdout=saved.holdout, copied=tuple(saved.copied),
        scale=saved.config.scale, modes=modes_from_run(saved), identifying_columns=saved.identifying_columns(),
        min_count=saved.config.privacy.min_count, rare_rows=result.rare_rows,
    )
    gate = evaluate(report, fail_under={"quality": 0.5}, fail_over={})
    Console(width=100).print(render_terminal(report, gate=gate))
    (args.dir / "report.json").write_text(report.to_json(), encoding="utf-8")
    return 0 if gate.passed else 5


if __name__ == "__main__":
    sys.exit(main())
