"""The public verbs, re-exported by ``relsynth/__init__.py`` (imported lazily there)."""

from __future__ import annotations

from relsynth.generation import generate
from relsynth.pipeline import clone, generate_into, load, train
from relsynth.planning import plan
from relsynth.runs import load_run
from relsynth.schema.ddl import clone_schema
from relsynth.schema.introspection import introspect

__all__ = ["clone", "clone_schema", "generate", "generate_into", "introspect", "load", "load_run", "plan", "train"]
