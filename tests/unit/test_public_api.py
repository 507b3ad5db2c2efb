"""The public API is small and deliberate: adding or removing a name is a decision, made here."""

from __future__ import annotations

import subprocess
import sys

import relsynth
from relsynth import api

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
    "discover_rules",
    "train",
}


def test_exported_names_are_pinned() -> None:
    assert set(relsynth.__all__) == PUBLIC


def test_the_api_module_holds_the_same_verbs() -> None:
    assert set(api.__all__) == PUBLIC - {"RelsynthError"}
    for name in api.__all__:
        assert getattr(relsynth, name) is getattr(api, name), name


def test_every_exported_name_resolves_to_a_callable() -> None:
    for name in relsynth.__all__:
        assert callable(getattr(relsynth, name)), name


def test_importing_relsynth_does_not_import_torch_or_drivers() -> None:
    # the verbs' own modules too: torch and scikit-learn come with training and generation only
    code = (
        "import sys, relsynth, relsynth.api, relsynth.pipeline, relsynth.config, relsynth.runs; "
        "print(sorted(m for m in ('torch', 'psycopg', 'pymysql', 'opacus', 'sklearn') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
