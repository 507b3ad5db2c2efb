"""The source is never harmed, and a clone that cannot succeed is refused before anything is learnt.

The same database spelled two ways is refused as a target on every engine (and its rows are
unchanged), a source connection cannot write, and a missing, full or forbidden target is refused
before the source is read (the pipeline's learning and introspection are replaced by tripwires).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from fixtures import load_fixture
from sqlalchemy.engine import URL, make_url

from relsynth import pipeline
from relsynth.config import RelsynthConfig, load_config
from relsynth.connections import create_engine
from relsynth.errors import (
    ConfigurationError,
    SourceEmpty,
    SourceMissing,
    TargetIsSource,
    TargetMissing,
    TargetNotEmpty,
    TargetNotWritable,
)
from relsynth.identity import file_identity
from relsynth.modeling import ModelConfig
from relsynth.pipeline import clone, generate_into, train
from relsynth.schema.introspection import introspect

RELSYNTH = [sys.executable, "-m", "relsynth.cli"]
TINY = RelsynthConfig(model=ModelConfig(epochs=2, max_training_seconds=5.0), holdout_fraction=0.0)
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*RELSYNTH, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def _checksum(url: str) -> tuple[int, str]:
    """(rows, digest) over every table's rows, in a stable order."""
    engine = sa.create_engine(url)
    digest, rows = hashlib.sha256(), 0
    try:
        with engine.connect() as connection:
            for name in sorted(sa.inspect(connection).get_table_names()):
                table = sa.Table(name, sa.MetaData(), autoload_with=connection)
                found = sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
                digest.update(f"{name}:{found}".encode())
                rows += len(found)
    finally:
        engine.dispose()
    return rows, digest.hexdigest()


def _server_spellings(url: str) -> list[str]:
    """The same server database, written otherwise: other host name, port written out or left
    out, a query parameter, the bare backend name."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    spellings: list[URL] = [parsed.update_query_dict({"connect_timeout": "10"}), parsed.set(drivername=backend)]
    other_host = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(parsed.host or "")
    if other_host:
        spellings.append(parsed.set(host=other_host))
    if parsed.port in (None, _DEFAULT_PORTS[backend]):
        spellings.append(parsed._replace(port=None if parsed.port else _DEFAULT_PORTS[backend]))
    return [s.render_as_string(hide_password=False) for s in spellings]


def _sqlite_spellings(path: Path) -> list[str]:
    link = path.parent / "link.sqlite"
    link.symlink_to(path)
    (path.parent / "sub").mkdir()
    return [
        f"sqlite:///{path.name}",  # relative to the working directory
        f"sqlite:///{path.parent}/sub/../{path.name}",
        f"sqlite:///{link}",
        f"sqlite:///file:{path}?uri=true",
    ]


def _source_and_spellings(engine: str, make_database, tmp_path: Path) -> tuple[str, list[str]]:
    source = load_fixture(make_database(engine), "self_ref")
    if engine == "sqlite":
        return source, _sqlite_spellings(Path(make_url(source).database))
    return source, _server_spellings(source)


@pytest.fixture
def tripwires(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts calls of the pipeline's introspection and learning; learning fails the test."""
    calls = {"introspect": 0}

    def no_learning(*args, **kwargs):
        raise AssertionError("the source was learnt before the target was checked")

    def counted_introspect(*args, **kwargs):
        calls["introspect"] += 1
        return introspect(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_learn", no_learning)
    monkeypatch.setattr(pipeline, "introspect", counted_introspect)
    return calls


# -- the source is never the target --------------------------------------------------------------


def test_the_source_spelled_otherwise_is_refused_and_unchanged(any_engine, make_database, tmp_path, monkeypatch, tripwires) -> None:
    source, spellings = _source_and_spellings(any_engine, make_database, tmp_path)
    before = _checksum(source)
    monkeypatch.chdir(tmp_path)
    for target in spellings:
        for replace in (True, False):
            with pytest.raises(TargetIsSource, match="is the source database"):
                clone(source, target, replace=replace)
        with pytest.raises(TargetIsSource):
            clone(source, target, replace=True, schema_only=True)
    assert tripwires["introspect"] == 0
    assert _checksum(source) == before and before[0] == 4


@pytest.mark.slow  # the command line in a subprocess
def test_the_command_line_refuses_the_source_as_target_with_replace(any_engine, make_database, tmp_path) -> None:
    source, spellings = _source_and_spellings(any_engine, make_database, tmp_path)
    before = _checksum(source)
    result = _cli("clone", source, spellings[0], "--replace", cwd=tmp_path)
    assert result.returncode == TargetIsSource.exit_code != 0, result.stderr
    assert "is the source database" in result.stderr and "Traceback" not in result.stderr
    assert _checksum(source) == before


@pytest.mark.slow  # trains
def test_generate_refuses_the_database_the_run_was_trained_from(make_database, tmp_path) -> None:
    source = load_fixture(make_database("sqlite"), "self_ref")
    before = _checksum(source)
    train(source, workspace=tmp_path / "run", config=TINY)
    link = tmp_path / "alias.sqlite"
    link.symlink_to(Path(make_url(source).database))
    with pytest.raises(TargetIsSource):
        generate_into(tmp_path / "run", f"sqlite:///{link}", replace=True)
    assert _checksum(source) == before
    generate_into(tmp_path / "run", make_database("sqlite"))  # another target is fine


def test_a_recorded_sqlite_source_that_is_gone_no_longer_matches(tmp_path) -> None:
    path = tmp_path / "gone.sqlite"
    path.write_bytes(b"")
    recorded = file_identity(path)
    assert recorded is not None and recorded.still_present()
    path.unlink()  # a new file may now get the same inode: the record must not refuse it
    assert not recorded.still_present()


def test_a_source_connection_cannot_write(any_engine, make_database) -> None:
    source = load_fixture(make_database(any_engine), "self_ref")
    before = _checksum(source)
    engine = create_engine(source, read_only=True)
    try:
        for statement in ("CREATE TABLE rs_write_probe (x integer)", "UPDATE employee SET name = 'x'", "DELETE FROM employee"):
            with engine.connect() as connection, pytest.raises(sa.exc.DBAPIError):
                connection.exec_driver_sql(statement)
                connection.commit()
    finally:
        engine.dispose()
    assert _checksum(source) == before


# -- the source exists and holds tables -------------------------------------------------------------


@pytest.mark.slow  # the command line in a subprocess
def test_inspecting_a_missing_sqlite_file_fails_without_creating_it(tmp_path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(SourceMissing, match="does not exist"):
        introspect(f"sqlite:///{missing}")
    result = _cli("inspect", "sqlite:///missing.db", cwd=tmp_path)
    assert result.returncode == SourceMissing.exit_code and "does not exist" in result.stderr
    assert not missing.exists()


@pytest.mark.slow  # the command line in a subprocess
def test_an_empty_source_is_refused_and_inspect_warns(any_engine, make_database, tripwires) -> None:
    source, target = make_database(any_engine), make_database(any_engine)
    if any_engine == "sqlite":
        Path(make_url(source).database).write_bytes(b"")
    with pytest.raises(SourceEmpty, match="holds no tables"):
        clone(source, target)
    with pytest.raises(SourceEmpty):
        train(source)
    if any_engine == "sqlite":
        result = _cli("inspect", source)
        assert result.returncode == 0 and "holds no tables" in result.stderr


# -- the target is checked first ---------------------------------------------------------------------


def _missing_target(engine: str, make_database, tmp_path: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'clone.sqlite'}"
    return make_url(make_database(engine)).set(database=f"rs_test_missing_{uuid.uuid4().hex[:10]}").render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres") if parsed.get_backend_name() == "postgresql" else parsed._replace(database=None)
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    quote = '"' if parsed.get_backend_name() == "postgresql" else "`"
    with engine.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{parsed.database}{quote}")
    engine.dispose()


def test_a_missing_target_is_refused_before_the_source_is_read(any_engine, make_database, tmp_path, tripwires) -> None:
    source = load_fixture(make_database(any_engine), "self_ref")
    target = _missing_target(any_engine, make_database, tmp_path)
    with pytest.raises(TargetMissing, match="--create-target"):
        clone(source, target)
    assert tripwires["introspect"] == 0


def test_create_target_creates_the_database(any_engine, make_database, tmp_path) -> None:
    source = load_fixture(make_database(any_engine), "self_ref")
    target = _missing_target(any_engine, make_database, tmp_path)
    try:
        clone(source, target, schema_only=True, create_target=True)
        assert [str(t.name) for t in introspect(target).tables] == ["employee"]
    finally:
        if any_engine != "sqlite":
            _drop_database(target)


@pytest.mark.slow  # the command line in a subprocess
def test_the_command_line_creates_a_postgres_target(make_database, tmp_path) -> None:
    source = load_fixture(make_database("postgresql"), "self_ref")
    target = _missing_target("postgresql", make_database, tmp_path)
    try:
        created = _cli("clone", source, target, "--schema-only", "--create-target")
        assert created.returncode == 0, created.stderr
        assert [str(t.name) for t in introspect(target).tables] == ["employee"]
    finally:
        _drop_database(target)


def test_a_target_holding_the_tables_is_refused_before_learning(any_engine, make_database, tripwires) -> None:
    source = load_fixture(make_database(any_engine), "self_ref")
    target = load_fixture(make_database(any_engine), "self_ref")
    with pytest.raises(TargetNotEmpty, match="--replace"):
        clone(source, target)


@pytest.mark.slow  # trains
def test_generate_refuses_a_full_target_before_generating(make_database, tmp_path, monkeypatch) -> None:
    source = load_fixture(make_database("sqlite"), "self_ref")
    train(source, workspace=tmp_path / "run", config=TINY)
    target = load_fixture(make_database("sqlite"), "self_ref")

    def no_generation(*args, **kwargs):
        raise AssertionError("rows were generated before the target was checked")

    monkeypatch.setattr(pipeline, "generate", no_generation)
    with pytest.raises(TargetNotEmpty):
        generate_into(tmp_path / "run", target)


def test_a_postgres_user_without_create_is_refused_first(make_database, postgres_server, tripwires) -> None:
    source = load_fixture(make_database("postgresql"), "self_ref")
    target = make_url(make_database("postgresql"))
    role = f"rs_test_role_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    try:
        as_role = target.set(username=role, password=None).render_as_string(hide_password=False)
        with pytest.raises(TargetNotWritable, match="may not create tables in schema public.*GRANT CREATE ON SCHEMA"):
            clone(source, as_role)
        assert tripwires["introspect"] == 0
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


def test_a_mariadb_user_without_create_is_refused_first(make_database, mariadb_server, tripwires) -> None:
    source = load_fixture(make_database("mysql"), "self_ref")
    target = make_url(make_database("mysql"))
    user = f"rs_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(mariadb_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY 'pw-{user}'")
        connection.exec_driver_sql(f"GRANT SELECT ON `{target.database}`.* TO '{user}'@'%%'")
    try:
        as_user = target.set(username=user, password=f"pw-{user}").render_as_string(hide_password=False)
        with pytest.raises(TargetNotWritable, match="refuses new tables"):
            clone(source, as_user)
        assert tripwires["introspect"] == 0
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP USER '{user}'@'%%'")
        admin.dispose()


# -- configuration names -------------------------------------------------------------------------------


def _default_namespace(engine: str, url: str) -> str:
    return {"postgresql": "public", "sqlite": "main"}.get(engine) or make_url(url).database


def test_a_schema_qualified_table_in_the_config_is_excluded(any_engine, make_database, tmp_path) -> None:
    source = load_fixture(make_database(any_engine), "composite_fk")
    config = tmp_path / "relsynth.toml"
    config.write_text(f'[tables."{_default_namespace(any_engine, source)}.stock_item"]\nmode = "exclude"\n')
    target = make_database(any_engine)
    clone(source, target, config=load_config(config), schema_only=True)
    assert [str(t.name) for t in introspect(target).tables] == ["warehouse_bin"]


def test_an_unknown_table_in_the_config_is_refused_with_a_suggestion(any_engine, make_database, tmp_path, tripwires) -> None:
    source = load_fixture(make_database(any_engine), "composite_fk")
    config = tmp_path / "relsynth.toml"
    config.write_text('[tables.stock_items]\nmode = "exclude"\n\n[tables.warehouse_bin.columns.capacty]\nrole = "keep_out"\n')
    with pytest.raises(ConfigurationError, match="'stock_items'.*did you mean 'stock_item'"):
        clone(source, make_database(any_engine), config=load_config(config))
    config.write_text('[tables.warehouse_bin.columns.capacty]\nrole = "keep_out"\n')
    with pytest.raises(ConfigurationError, match="no column 'capacty'; did you mean 'capacity'"):
        clone(source, make_database(any_engine), config=load_config(config))
