"""Load a ``schemas/*.sql`` topology fixture into a database URL; say what a test lacks.

``schemas/<name>.sql`` is PostgreSQL; ``schemas/sqlite/<name>.sql`` and ``schemas/mysql/<name>.sql``
are the variants for the other engines, present only for some fixtures. Import it from tests as
``from fixtures import load_fixture`` (``tests/`` is on ``sys.path`` through its conftest).
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(message: str) -> NoReturn:
    """Skip the test for a missing requirement; under CI=true fail it instead."""
    if IN_CI:
        pytest.fail(f"{message} - CI=true requires it")
    pytest.skip(message)


def require_module(name: str, extra: str) -> ModuleType:
    """Import an optional dependency, or skip (fail under CI) naming the extra that installs it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        unavailable(f"{name} is not installed: pip install 'relsynth[{extra}]'")


def fixture_path(name: str, dialect: str) -> Path:
    """The fixture file for ``dialect`` ("postgresql", "sqlite", "mysql")."""
    path = SCHEMAS / f"{name}.sql" if dialect == "postgresql" else SCHEMAS / dialect / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no {dialect} variant of fixture {name!r} (looked for {path})")
    return path


def fixture_names(dialect: str) -> list[str]:
    folder = SCHEMAS if dialect == "postgresql" else SCHEMAS / dialect
    return sorted(p.stem for p in folder.glob("*.sql"))


def _statements(script: str) -> list[str]:
    """Split on semicolons that end a line; the fixtures keep such semicolons out of literals."""
    script = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", script + "\n") if s.strip()]


def load_fixture(url: str, name: str) -> str:
    """Run fixture ``name`` (schema and rows) against the database at ``url``; returns ``url``."""
    backend = make_url(url).get_backend_name()
    backend = "mysql" if backend == "mariadb" else backend
    script = fixture_path(name, backend).read_text(encoding="utf-8")
    engine = sa.create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            if backend == "sqlite":
                raw.driver_connection.executescript(script)  # type: ignore[union-attr]
            else:
                cursor = raw.cursor()
                if backend == "postgresql":
                    raw.driver_connection.autocommit = True  # type: ignore[union-attr]  # script runs its own BEGIN
                    cursor.execute(script)
                else:
                    for statement in _statements(script):
                        cursor.execute(statement)
                cursor.close()
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return url
