"""Benchmark: free-text sampling (relsynth.values.text.TextModel) on real text columns.

Per column: a TextModel is fitted on the column (TPC-H comments, film descriptions and titles,
track names, ...), saved and read back as generation does per chunk, then ``--rows`` texts are
sampled. Prints the source's mean words per text, the CPU seconds of reading the state back and
of sampling, texts per CPU second, and the share of distinct texts. CPU time, not wall time: on a
shared machine it moves far less with the load.

Usage: python benchmarks/bench_text.py [--rows 200000] [--seed 0] [--max-length N]
Server: RELSYNTH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres
(the databases tpch_sf0_1, pagila, chinook and northwind; only read).
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd
import sqlalchemy as sa
from _common import database_url

from relsynth.values.text import TextModel

COLUMNS = [
    ("tpch_sf0_1", "lineitem", "l_comment"),
    ("tpch_sf0_1", "orders", "o_comment"),
    ("tpch_sf0_1", "partsupp", "ps_comment"),
    ("pagila", "film", "description"),
    ("pagila", "film", "title"),
    ("chinook", "track", "name"),
    ("northwind", "employees", "notes"),
]
TRAINING_ROWS = 60_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-length", type=int, default=None)
    args = parser.parse_args()
    print(f"{'column':32} {'words':>6} {'read s':>7} {'sample s':>9} {'texts/s':>10} {'distinct':>9}")
    for database, table, column in COLUMNS:
        engine = sa.create_engine(database_url(database))
        with engine.connect() as connection:
            query = sa.text(f'SELECT "{column}" FROM "{table}" LIMIT {TRAINING_ROWS}')
            values = pd.Series([row[0] for row in connection.execute(query)], dtype=object)
        engine.dispose()
        state = json.loads(json.dumps(TextModel.fit(values, seed=1).to_dict()))
        started = time.process_time()
        model = TextModel.from_dict(state)
        read = time.process_time() - started
        started = time.process_time()
        texts = model.sample(args.rows, seed=args.seed, max_length=args.max_length)
        sampled = time.process_time() - started
        words = values.dropna().str.split().str.len().mean()
        distinct = texts.nunique() / max(texts.notna().sum(), 1)
        print(f"{database + '.' + table + '.' + column:32} {words:6.1f} {read:7.2f} {sampled:9.2f} "
              f"{args.rows / sampled:10,.0f} {distinct:9.1%}")


if __name__ == "__main__":
    main()
