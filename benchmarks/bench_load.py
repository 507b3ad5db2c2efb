"""Benchmark: relsynth's load_frame against a plain psycopg COPY of the same rows.

Builds N rows of a TPC-H lineitem-like table in a DataFrame, then loads them into a fresh
PostgreSQL database three ways, each into a new empty table:

  plain COPY   psycopg COPY of a CSV buffer rendered beforehand (rendering not timed)
  load_frame   relsynth.loaders.load_frame from the DataFrame (all conversion timed)
  write_row    psycopg Copy.write_row row by row (the alternative load_frame does not use)

Usage: python benchmarks/bench_load.py [--rows 500000] [--repeat 3] [--no-write-row]
Server: RELSYNTH_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
The script creates and drops its own database.
"""

from __future__ import annotations

import argparse
import io
import os
import time
import uuid

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.connections import parse_url, redact
from relsynth.loaders import load_frame
from relsynth.schema.elements import Column, ColumnType, QualifiedName, Table, TypeKind

DDL = """
CREATE TABLE {name} (
    l_orderkey bigint NOT NULL,
    l_partkey integer NOT NULL,
    l_suppkey integer NOT NULL,
    l_linenumber integer NOT NULL,
    l_quantity numeric(15,2) NOT NULL,
    l_extendedprice numeric(15,2) NOT NULL,
    l_discount numeric(15,2) NOT NULL,
    l_tax numeric(15,2) NOT NULL,
    l_returnflag char(1) NOT NULL,
    l_linestatus char(1) NOT NULL,
    l_shipdate date NOT NULL,
    l_commitdate date NOT NULL,
    l_receiptdate date,
    l_shipinstruct varchar(25) NOT NULL,
    l_shipmode varchar(10) NOT NULL,
    l_comment varchar(44) NOT NULL
)
"""


def _table(name: str) -> Table:
    def col(column: str, kind: TypeKind, sql: str, **extra: object) -> Column:
        return Column(column, ColumnType(kind, sql, **extra))  # type: ignore[arg-type]

    numeric = {"precision": 15, "scale": 2}
    return Table(
        QualifiedName(None, name),
        (
            col("l_orderkey", TypeKind.INTEGER, "bigint"),
            col("l_partkey", TypeKind.INTEGER, "integer"),
            col("l_suppkey", TypeKind.INTEGER, "integer"),
            col("l_linenumber", TypeKind.INTEGER, "integer"),
            col("l_quantity", TypeKind.DECIMAL, "numeric(15,2)", **numeric),
            col("l_extendedprice", TypeKind.DECIMAL, "numeric(15,2)", **numeric),
            col("l_discount", TypeKind.DECIMAL, "numeric(15,2)", **numeric),
            col("l_tax", TypeKind.DECIMAL, "numeric(15,2)", **numeric),
            col("l_returnflag", TypeKind.TEXT, "character(1)", length=1),
            col("l_linestatus", TypeKind.TEXT, "character(1)", length=1),
            col("l_shipdate", TypeKind.DATE, "date"),
            col("l_commitdate", TypeKind.DATE, "date"),
            col("l_receiptdate", TypeKind.DATE, "date"),
            col("l_shipinstruct", TypeKind.TEXT, "character varying(25)", length=25),
            col("l_shipmode", TypeKind.TEXT, "character varying(10)", length=10),
            col("l_comment", TypeKind.TEXT, "character varying(44)", length=44),
        ),
    )


def _frame(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(
        ["carefully", "final", "deposits", "sleep", "quickly", "among", "the", "furious", "pinto", "beans", "ironic"]
    )
    comments = [" ".join(ws) for ws in words[rng.integers(0, len(words), size=(rows, 4))].tolist()]
    ship = np.datetime64("1992-01-01") + rng.integers(0, 2500, rows).astype("timedelta64[D]")
    receipt = pd.Series(ship + rng.integers(1, 30, rows).astype("timedelta64[D]")).astype("datetime64[ns]")
    receipt[rng.random(rows) < 0.05] = pd.NaT  # some NULLs, as generated data has
    return pd.DataFrame(
        {
            "l_orderkey": np.arange(1, rows + 1, dtype=np.int64),
            "l_partkey": rng.integers(1, 200_000, rows),
            "l_suppkey": rng.integers(1, 10_000, rows),
            "l_linenumber": rng.integers(1, 8, rows),
            "l_quantity": rng.integers(1, 51, rows).astype(np.float64),
            "l_extendedprice": np.round(rng.uniform(900, 105_000, rows), 2),
            "l_discount": np.round(rng.integers(0, 11, rows) / 100, 2),
            "l_tax": np.round(rng.integers(0, 9, rows) / 100, 2),
            "l_returnflag": rng.choice(["A", "N", "R"], rows),
            "l_linestatus": rng.choice(["O", "F"], rows),
            "l_shipdate": pd.Series(ship).astype("datetime64[ns]"),
            "l_commitdate": pd.Series(ship + rng.integers(-30, 30, rows).astype("timedelta64[D]")).astype(
                "datetime64[ns]"
            ),
            "l_receiptdate": receipt,
            "l_shipinstruct": rng.choice(["DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN"], rows),
            "l_shipmode": rng.choice(["AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB", "REG AIR"], rows),
            "l_comment": comments,
        }
    )


def _csv(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for name in ("l_quantity", "l_extendedprice", "l_discount", "l_tax"):
        out[name] = out[name].map("{:.2f}".format)
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, header=False, date_format="%Y-%m-%d")
    return buffer.getvalue().encode("utf-8")


def _fresh_table(connection: sa.Connection, name: str) -> None:
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
    connection.exec_driver_sql(DDL.format(name=f'"{name}"'))
    connection.commit()


def _plain_copy(engine: sa.Engine, name: str, data: bytes) -> float:
    with engine.connect() as connection:
        _fresh_table(connection, name)
        started = time.perf_counter()
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as copy:
            for start in range(0, len(data), 1 << 22):
                copy.write(data[start : start + (1 << 22)])
        connection.commit()
        return time.perf_counter() - started


def _load_frame(engine: sa.Engine, name: str, frame: pd.DataFrame) -> float:
    with engine.connect() as connection:
        _fresh_table(connection, name)
        started = time.perf_counter()
        written = load_frame(connection, _table(name), frame)
        connection.commit()
        assert written == len(frame), (written, len(frame))
        return time.perf_counter() - started


def _write_row(engine: sa.Engine, name: str, frame: pd.DataFrame) -> float:
    with engine.connect() as connection:
        _fresh_table(connection, name)
        started = time.perf_counter()
        cursor = connection.connection.driver_connection.cursor()
        records = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        with cursor.copy(f'COPY "{name}" FROM STDIN') as copy:
            for record in records:
                copy.write_row(record)
        connection.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each method; the best is reported")
    parser.add_argument("--no-write-row", action="store_true", help="skip the (slow) write_row comparison")
    args = parser.parse_args()

    server = parse_url(os.environ.get("RELSYNTH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    database = f"rs_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    engine = sa.create_engine(server.set(database=database))
    try:
        frame = _frame(args.rows)
        data = _csv(frame)
        print(f"server {redact(server)}, database {database}, {args.rows:,} rows, CSV {len(data) / 1e6:.1f} MB")
        results: dict[str, float] = {}
        for _ in range(args.repeat):  # interleaved so that drift hits every method alike
            for label, run in (
                ("plain COPY", lambda: _plain_copy(engine, "lineitem_plain", data)),
                ("load_frame", lambda: _load_frame(engine, "lineitem_relsynth", frame)),
            ):
                seconds = run()
                results[label] = min(seconds, results.get(label, float("inf")))
        if not args.no_write_row:
            results["write_row"] = _write_row(engine, "lineitem_write_row", frame)
        for label, seconds in results.items():
            print(f"{label:>11}: {seconds:6.2f} s  {args.rows / seconds:>12,.0f} rows/s")
        ratio = results["plain COPY"] / results["load_frame"]
        print(f"load_frame / plain COPY throughput: {ratio:.0%} (target >= 70%)")
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
