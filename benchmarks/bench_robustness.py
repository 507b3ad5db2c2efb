"""Bad input, measured: random awkward databases (tests/corpus.py) cloned on each engine.

Prints, per engine, the cases tried and held (cloned cleanly, or refused with one clear line and an
unchanged target), and the first lines of every case that did not hold. Servers come from
RELSYNTH_TEST_POSTGRES_URL / RELSYNTH_TEST_MARIADB_URL (defaults: this machine's services).

    .venv/bin/python benchmarks/bench_robustness.py --cases 30 --engines sqlite postgresql mysql
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import uuid
import warnings
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus import create, databases, try_clone  # noqa: E402

SERVERS = {
    "postgresql": os.environ.get("RELSYNTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "mysql": os.environ.get("RELSYNTH_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test"),
}


class Databases:
    """Empty scratch databases on one engine, dropped on close."""

    def __init__(self, engine: str, folder: Path) -> None:
        self.engine, self.folder, self.created = engine, folder, []

    def new(self) -> str:
        if self.engine == "sqlite":
            return f"sqlite:///{self.folder / f'{uuid.uuid4().hex[:8]}.sqlite'}"
        from relsynth.connections import parse_url

        server, name = parse_url(SERVERS[self.engine]), f"rs_robust_{uuid.uuid4().hex[:8]}"
        self._admin(server, f"CREATE DATABASE {self._quote(name)}")
        self.created.append((server, name))
        return server.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        for server, name in self.created:
            force = " WITH (FORCE)" if self.engine == "postgresql" else ""
            self._admin(server, f"DROP DATABASE IF EXISTS {self._quote(name)}{force}")

    def _quote(self, name: str) -> str:
        return f'"{name}"' if self.engine == "postgresql" else f"`{name}`"

    @staticmethod
    def _admin(server, statement: str) -> None:  # type: ignore[no-untyped-def]
        engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
        engine.dispose()


def run_engine(engine: str, cases: int, verbose: bool) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as folder:
        scratch = Databases(engine, Path(folder))

        @settings(max_examples=cases, deadline=None, derandomize=True, phases=[Phase.generate], database=None,
                  suppress_health_check=list(HealthCheck))
        @given(database=databases(engine))
        def case(database) -> None:  # type: ignore[no-untyped-def]
            source, target = scratch.new(), scratch.new()
            create(database, engine, source)
            outcome = try_clone(database, source, target)
            counts[outcome.kind] += 1
            if outcome.kind != "cloned" and (verbose or not outcome.held):
                print(f"  {engine} case {sum(counts.values())} {outcome.kind}: {outcome.detail.splitlines()[0][:300]}")

        try:
            case()
        finally:
            scratch.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20, help="random databases per engine")
    parser.add_argument("--verbose", action="store_true", help="also print why each refused case was refused")
    parser.add_argument("--engines", nargs="*", default=["sqlite", "postgresql", "mysql"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"{'engine':<12}{'tried':>7}{'held':>7}{'cloned':>8}{'refused':>9}{'broken':>8}")
    rows = []
    for engine in args.engines:
        counts = run_engine(engine, args.cases, args.verbose)
        tried = sum(counts.values())
        rows.append(f"{engine:<12}{tried:>7}{tried - counts['broken']:>7}{counts['cloned']:>8}{counts['refused']:>9}{counts['broken']:>8}")
        print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
