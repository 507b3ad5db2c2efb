"""Every third-party module relsynth imports is a declared dependency (or of a named extra)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules() -> set[str]:
    found = set()
    for path in (ROOT / "relsynth").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"relsynth", "__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    requirements += project["optional-dependencies"]["dp"] + project["optional-dependencies"].get("ray", [])
    return {re.split(r"[<>=\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_every_import_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    declared = _declared()
    undeclared = {
        module: distributions.get(module, [module])
        for module in _imported_modules()
        if not {d.lower().replace("_", "-") for d in distributions.get(module, [module])} & declared
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"
