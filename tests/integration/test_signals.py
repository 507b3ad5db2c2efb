"""Real SIGINT and SIGTERM in the middle of a load: the target is left as it was, a rerun succeeds.

The signal is sent once the load is blocked inside a statement, which each test arranges with a
lock held by another session and detects by polling the server (never by sleeping a fixed time):

- PostgreSQL: ``relsynth generate --replace`` in a subprocess waits to drop the previous clone's
  table that the test holds a lock on.
- MariaDB: a load in this process waits to insert into a staging table the test has locked; the
  signal is sent to this process, as a terminal or a supervisor would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from fixtures import load_fixture
from test_atomic_load import _rows, _source, contents

from relsynth.config import RelsynthConfig
from relsynth.modeling import ModelConfig
from relsynth.pipeline import generate_into, load, train
from relsynth.schema.introspection import introspect

pytestmark = pytest.mark.slow  # interrupts clones running in subprocesses

RELSYNTH = [sys.executable, "-m", "relsynth.cli"]
SMALL = RelsynthConfig(model=ModelConfig(epochs=2, max_training_seconds=3600.0, hidden_dim=16))
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
_POLL = 0.02  # seconds between two looks at the server
_PATIENCE = 300.0  # give up (and fail) if the awaited state never comes


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + _PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(_POLL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_replace_on_postgresql_keeps_the_previous_clone(make_database, tmp_path: Path, signum) -> None:
    source = load_fixture(make_database("postgresql"), "composite_fk")
    workspace = tmp_path / "run"
    train(source, workspace=workspace, config=SMALL)
    target = make_database("postgresql")
    generate_into(workspace, target, seed=1)
    before = contents(target)
    db = sa.create_engine(target)
    try:
        with db.connect() as blocker, db.connect() as watcher:
            blocker.exec_driver_sql("LOCK TABLE stock_item IN ACCESS SHARE MODE")  # held until rollback
            env = {**os.environ, "COLUMNS": "200"}
            command = [*RELSYNTH, "generate", str(workspace), target, "--replace", "--seed", "2"]
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            waiting = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")

            def load_is_blocked() -> bool:
                assert process.poll() is None, f"relsynth ended before the signal: {process.communicate()}"
                return bool(watcher.execute(waiting).scalar())

            _until(load_is_blocked, "the load to wait on the locked table")
            process.send_signal(signum)
            _, stderr = process.communicate(timeout=_PATIENCE)
            blocker.rollback()
    finally:
        db.dispose()
    assert process.returncode == EXIT_CODES[signum], stderr
    assert "aborted" in stderr and "Traceback" not in stderr
    assert contents(target) == before
    rerun = subprocess.run([*RELSYNTH, "generate", str(workspace), target, "--replace", "--seed", "2"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert set(contents(target)) == set(before)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_statement_on_mariadb_drops_the_staging_tables(make_database, signum) -> None:
    source = _source(make_database)
    schema = introspect(source)
    frames = _rows(source, schema)
    target = make_database("mysql")
    handler = signal.getsignal(signal.SIGTERM)
    db = sa.create_engine(target)
    tables_created, tables_locked = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def stream():
        tables_created.set()  # the loader asks for rows once its staging tables exist
        tables_locked.wait()
        yield from frames

    def interrupt() -> None:
        """Lock the staging tables, signal this process once the load waits on them, then let go."""
        try:
            with db.connect() as holder, db.connect() as watcher:
                tables_created.wait()
                staging = [row[0] for row in holder.exec_driver_sql("SHOW TABLES LIKE '\\_rs\\_%%'")]
                holder.exec_driver_sql("LOCK TABLES " + ", ".join(f"`{t}` WRITE" for t in staging))
                tables_locked.set()
                blocked = sa.text("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND STATE LIKE 'Waiting for table metadata lock%%' AND ID <> CONNECTION_ID()")
                _until(lambda: watcher.execute(blocked).first() is not None, "the load to wait on the locked tables")
                loader = watcher.execute(blocked).scalar()
                os.kill(os.getpid(), signum)
                gone = sa.text("SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = :id")
                _until(lambda: watcher.execute(gone, {"id": loader}).first() is None, "the clean-up to kill the load's connection")
                holder.exec_driver_sql("UNLOCK TABLES")
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)
            tables_locked.set()

    helper = threading.Thread(target=interrupt)
    helper.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            load(stream(), target, schema=schema)
    finally:
        helper.join()
        db.dispose()
    assert not failures, failures
    assert contents(target) == {}
    load(iter(frames), target, schema=schema)
    assert contents(target) == contents(source)
    assert signal.getsignal(signal.SIGTERM) is handler  # the load put the previous handler back
