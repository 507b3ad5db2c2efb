"""Canaries: plant unique values in a copy of a dataset, clone it, and count those that come out.

```
.venv/bin/python -W ignore benchmarks/bench_canaries.py                  # chinook hr, default and --epsilon 8
.venv/bin/python -W ignore benchmarks/bench_canaries.py hr --epsilon 8 --no-default
.venv/bin/python -W ignore benchmarks/bench_canaries.py hr --max-training-seconds 5 --json out.json
```

Each dataset is copied with ``CREATE DATABASE rs_canary_* TEMPLATE <dataset>`` (the shared database
is never written to), then the copy gets canaries, each seen once or twice (below k = 3):

- ``name``: an invented person's name in free-text columns and in columns whose name says nothing
  (``track.composer``, ``artist.name``, ``jobs.job_title``); found when its surname appears in any
  text column of the clone;
- ``number``, ``date``, ``category``: a value of its own in one row of a numeric, date or
  categorical column; found when the clone's column holds it;
- ``row``: two rows made equal on the table's learned columns, with two common values that no other
  row holds together and the most frequent value of each other column (each value common, the
  whole row seen twice); found when a row of the clone equals it on all of those columns.

The copy is cloned (default settings, and with ``--epsilon``) into a scratch database and every
canary is counted in the clone. Target: zero. The copy and the clone are dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import _admin, database_url, scratch_database  # noqa: E402

# Name canaries: (the text planted, its surname). The surnames are in no name list and no dataset,
# and none contains another: a hit can only be a copy of that one canary.


@dataclass(frozen=True)
class Canary:
    kind: str  # name | number | date | category | row
    table: str
    columns: tuple[str, ...]
    values: tuple[object, ...]
    where: str  # which rows of the copy get it (SQL on the table)


# Per dataset: what to plant, and where.
CANARIES: dict[str, list[Canary]] = {
    "chinook": [
        Canary("name", "track", ("composer",), ("Ignatius Vellacourt", "Vellacourt"), "track_id = 1"),
        Canary("name", "artist", ("name",), ("Zebediah Quorndale", "Quorndale"), "artist_id = 2"),
        Canary("name", "album", ("title",), ("Live at Ottoline Brashwick's Hall", "Brashwick"), "album_id = 3"),
        Canary("name", "track", ("name",), ("Ode to Perpetua Gorringe", "Gorringe"), "track_id = 4"),
        Canary("number", "track", ("milliseconds",), (987_654,), "track_id = 5"),
        Canary("date", "invoice", ("invoice_date",), ("1999-12-31 00:00:00",), "invoice_id = 6"),
        Canary("category", "customer", ("country",), ("Atlantis",), "customer_id = 7"),
        Canary("row", "invoice", ("billing_country", "total", "invoice_date"), (), "invoice_id IN (8, 9)"),
    ],
    "hr": [
        Canary("name", "jobs", ("job_title",), ("Ignatius Vellacourt Liaison", "Vellacourt"), "job_id = 'AD_PRES'"),
        Canary("name", "departments", ("department_name",), ("Ottoline Brashwick", "Brashwick"), "department_id = 10"),
        Canary("number", "employees", ("salary",), (98_765.43,), "employee_id = 100"),
        Canary("date", "employees", ("hire_date",), ("1975-05-05",), "employee_id = 101"),
        Canary("category", "locations", ("state_province",), ("Atlantis Province",), "location_id = 1400"),
        Canary("row", "employees", ("salary", "commission_pct", "hire_date"), (), "employee_id IN (119, 131)"),
    ],
}

# The privacy unit of the DP clones (hr: a unit above the employees-departments cycle).
UNITS = {"chinook": "customer", "hr": "job_history"}  # hr: the only table below the employees-departments cycle


@dataclass
class Outcome:
    dataset: str
    mode: str
    planted: int
    found: dict[str, int] = field(default_factory=dict)  # canary -> rows of the clone holding it
    rare_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""

    @property
    def leaked(self) -> int:
        return sum(1 for count in self.found.values() if count)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def template_copy(dataset: str, tries: int = 10) -> Iterator[str]:
    """A copy of ``dataset``, dropped afterwards: ``CREATE DATABASE ... TEMPLATE dataset``, retried
    while others read the dataset, else ``pg_dump dataset | psql copy`` (which only reads it)."""
    name = f"rs_canary_{dataset}_{uuid.uuid4().hex[:8]}"
    admin = _admin()
    try:
        for attempt in range(tries + 1):
            try:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(dataset)}")
                break
            except Exception:  # the template is being accessed by other users: wait, then dump
                if attempt == tries:
                    with admin.connect() as connection:
                        connection.exec_driver_sql(f"CREATE DATABASE {_quote(name)}")
                    _dump_into(dataset, name)
                    break
                time.sleep(2)
        yield database_url(name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
        admin.dispose()


def _dump_into(dataset: str, name: str) -> None:
    from relsynth.connections import parse_url

    url = parse_url(database_url(dataset))
    env = dict(os.environ, PGHOST=url.host or "127.0.0.1", PGPORT=str(url.port or 5432), PGUSER=url.username or "postgres")
    if url.password:
        env["PGPASSWORD"] = url.password
    dump = subprocess.Popen(["pg_dump", "--no-owner", "-d", dataset], stdout=subprocess.PIPE, env=env)
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", name], stdin=dump.stdout, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    dump.wait()


def _rare_row(connection, canary: Canary) -> tuple[object, ...]:
    """Two values, each common in its column (5+ rows), that no row holds together, then the most
    frequent value of each further column."""
    a, b, *rest = (_quote(c) for c in canary.columns)
    table = _quote(canary.table)
    pair = connection.exec_driver_sql(
        f"SELECT x.{a}, y.{b} FROM (SELECT {a} FROM {table} WHERE {a} IS NOT NULL GROUP BY {a} HAVING count(*) >= 5) x "
        f"CROSS JOIN (SELECT {b} FROM {table} WHERE {b} IS NOT NULL GROUP BY {b} HAVING count(*) >= 5) y "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{a} = x.{a} AND t.{b} = y.{b}) ORDER BY 1, 2 LIMIT 1"
    ).one()
    common = [
        connection.exec_driver_sql(
            f"SELECT {c} FROM {table} WHERE {c} IS NOT NULL GROUP BY {c} ORDER BY count(*) DESC, {c} LIMIT 1"
        ).scalar_one()
        for c in rest
    ]
    return (*pair, *common)


def plant(url: str, canaries: list[Canary]) -> list[Canary]:
    """Write the canaries into the copy at ``url``; returns them with the values planted."""
    import sqlalchemy as sa

    from relsynth.connections import create_engine

    planted = []
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for canary in canaries:
                values = canary.values or _rare_row(connection, canary)
                written = values[:1] if canary.kind == "name" else values
                sets = ", ".join(f"{_quote(c)} = :v{i}" for i, c in enumerate(canary.columns))
                params = {f"v{i}": v for i, v in enumerate(written)}
                connection.execute(sa.text(f"UPDATE {_quote(canary.table)} SET {sets} WHERE {canary.where}"), params)
                planted.append(Canary(canary.kind, canary.table, canary.columns, values, canary.where))
    finally:
        engine.dispose()
    return planted


def count(url: str, canaries: list[Canary]) -> dict[str, int]:
    """Rows of the clone at ``url`` that hold each canary."""
    import sqlalchemy as sa

    from relsynth.connections import create_engine
    from relsynth.schema.elements import TypeKind
    from relsynth.schema.introspection import introspect

    schema = introspect(url)
    engine = create_engine(url)
    found: dict[str, int] = {}
    try:
        with engine.connect() as connection:
            text_columns = [(t.name.name, c.name) for t in schema.tables for c in t.columns if c.type.kind is TypeKind.TEXT]
            for canary in canaries:
                label = f"{canary.kind} {canary.table}.{'+'.join(canary.columns)}"
                if canary.kind == "name":
                    token = canary.values[1]
                    found[label] = sum(
                        connection.execute(
                            sa.text(f"SELECT count(*) FROM {_quote(t)} WHERE {_quote(c)} LIKE :token"), {"token": f"%{token}%"}
                        ).scalar_one()
                        for t, c in text_columns
                    )
                    continue
                where = " AND ".join(f"{_quote(c)} = :v{i}" for i, c in enumerate(canary.columns))
                params = {f"v{i}": v for i, v in enumerate(canary.values)}
                found[label] = connection.execute(
                    sa.text(f"SELECT count(*) FROM {_quote(canary.table)} WHERE {where}"), params
                ).scalar_one()
    finally:
        engine.dispose()
    return found


def run_one(dataset: str, *, epsilon: float | None, max_training_seconds: float | None, seed: int = 0) -> Outcome:
    from relsynth.config import RelsynthConfig
    from relsynth.modeling import ModelConfig
    from relsynth.pipeline import clone
    from relsynth.privacy.config import PrivacyConfig

    mode = "default" if epsilon is None else f"epsilon {epsilon:g}"
    model = ModelConfig() if max_training_seconds is None else ModelConfig(max_training_seconds=max_training_seconds)
    config = RelsynthConfig(seed=seed, model=model, privacy=PrivacyConfig(epsilon=epsilon, unit=UNITS[dataset] if epsilon else None))
    outcome = Outcome(dataset, mode, planted=len(CANARIES[dataset]))
    started = time.perf_counter()
    with template_copy(dataset) as source, scratch_database("rs_canary_out") as target:
        canaries = plant(source, CANARIES[dataset])
        try:
            result = clone(source, target, config=config)
        except Exception as exc:  # a failed clone is a finding, not a crash of the benchmark
            outcome.error = f"{type(exc).__name__}: {exc}"
            return outcome
        outcome.rare_rows = getattr(result, "rare_rows", {})
        outcome.found = count(target, canaries)
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", default=["chinook", "hr"], choices=sorted(CANARIES))
    parser.add_argument("--epsilon", type=float, default=8.0, help="the DP clone's epsilon (default 8)")
    parser.add_argument("--no-dp", action="store_true", help="only the default clone")
    parser.add_argument("--no-default", action="store_true", help="only the DP clone")
    parser.add_argument("--max-training-seconds", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write every outcome as JSON")
    args = parser.parse_args(argv)
    epsilons = ([] if args.no_default else [None]) + ([] if args.no_dp else [args.epsilon])
    outcomes = []
    for dataset in args.datasets:
        for epsilon in epsilons:
            outcome = run_one(dataset, epsilon=epsilon, max_training_seconds=args.max_training_seconds, seed=args.seed)
            outcomes.append(outcome)
            status = f"ERROR {outcome.error}" if outcome.error else f"{outcome.leaked} of {outcome.planted} canaries found"
            print(f"{dataset:10} {outcome.mode:12} {status}  ({outcome.seconds} s)", flush=True)
            for label, hits in outcome.found.items():
                print(f"    {label:45} {hits}")
            redrawn = sum(t.get("redrawn", 0) for t in outcome.rare_rows.values())
            dropped = sum(t.get("dropped", 0) for t in outcome.rare_rows.values())
            print(f"    rare rows redrawn {redrawn}, dropped {dropped}")
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(o) | {"leaked": o.leaked} for o in outcomes], indent=2, default=str))
    leaked = sum(o.leaked for o in outcomes)
    failed = sum(1 for o in outcomes if o.error)
    print(f"canaries found: {leaked} (target 0); failed clones: {failed}")
    return 1 if leaked or failed else 0


if __name__ == "__main__":
    sys.exit(main())
