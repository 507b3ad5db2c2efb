"""The public API is small and deliberate: adding or removing a name is a decision, made here."""

from __future__ import annotations

import subprocess
import sys

import relsynth

PUBLIC = {
    "RelsynthError",
    "clone",
    "clone_schema",
    "generate",
    "generate_into",
    "introspect",
    "load",
    "load_run",
    "plan",
    "report",
    "train",
}


def test_exported_names_are_pinned() -> None:
    assert set(relsynth.__all__) == PUBLIC


def test_every_exported_name_resolves_to_a_callable() -> None:
    for name in relsynth.__all__:
        assert callable(getattr(relsynth, name)), name


def test_importing_relsynth_does_not_import_torch_or_drivers() -> None:
    code = "import sys, relsynth; print(sorted(m for m in ('torch', 'psycopg', 'pymysql', 'opacus') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
