"""Real database engines for the tests.

Each server engine comes from a URL in the environment (``RELSYNTH_TEST_POSTGRES_URL``,
``RELSYNTH_TEST_MARIADB_URL``), else from testcontainers where a Docker engine answers; otherwise
its tests are skipped, except under ``CI=true`` where a missing engine fails the run.
Each test gets databases of its own (``make_database``), dropped afterwards.

The shared datasets are found through ``RELSYNTH_DATASETS``, else ``../shared/datasets`` beside the
repository. A test that reads a shared dataset (asks for ``load_dataset``) is marked ``slow``
automatically, so ``./scripts/test.sh --fast`` (``-m "not slow"``) never clones one.
Whatever a test needs and cannot find (a server, a dataset, ``psql``, an extra, a browser)
skips it with a message that says where it looked, or fails it under ``CI=true``: CI never skips.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fixtures import unavailable
from sqlalchemy.engine import URL, make_url

from relsynth.connections import parse_url

DATASETS = Path(os.environ.get("RELSYNTH_DATASETS") or Path(__file__).resolve().parents[2] / "shared" / "datasets")
DATASET_NAMES = ("pagila", "chinook", "northwind", "hr", "berka", "stats")
_ENV = {"postgresql": "RELSYNTH_TEST_POSTGRES_URL", "mysql": "RELSYNTH_TEST_MARIADB_URL"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects: the mark must be there when it looks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "load_dataset" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def _from_testcontainers(engine: str) -> tuple[str, object] | None:
    try:
        if engine == "postgresql":
            from testcontainers.postgres import PostgresContainer

            container = PostgresContainer("postgres:16", driver="psycopg").start()
        else:
            from testcontainers.mysql import MySqlContainer

            container = MySqlContainer("mariadb:11").start()
    except Exception:  # no testcontainers, or no Docker engine: the caller decides
        return None
    url = container.get_connection_url()
    if engine == "mysql":
        url = url.replace("mysql://", "mysql+pymysql://", 1)
    return url, container


def _server_url(engine: str) -> Iterator[URL]:
    url = os.environ.get(_ENV[engine])
    container = None
    if not url:
        found = _from_testcontainers(engine)
        if found is not None:
            url, container = found
    if not url:
        unavailable(f"no {engine} server: set {_ENV[engine]} (or run a Docker engine for testcontainers)")
    probe = sa.create_engine(parse_url(url))
    try:
        with probe.connect():
            pass
    except Exception as exc:
        unavailable(f"{engine} server at {make_url(url).render_as_string(hide_password=True)} is unreachable: {exc}")
    finally:
        probe.dispose()  # a pooled connection left to the GC warns (and warnings are errors)
    yield parse_url(url)
    if container is not None:
        container.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    yield from _server_url("postgresql")


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[URL]:
    yield from _server_url("mysql")


def _admin_execute(server: URL, statement: str) -> None:
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


DatabaseFactory = Callable[[str], str]


@pytest.fixture
def make_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseFactory]:
    """``make_database(engine)`` returns the URL of a new empty database on ``engine``.

    ``engine`` is ``"sqlite"``, ``"postgresql"`` or ``"mysql"``. The databases are dropped after
    the test.
    """
    created: list[tuple[URL, str]] = []

    def make(engine: str) -> str:
        if engine == "sqlite":
            return f"sqlite:///{tmp_path / f'db_{uuid.uuid4().hex[:8]}.sqlite'}"
        server = request.getfixturevalue("postgres_server" if engine == "postgresql" else "mariadb_server")
        name = f"rs_test_{uuid.uuid4().hex[:10]}"
        quote = '"' if engine == "postgresql" else "`"
        _admin_execute(server, f"CREATE DATABASE {quote}{name}{quote}")
        created.append((server, name))
        return server.set(database=name).render_as_string(hide_password=False)

    yield make
    for server, name in created:
        if server.get_backend_name() == "postgresql":
            _admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            _admin_execute(server, f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def any_engine(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over every engine; server engines resolve their server lazily."""
    return request.param


def _dataset_loaded(server: URL, name: str) -> bool:
    engine = sa.create_engine(server.set(database="postgres"))
    try:
        with engine.connect() as connection:
            return bool(
                connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def load_dataset(postgres_server: URL) -> Callable[[str], str]:
    """``load_dataset(name)`` returns a URL of the shared dataset ``name`` loaded in PostgreSQL.

    The dataset's own ``load.sh`` creates the database (named after the dataset) when it is
    missing. Tests must treat these databases as read-only sources.
    """

    def load(name: str) -> str:
        if not (DATASETS / name / "load.sh").exists():
            unavailable(
                f"dataset {name} not found: looked for {DATASETS / name / 'load.sh'} "
                "(set RELSYNTH_DATASETS to the folder that holds the shared datasets)"
            )
        lock = open(f"/tmp/relsynth-dataset-{name}.lock", "w")  # xdist workers load each dataset once
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _load_if_missing(name)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
        return postgres_server.set(database=name).render_as_string(hide_password=False)

    def _load_if_missing(name: str) -> None:
        if not _dataset_loaded(postgres_server, name):
            if shutil.which("psql") is None:
                unavailable("psql is needed to load the shared datasets: not found on PATH")
            env = dict(os.environ)
            env.update(
                PGHOST=postgres_server.host or "127.0.0.1",
                PGPORT=str(postgres_server.port or 5432),
                PGUSER=postgres_server.username or "postgres",
            )
            if postgres_server.password:
                env["PGPASSWORD"] = postgres_server.password
            subprocess.run([str(DATASETS / name / "load.sh")], env=env, check=True, capture_output=True)

    return load
