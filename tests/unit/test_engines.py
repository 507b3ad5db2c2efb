"""Engine differences are declared once, in relsynth/engines.py, and asked everywhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from relsynth.engines import capabilities_for, known_capabilities, sqlglot_dialect
from relsynth.errors import ConfigurationError

PACKAGE = Path(__file__).resolve().parents[2] / "relsynth"
ENGINE_NAMES = {"postgresql", "postgres", "mysql", "mariadb", "sqlite"}

# Files that still compare dialect names. engines.py is their one home; the schema/ modules are
# being converted to capability flags on their own branch (issue #14): drop each from this list
# as it is converted, and never add a file to it.
ALLOWED = {"engines.py"}


def _names_an_engine(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in ENGINE_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_an_engine(element) for element in node.elts)
    # ``connection.dialect.name == x``: the dialect's name, whatever it is compared with.
    return (
        isinstance(node, ast.Attribute) and node.attr == "name"
        and isinstance(node.value, ast.Attribute) and node.value.attr == "dialect"
    )


def dialect_comparisons(source: str) -> list[int]:
    """Lines of ``source`` that compare (==, !=, in, not in) something with an engine's name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops):
            if any(_names_an_engine(side) for side in (node.left, *node.comparators)):
                found.append(node.lineno)
    return found


def test_the_detector_finds_each_form_of_comparison() -> None:
    sample = (
        'a = backend == "postgresql"\n'
        'b = "sqlite" != name\n'
        'c = connection.dialect.name in ("mysql", "mariadb")\n'
        "d = engine.dialect.name == wanted\n"
        'e = {"postgresql": 1}.get(name)\n'  # a table keyed by name is not a comparison
        'f = kind == "mysql_set"\n'
    )
    assert dialect_comparisons(sample) == [1, 2, 3, 4]


def test_no_module_outside_engines_compares_dialect_names() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative in ALLOWED:
            continue
        lines = dialect_comparisons(path.read_text(encoding="utf-8"))
        if lines:
            offenders[relative] = lines
    assert not offenders, f"ask a flag of relsynth.engines.Capabilities instead of comparing dialect names: {offenders}"


def test_mariadb_is_declared_as_mysql_and_unknown_engines_are_refused_by_name() -> None:
    assert capabilities_for("mariadb") is capabilities_for("mysql")
    assert known_capabilities("oracle") is None
    with pytest.raises(ConfigurationError, match="'oracle'"):
        capabilities_for("oracle")


def test_sqlglot_names_pass_through_and_dialect_names_translate() -> None:
    assert sqlglot_dialect("postgresql") == "postgres"
    assert sqlglot_dialect("postgres") == "postgres"  # the CHECK helpers' default is already sqlglot's name
    assert sqlglot_dialect("sqlite") == "sqlite"
