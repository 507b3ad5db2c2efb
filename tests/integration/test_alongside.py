"""Reading alongside training on real engines: the twin connection reads the same snapshot
(PostgreSQL), elsewhere calls run in turn on the snapshot's own connection; errors surface, and
leaving on an error stops the statement running."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from relsynth.alongside import Alongside
from relsynth.connections import create_engine, read_snapshot, snapshot_twin


def _source(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE things (id integer PRIMARY KEY)")
        connection.execute(sa.text("INSERT INTO things (id) VALUES (:id)"), [{"id": i} for i in range(1, 11)])
    engine.dispose()
    return url


def _count(connection) -> int:
    return int(connection.exec_driver_sql("SELECT count(*) FROM things").scalar_one())


def _write(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


def test_the_twin_reads_the_snapshot_not_later_writes(any_engine: str, make_database) -> None:
    url = _source(make_database(any_engine))
    engine = create_engine(url, read_only=True)
    try:
        with read_snapshot(engine) as connection:
            assert _count(connection) == 10
            if any_engine != "sqlite":  # SQLite's reader would block the writer: its snapshot is the file
                _write(url, "INSERT INTO things (id) VALUES (11)")
            with snapshot_twin(connection) as twin:
                if any_engine != "postgresql":
                    assert twin is None  # no snapshot to share: callers read in turn
                    return
                assert twin is not connection  # a connection of its own ...
                assert _count(twin) == 10  # ... inside the first one's snapshot, not a fresh one
                with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                    twin.exec_driver_sql("INSERT INTO things (id) VALUES (12)")
    finally:
        engine.dispose()


def test_calls_alongside_give_what_they_give_in_turn(any_engine: str, make_database) -> None:
    url = _source(make_database(any_engine))
    engine = create_engine(url, read_only=True)
    found: dict[str, tuple[int, str]] = {}

    def count(connection, name: str) -> None:
        found[name] = (_count(connection), threading.current_thread().name)

    try:
        with read_snapshot(engine) as connection, Alongside(connection) as alongside:
            for name in ("a", "b"):
                alongside.submit(count, name)
    finally:
        engine.dispose()
    assert {name: rows for name, (rows, _) in found.items()} == {"a": 10, "b": 10}
    in_thread = {thread.startswith("relsynth-alongside") for _, thread in found.values()}
    assert in_thread == {any_engine == "postgresql"}


def test_an_error_alongside_is_raised_on_leaving(any_engine: str, make_database) -> None:
    url = _source(make_database(any_engine))
    engine = create_engine(url, read_only=True)

    def fails(connection) -> None:
        connection.exec_driver_sql("SELECT nothing FROM nowhere")

    try:
        with pytest.raises(sa.exc.DBAPIError), read_snapshot(engine) as connection, Alongside(connection) as alongside:
            alongside.submit(fails)
    finally:
        engine.dispose()


def test_leaving_on_an_error_cancels_the_statement_running(make_database) -> None:
    url = _source(make_database("postgresql"))
    engine = create_engine(url, read_only=True)
    seen: list[BaseException] = []

    def sleeps(connection) -> None:
        try:
            connection.exec_driver_sql("SELECT pg_sleep(600)")
        except BaseException as error:
            seen.append(error)
            raise

    watcher = sa.create_engine(url)
    try:
        with pytest.raises(KeyboardInterrupt), read_snapshot(engine) as connection, Alongside(connection) as alongside:
            alongside.submit(sleeps)
            with watcher.connect() as watch:  # interrupted once the server runs the statement
                active = sa.text("SELECT count(*) FROM pg_stat_activity WHERE query = :q AND state = 'active' AND datname = current_database()")
                while not watch.execute(active, {"q": "SELECT pg_sleep(600)"}).scalar_one():
                    watch.exec_driver_sql("SELECT pg_sleep(0.05)")
            raise KeyboardInterrupt
    finally:
        engine.dispose()
        watcher.dispose()
    assert len(seen) == 1 and "cancel" in str(seen[0]).lower()
