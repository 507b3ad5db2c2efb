"""Generation by the rules: each rule's share in the source, and in clones without and with the rule.

```
OMP_NUM_THREADS=1 .venv/bin/python -W ignore benchmarks/bench_rules_generation.py            # pagila chinook
OMP_NUM_THREADS=1 .venv/bin/python -W ignore benchmarks/bench_rules_generation.py chinook --seed 2
```

Each dataset is trained twice (seed 1): with no rules (the clone as before) and with the issue's
rules written by hand (until discovery finds them; a ``category`` rule acts in training, the others
in generation). Each run is generated and loaded into a scratch database; each rule's share is
measured in SQL on the source and both clones, next to the seconds that each stage took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import database_url, scratch_database  # noqa: E402

# (dataset, rule, the share of rows that obey it, in SQL)
CHECKS = {
    "pagila": [
        ("equal payment.customer_id rental_id->customer_id",
         "SELECT avg((p.customer_id = r.customer_id)::int) FROM payment p JOIN rental r USING (rental_id)"),
        ("order rental.return_date ge rental_date",
         "SELECT avg((return_date >= rental_date)::int) FROM rental WHERE return_date IS NOT NULL"),
    ],
    "chinook": [
        ("aggregate invoice.total sum invoice_line(invoice_id) unit_price*quantity",
         "SELECT avg((i.total = s.x)::int) FROM invoice i "
         "JOIN (SELECT invoice_id, sum(unit_price * quantity) AS x FROM invoice_line GROUP BY invoice_id) s USING (invoice_id)"),
        ("equal invoice.billing_address customer_id->address",
         "SELECT avg((i.billing_address = c.address)::int) FROM invoice i JOIN customer c USING (customer_id)"),
        ("distinct billing addresses", "SELECT count(DISTINCT billing_address) FROM invoice"),
        ("category customer.state (share of values that are a source code)",
         "SELECT avg((state IN ({codes}))::int) FROM customer WHERE state IS NOT NULL"),
    ],
    "tpch_sf0_1": [
        ("formula lineitem.l_extendedprice mul l_quantity, l_partkey->p_retailprice",
         "SELECT avg((l_extendedprice = l_quantity * p_retailprice)::int) FROM lineitem JOIN part ON p_partkey = l_partkey"),
        ("order lineitem.l_shipdate gt l_orderkey->o_orderdate",
         "SELECT avg((l_shipdate > o_orderdate)::int) FROM lineitem JOIN orders ON o_orderkey = l_orderkey"),
        ("order lineitem.l_receiptdate gt l_shipdate", "SELECT avg((l_receiptdate > l_shipdate)::int) FROM lineitem"),
        ("sequence lineitem.l_linenumber numbers 1..k per l_orderkey",
         "SELECT avg((l_linenumber = n)::int) FROM "
         "(SELECT l_linenumber, row_number() OVER (PARTITION BY l_orderkey ORDER BY l_linenumber) AS n FROM lineitem) s"),
    ],
}


def _rules(schema, dataset: str):
    from relsynth.rules import Rule, RuleKind

    def named(name: str):
        return next(t for t in schema.table_names if t.name == name)

    if dataset == "pagila":
        return (
            Rule(RuleKind.EQUAL, named("payment"), "customer_id", inputs=("rental_id->customer_id",), origin="config"),
            Rule(RuleKind.ORDER, named("rental"), "return_date", op="ge", inputs=("rental_date",), origin="config"),
        )
    if dataset == "tpch_sf0_1":
        return (
            Rule(RuleKind.FORMULA, named("lineitem"), "l_extendedprice", op="mul", inputs=("l_quantity", "l_partkey->p_retailprice"),
                 origin="config"),
            Rule(RuleKind.ORDER, named("lineitem"), "l_shipdate", op="gt", inputs=("l_orderkey->o_orderdate",), origin="config"),
            Rule(RuleKind.ORDER, named("lineitem"), "l_receiptdate", op="gt", inputs=("l_shipdate",), origin="config"),
            Rule(RuleKind.SEQUENCE, named("lineitem"), "l_linenumber", op="number", via=("l_orderkey",), origin="config"),
        )
    return (
        Rule(RuleKind.AGGREGATE, named("invoice"), "total", op="sum", inputs=("unit_price", "quantity"),
             child=named("invoice_line"), via=("invoice_id",), origin="config"),
        Rule(RuleKind.EQUAL, named("invoice"), "billing_address", inputs=("customer_id->address",), origin="config"),
        Rule(RuleKind.CATEGORY, named("customer"), "state", origin="config"),
    )


def _shares(url: str, dataset: str, codes: str) -> list[float]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return [float(connection.exec_driver_sql(sql.format(codes=codes)).scalar() or 0) for _, sql in CHECKS[dataset]]
    finally:
        engine.dispose()


def _source_codes(url: str, dataset: str) -> str:
    """The source's state codes, as an SQL list (read once from the source)."""
    import sqlalchemy as sa

    if dataset != "chinook":
        return "NULL"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            codes = connection.exec_driver_sql("SELECT DISTINCT state FROM customer WHERE state IS NOT NULL").scalars()
            return ", ".join("'" + code.replace("'", "''") + "'" for code in codes)
    finally:
        engine.dispose()


def measure(dataset: str, seed: int) -> None:
    from relsynth.config import RelsynthConfig
    from relsynth.learning import train
    from relsynth.pipeline import generate_into
    from relsynth.runs import load_run, save_run
    from relsynth.schema.introspection import introspect

    source = database_url(dataset)
    codes = _source_codes(source, dataset)
    columns = {"source": _shares(source, dataset, codes)}
    seconds: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for label in ("before", "after"):
            rules = _rules(introspect(source), dataset) if label == "after" else ()
            started = time.perf_counter()
            run = train(source, config=RelsynthConfig(seed=1), rules=rules)  # a category rule acts in training
            trained = time.perf_counter() - started
            workspace = Path(folder) / label
            save_run(run, workspace)
            assert load_run(workspace).rules == run.rules
            with scratch_database("rules_gen") as target:
                result = generate_into(workspace, target, seed=seed, replace=True)
                seconds[label] = {"train": trained, "generate": result.seconds["generate"], "load": result.seconds["load"]}
                columns[label] = _shares(target, dataset, codes)
                for warning in result.warnings:
                    if "rule" in warning:
                        print(f"  warning: {warning}")
    print(f"{dataset} (seed {seed})")
    print(f"  {'rule':<75} {'source':>8} {'before':>8} {'after':>8}")
    for index, (name, _) in enumerate(CHECKS[dataset]):
        row = [columns[c][index] for c in ("source", "before", "after")]
        print(f"  {name:<75} " + " ".join(f"{v:8.4f}" if v <= 1 else f"{v:8.0f}" for v in row))
    for label, stages in seconds.items():
        print(f"  {label}: " + ", ".join(f"{stage} {value:.2f} s" for stage, value in stages.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", default=["pagila", "chinook"], help=f"any of {', '.join(CHECKS)}")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    if unknown := set(arguments.datasets) - set(CHECKS):
        parser.error(f"no rules written for {', '.join(sorted(unknown))}; choose among {', '.join(CHECKS)}")
    for dataset in arguments.datasets:
        measure(dataset, arguments.seed)


if __name__ == "__main__":
    main()
