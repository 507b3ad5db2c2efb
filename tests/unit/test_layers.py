"""The import layers hold: a module imports only from its own part or from the lines below it.

Every module under relsynth/ is parsed with ``ast`` (imports inside functions included, so a lazy
import is still an arrow) and placed in a *part* by the longest matching name below. The lines
are the README's "Layers" section; parts on one line do not import each other.
"""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "relsynth"

# Top to bottom. A part is a tuple of module names (a name covers its submodules); "relsynth"
# alone is the package's own __init__ (the public face, which imports the verbs on first use).
LAYERS: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("relsynth.cli",), ("relsynth",)),
    (("relsynth.api",),),
    (("relsynth.pipeline",), ("relsynth.demo",)),
    (("relsynth.generation", "relsynth.generation_memory", "relsynth.chunks", "relsynth.walks", "relsynth.column_values", "relsynth.row_counts"), ("relsynth.learning", "relsynth.fitting", "relsynth.child_counts", "relsynth.alongside"), ("relsynth.loaders",), ("relsynth.reporting",), ("relsynth.preflight",)),
    (("relsynth.runs",), ("relsynth.reference",), ("relsynth.privacy",), ("relsynth.rules",), ("relsynth.training_sample",)),
    (
        ("relsynth.planning",),
        ("relsynth.modeling",),
        ("relsynth.roles",),
        ("relsynth.uniqueness",),
        ("relsynth.schema.ddl", "relsynth.schema.type_mapping"),
        ("relsynth.identity",),
    ),
    (("relsynth.schema.introspection",),),
    (
        ("relsynth.graph",),
        ("relsynth.values",),
        ("relsynth.extraction",),
        ("relsynth.joins",),
        ("relsynth.connections",),
        ("relsynth.checks",),
        ("relsynth.clustering",),
        ("relsynth.assignment",),
        ("relsynth.executors",),
    ),
    (("relsynth.modeling.encoding",), ("relsynth.engines",)),
    (("relsynth.config", "relsynth.modeling.config", "relsynth.privacy.config", "relsynth.rules.model", "relsynth.rules.steering"),),
    (("relsynth.schema",),),
    (("relsynth.errors",), ("relsynth.interrupts",), ("relsynth.progress",)),
)

# The only modules that may import torch or Opacus: where a model is built, trained, saved or run.
TORCH_MODULES = {"relsynth.modeling.network", "relsynth.modeling.training", "relsynth.modeling.artifacts", "relsynth.privacy.dpsgd"}

# The only module that may import Ray: its adapter at the edge, loaded only for executor "ray".
RAY_MODULES = {"relsynth.executors.ray"}

# The pure core: plain data and the hardest logic, testable without a database, torch or Opacus.
PURE = (
    "relsynth.schema.elements", "relsynth.schema.snapshot", "relsynth.graph", "relsynth.planning", "relsynth.modeling.encoding",
    "relsynth.config", "relsynth.modeling.config", "relsynth.privacy.config", "relsynth.rules.model", "relsynth.errors",
)
IO_AND_MODELS = {"sqlalchemy", "psycopg", "psycopg2", "pymysql", "MySQLdb", "sqlite3", "torch", "opacus", "sklearn"}
# The command line reaches the library through the public verbs only, plus what a command line
# itself needs: the typed configuration (flag > file > default), errors, signals, the demo
# database and the schema's JSON form for `inspect --json`.
CLI_MAY_IMPORT = {"relsynth.api", "relsynth.config", "relsynth.errors", "relsynth.interrupts", "relsynth.demo", "relsynth.schema.snapshot"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, at the top or inside a function; ``from a import b`` counts
    as an import of ``a.b`` when that is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in _modules() else base)
    return found


def _place(module: str) -> tuple[int, tuple[str, ...]] | None:
    """(line, part) of ``module``: the part with the longest name that covers it."""
    best: tuple[int, int, tuple[str, ...]] | None = None
    for line, parts in enumerate(LAYERS):
        for part in parts:
            for prefix in part:
                covers = module == prefix or (prefix != "relsynth" and module.startswith(prefix + "."))
                if covers and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), line, part)
    return None if best is None else (best[1], best[2])


def test_every_module_has_a_place_in_the_layers() -> None:
    unplaced = [name for name in _modules() if _place(name) is None]
    assert not unplaced, f"add these modules to LAYERS here and to the README's Layers section: {unplaced}"


def test_a_module_imports_only_its_own_part_or_the_lines_below() -> None:
    wrong = []
    for name, path in _modules().items():
        here = _place(name)
        for imported in sorted(_imports(name, path)):
            if not imported.startswith("relsynth") or imported == name:
                continue
            there = _place(imported)
            if here is None or there is None or there[1] == here[1]:
                continue
            if there[0] <= here[0]:
                relation = "a part on the same line" if there[0] == here[0] else "a layer above it"
                wrong.append(f"{name} imports {imported}, {relation}")
    assert not wrong, "\n".join(wrong)


def test_only_the_model_modules_import_torch() -> None:
    importers = {
        name for name, path in _modules().items()
        if any(i.split(".")[0] in {"torch", "opacus"} for i in _imports(name, path))
    }
    assert importers <= TORCH_MODULES, sorted(importers - TORCH_MODULES)
    assert "relsynth.modeling.training" in importers  # the check sees imports at all


def test_only_the_ray_adapter_imports_ray() -> None:
    importers = {name for name, path in _modules().items() if any(i.split(".")[0] == "ray" for i in _imports(name, path))}
    assert importers == RAY_MODULES


def test_training_imports_no_ray() -> None:
    code = "import sys, relsynth.learning, relsynth.pipeline, relsynth.executors.local; print('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_the_pure_core_reads_no_database_and_builds_no_model() -> None:
    for name in PURE:
        modules = [m for m in _modules() if m == name or m.startswith(name + ".")]
        assert modules, f"{name} is not a module any more: update PURE"
        for module in modules:
            heavy = {i for i in _imports(module, _modules()[module]) if i.split(".")[0] in IO_AND_MODELS}
            assert not heavy, f"{module} imports {sorted(heavy)}"


def test_the_cli_reaches_the_library_only_through_the_api() -> None:
    reached = {i for i in _imports("relsynth.cli", _modules()["relsynth.cli"]) if i.startswith("relsynth")}
    assert "relsynth.api" in reached
    assert reached <= CLI_MAY_IMPORT, f"route through relsynth.api instead: {sorted(reached - CLI_MAY_IMPORT)}"


def test_the_checker_sees_an_arrow_upwards() -> None:
    # generation is above runs: the reverse arrow must be found, or the test above proves nothing
    here, there = _place("relsynth.runs"), _place("relsynth.generation")
    assert here is not None and there is not None and there[0] < here[0]
    assert "relsynth.values.rarity" in _imports("relsynth.generation", _modules()["relsynth.generation"])
    assert "relsynth.preflight" in _imports("relsynth.pipeline", _modules()["relsynth.pipeline"])  # from relsynth import preflight


@pytest.fixture
def shop(tmp_path: Path) -> str:
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), total REAL);"
            "INSERT INTO customer VALUES (1, 'Ada'), (2, 'Bo');"
            "INSERT INTO orders VALUES (1, 1, 9.5), (2, 2, 3.0);"
        )
    connection.close()
    return f"sqlite:///{path}"


@pytest.fixture
def saved_run(shop: str, tmp_path: Path) -> Path:
    """A run of the shop as save_run writes it, without models: what the report reads from it."""
    from relsynth.config import RelsynthConfig
    from relsynth.planning import plan
    from relsynth.runs import Run, save_run
    from relsynth.schema.introspection import introspect

    schema = introspect(shop)
    save_run(Run(schema=schema, plan=plan(schema), config=RelsynthConfig(), tables={}), tmp_path / "run")
    return tmp_path / "run"


def _run_cli(args: list[str]) -> tuple[int, list[str], str]:
    """Exit code, the heavy libraries imported, and stdout of ``relsynth ARGS`` in a fresh interpreter."""
    code = (
        "import sys\n"
        "import relsynth.cli\n"
        f"sys.argv = ['relsynth', *{args!r}]\n"
        "try:\n"
        "    relsynth.cli.main()\n"
        "except SystemExit as done:\n"
        "    status = done.code or 0\n"
        "else:\n"
        "    status = 0\n"
        "print(status, *sorted(m for m in ('torch', 'opacus', 'sklearn', 'ray') if m in sys.modules), file=sys.stderr)\n"
    )
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    status, *heavy = finished.stderr.strip().splitlines()[-1].split()
    return int(status), heavy, finished.stdout


@pytest.mark.parametrize("command", ["inspect", "plan", "clone --schema-only"])
def test_commands_that_train_nothing_import_neither_torch_nor_sklearn(shop: str, tmp_path: Path, command: str) -> None:
    target = f"sqlite:///{tmp_path / 'clone.sqlite'}"
    verb, *flags = command.split()
    status, heavy, printed = _run_cli([verb, shop, *([target, "--create-target"] if verb == "clone" else []), *flags])
    assert status == 0 and heavy == []
    if verb == "inspect":
        assert "customer" in printed and "orders" in printed
    if verb == "clone":
        with sqlite3.connect(tmp_path / "clone.sqlite") as clone:
            assert {row[0] for row in clone.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} >= {"customer", "orders"}
        clone.close()


def test_the_report_reads_a_run_without_importing_torch(shop: str, saved_run: Path) -> None:
    from relsynth.errors import ThresholdFailed

    # the source as its own "clone": every figure is measured, and copies fail the default gate
    status, heavy, printed = _run_cli(["report", shop, shop, "--workspace", str(saved_run)])
    assert status in (0, ThresholdFailed.exit_code) and "torch" not in heavy and "opacus" not in heavy
    assert "no formal guarantee" in printed  # the run's privacy was read
