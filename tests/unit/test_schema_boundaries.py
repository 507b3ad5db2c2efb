"""The schema layer's boundaries: one owner of SQLAlchemy's Inspector, and engine differences asked
of the declared capabilities (relsynth.engines), never read from a dialect's name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSPECTOR_OWNER = ROOT / "relsynth" / "schema" / "introspection" / "inspector.py"
ENGINE_NAMES = {"postgresql", "postgres", "mysql", "mariadb", "sqlite"}


def _calls_to_inspect(tree: ast.AST) -> list[int]:
    """Lines that call ``inspect(...)`` or ``<module>.inspect(...)`` from SQLAlchemy."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name == "inspect"
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "inspect" and isinstance(func.value, ast.Name):
            if func.value.id in ("sa", "sqlalchemy"):
                lines.append(node.lineno)
        elif isinstance(func, ast.Name) and func.id in imported:
            lines.append(node.lineno)
    return lines


def test_only_introspection_asks_sqlalchemy_for_an_inspector() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for path in (ROOT / "relsynth").rglob("*.py")
        if path != INSPECTOR_OWNER
        for line in _calls_to_inspect(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert not found, f"sa.inspect outside relsynth/schema/introspection/inspector.py: {sorted(found)}"


def _dialect_name_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing something with an engine's name: ``x == "mysql"``, ``x in ("postgresql", ...)``."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        for operand in (node.left, *node.comparators):
            values = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
            if any(isinstance(v, ast.Constant) and v.value in ENGINE_NAMES for v in values):
                lines.append(node.lineno)
                break
    return lines


def test_the_schema_layer_asks_capabilities_not_dialect_names() -> None:
    found = {
        f"{path.relative_to(ROOT)}:{line}"
        for path in (ROOT / "relsynth" / "schema").rglob("*.py")
        for line in _dialect_name_comparisons(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert not found, f"dialect names compared in relsynth/schema (ask relsynth.engines instead): {sorted(found)}"


def test_the_checks_see_what_they_forbid() -> None:
    """The two detectors above find the patterns they are meant to find."""
    sample = ast.parse(
        "import sqlalchemy as sa\nfrom sqlalchemy import inspect as look\n"
        "sa.inspect(c)\nlook(c)\nif d.name == 'mysql': pass\nif n in ('sqlite', 'x'): pass\n"
    )
    assert _calls_to_inspect(sample) == [3, 4]
    assert _dialect_name_comparisons(sample) == [5, 6]
    assert _calls_to_inspect(ast.parse(INSPECTOR_OWNER.read_text(encoding="utf-8")))  # the owner is found too
